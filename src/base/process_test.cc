#include "base/process.h"

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>

#include "absl/time/clock.h"
#include "base/file.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace skiff::base {
namespace {

using ::testing::HasSubstr;

TEST(RunCommandTest, CapturesOutputAndExitCode) {
  auto result = RunCommand({"sh", "-c", "echo out; echo err >&2; exit 7"}, absl::Seconds(10));
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_EQ(result->exit_code, 7);
  EXPECT_THAT(result->output, HasSubstr("out\n"));
  EXPECT_THAT(result->output, HasSubstr("err\n"));
}

TEST(RunCommandTest, KillsOnTimeoutAndReportsMissingBinaries) {
  absl::Time start = absl::Now();
  auto slow = RunCommand({"sleep", "30"}, absl::Milliseconds(200));
  EXPECT_EQ(slow.status().code(), absl::StatusCode::kDeadlineExceeded);
  EXPECT_LT(absl::Now() - start, absl::Seconds(5));
  EXPECT_FALSE(RunCommand({"/nonexistent/binary"}, absl::Seconds(1)).ok());
  EXPECT_FALSE(RunCommand({}, absl::Seconds(1)).ok());
}

TEST(SpawnDaemonTest, OwnProcessGroupAndLogFile) {
  std::string log = ::testing::TempDir() + "/skiff-spawn-test.log";
  std::filesystem::remove(log);
  auto pid = SpawnDaemon({"sh", "-c", "echo started; echo oops >&2; exec sleep 30"}, log);
  ASSERT_TRUE(pid.ok()) << pid.status();
  EXPECT_EQ(getpgid(*pid), *pid);
  bool found = false;
  for (int i = 0; i < 200 && !found; ++i) {
    for (const ProcessInfo& process : ListProcesses()) {
      found = found || (process.pid == *pid && !process.argv.empty() && process.argv[0] == "sleep" &&
                        process.argv[1] == "30");
    }
    if (!found) absl::SleepFor(absl::Milliseconds(10));
  }
  EXPECT_TRUE(found);
  kill(*pid, SIGTERM);
  int status = 0;
  ASSERT_EQ(waitpid(*pid, &status, 0), *pid);
  EXPECT_THAT(ReadFile(log).value_or(""), HasSubstr("started\noops\n"));
  std::filesystem::remove(log);
}

TEST(SignalAndWaitTest, TreatsZombiesAsGone) {
  auto pid = SpawnDaemon({"sleep", "30"}, "/dev/null");
  ASSERT_TRUE(pid.ok());
  EXPECT_TRUE(SignalAndWait(*pid, SIGTERM, absl::Seconds(5)));  // a zombie until reaped
  waitpid(*pid, nullptr, 0);
  EXPECT_TRUE(SignalAndWait(*pid, SIGTERM, absl::Seconds(1)));  // gone
}

TEST(SignalsTest, BlockedTerminationSignalIsWaitedFor) {
  sigset_t old;
  pthread_sigmask(SIG_SETMASK, nullptr, &old);
  sigset_t signals = BlockTerminationSignals();
  EXPECT_TRUE(sigismember(&signals, SIGTERM));
  EXPECT_TRUE(sigismember(&signals, SIGINT));
  kill(getpid(), SIGTERM);  // pending: blocked in this (the only) thread
  EXPECT_EQ(WaitForSignal(signals), SIGTERM);
  pthread_sigmask(SIG_SETMASK, &old, nullptr);
  signal(SIGPIPE, SIG_DFL);
}

}  // namespace
}  // namespace skiff::base
