// Integration tests with a real containerd + runc started by the test through
// ContainerdSupervisor: image import seen through CRI, a sandbox and a busybox container run via
// CriRuntime, ExecSync, crash restart of containerd, and ResetAgentDir leaving nothing behind.
// Skipped when containerd, ctr or runc is missing, or when not running as root.
#include <signal.h>
#include <unistd.h>

#include <filesystem>
#include <memory>

#include "absl/cleanup/cleanup.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "agent/containerd/config.h"
#include "agent/containerd/image_import.h"
#include "agent/containerd/mount_points.h"
#include "agent/containerd/reset.h"
#include "agent/containerd/supervisor.h"
#include "agent/cri/cri_runtime.h"
#include "base/file.h"
#include "base/process.h"
#include "base/testing/host.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace skiff::agent::containerd {
namespace {

namespace v1 = ::runtime::v1;
using ::skiff::agent::cri::CriRuntime;
using ::skiff::agent::cri::kRpcDefault;
using ::testing::Contains;
using ::testing::HasSubstr;

constexpr char kBusyboxImage[] = "skiff.local/busybox:1.35";

// Sandbox + container fixtures shared by the tests.
v1::PodSandboxConfig SandboxConfig(const std::string& agent_dir, const std::string& uid) {
  v1::PodSandboxConfig config;
  config.mutable_metadata()->set_name("pod-" + uid);
  config.mutable_metadata()->set_namespace_("default");
  config.mutable_metadata()->set_uid(uid);
  config.set_log_directory(absl::StrCat(agent_dir, "/pods/", uid, "/logs"));
  (*config.mutable_labels())["skiff.io/test"] = "1";
  config.mutable_linux()->mutable_security_context()->mutable_namespace_options()->set_network(v1::NODE);
  std::filesystem::create_directories(config.log_directory());
  return config;
}

v1::CreateContainerRequest ContainerRequest(const std::string& sandbox_id,
                                            const v1::PodSandboxConfig& sandbox, const std::string& name) {
  v1::CreateContainerRequest request;
  request.set_pod_sandbox_id(sandbox_id);
  *request.mutable_sandbox_config() = sandbox;
  v1::ContainerConfig* config = request.mutable_config();
  config->mutable_metadata()->set_name(name);
  config->mutable_image()->set_image(kBusyboxImage);
  config->add_command("sh");
  config->add_args("-c");
  config->add_args("echo hello from $NAME; exec sleep 3600");
  v1::KeyValue* env = config->add_envs();
  env->set_key("NAME");
  env->set_value(name);
  config->set_log_path(name + "/0.log");
  return request;
}

class ContainerdIntegrationTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    if (!base::testing::MissingContainerHost().empty()) return;
    dir_ = new std::string(absl::StrCat("/tmp/skiff-ctd-", getpid()));
    ResetAgentDir(*dir_).IgnoreError();
    supervisor_ = new ContainerdSupervisor(SupervisorOptions{.agent_dir = *dir_});
    absl::Time start = absl::Now();
    absl::Status started = supervisor_->Start();
    ASSERT_TRUE(started.ok()) << started;
    auto runtime = CriRuntime::Create({.endpoint = supervisor_->endpoint()});
    ASSERT_TRUE(runtime.ok());
    runtime_ = runtime->release();
    ASSERT_TRUE(runtime_->WaitUntilReady(absl::Seconds(30)).ok());
    std::printf("[ timing ] containerd start to CRI ready: %s\n",
                absl::FormatDuration(absl::Now() - start).c_str());

