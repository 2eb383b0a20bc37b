#include "apiserver/admissionpolicy/policy.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "api/object_meta.h"
#include "base/json.h"
#include "boost/json.hpp"

namespace skiff::apiserver::admissionpolicy {
namespace {

namespace json = boost::json;
using admissioncel::Environment;

std::vector<std::string> Strings(const json::value& obj, const char* field) {
  std::vector<std::string> out;
  const auto* v = base::Find(obj, field);
  if (!v || !v->is_array()) return out;
  for (const auto& e : v->get_array()) {
    if (e.is_string()) out.emplace_back(e.get_string());
  }
  return out;
}

// A selector: absent or {} selects everything; one that cannot be used selects nothing.
api::LabelSelector Selector(const json::value* v, const char* field) {
  if (!v || v->is_null()) return api::LabelSelector();
  auto parsed = api::LabelSelector::FromJson(*v, field);
  return parsed.ok() ? *parsed : api::LabelSelector::Nothing();
}

std::vector<NamedRule> Rules(const json::value& match, const char* field) {
  std::vector<NamedRule> out;
  const auto* rules = base::Find(match, field);
  if (!rules || !rules->is_array()) return out;
  for (const auto& r : rules->get_array()) {
    NamedRule named;
    named.rule.operations = Strings(r, "operations");
    named.rule.api_groups = Strings(r, "apiGroups");
    named.rule.api_versions = Strings(r, "apiVersions");
    named.rule.resources = Strings(r, "resources");
    std::string scope = base::GetString(r, {"scope"});
    if (!scope.empty()) named.rule.scope = scope;
    named.resource_names = Strings(r, "resourceNames");
    out.push_back(std::move(named));
  }
  return out;
}

MatchResources ParseMatch(const json::value& match) {
  MatchResources m;
  m.rules = Rules(match, "resourceRules");
  m.exclude_rules = Rules(match, "excludeResourceRules");
  m.namespace_selector = Selector(base::Find(match, "namespaceSelector"), "namespaceSelector");
  m.object_selector = Selector(base::Find(match, "objectSelector"), "objectSelector");
  m.match_exact = base::GetString(match, {"matchPolicy"}) == "Exact";
  return m;
}

Expression Compile(std::string text) {
  Expression e;
  e.text = std::move(text);
  auto program = admissioncel::CompileExpression(e.text, Environment::kPolicy);
  if (program.ok()) {
    e.program = *program;
  } else {
    e.error = program.status();
  }
  return e;
}

bool AnyRuleMatches(const std::vector<NamedRule>& rules, const api::ResourceInfo& resource,
                    const admissionwebhook::RequestAttributes& request, const std::string& name) {
  return std::any_of(rules.begin(), rules.end(), [&](const NamedRule& r) {
    if (!admissionwebhook::RuleMatches(r.rule, resource, request)) return false;
    return r.resource_names.empty() ||
           std::find(r.resource_names.begin(), r.resource_names.end(), name) != r.resource_names.end();
  });
}

}  // namespace

bool MatchResources::MatchesRules(const api::ResourceInfo& resource, const admissionwebhook::RequestAttributes& request,
                                  const std::string& name, bool empty_rules_match) const {
  // Equivalent: the same resource in another served version of its group matches too.
  auto matches = [&](const std::vector<NamedRule>& list) {
    if (AnyRuleMatches(list, resource, request, name)) return true;
    if (match_exact) return false;
    for (const auto& other : api::AllResources()) {
      if (other.group == resource.group && other.plural == resource.plural && other.version != resource.version &&
          AnyRuleMatches(list, other, request, name)) {
        return true;
      }
    }
    return false;
  };
  if (matches(exclude_rules)) return false;
  if (rules.empty()) return empty_rules_match;
  return matches(rules);
}

Policy ParsePolicy(const json::value& obj) {
  Policy p;
  p.name = api::Name(obj);
  p.resource_version = base::GetString(obj, {"metadata", "resourceVersion"});
  json::value empty = json::object{};
  const json::value* spec = base::Find(obj, "spec");
  if (!spec || !spec->is_object()) spec = &empty;
  p.param_api_version = base::GetString(*spec, {"paramKind", "apiVersion"});
  p.param_kind = base::GetString(*spec, {"paramKind", "kind"});
  if (const auto* m = base::Find(*spec, "matchConstraints"); m && m->is_object()) p.constraints = ParseMatch(*m);
  if (const auto* vs = base::Find(*spec, "validations"); vs && vs->is_array()) {
    for (const auto& v : vs->get_array()) {
      Validation validation;
      validation.expression = Compile(base::GetString(v, {"expression"}));
      validation.message = base::GetString(v, {"message"});
      validation.reason = base::GetString(v, {"reason"});
      std::string message_expression = base::GetString(v, {"messageExpression"});
      if (!message_expression.empty()) validation.message_expression = Compile(message_expression);
      p.validations.push_back(std::move(validation));
    }
  }
  if (const auto* vs = base::Find(*spec, "variables"); vs && vs->is_array()) {
    for (const auto& v : vs->get_array()) {
      p.variables.emplace_back(base::GetString(v, {"name"}), Compile(base::GetString(v, {"expression"})));
    }
  }
  if (const auto* as = base::Find(*spec, "auditAnnotations"); as && as->is_array()) {
    for (const auto& a : as->get_array()) {
      p.audit_annotations.emplace_back(base::GetString(a, {"key"}), Compile(base::GetString(a, {"valueExpression"})));
    }
  }
  p.match_conditions = admissioncel::MatchConditions::Compile(base::Find(*spec, "matchConditions"), Environment::kPolicy);
  p.fail_open = base::GetString(*spec, {"failurePolicy"}) == "Ignore";
  auto uses = [](const Expression& e) { return e.program && e.program->References("namespaceObject"); };
  for (const auto& v : p.validations) {
    p.uses_namespace_object |= uses(v.expression) || (v.message_expression && uses(*v.message_expression));
  }
  for (const auto& [name, e] : p.variables) p.uses_namespace_object |= uses(e);
  for (const auto& [key, e] : p.audit_annotations) p.uses_namespace_object |= uses(e);
  // matchConditions cannot be inspected from here: a policy with any binds it too.
  p.uses_namespace_object |= !p.match_conditions.empty();
  return p;
}

Binding ParseBinding(const json::value& obj) {
  Binding b;
  b.name = api::Name(obj);
  json::value empty = json::object{};
  const json::value* spec = base::Find(obj, "spec");
  if (!spec || !spec->is_object()) spec = &empty;
  b.policy_name = base::GetString(*spec, {"policyName"});
  if (const auto* ref = base::Find(*spec, "paramRef"); ref && ref->is_object()) {
    b.has_param_ref = true;
    b.param_name = base::GetString(*ref, {"name"});
    b.param_namespace = base::GetString(*ref, {"namespace"});
    if (const auto* sel = base::Find(*ref, "selector"); sel && !sel->is_null()) {
      b.param_selector = Selector(sel, "selector");
    }
    b.deny_if_param_missing = base::GetString(*ref, {"parameterNotFoundAction"}) != "Allow";
  }
  if (const auto* m = base::Find(*spec, "matchResources"); m && m->is_object()) b.match = ParseMatch(*m);
  for (const auto& action : Strings(*spec, "validationActions")) {
    b.deny |= action == "Deny";
    b.warn |= action == "Warn";
    b.audit |= action == "Audit";
  }
  return b;
}

std::vector<api::FieldError> CheckPolicyExpressions(const json::value& obj) {
  std::vector<api::FieldError> errors;
  auto check = [&](const std::string& path, const json::value& holder, const char* field) {
    const auto* v = base::Find(holder, field);
    if (!v || !v->is_string() || v->get_string().empty()) return;  // required fields are checked elsewhere
    auto program = admissioncel::CompileExpression(v->get_string(), Environment::kPolicy);
    if (!program.ok()) {
      errors.push_back({std::string(api::kFieldValueInvalid), absl::StrCat(path, ".", field), *v,
                        std::string(program.status().message())});
    }
  };
  const json::value* spec = base::Find(obj, "spec");
  if (!spec || !spec->is_object()) return errors;
  auto each = [&](const char* list, const std::vector<const char*>& fields) {
    const auto* items = base::Find(*spec, list);
    if (!items || !items->is_array()) return;
    for (size_t i = 0; i < items->get_array().size(); ++i) {
      for (const char* field : fields) check(absl::StrCat("spec.", list, "[", i, "]"), items->get_array()[i], field);
    }
  };
  each("validations", {"expression", "messageExpression"});
  each("variables", {"expression"});
  each("auditAnnotations", {"valueExpression"});
  each("matchConditions", {"expression"});
  return errors;
}

}  // namespace skiff::apiserver::admissionpolicy
