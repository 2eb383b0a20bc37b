// MetricsClient: the metric values the HPA controller scales on, read through the API server's
// metrics APIs as kube-controller-manager reads them: metrics.k8s.io (PodMetrics of the target's
// pods: Resource and ContainerResource metrics), custom.metrics.k8s.io (Pods and Object metrics,
// v1beta2 with a v1beta1 fallback) and external.metrics.k8s.io (External metrics). The latter two
// exist when an APIService provides them (the aggregation layer proxies them). Values are milli
// units, as Kubernetes' metrics client keeps them.
// Thread-safety: safe for concurrent use when `get` is. Ownership: holds `get` (whatever it
// captures must outlive the client). Failure: the API's error (404 when no APIService serves the
// group) or InvalidArgument for an answer it cannot read, with Kubernetes' messages
// ("unable to fetch metrics from resource metrics API: ...").
#ifndef SKIFF_CONTROLLERS_PODAUTOSCALER_METRICS_CLIENT_H_
#define SKIFF_CONTROLLERS_PODAUTOSCALER_METRICS_CLIENT_H_

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "client/controller_context.h"
#include "controllers/podautoscaler/replica_calculator.h"

namespace skiff::controllers::podautoscaler {

class MetricsClient {
 public:
  explicit MetricsClient(client::ApiGet get) : get_(std::move(get)) {}

  // Usage of `resource` ("cpu", "memory") by the pods of `ns` matching `selector`, summed over
  // their containers (or of `container` only). A pod lacking the resource for a container is left out.
  absl::StatusOr<PodMetrics> ResourceMetric(const std::string& ns, const std::string& selector,
                                            const std::string& resource, const std::string& container) const;
  // A Pods metric: custom metric `name` of each matching pod (`metric_selector` a label selector
  // string on the metric, may be empty).
  absl::StatusOr<PodMetrics> PodsMetric(const std::string& ns, const std::string& name,
                                        const std::string& selector,
                                        const std::string& metric_selector) const;
  // An Object metric: custom metric `name` of the object `api_version`/`kind`/`object_name`.
  absl::StatusOr<std::pair<int64_t, absl::Time>> ObjectMetric(const std::string& ns, const std::string& name,
                                                              const std::string& api_version,
                                                              const std::string& kind,
                                                              const std::string& object_name,
                                                              const std::string& metric_selector) const;
  // An External metric: the values of external metric `name` for `metric_selector`.
  absl::StatusOr<std::pair<std::vector<int64_t>, absl::Time>> ExternalMetric(
      const std::string& ns, const std::string& name, const std::string& metric_selector) const;

 private:
  // GET of a custom.metrics.k8s.io path below the version (v1beta2, else v1beta1).
  absl::StatusOr<boost::json::value> CustomGet(const std::string& path_and_query) const;
  client::ApiGet get_;
};

}  // namespace skiff::controllers::podautoscaler

#endif  // SKIFF_CONTROLLERS_PODAUTOSCALER_METRICS_CLIENT_H_