    start = absl::Now();
    auto pause = ImportImageArchive(supervisor_->endpoint(), SKIFF_PAUSE_IMAGE_TAR);
    ASSERT_TRUE(pause.ok()) << pause.status();
    EXPECT_THAT(*pause, Contains(kPauseImage));
    std::string busybox_tar = *dir_ + "/images/busybox.tar";
    auto built =
        base::RunCommand({"python3", SKIFF_OCI_IMAGE_PY, "--busybox", "-o", busybox_tar}, absl::Seconds(60));
    ASSERT_TRUE(built.ok() && built->exit_code == 0) << (built.ok() ? built->output : "");
    auto busybox = ImportImageArchive(supervisor_->endpoint(), busybox_tar);
    ASSERT_TRUE(busybox.ok()) << busybox.status();
    EXPECT_THAT(*busybox, Contains(kBusyboxImage));
    std::printf("[ timing ] import pause + build/import busybox: %s\n",
                absl::FormatDuration(absl::Now() - start).c_str());
  }

  static void TearDownTestSuite() {
    if (dir_ == nullptr) return;
    delete runtime_;
    runtime_ = nullptr;
    delete supervisor_;  // stops containerd
    supervisor_ = nullptr;
    absl::Status reset = ResetAgentDir(*dir_);
    EXPECT_TRUE(reset.ok()) << reset;
    EXPECT_FALSE(std::filesystem::exists(*dir_));
    delete dir_;
    dir_ = nullptr;
  }

  void SetUp() override {
    std::string missing = base::testing::MissingContainerHost();
    ASSERT_TRUE(missing.empty()) << missing;
    ASSERT_NE(dir_, nullptr);
    ASSERT_NE(runtime_, nullptr);
  }

  static std::string* dir_;
  static ContainerdSupervisor* supervisor_;
  static CriRuntime* runtime_;
};

std::string* ContainerdIntegrationTest::dir_ = nullptr;
ContainerdSupervisor* ContainerdIntegrationTest::supervisor_ = nullptr;
CriRuntime* ContainerdIntegrationTest::runtime_ = nullptr;

TEST_F(ContainerdIntegrationTest, ImportedImagesAreVisibleThroughCri) {
  v1::ImageStatusRequest request;
  request.mutable_image()->set_image(kPauseImage);
  auto status = runtime_->ImageStatus(request, kRpcDefault);
  ASSERT_TRUE(status.ok()) << status.status();
  ASSERT_TRUE(status->has_image());
  EXPECT_THAT(status->image().repo_tags(), Contains(kPauseImage));
  EXPECT_GT(status->image().size(), 0u);

  request.mutable_image()->set_image("skiff.local/absent:1");
  auto absent = runtime_->ImageStatus(request, kRpcDefault);
  ASSERT_TRUE(absent.ok()) << absent.status();
  EXPECT_FALSE(absent->has_image());

  auto version = runtime_->Version(v1::VersionRequest(), kRpcDefault);
  ASSERT_TRUE(version.ok()) << version.status();
  EXPECT_EQ(version->runtime_name(), "containerd");
  EXPECT_EQ(version->runtime_api_version(), "v1");
  auto fs = runtime_->ImageFsInfo(v1::ImageFsInfoRequest(), kRpcDefault);
  ASSERT_TRUE(fs.ok()) << fs.status();
  ASSERT_GT(fs->image_filesystems_size(), 0);
  EXPECT_THAT(fs->image_filesystems(0).fs_id().mountpoint(), HasSubstr(*dir_));
}

