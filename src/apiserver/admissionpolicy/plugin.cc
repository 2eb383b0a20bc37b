#include "apiserver/admissionpolicy/plugin.h"

#include <algorithm>
#include <optional>
#include <string>

#include "absl/strings/str_cat.h"
#include "api/errors.h"
#include "api/validation.h"
#include "apiserver/admissioncel/environment.h"
#include "apiserver/admissionpolicy/evaluation.h"
#include "base/json.h"
#include "boost/json.hpp"

namespace skiff::apiserver::admissionpolicy {
namespace {

namespace json = boost::json;
namespace cel = api::cel;

constexpr char kValidationFailureKey[] = "validation.policy.admission.k8s.io/validation_failure";


const json::value* Labels(const json::value* obj) {
  return obj ? base::FindPath(*obj, {"metadata", "labels"}) : nullptr;
}

int CodeOf(const std::string& reason) {
  if (reason == "Forbidden") return 403;
  if (reason == "Unauthorized") return 401;
  if (reason == "RequestEntityTooLarge") return 413;
  return 422;
}

// kube's admission.NewForbidden wording (the object's name, else its generateName, else
// "Unknown"; the resource without its subresource) with the validation's reason and code.
absl::Status Denied(const AdmissionRequest& request, const json::value* obj, const std::string& message,
                    const std::string& reason) {
  const api::ResourceInfo& r = *request.resource;
  std::string qualified = r.group.empty() ? r.plural : absl::StrCat(r.plural, ".", r.group);
  std::string name = "Unknown";
  if (obj) {
    std::string own = base::GetString(*obj, {"metadata", "name"});
    std::string generate = base::GetString(*obj, {"metadata", "generateName"});
    if (!own.empty()) {
      name = own;
    } else if (!generate.empty()) {
      name = generate;
    }
  }
  api::ApiError e;
  e.reason = reason.empty() ? "Invalid" : reason;
  e.code = CodeOf(e.reason);
  e.message = absl::StrCat(qualified, " \"", name, "\" is forbidden: ", message);
  e.name = name;
  e.group = r.group;
  e.kind = r.plural;
  e.causes.push_back({"", message, ""});
  return api::ToStatus(e);
}

// The request's view of one namespace, fetched at most once.
class NamespaceView {
 public:
  NamespaceView(const Sources* sources, const AdmissionRequest& request, const json::value* obj, const json::value* old)
      : sources_(sources), request_(request), obj_(obj), old_(old) {}

  bool SelectorMatches(const api::LabelSelector& selector) {
    if (selector.Empty()) return true;
    const api::ResourceInfo& r = *request_.resource;
    if (r.group.empty() && r.plural == "namespaces") return selector.Matches(Labels(obj_ ? obj_ : old_));
    if (request_.ns.empty()) return true;  // cluster-scoped objects skip namespaceSelector
    const json::value& ns = Object();
    return selector.Matches(Labels(ns.is_null() ? nullptr : &ns));
  }
  // namespaceObject: the Namespace of a namespaced request, else null.
  const json::value& Object() {
    if (!fetched_) {
      fetched_ = true;
      if (!request_.ns.empty()) {
        auto ns = sources_->Namespace(std::string(request_.ns));
        if (ns.ok()) namespace_ = std::move(*ns);
      }
    }
    return namespace_;
  }

