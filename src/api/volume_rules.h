// Update validation of core/v1 PersistentVolumeClaims that the field schema cannot express, as
// Kubernetes 1.32's ValidatePersistentVolumeClaimUpdate (RecoverVolumeExpansionFailure on, its
// default since 1.32):
//   * the spec is immutable, except that an unset volumeName may be set once (binding), an unset
//     storageClassName may be set (to the beta annotation's class when that is set), and a bound
//     claim may change resources.requests.storage and volumeAttributesClassName;
//   * the storage request may go down only while it stays above status.capacity (to take back a
//     failed expansion), with kube's "field can not be less than status.capacity";
//   * the beta storage-class annotation and volumeMode never change.
// Whether the claim's class allows expansion is admission's question (apiserver's
// StorageClassAdmission), not this one's: it needs the StorageClass.
// Quantities compare by value ("1Gi" equals "1024Mi"). A claim's phase is read from `pvc`, which
// on a spec update carries the stored status.
// Thread-safety: pure function. Never fails: returns the violations (empty when valid); malformed
// quantities are the schema validation's to report and count as absent here.
#ifndef SKIFF_API_VOLUME_RULES_H_
#define SKIFF_API_VOLUME_RULES_H_

#include <vector>

#include "api/validation.h"
#include "boost/json/value.hpp"

namespace skiff::api {

std::vector<FieldError> ValidatePersistentVolumeClaimUpdate(const boost::json::value& pvc,
                                                            const boost::json::value& old);

}  // namespace skiff::api

#endif  // SKIFF_API_VOLUME_RULES_H_
