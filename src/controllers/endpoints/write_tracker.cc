#include "controllers/endpoints/write_tracker.h"

#include <charconv>

#include "absl/time/clock.h"
#include "api/object_meta.h"
#include "base/json.h"

namespace skiff::controllers::endpoints {
namespace {

// The resourceVersion as a number, 0 when it is not one.
int64_t Revision(const boost::json::value& obj) {
  std::string rv = api::ResourceVersion(obj);
  int64_t out = 0;
  auto [ptr, ec] = std::from_chars(rv.data(), rv.data() + rv.size(), out);
  if (ec != std::errc() || ptr != rv.data() + rv.size() || out < 0) return 0;
  return out;
}

}  // namespace

void WriteTracker::Wrote(const std::string& key, const boost::json::value& written) {
  std::lock_guard<std::mutex> lock(mu_);
  expected_[key][api::Name(written)] = {Revision(written), absl::Now() + ttl_};
}

void WriteTracker::Deleted(const std::string& key, const std::string& name) {
  std::lock_guard<std::mutex> lock(mu_);
  expected_[key][name] = {-1, absl::Now() + ttl_};
}

void WriteTracker::Observed(const std::string& key, const boost::json::value& obj, bool deleted) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = expected_.find(key);
  if (it == expected_.end()) return;
  auto e = it->second.find(api::Name(obj));
  if (e == it->second.end()) return;
  // A deletion settles any expectation: the next reconcile recomputes from what is left.
  if (deleted || (e->second.resource_version >= 0 && Revision(obj) >= e->second.resource_version)) {
    it->second.erase(e);
    if (it->second.empty()) expected_.erase(it);
  }
}

bool WriteTracker::Satisfied(const Expectation& e, const client::Object& cached) const {
  if (e.resource_version < 0) return cached == nullptr;
  return cached != nullptr && Revision(*cached) >= e.resource_version;
}

bool WriteTracker::Stale(const std::string& key,
                         const std::function<client::Object(const std::string& name)>& lookup) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = expected_.find(key);
  if (it == expected_.end()) return false;
  absl::Time now = absl::Now();
  bool stale = false;
  for (auto e = it->second.begin(); e != it->second.end();) {
    if (now >= e->second.deadline || Satisfied(e->second, lookup(e->first))) {
      e = it->second.erase(e);
    } else {
      stale = true;
      ++e;
    }
  }
  if (it->second.empty()) expected_.erase(it);
  return stale;
}

void WriteTracker::Forget(const std::string& key) {
  std::lock_guard<std::mutex> lock(mu_);
  expected_.erase(key);
}

}  // namespace skiff::controllers::endpoints
