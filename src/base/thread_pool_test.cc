#include "base/thread_pool.h"

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <set>
#include <thread>

#include "gtest/gtest.h"

namespace skiff::base {
namespace {

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
