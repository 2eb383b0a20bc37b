#include "scheduler/preemption.h"

#include "gtest/gtest.h"
#include "scheduler/test_util.h"

namespace skiff::scheduler {
namespace {

using testing::MakeNode;
using testing::MakeNodeInfo;
using testing::MakePod;
using testing::MakeSnapshot;

client::Object PodWithPriority(const std::string& name, const std::string& cpu, int priority) {
  return MakePod(name, cpu, "", "{}", R"({"priority":)" + std::to_string(priority) + "}");
}

// Schedules `pod` (which must not fit anywhere), then looks for preemption victims.
PreemptionResult PreemptFor(const PodInfo& pod, const Snapshot& snapshot) {
  ScheduleResult failed = Algorithm(AlgorithmOptions{100, 1}).Schedule(pod, snapshot);
  EXPECT_TRUE(failed.node.empty()) << "the pod fits on " << failed.node;
  return FindPreemption(pod, snapshot, failed);
}

TEST(PreemptionTest, EvictsTheFewestLowestPriorityPods) {
  // n1 must lose two pods of priority 10; n2 only one pod of priority 5: n2 wins.
  auto n1 = MakeNodeInfo(MakeNode("n1", "2"), {PodWithPriority("a", "1", 10), PodWithPriority("b", "1", 10)});
  auto n2 = MakeNodeInfo(MakeNode("n2", "2"), {PodWithPriority("c", "1", 5), PodWithPriority("d", "1", 1)});
  auto n3 =
      MakeNodeInfo(MakeNode("n3", "2", "8Gi", "{}", R"({"taints":[{"key":"x","effect":"NoSchedule"}]})"));
  Snapshot snapshot = MakeSnapshot({n1, n2, n3});
  PodInfoPtr pod = MakePodInfo(PodWithPriority("hi", "2", 100));
  PreemptionResult r = PreemptFor(*pod, snapshot);
  EXPECT_EQ(r.node, "n2");
  ASSERT_EQ(r.victims.size(), 2u);

  // Needing only 1 cpu, the higher-priority pod on n2 is reprieved.
  PodInfoPtr small = MakePodInfo(PodWithPriority("hi", "1", 100));
  auto m1 = MakeNodeInfo(MakeNode("m1", "2"), {PodWithPriority("c", "1", 5), PodWithPriority("d", "1", 1)});
  Snapshot s2 = MakeSnapshot({m1});
  PreemptionResult r2 = PreemptFor(*small, s2);
  ASSERT_EQ(r2.victims.size(), 1u);
  EXPECT_EQ(r2.victims[0]->name, "d");
}

TEST(PreemptionTest, NoVictimsMessage) {
  auto n1 = MakeNodeInfo(MakeNode("n1", "1"), {PodWithPriority("a", "1", 100)});
  auto n2 = MakeNodeInfo(MakeNode("n2", "1", "8Gi", "{}", R"({"unschedulable":true})"));
  Snapshot snapshot = MakeSnapshot({n1, n2});
  PodInfoPtr pod = MakePodInfo(PodWithPriority("p", "1", 100));
  PreemptionResult r = PreemptFor(*pod, snapshot);
  EXPECT_TRUE(r.node.empty());
  EXPECT_EQ(r.message,
            "preemption: 0/2 nodes are available: 1 No preemption victims found for incoming pod, "
            "1 Preemption is not helpful for scheduling.");
}

TEST(PreemptionTest, AntiAffinityVictim) {
  std::string anti =
      R"({"priority":1000,"affinity":{"podAntiAffinity":{"requiredDuringSchedulingIgnoredDuringExecution":[
      {"labelSelector":{"matchLabels":{"app":"web"}},"topologyKey":"kubernetes.io/hostname"}]}}})";
  auto n1 = MakeNodeInfo(MakeNode("n1"), {MakePod("old", "", "", R"({"app":"web"})", R"({"priority":1})")});
  Snapshot snapshot = MakeSnapshot({n1});
  PodInfoPtr pod = MakePodInfo(MakePod("new", "", "", R"({"app":"web"})", anti));
  PreemptionResult r = PreemptFor(*pod, snapshot);
  EXPECT_EQ(r.node, "n1");
  ASSERT_EQ(r.victims.size(), 1u);
  EXPECT_EQ(r.victims[0]->name, "old");
}

}  // namespace
}  // namespace skiff::scheduler
