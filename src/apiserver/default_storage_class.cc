#include "apiserver/default_storage_class.h"

#include "api/errors.h"
#include "api/object_meta.h"
#include "base/json.h"

namespace skiff::apiserver {

namespace json = boost::json;

absl::Status EnsureDefaultStorageClass(ResourceStorage* storage) {
  const api::ResourceInfo& classes = *api::FindResource("storage.k8s.io", "v1", "storageclasses");
  WriteOptions options{.field_manager = "kube-apiserver"};
  if (storage->Get(classes, "", "local-path").ok()) {
    // Clusters made before expansion existed: skiff's own class gains the field, a user's is left be.
    auto updated = storage->Update(
        classes, "", "local-path",
        [](const ObjectPtr& current) -> absl::StatusOr<json::value> {
          json::value sc = current->Parse();
          if (base::GetString(sc, {"provisioner"}) == "skiff.io/local-path" &&
              base::FindPath(sc, {"allowVolumeExpansion"}) == nullptr) {
            sc.as_object()["allowVolumeExpansion"] = true;  // unchanged otherwise: a no-op write
          }
          return sc;
        },
        options, /*retry_on_conflict=*/true);
    // The class may have gone meanwhile (404): the next start creates it again.
    if (updated.ok() || api::HttpCode(updated.status()) == 404) return absl::OkStatus();
    return updated.status();
  }
  json::value sc = {
      {"apiVersion", "storage.k8s.io/v1"},
      {"kind", "StorageClass"},
      {"metadata",
       {{"name", "local-path"}, {"annotations", {{"storageclass.kubernetes.io/is-default-class", "true"}}}}},
      {"provisioner", "skiff.io/local-path"},
      {"reclaimPolicy", "Delete"},
      {"volumeBindingMode", "WaitForFirstConsumer"},
      {"allowVolumeExpansion", true}};
  auto created = storage->Create(classes, "", std::move(sc), options);
  if (created.ok() || api::HttpCode(created.status()) == 409) return absl::OkStatus();
  return created.status();
}

}  // namespace skiff::apiserver
