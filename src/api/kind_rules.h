// Per-kind validation rules that a field schema cannot express (cross-field and size rules of the
// Kubernetes registry strategies): ConfigMap/Secret total size, workload selectors that must
// select their own template, Namespace-name limits, Service port rules, APIService names,
// priorities and TLS settings.
// Thread-safety: pure functions. Never fails: returns the list of violations (empty when valid).
#ifndef SKIFF_API_KIND_RULES_H_
#define SKIFF_API_KIND_RULES_H_

#include <string_view>
#include <vector>

#include "api/validation.h"
#include "boost/json/value.hpp"

namespace skiff::api {

// `old_obj` is null on create.
std::vector<FieldError> ValidateKindRules(std::string_view group, std::string_view kind,
                                          const boost::json::value& obj, const boost::json::value* old_obj);

}  // namespace skiff::api

#endif  // SKIFF_API_KIND_RULES_H_
