// Downward API values: pod fields (env fieldRef, downwardAPI volume items) and container resource
// fields (resourceFieldRef with divisor), with the kubelet's formatting and rules.
// Thread-safety: pure functions. Failure: InvalidArgument for unsupported field paths, API
// versions or resources, with the kubelet's messages ("unsupported fieldPath: x").
#ifndef SKIFF_AGENT_PODSPEC_DOWNWARD_H_
#define SKIFF_AGENT_PODSPEC_DOWNWARD_H_

#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "agent/podspec/pod_context.h"
#include "boost/json/value.hpp"

namespace skiff::agent::podspec {

// The value of an ObjectFieldSelector (`{"apiVersion":"v1","fieldPath":"metadata.name"}`):
// metadata.name/namespace/uid, metadata.labels, metadata.annotations (whole maps as sorted
// `key="value"` lines), metadata.labels['k'], metadata.annotations['k'], spec.nodeName,
// spec.serviceAccountName, status.hostIP(s) and status.podIP(s) (from `ctx`, comma-joined).
absl::StatusOr<std::string> PodFieldValue(const boost::json::value& pod,
                                          const boost::json::value& field_selector, const PodContext& ctx);

// The value of a ResourceFieldSelector (`{"resource":"limits.memory","divisor":"1Mi"}`) for
// `container`, rounded up to a whole number of divisors. Limits the container leaves unset are
// taken from the node's allocatable (as the kubelet does for the downward API).
absl::StatusOr<std::string> ContainerResourceValue(const boost::json::value& resource_selector,
                                                   const boost::json::value& container,
                                                   const NodeResources& node);

// Go's FormatMap: `k="v"` (Go-quoted) lines sorted by key, no trailing newline.
std::string FormatStringMap(const boost::json::value* map);

}  // namespace skiff::agent::podspec

#endif  // SKIFF_AGENT_PODSPEC_DOWNWARD_H_
