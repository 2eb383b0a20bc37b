// WriteTracker: remembers the objects a controller has just written for a key (a Service) until
// its informer cache shows them, so a reconcile that runs before the cache caught up does not act
// on stale state (re-creating a slice it already created, or updating with an old
// resourceVersion). Like client-go's expectations / the endpointslice tracker.
// Thread-safety: every method is safe from any thread (informer handlers and workers).
// Ownership: plain value type; the lookup callback is only used during the call.
// Failure: none; an expectation that is never met expires after `ttl` so a lost event cannot wedge
// a key forever. resourceVersions are compared as integers (skiff's are revisions); a
// non-numeric one counts as caught up once the object is present.
#ifndef SKIFF_CONTROLLERS_ENDPOINTS_WRITE_TRACKER_H_
#define SKIFF_CONTROLLERS_ENDPOINTS_WRITE_TRACKER_H_

#include <functional>
#include <map>
#include <mutex>
#include <string>

#include "absl/time/time.h"
#include "boost/json/value.hpp"
#include "client/client.h"

namespace skiff::controllers::endpoints {

class WriteTracker {
 public:
  explicit WriteTracker(absl::Duration ttl = absl::Seconds(30)) : ttl_(ttl) {}

  // After a successful create/update of `name` for `key`: the object the server returned.
  void Wrote(const std::string& key, const boost::json::value& written);
  // After a successful (or 404) delete of `name` for `key`.
  void Deleted(const std::string& key, const std::string& name);
  // An informer event for an object of `key`: drops the expectations it satisfies.
  void Observed(const std::string& key, const boost::json::value& obj, bool deleted);
  // True while the cache (read through `lookup`, by object name) lags behind a write for `key`.
  // Expectations found satisfied are dropped.
  bool Stale(const std::string& key, const std::function<client::Object(const std::string& name)>& lookup);
  // Drops every expectation of `key`.
  void Forget(const std::string& key);

 private:
  struct Expectation {
    int64_t resource_version = 0;  // -1: expected gone; 0: present with a non-numeric version
    absl::Time deadline;
  };
  bool Satisfied(const Expectation& e, const client::Object& cached) const;

  absl::Duration ttl_;
  std::mutex mu_;
  std::map<std::string, std::map<std::string, Expectation>> expected_;  // key -> object name -> state
};

}  // namespace skiff::controllers::endpoints

#endif  // SKIFF_CONTROLLERS_ENDPOINTS_WRITE_TRACKER_H_
