// The text of the nftables transactions the proxy runs (nft's command syntax, one buffer = one
// atomic transaction):
//  * FullSyncTransaction replaces the whole `ip <table>`: delete (if present) and re-add the table,
//    its base chains (hooks and priorities as kube-proxy: filter at dstnat-10 before DNAT, a
//    post-DNAT output filter at dstnat+10, nat at dstnat / srcnat), shared maps and sets, and every
//    service's chains and elements. The `cluster-ips-check` chain rejects new connections to a
//    served ClusterIP's undefined ports and to addresses of options.service_cidrs that are no
//    served ClusterIP.
//  * PartialSyncTransaction changes only what differs between two ServiceRules of each changed
//    service: new sets and chains, rewritten chains (flush + add), element deletes and adds (from
//    the kernel's elements before and after, see shared_elements.h), and finally the removal of
//    stale chains and sets — ordered so no step references something gone.
// Thread-safety: pure functions. Ownership: values. Failure: none (the kernel may still refuse a
// transaction, e.g. without CAP_NET_ADMIN; see nft.h).
#ifndef SKIFF_AGENT_PROXY_RULESET_H_
#define SKIFF_AGENT_PROXY_RULESET_H_

#include <map>
#include <string>
#include <vector>

#include "agent/proxy/proxy_options.h"
#include "agent/proxy/service_rules.h"
#include "agent/proxy/shared_elements.h"

namespace skiff::agent::proxy {

// services: by service key (namespace/name); shared elements are merged with MergeElements.
std::string FullSyncTransaction(const ProxyOptions& options,
                                const std::map<std::string, ServiceRules>& services);

struct ServiceRulesChange {
  const ServiceRules* before = nullptr;  // null = the service had no rules
  const ServiceRules* after = nullptr;   // null = the service has no rules now
};
// Chains and sets come from `changes`; elements from `elements_before` -> `elements_after` (the
// kernel's view of every element the changed services claimed or claim). "" when nothing differs.
std::string PartialSyncTransaction(const ProxyOptions& options,
                                   const std::vector<ServiceRulesChange>& changes,
                                   const ElementTable& elements_before, const ElementTable& elements_after);

// The table's command, e.g. "delete table ip skiff-proxy" for `skiff agent reset`: "add" first so
// that deleting a missing table is not an error.
std::string DeleteTableCommands(const std::string& table);

// Whether the node needs net.ipv4.conf.all.route_localnet=1 (and the table its guard against
// outside traffic to 127.0.0.0/8): NodePorts on 127.0.0.1, or a kubernetes Service that may lead
// pods to a loopback API server (options.api_service_ip).
bool NeedsRouteLocalnet(const ProxyOptions& options);

}  // namespace skiff::agent::proxy

#endif  // SKIFF_AGENT_PROXY_RULESET_H_
