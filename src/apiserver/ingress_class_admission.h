// DefaultIngressClass, the admission plug-in of kube-apiserver: an Ingress created without
// spec.ingressClassName (absent or null) and without the legacy kubernetes.io/ingress.class
// annotation gets the default IngressClass, the one annotated
// ingressclass.kubernetes.io/is-default-class=true; when several are, the newest (by
// creationTimestamp, then the smallest name). Without a default class the Ingress is left alone.
// Only creates of the main resource are touched (updates and /status never are).
// Thread-safety: reads the watch cache, which is safe concurrently; no state of its own.
// Ownership: borrows the WatchCache (must outlive the plug-in). Failure: never refuses a write.
#ifndef SKIFF_APISERVER_INGRESS_CLASS_ADMISSION_H_
#define SKIFF_APISERVER_INGRESS_CLASS_ADMISSION_H_

#include <string>

#include "apiserver/admission.h"
#include "apiserver/watch_cache.h"

namespace skiff::apiserver {

class IngressClassAdmission : public AdmissionPlugin {
 public:
  explicit IngressClassAdmission(const WatchCache* cache) : cache_(cache) {}
  absl::Status Mutate(const AdmissionRequest& request, boost::json::value& obj, const boost::json::value* old,
                      bool* changed) override;

  // The name of the default IngressClass in the cache, "" when none is marked default.
  std::string DefaultClassName() const;

 private:
  const WatchCache* cache_;
};

}  // namespace skiff::apiserver

#endif  // SKIFF_APISERVER_INGRESS_CLASS_ADMISSION_H_
