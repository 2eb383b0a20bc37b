#include "scheduler/pod_info.h"

#include <algorithm>
#include <cstdlib>
#include <utility>

#include "api/object_meta.h"
#include "api/pod_util.h"
#include "api/quantity.h"
#include "base/json.h"
#include "boost/json/serialize.hpp"

namespace skiff::scheduler {
namespace {

namespace json = boost::json;

int64_t ParseCount(const json::value& v, bool milli) {
  auto q = api::Quantity::FromJson(v);
  if (!q.ok()) return 0;
  return milli ? q->MilliValue() : q->Value();
}

const json::array* ArrayAt(const json::value& v, std::initializer_list<std::string_view> path) {
  const json::value* found = base::FindPath(v, path);
  return found != nullptr ? found->if_array() : nullptr;
}

std::vector<std::string> Strings(const json::value* v) {
  std::vector<std::string> out;
  if (v == nullptr || !v->is_array()) return out;
  for (const auto& item : v->as_array()) {
    if (item.is_string()) out.emplace_back(item.as_string());
  }
  return out;
}

std::vector<NodeSelectorRequirement> ParseRequirements(const json::value* v) {
  std::vector<NodeSelectorRequirement> out;
  if (v == nullptr || !v->is_array()) return out;
  for (const auto& item : v->as_array()) {
    NodeSelectorRequirement r;
    r.key = base::GetString(item, {"key"});
    r.op = base::GetString(item, {"operator"});
    r.values = Strings(base::Find(item, "values"));
    out.push_back(std::move(r));
  }
  return out;
}


bool RequirementMatches(const NodeSelectorRequirement& r, const std::string* value) {
  auto in_values = [&] {
    return value != nullptr && std::find(r.values.begin(), r.values.end(), *value) != r.values.end();
  };
  if (r.op == "In") return in_values();
  if (r.op == "NotIn") return !in_values();
  if (r.op == "Exists") return value != nullptr;
  if (r.op == "DoesNotExist") return value == nullptr;
  if (r.op == "Gt" || r.op == "Lt") {
    if (value == nullptr || r.values.size() != 1) return false;
    char* end = nullptr;
    long long have = std::strtoll(value->c_str(), &end, 10);
    if (value->empty() || *end != '\0') return false;
    long long want = std::strtoll(r.values[0].c_str(), &end, 10);
    if (r.values[0].empty() || *end != '\0') return false;
    return r.op == "Gt" ? have > want : have < want;
  }
  return false;
}

api::LabelSelector SelectorOf(const json::value* v) {
  if (v == nullptr || v->is_null()) return api::LabelSelector::Nothing();
  auto s = api::LabelSelector::FromJson(*v);
  return s.ok() ? *s : api::LabelSelector::Nothing();
}

std::string SelectorSignature(const api::LabelSelector& s) {
  return (s.MatchesNothing() ? "!" : "=") + s.String();
}

std::string AffinityTermSignature(const AffinityTerm& t) {
  std::vector<std::string> namespaces = t.namespaces;
  std::sort(namespaces.begin(), namespaces.end());
  std::string sig = SelectorSignature(t.selector) + "|ns:";
  for (const auto& ns : namespaces) sig += ns + ",";
  sig += t.all_namespaces ? "|all" : "|some";
  sig += "|nss:" + (t.namespace_selector.has_value() ? SelectorSignature(*t.namespace_selector) : "-");
  return sig + "|key:" + t.topology_key;
}

// What decides which pods a spread constraint counts and on which nodes (see SpreadConstraint).
std::string SpreadSignature(const PodInfo& pod, const SpreadConstraint& c, const json::value& spec) {
  std::string sig = "ns:" + pod.ns + "|" + SelectorSignature(c.selector) + "|keys:";
  if (c.hard) {
    for (const auto& other : pod.spread_constraints) {
      if (other.hard) sig += other.topology_key + ",";
    }
  } else {
    sig += c.topology_key;
  }
  sig += "|key:" + c.topology_key;
  if (c.honor_node_affinity) {
    const json::value* selector = base::Find(spec, "nodeSelector");
    const json::value* required =
        base::FindPath(spec, {"affinity", "nodeAffinity", "requiredDuringSchedulingIgnoredDuringExecution"});
    sig += "|na:" + (selector != nullptr ? json::serialize(*selector) : "-") + "/" +
           (required != nullptr ? json::serialize(*required) : "-");
  }
  if (c.honor_taints) {
    const json::value* tolerations = base::Find(spec, "tolerations");
    sig += "|tol:" + (tolerations != nullptr ? json::serialize(*tolerations) : "-");
  }
  return sig;
}

std::vector<std::string> ContainerImages(const json::value& spec) {
  std::vector<std::string> out;
  for (std::string_view list : {"initContainers", "containers"}) {
    const auto* containers = ArrayAt(spec, {list});
    if (containers == nullptr) continue;
    // One entry per container, even without an image: ImageLocality scales by the container count.
    for (const auto& c : *containers) out.push_back(NormalizedImageName(base::GetString(c, {"image"})));
  }
  return out;
}

AffinityTerm ParseAffinityTerm(const json::value& v, const std::string& pod_ns, int32_t weight) {
  AffinityTerm t;
  t.weight = weight;
  t.topology_key = base::GetString(v, {"topologyKey"});
  t.selector = SelectorOf(base::Find(v, "labelSelector"));
  t.namespaces = Strings(base::Find(v, "namespaces"));
  const json::value* ns_selector = base::Find(v, "namespaceSelector");
  if (ns_selector != nullptr && !ns_selector->is_null()) {
    api::LabelSelector s = SelectorOf(ns_selector);
    if (s.Empty()) {
      t.all_namespaces = true;
    } else if (!s.MatchesNothing()) {
      t.namespace_selector = std::move(s);
    }
  } else if (t.namespaces.empty()) {
    t.namespaces.push_back(pod_ns);
  }
  t.signature = AffinityTermSignature(t);
  return t;
}

void ParseAffinityTerms(const json::value& affinity, std::string_view kind, const std::string& ns,
                        std::vector<AffinityTerm>* required, std::vector<AffinityTerm>* preferred) {
  if (const auto* req = ArrayAt(affinity, {kind, "requiredDuringSchedulingIgnoredDuringExecution"})) {
    for (const auto& item : *req) required->push_back(ParseAffinityTerm(item, ns, 0));
  }
  if (const auto* pref = ArrayAt(affinity, {kind, "preferredDuringSchedulingIgnoredDuringExecution"})) {
    for (const auto& item : *pref) {
      const json::value* term = base::Find(item, "podAffinityTerm");
      if (term == nullptr) continue;
      preferred->push_back(
          ParseAffinityTerm(*term, ns, static_cast<int32_t>(base::GetInt(item, {"weight"}))));
    }
  }
}

// A container's requests; limits stand in for unset requests (as API defaulting does).
Resources ContainerRequests(const json::value& c) {
  Resources r = Resources::FromResourceList(base::FindPath(c, {"resources", "requests"}));
  Resources limits = Resources::FromResourceList(base::FindPath(c, {"resources", "limits"}));
  const json::value* req = base::FindPath(c, {"resources", "requests"});
  auto has = [&](std::string_view name) { return req != nullptr && base::Find(*req, name) != nullptr; };
  if (!has("cpu")) r.milli_cpu = limits.milli_cpu;
  if (!has("memory")) r.memory = limits.memory;
  if (!has("ephemeral-storage")) r.ephemeral_storage = limits.ephemeral_storage;
  for (const auto& [name, value] : limits.scalar) r.scalar.try_emplace(name, value);
  return r;
}

Resources NonZero(const json::value& c, const Resources& r) {
  const json::value* req = base::FindPath(c, {"resources", "requests"});
  const json::value* lim = base::FindPath(c, {"resources", "limits"});
  auto has = [&](std::string_view name) {
    return (req != nullptr && base::Find(*req, name) != nullptr) ||
           (lim != nullptr && base::Find(*lim, name) != nullptr);
  };
  Resources out;
  out.milli_cpu = has("cpu") ? r.milli_cpu : kDefaultMilliCpuRequest;
  out.memory = has("memory") ? r.memory : kDefaultMemoryRequest;
  return out;
}

// Kubernetes' PodRequests: regular containers and sidecars run together; each classic init
// container runs alone with the sidecars started before it; the pod needs the larger of the two.
void ComputeRequests(const json::value& spec, Resources* requests, Resources* non_zero) {
  Resources sum, sum_nz, init_max, init_max_nz, sidecars, sidecars_nz;
  if (const auto* containers = ArrayAt(spec, {"containers"})) {
    for (const auto& c : *containers) {
      Resources r = ContainerRequests(c);
      sum.Add(r);
      sum_nz.Add(NonZero(c, r));
    }
  }
  if (const auto* inits = ArrayAt(spec, {"initContainers"})) {
    for (const auto& c : *inits) {
      Resources r = ContainerRequests(c);
      Resources nz = NonZero(c, r);
      if (base::GetString(c, {"restartPolicy"}) == "Always") {
        sum.Add(r);
        sum_nz.Add(nz);
        sidecars.Add(r);
        sidecars_nz.Add(nz);
        r = sidecars;
        nz = sidecars_nz;
      } else {
        r.Add(sidecars);
        nz.Add(sidecars_nz);
      }
      init_max.Max(r);
      init_max_nz.Max(nz);
    }
  }
  sum.Max(init_max);
  sum_nz.Max(init_max_nz);
  Resources overhead = Resources::FromResourceList(base::Find(spec, "overhead"));
  sum.Add(overhead);
  sum_nz.Add(overhead);
  *requests = std::move(sum);
  *non_zero = std::move(sum_nz);
}

std::vector<HostPort> ParseHostPorts(const json::value& spec) {
  std::vector<HostPort> out;
  for (std::string_view list : {"initContainers", "containers"}) {
    const auto* containers = ArrayAt(spec, {list});
    if (containers == nullptr) continue;
    for (const auto& c : *containers) {
      const auto* ports = ArrayAt(c, {"ports"});
      if (ports == nullptr) continue;
      for (const auto& p : *ports) {
        int64_t host_port = base::GetInt(p, {"hostPort"});
        if (host_port <= 0) continue;
        HostPort hp;
        hp.port = static_cast<int32_t>(host_port);
        hp.ip = base::GetString(p, {"hostIP"});
        hp.protocol = base::GetString(p, {"protocol"}, "TCP");
        out.push_back(std::move(hp));
      }
    }
  }
  return out;
}

}  // namespace

NodeSelectorTerm ParseNodeSelectorTerm(const json::value& v) {
  NodeSelectorTerm t;
  t.match_expressions = ParseRequirements(base::Find(v, "matchExpressions"));
  t.match_fields = ParseRequirements(base::Find(v, "matchFields"));
  return t;
}

Resources Resources::FromResourceList(const json::value* list) {
  Resources r;
  if (list == nullptr || !list->is_object()) return r;
  for (const auto& [key, value] : list->as_object()) {
    if (key == "cpu") {
      r.milli_cpu = ParseCount(value, true);
    } else if (key == "memory") {
      r.memory = ParseCount(value, false);
    } else if (key == "ephemeral-storage") {
      r.ephemeral_storage = ParseCount(value, false);
    } else if (key == "pods") {
      r.pods = ParseCount(value, false);
    } else if (key != "storage") {
      r.scalar[std::string(key)] = ParseCount(value, false);
    }
  }
  return r;
}

void Resources::Add(const Resources& o) {
  milli_cpu += o.milli_cpu;
  memory += o.memory;
  ephemeral_storage += o.ephemeral_storage;
  pods += o.pods;
  for (const auto& [name, value] : o.scalar) scalar[name] += value;
}

void Resources::Sub(const Resources& o) {
  milli_cpu -= o.milli_cpu;
  memory -= o.memory;
  ephemeral_storage -= o.ephemeral_storage;
  pods -= o.pods;
  for (const auto& [name, value] : o.scalar) scalar[name] -= value;
}

void Resources::Max(const Resources& o) {
  milli_cpu = std::max(milli_cpu, o.milli_cpu);
  memory = std::max(memory, o.memory);
  ephemeral_storage = std::max(ephemeral_storage, o.ephemeral_storage);
  pods = std::max(pods, o.pods);
  for (const auto& [name, value] : o.scalar) {
    auto [it, inserted] = scalar.try_emplace(name, value);
    if (!inserted) it->second = std::max(it->second, value);
  }
}

bool Resources::IsZero() const {
  if (milli_cpu != 0 || memory != 0 || ephemeral_storage != 0) return false;
  for (const auto& [name, value] : scalar) {
    if (value != 0) return false;
  }
  return true;
}

bool Toleration::Tolerates(const Taint& taint) const {
  if (!effect.empty() && effect != taint.effect) return false;
  if (key.empty()) return op == "Exists";  // an empty key with Exists tolerates everything
  if (key != taint.key) return false;
  if (op == "Exists") return true;
  return value == taint.value;
}

bool Tolerated(const std::vector<Toleration>& tolerations, const Taint& taint) {
  for (const auto& t : tolerations) {
    if (t.Tolerates(taint)) return true;
  }
  return false;
}

bool NodeSelectorTerm::Matches(const json::value& node_labels, const std::string& node_name) const {
  if (match_expressions.empty() && match_fields.empty()) return false;
  for (const auto& r : match_expressions) {
    const std::string* value = nullptr;
    std::string holder;
    if (const json::value* v =
            node_labels.is_object() ? node_labels.as_object().if_contains(r.key) : nullptr) {
      if (v->is_string()) {
        holder = std::string(v->as_string());
        value = &holder;
      }
    }
    if (!RequirementMatches(r, value)) return false;
  }
  for (const auto& r : match_fields) {
    if (r.key != "metadata.name") return false;
    if (!RequirementMatches(r, &node_name)) return false;
  }
  return true;
}

bool AffinityTerm::Matches(const PodInfo& pod, const NamespaceLabels& ns_labels) const {
  bool ns_ok = all_namespaces || std::find(namespaces.begin(), namespaces.end(), pod.ns) != namespaces.end();
  if (!ns_ok && namespace_selector.has_value()) {
    auto it = ns_labels.find(pod.ns);
    ns_ok = it != ns_labels.end() && namespace_selector->Matches(&it->second);
  }
  return ns_ok && selector.Matches(&pod.labels);
}

bool HostPort::Conflicts(const HostPort& other) const {
  if (port != other.port || protocol != other.protocol) return false;
  auto any = [](const std::string& ip) { return ip.empty() || ip == "0.0.0.0" || ip == "::"; };
  return any(ip) || any(other.ip) || ip == other.ip;
}

bool PodInfo::MatchesNodeSelectorAndAffinity(const json::value& node_labels,
                                             const std::string& node_name) const {
  for (const auto& [key, value] : node_selector) {
    const json::value* v = node_labels.is_object() ? node_labels.as_object().if_contains(key) : nullptr;
    if (v == nullptr || !v->is_string() || v->as_string() != value) return false;
  }
  if (!has_required_node_affinity) return true;
  for (const auto& term : required_node_terms) {
    if (term.Matches(node_labels, node_name)) return true;
  }
  return false;
}

const VolumeNodeConstraint* PodInfo::VolumeConflict(const json::value& node_labels,
                                                    const std::string& node_name) const {
  for (const auto& constraint : volume_constraints) {
    bool any = false;
    for (const auto& term : constraint.terms) {
      if (term.Matches(node_labels, node_name)) {
        any = true;
        break;
      }
    }
    if (!any) return &constraint;
  }
  return nullptr;
}

std::string NormalizedImageName(std::string image) {
  size_t colon = image.rfind(':');
  size_t slash = image.rfind('/');
  if (colon == std::string::npos || (slash != std::string::npos && colon < slash)) image += ":latest";
  return image;
}

PodInfoPtr MakePodInfo(client::Object pod,
                       const std::function<int32_t(const std::string&)>& priority_of_class) {
  auto info = std::make_shared<PodInfo>();
  const json::value& p = *pod;
  info->ns = api::Namespace(p);
  info->name = api::Name(p);
  info->uid = api::Uid(p);
  info->key = info->ns.empty() ? info->name : info->ns + "/" + info->name;
  info->terminating = api::IsBeingDeleted(p);
  if (const json::value* labels = api::Labels(p)) info->labels = *labels;
  info->phase = api::PodPhase(p);
  const json::value* spec_ptr = base::Find(p, "spec");
  static const json::value kEmpty = json::object();
  const json::value& spec = spec_ptr != nullptr ? *spec_ptr : kEmpty;
  info->node_name = base::GetString(spec, {"nodeName"});
  info->scheduler_name = base::GetString(spec, {"schedulerName"});
  info->priority_class_name = base::GetString(spec, {"priorityClassName"});
  if (const json::value* prio = base::Find(spec, "priority"); prio != nullptr && prio->is_number()) {
    info->has_priority = true;
    info->priority = static_cast<int32_t>(base::GetInt(spec, {"priority"}));
  } else if (priority_of_class) {
    info->priority = priority_of_class(info->priority_class_name);
  }
  info->preempt_never = base::GetString(spec, {"preemptionPolicy"}) == "Never";
  ComputeRequests(spec, &info->requests, &info->non_zero_requests);
  info->host_ports = ParseHostPorts(spec);
  if (const json::value* sel = base::Find(spec, "nodeSelector"); sel != nullptr && sel->is_object()) {
    for (const auto& [k, v] : sel->as_object()) {
      if (v.is_string()) info->node_selector[std::string(k)] = std::string(v.as_string());
    }
  }
  if (const json::value* affinity = base::Find(spec, "affinity")) {
    if (const json::value* required =
            base::FindPath(*affinity, {"nodeAffinity", "requiredDuringSchedulingIgnoredDuringExecution"});
        required != nullptr && required->is_object()) {
      info->has_required_node_affinity = true;
      if (const auto* terms = ArrayAt(*required, {"nodeSelectorTerms"})) {
        for (const auto& t : *terms) info->required_node_terms.push_back(ParseNodeSelectorTerm(t));
      }
    }
    if (const auto* preferred =
            ArrayAt(*affinity, {"nodeAffinity", "preferredDuringSchedulingIgnoredDuringExecution"})) {
      for (const auto& item : *preferred) {
        PreferredSchedulingTerm t;
        t.weight = static_cast<int32_t>(base::GetInt(item, {"weight"}));
        if (const json::value* pref = base::Find(item, "preference")) t.term = ParseNodeSelectorTerm(*pref);
        info->preferred_node_terms.push_back(std::move(t));
      }
    }
    ParseAffinityTerms(*affinity, "podAffinity", info->ns, &info->required_affinity,
                       &info->preferred_affinity);
    ParseAffinityTerms(*affinity, "podAntiAffinity", info->ns, &info->required_anti_affinity,
                       &info->preferred_anti_affinity);
  }
  if (const auto* tolerations = ArrayAt(spec, {"tolerations"})) {
    for (const auto& t : *tolerations) {
      Toleration tol;
      tol.key = base::GetString(t, {"key"});
      tol.op = base::GetString(t, {"operator"}, "Equal");
      tol.value = base::GetString(t, {"value"});
      tol.effect = base::GetString(t, {"effect"});
      info->tolerations.push_back(std::move(tol));
    }
  }
  if (const auto* constraints = ArrayAt(spec, {"topologySpreadConstraints"})) {
    for (const auto& c : *constraints) {
      SpreadConstraint sc;
      sc.max_skew = static_cast<int32_t>(base::GetInt(c, {"maxSkew"}, 1));
      sc.topology_key = base::GetString(c, {"topologyKey"});
      sc.hard = base::GetString(c, {"whenUnsatisfiable"}, "DoNotSchedule") == "DoNotSchedule";
      sc.min_domains = static_cast<int32_t>(base::GetInt(c, {"minDomains"}, 1));
      sc.honor_node_affinity = base::GetString(c, {"nodeAffinityPolicy"}, "Honor") == "Honor";
      sc.honor_taints = base::GetString(c, {"nodeTaintsPolicy"}, "Ignore") == "Honor";
      sc.selector = SelectorOf(base::Find(c, "labelSelector"));
      // matchLabelKeys: the pod's own values for those keys narrow the selector.
      std::vector<std::string> keys = Strings(base::Find(c, "matchLabelKeys"));
      if (!keys.empty() && !sc.selector.MatchesNothing()) {
        std::string text = sc.selector.String();
        for (const auto& k : keys) {
          std::string value = base::GetString(info->labels, {k});
          if (base::Find(info->labels, k) == nullptr) continue;
          text += (text.empty() ? "" : ",") + k + "=" + value;
        }
        auto narrowed = api::LabelSelector::Parse(text);
        if (narrowed.ok()) sc.selector = *narrowed;
      }
      info->spread_constraints.push_back(std::move(sc));
    }
    for (auto& sc : info->spread_constraints) sc.signature = SpreadSignature(*info, sc, spec);
  }
  info->images = ContainerImages(spec);
  info->pod = std::move(pod);
  return info;
}

}  // namespace skiff::scheduler
