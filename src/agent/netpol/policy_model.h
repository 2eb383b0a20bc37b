// The enforcer's view of Pods, Namespaces and NetworkPolicies (networking.k8s.io/v1): just what the
// rules need, parsed from the API objects so that rule generation is a pure function over values.
// IPv4 only: IPv6 pod addresses and ipBlocks are ignored.
// Semantics follow the API documentation: policyTypes unset = Ingress, plus Egress when the policy
// has egress rules; a rule without peers (`from`/`to` missing or empty) admits every peer; a rule
// without ports admits every port; a peer with only podSelector selects pods of the policy's
// namespace, with only namespaceSelector every pod of the selected namespaces, with both the
// selected pods of the selected namespaces; an ipBlock admits its CIDR minus its excepts.
// Thread-safety: pure functions over values; LabelSelector values are immutable.
// Ownership: values (a pod's labels are copied out of the object).
// Failure: parsing never fails on odd input. A policy whose podSelector cannot be parsed yields
// nullopt (it selects nothing); a peer whose selectors cannot be parsed, or whose ipBlock is not
// an IPv4 CIDR, admits nothing; ports with an unknown protocol or out of range are dropped — the
// API server's validation refuses all of these before they reach the agent.
#ifndef SKIFF_AGENT_NETPOL_POLICY_MODEL_H_
#define SKIFF_AGENT_NETPOL_POLICY_MODEL_H_

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "api/label_selector.h"
#include "boost/json/value.hpp"

namespace skiff::agent::netpol {

struct NamedPort {
  std::string name;
  std::string protocol;  // nft spelling: "tcp", "udp", "sctp"
  int port = 0;
  bool operator==(const NamedPort&) const = default;
};

struct PodModel {
  std::string ns;
  std::string name;
  std::string ip;         // status.podIP when IPv4, else ""
  std::string node_name;  // spec.nodeName
  boost::json::value labels;  // metadata.labels (null when none)
  bool host_network = false;
  bool terminal = false;  // phase Succeeded or Failed: its address may already belong to another pod
  std::vector<NamedPort> ports;  // named container ports (spec.containers[].ports[] with a name)
  std::string key() const { return ns + "/" + name; }
  bool operator==(const PodModel&) const = default;
};

struct NamespaceModel {
  std::string name;
  boost::json::value labels;  // always carries kubernetes.io/metadata.name
};

// An inclusive range of IPv4 addresses in host order.
using IpRange = std::pair<uint32_t, uint32_t>;

struct PeerModel {
  // Both unset for an ipBlock peer. When the object has one of them, the other is "every" pod or
  // namespace (podSelector only: namespace_selector unset = the policy's own namespace).
  std::optional<api::LabelSelector> pod_selector;
  std::optional<api::LabelSelector> namespace_selector;
  bool is_ip_block = false;
  std::vector<IpRange> ip_ranges;  // an ipBlock's CIDR minus its excepts, sorted and disjoint
  bool matches_nothing = false;    // unparsable selectors or ipBlock
};

struct PortModel {
  std::string protocol = "tcp";
  int port = 0;      // 0 = every port of the protocol (when name is empty)
  int end_port = 0;  // 0 = just `port`
  std::string name;  // a named port, resolved against each destination pod's container ports
};

struct RuleModel {
  bool all_peers = true;  // `from`/`to` missing or empty
  std::vector<PeerModel> peers;
  std::vector<PortModel> ports;  // empty = every port and protocol
};

struct PolicyModel {
  std::string ns;
  std::string name;
  api::LabelSelector pod_selector;
  bool ingress = false;  // the effective policyTypes
  bool egress = false;
  std::vector<RuleModel> ingress_rules;
  std::vector<RuleModel> egress_rules;
  std::string key() const { return ns + "/" + name; }
};

std::optional<PodModel> ParsePod(const boost::json::value& pod);
std::optional<NamespaceModel> ParseNamespace(const boost::json::value& ns);
std::optional<PolicyModel> ParsePolicy(const boost::json::value& policy);

// [cidr] minus every range of `except` (excepts outside the CIDR are ignored), sorted, disjoint.
std::vector<IpRange> SubtractRanges(IpRange cidr, const std::vector<IpRange>& except);
// Sorts and merges overlapping or adjacent ranges.
std::vector<IpRange> MergeRanges(std::vector<IpRange> ranges);

}  // namespace skiff::agent::netpol

#endif  // SKIFF_AGENT_NETPOL_POLICY_MODEL_H_
