// The CNI network configuration the agent gives containerd: one conflist, "skiff", with the bridge
// plugin (bridge skiff0 as the pods' gateway, optionally masquerading traffic that leaves it,
// hairpin mode so a pod reaches itself through a service), host-local IPAM on the node's
// spec.podCIDR (gateway = first address, default route through it, state under the agent's data
// dir) and portmap for hostPort. containerd adds the loopback interface itself. cniVersion 1.0.0:
// Debian's plugins (1.1.1) and containerd 1.6 both support it.
// Also the host settings pod networking needs: net.ipv4.ip_forward=1 and, for Services between
// pods of one node, net.bridge.bridge-nf-call-iptables=1.
// Thread-safety: pure functions, plus file writes that are atomic (rename) but not serialized.
// Ownership: values. Failure: InvalidArgument for a CIDR that is not IPv4 a.b.c.d/n (n <= 30);
// Internal with errno text when files cannot be written.
#ifndef SKIFF_AGENT_NODE_CNI_CONFIG_H_
#define SKIFF_AGENT_NODE_CNI_CONFIG_H_

#include <string>

#include "absl/status/statusor.h"
#include "boost/json/value.hpp"

namespace skiff::agent::node {

inline constexpr char kCniNetworkName[] = "skiff";
inline constexpr char kCniBridge[] = "skiff0";
inline constexpr char kCniConflistName[] = "10-skiff.conflist";

struct CniOptions {
  std::string pod_cidr;       // node.spec.podCIDR, e.g. "10.42.0.0/24"
  std::string ipam_data_dir;  // host-local's state, e.g. DIR/cni/ipam
  // The bridge plugin masquerades traffic leaving the node's podCIDR; off when the agent's own
  // masquerade table (pod_masquerade.h) exempts the whole cluster CIDR instead.
  bool ip_masq = true;
  int mtu = 0;  // the pods' MTU (below a VXLAN path's); 0 = the plugin's default
};

// The gateway (first usable address) of an IPv4 CIDR: "10.42.0.0/24" -> "10.42.0.1".
absl::StatusOr<std::string> CidrGateway(const std::string& cidr);
absl::StatusOr<boost::json::value> CniConflist(const CniOptions& options);
// Builds the conflist and writes it to conf_dir/10-skiff.conflist (only when the content differs),
// atomically (containerd watches the folder and must never see a partial file); creates conf_dir.
// Returns true when the file was (re)written.
absl::StatusOr<bool> WriteCniConflist(const std::string& conf_dir, const CniOptions& options);
// Writes "1" to <proc_root>/proc/sys/net/ipv4/ip_forward unless it already says 1.
absl::Status EnableIpForwarding(const std::string& proc_root = "");
// Writes "1" to <proc_root>/proc/sys/net/bridge/bridge-nf-call-iptables, so replies bridged
// between two pods pass conntrack and a Service's DNAT is undone (kube-proxy needs the same);
// NotFound while the br_netfilter module is not loaded.
absl::Status EnableBridgeNetfilter(const std::string& proc_root = "");

}  // namespace skiff::agent::node

#endif  // SKIFF_AGENT_NODE_CNI_CONFIG_H_
