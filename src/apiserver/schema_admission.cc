#include "apiserver/schema_admission.h"

#include <set>
#include <string>

#include "absl/strings/str_cat.h"
#include "api/defaults.h"
#include "api/kind_rules.h"
#include "api/object_meta.h"
#include "api/structural/structural.h"
#include "api/validation.h"
#include "apiserver/crd/crd_names.h"
#include "apiserver/crd/crd_validation.h"
#include "apiserver/default_tolerations.h"
#include "base/json.h"
#include "http/errors.h"

namespace skiff::apiserver {

namespace {

// Custom resources: the CRD version's structural schema (api/structural), nothing else.
absl::Status AdmitCustomResource(const api::ResourceInfo& resource, boost::json::value& obj,
                                 const boost::json::value* old) {
  const api::structural::Schema* schema = resource.custom->structural.get();
  if (!schema) return absl::OkStatus();
  // kube's order: prune, default, validate (ratcheting against the stored object on update).
  api::structural::Prune(*schema, &obj);
  api::structural::Default(*schema, &obj);
  auto errors = api::structural::Validate(*schema, obj, old);
  if (errors.empty()) return absl::OkStatus();
  return api::structural::InvalidCustomResourceStatus(resource.group, resource.kind, api::Name(obj), errors);
}

}  // namespace

const api::TypeSchema* TypeFor(const api::SchemaRegistry& schemas, const api::ResourceInfo& resource) {
  const auto* kind = schemas.FindKind(resource.group, resource.version, resource.kind);
  return kind ? kind->type : nullptr;
}

absl::Status SchemaAdmission::Admit(const api::ResourceInfo& resource, boost::json::value& obj,
                                    const boost::json::value* old) {
  if (resource.custom) return AdmitCustomResource(resource, obj, old);
  const api::TypeSchema* type = TypeFor(schemas_, resource);
  if (!type) return absl::OkStatus();
  // Kind rewrites come first: Kubernetes applies them while decoding (Secret stringData -> data).
  api::NormalizeKindFields(resource.group, resource.kind, obj);
  if (crd::IsCrdResource(resource)) {
    crd::DefaultCrd(obj);
    crd::DefaultStoredVersions(obj, old);
  }
  api::ApplyDefaults(*type, obj);
  // Mutating admission after defaulting, as in Kubernetes (DefaultTolerationSeconds, create only).
  if (old == nullptr && resource.group.empty() && resource.kind == "Pod") AddDefaultTolerations(obj);
  auto errors = api::ValidateObject(*type, obj);
  auto rule_errors = api::ValidateKindRules(resource.group, resource.kind, obj, old);
  // A field the kind's rules report gets their wording (Kubernetes' own, e.g. "pathType must be
  // specified") instead of the schema's generic one; type errors stay (they answer 400).
  std::set<std::string, std::less<>> ruled;
  for (const auto& e : rule_errors) ruled.insert(e.field);
  std::erase_if(errors, [&ruled](const api::FieldError& e) {
    return e.type != api::kFieldValueTypeInvalid && ruled.count(e.field) > 0;
  });
  for (auto& e : rule_errors) errors.push_back(std::move(e));
  if (old) {
    for (auto& e : api::ValidateImmutableFields(*type, *old, obj)) errors.push_back(std::move(e));
  }
  if (crd::IsCrdResource(resource)) {
    for (auto& e : crd::ValidateCrd(obj, old)) errors.push_back(std::move(e));
  }
  if (!errors.empty()) return InvalidObjectStatus(resource, api::Name(obj), errors);
  return absl::OkStatus();
}

}  // namespace skiff::apiserver
