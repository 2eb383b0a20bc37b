#include "scheduler/queue.h"

#include "base/testing/fake_clock.h"
#include "gtest/gtest.h"
#include "scheduler/test_util.h"

namespace skiff::scheduler {
namespace {

using base::testing::FakeClock;

PodInfoPtr Pod(const std::string& name, int priority = 0) {
  return MakePodInfo(
      testing::MakePod(name, "", "", "{}", R"({"priority":)" + std::to_string(priority) + "}"));
}

class QueueTest : public ::testing::Test {
 protected:
  QueueTest()
      : queue_(SchedulingQueue::Options{absl::Seconds(1), absl::Seconds(10), absl::Minutes(5), &clock_}) {}
  std::string PopKey() {
    QueuedPod q;
    return queue_.Pop(&q, absl::ZeroDuration()) ? q.info->key : "";
  }
  FakeClock clock_{absl::FromUnixSeconds(1000000)};
  SchedulingQueue queue_;
};

TEST_F(QueueTest, PopsByPriorityThenArrival) {
  queue_.Add(Pod("low", 0));
  clock_.Advance(absl::Seconds(1));
  queue_.Add(Pod("high", 100));
  queue_.Add(Pod("low2", 0));
  queue_.Add(Pod("low", 0));  // duplicate add ignored
  EXPECT_EQ(PopKey(), "default/high");
  EXPECT_EQ(PopKey(), "default/low");
  EXPECT_EQ(PopKey(), "default/low2");
  EXPECT_EQ(PopKey(), "");
}

TEST_F(QueueTest, UnschedulablePodsWaitForARelevantEventThenBackoff) {
  queue_.Add(Pod("p"));
  QueuedPod q;
  ASSERT_TRUE(queue_.Pop(&q, absl::ZeroDuration()));
  q.failed_plugins = {"NodeResourcesFit"};
  queue_.AddUnschedulable(q);
  EXPECT_EQ(queue_.NumUnschedulable(), 1u);
  queue_.OnClusterEvent(ClusterEvent::kAssignedPodAdd);  // irrelevant for resources
  EXPECT_EQ(queue_.NumUnschedulable(), 1u);
  queue_.OnClusterEvent(ClusterEvent::kAssignedPodDelete);
  EXPECT_EQ(queue_.NumUnschedulable(), 0u);
  EXPECT_EQ(queue_.NumBackoff(), 1u);  // 1 s backoff not over yet
  EXPECT_EQ(PopKey(), "");
  clock_.Advance(absl::Seconds(1));
  EXPECT_EQ(PopKey(), "default/p");
}

TEST_F(QueueTest, EventDuringAttemptSendsPodToBackoffNotUnschedulable) {
  queue_.Add(Pod("p"));
  QueuedPod q;
  ASSERT_TRUE(queue_.Pop(&q, absl::ZeroDuration()));
  queue_.OnClusterEvent(ClusterEvent::kNodeAdd);
  q.failed_plugins = {"NodeResourcesFit"};
  queue_.AddUnschedulable(q);
  EXPECT_EQ(queue_.NumUnschedulable(), 0u);
  EXPECT_EQ(queue_.NumBackoff(), 1u);
}

TEST_F(QueueTest, BackoffDoublesUpToTheMaximum) {
  queue_.Add(Pod("p"));
  QueuedPod q;
  for (int attempt = 1; attempt <= 6; ++attempt) {
    ASSERT_TRUE(queue_.Pop(&q, absl::ZeroDuration())) << attempt;
    queue_.AddBackoff(q);
    absl::Duration expected = std::min(absl::Seconds(1 << (attempt - 1)), absl::Seconds(10));
    clock_.Advance(expected - absl::Milliseconds(1));
    EXPECT_EQ(PopKey(), "") << attempt;
    clock_.Advance(absl::Milliseconds(1));
  }
}

TEST_F(QueueTest, DeleteAndUpdate) {
  queue_.Add(Pod("a"));
  queue_.Delete("default/a");
  EXPECT_EQ(PopKey(), "");
  queue_.Add(Pod("b", 0));
  queue_.Add(Pod("c", 5));
  queue_.Update(Pod("b", 10));  // priority change reorders
  EXPECT_EQ(PopKey(), "default/b");
  // A pod deleted while in flight is dropped when it comes back.
  QueuedPod q;
  ASSERT_TRUE(queue_.Pop(&q, absl::ZeroDuration()));
  queue_.Delete(q.info->key);
  queue_.AddUnschedulable(q);
  EXPECT_FALSE(queue_.Contains("default/c"));
}

TEST_F(QueueTest, StaleUnschedulablePodsAreFlushed) {
  queue_.Add(Pod("p"));
  QueuedPod q;
  ASSERT_TRUE(queue_.Pop(&q, absl::ZeroDuration()));
  q.failed_plugins = {"TaintToleration"};
  queue_.AddUnschedulable(q);
  clock_.Advance(absl::Minutes(5) + absl::Seconds(1));
  EXPECT_EQ(PopKey(), "default/p");
}

}  // namespace
}  // namespace skiff::scheduler
