// Expectations: what a controller is still waiting to see in its informer cache after its own
// writes (k8s ControllerExpectations / UIDTrackingControllerExpectations). After creating N pods
// a ReplicaSet must not act on a cache that does not yet show them, or it would create them
// again; after deleting pods it waits until each deletion is observed. Expectations older than
// the TTL (5 minutes) count as satisfied, so a lost event cannot wedge a controller.
// Thread-safety: all methods are safe from any thread (one mutex). Ownership: borrows the Clock.
// Never fails.
#ifndef SKIFF_CONTROLLERS_WORKLOAD_EXPECTATIONS_H_
#define SKIFF_CONTROLLERS_WORKLOAD_EXPECTATIONS_H_

#include <map>
#include <mutex>
#include <set>
#include <string>
#include <vector>

#include "absl/time/time.h"
#include "base/clock.h"
#include "boost/json/value.hpp"

namespace skiff::controllers {

class Expectations {
 public:
  explicit Expectations(const base::Clock* clock, absl::Duration ttl = absl::Minutes(5))
      : clock_(clock), ttl_(ttl) {}

  // True when the controller may act for `key`: nothing pending, the pending writes were all
  // observed, the record expired, or there was never a record.
  bool Satisfied(const std::string& key) const;
  // Replaces the record with `adds` pending creations.
  void ExpectCreations(const std::string& key, int adds);
  // Replaces the record with pending deletions of these pod keys.
  void ExpectDeletions(const std::string& key, const std::set<std::string>& pod_keys);
  void CreationObserved(const std::string& key);
  // Observing the same pod's deletion twice counts once.
  void DeletionObserved(const std::string& key, const std::string& pod_key);
  // Forgets the record (the owner is gone).
  void Delete(const std::string& key);
  // The pod-event side for controllers that find their pods by controllerRef (Job, DaemonSet):
  // `key` is the pod's owner key ("" = none). Each notes the creation or deletion the event shows
  // and returns the owner keys to enqueue; an update also the old owner's if the pod changed owner.
  std::vector<std::string> PodAdded(const std::string& key, const boost::json::value& pod);
  std::vector<std::string> PodUpdated(const std::string& old_key, const std::string& key,
                                      const boost::json::value& pod);
  std::vector<std::string> PodDeleted(const std::string& key, const boost::json::value& pod);
  // Pending (creations, deletions) for tests and diagnostics.
  std::pair<int, int> Pending(const std::string& key) const;

 private:
  struct Record {
    int adds = 0;
    std::set<std::string> deletes;
    absl::Time set_at;
  };
  const base::Clock* clock_;
  absl::Duration ttl_;
  mutable std::mutex mu_;
  std::map<std::string, Record> records_;
};

}  // namespace skiff::controllers

#endif  // SKIFF_CONTROLLERS_WORKLOAD_EXPECTATIONS_H_
