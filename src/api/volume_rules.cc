#include "api/volume_rules.h"

#include <optional>
#include <string>

#include "absl/strings/str_cat.h"
#include "api/object_meta.h"
#include "api/quantity.h"
#include "base/json.h"
#include "boost/json.hpp"

namespace skiff::api {
namespace {

namespace json = boost::json;

constexpr char kBetaClassAnnotation[] = "volume.beta.kubernetes.io/storage-class";

std::optional<Quantity> Storage(const json::value& obj, std::initializer_list<std::string_view> path) {
  const json::value* v = base::FindPath(obj, path);
  if (v == nullptr || v->is_null()) return std::nullopt;
  auto q = Quantity::FromJson(*v);
  if (!q.ok()) return std::nullopt;
  return *q;
}

// Quantities of resources.requests/limits in canonical form, so that equal amounts compare equal.
void CanonicalizeResources(json::object& spec) {
  json::value* resources = spec.if_contains("resources");
  if (resources == nullptr || !resources->is_object()) return;
  for (const char* list : {"requests", "limits"}) {
    json::value* amounts = resources->as_object().if_contains(list);
    if (amounts == nullptr || !amounts->is_object()) continue;
    for (auto& [name, amount] : amounts->as_object()) {
      if (auto q = Quantity::FromJson(amount); q.ok()) amount = q->ToJson();
    }
  }
}

json::object Spec(const json::value& pvc) {
  const json::value* spec = base::Find(pvc, "spec");
  return spec != nullptr && spec->is_object() ? spec->get_object() : json::object();
}

// A field as the spec holds it; absent and null are the same (Go's nil).
json::value Field(const json::object& spec, std::string_view name) {
  const json::value* v = spec.if_contains(name);
  return v != nullptr ? *v : json::value(nullptr);
}

void SetField(json::object& spec, std::string_view name, const json::value& value) {
  if (value.is_null()) {
    spec.erase(name);
  } else {
    spec[name] = value;
  }
}

}  // namespace

std::vector<FieldError> ValidatePersistentVolumeClaimUpdate(const json::value& pvc, const json::value& old) {
  std::vector<FieldError> errors;
  json::object spec = Spec(pvc);
  json::object old_spec = Spec(old);
  // The PV controller records the bound volume once.
  if (base::GetString(old, {"spec", "volumeName"}).empty()) SetField(old_spec, "volumeName", Field(spec, "volumeName"));

  // The class: the beta annotation may be upgraded to the field, and an unset class may be set
  // (retroactive default class); the annotation itself never changes.
  std::string old_annotation = Annotation(old, kBetaClassAnnotation);
  std::string annotation = Annotation(pvc, kBetaClassAnnotation);
  json::value old_class = Field(old_spec, "storageClassName");
  json::value new_class = Field(spec, "storageClassName");
  if (old_class.is_null() && !new_class.is_null()) {
    bool from_annotation = !old_annotation.empty() && new_class.is_string() && new_class.get_string() == old_annotation;
    if (old_annotation.empty() || from_annotation) SetField(spec, "storageClassName", old_class);
  }
  if (annotation != old_annotation) {
    errors.push_back({std::string(kFieldValueInvalid), absl::StrCat("metadata.annotations.", kBetaClassAnnotation),
                      json::value(annotation), "field is immutable"});
  }

  // A bound claim may be resized and moved to another VolumeAttributesClass.
  if (base::GetString(pvc, {"status", "phase"}) == "Bound") {
    json::value* resources = spec.if_contains("resources");
    json::value* requests = resources != nullptr && resources->is_object() ? resources->as_object().if_contains("requests")
                                                                           : nullptr;
    if (requests != nullptr && requests->is_object()) {
      const json::value* was = base::FindPath(old, {"spec", "resources", "requests", "storage"});
      if (was == nullptr || was->is_null()) {
        requests->as_object().erase("storage");
      } else {
        requests->as_object()["storage"] = *was;
      }
    }
    if (!Field(spec, "volumeAttributesClassName").is_null()) {
      SetField(spec, "volumeAttributesClassName", Field(old_spec, "volumeAttributesClassName"));
    }
  }
  CanonicalizeResources(spec);
  CanonicalizeResources(old_spec);
  if (spec != old_spec) {
    errors.push_back({std::string(kFieldValueForbidden), "spec", nullptr,
                      "spec is immutable after creation except resources.requests and volumeAttributesClassName for "
                      "bound claims"});
  }

  Quantity old_size = Storage(old, {"spec", "resources", "requests", "storage"}).value_or(Quantity());
  Quantity new_size = Storage(pvc, {"spec", "resources", "requests", "storage"}).value_or(Quantity());
  Quantity status_size = Storage(old, {"status", "capacity", "storage"}).value_or(Quantity());
  if (new_size < old_size && new_size <= status_size) {
    errors.push_back({std::string(kFieldValueForbidden), "spec.resources.requests.storage", nullptr,
                      "field can not be less than status.capacity"});
  }

  json::value mode = Field(Spec(pvc), "volumeMode");
  if (mode != Field(Spec(old), "volumeMode")) {
    // kube names this field without its "spec." prefix.
    errors.push_back({std::string(kFieldValueInvalid), "volumeMode", mode, "field is immutable"});
  }
  return errors;
}

}  // namespace skiff::api
