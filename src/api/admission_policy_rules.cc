#include "api/admission_policy_rules.h"

#include <set>
#include <string>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "api/webhook_rules.h"
#include "base/json.h"
#include "boost/json.hpp"

namespace skiff::api {
namespace {

namespace json = boost::json;

void Required(std::vector<FieldError>* e, std::string field, std::string detail = "") {
  e->push_back({std::string(kFieldValueRequired), std::move(field), nullptr, std::move(detail)});
}
void Invalid(std::vector<FieldError>* e, std::string field, json::value value, std::string detail) {
  e->push_back({std::string(kFieldValueInvalid), std::move(field), std::move(value), std::move(detail)});
}
void Forbidden(std::vector<FieldError>* e, std::string field, std::string detail) {
  e->push_back({std::string(kFieldValueForbidden), std::move(field), nullptr, std::move(detail)});
}
void NotSupported(std::vector<FieldError>* e, std::string field, json::value value,
                  const std::vector<std::string>& supported) {
  std::vector<std::string> quoted;
  for (const auto& s : supported) quoted.push_back(json::serialize(json::value(s)));
  e->push_back({std::string(kFieldValueNotSupported), std::move(field), std::move(value),
                absl::StrCat("supported values: ", absl::StrJoin(quoted, ", "))});
}

const json::array* ArrayAt(const json::value& obj, std::initializer_list<std::string_view> path) {
  const json::value* v = base::FindPath(obj, path);
  return v && v->is_array() ? &v->get_array() : nullptr;
}

// A CEL identifier: [a-zA-Z_][a-zA-Z0-9_]*.
bool IsCelIdentifier(const std::string& name) {
  if (name.empty() || absl::ascii_isdigit(static_cast<unsigned char>(name[0]))) return false;
  for (char c : name) {
    if (!absl::ascii_isalnum(static_cast<unsigned char>(c)) && c != '_') return false;
  }
  return true;
}

void CheckRules(std::vector<FieldError>* e, const std::string& path, const json::array* rules) {
  if (!rules) return;
  for (size_t i = 0; i < rules->size(); ++i) {
    for (auto& err : ValidateRuleWithOperations(absl::StrCat(path, "[", i, "]"), (*rules)[i])) e->push_back(std::move(err));
  }
}

// MatchResources; `policy` requires resourceRules (a binding's matchResources may leave them out).
void CheckMatchResources(std::vector<FieldError>* e, const std::string& path, const json::value* match, bool policy) {
  if (!match || !match->is_object()) {
    if (policy) Required(e, path);
    return;
  }
  const json::array* rules = ArrayAt(*match, {"resourceRules"});
  if (policy && (!rules || rules->empty())) Required(e, path + ".resourceRules");
  CheckRules(e, path + ".resourceRules", rules);
  CheckRules(e, path + ".excludeResourceRules", ArrayAt(*match, {"excludeResourceRules"}));
}

}  // namespace

std::vector<FieldError> ValidateAdmissionPolicy(const json::value& obj) {
  std::vector<FieldError> e;
  const json::value* spec = base::Find(obj, "spec");
  json::value empty = json::object{};
  if (!spec || !spec->is_object()) spec = &empty;
  if (const auto* kind = base::Find(*spec, "paramKind"); kind && kind->is_object()) {
    if (base::GetString(*kind, {"kind"}).empty()) Required(&e, "spec.paramKind.kind");
    std::string api_version = base::GetString(*kind, {"apiVersion"});
    if (api_version.empty()) {
      Required(&e, "spec.paramKind.apiVersion");
    } else if (std::count(api_version.begin(), api_version.end(), '/') > 1) {
      Invalid(&e, "spec.paramKind.apiVersion", json::value(api_version), "apiVersion must be in the format of group/version");
    }
  }
  CheckMatchResources(&e, "spec.matchConstraints", base::Find(*spec, "matchConstraints"), true);
  const json::array* validations = ArrayAt(*spec, {"validations"});
  const json::array* annotations = ArrayAt(*spec, {"auditAnnotations"});
  if ((!validations || validations->empty()) && (!annotations || annotations->empty())) {
    Required(&e, "spec.validations", "validations or auditAnnotations must contain at least one item");
  }
  static const std::vector<std::string> kReasons = {"Unauthorized", "Forbidden", "Invalid", "RequestEntityTooLarge"};
  for (size_t i = 0; validations && i < validations->size(); ++i) {
    const json::value& v = (*validations)[i];
    std::string path = absl::StrCat("spec.validations[", i, "]");
    if (absl::StripAsciiWhitespace(base::GetString(v, {"expression"})).empty()) Required(&e, path + ".expression");
    std::string message = base::GetString(v, {"message"});
    if (base::Find(v, "message") && absl::StripAsciiWhitespace(message).empty()) {
      Required(&e, path + ".message", "message must be non-empty if specified");
    } else if (message.find('\n') != std::string::npos) {
      Invalid(&e, path + ".message", json::value(message), "message must not contain line breaks");
    }
    if (const auto* reason = base::Find(v, "reason"); reason && reason->is_string()) {
      std::string r(reason->get_string());
      if (std::find(kReasons.begin(), kReasons.end(), r) == kReasons.end()) {
        NotSupported(&e, path + ".reason", json::value(r), kReasons);
      }
    }
  }
  std::set<std::string> keys;
  for (size_t i = 0; annotations && i < annotations->size(); ++i) {
    const json::value& a = (*annotations)[i];
    std::string path = absl::StrCat("spec.auditAnnotations[", i, "]");
    std::string key = base::GetString(a, {"key"});
    if (key.empty()) {
      Required(&e, path + ".key");
    } else if (!keys.insert(key).second) {
      e.push_back({std::string(kFieldValueDuplicate), path + ".key", json::value(key), ""});
    }
    if (base::GetString(a, {"valueExpression"}).empty()) Required(&e, path + ".valueExpression");
  }
  const json::array* variables = ArrayAt(*spec, {"variables"});
  for (size_t i = 0; variables && i < variables->size(); ++i) {
    const json::value& v = (*variables)[i];
    std::string path = absl::StrCat("spec.variables[", i, "]");
    std::string name = base::GetString(v, {"name"});
    if (name.empty()) {
      Required(&e, path + ".name");
    } else if (!IsCelIdentifier(name)) {
      Invalid(&e, path + ".name", json::value(name), "name is not a valid CEL identifier");
    }
    if (base::GetString(v, {"expression"}).empty()) Required(&e, path + ".expression");
  }
  const json::array* conditions = ArrayAt(*spec, {"matchConditions"});
  for (size_t i = 0; conditions && i < conditions->size(); ++i) {
    if (base::GetString((*conditions)[i], {"expression"}).empty()) {
      Required(&e, absl::StrCat("spec.matchConditions[", i, "].expression"));
    }
  }
  return e;
}

std::vector<FieldError> ValidateAdmissionPolicyBinding(const json::value& obj) {
  std::vector<FieldError> e;
  const json::value* spec = base::Find(obj, "spec");
  json::value empty = json::object{};
  if (!spec || !spec->is_object()) spec = &empty;
  if (base::GetString(*spec, {"policyName"}).empty()) Required(&e, "spec.policyName");
  CheckMatchResources(&e, "spec.matchResources", base::Find(*spec, "matchResources"), false);
  if (const auto* ref = base::Find(*spec, "paramRef"); ref && ref->is_object()) {
    bool has_name = !base::GetString(*ref, {"name"}).empty();
    const json::value* selector = base::Find(*ref, "selector");
    bool has_selector = selector && !selector->is_null();
    if (has_name && has_selector) {
      Forbidden(&e, "spec.paramRef.name", "name and selector are mutually exclusive");
    } else if (!has_name && !has_selector) {
      Required(&e, "spec.paramRef", "one of name or selector must be specified");
    }
    const json::value* action = base::Find(*ref, "parameterNotFoundAction");
    if (!action || action->is_null()) {
      Required(&e, "spec.paramRef.parameterNotFoundAction");
    } else if (!action->is_string() || (action->get_string() != "Allow" && action->get_string() != "Deny")) {
      NotSupported(&e, "spec.paramRef.parameterNotFoundAction", *action, {"Allow", "Deny"});
    }
  }
  const json::array* actions = ArrayAt(*spec, {"validationActions"});
  if (!actions || actions->empty()) {
    Required(&e, "spec.validationActions", "at least one validation action is required");
  } else {
    bool deny = false, warn = false;
    std::set<std::string> seen;
    for (size_t i = 0; i < actions->size(); ++i) {
      std::string action = (*actions)[i].is_string() ? std::string((*actions)[i].get_string()) : "";
      std::string path = absl::StrCat("spec.validationActions[", i, "]");
      if (action != "Deny" && action != "Warn" && action != "Audit") {
        NotSupported(&e, path, (*actions)[i], {"Audit", "Deny", "Warn"});
      } else if (!seen.insert(action).second) {
        e.push_back({std::string(kFieldValueDuplicate), path, json::value(action), ""});
      }
      deny |= action == "Deny";
      warn |= action == "Warn";
    }
    if (deny && warn) {
      Invalid(&e, "spec.validationActions", *base::Find(*spec, "validationActions"),
              "must not contain both Deny and Warn (repeating the same validation failure information in the API "
              "response and headers serves no purpose)");
    }
  }
  return e;
}

}  // namespace skiff::api
