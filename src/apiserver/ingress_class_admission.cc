#include "apiserver/ingress_class_admission.h"

#include "api/object_meta.h"
#include "apiserver/key_layout.h"
#include "base/json.h"

namespace skiff::apiserver {

namespace json = boost::json;

std::string IngressClassAdmission::DefaultClassName() const {
  static const std::string prefix = ResourcePrefix("networking.k8s.io", "ingressclasses");
  bool more = false;
  auto list = cache_->List(prefix, prefix, nullptr, "", 0, &more);
  std::string best_name, best_created;
  for (const auto& object : list.objects) {
    json::value ic = object->Parse();
    if (api::Annotation(ic, "ingressclass.kubernetes.io/is-default-class") != "true") continue;
    // RFC 3339 timestamps of one resolution order as text.
    std::string created = base::GetString(ic, {"metadata", "creationTimestamp"});
    std::string name = api::Name(ic);
    if (best_name.empty() || created > best_created || (created == best_created && name < best_name)) {
      best_name = name;
      best_created = created;
    }
  }
  return best_name;
}

absl::Status IngressClassAdmission::Mutate(const AdmissionRequest& request, json::value& obj,
                                           const json::value* old, bool* changed) {
  if (request.operation != AdmissionOperation::kCreate || old != nullptr || !request.subresource.empty() ||
      request.resource->group != "networking.k8s.io" || request.resource->kind != "Ingress" ||
      !obj.is_object()) {
    return absl::OkStatus();
  }
  const json::value* cls = base::FindPath(obj, {"spec", "ingressClassName"});
  if (cls != nullptr && !cls->is_null()) return absl::OkStatus();
  const json::value* annotations = api::Annotations(obj);
  if (annotations != nullptr && base::Find(*annotations, "kubernetes.io/ingress.class") != nullptr) {
    return absl::OkStatus();  // the legacy annotation names a class already
  }
  std::string name = DefaultClassName();
  if (name.empty()) return absl::OkStatus();
  base::EnsureObject(obj, {"spec"})["ingressClassName"] = name;
  *changed = true;
  return absl::OkStatus();
}

}  // namespace skiff::apiserver
