// Validation of admissionregistration.k8s.io/v1 Mutating- and ValidatingWebhookConfigurations
// that the field schema cannot express, with kube-apiserver's wording (its admissionregistration
// validation): fully qualified, unique webhook names; rules (operations, groups, versions,
// resources with subresources and wildcards, scope); failurePolicy, matchPolicy,
// reinvocationPolicy and sideEffects (None or NoneOnDryRun) values; timeoutSeconds 1-30;
// admissionReviewVersions (at least one of v1, v1beta1, no duplicates); clientConfig with exactly
// one of url (https, a host, no user, query or fragment) and service (name, namespace, port, path).
// Thread-safety: pure function. Never fails: returns the violations (empty when valid).
#ifndef SKIFF_API_WEBHOOK_RULES_H_
#define SKIFF_API_WEBHOOK_RULES_H_

#include <string>
#include <string_view>
#include <vector>

#include "api/validation.h"
#include "boost/json/value.hpp"

namespace skiff::api {

// `mutating` selects MutatingWebhookConfiguration (which has reinvocationPolicy). `old` is the
// stored configuration on update (null on create): as kube-apiserver, an update keeps accepting
// what the stored object already had (duplicate names, side effects Some/Unknown, unrecognised
// review versions) so that old objects stay editable.
std::vector<FieldError> ValidateWebhookConfiguration(const boost::json::value& obj, const boost::json::value* old,
                                                     bool mutating);

// One RuleWithOperations at `path` (operations, apiGroups, apiVersions, resources, scope), as the
// webhooks' rules are checked; ValidatingAdmissionPolicies share it (api/admission_policy_rules.h).
std::vector<FieldError> ValidateRuleWithOperations(const std::string& path, const boost::json::value& rule);

}  // namespace skiff::api

#endif  // SKIFF_API_WEBHOOK_RULES_H_
