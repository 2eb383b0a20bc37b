// Validation of admissionregistration.k8s.io/v1 ValidatingAdmissionPolicies and their bindings
// that the field schema cannot express, with kube-apiserver's wording (its admissionregistration
// validation): required validations/auditAnnotations, matchConstraints with resourceRules, rule
// shapes (shared with webhooks), validation reasons, variable names, paramKind, audit annotation
// keys; for bindings policyName, validationActions (Deny/Warn/Audit, never Deny with Warn) and
// paramRef (name or selector, parameterNotFoundAction). CEL expressions are compiled by the
// admission policy plug-in (apiserver/admissionpolicy), which sits above the CEL library.
// Thread-safety: pure functions. Never fails: returns the violations (empty when valid).
#ifndef SKIFF_API_ADMISSION_POLICY_RULES_H_
#define SKIFF_API_ADMISSION_POLICY_RULES_H_

#include <vector>

#include "api/validation.h"
#include "boost/json/value.hpp"

namespace skiff::api {

std::vector<FieldError> ValidateAdmissionPolicy(const boost::json::value& obj);
std::vector<FieldError> ValidateAdmissionPolicyBinding(const boost::json::value& obj);

}  // namespace skiff::api

#endif  // SKIFF_API_ADMISSION_POLICY_RULES_H_
