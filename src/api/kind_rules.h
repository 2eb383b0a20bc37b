// Per-kind rules that a field schema cannot express (the Kubernetes registry strategies and
// conversions): validation of ConfigMap/Secret total size, workload selectors that must select
// their own template, Namespace-name limits, Service port rules, APIService names, priorities and
// TLS settings, webhook configurations (webhook_rules.h), PersistentVolumeClaim updates
// (volume_rules.h), networking.k8s.io kinds (ingress_rules.h, network_policy_rules.h), HPA
// minReplicas 0 (only with an Object or External metric); and the rewrite of a Secret's
// write-only stringData into data.
// Thread-safety: pure functions. Never fails: validation returns the list of violations (empty
// when valid); the rewrite leaves input it cannot apply to for validation to report.
#ifndef SKIFF_API_KIND_RULES_H_
#define SKIFF_API_KIND_RULES_H_

#include <string_view>
#include <vector>

#include "api/validation.h"
#include "boost/json/value.hpp"

namespace skiff::api {

// Rewrites an object being created or updated (before defaulting and validation) as Kubernetes
// does: a Secret's `stringData` entries are base64-encoded into `data` (replacing the same keys)
// and `stringData` is removed, so it is never stored or returned. A `stringData` that is not a
// map of strings (or a `data` that is not a map) is left in place for validation to reject.
void NormalizeKindFields(std::string_view group, std::string_view kind, boost::json::value& obj);

// `old_obj` is null on create.
std::vector<FieldError> ValidateKindRules(std::string_view group, std::string_view kind,
                                          const boost::json::value& obj, const boost::json::value* old_obj);

}  // namespace skiff::api

#endif  // SKIFF_API_KIND_RULES_H_
