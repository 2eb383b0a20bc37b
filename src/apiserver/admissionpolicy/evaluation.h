// EvaluatePolicy: one policy's CEL on one request with one parameter — matchConditions, then
// every validation and audit annotation, with `variables` computed lazily and at most once, and
// kube's runtime cost budget for the whole policy (RuntimeCELCostBudget). Errors follow the
// policy's failurePolicy: under Fail they are failures (kube's "expression '...' resulted in
// error: ..."), under Ignore they are dropped.
// Thread-safety: pure function over an immutable Policy. Ownership: borrows the activation's JSON.
// Failure: none of its own; what failed is in the Outcome.
#ifndef SKIFF_APISERVER_ADMISSIONPOLICY_EVALUATION_H_
#define SKIFF_APISERVER_ADMISSIONPOLICY_EVALUATION_H_

#include <string>
#include <utility>
#include <vector>

#include "api/cel/cel.h"
#include "apiserver/admissionpolicy/policy.h"

namespace skiff::apiserver::admissionpolicy {

// kube's runtime cost budget for one policy on one request.
inline constexpr int64_t kPolicyCostBudget = 10000000;

struct Failure {
  std::string message;
  std::string reason;         // "" means Invalid
  int expression_index = -1;  // the validation's index; -1 for errors outside validations
};

struct Outcome {
  bool matched = true;  // false: a matchCondition was false
  std::vector<Failure> failures;
  std::vector<std::pair<std::string, std::string>> audit_annotations;  // key (without the policy), value
};

// `activation` binds object, oldObject, request, authorizer, params and namespaceObject.
Outcome EvaluatePolicy(const Policy& policy, const api::cel::Activation& activation);

}  // namespace skiff::apiserver::admissionpolicy

#endif  // SKIFF_APISERVER_ADMISSIONPOLICY_EVALUATION_H_
