// IngressProxy: the node's ingress controller (IngressClass `skiff`, controller skiff.dev/ingress).
// It watches Ingresses, IngressClasses, Services and EndpointSlices through the agent's shared
// informers, reads the TLS Secrets the Ingresses name (GET by name: the agent may read only these,
// through the Role skiff:ingress-tls the ingressstatus controller keeps), translates them into a
// RouteTable (ingress_translator.h), renders it for HAProxy (haproxy_config.h) and has the
// HaproxySupervisor apply it. HAProxy listens on http_port and https_port of the node's addresses
// and 127.0.0.1, like NodePorts. Events are coalesced for sync_delay; a sync whose route table
// equals the applied one changes nothing, so events of Services no Ingress uses cost no reload.
// Secrets are re-read every secret_refresh (a renewed certificate is served within that period).
// Gateway API (gateway_translator.h): once the gateway.networking.k8s.io CRDs are served (probed
// every gateway_probe until then, so a cluster without them costs one request per period and no
// failing watches), GatewayClasses, Gateways, HTTPRoutes, ReferenceGrants and Namespaces are
// watched too and the HTTPRoutes attached to Gateways of class controller
// skiff.dev/gateway-controller are served next to the Ingresses.
//
// Thread-safety: Start/Stop from one owner thread; stats() from any thread. Informer handlers only
// mark work; one sync thread does the rest. Ownership: borrows the shared informer set (must
// outlive the proxy; its handlers are removed on Stop) and its client; owns the haproxy supervisor
// (haproxy stops with Stop()). Failure: Start fails when the default certificate cannot be made or
// haproxy does not start (missing binary, ports in use). Later failures (a configuration haproxy
// rejects, API errors) are logged, kept in stats() and retried; the last good configuration keeps
// serving.
#ifndef SKIFF_AGENT_INGRESS_INGRESS_PROXY_H_
#define SKIFF_AGENT_INGRESS_INGRESS_PROXY_H_

#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "agent/ingress/haproxy_supervisor.h"
#include "agent/ingress/route_table.h"
#include "client/client.h"
#include "client/informer.h"
#include "client/shared_informers.h"

namespace skiff::agent::ingress {

struct IngressProxyOptions {
  std::string dir;                     // absolute; haproxy's files (DIR/ingress of the agent)
  std::vector<std::string> node_ips;   // listened on besides 127.0.0.1
  int http_port = 80;                  // 0 = none
  int https_port = 443;                // 0 = none
  absl::Duration sync_delay = absl::Milliseconds(50);
  absl::Duration secret_refresh = absl::Seconds(30);
  std::string haproxy_binary = "haproxy";
  // Scale to zero: where a request for Service `key`'s ("ns/name") port goes while the Service has
  // no endpoints, or nullopt when the Service is not marked for activation (the agent answers with
  // proxy::ActivationTable::ActivationAddress: the Service's ClusterIP and port, which the service
  // proxy sends to its activator while the Service is at zero). Used as each such backend's
  // activator (a backup server). Unset: requests for Services at zero get 503.
  std::function<std::optional<Endpoint>(const std::string& key, const std::string& port_name, int port_number)>
      activation_address;
  absl::Duration gateway_probe = absl::Seconds(5);
  // Whether this process's api catalogue holds the cluster's custom resources (an agent inside
  // the server): then the Gateway API is served once its CRDs are in the catalogue. Otherwise
  // (a separate agent) once listing them over the API succeeds.
  bool api_catalogue_has_custom_resources = false;
};

struct IngressStats {
  int64_t syncs = 0;    // route tables computed
  int64_t applies = 0;  // configurations applied (reloads)
  int64_t failures = 0;
  std::string last_error;             // "" after a success
  std::vector<std::string> warnings;  // of the last sync
};

class IngressProxy {
 public:
  IngressProxy(client::SharedInformers* informers, IngressProxyOptions options);
  ~IngressProxy();
  IngressProxy(const IngressProxy&) = delete;
  IngressProxy& operator=(const IngressProxy&) = delete;

  absl::Status Start();
  void Stop();
  IngressStats stats() const;

 private:
  void MarkDirty();
  void MarkService(const std::string& key);
  // Starts the Gateway API informers when the CRDs are served; true once they are.
  bool StartGatewayInformers();
  void SyncLoop();
  absl::Status Sync();
  // The Secrets by key, fetched when not cached or older than secret_refresh.
  std::map<std::string, client::Object> ReadSecrets(const std::set<std::string>& keys,
                                                    std::vector<std::string>* warnings);

  const IngressProxyOptions options_;
  client::SharedInformers* informers_;
  client::Informer* ingresses_;
  client::Informer* classes_;
  client::Informer* services_;
  client::Informer* slices_;
  // Gateway API informers (sync thread; null until the CRDs are served): GatewayClasses,
  // Gateways, HTTPRoutes, ReferenceGrants, Namespaces.
  std::vector<client::Informer*> gateway_informers_;
  std::vector<std::pair<client::Informer*, client::Informer::HandlerId>> handlers_;
  std::unique_ptr<HaproxySupervisor> haproxy_;
  HaproxyOptions render_options_;
  std::thread thread_;

  mutable std::mutex mu_;
  std::condition_variable cv_;
  bool stop_ = false;
  bool dirty_ = true;
  std::set<std::string> referenced_services_;  // of the last sync
  IngressStats stats_;

  // Sync thread only.
  std::optional<RouteTable> applied_;
  struct CachedSecret {
    client::Object secret;  // null = absent
    absl::Time fetched;
  };
  std::map<std::string, CachedSecret> secrets_;
  bool secrets_unreadable_ = false;  // the last read of some Secret failed (e.g. not yet allowed)
};

}  // namespace skiff::agent::ingress

#endif  // SKIFF_AGENT_INGRESS_INGRESS_PROXY_H_
