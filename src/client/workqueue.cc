#include "client/workqueue.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <condition_variable>
#include <deque>
#include <map>
#include <mutex>
#include <set>

namespace skiff::client {

class WorkQueue::Impl {
 public:
  explicit Impl(Options options)
      : options_(options),
        clock_(options.clock ? options.clock : &base::RealClock()),
        tokens_(static_cast<double>(options.burst)),
        last_refill_(clock_->Now()) {}

  void Add(const std::string& key) {
    std::lock_guard<std::mutex> lock(mu_);
    waiting_.erase(key);
    AddLocked(key);
  }

  void AddAfter(const std::string& key, absl::Duration delay) {
    std::lock_guard<std::mutex> lock(mu_);
    if (shut_down_) return;
    if (delay <= absl::ZeroDuration()) {
      waiting_.erase(key);
      AddLocked(key);
      return;
    }
    absl::Time at = clock_->Now() + delay;
    auto it = waiting_.find(key);
    if (it == waiting_.end()) {
      waiting_.emplace(key, at);
    } else {
      it->second = std::min(it->second, at);
    }
    cv_.notify_all();
  }

  void AddRateLimited(const std::string& key) {
    absl::Duration delay;
    {
      std::lock_guard<std::mutex> lock(mu_);
      int failures = failures_[key]++;
      double factor = std::ldexp(1.0, std::min(failures, 62));
      absl::Duration backoff = std::min(options_.base_delay * factor, options_.max_delay);
      delay = std::max(backoff, ReserveTokenLocked());
    }
    AddAfter(key, delay);
  }

  void Forget(const std::string& key) {
    std::lock_guard<std::mutex> lock(mu_);
    failures_.erase(key);
  }

  int NumRequeues(const std::string& key) const {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = failures_.find(key);
    return it == failures_.end() ? 0 : it->second;
  }

  bool Get(std::string* key) {
    std::unique_lock<std::mutex> lock(mu_);
    for (;;) {
      if (shut_down_) return false;
      absl::Time next = PromoteDueLocked();
      if (!queue_.empty()) {
        *key = std::move(queue_.front());
        queue_.pop_front();
        dirty_.erase(*key);
        processing_.insert(*key);
        return true;
      }
      if (next == absl::InfiniteFuture()) {
        cv_.wait(lock);
      } else {
        absl::Duration wait = next - clock_->Now();
        // An injected clock moves on its own schedule: poll it.
        if (options_.clock) wait = std::min(wait, absl::Milliseconds(5));
        cv_.wait_for(lock, absl::ToChronoNanoseconds(std::max(wait, absl::Microseconds(100))));
      }
    }
  }

  void Done(const std::string& key) {
    std::lock_guard<std::mutex> lock(mu_);
    processing_.erase(key);
    if (dirty_.count(key)) {
      queue_.push_back(key);
      cv_.notify_one();
    }
  }

  void ShutDown() {
    std::lock_guard<std::mutex> lock(mu_);
    shut_down_ = true;
    cv_.notify_all();
  }

  size_t Len() {
    std::lock_guard<std::mutex> lock(mu_);
    PromoteDueLocked();
    return queue_.size();
  }

 private:
  void AddLocked(const std::string& key) {
    if (shut_down_ || dirty_.count(key)) return;
    dirty_.insert(key);
    // A key being processed is queued again by Done, never handed to a second worker.
    if (processing_.count(key)) return;
    queue_.push_back(key);
    cv_.notify_one();
  }

  // Moves due delayed keys into the queue; returns when the next one is due.
  absl::Time PromoteDueLocked() {
    absl::Time now = clock_->Now();
    absl::Time next = absl::InfiniteFuture();
    for (auto it = waiting_.begin(); it != waiting_.end();) {
      if (it->second <= now) {
        std::string key = it->first;
        it = waiting_.erase(it);
        AddLocked(key);
      } else {
        next = std::min(next, it->second);
        ++it;
      }
    }
    return next;
  }

  // Token bucket over every rate-limited re-add: how long until this one's token is available.
  absl::Duration ReserveTokenLocked() {
    if (options_.retries_per_second <= 0) return absl::ZeroDuration();
    absl::Time now = clock_->Now();
    double elapsed = absl::ToDoubleSeconds(now - last_refill_);
    if (elapsed > 0) {
      tokens_ =
          std::min(static_cast<double>(options_.burst), tokens_ + elapsed * options_.retries_per_second);
      last_refill_ = now;
    }
    tokens_ -= 1;
    if (tokens_ >= 0) return absl::ZeroDuration();
    return absl::Seconds(-tokens_ / options_.retries_per_second);
  }

  const Options options_;
  const base::Clock* clock_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::string> queue_;
  std::set<std::string> dirty_;       // queued or waiting for Done
  std::set<std::string> processing_;  // handed out by Get, not yet Done
  std::map<std::string, absl::Time> waiting_;
  std::map<std::string, int> failures_;
  double tokens_;
  absl::Time last_refill_;
  bool shut_down_ = false;
};

WorkQueue::WorkQueue() : WorkQueue(Options{}) {}
WorkQueue::WorkQueue(Options options) : impl_(std::make_unique<Impl>(options)) {}
WorkQueue::~WorkQueue() { ShutDown(); }

void WorkQueue::Add(const std::string& key) { impl_->Add(key); }
void WorkQueue::AddAfter(const std::string& key, absl::Duration delay) { impl_->AddAfter(key, delay); }
void WorkQueue::AddRateLimited(const std::string& key) { impl_->AddRateLimited(key); }
void WorkQueue::Forget(const std::string& key) { impl_->Forget(key); }
int WorkQueue::NumRequeues(const std::string& key) const { return impl_->NumRequeues(key); }
bool WorkQueue::Get(std::string* key) { return impl_->Get(key); }
void WorkQueue::Done(const std::string& key) { impl_->Done(key); }
void WorkQueue::ShutDown() { impl_->ShutDown(); }
size_t WorkQueue::Len() const { return impl_->Len(); }

}  // namespace skiff::client
