// PolicyAdmission: kube-apiserver's ValidatingAdmissionPolicy plug-in on skiff's admission chain
// (apiserver/admission.h), registered before the webhook plug-in so that it validates what the
// mutating webhooks left, before the validating webhooks are called (kube's order).
//  * For each policy (by name) and each binding naming it (by name): the policy's
//    matchConstraints, then the binding's matchResources (empty resourceRules defer to the
//    policy's), must match the request: resourceRules/excludeResourceRules with resourceNames and
//    matchPolicy, namespaceSelector (cluster-scoped objects other than Namespaces skip it; a
//    Namespace is judged by its own labels), objectSelector (new or old object's labels).
//  * Parameters: with paramKind, the binding's paramRef names one object or selects several (in
//    paramRef.namespace, else the request's namespace); the policy runs once per parameter, and
//    none found follows parameterNotFoundAction. Without paramKind, params is null.
//  * matchConditions (all true, false skips; errors follow failurePolicy), then validations with
//    `variables` computed lazily (each at most once per evaluation), messageExpression, reason
//    (the refusal's code: Invalid 422 by default, Forbidden 403, Unauthorized 401,
//    RequestEntityTooLarge 413) and auditAnnotations; kube's runtime cost budget per policy.
//  * A failed validation (or, under failurePolicy Fail, an error or a misconfiguration) goes
//    through the binding's validationActions: Deny refuses with `<resource> "<name>" is
//    forbidden: ValidatingAdmissionPolicy 'P' with binding 'B' denied request: <message>`; Warn
//    sends `Validation failed for ValidatingAdmissionPolicy 'P' with binding 'B': <message>`;
//    Audit records validation.policy.admission.k8s.io/validation_failure. The first refusal wins.
//  * Creating or updating a ValidatingAdmissionPolicy compiles all its expressions: 422 with
//    kube's messages for any that does not compile. Policies never apply to
//    admissionregistration.k8s.io objects themselves.
// Compiled policies and bindings are cached until their revision moves.
// Thread-safety: Validate may run concurrently from many writers.
// Ownership: borrows the Sources and the Authorizer (may be null), which must outlive it.
// Failure: Kubernetes API errors as described above; nothing is written on a refusal.
#ifndef SKIFF_APISERVER_ADMISSIONPOLICY_PLUGIN_H_
#define SKIFF_APISERVER_ADMISSIONPOLICY_PLUGIN_H_

#include <cstdint>
#include <memory>
#include <mutex>
#include <vector>

#include "absl/status/status.h"
#include "apiserver/admission.h"
#include "apiserver/admissionpolicy/policy.h"
#include "apiserver/admissionpolicy/sources.h"
#include "apiserver/auth.h"
#include "boost/json/value.hpp"

namespace skiff::apiserver::admissionpolicy {

class PolicyAdmission : public AdmissionPlugin {
 public:
  PolicyAdmission(const Sources* sources, const Authorizer* authorizer) : sources_(sources), authorizer_(authorizer) {}

  absl::Status Validate(const AdmissionRequest& request, const boost::json::value* obj,
                        const boost::json::value* old) override;

 private:
  struct Compiled {
    int64_t policy_revision = -1;
    int64_t binding_revision = -1;
    std::vector<Policy> policies;  // by name
    std::vector<Binding> bindings;  // by name
  };
  std::shared_ptr<const Compiled> Current() const;

  const Sources* sources_;
  const Authorizer* authorizer_;
  mutable std::mutex mu_;
  mutable std::shared_ptr<const Compiled> compiled_;
};

}  // namespace skiff::apiserver::admissionpolicy

#endif  // SKIFF_APISERVER_ADMISSIONPOLICY_PLUGIN_H_
