// Defaulting and validation of CustomResourceDefinitions as kube-apiserver's apiextensions
// strategy does them: singular and listKind defaults, conversion strategy None, the storage
// version recorded in status.storedVersions (which must keep it, and name only versions still in
// spec.versions); the name must be
// <plural>.<group>, the group a DNS subdomain with a dot, names DNS-1035 labels, scope Namespaced
// or Cluster (immutable), at least one served version and exactly one storage version, unique
// version names, a schema per version, valid scale subresource paths and printer columns, and a
// Webhook conversion with its client config. Schema contents are checked by the structural
// schema library (api/structural) where available.
// Thread-safety: pure functions. Ownership: values. Failure: errors are returned as field errors
// (the caller answers 422 Invalid).
#ifndef SKIFF_APISERVER_CRD_CRD_VALIDATION_H_
#define SKIFF_APISERVER_CRD_CRD_VALIDATION_H_

#include <vector>

#include "api/validation.h"
#include "boost/json/value.hpp"

namespace skiff::apiserver::crd {

// Fills kube's defaults into a CRD about to be stored.
void DefaultCrd(boost::json::value& crd);

// Adds the storage version to status.storedVersions on create, and on an update that leaves
// storedVersions as `old` had them (a status write that edits the list is taken as written).
void DefaultStoredVersions(boost::json::value& crd, const boost::json::value* old);

// The field errors of `crd` (after DefaultCrd and DefaultStoredVersions); `old` is the stored CRD on update, else null.
std::vector<api::FieldError> ValidateCrd(const boost::json::value& crd, const boost::json::value* old);

}  // namespace skiff::apiserver::crd

#endif  // SKIFF_APISERVER_CRD_CRD_VALIDATION_H_
