// Aggregator: kube-aggregator's request path. It follows the APIService objects in the watch cache
// and proxies a request under /apis/<group>/<version> whose APIService names a Service (not Local)
// to a ready endpoint of that Service (apiservice_endpoint.h), over HTTPS verified with the
// APIService's caBundle for the name <service>.<namespace>.svc, presenting the front-proxy client
// certificate, with the user — already authenticated and authorized here, as kube-apiserver does —
// in X-Remote-User / X-Remote-Group / X-Remote-Extra-* (the extension server trusts those headers
// only from a client certificate of the requestheader CA). Streams (watch, chunked bodies) and
// upgrades are relayed as they come (http::NodeProxy). It also keeps each aggregated group
// version's discovery document (fetched by ApiServiceAvailability) for /apis and /apis/<group>.
// Thread-safety: every method may be called from any thread; state is behind one mutex and the
// change callback runs on the watch cache's fan-out thread. Ownership: borrows the storage; owns
// its proxy and its cache watch (destroy it before the cache).
// Failure: Proxy answers 503 (ServiceUnavailable) when the APIService is not available or its
// Service cannot be reached; Start returns the cache's error.
#ifndef SKIFF_APISERVER_AGGREGATOR_H_
#define SKIFF_APISERVER_AGGREGATOR_H_

#include <functional>
#include <map>
#include <memory>
#include <shared_mutex>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "apiserver/apiservice_endpoint.h"
#include "apiserver/auth.h"
#include "apiserver/resource_storage.h"
#include "boost/json/value.hpp"
#include "http/http_types.h"
#include "http/node_proxy.h"

namespace skiff::apiserver {

struct AggregatorOptions {
  std::string front_proxy_client_cert;  // PEM files of the client identity towards extension servers
  std::string front_proxy_client_key;
  absl::Duration dial_timeout = absl::Seconds(30);  // until the upstream's response head
};

// One aggregated group version as discovery shows it: its APIService and the APIResourceList
// the extension server last served (null when none was fetched yet).
struct AggregatedGroupVersion {
  ApiServiceInfo service;
  boost::json::value resources;
  bool stale = false;  // the last fetch failed; `resources` is older
};

class Aggregator {
 public:
  Aggregator(ResourceStorage* storage, AggregatorOptions options);
  ~Aggregator();
  Aggregator(const Aggregator&) = delete;
  Aggregator& operator=(const Aggregator&) = delete;

  // Called (on the cache's fan-out thread; must not block) when an APIService is added, deleted
  // or its spec changes. Set before Start.
  void SetChangeCallback(std::function<void()> callback) { on_change_ = std::move(callback); }
  // Loads the APIServices and follows their changes.
  absl::Status Start();

  // The response for a request addressed to an aggregated group version, or nullopt when the
  // path is not under /apis/<group>/<version> of a non-local APIService (served here).
  std::optional<http::HttpResponse> Proxy(const http::HttpRequest& request, const User& user);

  // Every known APIService, by name.
  std::vector<ApiServiceInfo> ApiServices() const;
  // Sends one request (headers as given) to the APIService's Service: the proxy's path, and the
  // availability check's. Errors are ResolveServiceEndpoint's or NodeProxy::Forward's.
  absl::StatusOr<http::HttpResponse> Send(const ApiServiceInfo& service, const http::UpstreamRequest& request,
                                          absl::Duration timeout);

  // Discovery: record what the extension server of `name` serves (an APIResourceList), or that
  // fetching it failed; the non-local, available group versions with what they serve.
  void SetDiscovery(const std::string& name, boost::json::value resources);
  void MarkDiscoveryStale(const std::string& name);
  std::vector<AggregatedGroupVersion> AggregatedGroupVersions() const;

 private:
  class Listener;
  void Apply(bool deleted, const boost::json::value& object);
  absl::StatusOr<http::UpstreamEndpoint> Upstream(const ApiServiceInfo& service);

  ResourceStorage* storage_;
  AggregatorOptions options_;
  std::function<void()> on_change_;
  http::NodeProxy proxy_;
  mutable std::shared_mutex mu_;  // every request under /apis reads it
  std::map<std::string, ApiServiceInfo> services_;  // by name
  struct Discovery {
    boost::json::value resources;
    bool stale = false;
  };
  std::map<std::string, Discovery> discovery_;  // by APIService name
  int64_t watch_id_ = 0;
};

// The request headers the front proxy sends upstream for `request` by `user`: the client's own
// headers without credentials (Authorization, Impersonate-*), hop-by-hop headers, Accept-Encoding
// and any X-Remote-* it sent, plus X-Remote-User, one X-Remote-Group per group and
// X-Remote-Extra-<key> (key percent-encoded, as Kubernetes does) per extra value.
std::vector<std::pair<std::string, std::string>> FrontProxyHeaders(const http::HttpRequest& request,
                                                                   const User& user);

}  // namespace skiff::apiserver

#endif  // SKIFF_APISERVER_AGGREGATOR_H_
