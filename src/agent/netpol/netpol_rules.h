// The nftables table that enforces NetworkPolicies on this node's pods (kube-router's model, in
// one `ip <table>`), built as a TableState (table_state.h) from plain models (policy_model.h):
//  * base chains: `egress-forward` (forward hook, priority filter) and `egress-input` (input hook)
//    send new packets from a policed pod (by source address, verdict map `egress-pods`) to its
//    `pods-out-<hash>` chain; `ingress-forward` (forward hook, priority filter + 5) sends new
//    packets to a policed pod (map `ingress-pods`) to its `pods-in-<hash>` chain. The hooks run
//    after the service proxy's DNAT, so policies see the endpoint (pod) address of Service
//    traffic. Packets of established or related connections are accepted first (return traffic).
//    An accept ends only its own base chain, so a packet between two policed pods needs both the
//    sender's egress and the receiver's ingress to admit it;
//  * a pods chain jumps to the chain of every policy selecting the pod (`pol-<ns>/<name>-in` or
//    `-out`) and rejects (ICMP admin-prohibited) whatever none of them accepted. Pods selected by
//    the same policies (a Deployment's replicas) share one chain, named after the hash of its
//    policy list (fewer chains make every kernel transaction cheaper): a pod whose labels change
//    only moves its map element to another chain;
//  * a policy chain has accept rules per policy rule: peers from a set of pod addresses
//    (`peers-<hash of the selectors>`: one set for every rule with the same selector peers, so a
//    thousand policies admitting "namespaces team=x" share it; updated element by element as pods
//    come and go) and/or the rule's ipBlocks as an anonymous interval set; numeric ports and endPort
//    ranges inline; named ports through a set of "pod address . protocol . port" resolved per pod
//    from its containers' ports (the selected pods for ingress: `pol-<ns>/<name>-in<i>-ports`; the
//    peer pods for egress: `ports-<hash>`).
// Only pods of options.node_name are policed, and a policy gets chains only while it selects one
// of them. Host-network pods are neither policed nor peers (their address is the node's), and
// traffic the node itself sends to its pods (probes, host-network pods) never crosses the
// forward hook and is always admitted — as kube-router does. A policed pod's traffic to the node
// (input hook) is egress like any other: the cluster DNS on the node's dummy interface is reachable
// under an egress policy only if a rule admits it (by port, ipBlock, or a peer selecting namespace
// kube-system and pods labelled k8s-app=kube-dns, which options.cluster_dns_ip stands for).
// Thread-safety: pure functions over values. Ownership: values.
// Failure: none (models are already sanitized; see policy_model.h).
#ifndef SKIFF_AGENT_NETPOL_NETPOL_RULES_H_
#define SKIFF_AGENT_NETPOL_NETPOL_RULES_H_

#include <string>
#include <vector>

#include "agent/netpol/policy_model.h"
#include "agent/netpol/table_state.h"

namespace skiff::agent::netpol {

struct NetpolOptions {
  std::string node_name;  // pods with this spec.nodeName are policed
  std::string table = "skiff-netpol";  // family ip
  // The cluster DNS address this node serves itself: a peer as if it were a kube-dns pod
  // (namespace kube-system, label k8s-app=kube-dns). "" = none.
  std::string cluster_dns_ip;
};

// Names inside the table (shared by the generator, the enforcer and the tests).
inline constexpr char kIngressPodsMap[] = "ingress-pods";  // pod address : goto pods-in-<hash>
inline constexpr char kEgressPodsMap[] = "egress-pods";    // pod address : goto pods-out-<hash>
// The chain of the pods policed by exactly these policy chains (in policy key order).
std::string PodsChain(const std::vector<std::string>& policy_chains, bool ingress);
std::string PolicyChain(const std::string& policy_key, bool ingress);

TableState BuildTableState(const NetpolOptions& options, const std::vector<PodModel>& pods,
                           const std::vector<NamespaceModel>& namespaces, const std::vector<PolicyModel>& policies);

}  // namespace skiff::agent::netpol

#endif  // SKIFF_AGENT_NETPOL_NETPOL_RULES_H_
