// ConversionReview (apiextensions.k8s.io/v1, or v1beta1 when a CRD lists only that in
// conversionReviewVersions): the body kube-apiserver POSTs to a CRD's conversion webhook and the
// checks it makes on the answer and on every converted object.
// Thread-safety: pure functions. Ownership: values.
// Failure: InvalidArgument with kube's wording (which the caller wraps in "conversion webhook for
// <gvk> failed: ..." or "... returned invalid ..."); see each function.
#ifndef SKIFF_APISERVER_CRD_CONVERSION_REVIEW_H_
#define SKIFF_APISERVER_CRD_CONVERSION_REVIEW_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "boost/json/value.hpp"

namespace skiff::apiserver::crd {

// The review version to send: the first of `accepted` this server speaks (v1, v1beta1); an
// error "no supported conversion review versions" when there is none.
absl::StatusOr<std::string> ReviewVersion(const std::vector<std::string>& accepted);

// The request body: a ConversionReview of `review_version` asking for `objects` in `desired_api_version`.
boost::json::value BuildConversionReview(const std::string& review_version, const std::string& uid,
                                         const std::string& desired_api_version,
                                         const std::vector<boost::json::value>& objects);

// The converted objects of a webhook's answer `body`: it must be JSON, and for v1 a
// ConversionReview of apiextensions.k8s.io/v1 with response.uid == `uid`; response.result.status
// must be Success (else its message is the error).
absl::StatusOr<std::vector<boost::json::value>> ConvertedObjects(const std::string& body, const std::string& review_version,
                                                                 const std::string& uid);

// Checks that a converted object is the `original` in `desired_api_version`: same kind, name,
// namespace and uid. The error message is what kube puts after "returned invalid converted
// object at index N: " ("invalid groupVersion (expected g/v2, received g/v1)", "must have the
// same name: a != b", ...).
absl::Status CheckConvertedIdentity(const boost::json::value& original, const boost::json::value& converted,
                                    const std::string& desired_api_version);

// `converted` with the original's metadata, except labels and annotations, which the webhook may
// change if they stay valid string maps. The error message is what kube puts after "returned
// invalid metadata in object at index N: ".
absl::StatusOr<boost::json::value> RestoreMetadata(const boost::json::value& original, boost::json::value converted);

}  // namespace skiff::apiserver::crd

#endif  // SKIFF_APISERVER_CRD_CONVERSION_REVIEW_H_
