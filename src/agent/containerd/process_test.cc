#include "agent/containerd/process.h"

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>

#include "absl/time/clock.h"
#include "agent/containerd/image_import.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace skiff::agent::containerd {
namespace {

using ::testing::ElementsAre;
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
  EXPECT_THAT(ReadSmallFile(log), HasSubstr("started\noops\n"));
  std::filesystem::remove(log);
}

TEST(SignalAndWaitTest, TreatsZombiesAsGone) {
  auto pid = SpawnDaemon({"sleep", "30"}, "/dev/null");
  ASSERT_TRUE(pid.ok());
  EXPECT_TRUE(SignalAndWait(*pid, SIGTERM, absl::Seconds(5)));  // a zombie until reaped
  waitpid(*pid, nullptr, 0);
  EXPECT_TRUE(SignalAndWait(*pid, SIGTERM, absl::Seconds(1)));  // gone
}

TEST(PathIsUnderTest, ComparesWholeComponents) {
  EXPECT_TRUE(PathIsUnder("/a/b", "/a/b"));
  EXPECT_TRUE(PathIsUnder("/a/b/c", "/a/b"));
  EXPECT_FALSE(PathIsUnder("/a/bc", "/a/b"));
  EXPECT_FALSE(PathIsUnder("/a", "/a/b"));
  EXPECT_FALSE(PathIsUnder("/x", ""));
}

TEST(MountPointsUnderTest, FiltersDecodesAndOrdersDeepestFirst) {
  std::string mountinfo =
      "22 1 8:1 / / rw,relatime shared:1 - ext4 /dev/sda1 rw\n"
      "40 22 0:40 / /d/containerd/state/x/rootfs rw - overlay overlay rw\n"
      "41 22 0:41 / /d/containerd/state/x/rootfs/dev/shm rw - tmpfs shm rw\n"
      "42 22 0:42 / /d/pods/with\\040space rw - tmpfs tmpfs rw\n"
      "43 22 0:43 / /dx/other rw - tmpfs tmpfs rw\n"
      "44 22 0:44 / /d rw - tmpfs tmpfs rw\n";
  EXPECT_THAT(MountPointsUnder(mountinfo, "/d"),
              ElementsAre("/d/containerd/state/x/rootfs/dev/shm", "/d/containerd/state/x/rootfs",
                          "/d/pods/with space", "/d"));
}

TEST(ParseImportedNamesTest, ReadsCtrOutput) {
  EXPECT_THAT(ParseImportedNames("unpacking skiff.local/pause:3.10 (sha256:abc)...done\n"
                                 "unpacking docker.io/library/x:1 (sha256:def)...done\n"),
              ElementsAre("skiff.local/pause:3.10", "docker.io/library/x:1"));
  EXPECT_TRUE(ParseImportedNames("ctr: something failed\n").empty());
}

}  // namespace
}  // namespace skiff::agent::containerd
