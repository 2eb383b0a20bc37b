// ThreadPool: a fixed set of worker threads running queued tasks in FIFO order. Used where work
// must block (request handlers waiting on durable storage) without stalling I/O threads.
// Thread-safety: Submit may be called from any thread. Ownership: the pool owns its threads; the
// destructor finishes queued tasks and joins. Never fails (tasks must not throw).
#ifndef SKIFF_BASE_THREAD_POOL_H_
#define SKIFF_BASE_THREAD_POOL_H_

#include <condition_variable>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace skiff::base {

class ThreadPool {
 public:
  explicit ThreadPool(int threads);
  ~ThreadPool();
  ThreadPool(const ThreadPool&) = delete;
  ThreadPool& operator=(const ThreadPool&) = delete;

  void Submit(std::function<void()> task);

 private:
  void Work();

  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::function<void()>> tasks_;
  bool stopping_ = false;
  std::vector<std::thread> threads_;
};

}  // namespace skiff::base

#endif  // SKIFF_BASE_THREAD_POOL_H_
