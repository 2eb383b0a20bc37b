#include "cpu_budget.h"

#include "gtest/gtest.h"

namespace skiff::bench {
namespace {

TEST(CpuBudgetTest, MicrosPerCreate) {
  EXPECT_DOUBLE_EQ(MicrosPerCreate(2.0, 10000), 200);
  EXPECT_LT(MicrosPerCreate(-1, 10000), 0);  // CPU unknown
  EXPECT_LT(MicrosPerCreate(2.0, 0), 0);     // nothing created
}

TEST(CpuBudgetTest, CeilingIsCoresOverTheSumOfAllProcesses) {
  CpuPerCreate costs{.skiff_us = 169, .etcd_us = 166, .client_us = 25};
  EXPECT_DOUBLE_EQ(costs.total_us(), 360);
  EXPECT_NEAR(CeilingRate(2, costs), 2e6 / 360, 1e-9);
  EXPECT_EQ(FormatCosts(costs), "skiff 169 + etcd 166 + client 25 = 360 us");
  EXPECT_EQ(FormatCeiling(CeilingRate(2, costs), 6750), "5555/s (goal 6750/s: out of reach)");
  EXPECT_EQ(FormatCeiling(8000, 6750), "8000/s (goal 6750/s: reachable)");
}

TEST(CpuBudgetTest, ProcessesARunDoesNotHaveAreLeftOut) {
  CpuPerCreate sqlite{.skiff_us = 150, .client_us = 50};
  EXPECT_EQ(FormatCosts(sqlite), "skiff 150 + client 50 = 200 us");
  EXPECT_DOUBLE_EQ(CeilingRate(2, sqlite), 10000);
  CpuPerCreate raw{.etcd_us = 120, .client_us = 80};
  EXPECT_EQ(FormatCosts(raw), "etcd 120 + client 80 = 200 us");
}

TEST(CpuBudgetTest, AnUnknownPartMakesTheCeilingUnknown) {
  CpuPerCreate costs{.skiff_us = 150, .etcd_us = -1, .client_us = 50};
  EXPECT_FALSE(costs.known());
  EXPECT_LT(costs.total_us(), 0);
  EXPECT_LT(CeilingRate(2, costs), 0);
  EXPECT_EQ(FormatCosts(costs), "skiff 150 + etcd unknown + client 50 = unknown us");
  EXPECT_EQ(FormatCeiling(CeilingRate(2, costs), 6750), "unknown");
}

}  // namespace
}  // namespace skiff::bench
