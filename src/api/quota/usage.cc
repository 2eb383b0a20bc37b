#include "api/quota/usage.h"

#include <algorithm>
#include <map>
#include <set>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "api/quota/pod_resources.h"
#include "base/clock.h"
#include "base/json.h"
#include "boost/json.hpp"

namespace skiff::api::quota {
namespace {

namespace json = boost::json;

constexpr absl::string_view kStorageClassSuffix = ".storageclass.storage.k8s.io/";
constexpr absl::string_view kRequestsPrefix = "requests.";

bool IsCore(Kind kind, absl::string_view plural) { return kind.group.empty() && kind.plural == plural; }

// Core kinds whose object count also has a name without "count/".
bool HasLegacyCountName(Kind kind) {
  if (!kind.group.empty()) return false;
  static const std::set<absl::string_view> kLegacy = {"pods",          "services",
                                                      "configmaps",    "persistentvolumeclaims",
                                                      "secrets",       "replicationcontrollers",
                                                      "resourcequotas"};
  return kLegacy.count(kind.plural) > 0;
}

// Names outside the kubernetes.io domain with a "/" are extended resources ("example.com/gpu").
bool IsNativeResource(absl::string_view name) {
  return name.find('/') == absl::string_view::npos || absl::StrContains(name, "kubernetes.io/");
}

bool IsExtendedResource(absl::string_view name) {
  return !IsNativeResource(name) && !absl::StartsWith(name, kRequestsPrefix);
}

bool TracksPod(absl::string_view name) {
  static const std::set<absl::string_view> kPod = {
      "cpu",          "memory",          "ephemeral-storage",
      "requests.cpu", "requests.memory", "requests.ephemeral-storage",
      "limits.cpu",   "limits.memory",   "limits.ephemeral-storage"};
  if (kPod.count(name)) return true;
  if (absl::StartsWith(name, "hugepages-") || absl::StartsWith(name, "requests.hugepages-")) return true;
  return !IsNativeResource(name) && absl::StartsWith(name, kRequestsPrefix);
}

bool TracksPvc(absl::string_view name) {
  if (name == "requests.storage") return true;
  return absl::EndsWith(name, absl::StrCat(kStorageClassSuffix, "requests.storage")) ||
         absl::EndsWith(name, absl::StrCat(kStorageClassSuffix, "persistentvolumeclaims"));
}

Quantity One() { return Quantity::FromInt64(1); }

// Kubernetes' QuotaV1Pod: terminal pods, and pods past their deletion grace period (a lost node),
// are not charged for compute resources.
bool ChargesCompute(const json::value& pod, absl::Time now) {
  std::string phase = base::GetString(pod, {"status", "phase"});
  if (phase == "Succeeded" || phase == "Failed") return false;
  std::string deletion = base::GetString(pod, {"metadata", "deletionTimestamp"});
  const auto* grace = base::FindPath(pod, {"metadata", "deletionGracePeriodSeconds"});
  absl::Time deleted_at;
  if (!deletion.empty() && grace && grace->is_number() && base::ParseRfc3339(deletion, &deleted_at)) {
    int64_t seconds = base::GetInt(pod, {"metadata", "deletionGracePeriodSeconds"});
    if (now > deleted_at + absl::Seconds(seconds)) return false;
  }
  return true;
}

ResourceList PodComputeUsage(const ResourceList& requests, const ResourceList& limits) {
  ResourceList usage;
  usage["pods"] = One();
  for (absl::string_view name : {"cpu", "memory", "ephemeral-storage"}) {
    if (auto it = requests.find(name); it != requests.end()) {
      usage[std::string(name)] = it->second;
      usage[absl::StrCat(kRequestsPrefix, name)] = it->second;
    }
    if (auto it = limits.find(name); it != limits.end()) usage[absl::StrCat("limits.", name)] = it->second;
  }
  for (const auto& [name, q] : requests) {
    if (absl::StartsWith(name, "hugepages-")) {
      usage[name] = q;
      usage[absl::StrCat(kRequestsPrefix, name)] = q;
    } else if (IsExtendedResource(name)) {
      usage[absl::StrCat(kRequestsPrefix, name)] = q;
    }
  }
  return usage;
}

bool HasCrossNamespaceTerm(const json::value* affinity) {
  if (!affinity || !affinity->is_object()) return false;
  auto cross = [](const json::value& term) {
    const auto* ns = base::Find(term, "namespaces");
    const auto* selector = base::Find(term, "namespaceSelector");
    return (ns && ns->is_array() && !ns->get_array().empty()) || (selector && !selector->is_null());
  };
  if (const auto* req = base::Find(*affinity, "requiredDuringSchedulingIgnoredDuringExecution");
      req && req->is_array()) {
    for (const auto& t : req->get_array()) {
      if (cross(t)) return true;
    }
  }
  if (const auto* pref = base::Find(*affinity, "preferredDuringSchedulingIgnoredDuringExecution");
      pref && pref->is_array()) {
    for (const auto& t : pref->get_array()) {
      const auto* term = base::Find(t, "podAffinityTerm");
      if (term && cross(*term)) return true;
    }
  }
  return false;
}

// QoS BestEffort: no container states a request or limit of cpu or memory.
bool IsBestEffort(const json::value& pod) {
  for (const char* list : {"containers", "initContainers"}) {
    const auto* cs = base::FindPath(pod, {"spec", list});
    if (!cs || !cs->is_array()) continue;
    for (const auto& c : cs->get_array()) {
      for (const ResourceList& rl : {ContainerRequests(c), ContainerLimits(c)}) {
        if (rl.count("cpu") || rl.count("memory")) return false;
      }
    }
  }
  return true;
}

PodScopeFacts FactsOf(const json::value& pod) {
  PodScopeFacts facts;
  const auto* deadline = base::FindPath(pod, {"spec", "activeDeadlineSeconds"});
  facts.terminating =
      deadline && deadline->is_number() && base::GetInt(pod, {"spec", "activeDeadlineSeconds"}) >= 0;
  facts.best_effort = IsBestEffort(pod);
  facts.cross_namespace_affinity =
      HasCrossNamespaceTerm(base::FindPath(pod, {"spec", "affinity", "podAffinity"})) ||
      HasCrossNamespaceTerm(base::FindPath(pod, {"spec", "affinity", "podAntiAffinity"}));
  facts.priority_class = base::GetString(pod, {"spec", "priorityClassName"});
  return facts;
}

ResourceList PodUsage(const json::value& pod, absl::Time now) {
  ResourceList usage;
  usage["count/pods"] = One();
  if (!ChargesCompute(pod, now)) return usage;
  AddTo(usage, PodComputeUsage(PodRequests(pod), PodLimits(pod)));
  return usage;
}

ResourceList ServiceUsage(const json::value& svc) {
  ResourceList usage;
  usage["count/services"] = One();
  usage["services"] = One();
  usage["services.loadbalancers"] = Quantity();
  usage["services.nodeports"] = Quantity();
  std::string type = base::GetString(svc, {"spec", "type"});
  const auto* ports = base::FindPath(svc, {"spec", "ports"});
  int64_t port_count = ports && ports->is_array() ? static_cast<int64_t>(ports->get_array().size()) : 0;
  if (type == "NodePort") {
    usage["services.nodeports"] = Quantity::FromInt64(port_count);
  } else if (type == "LoadBalancer") {
    const auto* allocate = base::FindPath(svc, {"spec", "allocateLoadBalancerNodePorts"});
    if (allocate && allocate->is_bool() && !allocate->get_bool()) {
      int64_t explicit_ports = 0;  // only ports that ask for a node port take one
      if (port_count > 0) {
        for (const auto& p : ports->get_array()) explicit_ports += base::GetInt(p, {"nodePort"}) != 0;
      }
      usage["services.nodeports"] = Quantity::FromInt64(explicit_ports);
    } else {
      usage["services.nodeports"] = Quantity::FromInt64(port_count);
    }
    usage["services.loadbalancers"] = One();
  }
  return usage;
}

std::string StorageClassOf(const json::value& pvc) {
  if (const auto* a =
          base::FindPath(pvc, {"metadata", "annotations", "volume.beta.kubernetes.io/storage-class"});
      a && a->is_string()) {
    return std::string(a->get_string());
  }
  return base::GetString(pvc, {"spec", "storageClassName"});
}

ResourceList PvcUsage(const json::value& pvc) {
  ResourceList usage;
  usage["count/persistentvolumeclaims"] = One();
  usage["persistentvolumeclaims"] = One();
  std::string storage_class = StorageClassOf(pvc);
  if (!storage_class.empty())
    usage[absl::StrCat(storage_class, kStorageClassSuffix, "persistentvolumeclaims")] = One();
  // The larger of the request and what a (possibly failed) expansion allocated.
  std::optional<Quantity> storage;
  for (const ResourceList& rl : {FromJson(base::FindPath(pvc, {"spec", "resources", "requests"})),
                                 FromJson(base::FindPath(pvc, {"status", "allocatedResources"}))}) {
    auto it = rl.find("storage");
    if (it != rl.end() && (!storage || it->second.Compare(*storage) > 0)) storage = it->second;
  }
  if (storage) {
    usage["requests.storage"] = *storage;
    if (!storage_class.empty())
      usage[absl::StrCat(storage_class, kStorageClassSuffix, "requests.storage")] = *storage;
  }
  return usage;
}

bool MatchesScope(const ScopeRequirement& req, const PodScopeFacts& facts) {
  if (req.scope == "Terminating") return facts.terminating;
  if (req.scope == "NotTerminating") return !facts.terminating;
  if (req.scope == "BestEffort") return facts.best_effort;
  if (req.scope == "NotBestEffort") return !facts.best_effort;
  if (req.scope == "CrossNamespacePodAffinity") return facts.cross_namespace_affinity;
  if (req.scope == "PriorityClass") {
    // A label selector over {"PriorityClass": <the pod's class>} (no label without a class).
    bool has = !facts.priority_class.empty();
    bool listed = std::find(req.values.begin(), req.values.end(), facts.priority_class) != req.values.end();
    if (req.op == "Exists") return has;
    if (req.op == "DoesNotExist") return !has;
    if (req.op == "In") return has && listed;
    if (req.op == "NotIn") return !has || !listed;
  }
  return false;
}

}  // namespace

std::string ObjectCountName(Kind kind) {
  if (kind.group.empty()) return absl::StrCat("count/", kind.plural);
  return absl::StrCat("count/", kind.plural, ".", kind.group);
}

bool Tracks(Kind kind, absl::string_view name) {
  if (name == ObjectCountName(kind)) return true;
  if (HasLegacyCountName(kind) && name == kind.plural) return true;
  if (IsCore(kind, "pods")) return TracksPod(name);
  if (IsCore(kind, "services")) return name == "services.loadbalancers" || name == "services.nodeports";
  if (IsCore(kind, "persistentvolumeclaims")) return TracksPvc(name);
  return false;
}

ResourceNames TrackedNames(Kind kind, const ResourceList& hard) {
  ResourceNames names;
  for (const auto& [name, q] : hard) {
    if (Tracks(kind, name)) names.insert(name);
  }
  return names;
}

Charge ChargeOf(Kind kind, const json::value& obj, absl::Time now) {
  Charge charge;
  if (IsCore(kind, "pods")) {
    charge.usage = PodUsage(obj, now);
    charge.pod = FactsOf(obj);
  } else if (IsCore(kind, "services")) {
    charge.usage = ServiceUsage(obj);
  } else if (IsCore(kind, "persistentvolumeclaims")) {
    charge.usage = PvcUsage(obj);
  } else {
    charge.usage[ObjectCountName(kind)] = One();
    if (HasLegacyCountName(kind)) charge.usage[std::string(kind.plural)] = One();
  }
  return charge;
}

std::vector<ScopeRequirement> QuotaScopes(const json::value& quota) {
  std::vector<ScopeRequirement> out;
  if (const auto* scopes = base::FindPath(quota, {"spec", "scopes"}); scopes && scopes->is_array()) {
    for (const auto& s : scopes->get_array()) {
      if (s.is_string()) out.push_back({std::string(s.get_string()), "Exists", {}});
    }
  }
  const auto* exprs = base::FindPath(quota, {"spec", "scopeSelector", "matchExpressions"});
  if (exprs && exprs->is_array()) {
    for (const auto& e : exprs->get_array()) {
      ScopeRequirement req{base::GetString(e, {"scopeName"}), base::GetString(e, {"operator"}), {}};
      if (const auto* values = base::Find(e, "values"); values && values->is_array()) {
        for (const auto& v : values->get_array()) {
          if (v.is_string()) req.values.emplace_back(v.get_string());
        }
      }
      out.push_back(std::move(req));
    }
  }
  return out;
}

bool MatchesScopes(const std::vector<ScopeRequirement>& scopes, const Charge& charge) {
  for (const auto& req : scopes) {
    if (!charge.pod || !MatchesScope(req, *charge.pod)) return false;
  }
  return true;
}

std::string PodMissingResources(const ResourceNames& constrained, const json::value& pod) {
  static const std::set<absl::string_view> kMustSpecify = {
      "cpu", "memory", "requests.cpu", "requests.memory", "limits.cpu", "limits.memory"};
  ResourceNames required;
  for (const auto& name : constrained) {
    if (kMustSpecify.count(name)) required.insert(name);
  }
  if (required.empty()) return "";
  std::map<std::string, std::set<std::string>> missing;  // resource -> container names
  for (const char* list : {"containers", "initContainers"}) {
    const auto* cs = base::FindPath(pod, {"spec", list});
    if (!cs || !cs->is_array()) continue;
    for (const auto& c : cs->get_array()) {
      ResourceNames has = Names(PodComputeUsage(ContainerRequests(c), ContainerLimits(c)));
      for (const auto& name : required) {
        if (!has.count(name)) missing[name].insert(base::GetString(c, {"name"}));
      }
    }
  }
  if (missing.empty()) return "";
  std::vector<std::string> parts;
  for (const auto& [name, containers] : missing) {
    parts.push_back(absl::StrCat(name, " for: ", absl::StrJoin(containers, ",")));
  }
  return absl::StrCat("must specify ", absl::StrJoin(parts, "; "));
}

}  // namespace skiff::api::quota
