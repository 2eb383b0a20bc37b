// MetricsApi: the metrics.k8s.io/v1beta1 group that `kubectl top` reads (PodMetrics and
// NodeMetrics; get and list, namespaced and across namespaces, labelSelector). Nothing is stored:
// each answer is built from the agents' /stats/summary (resource_stats.h in agent/server),
// fetched from every node's agent in parallel over HTTPS with the kubelet-client certificate
// (NodeProxy), with a short timeout, and cached per node for `cache_ttl` (2 s: only bursts of
// requests share a fetch; agents reuse a sample for 5 s anyway, and the HPA wants fresh data).
// Pods and nodes that exist in the API but have no usage yet are left out, as metrics-server
// does. The discovery pieces for the group are here too (discovery.cc adds them).
// Thread-safety: Handle is called concurrently; the cache is locked. Ownership: borrows the
// storage. Failure: every error is a Kubernetes Status response (404 for unknown metrics, 405 for
// verbs other than get/list); unreachable agents only drop their node's metrics.
#ifndef SKIFF_APISERVER_METRICS_API_H_
#define SKIFF_APISERVER_METRICS_API_H_

#include <map>
#include <mutex>
#include <string>

#include "absl/time/time.h"
#include "apiserver/request_info.h"
#include "apiserver/resource_storage.h"
#include "boost/json/value.hpp"
#include "http/http_types.h"
#include "http/node_proxy.h"

namespace skiff::apiserver {

inline constexpr char kMetricsGroup[] = "metrics.k8s.io";
inline constexpr char kMetricsVersion[] = "v1beta1";

// Discovery: the APIGroupDiscovery item (aggregated /apis), the APIGroup (legacy /apis and
// /apis/metrics.k8s.io) and the APIResourceList JSON of /apis/metrics.k8s.io/v1beta1.
boost::json::object MetricsAggregatedGroup();
boost::json::object MetricsApiGroup();
std::string MetricsResourceList();

// Quantities as metrics-server writes them: "<n>n" nanocores, "<n>Ki" bytes.
std::string CpuQuantity(uint64_t nanocores);
std::string MemoryQuantity(uint64_t bytes);

struct MetricsApiOptions {
  std::string client_cert_file;  // the API server's kubelet-client identity
  std::string client_key_file;
  absl::Duration fetch_timeout = absl::Seconds(5);
  absl::Duration cache_ttl = absl::Seconds(2);
};

class MetricsApi {
 public:
  MetricsApi(ResourceStorage* storage, MetricsApiOptions options);

  static bool Handles(const RequestInfo& info) { return info.group == kMetricsGroup; }
  http::HttpResponse Handle(const http::HttpRequest& request, const RequestInfo& info);

  // The JSON document every node's agent serves at `target` ("/stats/summary",
  // "/stats/services"), fetched in parallel and cached for cache_ttl, by node name (null for an
  // agent that could not be reached). Also used by CustomMetricsApi.
  std::map<std::string, boost::json::value> NodeDocuments(const std::string& target);

 private:
  struct NodeDocument {
    absl::Time fetched = absl::InfinitePast();
    boost::json::value document;  // null when the agent could not be reached
  };
  std::map<std::string, boost::json::value> Documents(const std::vector<ObjectPtr>& nodes,
                                                      const std::string& target);
  boost::json::value Fetch(const boost::json::value& node, const std::string& target);

  ResourceStorage* storage_;
  MetricsApiOptions options_;
  http::NodeProxy proxy_;
  std::mutex mu_;
  std::map<std::pair<std::string, std::string>, NodeDocument> cache_;  // by (target, node)
};

}  // namespace skiff::apiserver

#endif  // SKIFF_APISERVER_METRICS_API_H_
