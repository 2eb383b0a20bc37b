// The status kube-apiserver's CRD controllers (naming, establishing, finalizer) give a
// CustomResourceDefinition: status.acceptedNames, the NamesAccepted condition (False with reason
// PluralConflict, SingularConflict, ShortNamesConflict, KindConflict or ListKindConflict and
// message `"<name>" is already in use` when another CRD of the group, or a built-in resource,
// holds a name), Established, and storedVersions. Terminating is kept as the caller set it.
// Thread-safety: pure functions. Ownership: values. Failure: none.
#ifndef SKIFF_APISERVER_CRD_CRD_STATUS_H_
#define SKIFF_APISERVER_CRD_CRD_STATUS_H_

#include <string>
#include <vector>

#include "boost/json/value.hpp"

namespace skiff::apiserver::crd {

// The status `crd` should have. `others` are the other CRDs (any group; only those of crd's group
// count); `now` (RFC 3339) stamps conditions whose status changes.
boost::json::value DesiredStatus(const boost::json::value& crd, const std::vector<const boost::json::value*>& others,
                                 const std::string& now);

// True when the status says the CRD's resources are served (Established=True).
bool IsEstablished(const boost::json::value& crd);

// Sets (or replaces) condition `type` in status.conditions of `crd`, keeping its
// lastTransitionTime when the status is unchanged.
void SetCondition(boost::json::value& crd, const std::string& type, const std::string& status,
                  const std::string& reason, const std::string& message, const std::string& now);

}  // namespace skiff::apiserver::crd

#endif  // SKIFF_APISERVER_CRD_CRD_STATUS_H_
