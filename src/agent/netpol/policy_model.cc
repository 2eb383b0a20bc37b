#include "agent/netpol/policy_model.h"

#include <algorithm>

#include "absl/strings/ascii.h"
#include "api/object_meta.h"
#include "base/ipv4.h"
#include "base/json.h"

namespace skiff::agent::netpol {
namespace {

const boost::json::array* FindArray(const boost::json::value& v, std::initializer_list<std::string_view> path) {
  const boost::json::value* found = base::FindPath(v, path);
  return found != nullptr ? found->if_array() : nullptr;
}

// "TCP" (or unset) -> "tcp"; "" for anything else.
std::string NftProtocol(const boost::json::value& port) {
  const std::string p = base::GetString(port, {"protocol"}, "TCP");
  if (p == "TCP" || p == "UDP" || p == "SCTP") return absl::AsciiStrToLower(p);
  return "";
}

bool ValidPort(int64_t port) { return port > 0 && port <= 65535; }

boost::json::value CopyLabels(const boost::json::value& obj) {
  const boost::json::value* labels = api::Labels(obj);
  return labels != nullptr && labels->is_object() ? *labels : boost::json::value();
}

std::optional<api::LabelSelector> Selector(const boost::json::value& peer, std::string_view field, bool* bad) {
  const boost::json::value* v = base::FindPath(peer, {field});
  if (v == nullptr || v->is_null()) return std::nullopt;
  absl::StatusOr<api::LabelSelector> selector = api::LabelSelector::FromJson(*v, field);
  if (!selector.ok()) {
    *bad = true;
    return std::nullopt;
  }
  return *selector;
}

std::optional<IpRange> CidrRange(const std::string& text) {
  absl::StatusOr<base::Ipv4Cidr> cidr = base::ParseIpv4Cidr(text);
  if (!cidr.ok()) return std::nullopt;
  return IpRange{cidr->network, cidr->network + (cidr->size() - 1)};  // size 0 (= 2^32) wraps right
}

PeerModel ParsePeer(const boost::json::value& peer) {
  PeerModel model;
  if (const boost::json::value* block = base::FindPath(peer, {"ipBlock"}); block != nullptr && !block->is_null()) {
    model.is_ip_block = true;
    std::optional<IpRange> cidr = CidrRange(base::GetString(*block, {"cidr"}));
    if (!cidr) {
      model.matches_nothing = true;
      return model;
    }
    std::vector<IpRange> except;
    if (const auto* list = FindArray(*block, {"except"})) {
      for (const auto& e : *list) {
        if (!e.is_string()) continue;
        if (std::optional<IpRange> r = CidrRange(std::string(e.as_string()))) except.push_back(*r);
      }
    }
    model.ip_ranges = SubtractRanges(*cidr, except);
    return model;
  }
  bool bad = false;
  model.pod_selector = Selector(peer, "podSelector", &bad);
  model.namespace_selector = Selector(peer, "namespaceSelector", &bad);
  if (!model.pod_selector && !model.namespace_selector) bad = true;  // an empty peer object
  model.matches_nothing = bad;
  return model;
}

std::vector<PortModel> ParsePorts(const boost::json::value& rule) {
  std::vector<PortModel> ports;
  const auto* list = FindArray(rule, {"ports"});
  if (list == nullptr) return ports;
  for (const auto& p : *list) {
    PortModel port;
    port.protocol = NftProtocol(p);
    if (port.protocol.empty()) continue;
    const boost::json::value* number = base::FindPath(p, {"port"});
    if (number != nullptr && number->is_string()) {
      port.name = std::string(number->as_string());
      if (port.name.empty()) continue;
    } else if (number != nullptr && number->is_int64()) {
      if (!ValidPort(number->as_int64())) continue;
      port.port = static_cast<int>(number->as_int64());
      const int64_t end = base::GetInt(p, {"endPort"});
      if (ValidPort(end) && end > port.port) port.end_port = static_cast<int>(end);
    }
    ports.push_back(std::move(port));
  }
  return ports;
}

std::vector<RuleModel> ParseRules(const boost::json::value& policy, std::string_view direction,
                                  std::string_view peers_field) {
  std::vector<RuleModel> rules;
  const auto* list = FindArray(policy, {"spec", direction});
  if (list == nullptr) return rules;
  for (const auto& r : *list) {
    RuleModel rule;
    if (const auto* peers = FindArray(r, {peers_field}); peers != nullptr && !peers->empty()) {
      rule.all_peers = false;
      for (const auto& peer : *peers) rule.peers.push_back(ParsePeer(peer));
    }
    // A ports list that parsed to nothing (every entry unusable) admits no port, not every one.
    const auto* ports = FindArray(r, {"ports"});
    rule.ports = ParsePorts(r);
    if (ports != nullptr && !ports->empty() && rule.ports.empty()) continue;
    rules.push_back(std::move(rule));
  }
  return rules;
}

}  // namespace

std::vector<IpRange> MergeRanges(std::vector<IpRange> ranges) {
  std::sort(ranges.begin(), ranges.end());
  std::vector<IpRange> merged;
  for (const IpRange& r : ranges) {
    // Adjacent (previous end + 1 == start) or overlapping; the end 255.255.255.255 cannot grow.
    if (!merged.empty() && (merged.back().second == UINT32_MAX || r.first <= merged.back().second + 1)) {
      merged.back().second = std::max(merged.back().second, r.second);
    } else {
      merged.push_back(r);
    }
  }
  return merged;
}

std::vector<IpRange> SubtractRanges(IpRange cidr, const std::vector<IpRange>& except) {
  std::vector<IpRange> result;
  uint64_t next = cidr.first;  // the first address not yet decided
  for (const IpRange& e : MergeRanges(except)) {
    if (e.second < cidr.first || e.first > cidr.second) continue;
    if (e.first > next) result.push_back({static_cast<uint32_t>(next), e.first - 1});
    next = std::max<uint64_t>(next, uint64_t{e.second} + 1);
  }
  if (next <= cidr.second) result.push_back({static_cast<uint32_t>(next), cidr.second});
  return result;
}

std::optional<PodModel> ParsePod(const boost::json::value& pod) {
  if (!pod.is_object()) return std::nullopt;
  PodModel model;
  model.ns = api::Namespace(pod);
  model.name = api::Name(pod);
  if (model.name.empty()) return std::nullopt;
  model.node_name = base::GetString(pod, {"spec", "nodeName"});
  model.host_network = base::GetBool(pod, {"spec", "hostNetwork"});
  const std::string phase = base::GetString(pod, {"status", "phase"});
  model.terminal = phase == "Succeeded" || phase == "Failed";
  uint32_t unused;
  if (std::string ip = base::GetString(pod, {"status", "podIP"}); base::ParseIpv4(ip, &unused)) model.ip = ip;
  model.labels = CopyLabels(pod);
  if (const auto* containers = FindArray(pod, {"spec", "containers"})) {
    for (const auto& c : *containers) {
      const auto* ports = FindArray(c, {"ports"});
      if (ports == nullptr) continue;
      for (const auto& p : *ports) {
        NamedPort port{.name = base::GetString(p, {"name"}), .protocol = NftProtocol(p)};
        const int64_t number = base::GetInt(p, {"containerPort"});
        if (port.name.empty() || port.protocol.empty() || !ValidPort(number)) continue;
        port.port = static_cast<int>(number);
        model.ports.push_back(std::move(port));
      }
    }
  }
  return model;
}

std::optional<NamespaceModel> ParseNamespace(const boost::json::value& ns) {
  if (!ns.is_object()) return std::nullopt;
  NamespaceModel model{.name = api::Name(ns), .labels = CopyLabels(ns)};
  if (model.name.empty()) return std::nullopt;
  // The API server sets this label on every namespace; an object from elsewhere may lack it.
  if (!model.labels.is_object()) model.labels = boost::json::object();
  model.labels.as_object()["kubernetes.io/metadata.name"] = model.name;
  return model;
}

std::optional<PolicyModel> ParsePolicy(const boost::json::value& policy) {
  if (!policy.is_object()) return std::nullopt;
  PolicyModel model;
  model.ns = api::Namespace(policy);
  model.name = api::Name(policy);
  if (model.name.empty()) return std::nullopt;
  if (const boost::json::value* selector = base::FindPath(policy, {"spec", "podSelector"});
      selector != nullptr && !selector->is_null()) {
    absl::StatusOr<api::LabelSelector> parsed = api::LabelSelector::FromJson(*selector, "spec.podSelector");
    if (!parsed.ok()) return std::nullopt;
    model.pod_selector = *parsed;
  }  // missing: the API defaults it to {} (every pod of the namespace)
  model.ingress_rules = ParseRules(policy, "ingress", "from");
  model.egress_rules = ParseRules(policy, "egress", "to");
  const auto* types = FindArray(policy, {"spec", "policyTypes"});
  if (types != nullptr && !types->empty()) {
    for (const auto& t : *types) {
      if (!t.is_string()) continue;
      model.ingress |= t.as_string() == "Ingress";
      model.egress |= t.as_string() == "Egress";
    }
  } else {
    model.ingress = true;
    model.egress = FindArray(policy, {"spec", "egress"}) != nullptr && !FindArray(policy, {"spec", "egress"})->empty();
  }
  return model;
}

}  // namespace skiff::agent::netpol
