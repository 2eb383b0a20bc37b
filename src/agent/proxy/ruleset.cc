#include "agent/proxy/ruleset.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "agent/proxy/service_model.h"
#include "base/ipv4.h"

namespace skiff::agent::proxy {
namespace {

struct BaseChain {
  const char* name;
  const char* spec;  // empty for regular chains
};

// Filter chains run before DNAT (dstnat - 10) so they see the service address; the second output
// filter runs after it (dstnat + 10), where only traffic to a ClusterIP port nobody serves, or to
// an unallocated address of the service CIDRs, still carries a service-CIDR destination (the
// forward hook, too, only sees packets after DNAT).
constexpr BaseChain kBaseChains[] = {
    {"filter-input", "type filter hook input priority -110; policy accept;"},
    {"filter-forward", "type filter hook forward priority -110; policy accept;"},
    {"filter-output", "type filter hook output priority -110; policy accept;"},
    {"filter-output-post-dnat", "type filter hook output priority -90; policy accept;"},
    {"nat-prerouting", "type nat hook prerouting priority -100; policy accept;"},
    {"nat-output", "type nat hook output priority -100; policy accept;"},
    {"nat-postrouting", "type nat hook postrouting priority 100; policy accept;"},
    {"services", ""},
    {"service-endpoints-check", ""},
    {"nodeport-endpoints-check", ""},
    {"cluster-ips-check", ""},
    {kMarkForMasqueradeChain, ""},
    {"masquerading", ""},
    {kRejectChain, ""},
};

std::vector<std::string> NodePortIps(const ProxyOptions& options) {
  std::vector<std::string> ips;
  for (const std::string& ip : options.node_ips) {
    if (IsIpv4(ip)) ips.push_back(ip);
  }
  if (!ips.empty() && options.localhost_node_ports) ips.push_back("127.0.0.1");
  return ips;
}

// The valid entries of options.service_cidrs as network/prefix ("10.43.0.5/16" -> "10.43.0.0/16").
std::vector<std::string> ServiceCidrs(const ProxyOptions& options) {
  std::vector<std::string> cidrs;
  for (const std::string& text : options.service_cidrs) {
    absl::StatusOr<base::Ipv4Cidr> cidr = base::ParseIpv4Cidr(text);
    if (cidr.ok()) cidrs.push_back(absl::StrCat(base::FormatIpv4(cidr->network), "/", cidr->prefix));
  }
  return cidrs;
}

// The match for "addressed to a NodePort address" (before `meta l4proto . th dport`).
std::string NodePortMatch(const ProxyOptions& options) {
  if (!NodePortIps(options).empty()) return absl::StrCat("ip daddr @", kNodePortIpsSet);
  return options.localhost_node_ports ? "fib daddr type local"
                                      : "fib daddr type local ip daddr != 127.0.0.0/8";
}

std::vector<std::pair<std::string, std::string>> BaseRules(const ProxyOptions& options) {
  const std::string np = NodePortMatch(options);
  std::vector<std::pair<std::string, std::string>> rules;
  if (NeedsRouteLocalnet(options)) {
    // route_localnet=1 would let other hosts reach 127.0.0.0/8 services (CVE-2020-8558): only
    // loopback may open connections to it; replies of DNAT'd localhost NodePort flows still pass,
    // and so do pods' connections to the kubernetes Service DNAT'd to a loopback API server.
    if (IsIpv4(options.api_service_ip)) {
      rules.emplace_back(
          "filter-input",
          absl::StrCat("iifname != \"lo\" ip daddr 127.0.0.0/8 ct status dnat ct original ip daddr ",
                       options.api_service_ip, " meta l4proto tcp ct original proto-dst 443 accept"));
    }
    rules.emplace_back("filter-input",
                       "iifname != \"lo\" ip daddr 127.0.0.0/8 ct state != { established, related } drop");
  }
  std::vector<std::pair<std::string, std::string>> common = {
      {"filter-input", "ct state new jump nodeport-endpoints-check"},
      {"filter-input", "ct state new jump service-endpoints-check"},
      {"filter-forward", "ct state new jump service-endpoints-check"},
      {"filter-forward", "ct state new jump cluster-ips-check"},
      {"filter-output", "ct state new jump service-endpoints-check"},
      {"filter-output-post-dnat", "ct state new jump cluster-ips-check"},
      {"nat-prerouting", "jump services"},
      {"nat-output", "jump services"},
      {"nat-postrouting",
       absl::StrCat("ct status dnat ip saddr . ip daddr @", kHairpinSet, " jump ", kMarkForMasqueradeChain)},
      {"nat-postrouting", "jump masquerading"},
      {"services", absl::StrCat("ip daddr . meta l4proto . th dport vmap @", kServiceIpsMap)},
      {"services", absl::StrCat(np, " meta l4proto . th dport vmap @", kServiceNodePortsMap)},
      {"service-endpoints-check",
       absl::StrCat("ip daddr . meta l4proto . th dport vmap @", kNoEndpointServicesMap)},
      {"nodeport-endpoints-check",
       absl::StrCat(np, " meta l4proto . th dport vmap @", kNoEndpointNodePortsMap)},
      {"cluster-ips-check", absl::StrCat("ip daddr @", kClusterIpsSet, " goto ", kRejectChain)},
      {kMarkForMasqueradeChain, absl::StrCat("meta mark set meta mark or ", kMasqueradeMark)},
      {"masquerading", absl::StrCat("meta mark & ", kMasqueradeMark, " == 0 return")},
      {"masquerading", absl::StrCat("meta mark set meta mark xor ", kMasqueradeMark)},
      {"masquerading", "masquerade fully-random"},
      {kRejectChain, "meta l4proto tcp reject with tcp reset"},
      {kRejectChain, "reject with icmp type port-unreachable"},
  };
  rules.insert(rules.end(), common.begin(), common.end());
  // After DNAT, what still goes to the service CIDRs is an unallocated address (or an invalid port,
  // caught above): reject it rather than let it take the default route off the node. The VIPs the
  // node serves itself (cluster DNS on a local interface) are exempt.
  if (std::vector<std::string> cidrs = ServiceCidrs(options); !cidrs.empty()) {
    std::vector<std::string> local;
    for (const std::string& ip : options.local_service_ips) {
      if (IsIpv4(ip)) local.push_back(ip);
    }
    if (!local.empty()) {
      rules.emplace_back("cluster-ips-check",
                         absl::StrCat("ip daddr { ", absl::StrJoin(local, ", "), " } return"));
    }
    rules.emplace_back("cluster-ips-check",
                       absl::StrCat("ip daddr { ", absl::StrJoin(cidrs, ", "), " } goto ", kRejectChain));
  }
  return rules;
}

const std::pair<const char*, const char*> kSharedMaps[] = {
    {kServiceIpsMap, "type ipv4_addr . inet_proto . inet_service : verdict;"},
    {kServiceNodePortsMap, "type inet_proto . inet_service : verdict;"},
    {kNoEndpointServicesMap, "type ipv4_addr . inet_proto . inet_service : verdict;"},
    {kNoEndpointNodePortsMap, "type inet_proto . inet_service : verdict;"},
};

std::string Element(const std::string& key, const std::string& value) {
  return value.empty() ? key : absl::StrCat(key, " : ", value);
}

// Appends "<verb> element ip T set { e1, e2, ... }" in chunks (keeps single lines reasonable).
void AppendElements(std::string& out, const std::string& verb, const std::string& table,
                    const std::string& set, const std::vector<std::string>& elements) {
  constexpr size_t kChunk = 512;
  for (size_t i = 0; i < elements.size(); i += kChunk) {
    const size_t end = std::min(elements.size(), i + kChunk);
    absl::StrAppend(&out, verb, " element ip ", table, " ", set, " { ",
                    absl::StrJoin(elements.begin() + i, elements.begin() + end, ", "), " }\n");
  }
}

void AppendRules(std::string& out, const std::string& table, const std::string& chain,
                 const std::vector<std::string>& rules) {
  for (const std::string& rule : rules)
    absl::StrAppend(&out, "add rule ip ", table, " ", chain, " ", rule, "\n");
}

const ServiceRules& OrEmpty(const ServiceRules* rules) {
  static const ServiceRules kEmpty;
  return rules != nullptr ? *rules : kEmpty;
}

}  // namespace

bool NeedsRouteLocalnet(const ProxyOptions& options) {
  return options.localhost_node_ports || IsIpv4(options.api_service_ip);
}

std::string DeleteTableCommands(const std::string& table) {
  return absl::StrCat("add table ip ", table, "\ndelete table ip ", table, "\n");
}

std::string FullSyncTransaction(const ProxyOptions& options,
                                const std::map<std::string, ServiceRules>& services) {
  const std::string& t = options.table;
  std::string out = DeleteTableCommands(t);
  absl::StrAppend(&out, "add table ip ", t, "\n");
  for (const BaseChain& chain : kBaseChains) {
    absl::StrAppend(&out, "add chain ip ", t, " ", chain.name);
    if (*chain.spec != '\0') absl::StrAppend(&out, " { ", chain.spec, " }");
    out += "\n";
  }
  absl::StrAppend(&out, "add set ip ", t, " ", kClusterIpsSet, " { type ipv4_addr; }\n");
  absl::StrAppend(&out, "add set ip ", t, " ", kHairpinSet, " { type ipv4_addr . ipv4_addr; }\n");
  if (std::vector<std::string> ips = NodePortIps(options); !ips.empty()) {
    absl::StrAppend(&out, "add set ip ", t, " ", kNodePortIpsSet, " { type ipv4_addr; elements = { ",
                    absl::StrJoin(ips, ", "), " }; }\n");
  }
  for (const auto& [name, spec] : kSharedMaps)
    absl::StrAppend(&out, "add map ip ", t, " ", name, " { ", spec, " }\n");

  // Declarations first, so that rules may jump to chains in any order.
  for (const auto& [key, rules] : services) {
    for (const auto& [name, spec] : rules.sets)
      absl::StrAppend(&out, "add set ip ", t, " ", name, " { ", spec, " }\n");
    for (const std::string& name : rules.counters) absl::StrAppend(&out, "add counter ip ", t, " ", name, "\n");
    for (const auto& [name, unused] : rules.chains)
      absl::StrAppend(&out, "add chain ip ", t, " ", name, "\n");
  }
  for (const auto& [chain, rule] : BaseRules(options))
    absl::StrAppend(&out, "add rule ip ", t, " ", chain, " ", rule, "\n");
  for (const auto& [key, rules] : services) {
    for (const auto& [name, chain_rules] : rules.chains) AppendRules(out, t, name, chain_rules);
  }
  for (const auto& [set, entries] : MergeElements(services)) {
    std::vector<std::string> list;
    for (const auto& [k, v] : entries) list.push_back(Element(k, v));
    AppendElements(out, "add", t, set, list);
  }
  return out;
}

std::string PartialSyncTransaction(const ProxyOptions& options,
                                   const std::vector<ServiceRulesChange>& changes,
                                   const ElementTable& elements_before, const ElementTable& elements_after) {
  const std::string& t = options.table;
  std::string new_sets, new_chains, rules, deletes, adds, flush_stale, delete_stale, delete_sets;
  for (const auto& [set, entries] : UnionKeys(elements_before, elements_after)) {
    static const std::map<std::string, std::string> kNone;
    auto b = elements_before.find(set);
    auto a = elements_after.find(set);
    const auto& old_entries = b != elements_before.end() ? b->second : kNone;
    const auto& new_entries = a != elements_after.end() ? a->second : kNone;
    std::vector<std::string> removed, added;
    for (const auto& [k, unused] : entries) {
      auto o = old_entries.find(k);
      auto n = new_entries.find(k);
      if (o != old_entries.end() && (n == new_entries.end() || n->second != o->second)) removed.push_back(k);
      if (n != new_entries.end() && (o == old_entries.end() || n->second != o->second)) {
        added.push_back(Element(k, n->second));
      }
    }
    AppendElements(deletes, "delete", t, set, removed);
    AppendElements(adds, "add", t, set, added);
  }
  for (const ServiceRulesChange& change : changes) {
    const ServiceRules& before = OrEmpty(change.before);
    const ServiceRules& after = OrEmpty(change.after);
    for (const auto& [name, spec] : after.sets) {
      if (!before.sets.contains(name))
        absl::StrAppend(&new_sets, "add set ip ", t, " ", name, " { ", spec, " }\n");
    }
    for (const std::string& name : after.counters) {
      if (!before.counters.contains(name)) absl::StrAppend(&new_sets, "add counter ip ", t, " ", name, "\n");
    }
    for (const std::string& name : before.counters) {
      if (!after.counters.contains(name)) absl::StrAppend(&delete_sets, "delete counter ip ", t, " ", name, "\n");
    }
    for (const auto& [name, chain_rules] : after.chains) {
      auto old = before.chains.find(name);
      if (old == before.chains.end()) {
        absl::StrAppend(&new_chains, "add chain ip ", t, " ", name, "\n");
      } else if (old->second == chain_rules) {
        continue;
      } else {
        absl::StrAppend(&rules, "flush chain ip ", t, " ", name, "\n");
      }
      AppendRules(rules, t, name, chain_rules);
    }
    for (const auto& [name, unused] : before.chains) {
      if (after.chains.contains(name)) continue;
      absl::StrAppend(&flush_stale, "flush chain ip ", t, " ", name, "\n");
      absl::StrAppend(&delete_stale, "delete chain ip ", t, " ", name, "\n");
    }
    for (const auto& [name, unused] : before.sets) {
      if (!after.sets.contains(name)) absl::StrAppend(&delete_sets, "delete set ip ", t, " ", name, "\n");
    }
  }
  return absl::StrCat(new_sets, new_chains, rules, deletes, adds, flush_stale, delete_stale, delete_sets);
}

}  // namespace skiff::agent::proxy
