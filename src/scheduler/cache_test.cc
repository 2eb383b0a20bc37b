#include "scheduler/cache.h"

#include "gtest/gtest.h"
#include "scheduler/test_util.h"

namespace skiff::scheduler {
namespace {

PodInfoPtr Assigned(const std::string& name, const std::string& node, const std::string& cpu) {
  auto info = std::make_shared<PodInfo>(*MakePodInfo(testing::MakePod(name, cpu)));
  info->node_name = node;
  return info;
}

TEST(CacheTest, AssumeConfirmForgetAndSnapshotsAreCopyOnWrite) {
  SchedulerCache cache;
  cache.AddOrUpdateNode(testing::MakeNode("n1"));
  cache.AddOrUpdateNode(testing::MakeNode("n2"));
  Snapshot snap;
  cache.UpdateSnapshot(&snap);
  ASSERT_EQ(snap.nodes.size(), 2u);
  const NodeInfo* before = snap.Find("n1");

  ASSERT_TRUE(cache.AssumePod(Assigned("p", "n1", "1")).ok());
  EXPECT_FALSE(cache.AssumePod(Assigned("p", "n1", "1")).ok());
  EXPECT_EQ(before->requested().milli_cpu, 0);  // the old snapshot version is untouched
  cache.UpdateSnapshot(&snap);
  EXPECT_EQ(snap.Find("n1")->requested().milli_cpu, 1000);
  EXPECT_TRUE(cache.IsAssumed("default/p"));

  // The informer confirms the binding (possibly on another node).
  cache.AddOrUpdatePod(Assigned("p", "n2", "1"));
  EXPECT_FALSE(cache.IsAssumed("default/p"));
  cache.UpdateSnapshot(&snap);
  EXPECT_EQ(snap.Find("n1")->requested().milli_cpu, 0);
  EXPECT_EQ(snap.Find("n2")->requested().milli_cpu, 1000);

  ASSERT_TRUE(cache.AssumePod(Assigned("q", "n1", "2")).ok());
  cache.ForgetPod("default/q");
  cache.UpdateSnapshot(&snap);
  EXPECT_EQ(snap.Find("n1")->pods().size(), 0u);
  EXPECT_EQ(cache.PodCount(), 1u);
}

TEST(CacheTest, ExpiredAssumedPodsAndTerminalPodsLeave) {
  SchedulerCache cache(absl::Seconds(30));
  cache.AddOrUpdateNode(testing::MakeNode("n1"));
  ASSERT_TRUE(cache.AssumePod(Assigned("p", "n1", "1")).ok());
  absl::Time t0 = absl::FromUnixSeconds(100);
  cache.CleanupExpiredAssumedPods(t0 + absl::Hours(1));  // binding not finished: kept
  EXPECT_EQ(cache.PodCount(), 1u);
  cache.FinishBinding("default/p", t0);
  cache.CleanupExpiredAssumedPods(t0 + absl::Seconds(31));
  EXPECT_EQ(cache.PodCount(), 0u);

  auto done = std::make_shared<PodInfo>(*Assigned("d", "n1", "1"));
  cache.AddOrUpdatePod(done);
  EXPECT_EQ(cache.PodCount(), 1u);
  done = std::make_shared<PodInfo>(*done);
  done->phase = "Succeeded";
  cache.AddOrUpdatePod(done);
  EXPECT_EQ(cache.PodCount(), 0u);
}

TEST(CacheTest, NodeRemovalLeavesSnapshot) {
  SchedulerCache cache;
  cache.AddOrUpdateNode(testing::MakeNode("n1"));
  cache.AddOrUpdateNode(testing::MakeNode("n2"));
  cache.AddOrUpdateNode(testing::MakeNode("n3"));
  Snapshot snap;
  cache.UpdateSnapshot(&snap);
  cache.RemoveNode("n1");
  cache.UpdateSnapshot(&snap);
  ASSERT_EQ(snap.nodes.size(), 2u);
  EXPECT_EQ(snap.Find("n1"), nullptr);
  EXPECT_EQ(snap.Find("n3")->name(), "n3");
  EXPECT_EQ(snap.Find("n2")->name(), "n2");
}

}  // namespace
}  // namespace skiff::scheduler
