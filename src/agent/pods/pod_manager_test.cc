// PodManager with a fake CRI runtime and the in-process API server: parallel starts, readiness
// hook, deletion, and recovery after a restart (adoption without duplicates, orphan removal).
#include "agent/pods/pod_manager.h"

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <functional>
#include <thread>

#include "agent/pods/fake_runtime_for_test.h"
#include "base/json.h"
#include "base/testing/wait_for.h"
#include "client/shared_informers.h"
#include "client/testing/test_api_server.h"
#include "gtest/gtest.h"

namespace skiff::agent::pods {
namespace {

using base::testing::WaitFor;

using testing::FakeRuntime;

const api::ResourceInfo& PodsR() { return client::Resource("", "v1", "pods"); }

class PodManagerTest : public ::testing::Test {
 protected:
  PodManagerTest() : runtime_(&base::RealClock()) {
    dir_ = (std::filesystem::temp_directory_path() / ("pod_manager_test_" + std::to_string(::getpid())))
               .string();
    runtime_.AddImage("img:1");
  }
  ~PodManagerTest() override { std::filesystem::remove_all(dir_); }

  std::unique_ptr<PodManager> NewManager() {
    PodManagerOptions o;
    o.node_name = "n1";
    o.host_ip = "192.168.1.5";
    o.data_dir = dir_;
    o.relist_period = absl::Milliseconds(100);
    auto m = std::make_unique<PodManager>(&informers_, &runtime_, nullptr, o);
    EXPECT_TRUE(m->Start().ok());
    return m;
  }
  client::Object CreatePod(const std::string& name, const std::string& container_extra = "",
                           const std::string& node = "n1") {
    auto made = server_.client()->Create(
        PodsR(), "default",
        *base::ParseJson(R"({"apiVersion":"v1","kind":"Pod","metadata":{"name":")" + name +
                         R"("},"spec":{"nodeName":")" + node +
                         R"(","containers":[{"name":"a","image":"img:1")" + container_extra + "}]}}"));
    EXPECT_TRUE(made.ok()) << made.status();
    return made.ok() ? *made : nullptr;
  }
  std::string Field(const std::string& name, std::initializer_list<std::string_view> path) {
    auto got = server_.client()->Get(PodsR(), "default", name);
    return got.ok() ? base::GetString(**got, path) : "<gone>";
  }
  std::string Condition(const std::string& name, const std::string& type) {
    auto got = server_.client()->Get(PodsR(), "default", name);
    if (!got.ok()) return "<gone>";
    const auto* conditions = base::FindPath(**got, {"status", "conditions"});
    if (!conditions || !conditions->is_array()) return "";
    for (const auto& c : conditions->as_array()) {
      if (base::GetString(c, {"type"}) == type) return base::GetString(c, {"status"});
    }
    return "";
  }

  client::testing::TestApiServer server_;
  client::SharedInformers informers_{server_.client()};
  FakeRuntime runtime_;
  std::string dir_;
};

TEST_F(PodManagerTest, FiftyPodsStartInParallel) {
  auto manager = NewManager();
  absl::Time start = absl::Now();
  for (int i = 0; i < 50; ++i) CreatePod("p" + std::to_string(i));
  CreatePod("elsewhere", "", "n2");  // not this node's
  absl::Duration creating = absl::Now() - start;
  bool all = WaitFor([&] {
    for (int i = 0; i < 50; ++i) {
      if (Field("p" + std::to_string(i), {"status", "phase"}) != "Running") return false;
    }
    return true;
  });
  EXPECT_TRUE(all);
  absl::Duration took = absl::Now() - start;
  EXPECT_LT(took, absl::Seconds(5)) << took;
  std::printf("50 pods: created in %s, all Running after %s (fake runtime)\n",
              absl::FormatDuration(creating).c_str(), absl::FormatDuration(took).c_str());
  EXPECT_EQ(runtime_.SandboxCount(), 50u);
  EXPECT_EQ(runtime_.ContainerCount(), 50u);
  EXPECT_EQ(Field("elsewhere", {"status", "phase"}), "Pending");
  EXPECT_EQ(manager->Pods().size(), 50u);
}

