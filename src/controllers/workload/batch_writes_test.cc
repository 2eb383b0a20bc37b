#include "controllers/workload/batch_writes.h"

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <set>
#include <vector>

#include "gtest/gtest.h"

namespace skiff::controllers {
namespace {

TEST(RunParallelTest, RunsEveryIndexOnce) {
  base::ThreadPool pool(4);
  std::mutex mu;
  std::multiset<int> seen;
  RunParallel(pool, 50, [&](int i) {
    std::lock_guard<std::mutex> lock(mu);
    seen.insert(i);
  });
  ASSERT_EQ(seen.size(), 50u);
  for (int i = 0; i < 50; ++i) EXPECT_EQ(seen.count(i), 1u) << i;
}

TEST(SlowStartBatchTest, DoublesBatchesUpToTheRemainder) {
  base::ThreadPool pool(8);
  std::atomic<int> calls{0};
  SlowStartResult r = SlowStartBatch(pool, 20, 1, [&](int) {
    ++calls;
    return absl::OkStatus();
  });
  EXPECT_EQ(calls.load(), 20);  // 1 + 2 + 4 + 8 + 5
  EXPECT_EQ(r.successes, 20);
  EXPECT_EQ(r.attempted, 20);
  EXPECT_TRUE(r.error.ok());
}

TEST(SlowStartBatchTest, CallsOfABatchRunConcurrently) {
  base::ThreadPool pool(8);
  // Each call of the batch of 4 (indexes 3..6) waits until all four are in flight together.
  std::mutex mu;
  std::condition_variable cv;
  int in_flight = 0;
  std::atomic<int> met{0};
  SlowStartResult r = SlowStartBatch(pool, 7, 1, [&](int i) {
    if (i < 3) return absl::OkStatus();
    std::unique_lock<std::mutex> lock(mu);
    ++in_flight;
    cv.notify_all();
    if (cv.wait_for(lock, std::chrono::seconds(5), [&] { return in_flight == 4; })) ++met;
    return absl::OkStatus();
  });
  EXPECT_EQ(r.successes, 7);
  EXPECT_EQ(met.load(), 4);
}

TEST(SlowStartBatchTest, StopsAfterTheFirstBatchWithAFailure) {
  base::ThreadPool pool(8);
  std::atomic<int> calls{0};
  // Index 5 is in the third batch (3..6): that batch runs fully, no later batch starts.
  SlowStartResult r = SlowStartBatch(pool, 100, 1, [&](int i) {
    ++calls;
    return i == 5 ? absl::InternalError("boom") : absl::OkStatus();
  });
  EXPECT_EQ(calls.load(), 7);
  EXPECT_EQ(r.attempted, 7);
  EXPECT_EQ(r.successes, 6);
  EXPECT_EQ(r.error.message(), "boom");
}

TEST(SlowStartBatchTest, ZeroCountMakesNoCalls) {
  base::ThreadPool pool(2);
  SlowStartResult r = SlowStartBatch(pool, 0, 1, [&](int) { return absl::InternalError("never"); });
  EXPECT_EQ(r.attempted, 0);
  EXPECT_TRUE(r.error.ok());
}

}  // namespace
}  // namespace skiff::controllers
