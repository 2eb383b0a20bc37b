// ProxyOptions: how the service proxy (service_proxy.h) programs this node: which addresses take
// NodePorts, which interface carries pod traffic, which service IPs this node serves itself, and
// the nftables table it owns. Also the names of the table's shared chains, maps and sets.
// Thread-safety: a plain value. Ownership: copied into the proxy. Failure: none (addresses that
// are not IPv4 dotted quads are ignored where they are used).
#ifndef SKIFF_AGENT_PROXY_PROXY_OPTIONS_H_
#define SKIFF_AGENT_PROXY_PROXY_OPTIONS_H_

#include <string>
#include <vector>

#include "absl/time/time.h"

namespace skiff::agent::proxy {

struct ProxyOptions {
  std::string node_name;              // endpoints with this nodeName are "local" (traffic policies)
  std::vector<std::string> node_ips;  // NodePorts answer on these; empty = every local address
  // Traffic arriving on this interface is pod traffic (kube-proxy's --detect-local-mode=
  // BridgeInterface); traffic from anywhere else to a ClusterIP is masqueraded.
  std::string pod_bridge = "skiff0";
  // VIPs this node serves itself (the cluster DNS address): never DNAT'd or rejected.
  std::vector<std::string> local_service_ips;
  // The ranges ClusterIPs come from (the API server's --service-cidr, "a.b.c.d/n"). New traffic
  // to an address in them that is no served ClusterIP (nor a local_service_ips address) is
  // rejected (TCP reset / ICMP port unreachable), so it never follows the default route off the
  // node. kube-proxy's nftables mode drops it instead (its service CIDRs come from ServiceCIDR
  // objects); we reject so clients fail at once. Empty = no such rule; invalid entries are ignored
  // here (ServiceProxy::Start refuses them).
  std::vector<std::string> service_cidrs;
  // NodePorts also answer on 127.0.0.1 (sets net.ipv4.conf.all.route_localnet=1 and masquerades
  // localhost-sourced traffic, as kube-proxy's iptables mode does).
  bool localhost_node_ports = true;
  // The kubernetes Service's ClusterIP ("" = none). When the API server listens on loopback only,
  // that Service's endpoint is 127.0.0.1 and its DNAT sends pods there: with route_localnet=1 the
  // node then delivers these connections (TCP to this address, port 443, DNAT'd by us) to the
  // loopback listener, while every other packet from a non-loopback interface to 127.0.0.0/8 is
  // still dropped. No other Service may lead pods to the node's loopback.
  std::string api_service_ip;
  std::string table = "skiff-proxy";  // family ip
  // Count new connections per Service in a named nft counter (ServiceCounter) on the service's
  // dispatch, for the requests-per-second metric (connection_rates.h).
  bool count_connections = false;
  // The activator's listener (activator.h); 0 = no activation. TCP ports of a Service marked for
  // activation (ServiceModel::activate) that has no usable endpoint redirect new connections to
  // this port of the node instead of rejecting them.
  int activator_port = 0;
  absl::Duration rate_sample_period = absl::Seconds(1);  // counter samples (count_connections)
  absl::Duration rate_window = absl::Seconds(10);        // requests-per-second is averaged over it
  // Events arriving within this delay of the first one are applied in the same transaction.
  absl::Duration sync_delay = absl::Milliseconds(5);
  // A full table replacement on this period re-asserts the rules (zero = only at start and after
  // a failed transaction).
  absl::Duration full_sync_period = absl::Hours(1);
};

// Names inside the table (shared by the generator and the tests).
inline constexpr char kServiceIpsMap[] = "service-ips";                     // daddr . proto . port : verdict
inline constexpr char kServiceNodePortsMap[] = "service-nodeports";         // proto . port : verdict
inline constexpr char kNoEndpointServicesMap[] = "no-endpoint-services";    // daddr . proto . port : verdict
inline constexpr char kNoEndpointNodePortsMap[] = "no-endpoint-nodeports";  // proto . port : verdict
inline constexpr char kClusterIpsSet[] = "cluster-ips";                     // every served ClusterIP
inline constexpr char kNodePortIpsSet[] = "nodeport-ips";                   // node_ips (+ 127.0.0.1)
inline constexpr char kHairpinSet[] = "hairpin";  // "ip . ip" per endpoint: saddr == DNAT'd daddr
inline constexpr char kMarkForMasqueradeChain[] = "mark-for-masquerade";
inline constexpr char kRejectChain[] = "reject-chain";
inline constexpr char kMasqueradeMark[] = "0x4000";

}  // namespace skiff::agent::proxy

#endif  // SKIFF_AGENT_PROXY_PROXY_OPTIONS_H_
