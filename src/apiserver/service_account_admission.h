// ServiceAccountAdmission: Kubernetes' ServiceAccount admission plug-in. On pod creation it sets
// spec.serviceAccountName to "default" when empty, requires that ServiceAccount to exist (read
// from the watch cache, waiting up to ~2 s for "default", which the controller manager creates
// with each namespace; then 403), copies the ServiceAccount's imagePullSecrets to a pod without
// any, and — unless the pod's automountServiceAccountToken, or failing that the ServiceAccount's,
// is false — adds the `kube-api-access-<random>` projected volume (token with expirationSeconds
// 3607, the kube-root-ca.crt ConfigMap's ca.crt, and the namespace) mounted read-only at
// /var/run/secrets/kubernetes.io/serviceaccount in every container and init container that has
// nothing mounted there. Mirror pods (kubernetes.io/config.mirror), updates and other kinds are
// left alone.
// Thread-safety: stateless besides the borrowed, thread-safe storage; Mutate may run concurrently.
// Ownership: borrows the ResourceStorage, which must outlive it.
// Failure: 403 Forbidden when the ServiceAccount does not exist.
#ifndef SKIFF_APISERVER_SERVICE_ACCOUNT_ADMISSION_H_
#define SKIFF_APISERVER_SERVICE_ACCOUNT_ADMISSION_H_

#include "absl/time/time.h"
#include "apiserver/admission.h"
#include "apiserver/resource_storage.h"

namespace skiff::apiserver {

inline constexpr char kServiceAccountMountPath[] = "/var/run/secrets/kubernetes.io/serviceaccount";
inline constexpr char kServiceAccountVolumePrefix[] = "kube-api-access-";
inline constexpr char kRootCaConfigMap[] = "kube-root-ca.crt";

class ServiceAccountAdmission : public AdmissionPlugin {
 public:
  explicit ServiceAccountAdmission(ResourceStorage* storage, absl::Duration default_account_wait = absl::Seconds(2))
      : storage_(storage), default_account_wait_(default_account_wait) {}

  absl::Status Mutate(const AdmissionRequest& request, boost::json::value& obj, const boost::json::value* old,
                      bool* changed) override;

 private:
  ResourceStorage* storage_;
  absl::Duration default_account_wait_;
};

}  // namespace skiff::apiserver

#endif  // SKIFF_APISERVER_SERVICE_ACCOUNT_ADMISSION_H_
