// DeploymentReconciler: the reconcile logic of the Deployment controller (k8s
// pkg/controller/deployment). For one Deployment key it claims ReplicaSets (adopt/release by
// selector), finds or creates the new ReplicaSet `<name>-<pod-template-hash>` with revision
// annotations, then either scales proportionally (replica count change or paused), rolls
// (RollingUpdate within maxSurge/maxUnavailable) or recreates (old pods gone before new ones),
// cleans up history beyond revisionHistoryLimit, and writes status with the Available and
// Progressing conditions (progressDeadlineSeconds). The On* hooks map ReplicaSet and Pod
// informer events to Deployment keys.
//
// Thread-safety: Reconcile runs concurrently for different keys, never for the same key; hooks
// may run at any time. Ownership: borrows the client and caches. Failure: API errors come back
// as non-OK results (retried with backoff); conflicts from stale caches resolve on the retry.
#ifndef SKIFF_CONTROLLERS_DEPLOYMENT_DEPLOYMENT_RECONCILER_H_
#define SKIFF_CONTROLLERS_DEPLOYMENT_DEPLOYMENT_RECONCILER_H_

#include <optional>
#include <string>
#include <vector>

#include "api/label_selector.h"
#include "base/clock.h"
#include "client/client.h"
#include "client/controller.h"
#include "controllers/workload/object_cache.h"
#include "controllers/replicaset/replicaset_reconciler.h"

namespace skiff::controllers {

class DeploymentReconciler : public client::Reconciler {
 public:
  struct Options {
    const base::Clock* clock = nullptr;  // null = real clock
    EventFunc record_event;              // may be empty
  };

  DeploymentReconciler(client::Client* client, const ObjectCache* deployments, const ObjectCache* replicasets,
                       const ObjectCache* pods, Options options);

  client::ReconcileResult Reconcile(const std::string& key) override;

  // Informer events: the Deployment keys to enqueue.
  std::vector<std::string> OnReplicaSetAdded(const boost::json::value& rs) const;
  std::vector<std::string> OnReplicaSetUpdated(const boost::json::value& old_rs,
                                               const boost::json::value& rs) const;
  std::vector<std::string> OnReplicaSetDeleted(const boost::json::value& rs) const;
  std::vector<std::string> OnPodDeleted(const boost::json::value& pod) const;

 private:
  struct Sync;  // the state of one reconcile (latest Deployment, its ReplicaSets)

  client::Object OwnerOf(const boost::json::value& rs) const;
  std::vector<std::string> MatchingDeployments(const boost::json::value& rs) const;

  absl::Status ClaimReplicaSets(Sync& s, const api::LabelSelector& selector);
  // Finds (and, when `create`, creates) the new ReplicaSet; syncs revision annotations.
  absl::Status GetAllReplicaSetsAndSyncRevision(Sync& s, bool create);
  absl::Status GetNewReplicaSet(Sync& s, bool create);
  absl::StatusOr<bool> ScaleReplicaSet(Sync& s, const client::Object& rs, int64_t replicas);
  absl::Status Scale(Sync& s);
  absl::StatusOr<bool> IsScalingEvent(Sync& s);
  absl::Status SyncOnly(Sync& s);
  client::ReconcileResult RolloutRolling(Sync& s);
  client::ReconcileResult RolloutRecreate(Sync& s);
  absl::StatusOr<bool> ReconcileNewReplicaSet(Sync& s);
  absl::StatusOr<bool> ReconcileOldReplicaSets(Sync& s);
  absl::Status CleanupDeployment(Sync& s);
  absl::Status CheckPausedConditions(Sync& s);
  boost::json::object CalculateStatus(const Sync& s) const;
  absl::Status SyncDeploymentStatus(Sync& s);
  client::ReconcileResult SyncRolloutStatus(Sync& s);
  absl::Status WriteStatus(Sync& s, boost::json::object status);
  // How many replicas the new ReplicaSet (now at new_spec) may have (k8s NewRSNewReplicas).
  int64_t NewReplicaSetReplicas(const Sync& s, int64_t new_spec) const;
  void Event(const boost::json::value& obj, const std::string& type, const std::string& reason,
             const std::string& message);

  client::Client* client_;
  const ObjectCache* deployments_;
  const ObjectCache* replicasets_;
  const ObjectCache* pods_;
  Options options_;
  const base::Clock* clock_;
};

}  // namespace skiff::controllers

#endif  // SKIFF_CONTROLLERS_DEPLOYMENT_DEPLOYMENT_RECONCILER_H_
