// ReplicaCalculator: how many replicas one HPA metric asks for, as Kubernetes 1.32's
// pkg/controller/podautoscaler/replica_calculator.go decides it. Given the metric values (milli
// units: millicores, milli-bytes, milli of a custom metric) and the target's pods, it groups the
// pods (ignored: deleted or Failed; unready: Pending, or for cpu not yet ready within the cpu
// initialization period; missing: no metric), keeps the current count while the usage ratio is
// within the tolerance, and otherwise assumes the most conservative values for missing and unready
// pods (100% or the target when scaling down, 0 when scaling up) so that they never reverse or
// amplify the direction of a change.
// Thread-safety: immutable after construction; every method may be called concurrently.
// Ownership: borrows the clock. Failure: InvalidArgument/FailedPrecondition with Kubernetes'
// messages ("no pods returned by selector ...", "missing request for cpu in container ...").
#ifndef SKIFF_CONTROLLERS_PODAUTOSCALER_REPLICA_CALCULATOR_H_
#define SKIFF_CONTROLLERS_PODAUTOSCALER_REPLICA_CALCULATOR_H_

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "base/clock.h"
#include "client/client.h"

namespace skiff::controllers::podautoscaler {

// One pod's metric sample (what metrics.k8s.io or custom.metrics.k8s.io returned).
struct PodMetric {
  absl::Time timestamp;
  absl::Duration window;
  int64_t value = 0;  // milli units
};
using PodMetrics = std::map<std::string, PodMetric>;  // by pod name (one namespace)

struct ReplicaCalculatorOptions {
  double tolerance = 0.1;                                       // --horizontal-pod-autoscaler-tolerance
  absl::Duration cpu_initialization_period = absl::Minutes(5);  // ...-cpu-initialization-period
  absl::Duration delay_of_initial_readiness_status = absl::Seconds(30);  // ...-initial-readiness-delay
};

class ReplicaCalculator {
 public:
  explicit ReplicaCalculator(ReplicaCalculatorOptions options = {}, const base::Clock* clock = nullptr);

  struct UtilizationProposal {
    int32_t replicas = 0;
    int32_t utilization = 0;  // percent of the requests
    int64_t raw_average = 0;  // average usage per pod, milli units
  };
  // A Resource/ContainerResource metric with a Utilization target (percent of the pods' requests
  // of `resource`, of `container` only when not empty).
  absl::StatusOr<UtilizationProposal> ResourceUtilizationReplicas(
      int32_t current_replicas, int32_t target_utilization, const std::string& resource,
      const std::string& container, PodMetrics metrics, const std::vector<client::Object>& pods) const;

  struct UsageProposal {
    int32_t replicas = 0;
    int64_t usage = 0;  // milli units
  };
  // An AverageValue target over per-pod values: a Resource/ContainerResource metric (`resource`
  // "cpu" applies cpu readiness rules) or a Pods metric (`resource` empty).
  absl::StatusOr<UsageProposal> AverageValueReplicas(int32_t current_replicas, int64_t target_average,
                                                     const std::string& resource, PodMetrics metrics,
                                                     const std::vector<client::Object>& pods) const;
  // A Value target on one number (an Object metric, or the sum of External metric values): the
  // ready pods scaled by usage/target; from zero replicas, ceil(usage/target).
  UsageProposal ValueReplicas(int32_t current_replicas, int64_t usage, int64_t target,
                              const std::vector<client::Object>& pods) const;
  // An AverageValue target on one number (Object or External): ceil(usage/target) replicas, and
  // the usage per current replica.
  UsageProposal PerPodValueReplicas(int32_t status_replicas, int64_t usage, int64_t target_average) const;

  // The requests of `resource` per pod (sum over containers, or `container` only), milli units.
  static absl::StatusOr<std::map<std::string, int64_t>> PodRequests(const std::vector<client::Object>& pods,
                                                                    const std::string& container,
                                                                    const std::string& resource);

 private:
  struct PodGroups {
    int ready = 0;
    std::vector<std::string> unready, missing, ignored;
  };
  PodGroups GroupPods(const std::vector<client::Object>& pods, const PodMetrics& metrics,
                      const std::string& resource) const;
  bool WithinTolerance(double ratio) const;

  ReplicaCalculatorOptions options_;
  const base::Clock* clock_;
};

}  // namespace skiff::controllers::podautoscaler

#endif  // SKIFF_CONTROLLERS_PODAUTOSCALER_REPLICA_CALCULATOR_H_
