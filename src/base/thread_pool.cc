#include "base/thread_pool.h"

#include <algorithm>
#include <utility>

#include "absl/time/time.h"
#include "base/wakeup.h"

namespace skiff::base {

ThreadPool::ThreadPool(int max_threads, std::chrono::milliseconds idle_timeout)
    : max_threads_(std::max(1, max_threads)), idle_timeout_(idle_timeout) {}

ThreadPool::~ThreadPool() {
  std::vector<Parked> idle;
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopping_ = true;
    idle.swap(idle_);
  }
  // Woken without a task, they end; busy workers drain the queue first, then see stopping_.
  for (const Parked& parked : idle) parked.wake->Notify();
  std::vector<std::thread> ended;
  {
    std::unique_lock<std::mutex> lock(mu_);
    exit_cv_.wait(lock, [this] { return workers_.empty(); });
    ended.swap(ended_);
  }
  for (std::thread& t : ended) t.join();
}

void ThreadPool::Submit(std::function<void()> task) {
  Wakeup* wake = nullptr;
  std::vector<std::thread> ended;
  {
    std::lock_guard<std::mutex> lock(mu_);
    ended.swap(ended_);
    if (!idle_.empty() && !stopping_) {
      Parked parked = idle_.back();
      idle_.pop_back();
      *parked.task = std::move(task);
      wake = parked.wake;
    } else {
      tasks_.push_back(std::move(task));
      if (!stopping_ && static_cast<int>(workers_.size()) < max_threads_) {
        // The new worker blocks on mu_ until this registration is done.
        std::thread worker([this] { Work(); });
        std::thread::id id = worker.get_id();
        workers_.emplace(id, std::move(worker));
      }
    }
  }
  if (wake) wake->Notify();  // the worker owns the Wakeup but waits for this call before it returns
  for (std::thread& t : ended) t.join();  // already returned, or about to
}

int ThreadPool::threads() const {
  std::lock_guard<std::mutex> lock(mu_);
  return static_cast<int>(workers_.size());
}

void ThreadPool::Work() {
  const absl::Duration idle_timeout = absl::FromChrono(idle_timeout_);
  for (;;) {
    std::function<void()> task;
    Wakeup wake;
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (!tasks_.empty()) {
        task = std::move(tasks_.front());
        tasks_.pop_front();
      } else if (stopping_) {
        RetireLocked();
        return;
      } else {
        idle_.push_back(Parked{&wake, &task});
      }
    }
    if (!task && !wake.WaitFor(idle_timeout)) {
      std::unique_lock<std::mutex> lock(mu_);
      auto self = std::find_if(idle_.begin(), idle_.end(), [&](const Parked& p) { return p.wake == &wake; });
      if (self != idle_.end()) {
        // Idle too long and not claimed: end here (a later Submit starts a worker again). Leaving
        // idle_ and workers_ in one critical section keeps Submit from counting a worker that
        // will never take its task.
        idle_.erase(self);
        RetireLocked();
        return;
      }
      lock.unlock();
      wake.Wait();  // claimed by Submit or the destructor as the timeout passed: its Notify is coming
    }
    if (!task) continue;  // woken by the destructor: drain what is queued, then end
    task();
  }
}

void ThreadPool::RetireLocked() {
  auto self = workers_.find(std::this_thread::get_id());
  ended_.push_back(std::move(self->second));
  workers_.erase(self);
  exit_cv_.notify_all();
}

}  // namespace skiff::base
