// Kubernetes strategic merge patch (the `application/strategic-merge-patch+json` PATCH body),
// with the semantics of k8s.io/apimachinery/pkg/util/strategicpatch applied server-side:
//  * maps merge recursively and a null value deletes the key;
//  * lists whose schema says patch strategy "merge" are merged: lists of objects element-wise by
//    the merge key (unknown elements are added), lists of primitives as a union; other lists are
//    replaced;
//  * directives: `$patch: replace|delete|merge` on maps and list elements,
//    `$setElementOrder/<list>`, `$retainKeys`, `$deleteFromPrimitiveList/<list>`;
//  * list order follows Kubernetes' normalizeElementOrder: elements named by the patch (or by
//    `$setElementOrder`) keep the patch's relative order, server-only elements keep theirs, and
//    the two are interleaved by their positions in the live list (new elements come first).
// Directive keys never reach the result. Other `$`-prefixed keys are ordinary data (CRD schemas
// hold `$ref` and `$schema`), as they are for Kubernetes.
//
// Thread-safety: pure function. Ownership: inputs are borrowed; `meta` only during the call.
// Failure: a patch that is not an object, a malformed directive, a merge-list element without its
// merge key, or mixed element types is InvalidArgument (the API answers 422 / 400).
#ifndef SKIFF_API_STRATEGIC_MERGE_PATCH_H_
#define SKIFF_API_STRATEGIC_MERGE_PATCH_H_

#include "absl/status/statusor.h"
#include "api/patch_meta.h"
#include "boost/json/value.hpp"

namespace skiff::api {

absl::StatusOr<boost::json::value> ApplyStrategicMergePatch(const boost::json::value& original,
                                                            const boost::json::value& patch,
                                                            const PatchMeta& meta);

}  // namespace skiff::api

#endif  // SKIFF_API_STRATEGIC_MERGE_PATCH_H_
