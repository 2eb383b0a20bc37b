#include "controllers/workload/expectations.h"

namespace skiff::controllers {

bool Expectations::Satisfied(const std::string& key) const {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = records_.find(key);
  if (it == records_.end()) return true;
  const Record& r = it->second;
  if (r.adds <= 0 && r.deletes.empty()) return true;
  return clock_->Now() - r.set_at > ttl_;
}

void Expectations::ExpectCreations(const std::string& key, int adds) {
  std::lock_guard<std::mutex> lock(mu_);
  records_[key] = Record{adds, {}, clock_->Now()};
}

void Expectations::ExpectDeletions(const std::string& key, const std::set<std::string>& pod_keys) {
  std::lock_guard<std::mutex> lock(mu_);
  records_[key] = Record{0, pod_keys, clock_->Now()};
}

void Expectations::CreationObserved(const std::string& key) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = records_.find(key);
  if (it != records_.end() && it->second.adds > 0) --it->second.adds;
}

void Expectations::DeletionObserved(const std::string& key, const std::string& pod_key) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = records_.find(key);
  if (it != records_.end()) it->second.deletes.erase(pod_key);
}

void Expectations::Delete(const std::string& key) {
  std::lock_guard<std::mutex> lock(mu_);
  records_.erase(key);
}

std::pair<int, int> Expectations::Pending(const std::string& key) const {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = records_.find(key);
  if (it == records_.end()) return {0, 0};
  return {it->second.adds, static_cast<int>(it->second.deletes.size())};
}

}  // namespace skiff::controllers
