// SchedulingQueue: pods waiting to be scheduled, in three parts like kube-scheduler's:
//  * active: ready now, popped by highest priority, then earliest arrival;
//  * backoff: failed recently, waiting out a per-pod exponential backoff (1 s doubling to 10 s);
//  * unschedulable: no node fitted; they wait for a cluster event that may help (a node added or
//    changed, a pod deleted, ...) and are flushed back anyway after `max_unschedulable` (5 min).
// A pod handed out by Pop is "in flight" until Done(); if a relevant event arrives meanwhile, a
// failed attempt goes to backoff instead of unschedulable so the event is not lost.
// Thread-safety: every method is safe from any thread. Ownership: holds PodInfoPtrs.
// Failure: Pop returns false once Close() was called.
#ifndef SKIFF_SCHEDULER_QUEUE_H_
#define SKIFF_SCHEDULER_QUEUE_H_

#include <condition_variable>
#include <cstdint>
#include <map>
#include <mutex>
#include <set>
#include <string>
#include <unordered_map>

#include "absl/time/time.h"
#include "base/clock.h"
#include "scheduler/pod_info.h"

namespace skiff::scheduler {

// Cluster changes that may make unschedulable pods schedulable.
enum class ClusterEvent {
  kNodeAdd,
  kNodeUpdate,         // labels, taints, allocatable or unschedulable changed
  kAssignedPodDelete,  // frees resources, ports, anti-affinity domains
  kAssignedPodAdd,     // may satisfy required affinity
  kAssignedPodUpdate,  // label changes matter to (anti-)affinity and spread
  kVolumeChange,       // a PersistentVolume(Claim) or StorageClass was added or changed
};

struct QueuedPod {
  PodInfoPtr info;
  int attempts = 0;
  absl::Time arrival;                    // first time queued (ordering among equal priorities)
  std::set<std::string> failed_plugins;  // plugins that rejected nodes in the last attempt
};

class SchedulingQueue {
 public:
  struct Options {
    absl::Duration initial_backoff = absl::Seconds(1);
    absl::Duration max_backoff = absl::Seconds(10);
    absl::Duration max_unschedulable = absl::Minutes(5);
    const base::Clock* clock = nullptr;  // null = real clock
  };
  SchedulingQueue() : SchedulingQueue(Options{}) {}
  explicit SchedulingQueue(Options options);

  // A new pending pod (ignored when already queued or in flight: use Update).
  void Add(PodInfoPtr pod);
  // A changed pending pod: replaces the queued copy; an unschedulable pod is retried unless
  // `may_fit_now` is false (only its status or bookkeeping changed).
  void Update(PodInfoPtr pod, bool may_fit_now = true);
  void Delete(const std::string& key);

  // Blocks until an active pod is available (or `timeout` passes: returns false with *out
  // untouched) or the queue is closed (false). Moves due backoff pods to active first.
  bool Pop(QueuedPod* out, absl::Duration timeout = absl::InfiniteDuration());
  // A popped pod that found no node (goes to unschedulable, or backoff if an event arrived).
  void AddUnschedulable(QueuedPod pod);
  // A popped pod that failed for another reason (binding error...): backoff.
  void AddBackoff(QueuedPod pod);
  // Ends the in-flight state of a popped pod (after it was assumed and handed to the binder).
  void Done(const std::string& key);

  void OnClusterEvent(ClusterEvent event);
  void Close();

  size_t NumActive() const;
  size_t NumBackoff() const;
  size_t NumUnschedulable() const;
  bool Contains(const std::string& key) const;

 private:
  struct ActiveKey {
    int32_t priority;
    absl::Time arrival;
    std::string key;
    bool operator<(const ActiveKey& o) const {
      if (priority != o.priority) return priority > o.priority;
      if (arrival != o.arrival) return arrival < o.arrival;
      return key < o.key;
    }
  };
  struct InFlight {
    uint32_t events = 0;  // bit per ClusterEvent that arrived meanwhile
    bool deleted = false;
    PodInfoPtr updated;  // a newer version arrived
  };
  absl::Time Now() const { return clock_->Now(); }
  absl::Duration BackoffFor(int attempts) const;
  void PushActiveLocked(QueuedPod pod);
  void PushBackoffLocked(QueuedPod pod, absl::Time until);
  // Active when its backoff (from `failed_at`) has passed, backoff otherwise.
  void RequeueLocked(QueuedPod pod, absl::Time failed_at);
  void FlushLocked();
  bool RemoveLocked(const std::string& key);
  static bool Relevant(ClusterEvent event, const std::set<std::string>& failed_plugins);

  const Options options_;
  const base::Clock* clock_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  bool closed_ = false;
  std::set<ActiveKey> active_order_;
  std::unordered_map<std::string, QueuedPod> active_;
  std::multimap<absl::Time, std::string> backoff_order_;
  std::unordered_map<std::string, std::pair<QueuedPod, absl::Time>> backoff_;
  std::unordered_map<std::string, std::pair<QueuedPod, absl::Time>> unschedulable_;  // with entry time
  std::unordered_map<std::string, InFlight> in_flight_;
  absl::Time last_unschedulable_flush_;
};

}  // namespace skiff::scheduler

#endif  // SKIFF_SCHEDULER_QUEUE_H_
