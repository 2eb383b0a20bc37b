// StatefulSetReconciler: the reconcile logic of the StatefulSet controller (k8s
// pkg/controller/statefulset, Kubernetes 1.32 semantics). For one StatefulSet key it claims the
// set's pods (controllerRef, adopting matching orphans named <set>-<n>), keeps one pod per ordinal
// in [start, start+replicas) with its PersistentVolumeClaims from volumeClaimTemplates, deletes
// pods outside that range, and rolls pods to the update revision:
//  * OrderedReady: one pod at a time in ordinal order, each Running, Ready (and available after
//    minReadySeconds) before the next; scale-down deletes the highest ordinal first, only when
//    every other pod is healthy. Parallel: all creations and deletions at once.
//  * RollingUpdate: pods with ordinal >= start+partition are deleted (highest first) and recreated
//    at the update revision, one at a time or up to rollingUpdate.maxUnavailable unavailable pods
//    when that is set (the MaxUnavailableStatefulSet behaviour). OnDelete: only recreated pods
//    get the update revision.
//  * ControllerRevisions <set>-<hash> hold the template; equal templates reuse a revision
//    (bumping its number: `kubectl rollout undo`), collisions bump status.collisionCount, unused
//    ones beyond revisionHistoryLimit are deleted.
//  * persistentVolumeClaimRetentionPolicy: claims get the set's (whenDeleted: Delete) or their
//    pod's (whenScaled: Delete, once scaled down) controller ownerReference, so the garbage
//    collector removes them with their owner.
//  * status: replicas, readyReplicas, availableReplicas, currentReplicas, updatedReplicas,
//    currentRevision, updateRevision, observedGeneration, collisionCount.
// Thread-safety: Reconcile runs concurrently for different keys; the On* hooks may run alongside.
// Ownership: borrows the client and caches. Failure: API errors return a non-OK ReconcileResult
// (the queue retries); pods or claims created by someone else in the meantime only wait for the
// cache to show them.
#ifndef SKIFF_CONTROLLERS_STATEFULSET_STATEFUL_SET_RECONCILER_H_
#define SKIFF_CONTROLLERS_STATEFULSET_STATEFUL_SET_RECONCILER_H_

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "base/clock.h"
#include "base/thread_pool.h"
#include "client/client.h"
#include "client/controller.h"
#include "controllers/workload/object_cache.h"

namespace skiff::controllers::statefulset {

class StatefulSetReconciler : public client::Reconciler {
 public:
  using EventFunc = std::function<void(const boost::json::value& obj, const std::string& type,
                                       const std::string& reason, const std::string& message)>;
  struct Options {
    const base::Clock* clock = nullptr;  // null = real clock
    EventFunc record_event;               // may be empty
    int write_parallelism = 8;            // concurrent writes of Parallel pod management
  };
  // Caches need the workload indexes (object_cache.h).
  StatefulSetReconciler(client::Client* client, const ObjectCache* sets, const ObjectCache* pods,
                        const ObjectCache* revisions, const ObjectCache* claims, Options options);
  ~StatefulSetReconciler() override;

  client::ReconcileResult Reconcile(const std::string& key) override;

  // Keys to enqueue for pod events: the controlling set, or for an orphan every set in its
  // namespace whose selector matches it (adoption).
  std::vector<std::string> OnPodAdded(const boost::json::value& pod);
  std::vector<std::string> OnPodUpdated(const boost::json::value& old_pod, const boost::json::value& pod);
  std::vector<std::string> OnPodDeleted(const boost::json::value& pod);
  // A claim change matters to the set its name or owner points to (a stale claim going away
  // unblocks a pod's creation).
  std::vector<std::string> OnClaimChanged(const boost::json::value& claim);

 private:
  class Sync;  // one Reconcile pass (stateful_set_reconciler.cc)
  std::vector<std::string> KeysFor(const boost::json::value& pod) const;

  client::Client* client_;
  const ObjectCache* sets_;
  const ObjectCache* pods_;
  const ObjectCache* revisions_;
  const ObjectCache* claims_;
  Options options_;
  const base::Clock* clock_;
  std::unique_ptr<base::ThreadPool> pool_;
};

}  // namespace skiff::controllers::statefulset

#endif  // SKIFF_CONTROLLERS_STATEFULSET_STATEFUL_SET_RECONCILER_H_
