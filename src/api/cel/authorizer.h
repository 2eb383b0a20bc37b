// Authorizer: what Kubernetes' CEL authorizer library (`authorizer.group('apps')
// .resource('deployments').namespace('ns').check('create').allowed()`, `authorizer.path('/healthz')
// .check('get')`, `authorizer.serviceAccount('ns', 'name')...`) asks of the server's authorizer.
// The admission environments (ValidatingAdmissionPolicy, webhook matchConditions) bind one per
// request; expressions that use `authorizer` without one get an evaluation error.
// Thread-safety: implementations must allow concurrent Check calls.
// Ownership: the caller of Program::Evaluate owns it for the duration of the evaluation.
// Failure: a check that cannot be decided answers a Decision with `error` set (CEL's
// decision.errored() / decision.error()), never an evaluation error.
#ifndef SKIFF_API_CEL_AUTHORIZER_H_
#define SKIFF_API_CEL_AUTHORIZER_H_

#include <string>

namespace skiff::api::cel {

struct AuthorizationCheck {
  bool is_resource = true;
  std::string group, resource, subresource, ns, name;  // resource checks
  std::string path;                                   // non-resource checks
  std::string verb;
  // Set by authorizer.serviceAccount(ns, name): check as that ServiceAccount instead of the requester.
  std::string service_account_namespace, service_account_name;
};

struct AuthorizationDecision {
  std::string decision = "deny";  // "allow", "deny" or "noOpinion"
  std::string reason;
  std::string error;
};

class Authorizer {
 public:
  virtual ~Authorizer() = default;
  virtual AuthorizationDecision Check(const AuthorizationCheck& check) const = 0;
};

}  // namespace skiff::api::cel

#endif  // SKIFF_API_CEL_AUTHORIZER_H_
