#include "agent/netpol/netpol_rules.h"

#include <algorithm>
#include <map>
#include <set>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "base/ipv4.h"

namespace skiff::agent::netpol {
namespace {

constexpr char kReject[] = "counter reject with icmp type admin-prohibited";
constexpr char kDnsNamespace[] = "kube-system";

// nftables names may be up to 255 bytes; a longer one keeps a readable prefix and a stable hash.
std::string Ident(std::string name) {
  constexpr size_t kMax = 200;
  if (name.size() <= kMax) return name;
  uint64_t hash = 14695981039346656037ull;  // FNV-1a: the same name always maps to the same text
  for (unsigned char c : name) hash = (hash ^ c) * 1099511628211ull;
  return absl::StrFormat("%s-%016x", name.substr(0, kMax - 17), hash);
}

std::string FormatRange(const IpRange& r) {
  if (r.first == r.second) return base::FormatIpv4(r.first);
  return absl::StrCat(base::FormatIpv4(r.first), "-", base::FormatIpv4(r.second));
}

// Pods that can be peers or be policed, grouped by namespace; plus the namespaces' labels.
class Cluster {
 public:
  Cluster(const NetpolOptions& options, const std::vector<PodModel>& pods,
          const std::vector<NamespaceModel>& namespaces) {
    for (const PodModel& pod : pods) {
      if (pod.ip.empty() || pod.host_network || pod.terminal) continue;
      by_ns_[pod.ns].push_back(&pod);
    }
    if (!options.cluster_dns_ip.empty()) {
      dns_.ns = kDnsNamespace;
      dns_.name = "cluster-dns";
      dns_.ip = options.cluster_dns_ip;
      dns_.labels = boost::json::object{{"k8s-app", "kube-dns"}};
      by_ns_[kDnsNamespace].push_back(&dns_);
    }
    for (const NamespaceModel& ns : namespaces) ns_labels_[ns.name] = &ns.labels;
  }

  const std::vector<const PodModel*>& InNamespace(const std::string& ns) const {
    static const std::vector<const PodModel*> kNone;
    auto it = by_ns_.find(ns);
    return it == by_ns_.end() ? kNone : it->second;
  }

  // The pods a selector peer of a policy in `policy_ns` admits.
  void AddPeerPods(const PeerModel& peer, const std::string& policy_ns, std::set<const PodModel*>& out) const {
    if (peer.matches_nothing || peer.is_ip_block) return;
    auto add_from = [&](const std::string& ns) {
      for (const PodModel* pod : InNamespace(ns)) {
        if (!peer.pod_selector || peer.pod_selector->Matches(&pod->labels)) out.insert(pod);
      }
    };
    if (!peer.namespace_selector) {
      add_from(policy_ns);
      return;
    }
    for (const auto& [ns, pods] : by_ns_) {
      auto labels = ns_labels_.find(ns);
      // The DNS stand-in's namespace matches even when the Namespace object is not (yet) cached.
      const boost::json::value* l = labels != ns_labels_.end() ? labels->second : nullptr;
      boost::json::value fallback;
      if (l == nullptr) {
        fallback = boost::json::object{{"kubernetes.io/metadata.name", ns}};
        l = &fallback;
      }
      if (peer.namespace_selector->Matches(l)) add_from(ns);
    }
  }

  std::vector<const PodModel*> AllPods() const {
    std::vector<const PodModel*> all;
    for (const auto& [ns, pods] : by_ns_) all.insert(all.end(), pods.begin(), pods.end());
    return all;
  }

