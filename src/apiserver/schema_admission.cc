#include "apiserver/schema_admission.h"

#include "absl/strings/str_cat.h"
#include "api/defaults.h"
#include "api/kind_rules.h"
#include "api/object_meta.h"
#include "api/validation.h"
#include "apiserver/crd/crd_names.h"
#include "apiserver/crd/crd_validation.h"
#include "apiserver/default_tolerations.h"
#include "base/json.h"
#include "http/errors.h"

namespace skiff::apiserver {

const api::TypeSchema* TypeFor(const api::SchemaRegistry& schemas, const api::ResourceInfo& resource) {
  const auto* kind = schemas.FindKind(resource.group, resource.version, resource.kind);
  return kind ? kind->type : nullptr;
}

absl::Status SchemaAdmission::Admit(const api::ResourceInfo& resource, boost::json::value& obj,
                                    const boost::json::value* old) {
  const api::TypeSchema* type = TypeFor(schemas_, resource);
  if (!type) return absl::OkStatus();
  // Kind rewrites come first: Kubernetes applies them while decoding (Secret stringData -> data).
  api::NormalizeKindFields(resource.group, resource.kind, obj);
  if (crd::IsCrdResource(resource)) crd::DefaultCrd(obj);
  api::ApplyDefaults(*type, obj);
  // Mutating admission after defaulting, as in Kubernetes (DefaultTolerationSeconds, create only).
  if (old == nullptr && resource.group.empty() && resource.kind == "Pod") AddDefaultTolerations(obj);
  auto errors = api::ValidateObject(*type, obj);
  for (auto& e : api::ValidateKindRules(resource.group, resource.kind, obj, old))
    errors.push_back(std::move(e));
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
