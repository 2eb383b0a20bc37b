// Gateway API attachment: which HTTPRoutes (gateway.networking.k8s.io/v1) attach to which listeners
// of the Gateways of skiff's GatewayClasses, under which hostnames, and why a parentRef does not
// attach. The agent programs its proxy from it (agent/ingress/gateway_translator.h) and the
// gateway status controller reports it, so both agree. Semantics follow the Gateway API spec:
//   * a GatewayClass is ours when spec.controllerName is kControllerName; a Gateway when its
//     spec.gatewayClassName names one of ours;
//   * listeners of protocol HTTP or HTTPS take HTTPRoutes (allowedRoutes.kinds, when given, must
//     name HTTPRoute); allowedRoutes.namespaces.from is Same (default), All or Selector;
//   * a parentRef (group gateway.networking.k8s.io, kind Gateway, namespace defaulting to the
//     route's) picks the listeners named by sectionName (all when unset) and with `port` (when
//     set); of those, the ones that allow the route's namespace (else NotAllowedByListeners) and
//     share a hostname with it (else NoMatchingListenerHostname) accept it;
//   * hostnames intersect: a listener "*.example.com" with route "a.example.com" gives
//     "a.example.com"; route "*.example.com" with listener "a.example.com" gives "a.example.com";
//     a side without hostnames takes the other's; "" means any host.
// Backends: a backendRef to another namespace needs a ReferenceGrant in that namespace from
// HTTPRoutes of the route's namespace to the Service (BackendRefPermitted).
//
// Thread-safety: pure functions over immutable inputs. Ownership: results hold shared Objects.
// Failure: never fails; malformed objects simply do not attach, with a reason.
#ifndef SKIFF_CONTROLLERS_GATEWAY_ATTACHMENT_H_
#define SKIFF_CONTROLLERS_GATEWAY_ATTACHMENT_H_

#include <map>
#include <set>
#include <string>
#include <vector>

#include "client/client.h"

namespace skiff::controllers::gateway {

inline constexpr char kControllerName[] = "skiff.dev/gateway-controller";
inline constexpr char kGroup[] = "gateway.networking.k8s.io";

// Everything attachment depends on (any order; objects of other controllers are ignored).
struct GatewayObjects {
  std::vector<client::Object> classes;     // GatewayClasses
  std::vector<client::Object> gateways;
  std::vector<client::Object> routes;      // HTTPRoutes
  std::vector<client::Object> namespaces;  // for allowedRoutes from: Selector
};

// One parentRef of a route that names a Gateway of ours.
struct ParentAttachment {
  size_t ref_index = 0;      // in spec.parentRefs
  std::string gateway;       // "namespace/name"
  bool accepted = false;
  std::string reason;        // "Accepted", "NotAllowedByListeners", "NoMatchingListenerHostname", "NoMatchingParent"
  std::string message;
  std::vector<std::string> listeners;  // names of the listeners that accepted the route
  // The hostnames the route serves through those listeners (lower-case; "" = any), de-duplicated.
  std::vector<std::string> hostnames;
};

struct RouteAttachment {
  client::Object route;
  std::vector<ParentAttachment> parents;  // only parentRefs to our Gateways
};

struct Attachments {
  std::set<std::string> classes;                 // names of our GatewayClasses
  std::vector<client::Object> gateways;          // ours, by namespace/name
  // Routes with a parentRef to one of our Gateways, oldest first (then namespace/name): the
  // Gateway API's tie-break between routes.
  std::vector<RouteAttachment> routes;
  // Gateway "namespace/name" -> listener name -> routes attached (for status.listeners).
  std::map<std::string, std::map<std::string, int>> attached_routes;
};

Attachments Attach(const GatewayObjects& objects);

// The hostnames a route with `route_hostnames` serves through a listener with `listener_hostname`
// ("" = none); empty when they share none. A result "" means any host.
std::vector<std::string> IntersectHostnames(const std::string& listener_hostname,
                                            const std::vector<std::string>& route_hostnames);

// Whether an HTTPRoute in route_ns may send traffic to Service service_ns/service: same namespace,
// or a ReferenceGrant in service_ns from (gateway.networking.k8s.io, HTTPRoute, route_ns) to
// ("", Service, service or any name). `grants` are ReferenceGrants (v1beta1 or v1).
// The Secrets (names in the Gateway's namespace) an HTTPS listener's tls.certificateRefs name;
// `cross_namespace` (may be null) is set when a ref names another namespace (not supported).
std::vector<std::string> ListenerCertificateSecrets(const boost::json::value& listener, const std::string& gateway_ns,
                                                    bool* cross_namespace);

// Every such Secret of the Gateways, "namespace/name".
std::set<std::string> GatewayCertificateSecrets(const std::vector<client::Object>& gateways);

bool BackendRefPermitted(const std::string& route_ns, const std::string& service_ns, const std::string& service,
                         const std::vector<client::Object>& grants);

}  // namespace skiff::controllers::gateway

#endif  // SKIFF_CONTROLLERS_GATEWAY_ATTACHMENT_H_
