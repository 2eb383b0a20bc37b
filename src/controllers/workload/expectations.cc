#include "controllers/workload/expectations.h"

#include "api/object_meta.h"
#include "client/informer.h"
#include "controllers/workload/workload_util.h"

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

std::vector<std::string> Expectations::PodAdded(const std::string& key, const boost::json::value& pod) {
  if (key.empty()) return {};
  if (api::IsBeingDeleted(pod)) {
    DeletionObserved(key, client::KeyOf(pod));
  } else {
    CreationObserved(key);
  }
  return {key};
}

std::vector<std::string> Expectations::PodUpdated(const std::string& old_key, const std::string& key,
                                                  const boost::json::value& pod) {
  if (!key.empty() && api::IsBeingDeleted(pod)) DeletionObserved(key, client::KeyOf(pod));
  std::vector<std::string> keys;
  if (!key.empty()) keys.push_back(key);
  if (!old_key.empty() && old_key != key) keys.push_back(old_key);
  return keys;
}

std::vector<std::string> Expectations::PodDeleted(const std::string& key, const boost::json::value& pod) {
  if (key.empty()) return {};
  DeletionObserved(key, client::KeyOf(pod));
  return {key};
}

}  // namespace skiff::controllers
