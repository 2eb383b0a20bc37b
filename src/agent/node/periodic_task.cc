#include "agent/node/periodic_task.h"

#include <chrono>

namespace skiff::agent::node {

void PeriodicTask::Start() {
  std::lock_guard lock(mu_);
  if (thread_.joinable()) return;
  stopping_ = false;
  thread_ = std::thread([this] { Loop(); });
}

void PeriodicTask::Stop() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void PeriodicTask::Wake() {
  {
    std::lock_guard lock(mu_);
    woken_ = true;
  }
  cv_.notify_all();
}

void PeriodicTask::Loop() {
  std::unique_lock lock(mu_);
  while (!stopping_) {
    woken_ = false;
    lock.unlock();
    absl::Duration delay = run_();
    lock.lock();
    cv_.wait_for(lock, absl::ToChronoNanoseconds(std::max(delay, absl::ZeroDuration())),
                 [this] { return stopping_ || woken_; });
  }
}

}  // namespace skiff::agent::node
