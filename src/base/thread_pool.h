// ThreadPool: up to `max_threads` worker threads running queued tasks in FIFO order. Used where
// work must block (request handlers waiting on durable storage, pod syncs, parallel writes)
// without stalling other threads.
//
// Workers start when a task finds none idle and end after `idle_timeout` without work, so a pool
// sized for bursts costs no threads (no stack, no allocator cache) while the process is idle.
// A task submitted while a worker is idle is handed to the worker that went idle last, woken alone
// through its own futex (base::Wakeup): one wake per task, no herd contending for the pool's lock,
// and the fewest distinct threads (warm caches) when the load needs few; the workers idle longest
// are the ones that time out. A condition variable cost an API server ~10% of its CPU under 64
// concurrent creates (wait, signal, and the woken thread's contention on the mutex).
//
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

class Wakeup;

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
  // An idle worker, on its own stack while it sleeps: Submit puts the task in `task` and wakes it.
  struct Parked {
    Wakeup* wake;
    std::function<void()>* task;
  };

  void Work();
  // Hands the calling worker's thread over for joining (mu_ held); it touches nothing of the pool
  // after the lock is released.
  void RetireLocked();

  const int max_threads_;
  const std::chrono::milliseconds idle_timeout_;
  mutable std::mutex mu_;
  std::condition_variable exit_cv_;          // wakes the destructor: a worker ended
  std::deque<std::function<void()>> tasks_;  // only while no worker is idle
  std::vector<Parked> idle_;                 // the last to go idle at the back
  bool stopping_ = false;
  std::map<std::thread::id, std::thread> workers_;
  std::vector<std::thread> ended_;  // workers that returned, joined by the next Submit or the destructor
};

}  // namespace skiff::base

#endif  // SKIFF_BASE_THREAD_POOL_H_