 private:
  const Sources* sources_;
  const AdmissionRequest& request_;
  const json::value* obj_;
  const json::value* old_;
  bool fetched_ = false;
  json::value namespace_;
};

bool Matches(const MatchResources& m, bool binding, const AdmissionRequest& request, const json::value* obj,
             const json::value* old, NamespaceView* ns) {
  admissionwebhook::RequestAttributes attrs{std::string(OperationName(request.operation)),
                                            std::string(request.subresource), std::string(request.ns)};
  if (!m.MatchesRules(*request.resource, attrs, std::string(request.name), binding)) return false;
  if (!ns->SelectorMatches(m.namespace_selector)) return false;
  // kube's matchObject: an absent object (the old one on create, the new one on delete) matches nothing.
  if (m.object_selector.Empty()) return true;
  return (obj && m.object_selector.Matches(Labels(obj))) || (old && m.object_selector.Matches(Labels(old)));
}

// The parameter objects a binding gives a policy, or the misconfiguration that prevents it.
// Empty: none found (parameterNotFoundAction decides).
absl::StatusOr<std::vector<json::value>> ParamsFor(const Policy& policy, const Binding& binding,
                                                  const AdmissionRequest& request, const Sources* sources) {
  if (policy.param_kind.empty()) return std::vector<json::value>{json::value()};
  const api::ResourceInfo* resource = api::FindResourceByApiVersionKind(policy.param_api_version, policy.param_kind);
  if (!resource) {
    return absl::FailedPreconditionError(
        absl::StrCat("failed to configure policy: failed to find resource referenced by paramKind: '",
                     policy.param_api_version, ", Kind=", policy.param_kind, "'"));
  }
  if (!binding.has_param_ref) {
    return absl::FailedPreconditionError(
        "failed to configure binding: paramRef is required when the policy has a paramKind");
  }
  std::string ns;
  if (resource->namespaced) {
    ns = binding.param_namespace.empty() ? std::string(request.ns) : binding.param_namespace;
    if (ns.empty()) {
      return absl::FailedPreconditionError(
          "failed to configure binding: cannot use namespaced paramRef in policy binding that matches "
          "cluster-scoped resources");
    }
  }
  std::vector<json::value> params;
  if (!binding.param_name.empty()) {
    auto param = sources->Param(*resource, ns, binding.param_name);
    if (param.ok()) params.push_back(std::move(*param));
  } else if (binding.param_selector) {
    params = sources->Params(*resource, ns, *binding.param_selector);
  }
  return params;
}

// Binds `json` converted to a CEL value once for every expression of the evaluation (as JSON
// when it cannot be converted, so that using it reports why).
void BindConverted(cel::Activation* activation, const char* name, const json::value& json) {
  absl::StatusOr<cel::Value> value = cel::ValueFromJson(json, nullptr);
  if (value.ok()) {
    activation->values.emplace_back(name, std::move(*value));
  } else {
    activation->json.emplace_back(name, &json);
  }
}

}  // namespace

std::shared_ptr<const PolicyAdmission::Compiled> PolicyAdmission::Current() const {
  int64_t policy_revision = sources_->Revision(false);
  int64_t binding_revision = sources_->Revision(true);
  std::lock_guard<std::mutex> lock(mu_);
  if (compiled_ && compiled_->policy_revision == policy_revision && compiled_->binding_revision == binding_revision) {
    return compiled_;
  }
  auto fresh = std::make_shared<Compiled>();
  fresh->policy_revision = policy_revision;
  fresh->binding_revision = binding_revision;
  // Policies whose revision did not move are kept compiled.
  for (const auto& obj : sources_->Objects(false)) {
    std::string rv = base::GetString(obj, {"metadata", "resourceVersion"});
    const Policy* kept = nullptr;
    if (compiled_) {
      for (const auto& p : compiled_->policies) {
        if (p.name == base::GetString(obj, {"metadata", "name"}) && p.resource_version == rv) kept = &p;
      }
    }
    fresh->policies.push_back(kept ? *kept : ParsePolicy(obj));
  }
  for (const auto& obj : sources_->Objects(true)) fresh->bindings.push_back(ParseBinding(obj));
  std::sort(fresh->policies.begin(), fresh->policies.end(),
            [](const Policy& a, const Policy& b) { return a.name < b.name; });
  std::sort(fresh->bindings.begin(), fresh->bindings.end(),
            [](const Binding& a, const Binding& b) { return a.name < b.name; });
  compiled_ = std::move(fresh);
  return compiled_;
}

absl::Status PolicyAdmission::Validate(const AdmissionRequest& request, const json::value* obj,
                                       const json::value* old) {
  if (!request.resource) return absl::OkStatus();
  const api::ResourceInfo& resource = *request.resource;
  if (resource.group == "admissionregistration.k8s.io") {
    // A policy's expressions must compile before it is stored; policies never apply to these kinds.
    bool writes_policy = resource.kind == "ValidatingAdmissionPolicy" && request.subresource.empty() && obj &&
                         (request.operation == AdmissionOperation::kCreate ||
                          request.operation == AdmissionOperation::kUpdate);
    if (!writes_policy) return absl::OkStatus();
    std::vector<api::FieldError> errors = CheckPolicyExpressions(*obj);
    if (!errors.empty()) return api::InvalidObjectStatus(resource, base::GetString(*obj, {"metadata", "name"}), errors);
    return absl::OkStatus();
  }
  if (request.operation == AdmissionOperation::kConnect) return absl::OkStatus();
  std::shared_ptr<const Compiled> compiled = Current();
  if (compiled->bindings.empty()) return absl::OkStatus();
  NamespaceView ns(sources_, request, obj, old);
  std::optional<admissioncel::RequestBindings> bindings;  // built on the first match
  absl::Status first_denial = absl::OkStatus();
  json::array audit_failures;
  for (const Policy& policy : compiled->policies) {
    if (!Matches(policy.constraints, false, request, obj, old, &ns)) continue;
    for (const Binding& binding : compiled->bindings) {
      if (binding.policy_name != policy.name) continue;
      if (binding.match && !Matches(*binding.match, true, request, obj, old, &ns)) continue;
      if (!bindings) bindings.emplace(request, obj, old, authorizer_);
      std::vector<Failure> failures;
      std::vector<std::pair<std::string, std::string>> annotations;
      auto params = ParamsFor(policy, binding, request, sources_);
      if (!params.ok()) {
        if (!policy.fail_open) failures.push_back({std::string(params.status().message()), "", -1});
      } else if (params->empty()) {
        if (binding.deny_if_param_missing && !policy.fail_open) {
          failures.push_back({"failed to configure binding: no params found for policy binding with `Deny` "
                              "parameterNotFoundAction",
                              "", -1});
        }
      }
      for (const json::value& param : params.ok() ? *params : std::vector<json::value>{}) {
        cel::Activation activation = bindings->Activation();
        BindConverted(&activation, "params", param);
        static const json::value kNull;
        BindConverted(&activation, "namespaceObject", policy.uses_namespace_object ? ns.Object() : kNull);
        Outcome outcome = EvaluatePolicy(policy, activation);
        for (auto& f : outcome.failures) failures.push_back(std::move(f));
        for (auto& a : outcome.audit_annotations) annotations.push_back(std::move(a));
      }
      for (const auto& [key, value] : annotations) request.AddAuditAnnotation(absl::StrCat(policy.name, "/", key), value);
      for (const Failure& f : failures) {
        if (binding.deny && first_denial.ok()) {
          first_denial = Denied(request, obj,
                                absl::StrCat("ValidatingAdmissionPolicy '", policy.name, "' with binding '",
                                             binding.name, "' denied request: ", f.message),
                                f.reason);
        }
        if (binding.warn) {
          request.Warn(absl::StrCat("Validation failed for ValidatingAdmissionPolicy '", policy.name,
                                    "' with binding '", binding.name, "': ", f.message));
        }
        if (binding.audit) {
          json::array actions;
          if (binding.deny) actions.emplace_back("Deny");
          if (binding.warn) actions.emplace_back("Warn");
          actions.emplace_back("Audit");
          json::object record{{"message", f.message}, {"policy", policy.name}, {"binding", binding.name},
                              {"validationActions", std::move(actions)}};
          if (f.expression_index >= 0) record["expressionIndex"] = f.expression_index;
          audit_failures.push_back(std::move(record));
        }
      }
    }
  }
  if (!audit_failures.empty()) request.AddAuditAnnotation(kValidationFailureKey, json::serialize(audit_failures));
  return first_denial;
}

}  // namespace skiff::apiserver::admissionpolicy
