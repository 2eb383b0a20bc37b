// Policy and Binding: a stored ValidatingAdmissionPolicy or ValidatingAdmissionPolicyBinding
// parsed and compiled once, with what enforcement needs; MatchResources is their shared
// matchConstraints / matchResources (kube's matching package: resourceRules with resourceNames,
// excludeResourceRules, namespaceSelector, objectSelector, matchPolicy).
// CheckPolicyExpressions compiles every expression of a policy as the server must at create and
// update time, answering kube's field errors ("spec.validations[0].expression: Invalid value:
// ...: compilation failed: ERROR: <input>:1:...").
// Thread-safety: immutable values. Ownership: values (programs are shared).
// Failure: Parse never fails; an expression that does not compile is kept with its error and
// fails at evaluation under the policy's failurePolicy (stored policies were checked, so rare).
#ifndef SKIFF_APISERVER_ADMISSIONPOLICY_POLICY_H_
#define SKIFF_APISERVER_ADMISSIONPOLICY_POLICY_H_

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "api/cel/cel.h"
#include "api/label_selector.h"
#include "api/resources.h"
#include "api/validation.h"
#include "apiserver/admissioncel/match_conditions.h"
#include "apiserver/admissionwebhook/matcher.h"
#include "boost/json/value.hpp"

namespace skiff::apiserver::admissionpolicy {

struct NamedRule {
  admissionwebhook::Rule rule;
  std::vector<std::string> resource_names;  // empty: every name
};

struct MatchResources {
  std::vector<NamedRule> rules;
  std::vector<NamedRule> exclude_rules;
  api::LabelSelector namespace_selector;
  api::LabelSelector object_selector;
  bool match_exact = false;

  // Whether a request for `resource` (its name, namespace and operation in `request`) matches
  // the rules; `empty_rules_match` for bindings, whose empty resourceRules defer to the policy's.
  bool MatchesRules(const api::ResourceInfo& resource, const admissionwebhook::RequestAttributes& request,
                    const std::string& name, bool empty_rules_match) const;
};

struct Expression {
  std::string text;
  std::shared_ptr<const api::cel::Program> program;  // null when it did not compile
  absl::Status error;
};

struct Validation {
  Expression expression;
  std::string message;
  std::string reason;                       // "" means Invalid
  std::optional<Expression> message_expression;
};

struct Policy {
  std::string name;
  std::string resource_version;  // of the stored object it was compiled from
  std::string param_api_version, param_kind;  // empty kind: no params
  MatchResources constraints;
  std::vector<Validation> validations;
  std::vector<std::pair<std::string, Expression>> variables;  // in order: each sees the ones before
  std::vector<std::pair<std::string, Expression>> audit_annotations;  // key, valueExpression
  admissioncel::MatchConditions match_conditions;
  bool fail_open = false;  // failurePolicy Ignore
  bool uses_namespace_object = false;  // some expression reads namespaceObject (fetched only then)
};

struct Binding {
  std::string name;
  std::string policy_name;
  bool has_param_ref = false;
  std::string param_name, param_namespace;
  std::optional<api::LabelSelector> param_selector;
  bool deny_if_param_missing = true;  // parameterNotFoundAction Deny (the default)
  std::optional<MatchResources> match;
  bool deny = false, warn = false, audit = false;
};

Policy ParsePolicy(const boost::json::value& obj);
Binding ParseBinding(const boost::json::value& obj);
std::vector<api::FieldError> CheckPolicyExpressions(const boost::json::value& obj);

}  // namespace skiff::apiserver::admissionpolicy

#endif  // SKIFF_APISERVER_ADMISSIONPOLICY_POLICY_H_
