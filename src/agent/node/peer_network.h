// Cross-node pod networking, the kernel side: applies a RoutePlan (peer_routes.h) to the network
// namespace of the calling thread with iproute2 (`ip`, `bridge`; JSON output parsed with
// Boost.JSON). Routes carry protocol kRouteProtocol, so the ones this agent made are found again
// after a restart and removed by RemovePeerNetwork (`skiff agent reset`) without touching others.
// The VXLAN device holds "<podCIDR network>/32" like flannel's flannel.1 and learns nothing: its
// neighbour and FDB entries come only from the plan.
// Thread-safety: functions act on the calling thread's network namespace; do not run two
// ApplyRoutePlan at once in one namespace. Ownership: the kernel state outlives the process until
// RemovePeerNetwork. Failure: Unavailable with the tool's output when a command fails (typically
// missing CAP_NET_ADMIN, or a gateway not reachable); ApplyRoutePlan applies what it can and
// returns the first error.
#ifndef SKIFF_AGENT_NODE_PEER_NETWORK_H_
#define SKIFF_AGENT_NODE_PEER_NETWORK_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "agent/node/peer_routes.h"

namespace skiff::agent::node {

// The routing protocol number of the agent's peer routes (`ip route show proto 157`).
inline constexpr int kRouteProtocol = 157;

struct VxlanDeviceConfig {
  std::string local_ip;  // the node IP: outer source address
  std::string pod_cidr;  // this node's podCIDR: the device holds its network address /32
  int mtu = 0;           // 0 = the MTU of the link that holds local_ip, less kVxlanOverhead
};

// Creates (or re-creates, when its VNI, port or local address differ) kVxlanDevice, sets its
// address, MTU and up; returns its MAC address.
absl::StatusOr<std::string> EnsureVxlanDevice(const VxlanDeviceConfig& config);

// The IPv4 subnets of this namespace's interfaces, except loopback, host routes (/32) and the
// named devices (the pod bridge, the VXLAN device).
absl::StatusOr<std::vector<Ipv4Net>> LocalSubnets(const std::vector<std::string>& exclude_devices);

// The MTU of the interface holding `ip`.
absl::StatusOr<int> MtuOfAddress(const std::string& ip);

// Makes the kernel's proto-kRouteProtocol routes and the VXLAN device's neighbour and FDB entries
// exactly the plan's: adds or replaces what is missing or different, deletes the rest.
absl::Status ApplyRoutePlan(const RoutePlan& plan);

// Deletes every proto-kRouteProtocol route and the VXLAN device. OK when there is nothing.
absl::Status RemovePeerNetwork();

}  // namespace skiff::agent::node

#endif  // SKIFF_AGENT_NODE_PEER_NETWORK_H_
