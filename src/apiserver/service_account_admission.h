// ServiceAccountAdmission: Kubernetes' ServiceAccount admission plugin in front of another
// Admission (schema defaulting and validation). On pod creation it sets spec.serviceAccountName
// to "default" when empty, requires that ServiceAccount to exist (read from the watch cache,
// waiting up to ~2 s for "default", which the controller manager creates with each namespace; then
// 403), copies the ServiceAccount's imagePullSecrets to a pod without any, and — unless the pod's
// automountServiceAccountToken, or failing that the ServiceAccount's, is false — adds the
// `kube-api-access-<random>` projected volume (token with expirationSeconds 3607, the
// kube-root-ca.crt ConfigMap's ca.crt, and the namespace) mounted read-only at
// /var/run/secrets/kubernetes.io/serviceaccount in every container and init container that has
// nothing mounted there. Mirror pods (kubernetes.io/config.mirror) are left alone. Updates and
// other kinds pass straight to the next admission.
// Thread-safety: stateless besides borrowed thread-safe parts; Admit may run concurrently.
// Ownership: borrows the next admission and the ResourceStorage, which must outlive it.
// Failure: 403 Forbidden when the ServiceAccount does not exist; the next admission's errors.
#ifndef SKIFF_APISERVER_SERVICE_ACCOUNT_ADMISSION_H_
#define SKIFF_APISERVER_SERVICE_ACCOUNT_ADMISSION_H_

#include "absl/time/time.h"
#include "apiserver/resource_storage.h"

namespace skiff::apiserver {

inline constexpr char kServiceAccountMountPath[] = "/var/run/secrets/kubernetes.io/serviceaccount";
inline constexpr char kServiceAccountVolumePrefix[] = "kube-api-access-";
inline constexpr char kRootCaConfigMap[] = "kube-root-ca.crt";

class ServiceAccountAdmission : public Admission {
 public:
  // `storage` is read for ServiceAccounts (from its watch cache) and set after construction,
  // since the storage itself is built with this admission.
  explicit ServiceAccountAdmission(Admission* next, absl::Duration default_account_wait = absl::Seconds(2))
      : next_(next), default_account_wait_(default_account_wait) {}
  void SetStorage(ResourceStorage* storage) { storage_ = storage; }

  absl::Status Admit(const api::ResourceInfo& resource, boost::json::value& obj,
                     const boost::json::value* old) override;

 private:
  absl::Status AdmitPod(boost::json::value& pod);

  Admission* next_;
  absl::Duration default_account_wait_;
  ResourceStorage* storage_ = nullptr;
};

}  // namespace skiff::apiserver

#endif  // SKIFF_APISERVER_SERVICE_ACCOUNT_ADMISSION_H_
