// DisruptionController: maintains PodDisruptionBudget status (policy/v1) like Kubernetes'
// disruption controller, so the eviction subresource (apiserver/eviction_budget.h) and
// `kubectl drain` can honour budgets:
//   expectedPods    minAvailable as a number: the number of matching pods; otherwise the sum of
//                   the scales (spec.replicas) of the pods' controllers (a ReplicaSet owned by a
//                   Deployment counts as the Deployment; also StatefulSets, ReplicationControllers);
//   desiredHealthy  minAvailable (percentages of expectedPods rounded up), or expectedPods -
//                   maxUnavailable;
//   currentHealthy  matching pods that are Ready, not terminating and not recently evicted (listed
//                   in status.disruptedPods, kept until the pod is gone or a timeout passes);
//   disruptionsAllowed = max(0, currentHealthy - desiredHealthy) (0 without expected pods);
//   observedGeneration and the DisruptionAllowed condition (SufficientPods / InsufficientPods).
// When the expected count cannot be computed (a pod without a known controller), the budget
// fails safe: disruptionsAllowed 0 and DisruptionAllowed=False reason SyncFailed.
// Keys are "namespace/name" of budgets.
// Thread-safety: Start/Stop from one thread; Reconcile runs concurrently for different keys.
// Ownership: borrows the context's client and informers and the clock. Failure: API errors fail
// the reconcile, which is retried with backoff.
#ifndef SKIFF_CONTROLLERS_PODDISRUPTIONBUDGET_DISRUPTION_CONTROLLER_H_
#define SKIFF_CONTROLLERS_PODDISRUPTIONBUDGET_DISRUPTION_CONTROLLER_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "base/clock.h"
#include "client/controller.h"
#include "client/controller_context.h"

namespace skiff::controllers {

class DisruptionController : public client::Runnable, public client::Reconciler {
 public:
  struct Options {
    int workers = 2;
    // How long an evicted pod stays out of currentHealthy while it has not started terminating.
    absl::Duration disrupted_pod_timeout = absl::Minutes(2);
    const base::Clock* clock = nullptr;  // null = real clock
  };

  DisruptionController(const client::ControllerContext& context, Options options);
  ~DisruptionController() override;

  void Start() override;
  void Stop() override;
  client::ReconcileResult Reconcile(const std::string& key) override;

 private:
  // Budgets of `ns` whose selector matches `pod`'s labels.
  std::vector<std::string> BudgetsFor(const boost::json::value& pod) const;
  void EnqueueNamespace(const std::string& ns);
  absl::StatusOr<int64_t> ExpectedScale(const std::vector<client::Object>& pods) const;

  client::ControllerContext context_;
  Options options_;
  client::Informer* budgets_;
  client::Informer* pods_;
  client::Informer* replica_sets_;
  client::Informer* deployments_;
  client::Informer* stateful_sets_;
  client::Informer* replication_controllers_;
  std::unique_ptr<client::Controller> controller_;
};

std::unique_ptr<client::Runnable> NewDisruptionController(const client::ControllerContext& context);

}  // namespace skiff::controllers

#endif  // SKIFF_CONTROLLERS_PODDISRUPTIONBUDGET_DISRUPTION_CONTROLLER_H_
