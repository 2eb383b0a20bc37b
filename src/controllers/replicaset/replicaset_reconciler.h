// ReplicaSetReconciler: the reconcile logic of the ReplicaSet controller (k8s
// pkg/controller/replicaset). For one ReplicaSet key it claims pods (adopting orphans that match
// the selector, releasing owned pods that stopped matching), creates pods from the template in
// slow-start batches (1, 2, 4, ...) or deletes the least valuable ones until the active count
// equals spec.replicas, guarded by Expectations so informer lag never causes over-creation, and
// writes status (replicas, fullyLabeledReplicas, readyReplicas, availableReplicas with
// minReadySeconds, observedGeneration, ReplicaFailure condition) through the status subresource.
// The On* hooks translate pod informer events into expectation updates and keys to enqueue.
// As in Kubernetes (whose ReplicationManager wraps the ReplicaSet controller), the same logic
// runs core/v1 ReplicationControllers: ReplicaOwner says which kind a reconciler manages.
//
// Thread-safety: Reconcile may run concurrently for different keys (never the same key); the
// hooks may run concurrently with Reconcile. Ownership: borrows the client and caches, which must
// outlive it; owns a small thread pool for parallel pod writes.
// Failure: API errors come back as a non-OK ReconcileResult (the controller retries with backoff);
// an invalid selector is not retried.
#ifndef SKIFF_CONTROLLERS_REPLICASET_REPLICASET_RECONCILER_H_
#define SKIFF_CONTROLLERS_REPLICASET_REPLICASET_RECONCILER_H_

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "api/label_selector.h"
#include "base/clock.h"
#include "base/thread_pool.h"
#include "client/client.h"
#include "client/controller.h"
#include "controllers/workload/batch_writes.h"
#include "controllers/workload/expectations.h"
#include "controllers/workload/object_cache.h"

namespace skiff::controllers {

// Records a Kubernetes Event about `obj` (type "Normal" or "Warning").
using EventFunc = std::function<void(const boost::json::value& obj, const std::string& type,
                                     const std::string& reason, const std::string& message)>;

// The owner kind a ReplicaSetReconciler manages. ReplicaSets and ReplicationControllers have
// the same spec (replicas, minReadySeconds, template) and status; only the resource and the
// shape of spec.selector differ (metav1.LabelSelector vs a plain label map).
struct ReplicaOwner {
  const api::ResourceInfo* resource;  // replicasets.apps/v1 or replicationcontrollers/v1
  std::string kind;                   // "ReplicaSet" | "ReplicationController"
  bool map_selector;                  // spec.selector is {label: value}
  std::string controller_name;        // work queue and logs, e.g. "replicaset"
  std::string event_component;        // source of its Events, e.g. "replicaset-controller"

  // spec.selector of an owner; null or absent matches nothing. InvalidArgument when malformed.
  absl::StatusOr<api::LabelSelector> Selector(const boost::json::value& owner) const;
};
const ReplicaOwner& ReplicaSetOwner();
const ReplicaOwner& ReplicationControllerOwner();

class ReplicaSetReconciler : public client::Reconciler {
 public:
  struct Options {
    const ReplicaOwner* owner = nullptr;  // null = ReplicaSetOwner()
    const base::Clock* clock = nullptr;   // null = real clock
    int burst_replicas = 500;             // most pods created or deleted in one sync
    int write_parallelism = 128;
    EventFunc record_event;  // may be empty
  };

  ReplicaSetReconciler(client::Client* client, const ObjectCache* replicasets, const ObjectCache* pods,
                       Options options);
  ~ReplicaSetReconciler() override;

  client::ReconcileResult Reconcile(const std::string& key) override;

  // Pod informer events: update expectations and return ReplicaSet keys to enqueue.
  std::vector<std::string> OnPodAdded(const boost::json::value& pod);
  std::vector<std::string> OnPodUpdated(const boost::json::value& old_pod, const boost::json::value& new_pod);
  std::vector<std::string> OnPodDeleted(const boost::json::value& pod);

  Expectations& expectations() { return expectations_; }

 private:
  // The owner a pod's controller ref names, if it is in the cache with that uid.
  client::Object ResolveOwner(const boost::json::value& pod) const;
  std::vector<std::string> MatchingReplicaSets(const boost::json::value& pod) const;
  absl::StatusOr<std::vector<client::Object>> ClaimPods(const boost::json::value& rs,
                                                        const api::LabelSelector& selector);
  absl::Status ManageReplicas(const std::vector<client::Object>& pods, const boost::json::value& rs,
                              const std::string& key);
  std::vector<client::Object> RelatedPods(const boost::json::value& rs) const;
  boost::json::object CalculateStatus(const boost::json::value& rs, const std::vector<client::Object>& pods,
                                      const absl::Status& manage_error) const;
  absl::Status UpdateStatus(const boost::json::value& rs, const boost::json::object& status);
  void Event(const boost::json::value& obj, const std::string& type, const std::string& reason,
             const std::string& message);

  client::Client* client_;
  const ObjectCache* replicasets_;
  const ObjectCache* pods_;
  Options options_;
  const ReplicaOwner& owner_;
  const base::Clock* clock_;
  Expectations expectations_;
  std::unique_ptr<base::ThreadPool> pool_;
};

}  // namespace skiff::controllers

#endif  // SKIFF_CONTROLLERS_REPLICASET_REPLICASET_RECONCILER_H_
