#include "agent/pods/crash_backoff.h"

#include <algorithm>

namespace skiff::agent::pods {

CrashBackoff::CrashBackoff(const base::Clock* clock, absl::Duration initial, absl::Duration max)
    : clock_(clock), initial_(initial), max_(max) {}

bool CrashBackoff::IsInBackoffSince(const std::string& key, absl::Time event_time) const {
  std::lock_guard lock(mu_);
  auto it = entries_.find(key);
  if (it == entries_.end() || Expired(it->second, event_time)) return false;
  return clock_->Now() - event_time < it->second.delay;
}

bool CrashBackoff::IsInBackoffSinceUpdate(const std::string& key) const {
  std::lock_guard lock(mu_);
  auto it = entries_.find(key);
  if (it == entries_.end()) return false;
  absl::Time now = clock_->Now();
  if (Expired(it->second, now)) return false;
  return now - it->second.last_update < it->second.delay;
}

absl::Time CrashBackoff::ReadyAtSinceUpdate(const std::string& key) const {
  std::lock_guard lock(mu_);
  auto it = entries_.find(key);
  return it == entries_.end() ? clock_->Now() : it->second.last_update + it->second.delay;
}

void CrashBackoff::Next(const std::string& key, absl::Time event_time) {
  std::lock_guard lock(mu_);
  auto it = entries_.find(key);
  if (it == entries_.end() || Expired(it->second, event_time)) {
    entries_[key] = Entry{initial_, clock_->Now()};
    return;
  }
  it->second.delay = std::min(it->second.delay * 2, max_);
  it->second.last_update = clock_->Now();
}

absl::Duration CrashBackoff::Get(const std::string& key) const {
  std::lock_guard lock(mu_);
  auto it = entries_.find(key);
  return it == entries_.end() ? absl::ZeroDuration() : it->second.delay;
}

absl::Time CrashBackoff::ReadyAt(const std::string& key, absl::Time event_time) const {
  return event_time + Get(key);
}

void CrashBackoff::ForgetPrefix(const std::string& prefix) {
  std::lock_guard lock(mu_);
  for (auto it = entries_.lower_bound(prefix); it != entries_.end() && it->first.starts_with(prefix);) {
    it = entries_.erase(it);
  }
}

void CrashBackoff::GarbageCollect(absl::Duration age) {
  std::lock_guard lock(mu_);
  absl::Time now = clock_->Now();
  std::erase_if(entries_, [&](const auto& kv) { return now - kv.second.last_update > age; });
}

}  // namespace skiff::agent::pods
