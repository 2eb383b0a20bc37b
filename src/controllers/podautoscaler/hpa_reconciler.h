// HorizontalReconciler: the reconcile logic of the HorizontalPodAutoscaler controller
// (autoscaling/v2, Kubernetes 1.32's pkg/controller/podautoscaler/horizontal.go). For one HPA key
// it reads the target's scale subresource (any resource that serves one: Deployments,
// ReplicaSets, StatefulSets, ReplicationControllers, custom resources), computes a replica count
// for every metric (Resource, ContainerResource, Pods, Object, External; the largest wins; a
// metric that cannot be read is skipped unless all fail or the others would scale down), keeps
// the count when the target is scaled to zero (ScalingDisabled) or outside [min, max], stabilizes
// and rate-limits it (ScalingBehavior), writes the scale subresource when it changed
// (SuccessfulRescale / FailedRescale events) and finally the status: currentReplicas,
// desiredReplicas, currentMetrics, lastScaleTime and the conditions AbleToScale, ScalingActive and
// ScalingLimited. Every HPA is synced again after `sync_period`, as kube-controller-manager's
// --horizontal-pod-autoscaler-sync-period.
// Thread-safety: Reconcile runs concurrently for different keys. Ownership: borrows the client,
// caches and ApiGet's captures (they must outlive it). Failure: errors reading metrics or the
// scale become events and conditions, not errors; only a failed status write returns an error
// (retried with backoff).
#ifndef SKIFF_CONTROLLERS_PODAUTOSCALER_HPA_RECONCILER_H_
#define SKIFF_CONTROLLERS_PODAUTOSCALER_HPA_RECONCILER_H_

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "base/clock.h"
#include "client/client.h"
#include "client/controller.h"
#include "client/controller_context.h"
#include "controllers/podautoscaler/metrics_client.h"
#include "controllers/podautoscaler/replica_calculator.h"
#include "controllers/podautoscaler/scaling_behavior.h"
#include "controllers/workload/object_cache.h"

namespace skiff::controllers::podautoscaler {

class HorizontalReconciler : public client::Reconciler {
 public:
  using RecordEvent = std::function<void(const boost::json::value& object, const std::string& type,
                                         const std::string& reason, const std::string& message)>;
  struct Options {
    const base::Clock* clock = nullptr;  // null = real clock
    RecordEvent record_event;            // may be empty
    absl::Duration sync_period = absl::Seconds(15);
    absl::Duration downscale_stabilization = absl::Minutes(5);  // HPAs without spec.behavior
    ReplicaCalculatorOptions calculator;
  };
  // `hpas` holds autoscaling/v2 objects (read by key); `pods` needs the kNamespaceIndex index.
  // `get` reads scale subresources and the metrics APIs.
  HorizontalReconciler(client::Client* client, const ObjectCache* hpas, const ObjectCache* pods,
                       client::ApiGet get, Options options);

  client::ReconcileResult Reconcile(const std::string& key) override;

 private:
  struct Sync;
  struct Proposal {
    int32_t replicas = 0;
    std::string metric_name;    // "cpu resource utilization (percentage of request)", ...
    boost::json::value status;  // a MetricStatus
  };
  // Reads the target's scale; the resource it belongs to in `resource`.
  absl::StatusOr<boost::json::value> GetScale(Sync& sync, api::ResourceInfo* resource);
  // The replica count of all metrics (-1 when none could be computed: then the error).
  absl::StatusOr<Proposal> ComputeReplicasForMetrics(Sync& sync, const boost::json::value& scale,
                                                     std::vector<boost::json::value>& statuses);
  absl::StatusOr<Proposal> ComputeReplicasForMetric(Sync& sync, const boost::json::value& spec,
                                                    int32_t spec_replicas, int32_t status_replicas,
                                                    const std::string& selector,
                                                    const std::vector<client::Object>& pods,
                                                    ConditionUpdate* failure);
  absl::StatusOr<Proposal> ResourceProposal(const Sync& sync, const boost::json::value& source,
                                            bool container_metric, int32_t spec_replicas,
                                            const std::string& selector,
                                            const std::vector<client::Object>& pods);
  std::vector<client::Object> PodsOf(const std::string& ns, const std::string& selector) const;
  void SetCondition(Sync& sync, const ConditionUpdate& condition);
  void Event(const Sync& sync, const std::string& type, const std::string& reason,
             const std::string& message);
  absl::Status WriteStatus(Sync& sync, int32_t current, int32_t desired,
                           const std::vector<boost::json::value>& metrics, bool rescaled);

  client::Client* client_;
  const ObjectCache* hpas_;
  const ObjectCache* pods_;
  client::ApiGet get_;
  MetricsClient metrics_;
  Options options_;
  const base::Clock* clock_;
  ReplicaCalculator calculator_;
  ScalingBehavior behavior_;
};

}  // namespace skiff::controllers::podautoscaler

#endif  // SKIFF_CONTROLLERS_PODAUTOSCALER_HPA_RECONCILER_H_