TEST_F(ContainerdIntegrationTest, RunsSandboxAndContainer) {
  v1::RunPodSandboxRequest run;
  *run.mutable_config() = SandboxConfig(*dir_, "uid-run");
  absl::Time start = absl::Now();
  auto sandbox = runtime_->RunPodSandbox(run, kRpcDefault);
  ASSERT_TRUE(sandbox.ok()) << sandbox.status();
  absl::Duration sandbox_latency = absl::Now() - start;
  const std::string sandbox_id = sandbox->pod_sandbox_id();

  start = absl::Now();
  auto created = runtime_->CreateContainer(ContainerRequest(sandbox_id, run.config(), "app"), kRpcDefault);
  ASSERT_TRUE(created.ok()) << created.status();
  const std::string container_id = created->container_id();
  v1::StartContainerRequest start_request;
  start_request.set_container_id(container_id);
  ASSERT_TRUE(runtime_->StartContainer(start_request, kRpcDefault).ok());
  absl::Duration container_latency = absl::Now() - start;
  std::printf("[ timing ] RunPodSandbox (host network): %s; Create+StartContainer: %s\n",
              absl::FormatDuration(sandbox_latency).c_str(), absl::FormatDuration(container_latency).c_str());

  v1::ContainerStatusRequest status_request;
  status_request.set_container_id(container_id);
  auto status = runtime_->ContainerStatus(status_request, kRpcDefault);
  ASSERT_TRUE(status.ok()) << status.status();
  EXPECT_EQ(status->status().state(), v1::CONTAINER_RUNNING);
  EXPECT_EQ(status->status().metadata().name(), "app");
  EXPECT_GT(status->status().started_at(), 0);

  v1::ExecSyncRequest exec;
  exec.set_container_id(container_id);
  exec.add_cmd("sh");
  exec.add_cmd("-c");
  exec.add_cmd("echo hi; echo err >&2; exit 4");
  exec.set_timeout(10);
  auto exec_result = runtime_->ExecSync(exec, kRpcDefault);
  ASSERT_TRUE(exec_result.ok()) << exec_result.status();
  EXPECT_EQ(exec_result->stdout(), "hi\n");
  EXPECT_EQ(exec_result->stderr(), "err\n");
  EXPECT_EQ(exec_result->exit_code(), 4);

  v1::ListContainersRequest list;
  list.mutable_filter()->set_pod_sandbox_id(sandbox_id);
  auto containers = runtime_->ListContainers(list, kRpcDefault);
  ASSERT_TRUE(containers.ok()) << containers.status();
  ASSERT_EQ(containers->containers_size(), 1);
  EXPECT_EQ(containers->containers(0).id(), container_id);

  v1::ListPodSandboxRequest list_sandboxes;
  (*list_sandboxes.mutable_filter()->mutable_label_selector())["skiff.io/test"] = "1";
  auto sandboxes = runtime_->ListPodSandbox(list_sandboxes, kRpcDefault);
  ASSERT_TRUE(sandboxes.ok());
  ASSERT_EQ(sandboxes->items_size(), 1);
  EXPECT_EQ(sandboxes->items(0).state(), v1::SANDBOX_READY);

  // The container's stdout lands in the CRI log file (kubelet format: time stream tag text).
  std::string log_path = run.config().log_directory() + "/app/0.log";
  for (int i = 0; i < 100 && base::ReadFile(log_path).value_or("").empty(); ++i) {
    absl::SleepFor(absl::Milliseconds(20));
  }
  EXPECT_THAT(base::ReadFile(log_path).value_or(""), HasSubstr(" stdout F hello from app"));

  v1::StopContainerRequest stop;
  stop.set_container_id(container_id);
  stop.set_timeout(0);
  ASSERT_TRUE(runtime_->StopContainer(stop, kRpcDefault).ok());
  status = runtime_->ContainerStatus(status_request, kRpcDefault);
  ASSERT_TRUE(status.ok());
  EXPECT_EQ(status->status().state(), v1::CONTAINER_EXITED);
  EXPECT_EQ(status->status().exit_code(), 137);  // SIGKILL

  v1::RemoveContainerRequest remove;
  remove.set_container_id(container_id);
  ASSERT_TRUE(runtime_->RemoveContainer(remove, kRpcDefault).ok());
  EXPECT_EQ(runtime_->ContainerStatus(status_request, kRpcDefault).status().code(),
            absl::StatusCode::kNotFound);

  v1::StopPodSandboxRequest stop_sandbox;
  stop_sandbox.set_pod_sandbox_id(sandbox_id);
  ASSERT_TRUE(runtime_->StopPodSandbox(stop_sandbox, kRpcDefault).ok());
  v1::RemovePodSandboxRequest remove_sandbox;
  remove_sandbox.set_pod_sandbox_id(sandbox_id);
  ASSERT_TRUE(runtime_->RemovePodSandbox(remove_sandbox, kRpcDefault).ok());
  sandboxes = runtime_->ListPodSandbox(list_sandboxes, kRpcDefault);
  ASSERT_TRUE(sandboxes.ok());
  EXPECT_EQ(sandboxes->items_size(), 0);
}

