// The admission plug-ins of persistent storage, as kube-apiserver's:
//   * DefaultStorageClass: a PersistentVolumeClaim created without spec.storageClassName (absent
//     or null; "" means "no class" and stays) gets the default StorageClass, the newest one
//     annotated storageclass.kubernetes.io/is-default-class=true (or the beta annotation);
//     without a default class the claim is left alone;
//   * StorageObjectInUseProtection: every created PersistentVolumeClaim gets the finalizer
//     kubernetes.io/pvc-protection and every PersistentVolume kubernetes.io/pv-protection, which
//     the pvc-protection and pv-protection controllers remove once nothing uses the object;
//   * PersistentVolumeClaimResize: an update that raises spec.resources.requests.storage is
//     refused (403) unless the claim is Bound and its class (unchanged) has
//     allowVolumeExpansion: true, with kube's messages.
// Thread-safety: reads the watch cache, which is safe concurrently; no state of its own.
// Ownership: borrows the WatchCache (must outlive the plug-in). Failure: only the resize check
// refuses writes, with 403 Forbidden.
#ifndef SKIFF_APISERVER_STORAGE_CLASS_ADMISSION_H_
#define SKIFF_APISERVER_STORAGE_CLASS_ADMISSION_H_

#include <string>

#include "apiserver/admission.h"
#include "apiserver/watch_cache.h"

namespace skiff::apiserver {

class StorageClassAdmission : public AdmissionPlugin {
 public:
  explicit StorageClassAdmission(const WatchCache* cache) : cache_(cache) {}
  absl::Status Mutate(const AdmissionRequest& request, boost::json::value& obj, const boost::json::value* old,
                      bool* changed) override;
  absl::Status Validate(const AdmissionRequest& request, const boost::json::value* obj,
                        const boost::json::value* old) override;

  // The name of the default StorageClass in the cache, "" when none is marked default.
  std::string DefaultClassName() const;

 private:
  // Whether the StorageClass in the cache sets allowVolumeExpansion: true (false when absent).
  bool AllowsExpansion(const std::string& class_name) const;

  const WatchCache* cache_;
};

}  // namespace skiff::apiserver

#endif  // SKIFF_APISERVER_STORAGE_CLASS_ADMISSION_H_
