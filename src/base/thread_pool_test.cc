#include "base/thread_pool.h"

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <set>
#include <thread>
#include <vector>

#include "gtest/gtest.h"

namespace skiff::base {
namespace {

using std::chrono::milliseconds;

bool WaitUntil(const std::function<bool()>& done) {
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (!done()) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::sleep_for(milliseconds(2));
  }
  return true;
}

TEST(ThreadPoolTest, StartsNoThreadUntilThereIsWork) {
  ThreadPool pool(64);
  EXPECT_EQ(pool.threads(), 0);
}

TEST(ThreadPoolTest, GrowsToMaxForBlockingTasksThenIdleWorkersEnd) {
  ThreadPool pool(4, milliseconds(50));
  std::mutex gate;
  std::unique_lock<std::mutex> closed(gate);
  std::atomic<int> running{0}, done{0};
  for (int i = 0; i < 10; ++i) {
    pool.Submit([&] {
      ++running;
      std::lock_guard<std::mutex> wait(gate);
      ++done;
    });
  }
  ASSERT_TRUE(WaitUntil([&] { return running == 4; }));
  EXPECT_EQ(pool.threads(), 4);  // never beyond the maximum
  closed.unlock();
  ASSERT_TRUE(WaitUntil([&] { return done == 10; }));
  EXPECT_TRUE(WaitUntil([&] { return pool.threads() == 0; }));  // 50 ms without work
  pool.Submit([&] { ++done; });  // and it starts again
  EXPECT_TRUE(WaitUntil([&] { return done == 11; }));
}

TEST(ThreadPoolTest, RunsInOrderOnOneWorkerAndFinishesTheQueueOnDestruction) {
  std::vector<int> order;
  {
    ThreadPool pool(1);
    for (int i = 0; i < 100; ++i) pool.Submit([&order, i] { order.push_back(i); });
  }
  ASSERT_EQ(order.size(), 100u);
  for (int i = 0; i < 100; ++i) EXPECT_EQ(order[i], i);
}

TEST(ThreadPoolTest, SequentialTasksReuseOneIdleWorker) {
  ThreadPool pool(8);
  for (int i = 0; i < 20; ++i) {
    std::atomic<bool> ran{false};
    pool.Submit([&] { ran = true; });
    ASSERT_TRUE(WaitUntil([&] { return ran.load(); }));
    // The worker may not be back to waiting yet; it never takes more than two.
    EXPECT_LE(pool.threads(), 2);
  }
}

TEST(ThreadPoolTest, RunsEveryTaskSubmittedFromManyThreads) {
  std::atomic<int> ran{0};
  {
    ThreadPool pool(4);
    std::vector<std::thread> submitters;
    for (int s = 0; s < 4; ++s) {
      submitters.emplace_back([&] {
        for (int i = 0; i < 5000; ++i) pool.Submit([&] { ran.fetch_add(1); });
      });
    }
    for (auto& t : submitters) t.join();
  }  // the destructor finishes what is queued
  EXPECT_EQ(ran.load(), 20000);
}

TEST(ThreadPoolTest, RunsAsManyTasksAtOnceAsItHasThreads) {
  constexpr int kThreads = 8;
  ThreadPool pool(kThreads);
  std::mutex mu;
  std::condition_variable cv;
  int started = 0;
  bool release = false;
  std::set<std::thread::id> ids;
  for (int i = 0; i < kThreads; ++i) {
    pool.Submit([&] {
      std::unique_lock<std::mutex> lock(mu);
      ++started;
      ids.insert(std::this_thread::get_id());
      cv.notify_all();
      cv.wait(lock, [&] { return release; });
    });
  }
  std::unique_lock<std::mutex> lock(mu);
  // Every task blocks until all have started: they can only finish if each has its own thread.
  ASSERT_TRUE(cv.wait_for(lock, std::chrono::seconds(30), [&] { return started == kThreads; }));
  EXPECT_EQ(ids.size(), static_cast<size_t>(kThreads));
  release = true;
  cv.notify_all();
}

TEST(ThreadPoolTest, TasksQueuedBehindBusyWorkersRunBeforeTheDestructorReturns) {
  std::atomic<int> ran{0};
  {
    ThreadPool pool(2);
    for (int i = 0; i < 100; ++i) {
      pool.Submit([&] {
        std::this_thread::sleep_for(std::chrono::microseconds(100));
        ran.fetch_add(1);
      });
    }
  }
  EXPECT_EQ(ran.load(), 100);
}

TEST(ThreadPoolTest, AnIdlePoolStopsPromptly) {
  auto start = std::chrono::steady_clock::now();
  { ThreadPool pool(16); }
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(10));
}

}  // namespace
}  // namespace skiff::base
