// The effective requests and limits of a whole pod, as the scheduler, quota and LimitRanger count
// them (k8s.io/component-helpers/resource PodRequests/PodLimits): the sum over containers, at least
// the largest init container (restartable "sidecar" init containers add to everything after them
// and to the pod), plus spec.overhead (for limits only where the pod has a limit).
// Thread-safety: pure functions. Failure: never; malformed fields count as absent.
#ifndef SKIFF_API_QUOTA_POD_RESOURCES_H_
#define SKIFF_API_QUOTA_POD_RESOURCES_H_

#include "api/quota/resource_list.h"
#include "boost/json/value.hpp"

namespace skiff::api::quota {

// `with_overhead` false leaves spec.overhead out (LimitRanger's per-Pod limits ignore it).
ResourceList PodRequests(const boost::json::value& pod, bool with_overhead = true);
ResourceList PodLimits(const boost::json::value& pod, bool with_overhead = true);

// A container's resources.requests / resources.limits.
ResourceList ContainerRequests(const boost::json::value& container);
ResourceList ContainerLimits(const boost::json::value& container);

}  // namespace skiff::api::quota

#endif  // SKIFF_API_QUOTA_POD_RESOURCES_H_
