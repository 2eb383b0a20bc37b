// The webhook admission plug-in's view of the cluster (admissionwebhook::Sources) served from the
// watch cache: the webhook configurations (with the revision that tells when they changed),
// namespace labels, and a ready endpoint of a Service — from its EndpointSlices, or its Endpoints
// when it has no slice — so that webhooks behind a Service are reached without the node proxy
// (as kube-apiserver's --enable-aggregator-routing does).
// Thread-safety: safe to call concurrently (the WatchCache is). Ownership: borrows the cache,
// which must outlive it. Failure: NamespaceLabels answers NotFound for an unknown namespace;
// ServiceEndpoint NotFound for an unknown Service or port, Unavailable when no ready endpoint
// serves it, with kube-apiserver's wording.
#ifndef SKIFF_APISERVER_WEBHOOK_SOURCES_H_
#define SKIFF_APISERVER_WEBHOOK_SOURCES_H_

#include "apiserver/admissionwebhook/sources.h"
#include "apiserver/watch_cache.h"

namespace skiff::apiserver {

class WebhookSources : public admissionwebhook::Sources {
 public:
  explicit WebhookSources(const WatchCache* cache) : cache_(cache) {}
  int64_t ConfigurationRevision(bool mutating) const override;
  std::vector<boost::json::value> Configurations(bool mutating) const override;
  absl::StatusOr<boost::json::value> NamespaceLabels(std::string_view ns) const override;
  absl::StatusOr<std::string> ServiceEndpoint(std::string_view ns, std::string_view name, int port) const override;

 private:
  const WatchCache* cache_;
};

}  // namespace skiff::apiserver

#endif  // SKIFF_APISERVER_WEBHOOK_SOURCES_H_
