// The rules of ResourceQuota and LimitRange objects that their schemas cannot state (Kubernetes'
// ValidateResourceQuota and ValidateLimitRange): non-negative quantities, whole numbers for
// object counts, known and non-conflicting quota scopes; per LimitRange item min <= defaultRequest
// <= default <= max, a maxLimitRequestRatio of at least 1 and within max/min, and no defaults on
// Pod items. Messages are Kubernetes' ("min value 2 is greater than max value 1").
// Thread-safety: pure functions. Failure: violations are returned, never thrown; an empty list
// means valid.
#ifndef SKIFF_API_QUOTA_VALIDATION_H_
#define SKIFF_API_QUOTA_VALIDATION_H_

#include <vector>

#include "api/validation.h"
#include "boost/json/value.hpp"

namespace skiff::api::quota {

std::vector<FieldError> ValidateResourceQuota(const boost::json::value& quota);
std::vector<FieldError> ValidateLimitRange(const boost::json::value& limit_range);

}  // namespace skiff::api::quota

#endif  // SKIFF_API_QUOTA_VALIDATION_H_