TEST_F(PodManagerTest, ReadinessHookDrivesReady) {
  auto manager = NewManager();
  auto pod = CreatePod("r", R"(,"readinessProbe":{"exec":{"command":["true"]}})");
  std::string uid = base::GetString(*pod, {"metadata", "uid"});
  ASSERT_TRUE(WaitFor([&] { return Field("r", {"status", "phase"}) == "Running"; }));
  EXPECT_EQ(Condition("r", "Ready"), "False");
  manager->SetContainerReadiness(uid, "a", true);
  EXPECT_TRUE(WaitFor([&] { return Condition("r", "Ready") == "True"; }));
  manager->SetContainerReadiness(uid, "a", false);
  EXPECT_TRUE(WaitFor([&] { return Condition("r", "Ready") == "False"; }));
}

TEST_F(PodManagerTest, DeletionStopsAndDeletes) {
  auto manager = NewManager();
  CreatePod("d");
  ASSERT_TRUE(WaitFor([&] { return Field("d", {"status", "phase"}) == "Running"; }));
  client::DeleteOptions options;
  options.grace_period_seconds = 5;
  ASSERT_TRUE(server_.client()->Delete(PodsR(), "default", "d", options).ok());
  EXPECT_TRUE(WaitFor([&] { return Field("d", {"metadata", "name"}) == "<gone>"; }));
  EXPECT_TRUE(WaitFor([&] { return runtime_.SandboxCount() == 0 && manager->WorkerCount() == 0; }));
  EXPECT_EQ(runtime_.CountCalls("StopContainer a 5"), 1u);
}

TEST_F(PodManagerTest, CrashedContainerIsRestarted) {
  auto manager = NewManager();
  CreatePod("c");
  ASSERT_TRUE(WaitFor([&] { return runtime_.ContainersNamed("a").size() == 1; }));
  runtime_.Exit(runtime_.ContainersNamed("a").back(), 1);
  // The relist notices the exit and the worker restarts it (first restart: no backoff).
  EXPECT_TRUE(WaitFor([&] { return runtime_.ContainersNamed("a").size() == 2; }));
  EXPECT_TRUE(WaitFor([&] {
    auto got = server_.client()->Get(PodsR(), "default", "c");
    const auto* statuses = got.ok() ? base::FindPath(**got, {"status", "containerStatuses"}) : nullptr;
    return statuses && statuses->is_array() && base::GetInt(statuses->as_array()[0], {"restartCount"}) == 1 &&
           base::FindPath(statuses->as_array()[0], {"state", "running"}) != nullptr;
  }));
  EXPECT_EQ(Field("c", {"status", "phase"}), "Running");
}

TEST_F(PodManagerTest, RestartAdoptsAndRemovesOrphans) {
  auto manager = NewManager();
  CreatePod("keep");
  CreatePod("gone");
  ASSERT_TRUE(WaitFor([&] {
    return runtime_.ContainerCount() == 2 && Field("gone", {"status", "phase"}) == "Running";
  }));
  manager->Stop();
  manager.reset();
  // While the agent is away, "gone" is force-deleted.
  client::DeleteOptions force;
  force.grace_period_seconds = 0;
  ASSERT_TRUE(server_.client()->Delete(PodsR(), "default", "gone", force).ok());
  runtime_.ClearCalls();
  manager = NewManager();
  EXPECT_TRUE(WaitFor([&] { return runtime_.SandboxCount() == 1 && runtime_.ContainerCount() == 1; }));
  std::this_thread::sleep_for(std::chrono::milliseconds(300));  // a few relists
  EXPECT_EQ(runtime_.CountCalls("RunPodSandbox"), 0u);
  EXPECT_EQ(runtime_.CountCalls("CreateContainer"), 0u);
  EXPECT_EQ(Field("keep", {"status", "phase"}), "Running");
  EXPECT_EQ(manager->WorkerCount(), 1u);
}

}  // namespace
}  // namespace skiff::agent::pods
