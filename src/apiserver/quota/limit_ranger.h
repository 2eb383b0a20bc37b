// LimitRanger: the admission plug-in that enforces a namespace's LimitRanges (limits.h) — on pod
// create it fills container defaults (Mutate) and then checks min/max/ratio (Validate); on
// PersistentVolumeClaim create and update it checks the storage request. Pod updates are not
// checked (containers' resources are immutable), nor are objects already being deleted. It also
// holds LimitRanges themselves to Kubernetes' rules (api/quota/validation.h; 422 Invalid).
// Thread-safety: safe for concurrent writes (reads its Sources only).
// Ownership: borrows the Sources, which must outlive it.
// Failure: 403 Forbidden with Kubernetes' messages, e.g.
// `pods "x" is forbidden: maximum cpu usage per Container is 500m, but limit is 1`.
#ifndef SKIFF_APISERVER_QUOTA_LIMIT_RANGER_H_
#define SKIFF_APISERVER_QUOTA_LIMIT_RANGER_H_

#include <vector>

#include "apiserver/admission.h"
#include "apiserver/quota/sources.h"

namespace skiff::apiserver::quota {

class LimitRanger : public AdmissionPlugin {
 public:
  explicit LimitRanger(const Sources* sources) : sources_(sources) {}

  absl::Status Mutate(const AdmissionRequest& request, boost::json::value& obj, const boost::json::value* old,
                      bool* changed) override;
  absl::Status Validate(const AdmissionRequest& request, const boost::json::value* obj,
                        const boost::json::value* old) override;

 private:
  std::vector<boost::json::value> LimitRanges(absl::string_view ns) const;

  const Sources* sources_;
};

}  // namespace skiff::apiserver::quota

#endif  // SKIFF_APISERVER_QUOTA_LIMIT_RANGER_H_
