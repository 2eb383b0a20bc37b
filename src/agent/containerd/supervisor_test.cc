// ContainerdSupervisor against a fake "containerd" (a python script that listens on the socket
// named in config.toml), so restart, backoff and stop escalation run without real containerd.
#include "agent/containerd/supervisor.h"

#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "base/file.h"
#include "base/process.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace skiff::agent::containerd {
namespace {

using ::testing::HasSubstr;

// argv: fake --config PATH. Env-free behaviour switches come from marker files next to config.
constexpr char kFakeContainerd[] = R"py(#!/usr/bin/env python3
import os, re, signal, socket, sys, time
config = sys.argv[2]
here = os.path.dirname(config)
if os.path.exists(os.path.join(here, "fail")):
    print("fake containerd: refusing to start", flush=True)
    sys.exit(3)
if os.path.exists(os.path.join(here, "ignore-term")):
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
address = re.search(r'\[grpc\]\s*address = "([^"]+)"', open(config).read()).group(1)
s = socket.socket(socket.AF_UNIX)
s.bind(address)
s.listen(8)
print("fake containerd serving", address, flush=True)
while True:
    time.sleep(1)
)py";

class SupervisorTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = absl::StrCat(::testing::TempDir(), "/skiff-sup-", getpid());
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_ + "/containerd");
    fake_ = dir_ + "/fake-containerd";
    std::ofstream(fake_) << kFakeContainerd;
    chmod(fake_.c_str(), 0755);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  SupervisorOptions Options() {
    return SupervisorOptions{.agent_dir = dir_,
                             .containerd_binary = fake_,
                             .start_timeout = absl::Seconds(10),
                             .stop_timeout = absl::Seconds(1),
                             .initial_backoff = absl::Milliseconds(100),
                             .max_backoff = absl::Milliseconds(400)};
  }
  void Mark(const std::string& name) { std::ofstream(dir_ + "/containerd/" + name) << ""; }

  std::string dir_;
  std::string fake_;
};

TEST_F(SupervisorTest, StartsRestartsAndStopsPromptly) {
  ContainerdSupervisor supervisor(Options());
  ASSERT_TRUE(supervisor.Start().ok());
  EXPECT_EQ(supervisor.endpoint(), "unix://" + ContainerdPaths(dir_).socket);
  EXPECT_THAT(supervisor.endpoint(), HasSubstr("/skiff-sup-"));
  EXPECT_TRUE(std::filesystem::exists(dir_ + "/containerd/config.toml"));
  pid_t first = supervisor.pid();
  ASSERT_GT(first, 0);
  EXPECT_EQ(getpgid(first), first);       // own process group
  EXPECT_FALSE(supervisor.Start().ok());  // already running

  kill(first, SIGKILL);
  absl::Time deadline = absl::Now() + absl::Seconds(10);
  while (absl::Now() < deadline && (supervisor.restarts() == 0 || supervisor.pid() == 0)) {
    absl::SleepFor(absl::Milliseconds(10));
  }
  EXPECT_EQ(supervisor.restarts(), 1);
  EXPECT_NE(supervisor.pid(), first);

  absl::Time start = absl::Now();
  ASSERT_TRUE(supervisor.Stop().ok());
  EXPECT_LT(absl::Now() - start, absl::Milliseconds(900));  // no waiting for the timeout
  EXPECT_EQ(supervisor.pid(), 0);
  EXPECT_THAT(base::ReadFile(dir_ + "/containerd/containerd.log").value_or(""), HasSubstr("fake containerd serving"));
  EXPECT_TRUE(supervisor.Stop().ok());  // idempotent
}

TEST_F(SupervisorTest, EscalatesToSigkill) {
  Mark("ignore-term");
  ContainerdSupervisor supervisor(Options());
  ASSERT_TRUE(supervisor.Start().ok());
  pid_t pid = supervisor.pid();
  absl::Time start = absl::Now();
  ASSERT_TRUE(supervisor.Stop().ok());
  EXPECT_GE(absl::Now() - start, absl::Seconds(1));
  EXPECT_LT(absl::Now() - start, absl::Seconds(5));
  EXPECT_NE(kill(pid, 0), 0);
}

TEST_F(SupervisorTest, ReportsAStartupCrashWithTheLog) {
  Mark("fail");
  ContainerdSupervisor supervisor(Options());
  absl::Status started = supervisor.Start();
  EXPECT_EQ(started.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(started.message(), HasSubstr("refusing to start"));
  EXPECT_EQ(supervisor.pid(), 0);
}

TEST_F(SupervisorTest, StopsAContainerdLeftByAKilledAgent) {
  // What an agent killed with -9 leaves behind: its containerd, still serving our DIR.
  ContainerdPaths paths(dir_);
  ASSERT_TRUE(WriteContainerdConfig(paths, {}).ok());
  auto orphan = base::SpawnDaemon({fake_, "--config", paths.config}, "/dev/null");
  ASSERT_TRUE(orphan.ok());
  // A leftover containerd is up and serving (not still between the execs of its interpreter).
  for (int i = 0; i < 500 && !std::filesystem::exists(paths.socket); ++i) absl::SleepFor(absl::Milliseconds(10));
  ASSERT_TRUE(std::filesystem::exists(paths.socket));
  ContainerdSupervisor supervisor(Options());
  ASSERT_TRUE(supervisor.Start().ok());
  EXPECT_NE(supervisor.pid(), *orphan);
  EXPECT_TRUE(base::SignalAndWait(*orphan, 0, absl::Seconds(1)));  // gone (a zombie of ours)
  waitpid(*orphan, nullptr, 0);
  ASSERT_TRUE(supervisor.Stop().ok());
}

TEST(SupervisorExistingEndpointTest, SupervisesNothing) {
  ContainerdSupervisor supervisor(
      SupervisorOptions{.agent_dir = "/nonexistent", .existing_endpoint = "unix:///run/x.sock"});
  EXPECT_FALSE(supervisor.supervising());
  EXPECT_TRUE(supervisor.Start().ok());
  EXPECT_EQ(supervisor.endpoint(), "unix:///run/x.sock");
  EXPECT_EQ(supervisor.pid(), 0);
  EXPECT_TRUE(supervisor.Stop().ok());
}

}  // namespace
}  // namespace skiff::agent::containerd
