// PodManager against a real containerd + runc (started by the test through ContainerdSupervisor)
// and the in-process API server: a host-network busybox pod goes Running, a failing pod under
// restartPolicy Never ends Failed with its exit code, an agent restart adopts the running
// containers without duplicates, and deletion stops everything and deletes the pod object.
// Host network only (no CNI needed). Skipped when containerd/runc are missing or not root.
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <functional>
#include <thread>

#include "absl/strings/str_cat.h"
#include "agent/containerd/image_import.h"
#include "agent/containerd/reset.h"
#include "agent/containerd/supervisor.h"
#include "agent/cri/cri_runtime.h"
#include "agent/pods/pod_manager.h"
#include "base/json.h"
#include "base/process.h"
#include "base/testing/host.h"
#include "base/testing/wait_for.h"
#include "client/shared_informers.h"
#include "client/testing/test_api_server.h"
#include "gtest/gtest.h"

namespace skiff::agent::pods {
namespace {

// The waits here are longer than WaitFor's default: they span whole pod lifecycles.
bool Eventually(const std::function<bool()>& done) { return base::testing::WaitFor(done, absl::Seconds(30)); }

constexpr char kBusybox[] = "skiff.local/busybox:1.35";

const api::ResourceInfo& PodsR() { return client::Resource("", "v1", "pods"); }

class PodsContainerdTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string missing = base::testing::MissingContainerHost();
    ASSERT_TRUE(missing.empty()) << missing;
    dir_ = absl::StrCat("/tmp/skiff-pods-it-", getpid());
    containerd::ResetAgentDir(dir_).IgnoreError();
    supervisor_ =
        std::make_unique<containerd::ContainerdSupervisor>(containerd::SupervisorOptions{.agent_dir = dir_});
    ASSERT_TRUE(supervisor_->Start().ok());
    auto runtime = cri::CriRuntime::Create({.endpoint = supervisor_->endpoint()});
    ASSERT_TRUE(runtime.ok());
    runtime_ = std::move(*runtime);
    ASSERT_TRUE(runtime_->WaitUntilReady(absl::Seconds(30)).ok());
    ASSERT_TRUE(containerd::ImportImageArchive(supervisor_->endpoint(), SKIFF_PAUSE_IMAGE_TAR).ok());
    std::string busybox_tar = dir_ + "/images/busybox.tar";
    auto built = base::RunCommand({"python3", SKIFF_OCI_IMAGE_PY, "--busybox", "-o", busybox_tar},
                                        absl::Seconds(60));
    ASSERT_TRUE(built.ok() && built->exit_code == 0);
    ASSERT_TRUE(containerd::ImportImageArchive(supervisor_->endpoint(), busybox_tar).ok());
  }
  void TearDown() override {
    manager_.reset();
    runtime_.reset();
    supervisor_.reset();
    if (!dir_.empty()) {
      absl::Status reset = containerd::ResetAgentDir(dir_);
      EXPECT_TRUE(reset.ok()) << reset;
    }
  }
  void StartManager() {
    PodManagerOptions o;
    o.node_name = "n1";
    o.host_ip = "127.0.0.1";
    o.data_dir = dir_;
    o.relist_period = absl::Milliseconds(200);
    manager_ = std::make_unique<PodManager>(&informers_, runtime_.get(), nullptr, o);
    ASSERT_TRUE(manager_->Start().ok());
  }
  void CreatePod(const std::string& name, const std::string& restart_policy, const std::string& script) {
    boost::json::value pod = {
        {"apiVersion", "v1"},
        {"kind", "Pod"},
        {"metadata", {{"name", name}}},
        {"spec",
         {{"nodeName", "n1"},
          {"hostNetwork", true},
          {"restartPolicy", restart_policy},
          {"terminationGracePeriodSeconds", 2},
          {"containers",
           boost::json::array{
               {{"name", "c"}, {"image", kBusybox}, {"command", boost::json::array{"sh", "-c", script}}}}}}}};
    auto made = server_.client()->Create(PodsR(), "default", pod);
    ASSERT_TRUE(made.ok()) << made.status();
  }
  std::string Field(const std::string& name, std::initializer_list<std::string_view> path) {
    auto got = server_.client()->Get(PodsR(), "default", name);
    return got.ok() ? base::GetString(**got, path) : "<gone>";
  }
  int64_t ExitCode(const std::string& name) {
    auto got = server_.client()->Get(PodsR(), "default", name);
    if (!got.ok()) return -1;
    const auto* statuses = base::FindPath(**got, {"status", "containerStatuses"});
    if (!statuses || !statuses->is_array() || statuses->as_array().empty()) return -1;
    return base::GetInt(statuses->as_array()[0], {"state", "terminated", "exitCode"}, -1);
  }
  size_t CountContainers() {
    auto listed = runtime_->ListContainers({}, cri::kRpcDefault);
    return listed.ok() ? listed->containers_size() : 0;
  }

  std::string dir_;
  client::testing::TestApiServer server_;
  client::SharedInformers informers_{server_.client()};
  std::unique_ptr<containerd::ContainerdSupervisor> supervisor_;
  std::unique_ptr<cri::CriRuntime> runtime_;
  std::unique_ptr<PodManager> manager_;
};

TEST_F(PodsContainerdTest, RunFailAdoptAndDelete) {
  StartManager();
  absl::Time start = absl::Now();
  CreatePod("run", "Always", "echo started; exec sleep 3600");
  CreatePod("fail", "Never", "exit 3");
  ASSERT_TRUE(Eventually([&] {
    return Field("run", {"status", "phase"}) == "Running";
  })) << Field("run", {"status"});
  std::printf("[ timing ] pod Running after %s\n", absl::FormatDuration(absl::Now() - start).c_str());
  ASSERT_TRUE(Eventually([&] { return Field("fail", {"status", "phase"}) == "Failed"; }));
  EXPECT_EQ(ExitCode("fail"), 3);
  EXPECT_EQ(Field("run", {"status", "podIP"}), "127.0.0.1");
  // The container's log is where the log path says.
  auto run = server_.client()->Get(PodsR(), "default", "run");
  ASSERT_TRUE(run.ok());
  std::string uid = base::GetString(**run, {"metadata", "uid"});
  EXPECT_TRUE(Eventually([&] { return std::filesystem::exists(dir_ + "/pods/" + uid + "/logs/c/0.log"); }));

  // Agent restart: the running container is adopted, nothing new is created.
  size_t before = CountContainers();
  manager_.reset();
  StartManager();
  std::this_thread::sleep_for(std::chrono::seconds(1));
  EXPECT_EQ(CountContainers(), before);
  EXPECT_EQ(Field("run", {"status", "phase"}), "Running");

  // Deletion: stopped (sleep ignores SIGTERM: killed after the 2 s grace), removed, object deleted.
  ASSERT_TRUE(server_.client()->Delete(PodsR(), "default", "run").ok());
  EXPECT_TRUE(Eventually([&] { return Field("run", {"metadata", "name"}) == "<gone>"; }));
  ASSERT_TRUE(server_.client()->Delete(PodsR(), "default", "fail").ok());
  EXPECT_TRUE(Eventually([&] { return CountContainers() == 0 && manager_->WorkerCount() == 0; }));
}

}  // namespace
}  // namespace skiff::agent::pods
