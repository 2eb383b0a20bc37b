// Server-side apply (the `application/apply-patch+yaml` PATCH) and field ownership tracking in
// `metadata.managedFields`, modelled on Kubernetes (sigs.k8s.io/structured-merge-diff):
//  * every managedFields entry is {manager, operation "Apply"|"Update", apiVersion, time,
//    fieldsType "FieldsV1", fieldsV1[, subresource]}; fieldsV1 encodes a set of field paths:
//    `f:<field>` for object fields, `k:<json of the key fields>` for elements of keyed lists,
//    `v:<json value>` for elements of set lists, `.` for "the node itself" when it has children;
//  * apply merges the applied configuration into the live object (objects recursively, keyed
//    lists by key, set lists as unions, atomic lists and maps replaced), makes the applier own
//    exactly the fields it applied, removes fields it applied last time but no longer applies
//    unless another manager owns them, and refuses (unless forced) to change a field another
//    manager owns;
//  * ordinary writes (create, update, patch) give their manager ownership of what they changed
//    and take it away from everyone else.
// Lists are keyed, set-like or atomic as the PatchMeta says (x-kubernetes-list-type/-map-keys,
// falling back to the patch strategy and merge key); unknown lists are atomic.
// Ownership is never tracked for apiVersion, kind and metadata name, namespace, uid,
// resourceVersion, generation, creationTimestamp, selfLink and managedFields.
//
// Thread-safety: pure functions. Ownership: inputs are borrowed; `meta` only during the call.
// Failure: a conflict is Aborted with Kubernetes' message (`Apply failed with 1 conflict:
// conflict with "kubectl-client-side-apply" using apps/v1: .spec.replicas`) and the conflicts
// attached as a payload (read them with ApplyConflictsFromStatus, for `details.causes`); an
// applied configuration that is not an object or carries managedFields is InvalidArgument.
// Unreadable managedFields entries in stored objects are dropped, never an error.
#ifndef SKIFF_API_APPLY_H_
#define SKIFF_API_APPLY_H_

#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "api/patch_meta.h"
#include "boost/json/value.hpp"

namespace skiff::api {

// One field another manager owns that an apply would have changed; the API reports each as a
// StatusCause with reason "FieldManagerConflict".
struct ApplyConflict {
  std::string message;  // conflict with "kubectl-client-side-apply" using apps/v1
  std::string field;    // .spec.replicas
};

// Applies `applied` (the full intended object of `manager`) over `live` (nullptr: the object
// does not exist yet and is created from `applied`). With `force`, conflicting fields change
// owner instead of failing. Returns the new object with updated metadata.managedFields.
absl::StatusOr<boost::json::value> ServerSideApply(const boost::json::value* live,
                                                   const boost::json::value& applied,
                                                   const std::string& manager, bool force,
                                                   const PatchMeta& meta, std::string_view api_version,
                                                   std::string_view now_rfc3339);

// Records an ordinary write in new_obj's metadata.managedFields: the fields that differ between
// `old_obj` (nullptr for a create) and `new_obj` become owned by (`manager`, `operation`,
// `api_version`, `subresource`) and stop being owned by other entries; removed fields stop being
// owned by anyone. managedFields supplied in `new_obj` replace the stored ones when non-empty
// (a single empty entry `[{}]` clears them), as in Kubernetes. No-op if new_obj is not an object.
void UpdateManagedFields(const boost::json::value* old_obj, boost::json::value& new_obj,
                         const std::string& manager, std::string_view operation, std::string_view api_version,
                         std::string_view now_rfc3339, const PatchMeta& meta,
                         std::string_view subresource = "");

// The conflicts carried by a ServerSideApply error (empty for any other status).
std::vector<ApplyConflict> ApplyConflictsFromStatus(const absl::Status& status);

}  // namespace skiff::api

#endif  // SKIFF_API_APPLY_H_
