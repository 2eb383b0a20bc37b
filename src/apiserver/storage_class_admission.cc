#include "apiserver/storage_class_admission.h"

#include "api/object_meta.h"
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

}  // namespace

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
