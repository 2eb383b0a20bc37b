// The admission plug-ins of persistent storage, as kube-apiserver's:
//   * DefaultStorageClass: a PersistentVolumeClaim created without spec.storageClassName (absent
//     or null; "" means "no class" and stays) gets the default StorageClass, the newest one
//     annotated storageclass.kubernetes.io/is-default-class=true (or the beta annotation);
//     without a default class the claim is left alone;
//   * StorageObjectInUseProtection: every created PersistentVolumeClaim gets the finalizer
//     kubernetes.io/pvc-protection and every PersistentVolume kubernetes.io/pv-protection, which
//     the pvc-protection and pv-protection controllers remove once nothing uses the object.
// Thread-safety: reads the watch cache, which is safe concurrently; no state of its own.
// Ownership: borrows the WatchCache (must outlive the plug-in). Failure: never refuses a write.
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

  // The name of the default StorageClass in the cache, "" when none is marked default.
  std::string DefaultClassName() const;

 private:
  const WatchCache* cache_;
};

}  // namespace skiff::apiserver

#endif  // SKIFF_APISERVER_STORAGE_CLASS_ADMISSION_H_
