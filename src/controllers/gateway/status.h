// Gateway API status as the conformance profile expects, computed from attachment.h:
//   * GatewayClass (ours): Accepted=True (Accepted);
//   * Gateway: Accepted=True; Programmed=True with status.addresses = the Ready nodes' InternalIPs
//     (every agent serves every Gateway), or Programmed=False AddressNotAssigned without nodes;
//     status.listeners[] with supportedKinds [HTTPRoute], attachedRoutes and conditions Accepted,
//     Programmed, ResolvedRefs (True; on HTTPS listeners False InvalidCertificateRef unless every
//     certificateRef names a kubernetes.io/tls Secret of the Gateway's namespace, RefNotPermitted
//     for one in another namespace) and Conflicted=False, or Accepted=False UnsupportedProtocol
//     for protocols other than HTTP/HTTPS;
//   * HTTPRoute: one status.parents[] entry per parentRef to our Gateways (controllerName
//     skiff.dev/gateway-controller; entries of other controllers are kept) with Accepted (True, or
//     False with NotAllowedByListeners / NoMatchingListenerHostname / NoMatchingParent) and
//     ResolvedRefs (True, or False with RefNotPermitted / BackendNotFound / InvalidKind).
// Conditions carry observedGeneration; lastTransitionTime is kept while status and reason stay.
//
// Thread-safety: pure functions. Ownership: values. Failure: none; malformed objects get the
// conditions their fields imply.
#ifndef SKIFF_CONTROLLERS_GATEWAY_STATUS_H_
#define SKIFF_CONTROLLERS_GATEWAY_STATUS_H_

#include <set>
#include <string>
#include <vector>

#include "boost/json/value.hpp"
#include "client/client.h"
#include "controllers/gateway/attachment.h"

namespace skiff::controllers::gateway {

// The desired status of a GatewayClass of ours.
boost::json::value GatewayClassStatus(const boost::json::value& gateway_class, const std::string& now);

// The desired status of one of attachments.gateways; `addresses` are the node IPs;
// `certificates` the existing kubernetes.io/tls Secrets ("namespace/name") among those the
// Gateways' listeners name.
boost::json::value GatewayStatus(const boost::json::value& gateway, const Attachments& attachments,
                                 const std::vector<std::string>& addresses, const std::set<std::string>& certificates,
                                 const std::string& now);

// The desired status of a route of attachments.routes. `services` are the existing Services
// ("namespace/name"); `grants` the ReferenceGrants.
boost::json::value HttpRouteStatus(const RouteAttachment& route, const std::set<std::string>& services,
                                   const std::vector<client::Object>& grants, const std::string& now);

}  // namespace skiff::controllers::gateway

#endif  // SKIFF_CONTROLLERS_GATEWAY_STATUS_H_
