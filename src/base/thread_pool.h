// ThreadPool: up to `max_threads` worker threads running queued tasks in FIFO order. Used where
// work must block (request handlers waiting on durable storage, pod syncs, parallel writes)
// without stalling other threads. Workers start when a task finds none idle and stop after
// `idle_timeout` without work, so a pool sized for bursts costs no threads (and no stack or
// allocator cache) while the process is idle.
// Thread-safety: Submit may be called from any thread, also from a task. Ownership: the pool owns
// its threads; the destructor finishes queued tasks and joins. Never fails (tasks must not throw).
#ifndef SKIFF_BASE_THREAD_POOL_H_
#define SKIFF_BASE_THREAD_POOL_H_

#include <chrono>
#include <condition_variable>
#include <deque>
#include <functional>
#include <map>
#include <mutex>
#include <thread>
#include <vector>

namespace skiff::base {

class ThreadPool {
 public:
  explicit ThreadPool(int max_threads, std::chrono::milliseconds idle_timeout = std::chrono::seconds(10));
  ~ThreadPool();
  ThreadPool(const ThreadPool&) = delete;
  ThreadPool& operator=(const ThreadPool&) = delete;

  void Submit(std::function<void()> task);
  // Workers alive now (for tests and footprint figures).
  int threads() const;

 private:
  void Work();

  const int max_threads_;
  const std::chrono::milliseconds idle_timeout_;
  mutable std::mutex mu_;
  std::condition_variable cv_;       // wakes workers: a task or stopping
  std::condition_variable exit_cv_;  // wakes the destructor: a worker ended
  std::deque<std::function<void()>> tasks_;
  int idle_ = 0;  // workers waiting for a task
  bool stopping_ = false;
  std::map<std::thread::id, std::thread> workers_;
  std::vector<std::thread> ended_;  // workers that returned, joined by the next Submit or the destructor
};

}  // namespace skiff::base

#endif  // SKIFF_BASE_THREAD_POOL_H_
