#include "apiserver/default_storage_class.h"

#include "api/errors.h"

namespace skiff::apiserver {

absl::Status EnsureDefaultStorageClass(ResourceStorage* storage) {
  const api::ResourceInfo& classes = *api::FindResource("storage.k8s.io", "v1", "storageclasses");
  if (storage->Get(classes, "", "local-path").ok()) return absl::OkStatus();
  boost::json::value sc = {
      {"apiVersion", "storage.k8s.io/v1"},
      {"kind", "StorageClass"},
      {"metadata",
       {{"name", "local-path"}, {"annotations", {{"storageclass.kubernetes.io/is-default-class", "true"}}}}},
      {"provisioner", "skiff.io/local-path"},
      {"reclaimPolicy", "Delete"},
      {"volumeBindingMode", "WaitForFirstConsumer"}};
  auto created = storage->Create(classes, "", std::move(sc), WriteOptions{.field_manager = "kube-apiserver"});
  if (created.ok() || api::HttpCode(created.status()) == 409) return absl::OkStatus();
  return created.status();
}

}  // namespace skiff::apiserver
