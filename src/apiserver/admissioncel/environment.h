// The CEL environment of Kubernetes admission, shared by webhook matchConditions and
// ValidatingAdmissionPolicies:
//  * CompileExpression declares object, oldObject, request and authorizer (kMatchCondition) and,
//    for policies, params, namespaceObject and variables too (kPolicy), as kube's admission
//    environments do; all are dyn (objects are not typed by their schema).
//  * RequestObject is the admission request as CEL's `request` sees it (kube's AdmissionRequest:
//    kind, resource, subResource, requestKind/Resource/SubResource, name, namespace, operation,
//    userInfo, dryRun, options).
//  * RequestAuthorizer answers the authorizer library with the server's authorizer, as the
//    requester (or as the ServiceAccount of authorizer.serviceAccount(ns, name)).
// Thread-safety: pure functions; a RequestAuthorizer is safe for concurrent checks when its
// Authorizer is. Ownership: RequestAuthorizer borrows the authorizer and the user for its life.
// Failure: CompileExpression returns kube's "compilation failed: ERROR: <input>:..." as
// InvalidArgument; a check without an authorizer answers a Decision with error set.
#ifndef SKIFF_APISERVER_ADMISSIONCEL_ENVIRONMENT_H_
#define SKIFF_APISERVER_ADMISSIONCEL_ENVIRONMENT_H_

#include <memory>
#include <string_view>

#include "absl/status/statusor.h"
#include "api/cel/authorizer.h"
#include "api/cel/cel.h"
#include "apiserver/admission.h"
#include "apiserver/auth.h"
#include "boost/json/value.hpp"

namespace skiff::apiserver::admissioncel {

enum class Environment {
  kMatchCondition,  // object, oldObject, request, authorizer
  kPolicy,          // the above, params, namespaceObject and variables
};

absl::StatusOr<std::shared_ptr<const api::cel::Program>> CompileExpression(std::string_view expression,
                                                                           Environment environment);

// `request` as admission expressions see it; `options` (may be null) is the operation's options.
boost::json::value RequestObject(const AdmissionRequest& request, const boost::json::value* options = nullptr);

class RequestAuthorizer : public api::cel::Authorizer {
 public:
  // `authorizer` may be null (no authorization configured: every check errors).
  RequestAuthorizer(const apiserver::Authorizer* authorizer, const User* user) : authorizer_(authorizer), user_(user) {}
  api::cel::AuthorizationDecision Check(const api::cel::AuthorizationCheck& check) const override;

 private:
  const apiserver::Authorizer* authorizer_;
  const User* user_;
};

// What one request binds for every admission expression: object, oldObject (null when absent,
// as kube binds them), request and authorizer. They are converted to CEL values once, on the
// first Activation, and shared by every expression of every policy and webhook of the request.
// Borrowed JSON must outlive the evaluations. Not thread-safe (one per request).
class RequestBindings {
 public:
  RequestBindings(const AdmissionRequest& request, const boost::json::value* obj, const boost::json::value* old,
                  const Authorizer* authorizer);
  // An Activation with these bindings (JSON that CEL cannot represent is left as JSON, so that
  // using it reports the conversion error).
  api::cel::Activation Activation();

 private:
  boost::json::value request_object_;
  const boost::json::value* object_;
  const boost::json::value* old_object_;
  RequestAuthorizer authorizer_;
  bool converted_ = false;
  api::cel::Activation activation_;
};

}  // namespace skiff::apiserver::admissioncel

#endif  // SKIFF_APISERVER_ADMISSIONCEL_ENVIRONMENT_H_
