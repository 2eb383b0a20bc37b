// The rules of one LimitRange (Kubernetes' LimitRanger admission, plugin/pkg/admission/limitranger):
//  - defaults: a pod's containers and init containers get the `default` limits and the
//    `defaultRequest` requests of the range's Container items for resources they leave unset, and
//    the pod is annotated kubernetes.io/limit-ranger with what was set;
//  - checks: min, max and maxLimitRequestRatio of Container items per container, of Pod items
//    over the pod's summed requests/limits, and min/max of PersistentVolumeClaim items over the
//    claim's storage request.
// Violations are Kubernetes' messages ("maximum cpu usage per Container is 500m, but limit is 1").
// Thread-safety: pure functions. Failure: violations are returned as messages, never thrown;
// malformed fields count as absent.
#ifndef SKIFF_APISERVER_QUOTA_LIMITS_H_
#define SKIFF_APISERVER_QUOTA_LIMITS_H_

#include <string>
#include <vector>

#include "boost/json/value.hpp"

namespace skiff::apiserver::quota {

inline constexpr char kLimitRangerAnnotation[] = "kubernetes.io/limit-ranger";

// Applies the defaults of `limit_range` to `pod`; true when it set anything.
bool ApplyLimitRangeDefaults(const boost::json::value& limit_range, boost::json::value& pod);

// What `pod` (or `claim`) violates of `limit_range`, in Kubernetes' words, in check order.
std::vector<std::string> PodLimitViolations(const boost::json::value& limit_range,
                                            const boost::json::value& pod);
std::vector<std::string> ClaimLimitViolations(const boost::json::value& limit_range,
                                              const boost::json::value& claim);

// Kubernetes' aggregate error text: one message as is, several as "[a, b]" (duplicates dropped).
std::string AggregateMessage(const std::vector<std::string>& messages);

}  // namespace skiff::apiserver::quota

#endif  // SKIFF_APISERVER_QUOTA_LIMITS_H_
