#include "scheduler/scores.h"

#include "gtest/gtest.h"
#include "scheduler/test_util.h"

namespace skiff::scheduler {
namespace {

using testing::MakeNode;
using testing::MakeNodeInfo;
using testing::MakePod;
using testing::MakeSnapshot;

TEST(ScoresTest, LeastAllocatedPrefersEmptierNodes) {
  auto busy = MakeNodeInfo(MakeNode("busy", "4", "8Gi"), {MakePod("a", "3", "6Gi")});
  auto idle = MakeNodeInfo(MakeNode("idle", "4", "8Gi"));
  auto pod = MakePodInfo(MakePod("p", "1", "2Gi"));
  EXPECT_EQ(ScoreLeastAllocated(*pod, *idle), 75);
  EXPECT_EQ(ScoreLeastAllocated(*pod, *busy), 0);
}

TEST(ScoresTest, BalancedAllocationPenalisesSkew) {
  auto node = MakeNodeInfo(MakeNode("n", "4", "4Gi"));
  EXPECT_EQ(ScoreBalancedAllocation(*MakePodInfo(MakePod("p", "2", "2Gi")), *node), 100);
  EXPECT_EQ(ScoreBalancedAllocation(*MakePodInfo(MakePod("p", "4", "1Mi")), *node), 50);
}

TEST(ScoresTest, PreferredNodeAffinityAndPreferNoScheduleTaints) {
  auto pod = MakePodInfo(MakePod("p", "", "", "{}", R"({"affinity":{"nodeAffinity":{
      "preferredDuringSchedulingIgnoredDuringExecution":[
        {"weight":10,"preference":{"matchExpressions":[{"key":"zone","operator":"In","values":["a"]}]}},
        {"weight":5,"preference":{"matchExpressions":[{"key":"ssd","operator":"Exists"}]}}]}}})"));
  auto both = MakeNodeInfo(MakeNode("both", "4", "8Gi", R"({"zone":"a","ssd":"1"})"));
  auto zone = MakeNodeInfo(MakeNode("zone", "4", "8Gi", R"({"zone":"a"})"));
  auto none = MakeNodeInfo(
      MakeNode("none", "4", "8Gi", "{}", R"({"taints":[{"key":"k","effect":"PreferNoSchedule"}]})"));
  EXPECT_EQ(ScoreNodeAffinityRaw(*pod, *both), 15);
  EXPECT_EQ(ScoreNodeAffinityRaw(*pod, *zone), 10);
  EXPECT_EQ(ScoreTaintTolerationRaw(*pod, *none), 1);
  std::vector<int64_t> scores{15, 10, 0};
  NormalizeToMax(&scores, false);
  EXPECT_EQ(scores, (std::vector<int64_t>{100, 66, 0}));
  std::vector<int64_t> taints{0, 0, 1};
  NormalizeToMax(&taints, true);
  EXPECT_EQ(taints, (std::vector<int64_t>{100, 100, 0}));
  Snapshot s = MakeSnapshot({both, zone, none});
  std::vector<int64_t> total = ScoreNodes(*pod, s, {both.get(), zone.get(), none.get()});
  EXPECT_GT(total[0], total[1]);
  EXPECT_GT(total[1], total[2]);
}

TEST(ScoresTest, PreferredInterPodAffinityAndAntiAffinity) {
  auto n1 = MakeNodeInfo(MakeNode("n1", "4", "8Gi", R"({"zone":"a"})"),
                         {MakePod("cache", "", "", R"({"app":"cache"})")});
  auto n2 = MakeNodeInfo(MakeNode("n2", "4", "8Gi", R"({"zone":"b"})"),
                         {MakePod("noisy", "", "", R"({"app":"noisy"})")});
  auto n3 = MakeNodeInfo(MakeNode("n3", "4", "8Gi", R"({"zone":"c"})"));
  auto pod = MakePodInfo(MakePod("p", "", "", "{}", R"({"affinity":{
      "podAffinity":{"preferredDuringSchedulingIgnoredDuringExecution":[{"weight":50,
        "podAffinityTerm":{"labelSelector":{"matchLabels":{"app":"cache"}},"topologyKey":"zone"}}]},
      "podAntiAffinity":{"preferredDuringSchedulingIgnoredDuringExecution":[{"weight":50,
        "podAffinityTerm":{"labelSelector":{"matchLabels":{"app":"noisy"}},"topologyKey":"zone"}}]}}})"));
  Snapshot s = MakeSnapshot({n1, n2, n3});
  EXPECT_EQ(ScoreInterPodAffinity(*pod, s, {n1.get(), n2.get(), n3.get()}),
            (std::vector<int64_t>{100, 0, 50}));
}

TEST(ScoresTest, ScheduleAnywaySpreadPrefersEmptierDomains) {
  auto nodes = testing::WebPodsAcrossZones("c");
  auto pod =
      MakePodInfo(MakePod("p", "", "", R"({"app":"web"})", testing::Spread("zone", 1, "", "ScheduleAnyway")));
  Snapshot s = MakeSnapshot(nodes);
  std::vector<int64_t> scores =
      ScorePodTopologySpread(*pod, s, {nodes[0].get(), nodes[1].get(), nodes[2].get()});
  EXPECT_LT(scores[0], scores[1]);
  EXPECT_LT(scores[1], scores[2]);
  EXPECT_EQ(scores[2], 100);
}

}  // namespace
}  // namespace skiff::scheduler
