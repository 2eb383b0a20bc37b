// SchedulerCache: the scheduler's incrementally maintained model of the cluster, fed by the node,
// pod and namespace informers, plus "assumed" pods: a pod the scheduler has picked a node for is
// counted on that node at once (assume), before its binding is confirmed by the API server; a
// failed binding forgets it; a confirmed binding (the informer shows spec.nodeName) replaces it.
// UpdateSnapshot copies only the nodes changed since the previous call (copy-on-write NodeInfos),
// so a cycle sees a consistent view without holding the cache lock.
// Thread-safety: every method takes the internal mutex; safe from any thread.
// Ownership: owns NodeInfos and shares them with snapshots. Failure: AssumePod returns
// AlreadyExists for a pod already in the cache; other calls ignore unknown keys.
#ifndef SKIFF_SCHEDULER_CACHE_H_
#define SKIFF_SCHEDULER_CACHE_H_

#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <unordered_map>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "scheduler/node_info.h"

namespace skiff::scheduler {

class SchedulerCache {
 public:
  // Assumed pods whose binding finished but which the informer never confirmed are dropped after
  // `assumed_ttl` (a lost watch event must not leak capacity forever).
  explicit SchedulerCache(absl::Duration assumed_ttl = absl::Seconds(30)) : assumed_ttl_(assumed_ttl) {}

  void AddOrUpdateNode(client::Object node);
  void RemoveNode(const std::string& name);
  // An assigned pod as the informer reports it (confirms an assumed pod of the same key).
  // Terminal pods (Succeeded/Failed) are removed instead.
  void AddOrUpdatePod(PodInfoPtr pod);
  void RemovePod(const std::string& key);

  // Counts `pod` (whose node_name is the chosen node) on its node before binding.
  absl::Status AssumePod(PodInfoPtr pod);
  void FinishBinding(const std::string& key, absl::Time now);
  // Undoes AssumePod (binding failed); no-op when the pod is not assumed.
  void ForgetPod(const std::string& key);
  bool IsAssumed(const std::string& key) const;
  // Drops assumed pods whose binding finished more than assumed_ttl before `now`.
  void CleanupExpiredAssumedPods(absl::Time now);

  void SetNamespace(const std::string& name, const boost::json::value& labels);
  void RemoveNamespace(const std::string& name);

  // Brings `snapshot` up to date with the nodes changed since its last update.
  void UpdateSnapshot(Snapshot* snapshot);
  size_t NodeCount() const;
  size_t PodCount() const;

 private:
  struct PodState {
    PodInfoPtr info;
    bool assumed = false;
    bool binding_finished = false;
    absl::Time deadline = absl::InfiniteFuture();
  };
  // The node's NodeInfo for writing, cloned first when a snapshot shares it; marks it dirty.
  NodeInfo& MutableNode(const std::string& name);
  void RemovePodLocked(const std::string& key);
  void MaybeDropNodeLocked(const std::string& name);

  const absl::Duration assumed_ttl_;
  mutable std::mutex mu_;
  std::unordered_map<std::string, std::shared_ptr<NodeInfo>> nodes_;
  std::unordered_map<std::string, PodState> pods_;
  std::set<std::string> dirty_;
  NamespaceLabels namespaces_;
  bool namespaces_dirty_ = false;
};

}  // namespace skiff::scheduler

#endif  // SKIFF_SCHEDULER_CACHE_H_
