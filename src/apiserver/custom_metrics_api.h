// CustomMetricsApi: skiff's own custom.metrics.k8s.io (v1beta2 and v1beta1), registered as a
// local APIService so the HPA controller (and `kubectl get --raw`) find it as they would an
// adapter. It serves one Object metric, `requests-per-second` of a core/v1 Service:
//   GET /apis/custom.metrics.k8s.io/{v1beta2|v1beta1}/namespaces/{ns}/services/{name|*}/requests-per-second
// The value is the sum over every node of what its agent reports at /stats/services (new
// connections per second through the service proxy, plus an ingress proxy's HTTP requests, each
// averaged over the agent's short window), fetched through MetricsApi's per-node cache. Services
// no node reports have the value 0; names that are no Service are 404, as adapters answer.
// A user-installed adapter wins: an APIService with a service backend is proxied by the
// aggregator before this handler is asked.
// Thread-safety: Handle is called concurrently (MetricsApi locks its cache). Ownership: borrows
// the storage and the MetricsApi. Failure: every error is a Kubernetes Status response (404
// unknown metric, resource or Service; 405 verbs other than get/list; 400 bad selectors).
#ifndef SKIFF_APISERVER_CUSTOM_METRICS_API_H_
#define SKIFF_APISERVER_CUSTOM_METRICS_API_H_

#include <string>

#include "apiserver/metrics_api.h"
#include "apiserver/request_info.h"
#include "apiserver/resource_storage.h"
#include "boost/json/object.hpp"
#include "http/http_types.h"

namespace skiff::apiserver {

inline constexpr char kCustomMetricsGroup[] = "custom.metrics.k8s.io";
inline constexpr char kRequestsPerSecondMetric[] = "requests-per-second";

// Discovery: the APIGroupDiscovery item, the APIGroup and the APIResourceList of a version.
boost::json::object CustomMetricsAggregatedGroup();
boost::json::object CustomMetricsApiGroup();
std::string CustomMetricsResourceList(const std::string& version);
bool IsCustomMetricsVersion(const std::string& version);

class CustomMetricsApi {
 public:
  CustomMetricsApi(ResourceStorage* storage, MetricsApi* nodes) : storage_(storage), nodes_(nodes) {}

  static bool Handles(const RequestInfo& info) { return info.group == kCustomMetricsGroup; }
  http::HttpResponse Handle(const http::HttpRequest& request, const RequestInfo& info);

 private:
  ResourceStorage* storage_;
  MetricsApi* nodes_;
};

}  // namespace skiff::apiserver

#endif  // SKIFF_APISERVER_CUSTOM_METRICS_API_H_
