// ResourceQuotaAdmission: the admission plug-in that holds writes to a namespace's ResourceQuotas
// (Kubernetes' ResourceQuota admission). For a create or update of an object that a quota in its
// namespace tracks (api/quota/usage.h: the quota's spec.hard names and scopes), it
//  - refuses a pod that leaves unset a cpu/memory request or limit the quota constrains
//    (`failed quota: q: must specify requests.cpu for: app`);
//  - refuses the write when what the object adds would take usage over spec.hard
//    (`exceeded quota: q, requested: pods=1, used: pods=2, limited: pods=2`).
// Usage is counted from the objects stored in the namespace (its Sources) plus the writes this
// plug-in admitted that the cache does not show yet: each admitted write holds a reservation
// (AdmissionRequest::Reserve) until the cache shows it, or gives it back when the write fails or
// is a dry run. Checks and reservations are serialized per namespace, so concurrent creates never
// take more than the quota allows. status.used is the resource-quota controller's to keep; this
// plug-in neither reads nor writes it. Events are never counted (as Kubernetes). ResourceQuotas
// themselves are held to Kubernetes' rules (api/quota/validation.h; 422 Invalid).
// What it keeps (reservations, the charges of the objects it counted) is kept per namespace while
// the namespace has quotas, and dropped at the first write that finds none.
// Thread-safety: safe for concurrent writes (one mutex per namespace, one for the namespace map).
// Ownership: borrows the Sources and Clock (which must outlive it); reservations refer back to
// the plug-in's per-namespace state, which they share.
// Failure: 403 Forbidden in Kubernetes' words; 422 Invalid for a malformed ResourceQuota.
#ifndef SKIFF_APISERVER_QUOTA_RESOURCE_QUOTA_ADMISSION_H_
#define SKIFF_APISERVER_QUOTA_RESOURCE_QUOTA_ADMISSION_H_

#include <atomic>
#include <map>
#include <memory>
#include <mutex>
#include <string>

#include "apiserver/admission.h"
#include "apiserver/quota/sources.h"
#include "base/clock.h"

namespace skiff::apiserver::quota {

class ResourceQuotaAdmission : public AdmissionPlugin {
 public:
  ResourceQuotaAdmission(const Sources* sources, base::Clock* clock);
  ~ResourceQuotaAdmission() override;

  absl::Status Validate(const AdmissionRequest& request, const boost::json::value* obj,
                        const boost::json::value* old) override;

  // Reservations held (admitted writes the cache does not show yet), for tests.
  size_t PendingCount(const std::string& ns) const;

 private:
  struct NamespaceState;
  class Held;
  std::shared_ptr<NamespaceState> StateFor(const std::string& ns) const;
  // Drops what is kept for a namespace without quotas (reservations held meanwhile keep theirs).
  void Forget(const std::string& ns);

  const Sources* sources_;
  base::Clock* clock_;
  mutable std::mutex mu_;
  mutable std::map<std::string, std::shared_ptr<NamespaceState>> namespaces_;  // guarded by mu_
  mutable std::atomic<size_t> tracked_namespaces_{0};                          // namespaces_.size()
};

}  // namespace skiff::apiserver::quota

#endif  // SKIFF_APISERVER_QUOTA_RESOURCE_QUOTA_ADMISSION_H_
