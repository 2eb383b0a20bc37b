// The 403 Forbidden answer of a refusing admission plug-in, in Kubernetes' words:
// `<resource> "<name>" is forbidden: <why>` (admission.NewForbidden).
// Thread-safety: pure function. Never fails.
#ifndef SKIFF_APISERVER_QUOTA_FORBIDDEN_H_
#define SKIFF_APISERVER_QUOTA_FORBIDDEN_H_

#include <string>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "api/errors.h"
#include "apiserver/admission.h"

namespace skiff::apiserver::quota {

inline absl::Status Forbidden(const AdmissionRequest& request, const std::string& why) {
  const api::ResourceInfo& r = *request.resource;
  std::string name(request.name);
  return api::ToStatus({403, "Forbidden",
                        absl::StrCat(r.QualifiedPlural(), " \"", name, "\" is forbidden: ", why), name,
                        r.group, r.plural});
}

}  // namespace skiff::apiserver::quota

#endif  // SKIFF_APISERVER_QUOTA_FORBIDDEN_H_