 private:
  PodModel dns_;
  std::map<std::string, std::vector<const PodModel*>> by_ns_;
  std::map<std::string, const boost::json::value*> ns_labels_;
};

// Match texts for a rule's ports: "" = every port; numeric ports grouped by protocol.
std::vector<std::string> PortMatches(const RuleModel& rule, const std::string& named_set) {
  if (rule.ports.empty()) return {""};
  std::map<std::string, std::vector<std::string>> numeric;
  std::set<std::string> whole_protocol;
  bool named = false;
  for (const PortModel& p : rule.ports) {
    if (!p.name.empty()) {
      named = true;
    } else if (p.port == 0) {
      whole_protocol.insert(p.protocol);
    } else {
      numeric[p.protocol].push_back(p.end_port > 0 ? absl::StrCat(p.port, "-", p.end_port) : absl::StrCat(p.port));
    }
  }
  std::vector<std::string> matches;
  for (const std::string& proto : whole_protocol) matches.push_back(absl::StrCat("meta l4proto ", proto));
  for (auto& [proto, ports] : numeric) {
    if (whole_protocol.contains(proto)) continue;
    std::sort(ports.begin(), ports.end());
    ports.erase(std::unique(ports.begin(), ports.end()), ports.end());
    // Overlapping ranges are not allowed in one anonymous set: one match per port or range then.
    matches.push_back(absl::StrCat("meta l4proto ", proto, " th dport { ", absl::StrJoin(ports, ", "), " }"));
  }
  if (named) matches.push_back(absl::StrCat("ip daddr . meta l4proto . th dport @", named_set));
  return matches;
}

// The "address . protocol . port" elements of a rule's named ports over `pods`.
std::set<std::string> NamedPortElements(const RuleModel& rule, const std::vector<const PodModel*>& pods) {
  std::set<std::string> elements;
  for (const PortModel& p : rule.ports) {
    if (p.name.empty()) continue;
    for (const PodModel* pod : pods) {
      for (const NamedPort& np : pod->ports) {
        if (np.name == p.name && np.protocol == p.protocol)
          elements.insert(absl::StrCat(pod->ip, " . ", np.protocol, " . ", np.port));
      }
    }
  }
  return elements;
}

bool HasNamedPort(const RuleModel& rule) {
  return std::any_of(rule.ports.begin(), rule.ports.end(), [](const PortModel& p) { return !p.name.empty(); });
}

// Whether two numeric port entries of one protocol overlap (nft refuses overlapping intervals in
// one anonymous set); then each is matched by its own rule.
bool OverlappingPorts(const RuleModel& rule) {
  std::map<std::string, std::vector<std::pair<int, int>>> ranges;
  for (const PortModel& p : rule.ports) {
    if (p.name.empty() && p.port > 0) ranges[p.protocol].push_back({p.port, std::max(p.port, p.end_port)});
  }
  for (auto& [proto, list] : ranges) {
    std::sort(list.begin(), list.end());
    for (size_t i = 1; i < list.size(); ++i) {
      if (list[i].first <= list[i - 1].second) return true;
    }
  }
  return false;
}

void AddPolicyDirection(const PolicyModel& policy, bool ingress, const std::vector<const PodModel*>& selected,
                        const Cluster& cluster, TableState& state) {
  const std::string chain_name = PolicyChain(policy.key(), ingress);
  ChainState& chain = state.chains[chain_name];
  const std::vector<RuleModel>& rules = ingress ? policy.ingress_rules : policy.egress_rules;
  const std::string peer_field = ingress ? "ip saddr" : "ip daddr";
  for (size_t i = 0; i < rules.size(); ++i) {
    const RuleModel& rule = rules[i];
    const std::string set_prefix = Ident(absl::StrCat("pol-", policy.key(), ingress ? "-in" : "-out", i));
    std::vector<std::string> peer_matches;
    std::set<const PodModel*> peer_pods;
    if (rule.all_peers) {
      peer_matches.push_back("");
    } else {
      std::vector<IpRange> ranges;
      bool selector_peer = false;
      for (const PeerModel& peer : rule.peers) {
        if (peer.is_ip_block) {
          ranges.insert(ranges.end(), peer.ip_ranges.begin(), peer.ip_ranges.end());
        } else if (!peer.matches_nothing) {
          selector_peer = true;
          cluster.AddPeerPods(peer, policy.ns, peer_pods);
        }
      }
      if (selector_peer) {
        SetState& set = state.sets[set_prefix];
        set.spec = "type ipv4_addr;";
        for (const PodModel* pod : peer_pods) set.elements.insert(pod->ip);
        peer_matches.push_back(absl::StrCat(peer_field, " @", set_prefix));
      }
      if (ranges = MergeRanges(std::move(ranges)); !ranges.empty()) {
        std::vector<std::string> texts;
        for (const IpRange& r : ranges) texts.push_back(FormatRange(r));
        peer_matches.push_back(absl::StrCat(peer_field, " { ", absl::StrJoin(texts, ", "), " }"));
      }
    }
    const std::string named_set = Ident(set_prefix + "-ports");
    if (HasNamedPort(rule)) {
      // Ingress: the selected pod's own ports. Egress: the destination's, among the peer pods (an
      // ipBlock peer has no named ports) or, without peers, every pod.
      std::vector<const PodModel*> owners =
          ingress ? selected
                  : (rule.all_peers ? cluster.AllPods() : std::vector<const PodModel*>(peer_pods.begin(), peer_pods.end()));
      SetState& set = state.sets[named_set];
      set.spec = "type ipv4_addr . inet_proto . inet_service;";
      set.elements = NamedPortElements(rule, owners);
    }
    std::vector<std::string> port_matches;
    if (OverlappingPorts(rule)) {
      for (const PortModel& p : rule.ports) {
        RuleModel single;
        single.ports = {p};
        for (std::string& m : PortMatches(single, named_set)) port_matches.push_back(std::move(m));
      }
      std::sort(port_matches.begin(), port_matches.end());
      port_matches.erase(std::unique(port_matches.begin(), port_matches.end()), port_matches.end());
    } else {
      port_matches = PortMatches(rule, named_set);
    }
    for (const std::string& peer : peer_matches) {
      for (const std::string& port : port_matches) {
        std::string text = peer;
        if (!port.empty()) absl::StrAppend(&text, text.empty() ? "" : " ", port);
        absl::StrAppend(&text, text.empty() ? "" : " ", "accept");
        chain.rules.push_back(std::move(text));
      }
    }
  }
}

void AddBase(TableState& state) {
  state.sets[kIngressPodsMap] = {.is_map = true, .spec = "type ipv4_addr : verdict;"};
  state.sets[kEgressPodsMap] = {.is_map = true, .spec = "type ipv4_addr : verdict;"};
  const std::string established = "ct state established,related accept";
  const std::string egress = absl::StrCat("ip saddr vmap @", kEgressPodsMap);
  state.chains["egress-forward"] = {"type filter hook forward priority filter; policy accept;", {established, egress}};
  state.chains["egress-input"] = {"type filter hook input priority filter; policy accept;", {established, egress}};
  state.chains["ingress-forward"] = {"type filter hook forward priority filter + 5; policy accept;",
                                     {established, absl::StrCat("ip daddr vmap @", kIngressPodsMap)}};
}

}  // namespace

std::string PodChain(const std::string& pod_key, bool ingress) {
  return Ident(absl::StrCat(ingress ? "pod-in-" : "pod-out-", pod_key));
}

std::string PolicyChain(const std::string& policy_key, bool ingress) {
  return Ident(absl::StrCat("pol-", policy_key, ingress ? "-in" : "-out"));
}

TableState BuildTableState(const NetpolOptions& options, const std::vector<PodModel>& pods,
                           const std::vector<NamespaceModel>& namespaces, const std::vector<PolicyModel>& policies) {
  TableState state;
  AddBase(state);
  const Cluster cluster(options, pods, namespaces);

  std::vector<const PolicyModel*> sorted;
  for (const PolicyModel& p : policies) sorted.push_back(&p);
  std::sort(sorted.begin(), sorted.end(), [](const PolicyModel* a, const PolicyModel* b) {
    return std::tie(a->ns, a->name) < std::tie(b->ns, b->name);
  });
  // Per local pod, the policy chains that police it, in policy key order.
  std::map<const PodModel*, std::vector<std::string>> ingress_of, egress_of;
  for (const PolicyModel* policy : sorted) {
    if (!policy->ingress && !policy->egress) continue;
    std::vector<const PodModel*> selected;
    for (const PodModel* pod : cluster.InNamespace(policy->ns)) {
      if (pod->node_name == options.node_name && !options.node_name.empty() &&
          policy->pod_selector.Matches(&pod->labels))
        selected.push_back(pod);
    }
    if (selected.empty()) continue;
    for (bool ingress : {true, false}) {
      if (!(ingress ? policy->ingress : policy->egress)) continue;
      AddPolicyDirection(*policy, ingress, selected, cluster, state);
      for (const PodModel* pod : selected) (ingress ? ingress_of : egress_of)[pod].push_back(PolicyChain(policy->key(), ingress));
    }
  }
  // One address can belong to two live pods only briefly (a stale status): the lowest key wins.
  std::set<std::string> claimed_in, claimed_out;
  for (bool ingress : {true, false}) {
    std::vector<std::pair<std::string, const PodModel*>> by_key;
    for (const auto& [pod, chains] : ingress ? ingress_of : egress_of) by_key.push_back({pod->key(), pod});
    std::sort(by_key.begin(), by_key.end());
    std::set<std::string>& claimed = ingress ? claimed_in : claimed_out;
    for (const auto& [key, pod] : by_key) {
      if (!claimed.insert(pod->ip).second) continue;
      const std::string name = PodChain(key, ingress);
      ChainState& chain = state.chains[name];
      for (const std::string& policy_chain : (ingress ? ingress_of : egress_of)[pod])
        chain.rules.push_back("jump " + policy_chain);
      chain.rules.push_back(kReject);
      state.sets[ingress ? kIngressPodsMap : kEgressPodsMap].elements.insert(
          absl::StrCat(pod->ip, " : goto ", name));
    }
  }
  return state;
}

}  // namespace skiff::agent::netpol
