#include "agent/node/host_info.h"

#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "gtest/gtest.h"

namespace skiff::agent::node {
namespace {

constexpr char kMemInfo[] =
    "MemTotal:       16318412 kB\n"
    "MemFree:         1000000 kB\n"
    "MemAvailable:    8000000 kB\n"
    "Buffers:          100000 kB\n"
    "Cached:          2000000 kB\n"
    "HugePages_Total:       0\n";

TEST(ParseMemInfo, ReadsTotalAndAvailableInBytes) {
  auto m = ParseMemInfo(kMemInfo);
  ASSERT_TRUE(m.ok()) << m.status();
  EXPECT_EQ(m->total_bytes, int64_t{16318412} * 1024);
  EXPECT_EQ(m->available_bytes, int64_t{8000000} * 1024);
}

TEST(ParseMemInfo, FallsBackToFreePlusCachedWithoutMemAvailable) {
  auto m = ParseMemInfo("MemTotal: 100 kB\nMemFree: 10 kB\nCached: 5 kB\n");
  ASSERT_TRUE(m.ok());
  EXPECT_EQ(m->available_bytes, 15 * 1024);
}

TEST(ParseMemInfo, RejectsTextWithoutMemTotal) { EXPECT_FALSE(ParseMemInfo("MemFree: 1 kB\n").ok()); }

TEST(ParseCpuList, CountsRangesAndSingles) {
  EXPECT_EQ(*ParseCpuList("0-1\n"), 2);
  EXPECT_EQ(*ParseCpuList("0-3,6,8-9"), 7);
  EXPECT_EQ(*ParseCpuList("0"), 1);
  EXPECT_FALSE(ParseCpuList("").ok());
  EXPECT_FALSE(ParseCpuList("3-1").ok());
  EXPECT_FALSE(ParseCpuList("a-b").ok());
}

TEST(CgroupCpuLimit, V1QuotaAndPeriod) {
  EXPECT_EQ(CgroupV1CpuLimitMillis("-1\n", "100000\n"), std::nullopt);
  EXPECT_EQ(CgroupV1CpuLimitMillis("150000\n", "100000\n"), 1500);
  EXPECT_EQ(CgroupV1CpuLimitMillis("50000", "100000"), 500);
  EXPECT_EQ(CgroupV1CpuLimitMillis("garbage", "100000"), std::nullopt);
}

TEST(CgroupCpuLimit, V2CpuMax) {
  EXPECT_EQ(CgroupV2CpuLimitMillis("max 100000\n"), std::nullopt);
  EXPECT_EQ(CgroupV2CpuLimitMillis("200000 100000\n"), 2000);
  EXPECT_EQ(CgroupV2CpuLimitMillis(""), std::nullopt);
}

TEST(ParseOsRelease, PrettyNameUnquoted) {
  EXPECT_EQ(ParseOsRelease(
                "NAME=\"Debian GNU/Linux\"\nPRETTY_NAME=\"Debian GNU/Linux 12 (bookworm)\"\nID=debian\n"),
            "Debian GNU/Linux 12 (bookworm)");
  EXPECT_EQ(ParseOsRelease("PRETTY_NAME=Alpine\n"), "Alpine");
  EXPECT_EQ(ParseOsRelease("ID=x\n"), "Linux");
}

TEST(ParseLoadAvgTasks, ReadsTheTaskCount) {
  EXPECT_EQ(*ParseLoadAvgTasks("14.30 4.42 2.91 11/339 2044\n"), 339);
  EXPECT_FALSE(ParseLoadAvgTasks("1 2 3").ok());
}

class FakeRoot : public ::testing::Test {
 protected:
  void SetUp() override {
    root_ = std::filesystem::temp_directory_path() /
            ("skiff-host-info-test-" + std::to_string(getpid()) + "-" +
             ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(root_);
    Write("/proc/meminfo", kMemInfo);
    Write("/sys/devices/system/cpu/online", "0-7\n");
    Write("/etc/machine-id", "3d1219c7c4c5404aaa1f6d2a48adfda4\n");
    Write("/proc/sys/kernel/random/boot_id", "b0b0b0b0-0000-4000-8000-000000000001\n");
    Write("/proc/sys/kernel/osrelease", "6.1.0-test\n");
    Write("/proc/sys/kernel/hostname", "Worker-1\n");
    Write("/etc/os-release", "PRETTY_NAME=\"Debian GNU/Linux 12 (bookworm)\"\n");
    Write("/proc/sys/kernel/pid_max", "32768\n");
    Write("/proc/loadavg", "0.1 0.2 0.3 2/400 99\n");
  }
  void TearDown() override { std::filesystem::remove_all(root_); }
  void Write(const std::string& path, const std::string& content) {
    std::filesystem::path p = root_.string() + path;
    std::filesystem::create_directories(p.parent_path());
    std::ofstream(p) << content;
  }
  std::filesystem::path root_;
};

TEST_F(FakeRoot, FactsFromFiles) {
  auto f = HostProbe(root_.string()).Facts();
  ASSERT_TRUE(f.ok()) << f.status();
  EXPECT_EQ(f->cpu_millis, 8000);
  EXPECT_EQ(f->memory_bytes, int64_t{16318412} * 1024);
  EXPECT_EQ(f->machine_id, "3d1219c7c4c5404aaa1f6d2a48adfda4");
  EXPECT_EQ(f->system_uuid, "3d1219c7c4c5404aaa1f6d2a48adfda4");  // no DMI: the machine id
  EXPECT_EQ(f->boot_id, "b0b0b0b0-0000-4000-8000-000000000001");
  EXPECT_EQ(f->kernel_version, "6.1.0-test");
  EXPECT_EQ(f->os_image, "Debian GNU/Linux 12 (bookworm)");
  EXPECT_EQ(f->hostname, "worker-1");
}

TEST_F(FakeRoot, DmiUuidAndCgroupQuotaWin) {
  Write("/sys/class/dmi/id/product_uuid", "ABCDEF01-2345-6789-ABCD-EF0123456789\n");
  Write("/sys/fs/cgroup/cpu/cpu.cfs_quota_us", "250000\n");
  Write("/sys/fs/cgroup/cpu/cpu.cfs_period_us", "100000\n");
  auto f = HostProbe(root_.string()).Facts();
  ASSERT_TRUE(f.ok()) << f.status();
  EXPECT_EQ(f->system_uuid, "abcdef01-2345-6789-abcd-ef0123456789");
  EXPECT_EQ(f->cpu_millis, 2500);
}

TEST_F(FakeRoot, CgroupV2QuotaAboveOnlineCpusIsCapped) {
  Write("/sys/fs/cgroup/cpu.max", "2000000 100000\n");
  EXPECT_EQ(HostProbe(root_.string()).Facts()->cpu_millis, 8000);
}

TEST_F(FakeRoot, MissingMeminfoFails) {
  std::filesystem::remove(root_.string() + "/proc/meminfo");
  EXPECT_FALSE(HostProbe(root_.string()).Facts().ok());
}

TEST_F(FakeRoot, UsageReadsMemoryPidsAndStatfs) {
  auto u = HostProbe(root_.string()).Usage(root_.string(), "/nonexistent/imagefs");
  ASSERT_TRUE(u.ok()) << u.status();
  EXPECT_EQ(u->memory_available_bytes, int64_t{8000000} * 1024);
  EXPECT_EQ(u->pid_max, 32768);
  EXPECT_EQ(u->processes, 400);
  EXPECT_GT(u->nodefs.capacity_bytes, 0);
  EXPECT_LE(u->nodefs.available_bytes, u->nodefs.capacity_bytes);
  EXPECT_EQ(u->imagefs.capacity_bytes, u->nodefs.capacity_bytes);  // missing imagefs: nodefs
}

TEST(StatFs, FailsForMissingPath) { EXPECT_FALSE(StatFs("/nonexistent/skiff").ok()); }

}  // namespace
}  // namespace skiff::agent::node
