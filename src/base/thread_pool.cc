#include "base/thread_pool.h"

#include <algorithm>
#include <utility>

namespace skiff::base {

ThreadPool::ThreadPool(int max_threads, std::chrono::milliseconds idle_timeout)
    : max_threads_(std::max(1, max_threads)), idle_timeout_(idle_timeout) {}

ThreadPool::~ThreadPool() {
  std::vector<std::thread> ended;
  {
    std::unique_lock<std::mutex> lock(mu_);
    stopping_ = true;
    cv_.notify_all();
    exit_cv_.wait(lock, [this] { return workers_.empty(); });  // they finish the queue first
    ended.swap(ended_);
  }
  for (std::thread& t : ended) t.join();
}

void ThreadPool::Submit(std::function<void()> task) {
  std::vector<std::thread> ended;
  {
    std::lock_guard<std::mutex> lock(mu_);
    tasks_.push_back(std::move(task));
    ended.swap(ended_);
    // Each idle worker will take one queued task; start another only for tasks beyond those.
    if (static_cast<int>(tasks_.size()) > idle_ && static_cast<int>(workers_.size()) < max_threads_) {
      // The new worker blocks on mu_ until this registration is done.
      std::thread worker([this] { Work(); });
      std::thread::id id = worker.get_id();
      workers_.emplace(id, std::move(worker));
    }
  }
  cv_.notify_one();
  for (std::thread& t : ended) t.join();  // already returned, or about to
}

int ThreadPool::threads() const {
  std::lock_guard<std::mutex> lock(mu_);
  return static_cast<int>(workers_.size());
}

void ThreadPool::Work() {
  std::unique_lock<std::mutex> lock(mu_);
  for (;;) {
    if (tasks_.empty()) {
      if (stopping_) break;
      ++idle_;
      bool woken = cv_.wait_for(lock, idle_timeout_, [this] { return stopping_ || !tasks_.empty(); });
      --idle_;
      if (!woken) break;  // idle too long; a later Submit starts a worker again
      continue;
    }
    std::function<void()> task = std::move(tasks_.front());
    tasks_.pop_front();
    lock.unlock();
    task();
    task = nullptr;  // destroy captures outside the lock, before taking it again
    lock.lock();
  }
  // Hand this thread's handle over for joining; nothing of the pool is touched after unlocking.
  auto self = workers_.find(std::this_thread::get_id());
  ended_.push_back(std::move(self->second));
  workers_.erase(self);
  exit_cv_.notify_all();
}

}  // namespace skiff::base
