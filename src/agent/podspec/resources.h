// Resource arithmetic of the kubelet: requests/limits -> CRI Linux resources (cpu shares, CFS
// quota/period, memory limit), the OOM score adjustment by QoS class, pod-level sums (with
// init containers and sidecars as resourcehelper.PodRequests does) and pod overhead.
// Thread-safety: pure functions. Never fails: unparsable quantities count as absent (the API
// server validated them).
#ifndef SKIFF_AGENT_PODSPEC_RESOURCES_H_
#define SKIFF_AGENT_PODSPEC_RESOURCES_H_

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>

#include "api/quantity.h"
#include "boost/json/value.hpp"

namespace skiff::agent::podspec {

inline constexpr int64_t kMinCpuShares = 2;
inline constexpr int64_t kMaxCpuShares = 262144;
inline constexpr int64_t kCpuQuotaPeriodUs = 100000;
inline constexpr int64_t kMinCpuQuotaUs = 1000;
inline constexpr int64_t kGuaranteedOomScoreAdj = -997;
inline constexpr int64_t kBestEffortOomScoreAdj = 1000;

// The subset of CRI LinuxContainerResources podspec computes (0 = unset).
struct LinuxResources {
  int64_t cpu_shares = 0;
  int64_t cpu_quota = 0;
  int64_t cpu_period = 0;
  int64_t memory_limit_in_bytes = 0;
  int64_t oom_score_adj = 0;
};

// milliCPU*1024/1000 clamped to [2, 262144]; 0 -> 2.
int64_t MilliCpuToShares(int64_t milli_cpu);
// milliCPU*period/1000, at least 1000us; 0 (no limit) -> 0.
int64_t MilliCpuToQuota(int64_t milli_cpu, int64_t period_us);

// The kubelet's calculateLinuxResources: shares from the cpu request (the limit when no request),
// quota from the cpu limit with the 100ms period always set, memory limit when non-zero.
LinuxResources CalculateLinuxResources(const std::optional<api::Quantity>& cpu_request,
                                       const std::optional<api::Quantity>& cpu_limit,
                                       const std::optional<api::Quantity>& memory_limit);

// container.resources.<kind>.<name> ("requests"/"limits", "cpu"/"memory"/...), if present and valid.
std::optional<api::Quantity> ContainerResource(const boost::json::value& container, std::string_view kind,
                                               std::string_view name);

// Init container whose restartPolicy is Always (a sidecar).
bool IsSidecar(const boost::json::value& container);
// True when `container` is one of the pod's init containers with restartPolicy Always.
bool IsSidecarOf(const boost::json::value& pod, const boost::json::value& container);

// OOM score adjustment: -997 for Guaranteed (and node-critical) pods, 1000 for BestEffort,
// Burstable 1000 - 1000*memoryRequest/memoryCapacity kept within [3, 999] (sidecars never above
// the smallest regular container's score).
int64_t OomScoreAdj(const boost::json::value& pod, const boost::json::value& container,
                    int64_t memory_capacity_bytes);

// A container's Linux resources, including its OOM score adjustment.
LinuxResources ContainerLinuxResources(const boost::json::value& pod, const boost::json::value& container,
                                       int64_t memory_capacity_bytes);

using ResourceMap = std::map<std::string, api::Quantity>;

// The pod's effective requests/limits (kubelet resourcehelper.PodRequests/PodLimits): sum of app
// containers and sidecars, at least the largest init container (plus sidecars started before it),
// plus spec.overhead when `include_overhead`.
ResourceMap PodRequests(const boost::json::value& pod, bool include_overhead);
ResourceMap PodLimits(const boost::json::value& pod, bool include_overhead);

// Sandbox-level resources (pod requests/limits without overhead), as the kubelet passes in
// LinuxPodSandboxConfig.resources. Memory limit and CPU quota only when every app container and
// sidecar sets the limit (otherwise the pod as a whole is unbounded).
LinuxResources PodLinuxResources(const boost::json::value& pod);
// spec.overhead as Linux resources (request = limit = overhead), or nullopt without overhead.
std::optional<LinuxResources> PodOverheadLinuxResources(const boost::json::value& pod);

}  // namespace skiff::agent::podspec

#endif  // SKIFF_AGENT_PODSPEC_RESOURCES_H_
