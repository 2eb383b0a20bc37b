// Cross-node pod networking, the plan: from this node and the other Nodes (InternalIP, podCIDR,
// published VXLAN endpoint), which kernel routes, ARP and FDB entries make every other node's pods
// reachable. flannel's two backends:
//   host-gw: "<peer podCIDR> via <peer InternalIP>", for a peer on a segment this node is on;
//   vxlan:   VNI 1, UDP 8472 on a device holding "<own podCIDR network>/32"; per peer a route
//            "<peer podCIDR> via <peer podCIDR network> dev <vxlan> onlink", a permanent neighbour
//            entry (that address -> the peer's vtep MAC) and an FDB entry (MAC -> peer InternalIP).
// Backend::kAuto picks host-gw per peer when it shares a subnet with this node, VXLAN otherwise.
// Peers without an InternalIP or podCIDR (or, for VXLAN, without a published vtep MAC) are skipped
// until they have one.
// Thread-safety: pure functions on values. Ownership: values. Failure: ParseBackend and
// Ipv4Net::Parse return InvalidArgument for text they do not accept; the planner skips bad peers.
#ifndef SKIFF_AGENT_NODE_PEER_ROUTES_H_
#define SKIFF_AGENT_NODE_PEER_ROUTES_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "boost/json/value.hpp"

namespace skiff::agent::node {

// Node annotations the agent publishes (flannel's names, so its tooling reads them).
inline constexpr char kBackendTypeAnnotation[] = "flannel.alpha.coreos.com/backend-type";
inline constexpr char kBackendDataAnnotation[] =
    "flannel.alpha.coreos.com/backend-data";  // {"VNI":1,"VtepMAC":..}
inline constexpr char kPublicIpAnnotation[] = "flannel.alpha.coreos.com/public-ip";
inline constexpr char kVxlanDevice[] = "skiff.1";
inline constexpr int kVxlanVni = 1;
inline constexpr int kVxlanPort = 8472;
inline constexpr int kVxlanOverhead = 50;  // outer IPv4 + UDP + VXLAN + inner Ethernet headers

enum class Backend { kAuto, kHostGw, kVxlan };
absl::StatusOr<Backend> ParseBackend(const std::string& text);  // "auto", "host-gw", "vxlan"

// An IPv4 network "a.b.c.d/n" (the address keeps its host bits).
struct Ipv4Net {
  uint32_t address = 0;  // host byte order
  int prefix = 0;
  static absl::StatusOr<Ipv4Net> Parse(const std::string& cidr);
  uint32_t mask() const { return prefix == 0 ? 0 : ~uint32_t{0} << (32 - prefix); }
  bool Contains(uint32_t ip) const { return (ip & mask()) == (address & mask()); }
  bool Contains(const std::string& ip) const;
  std::string NetworkAddress() const;  // "10.42.1.0"
  std::string NetworkCidr() const;     // "10.42.1.0/24"
};

// What the planner needs of one Node.
struct PeerNode {
  std::string name;
  std::string internal_ip;  // status.addresses[type=InternalIP]
  std::string pod_cidr;     // spec.podCIDR
  std::string vtep_mac;     // from kBackendDataAnnotation; "" = none published
};
PeerNode PeerFromNode(const boost::json::value& node);

struct PeerRoute {
  std::string destination;  // the peer's podCIDR, normalized ("10.42.1.0/24")
  std::string gateway;      // host-gw: the peer's InternalIP; vxlan: the peer's podCIDR network
  std::string device;       // "" for host-gw (the kernel picks the link); kVxlanDevice for vxlan
  bool operator==(const PeerRoute&) const = default;
  auto operator<=>(const PeerRoute&) const = default;
};

struct VtepEntry {
  std::string address;    // the peer's podCIDR network address (its vxlan device's)
  std::string mac;        // its vtep MAC
  std::string remote_ip;  // its InternalIP: where the encapsulated packets go
  bool operator==(const VtepEntry&) const = default;
  auto operator<=>(const VtepEntry&) const = default;
};

struct RoutePlan {
  std::vector<PeerRoute> routes;  // sorted
  std::vector<VtepEntry> vteps;   // sorted
  bool operator==(const RoutePlan&) const = default;
};

struct PlanInput {
  std::string self_name;
  Backend backend = Backend::kAuto;
  // The IPv4 subnets this node has an address on (not the pod bridge or the vxlan device):
  // a peer whose InternalIP is in one of them is on a shared segment.
  std::vector<Ipv4Net> local_subnets;
};

RoutePlan PlanPeerRoutes(const PlanInput& input, const std::vector<PeerNode>& peers);

}  // namespace skiff::agent::node

#endif  // SKIFF_AGENT_NODE_PEER_ROUTES_H_
