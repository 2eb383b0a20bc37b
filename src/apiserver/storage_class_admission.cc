#include "apiserver/storage_class_admission.h"

#include "absl/strings/str_cat.h"
#include "api/errors.h"
#include "api/object_meta.h"
#include "api/quantity.h"
#include "apiserver/key_layout.h"
#include "base/json.h"

namespace skiff::apiserver {
namespace {

namespace json = boost::json;

bool AddFinalizer(json::value& obj, const char* finalizer) {
  if (api::HasFinalizer(obj, finalizer)) return false;
  json::value& list = base::EnsureObject(obj, {"metadata"})["finalizers"];
  if (!list.is_array()) list = json::array();
  list.as_array().push_back(json::string(finalizer));
  return true;
}

api::Quantity RequestedStorage(const json::value& pvc) {
  const json::value* v = base::FindPath(pvc, {"spec", "resources", "requests", "storage"});
  if (v == nullptr) return api::Quantity();
  auto q = api::Quantity::FromJson(*v);
  return q.ok() ? *q : api::Quantity();
}

// Kubernetes' GetPersistentVolumeClaimClass: the beta annotation, else spec.storageClassName.
std::string ClaimClass(const json::value& pvc) {
  std::string annotated = api::Annotation(pvc, "volume.beta.kubernetes.io/storage-class");
  return annotated.empty() ? base::GetString(pvc, {"spec", "storageClassName"}) : annotated;
}

absl::Status Forbidden(const AdmissionRequest& request, const std::string& why) {
  const api::ResourceInfo& r = *request.resource;
  std::string name(request.name);
  return api::ToStatus({403, "Forbidden", absl::StrCat(r.QualifiedPlural(), " \"", name, "\" is forbidden: ", why),
                        name, r.group, r.plural});
}

}  // namespace

bool StorageClassAdmission::AllowsExpansion(const std::string& class_name) const {
  static const std::string prefix = ResourcePrefix("storage.k8s.io", "storageclasses");
  ObjectPtr sc = cache_->Get(prefix, ObjectKey(prefix, "", class_name));
  return sc != nullptr && base::GetBool(sc->Parse(), {"allowVolumeExpansion"});
}

absl::Status StorageClassAdmission::Validate(const AdmissionRequest& request, const json::value* obj,
                                             const json::value* old) {
  if (request.operation != AdmissionOperation::kUpdate || obj == nullptr || old == nullptr ||
      !request.subresource.empty() || !request.resource->group.empty() ||
      request.resource->kind != "PersistentVolumeClaim") {
    return absl::OkStatus();
  }
  if (RequestedStorage(*obj) <= RequestedStorage(*old)) return absl::OkStatus();
  if (base::GetString(*old, {"status", "phase"}) != "Bound") {
    return Forbidden(request, "Only bound persistent volume claims can be expanded");
  }
  std::string class_name = ClaimClass(*obj);
  if (class_name.empty() || class_name != ClaimClass(*old) || !AllowsExpansion(class_name)) {
    return Forbidden(request,
                     "only dynamically provisioned pvc can be resized and the storageclass that provisions the pvc "
                     "must support resize");
  }
  return absl::OkStatus();
}

std::string StorageClassAdmission::DefaultClassName() const {
  static const std::string prefix = ResourcePrefix("storage.k8s.io", "storageclasses");
  bool more = false;
  auto list = cache_->List(prefix, prefix, nullptr, "", 0, &more);
  std::string best_name, best_created;
  for (const auto& object : list.objects) {
    json::value sc = object->Parse();
    if (api::Annotation(sc, "storageclass.kubernetes.io/is-default-class") != "true" &&
        api::Annotation(sc, "storageclass.beta.kubernetes.io/is-default-class") != "true") {
      continue;
    }
    std::string created = base::GetString(sc, {"metadata", "creationTimestamp"});
    std::string name = api::Name(sc);
    if (best_name.empty() || created > best_created || (created == best_created && name < best_name)) {
      best_name = name;
      best_created = created;
    }
  }
  return best_name;
}

absl::Status StorageClassAdmission::Mutate(const AdmissionRequest& request, json::value& obj, const json::value* old,
                                           bool* changed) {
  if (request.operation != AdmissionOperation::kCreate || old != nullptr || !request.subresource.empty() ||
      !request.resource->group.empty() || !obj.is_object()) {
    return absl::OkStatus();
  }
  if (request.resource->kind == "PersistentVolume") {
    if (AddFinalizer(obj, "kubernetes.io/pv-protection")) *changed = true;
    return absl::OkStatus();
  }
  if (request.resource->kind != "PersistentVolumeClaim") return absl::OkStatus();
  if (AddFinalizer(obj, "kubernetes.io/pvc-protection")) *changed = true;
  const json::value* spec = base::Find(obj, "spec");
  const json::value* cls = spec != nullptr ? base::Find(*spec, "storageClassName") : nullptr;
  bool unset = cls == nullptr || cls->is_null();
  // The beta annotation names a class the old way (Kubernetes treats it as set).
  if (unset && api::Annotation(obj, "volume.beta.kubernetes.io/storage-class").empty()) {
    if (std::string name = DefaultClassName(); !name.empty()) {
      base::EnsureObject(obj, {"spec"})["storageClassName"] = name;
      *changed = true;
    }
  }
  return absl::OkStatus();
}

}  // namespace skiff::apiserver
