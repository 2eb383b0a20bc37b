// Translates Gateway API HTTPRoutes attached to the Gateways of skiff's GatewayClasses
// (controllers/gateway/attachment.h decides attachment and hostnames) into the RouteTable
// (route_table.h), next to the Ingress routes: one wildcard-any-depth virtual host per effective
// hostname ("" = any host), one route per rule with its matches (path Exact / PathPrefix /
// RegularExpression, headers, query parameters, method; no match = PathPrefix "/"), filters
// (RequestHeaderModifier, RequestRedirect) and weighted Service backendRefs with their ready
// endpoints. Listener ports are not separate sockets: HTTP and HTTPS listeners are served on the
// node's ingress ports (the agent's --ingress-http-port / --ingress-https-port). HTTPS listeners'
// certificateRefs (kubernetes.io/tls Secrets of the Gateway's namespace) are served by SNI for the
// listener's hostname (or the certificate's own names when it has none).
//
// Not served (reported in warnings): URLRewrite and other filters (a filter is never skipped: such
// a rule answers 503), backendRefs of other kinds than Service (their share answers 503),
// certificateRefs to other namespaces.
//
// Thread-safety: pure functions over the inputs. Ownership: borrows the inputs during the call.
// Failure: never fails; a backend that cannot be reached (Service or port missing, a
// cross-namespace reference without a ReferenceGrant) has Backend::problem and no endpoints, so
// its share of the rule's requests answers 503.
#ifndef SKIFF_AGENT_INGRESS_GATEWAY_TRANSLATOR_H_
#define SKIFF_AGENT_INGRESS_GATEWAY_TRANSLATOR_H_

#include <map>
#include <set>
#include <string>
#include <vector>

#include "agent/ingress/route_table.h"
#include "client/client.h"
#include "controllers/gateway/attachment.h"

namespace skiff::agent::ingress {

struct GatewayInputs {
  controllers::gateway::Attachments attachments;  // controllers::gateway::Attach of the objects
  std::vector<client::Object> reference_grants;
  std::map<std::string, client::Object> services;             // by "namespace/name"
  std::map<std::string, std::vector<client::Object>> slices;  // by "namespace/service"
  // The HTTPS listeners' certificate Secrets (controllers::gateway::GatewayCertificateSecrets),
  // by "namespace/name"; absent ones are left out (with a warning).
  std::map<std::string, client::Object> secrets;
};

// The Services (by "namespace/name") the attached routes' backendRefs name.
std::set<std::string> GatewayReferencedServices(const controllers::gateway::Attachments& attachments);

// Adds the attached routes to `table` (hosts merged and sorted afterwards).
void TranslateGateways(const GatewayInputs& inputs, RouteTable* table, std::vector<std::string>* warnings);

}  // namespace skiff::agent::ingress

#endif  // SKIFF_AGENT_INGRESS_GATEWAY_TRANSLATOR_H_
