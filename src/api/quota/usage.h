// Quota usage: what one object is charged against a ResourceQuota (Kubernetes' quota evaluators
// in pkg/quota/v1/evaluator/core and the generic object-count evaluator), which quota resource
// names a kind can consume, and whether a quota's scopes select an object.
//  - every kind: count/<plural>[.<group>] = 1 per stored object;
//  - core kinds also under their legacy names: pods, services, configmaps, secrets,
//    persistentvolumeclaims, replicationcontrollers, resourcequotas;
//  - pods (not terminal, not past their deletion grace period): cpu/memory (= requests.*),
//    requests.*, limits.* of cpu, memory, ephemeral-storage; hugepages-*; requests.<extended>;
//  - services: services.loadbalancers, services.nodeports;
//  - persistentvolumeclaims: requests.storage, <class>.storageclass.storage.k8s.io/{requests.storage,
//    persistentvolumeclaims}.
// Scopes (Terminating, NotTerminating, BestEffort, NotBestEffort, PriorityClass,
// CrossNamespacePodAffinity) select pods only: a quota with scopes never matches other kinds.
// Thread-safety: pure functions. Failure: never; malformed fields count as absent.
#ifndef SKIFF_API_QUOTA_USAGE_H_
#define SKIFF_API_QUOTA_USAGE_H_

#include <optional>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "api/quota/resource_list.h"
#include "boost/json/value.hpp"

namespace skiff::api::quota {

// The kind of object being counted (its API group and plural resource name).
struct Kind {
  absl::string_view group;
  absl::string_view plural;
  bool operator==(const Kind&) const = default;
};

// "count/pods", "count/deployments.apps".
std::string ObjectCountName(Kind kind);
// Whether objects of `kind` can consume the quota resource `name` (Kubernetes' MatchingResources).
bool Tracks(Kind kind, absl::string_view name);
// The names of `hard` that objects of `kind` consume.
ResourceNames TrackedNames(Kind kind, const ResourceList& hard);

// What a pod's scopes are decided on.
struct PodScopeFacts {
  bool terminating = false;  // spec.activeDeadlineSeconds >= 0
  bool best_effort = false;  // QoS class BestEffort
  bool cross_namespace_affinity = false;
  std::string priority_class;
};

// What one object is charged, with what its scopes are decided on (pods only).
struct Charge {
  ResourceList usage;
  std::optional<PodScopeFacts> pod;
};
Charge ChargeOf(Kind kind, const boost::json::value& obj, absl::Time now);

// One requirement of a quota's scopes: spec.scopes entries become {scope, "Exists"}.
struct ScopeRequirement {
  std::string scope;
  std::string op;  // In, NotIn, Exists, DoesNotExist
  std::vector<std::string> values;
};
std::vector<ScopeRequirement> QuotaScopes(const boost::json::value& quota);
// Whether every requirement selects the charged object (no requirements select everything).
bool MatchesScopes(const std::vector<ScopeRequirement>& scopes, const Charge& charge);

// A pod must state requests/limits of cpu and memory that a quota constrains (Kubernetes keeps
// this for compatibility): "" when it does, else the reason, e.g.
// "must specify limits.cpu for: app; requests.cpu for: app,sidecar".
std::string PodMissingResources(const ResourceNames& constrained, const boost::json::value& pod);

}  // namespace skiff::api::quota

#endif  // SKIFF_API_QUOTA_USAGE_H_
