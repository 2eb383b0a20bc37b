// Validation of a CRD version's selectableFields as kube-apiserver 1.32 does it
// (ValidateCustomResourceSelectableFields): each jsonPath is required, a simple path without array
// notation that names a field of the version's schema (through properties or additionalProperties),
// of type string, boolean or integer, not under metadata; no two name the same field; at most 8.
// Serving them (field selectors on list/watch) is apiserver/selection.h's part.
// Thread-safety: pure function. Ownership: values. Failure: none; errors are returned as field
// errors with kube's paths and messages.
#ifndef SKIFF_APISERVER_CRD_CRD_SELECTABLE_FIELDS_H_
#define SKIFF_APISERVER_CRD_CRD_SELECTABLE_FIELDS_H_

#include <string>
#include <vector>

#include "api/validation.h"
#include "boost/json/value.hpp"

namespace skiff::apiserver::crd {

// How many selectable fields a version may have.
inline constexpr size_t kMaxSelectableFields = 8;

// `version` is one entry of spec.versions, `path` its field path ("spec.versions[0]").
void ValidateSelectableFields(const boost::json::value& version, const std::string& path,
                              std::vector<api::FieldError>& errors);

}  // namespace skiff::apiserver::crd

#endif  // SKIFF_APISERVER_CRD_CRD_SELECTABLE_FIELDS_H_
