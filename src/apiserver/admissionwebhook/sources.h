// Sources: what the webhook admission plug-in reads of the cluster — the stored webhook
// configurations, namespace labels (namespaceSelector) and Service endpoints (webhooks
// registered by Service). The API server serves it from its watch cache (apiserver/webhook_sources.h).
// ServiceResolver, its Service part alone, is all that other webhook callers (CRD conversion) need.
// Thread-safety: implementations must allow concurrent calls. Ownership: results by value.
// Failure: NamespaceLabels answers NotFound for an unknown namespace; ServiceEndpoint answers
// NotFound or Unavailable with kube-apiserver's wording when no ready endpoint serves the port.
#ifndef SKIFF_APISERVER_ADMISSIONWEBHOOK_SOURCES_H_
#define SKIFF_APISERVER_ADMISSIONWEBHOOK_SOURCES_H_

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "boost/json/value.hpp"

namespace skiff::apiserver::admissionwebhook {

class ServiceResolver {
 public:
  virtual ~ServiceResolver() = default;
  // "ip:port" of a ready endpoint serving port `port` of Service ns/name.
  virtual absl::StatusOr<std::string> ServiceEndpoint(std::string_view ns, std::string_view name, int port) const = 0;
};

class Sources : public ServiceResolver {
 public:
  // The newest revision of the Mutating- (`mutating`) or ValidatingWebhookConfigurations: when it
  // has not moved, configurations parsed before are still current.
  virtual int64_t ConfigurationRevision(bool mutating) const = 0;
  // Every stored configuration of that kind.
  virtual std::vector<boost::json::value> Configurations(bool mutating) const = 0;
  // metadata.labels of namespace `ns` (null when it has none).
  virtual absl::StatusOr<boost::json::value> NamespaceLabels(std::string_view ns) const = 0;
};

}  // namespace skiff::apiserver::admissionwebhook

#endif  // SKIFF_APISERVER_ADMISSIONWEBHOOK_SOURCES_H_
