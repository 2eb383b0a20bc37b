// Conversion between the served versions of a kind that Kubernetes serves in more than one
// version from one stored form (today: autoscaling/v1 <-> autoscaling/v2 HorizontalPodAutoscaler).
// Objects are stored in the storage version (the first version the catalogue lists) and converted
// on the way in and out for the other versions.
// Thread-safety: pure functions. Never fails for well-formed objects: fields without a
// counterpart in the target version are dropped, as Kubernetes' v1 HPA conversion drops them.
#ifndef SKIFF_API_CONVERSION_H_
#define SKIFF_API_CONVERSION_H_

#include <string_view>

#include "api/resources.h"
#include "boost/json/value.hpp"

namespace skiff::api {

// The version objects of this resource are stored in: the first version served for a built-in, the
// CRD's storage version for a custom resource. Compare the result by version, not by address (the
// catalogue may have been replaced since `resource` was looked up).
const ResourceInfo& StorageVersionOf(const ResourceInfo& resource);

// Converts `obj` (of resource `from`) to the version of `to` (same group and kind); identity when
// the versions are equal.
boost::json::value ConvertObject(const boost::json::value& obj, const ResourceInfo& from, const ResourceInfo& to);

}  // namespace skiff::api

#endif  // SKIFF_API_CONVERSION_H_
