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

// FNV-1a: the same text always maps to the same value, in every process.
uint64_t StableHash(std::string_view text) {
  uint64_t hash = 14695981039346656037ull;
  for (unsigned char c : text) hash = (hash ^ c) * 1099511628211ull;
  return hash;
}

// nftables names may be up to 255 bytes; a longer one keeps a readable prefix and a stable hash.
std::string Ident(std::string name) {
  constexpr size_t kMax = 200;
  if (name.size() <= kMax) return name;
  return absl::StrFormat("%s-%016x", name.substr(0, kMax - 17), StableHash(name));
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

// Sets of peer addresses are shared by every rule whose selector peers are the same (by their
// canonical text): a thousand policies admitting "namespaces with team=x" hold one set of those
// pods, not a thousand copies. Named "peers-<hash>" ("ports-<hash>" for egress named ports).
class SharedSets {
 public:
  SharedSets(const Cluster& cluster, TableState& state) : cluster_(cluster), state_(state) {}

  struct Peers {
    std::string set;  // "" when the rule has no selector peer
    std::vector<const PodModel*> pods;
  };

  // The selector peers of a rule of a policy in `policy_ns` (ipBlocks and unusable peers skipped).
  const Peers& PeersOf(const RuleModel& rule, const std::string& policy_ns) {
    std::vector<std::string> keys;
    for (const PeerModel& peer : rule.peers) {
      if (peer.is_ip_block || peer.matches_nothing) continue;
      // An absent podSelector means every pod, like an empty one; an absent namespaceSelector
      // means the policy's namespace.
      keys.push_back(absl::StrCat("pods(", peer.pod_selector ? peer.pod_selector->String() : "", ") in ",
                                  peer.namespace_selector ? "ns(" + peer.namespace_selector->String() + ")"
                                                          : "namespace " + policy_ns));
    }
    std::sort(keys.begin(), keys.end());
    keys.erase(std::unique(keys.begin(), keys.end()), keys.end());
    const std::string key = absl::StrJoin(keys, "; ");
    auto [it, added] = peers_.try_emplace(key);
    if (!added || keys.empty()) return it->second;
    std::set<const PodModel*> pods;
    for (const PeerModel& peer : rule.peers) cluster_.AddPeerPods(peer, policy_ns, pods);
    it->second.pods.assign(pods.begin(), pods.end());
    it->second.set = NewSet("peers-", key, "type ipv4_addr;");
    SetState& set = state_.sets[it->second.set];
    for (const PodModel* pod : pods) set.elements.insert(pod->ip);
    return it->second;
  }

  // The set of "address . protocol . port" of `rule`'s named ports on `owners` (described by
  // `owners_key`), shared like the peer sets.
  std::string NamedPorts(const RuleModel& rule, const std::string& owners_key,
                         const std::vector<const PodModel*>& owners);

 private:
  std::string NewSet(const char* prefix, const std::string& key, const char* spec) {
    std::string name = absl::StrFormat("%s%016x", prefix, StableHash(key));
    for (int n = 2; state_.sets.contains(name); ++n) name = absl::StrFormat("%s%016x-%d", prefix, StableHash(key), n);
    state_.sets[name].spec = spec;
    return name;
  }

  const Cluster& cluster_;
  TableState& state_;
  std::map<std::string, Peers> peers_;
  std::map<std::string, std::string> named_ports_;
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

std::string SharedSets::NamedPorts(const RuleModel& rule, const std::string& owners_key,
                                   const std::vector<const PodModel*>& owners) {
  std::vector<std::string> names;
  for (const PortModel& p : rule.ports) {
    if (!p.name.empty()) names.push_back(p.protocol + "/" + p.name);
  }
  std::sort(names.begin(), names.end());
  const std::string key = absl::StrCat(absl::StrJoin(names, ","), " on ", owners_key);
  auto [it, added] = named_ports_.try_emplace(key);
  if (!added) return it->second;
  it->second = NewSet("ports-", key, "type ipv4_addr . inet_proto . inet_service;");
  state_.sets[it->second].elements = NamedPortElements(rule, owners);
  return it->second;
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
                        const Cluster& cluster, SharedSets& shared, TableState& state) {
  const std::string chain_name = PolicyChain(policy.key(), ingress);
  std::vector<std::string> chain_rules;
  const std::vector<RuleModel>& rules = ingress ? policy.ingress_rules : policy.egress_rules;
  const std::string peer_field = ingress ? "ip saddr" : "ip daddr";
  for (size_t i = 0; i < rules.size(); ++i) {
    const RuleModel& rule = rules[i];
    std::vector<std::string> peer_matches;
    const SharedSets::Peers* peers = nullptr;
    if (rule.all_peers) {
      peer_matches.push_back("");
    } else {
      peers = &shared.PeersOf(rule, policy.ns);
      if (!peers->set.empty()) peer_matches.push_back(absl::StrCat(peer_field, " @", peers->set));
      std::vector<IpRange> ranges;
      for (const PeerModel& peer : rule.peers) {
        if (peer.is_ip_block) ranges.insert(ranges.end(), peer.ip_ranges.begin(), peer.ip_ranges.end());
      }
      if (ranges = MergeRanges(std::move(ranges)); !ranges.empty()) {
        std::vector<std::string> texts;
        for (const IpRange& r : ranges) texts.push_back(FormatRange(r));
        peer_matches.push_back(absl::StrCat(peer_field, " { ", absl::StrJoin(texts, ", "), " }"));
      }
    }
    std::string named_set;
    if (HasNamedPort(rule)) {
      // Ingress: the selected pods' own ports (a set per policy rule). Egress: the destination's,
      // among the peer pods (an ipBlock peer has no named ports) or, without peers, every pod.
      if (ingress) {
        named_set = Ident(absl::StrCat("pol-", policy.key(), "-in", i, "-ports"));
        SetState& set = state.sets[named_set];
        set.spec = "type ipv4_addr . inet_proto . inet_service;";
        set.elements = NamedPortElements(rule, selected);
      } else if (rule.all_peers) {
        named_set = shared.NamedPorts(rule, "every pod", cluster.AllPods());
      } else {
        named_set = shared.NamedPorts(rule, "peers " + peers->set, peers->pods);
      }
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
        chain_rules.push_back(std::move(text));
      }
    }
  }
  state.chains[chain_name].rules = std::move(chain_rules);
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

std::string PodsChain(const std::vector<std::string>& policy_chains, bool ingress) {
  return absl::StrFormat("%s%016x", ingress ? "pods-in-" : "pods-out-", StableHash(absl::StrJoin(policy_chains, " ")));
}

std::string PolicyChain(const std::string& policy_key, bool ingress) {
  return Ident(absl::StrCat("pol-", policy_key, ingress ? "-in" : "-out"));
}

TableState BuildTableState(const NetpolOptions& options, const std::vector<PodModel>& pods,
                           const std::vector<NamespaceModel>& namespaces, const std::vector<PolicyModel>& policies) {
  TableState state;
  AddBase(state);
  const Cluster cluster(options, pods, namespaces);
  SharedSets shared(cluster, state);

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
      AddPolicyDirection(*policy, ingress, selected, cluster, shared, state);
      for (const PodModel* pod : selected) (ingress ? ingress_of : egress_of)[pod].push_back(PolicyChain(policy->key(), ingress));
    }
  }
  // One address can belong to two live pods only briefly (a stale status): the lowest key wins.
  // Pods policed by the same policies (a Deployment's replicas) share one chain, named after them.
  for (bool ingress : {true, false}) {
    auto& policed = ingress ? ingress_of : egress_of;
    std::vector<std::pair<std::string, const PodModel*>> by_key;
    for (const auto& [pod, chains] : policed) by_key.push_back({pod->key(), pod});
    std::sort(by_key.begin(), by_key.end());
    std::set<std::string> claimed;
    std::map<std::vector<std::string>, std::string> chain_of;
    for (const auto& [key, pod] : by_key) {
      if (!claimed.insert(pod->ip).second) continue;
      const std::vector<std::string>& policy_chains = policed[pod];
      auto [it, added] = chain_of.try_emplace(policy_chains);
      if (added) {
        it->second = PodsChain(policy_chains, ingress);
        for (int n = 2; state.chains.contains(it->second); ++n)
          it->second = absl::StrCat(PodsChain(policy_chains, ingress), "-", n);
        ChainState& chain = state.chains[it->second];
        for (const std::string& policy_chain : policy_chains) chain.rules.push_back("jump " + policy_chain);
        chain.rules.push_back(kReject);
      }
      state.sets[ingress ? kIngressPodsMap : kEgressPodsMap].elements.insert(
          absl::StrCat(pod->ip, " : goto ", it->second));
    }
  }
  return state;
}

}  // namespace skiff::agent::netpol
