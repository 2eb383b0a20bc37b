// ServiceRules: everything one Service contributes to the proxy's nftables table — its own chains
// (one per service port and traffic kind; per endpoint only with session affinity), its
// session-affinity sets, and its elements in the shared maps and sets (service-ips,
// service-nodeports, no-endpoint-*, cluster-ips, hairpin).
// BuildServiceRules is the policy (modelled on kube-proxy's nftables mode):
//  * ClusterIP traffic goes to "service-…" (all usable endpoints; internalTrafficPolicy Local:
//    "local-…" with this node's endpoints); traffic not arriving on the pod bridge is marked for
//    masquerade.
//  * NodePort / externalIP / LoadBalancer traffic enters "external-…": masqueraded and sent to
//    every endpoint, or with externalTrafficPolicy Local kept unmasqueraded and sent to local
//    endpoints only (pod and host-originated traffic short-circuits to the cluster chain).
//  * The endpoint is picked by `dnat to numgen random mod N map {…}` in that chain. kube-proxy
//    uses a chain per endpoint; here only session affinity does ("endpoint-…": record the client
//    in a timeout set, DNAT; the sets are checked before the random choice), because libnftables
//    reads every chain of the table before each transaction and 10x the chains is 5x the time
//    of an incremental sync at 1,000 services. Hairpin traffic (a pod reaching itself) is
//    masqueraded in postrouting through the shared "hairpin" set (ip . ip per endpoint).
//  * Usable endpoints are the ready ones, or, when none is ready, the serving+terminating ones.
//    No usable endpoint: reject (TCP reset / ICMP port unreachable); Local policy without a local
//    endpoint: drop. A Service marked for activation (scale to zero) instead sends its TCP ports'
//    new connections to "activate-…", which redirects them to the activator's local port; once
//    endpoints exist the maps lead to the dispatch chains again, so the activator is never on
//    the path of an active service.
//  * With options.count_connections every dispatch (and activate) chain first bumps the
//    service's named counter ("conns-…"): nat chains see only a connection's first packet, so the
//    counter counts new connections, in the kernel, per Service.
// Chain and set names are stable functions of the service, port and endpoint (hash + readable
// suffix), so a sync only rewrites what changed. Several services may claim one shared element
// (the same endpoint IP, or a conflicting address:port); ruleset.h settles that.
// Thread-safety: pure functions. Ownership: values. Failure: none; input is pre-validated by
// service_model.h.
#ifndef SKIFF_AGENT_PROXY_SERVICE_RULES_H_
#define SKIFF_AGENT_PROXY_SERVICE_RULES_H_

#include <map>
#include <set>
#include <string>
#include <vector>

#include "agent/proxy/proxy_options.h"
#include "agent/proxy/service_model.h"

namespace skiff::agent::proxy {

struct ServiceRules {
  std::map<std::string, std::vector<std::string>> chains;  // chain name -> rules (nft syntax)
  std::map<std::string, std::string> sets;                 // set name -> declaration body
  std::set<std::string> counters;                          // named counters
  // Shared map/set name -> element key -> value (a verdict for maps, "" for sets).
  std::map<std::string, std::map<std::string, std::string>> elements;
  bool operator==(const ServiceRules&) const = default;
  bool empty() const { return chains.empty() && sets.empty() && elements.empty(); }
};

ServiceRules BuildServiceRules(const ServiceModel& service, const EndpointsByPort& endpoints,
                               const ProxyOptions& options);

// What the activator needs of a Service marked for activation: its addresses, NodePorts and the
// usable endpoints (cluster-wide, the same choice as the rules) of each TCP port.
ActivationEntry BuildActivationEntry(const ServiceModel& service, const EndpointsByPort& endpoints,
                                     const ScaleTarget& target);

// Chain names, e.g. "service-K3QZ2BXA-default/web/tcp/http" and
// "endpoint-7HQX4M2P-default/web/tcp/http__10.42.0.5/8080". `kind` is service, local, external
// or activate.
std::string ServicePortChain(const std::string& kind, const ServiceModel& service,
                             const ServicePortModel& port);
// The named counter of a Service's new connections, e.g. "conns-Q2MZ7A3K-default/web".
std::string ServiceCounter(const std::string& ns, const std::string& name);
std::string EndpointChain(const ServiceModel& service, const ServicePortModel& port,
                          const EndpointModel& endpoint);

}  // namespace skiff::agent::proxy

#endif  // SKIFF_AGENT_PROXY_SERVICE_RULES_H_
