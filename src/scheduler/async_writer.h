// AsyncWriter: a pool of threads that performs the scheduler's API writes (bindings, status
// patches, events) off the scheduling loop, so write latency never stalls scheduling. Many writes
// in flight at once let the API server's storage commit them together (group commit), which is
// what batches the bindings.
// Thread-safety: Submit/WaitIdle may be called from any thread. Ownership: owns its threads; the
// destructor runs the queued writes and joins. Failure: tasks report their own errors.
#ifndef SKIFF_SCHEDULER_ASYNC_WRITER_H_
#define SKIFF_SCHEDULER_ASYNC_WRITER_H_

#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>

#include "absl/time/time.h"
#include "base/thread_pool.h"

namespace skiff::scheduler {

class AsyncWriter {
 public:
  explicit AsyncWriter(int threads) : pool_(std::make_unique<base::ThreadPool>(threads)) {}
  ~AsyncWriter() { pool_.reset(); }

  void Submit(std::function<void()> task) {
    {
      std::lock_guard<std::mutex> lock(mu_);
      ++pending_;
    }
    pool_->Submit([this, task = std::move(task)] {
      task();
      std::lock_guard<std::mutex> lock(mu_);
      if (--pending_ == 0) idle_.notify_all();
    });
  }
  // Waits until no write is queued or running; false on timeout.
  bool WaitIdle(absl::Duration timeout) {
    std::unique_lock<std::mutex> lock(mu_);
    return idle_.wait_for(lock, absl::ToChronoNanoseconds(timeout), [this] { return pending_ == 0; });
  }

 private:
  std::mutex mu_;
  std::condition_variable idle_;
  int pending_ = 0;
  std::unique_ptr<base::ThreadPool> pool_;  // last: joined before the counters die
};

}  // namespace skiff::scheduler

#endif  // SKIFF_SCHEDULER_ASYNC_WRITER_H_