TEST_F(ContainerdIntegrationTest, SupervisorRestartsContainerdAfterACrash) {
  pid_t before = supervisor_->pid();
  ASSERT_GT(before, 0);
  ASSERT_EQ(kill(before, SIGKILL), 0);
  absl::Time deadline = absl::Now() + absl::Seconds(20);
  while (absl::Now() < deadline && (supervisor_->restarts() < 1 || supervisor_->pid() == 0)) {
    absl::SleepFor(absl::Milliseconds(20));
  }
  EXPECT_EQ(supervisor_->restarts(), 1);
  EXPECT_NE(supervisor_->pid(), before);
  absl::Time start = absl::Now();
  ASSERT_TRUE(runtime_->WaitUntilReady(absl::Seconds(30)).ok());
  std::printf("[ timing ] CRI ready again %s after the restart was observed\n",
              absl::FormatDuration(absl::Now() - start).c_str());
  // Images survive: they live in DIR/containerd/root.
  v1::ImageStatusRequest request;
  request.mutable_image()->set_image(kBusyboxImage);
  auto status = runtime_->ImageStatus(request, kRpcDefault);
  ASSERT_TRUE(status.ok()) << status.status();
  EXPECT_TRUE(status->has_image());
}

// A separate DIR with a running pod; reset must leave no process, mount or file behind.
TEST(ContainerdResetTest, RemovesRunningPodsAndEverythingUnderDir) {
  std::string missing = base::testing::MissingContainerHost();
  ASSERT_TRUE(missing.empty()) << missing;
  std::string dir = absl::StrCat("/tmp/skiff-rst-", getpid());
  ResetAgentDir(dir).IgnoreError();
  absl::Cleanup always_reset = [&dir] { ResetAgentDir(dir).IgnoreError(); };
  {
    ContainerdSupervisor supervisor(SupervisorOptions{.agent_dir = dir});
    ASSERT_TRUE(supervisor.Start().ok());
    auto runtime = CriRuntime::Create({.endpoint = supervisor.endpoint()});
    ASSERT_TRUE(runtime.ok());
    ASSERT_TRUE((*runtime)->WaitUntilReady(absl::Seconds(30)).ok());
    ASSERT_TRUE(ImportImageArchive(supervisor.endpoint(), SKIFF_PAUSE_IMAGE_TAR).ok());
    v1::RunPodSandboxRequest run;
    *run.mutable_config() = SandboxConfig(dir, "uid-reset");
    auto sandbox = (*runtime)->RunPodSandbox(run, kRpcDefault);
    ASSERT_TRUE(sandbox.ok()) << sandbox.status();
    // The supervisor's destructor stops containerd; the sandbox's shim keeps running.
  }
  auto shims_of = [&dir] {
    int count = 0;
    for (const base::ProcessInfo& process : base::ListProcesses()) {
      if (process.argv.empty() || process.argv[0].find("containerd-shim") == std::string::npos) {
        continue;
      }
      for (const std::string& arg : process.argv) count += PathIsUnder(arg, dir) ? 1 : 0;
    }
    return count;
  };
  EXPECT_GT(shims_of(), 0) << "the sandbox should outlive containerd";
  EXPECT_FALSE(MountPointsUnder(base::ReadFile("/proc/self/mountinfo").value_or(""), dir).empty());

  absl::Time start = absl::Now();
  absl::Status reset = ResetAgentDir(dir);
  EXPECT_TRUE(reset.ok()) << reset;
  std::printf("[ timing ] ResetAgentDir with one running sandbox: %s\n",
              absl::FormatDuration(absl::Now() - start).c_str());
  EXPECT_EQ(shims_of(), 0);
  EXPECT_TRUE(MountPointsUnder(base::ReadFile("/proc/self/mountinfo").value_or(""), dir).empty());
  EXPECT_FALSE(std::filesystem::exists(dir));
  EXPECT_EQ(StopContainerdProcesses(ContainerdPaths(dir).config, absl::Seconds(1)), 0);
}

}  // namespace
}  // namespace skiff::agent::containerd
