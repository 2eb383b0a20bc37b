#include "agent/server/resource_stats.h"

#include "gtest/gtest.h"

namespace skiff::agent::server {
namespace {

TEST(ResourceStatsTest, NanoCoresBetweenSamples) {
  // 0.5 s of CPU over 10 s is 50 millicores = 50,000,000 nanocores.
  EXPECT_EQ(NanoCoresBetween(1'000'000'000, 1'500'000'000, absl::Seconds(10)), 50'000'000u);
  // Two full cores over 1 s.
  EXPECT_EQ(NanoCoresBetween(0, 2'000'000'000, absl::Seconds(1)), 2'000'000'000u);
  // A restarted container's counter goes back: no rate rather than garbage.
  EXPECT_EQ(NanoCoresBetween(5'000, 1'000, absl::Seconds(1)), 0u);
  EXPECT_EQ(NanoCoresBetween(1, 2, absl::ZeroDuration()), 0u);
}

TEST(ResourceStatsTest, ProcStatBusyTime) {
  std::string stat =
      "cpu  100 20 30 1000 50 5 5 2 7 0\n"
      "cpu0 50 10 15 500 25 2 2 1 0 0\n"
      "intr 1 2 3\n";
  // user+nice+system+irq+softirq+steal = 100+20+30+5+5+2 = 162 ticks at 100 Hz = 1.62 s.
  auto busy = ParseProcStatBusyNanos(stat, 100);
  ASSERT_TRUE(busy.ok());
  EXPECT_EQ(*busy, 1'620'000'000u);
  EXPECT_FALSE(ParseProcStatBusyNanos("intr 1\n", 100).ok());
}

TEST(ResourceStatsTest, MeminfoWorkingSet) {
  auto ws = ParseMeminfoWorkingSet("MemTotal:       16000 kB\nMemFree:  1000 kB\nMemAvailable:   6000 kB\n");
  ASSERT_TRUE(ws.ok());
  EXPECT_EQ(*ws, 10000u * 1024);
  EXPECT_FALSE(ParseMeminfoWorkingSet("MemTotal: 1 kB\n").ok());
}

}  // namespace
}  // namespace skiff::agent::server
