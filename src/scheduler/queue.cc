#include "scheduler/queue.h"

#include <algorithm>
#include <utility>
#include <vector>

namespace skiff::scheduler {
namespace {

constexpr absl::Duration kUnschedulableFlushPeriod = absl::Seconds(30);
constexpr absl::Duration kMaxWait = absl::Milliseconds(200);

uint32_t Bit(ClusterEvent e) { return 1u << static_cast<int>(e); }

}  // namespace

SchedulingQueue::SchedulingQueue(Options options)
    : options_(options), clock_(options.clock != nullptr ? options.clock : &base::RealClock()) {
  last_unschedulable_flush_ = Now();
}

absl::Duration SchedulingQueue::BackoffFor(int attempts) const {
  absl::Duration d = options_.initial_backoff;
  for (int i = 1; i < attempts && d < options_.max_backoff; ++i) d *= 2;
  return std::min(d, options_.max_backoff);
}

bool SchedulingQueue::Relevant(ClusterEvent event, const std::set<std::string>& failed) {
  if (failed.empty()) return true;
  auto any = [&](std::initializer_list<const char*> plugins) {
    return std::any_of(plugins.begin(), plugins.end(), [&](const char* p) { return failed.count(p) != 0; });
  };
  switch (event) {
    case ClusterEvent::kNodeAdd:
    case ClusterEvent::kNodeUpdate:
      return true;
    case ClusterEvent::kAssignedPodDelete:
      return any({"NodeResourcesFit", "NodePorts", "InterPodAffinity", "PodTopologySpread"});
    case ClusterEvent::kAssignedPodAdd:
    case ClusterEvent::kAssignedPodUpdate:
      return any({"InterPodAffinity", "PodTopologySpread"});
    case ClusterEvent::kVolumeChange:
      return any({"VolumeBinding"});
  }
  return true;
}

void SchedulingQueue::PushActiveLocked(QueuedPod pod) {
  std::string key = pod.info->key;
  active_order_.insert(ActiveKey{pod.info->priority, pod.arrival, key});
  active_[key] = std::move(pod);
  cv_.notify_one();
}

void SchedulingQueue::PushBackoffLocked(QueuedPod pod, absl::Time until) {
  std::string key = pod.info->key;
  backoff_order_.emplace(until, key);
  backoff_[key] = {std::move(pod), until};
  cv_.notify_one();  // the waiter recomputes its deadline
}

void SchedulingQueue::RequeueLocked(QueuedPod pod, absl::Time failed_at) {
  absl::Time until = failed_at + BackoffFor(pod.attempts);
  if (until <= Now()) {
    PushActiveLocked(std::move(pod));
  } else {
    PushBackoffLocked(std::move(pod), until);
  }
}

bool SchedulingQueue::RemoveLocked(const std::string& key) {
  if (auto it = active_.find(key); it != active_.end()) {
    active_order_.erase(ActiveKey{it->second.info->priority, it->second.arrival, key});
    active_.erase(it);
    return true;
  }
  if (auto it = backoff_.find(key); it != backoff_.end()) {
    auto range = backoff_order_.equal_range(it->second.second);
    for (auto b = range.first; b != range.second; ++b) {
      if (b->second == key) {
        backoff_order_.erase(b);
        break;
      }
    }
    backoff_.erase(it);
    return true;
  }
  return unschedulable_.erase(key) != 0;
}

void SchedulingQueue::Add(PodInfoPtr pod) {
  std::lock_guard<std::mutex> lock(mu_);
  const std::string& key = pod->key;
  if (active_.count(key) || backoff_.count(key) || unschedulable_.count(key) || in_flight_.count(key)) return;
  PushActiveLocked(QueuedPod{std::move(pod), 0, Now(), {}});
}

void SchedulingQueue::Update(PodInfoPtr pod, bool may_fit_now) {
  std::lock_guard<std::mutex> lock(mu_);
  const std::string key = pod->key;
  if (auto it = in_flight_.find(key); it != in_flight_.end()) {
    it->second.updated = std::move(pod);
    return;
  }
  if (auto it = active_.find(key); it != active_.end()) {
    active_order_.erase(ActiveKey{it->second.info->priority, it->second.arrival, key});
    QueuedPod q = std::move(it->second);
    active_.erase(it);
    q.info = std::move(pod);
    PushActiveLocked(std::move(q));
    return;
  }
  if (auto it = backoff_.find(key); it != backoff_.end()) {
    it->second.first.info = std::move(pod);
    return;
  }
  if (auto it = unschedulable_.find(key); it != unschedulable_.end()) {
    if (!may_fit_now) {
      it->second.first.info = std::move(pod);
      return;
    }
    // The pod itself changed: it may fit now.
    auto [q, failed_at] = std::move(it->second);
    unschedulable_.erase(it);
    q.info = std::move(pod);
    RequeueLocked(std::move(q), failed_at);
    return;
  }
  PushActiveLocked(QueuedPod{std::move(pod), 0, Now(), {}});
}

void SchedulingQueue::Delete(const std::string& key) {
  std::lock_guard<std::mutex> lock(mu_);
  if (auto it = in_flight_.find(key); it != in_flight_.end()) it->second.deleted = true;
  RemoveLocked(key);
}

void SchedulingQueue::FlushLocked() {
  absl::Time now = Now();
  while (!backoff_order_.empty() && backoff_order_.begin()->first <= now) {
    std::string key = backoff_order_.begin()->second;
    backoff_order_.erase(backoff_order_.begin());
    auto it = backoff_.find(key);
    if (it == backoff_.end()) continue;
    QueuedPod q = std::move(it->second.first);
    backoff_.erase(it);
    PushActiveLocked(std::move(q));
  }
  if (now - last_unschedulable_flush_ < kUnschedulableFlushPeriod) return;
  last_unschedulable_flush_ = now;
  std::vector<std::string> stale;
  for (const auto& [key, entry] : unschedulable_) {
    if (now - entry.second >= options_.max_unschedulable) stale.push_back(key);
  }
  for (const auto& key : stale) {
    auto node = unschedulable_.extract(key);
    RequeueLocked(std::move(node.mapped().first), node.mapped().second);
  }
}

bool SchedulingQueue::Pop(QueuedPod* out, absl::Duration timeout) {
  std::unique_lock<std::mutex> lock(mu_);
  const absl::Time deadline = timeout == absl::InfiniteDuration() ? absl::InfiniteFuture() : Now() + timeout;
  while (true) {
    FlushLocked();
    if (closed_) return false;
    if (!active_order_.empty()) {
      ActiveKey top = *active_order_.begin();
      active_order_.erase(active_order_.begin());
      auto it = active_.find(top.key);
      *out = std::move(it->second);
      active_.erase(it);
      in_flight_[top.key] = InFlight{};
      return true;
    }
    absl::Time now = Now();
    if (now >= deadline) return false;
    absl::Duration wait = std::min(kMaxWait, deadline - now);
    if (!backoff_order_.empty())
      wait = std::min(wait, std::max(absl::ZeroDuration(), backoff_order_.begin()->first - now));
    cv_.wait_for(lock, absl::ToChronoNanoseconds(std::max(wait, absl::Milliseconds(1))));
  }
}

void SchedulingQueue::AddUnschedulable(QueuedPod pod) {
  std::lock_guard<std::mutex> lock(mu_);
  const std::string key = pod.info->key;
  InFlight flight;
  if (auto it = in_flight_.find(key); it != in_flight_.end()) {
    flight = std::move(it->second);
    in_flight_.erase(it);
  }
  if (flight.deleted || active_.count(key) || backoff_.count(key) || unschedulable_.count(key)) return;
  ++pod.attempts;
  bool moved = flight.updated != nullptr;
  if (flight.updated != nullptr) pod.info = std::move(flight.updated);
  for (int e = 0; e <= static_cast<int>(ClusterEvent::kVolumeChange); ++e) {
    if ((flight.events & (1u << e)) != 0 && Relevant(static_cast<ClusterEvent>(e), pod.failed_plugins))
      moved = true;
  }
  if (moved) {
    absl::Time until = Now() + BackoffFor(pod.attempts);
    PushBackoffLocked(std::move(pod), until);
  } else {
    unschedulable_[key] = {std::move(pod), Now()};
  }
}

void SchedulingQueue::AddBackoff(QueuedPod pod) {
  std::lock_guard<std::mutex> lock(mu_);
  const std::string key = pod.info->key;
  InFlight flight;
  if (auto it = in_flight_.find(key); it != in_flight_.end()) {
    flight = std::move(it->second);
    in_flight_.erase(it);
  }
  if (flight.deleted || active_.count(key) || backoff_.count(key) || unschedulable_.count(key)) return;
  ++pod.attempts;
  if (flight.updated != nullptr) pod.info = std::move(flight.updated);
  absl::Time until = Now() + BackoffFor(pod.attempts);
  PushBackoffLocked(std::move(pod), until);
}

void SchedulingQueue::Done(const std::string& key) {
  std::lock_guard<std::mutex> lock(mu_);
  in_flight_.erase(key);
}

void SchedulingQueue::OnClusterEvent(ClusterEvent event) {
  std::lock_guard<std::mutex> lock(mu_);
  for (auto& [key, flight] : in_flight_) flight.events |= Bit(event);
  std::vector<std::string> moving;
  for (const auto& [key, entry] : unschedulable_) {
    if (Relevant(event, entry.first.failed_plugins)) moving.push_back(key);
  }
  for (const auto& key : moving) {
    auto node = unschedulable_.extract(key);
    RequeueLocked(std::move(node.mapped().first), node.mapped().second);
  }
}

void SchedulingQueue::Close() {
  std::lock_guard<std::mutex> lock(mu_);
  closed_ = true;
  cv_.notify_all();
}

size_t SchedulingQueue::NumActive() const {
  std::lock_guard<std::mutex> lock(mu_);
  return active_.size();
}

size_t SchedulingQueue::NumBackoff() const {
  std::lock_guard<std::mutex> lock(mu_);
  return backoff_.size();
}

size_t SchedulingQueue::NumUnschedulable() const {
  std::lock_guard<std::mutex> lock(mu_);
  return unschedulable_.size();
}

bool SchedulingQueue::Contains(const std::string& key) const {
  std::lock_guard<std::mutex> lock(mu_);
  return active_.count(key) || backoff_.count(key) || unschedulable_.count(key);
}

}  // namespace skiff::scheduler
