// Read-only helpers over Pods held as JSON: phase, node, status conditions and readiness (also the
// Ready condition of Nodes), availability after minReadySeconds, and the container lists.
// Semantics follow k8s.io/kubernetes/pkg/api/v1/pod (IsPodReady, IsPodAvailable) and
// k8s.io/kubectl's condition lookups: the first condition of a type counts.
// Thread-safety: pure functions. Ownership: pointers point into the argument and live as long as it
// does. Never fails: an absent or malformed field reads as absent (no Ready condition: not ready).
#ifndef SKIFF_API_POD_UTIL_H_
#define SKIFF_API_POD_UTIL_H_

#include <cstdint>
#include <string>
#include <string_view>

#include "absl/time/time.h"
#include "boost/json/value.hpp"

namespace skiff::api {

// status.phase ("" when unset).
std::string PodPhase(const boost::json::value& pod);
// Succeeded or Failed: the pod's containers will not run again.
bool IsTerminal(const boost::json::value& pod);
// spec.nodeName ("" while unscheduled).
std::string NodeName(const boost::json::value& pod);

// The entry of obj.status.conditions with this type (an object), or null. Works for any kind
// whose status carries conditions (Pods, Nodes, ...).
const boost::json::value* FindCondition(const boost::json::value& obj, std::string_view type);
// That condition exists and its status is "True".
bool IsConditionTrue(const boost::json::value& obj, std::string_view type);
// The same over a status object (its "conditions" list), for code that holds only the status.
const boost::json::value* FindStatusCondition(const boost::json::value& status, std::string_view type);
bool IsStatusConditionTrue(const boost::json::value& status, std::string_view type);

// The pod's Ready condition is True.
bool IsPodReady(const boost::json::value& pod);
// When the Ready condition last changed (its lastTransitionTime), InfinitePast when unknown;
// only meaningful while the pod is ready.
absl::Time PodReadySince(const boost::json::value& pod);
// Ready for longer than min_ready_seconds at `now`. Like Kubernetes, a ready pod without a
// transition time is not available yet unless min_ready_seconds is 0.
bool IsPodAvailable(const boost::json::value& pod, int64_t min_ready_seconds, absl::Time now);

// spec.containers / spec.initContainers when they are arrays, else null.
const boost::json::array* Containers(const boost::json::value& pod);
const boost::json::array* InitContainers(const boost::json::value& pod);

}  // namespace skiff::api

#endif  // SKIFF_API_POD_UTIL_H_
