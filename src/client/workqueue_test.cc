#include "client/workqueue.h"

#include <atomic>
#include <mutex>
#include <set>
#include <thread>
#include <vector>

#include "absl/time/clock.h"
#include "base/testing/fake_clock.h"
#include "gtest/gtest.h"

namespace skiff::client {
namespace {

using base::testing::FakeClock;

// Get() with a bound: false if nothing arrives within `wait` (real time).
bool GetWithin(WorkQueue& q, std::string* key, absl::Duration wait) {
  std::atomic<bool> got{false};
  std::thread t([&] { got = q.Get(key); });
  absl::Time deadline = absl::Now() + wait;
  while (!got && absl::Now() < deadline) absl::SleepFor(absl::Milliseconds(1));
  if (!got) q.ShutDown();  // releases the getter
  t.join();
  return got;
}

TEST(WorkQueueTest, DeduplicatesWaitingKeys) {
  WorkQueue q;
  q.Add("a");
  q.Add("b");
  q.Add("a");
  EXPECT_EQ(q.Len(), 2u);
  std::string key;
  ASSERT_TRUE(q.Get(&key));
  EXPECT_EQ(key, "a");
  ASSERT_TRUE(q.Get(&key));
  EXPECT_EQ(key, "b");
  EXPECT_EQ(q.Len(), 0u);
}

TEST(WorkQueueTest, KeyBeingProcessedIsNotHandedOutTwice) {
  WorkQueue q;
  q.Add("a");
  std::string key;
  ASSERT_TRUE(q.Get(&key));
  q.Add("a");  // arrives while "a" is processed
  EXPECT_EQ(q.Len(), 0u);
  std::string other;
  EXPECT_FALSE(GetWithin(q, &other, absl::Milliseconds(50)));
}

TEST(WorkQueueTest, ReAddDuringProcessingIsQueuedOnDone) {
  WorkQueue q;
  q.Add("a");
  std::string key;
  ASSERT_TRUE(q.Get(&key));
  q.Add("a");
  q.Add("a");
  q.Done("a");
  EXPECT_EQ(q.Len(), 1u);
  ASSERT_TRUE(q.Get(&key));
  EXPECT_EQ(key, "a");
  q.Done("a");
  EXPECT_EQ(q.Len(), 0u);
}

TEST(WorkQueueTest, OneWorkerPerKeyUnderConcurrency) {
  WorkQueue q;
  std::mutex mu;
  std::set<std::string> active;
  std::atomic<bool> overlap{false};
  std::atomic<int> processed{0};
  std::vector<std::thread> workers;
  for (int i = 0; i < 4; ++i) {
    workers.emplace_back([&] {
      std::string key;
      while (q.Get(&key)) {
        {
          std::lock_guard<std::mutex> lock(mu);
          if (!active.insert(key).second) overlap = true;
        }
        absl::SleepFor(absl::Microseconds(200));
        {
          std::lock_guard<std::mutex> lock(mu);
          active.erase(key);
        }
        ++processed;
        q.Done(key);
      }
    });
  }
  for (int i = 0; i < 2000; ++i) q.Add(i % 2 ? "x" : "y");
  absl::SleepFor(absl::Milliseconds(50));
  q.ShutDown();
  for (auto& w : workers) w.join();
  EXPECT_FALSE(overlap);
  EXPECT_GT(processed.load(), 0);
}

TEST(WorkQueueTest, AddAfterWaitsForTheClock) {
  FakeClock clock{absl::FromUnixSeconds(1000)};
  WorkQueue::Options options;
  options.clock = &clock;
  WorkQueue q(options);
  q.AddAfter("a", absl::Seconds(10));
  q.AddAfter("a", absl::Seconds(5));  // the shorter delay wins
  std::string key;
  EXPECT_FALSE(GetWithin(q, &key, absl::Milliseconds(30)));
  WorkQueue q2(options);
  q2.AddAfter("a", absl::Seconds(10));
  q2.AddAfter("a", absl::Seconds(5));
  clock.Advance(absl::Seconds(5));
  ASSERT_TRUE(GetWithin(q2, &key, absl::Seconds(2)));
  EXPECT_EQ(key, "a");
}

TEST(WorkQueueTest, AddSupersedesAPendingDelay) {
  FakeClock clock{absl::FromUnixSeconds(1000)};
  WorkQueue::Options options;
  options.clock = &clock;
  WorkQueue q(options);
  q.AddAfter("a", absl::Hours(1));
  q.Add("a");
  std::string key;
  ASSERT_TRUE(GetWithin(q, &key, absl::Seconds(2)));
  q.Done("a");
  clock.Advance(absl::Hours(2));
  EXPECT_FALSE(GetWithin(q, &key, absl::Milliseconds(30)));
}

TEST(WorkQueueTest, PerKeyExponentialBackoff) {
  FakeClock clock{absl::FromUnixSeconds(1000)};
  WorkQueue::Options options;
  options.clock = &clock;
  options.base_delay = absl::Seconds(1);
  options.max_delay = absl::Seconds(4);
  options.retries_per_second = 0;  // no overall limit in this test
  std::string key;
  // Failures 1..4 wait 1 s, 2 s, 4 s, 4 s (capped).
  WorkQueue r(options);
  int step = 0;
  for (absl::Duration expected : {absl::Seconds(1), absl::Seconds(2), absl::Seconds(4), absl::Seconds(4)}) {
    r.AddRateLimited("k");
    EXPECT_EQ(r.NumRequeues("k"), step + 1);
    clock.Advance(expected - absl::Milliseconds(1));
    EXPECT_EQ(r.Len(), 0u) << "step " << step;
    clock.Advance(absl::Milliseconds(1));
    EXPECT_EQ(r.Len(), 1u) << "step " << step;
    ASSERT_TRUE(r.Get(&key)) << "step " << step;
    EXPECT_EQ(key, "k");
    r.Done("k");
    ++step;
  }
  r.Forget("k");
  EXPECT_EQ(r.NumRequeues("k"), 0);
}

TEST(WorkQueueTest, OverallRateLimitSpreadsRetries) {
  FakeClock clock{absl::FromUnixSeconds(1000)};
  WorkQueue::Options options;
  options.clock = &clock;
  options.base_delay = absl::ZeroDuration();
  options.retries_per_second = 10;
  options.burst = 2;
  WorkQueue q(options);
  // Two retries pass at once (the burst); the third waits 100 ms for a token, the fourth 200 ms.
  q.AddRateLimited("a");
  q.AddRateLimited("b");
  q.AddRateLimited("c");
  q.AddRateLimited("d");
  std::string key;
  ASSERT_TRUE(q.Get(&key));
  ASSERT_TRUE(q.Get(&key));
  EXPECT_EQ(q.Len(), 0u);
  clock.Advance(absl::Milliseconds(100));
  EXPECT_EQ(q.Len(), 1u);
  ASSERT_TRUE(q.Get(&key));
  EXPECT_EQ(key, "c");
  EXPECT_EQ(q.Len(), 0u);
  clock.Advance(absl::Milliseconds(100));
  ASSERT_TRUE(q.Get(&key));
  EXPECT_EQ(key, "d");
}

TEST(WorkQueueTest, ShutDownReleasesGetters) {
  WorkQueue q;
  std::atomic<bool> returned{false};
  std::thread t([&] {
    std::string key;
    EXPECT_FALSE(q.Get(&key));
    returned = true;
  });
  absl::SleepFor(absl::Milliseconds(20));
  EXPECT_FALSE(returned);
  q.ShutDown();
  t.join();
  EXPECT_TRUE(returned);
}

}  // namespace
}  // namespace skiff::client
