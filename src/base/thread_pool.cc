#include "base/thread_pool.h"

#include "base/wakeup.h"

namespace skiff::base {

ThreadPool::ThreadPool(int threads) {
  threads_.reserve(threads);
  idle_.reserve(threads);
  for (int i = 0; i < threads; ++i) threads_.emplace_back([this] { Work(); });
}

ThreadPool::~ThreadPool() {
  std::vector<Parked> idle;
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopping_ = true;
    idle.swap(idle_);
  }
  // Woken without a task, they end; busy workers drain the queue first, then see stopping_.
  for (const Parked& parked : idle) parked.wake->Notify();
  for (auto& t : threads_) t.join();
}

void ThreadPool::Submit(std::function<void()> task) {
  Wakeup* wake = nullptr;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (idle_.empty() || stopping_) {
      tasks_.push_back(std::move(task));
      return;
    }
    Parked parked = idle_.back();
    idle_.pop_back();
    *parked.task = std::move(task);
    wake = parked.wake;
  }
  wake->Notify();  // the worker owns the Wakeup but waits for this call before it returns
}

void ThreadPool::Work() {
  for (;;) {
    std::function<void()> task;
    Wakeup wake;
    bool parked = false;
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (!tasks_.empty()) {
        task = std::move(tasks_.front());
        tasks_.pop_front();
      } else if (stopping_) {
        return;
      } else {
        idle_.push_back(Parked{&wake, &task});
        parked = true;
      }
    }
    if (parked) wake.Wait();  // Submit sets `task` before the Notify that ends this wait
    if (!task) continue;      // woken by the destructor: drain what is queued, then end
    task();
  }
}

}  // namespace skiff::base
