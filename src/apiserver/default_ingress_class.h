// The IngressClass every skiff cluster has, written by the API server at start (as the
// local-path StorageClass is, default_storage_class.h): "skiff", controller skiff.dev/ingress
// (the ingress controller of skiff's node agent), annotated
// ingressclass.kubernetes.io/is-default-class=true so that Ingresses without a class get it
// (IngressClassAdmission). Created only when absent: a class the user changed or deleted the
// default mark from is left as it is (a deleted one comes back at the next start).
// Thread-safety: call once at start. Ownership: borrows the storage. Failure: the write's error
// (the server does not start without it); AlreadyExists from a concurrent server is success.
#ifndef SKIFF_APISERVER_DEFAULT_INGRESS_CLASS_H_
#define SKIFF_APISERVER_DEFAULT_INGRESS_CLASS_H_

#include "absl/status/status.h"
#include "apiserver/resource_storage.h"

namespace skiff::apiserver {

inline constexpr char kDefaultIngressClassName[] = "skiff";
inline constexpr char kDefaultIngressController[] = "skiff.dev/ingress";

absl::Status EnsureDefaultIngressClass(ResourceStorage* storage);

}  // namespace skiff::apiserver

#endif  // SKIFF_APISERVER_DEFAULT_INGRESS_CLASS_H_
