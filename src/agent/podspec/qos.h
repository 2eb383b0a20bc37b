// QoS class of a pod (Guaranteed, Burstable, BestEffort) computed the way the kubelet's
// ComputePodQOS does, and the pod's cgroup parent for the cgroupfs driver
// (/kubepods/pod<uid>, /kubepods/burstable/pod<uid>, /kubepods/besteffort/pod<uid>).
// Shared with the pods helper (status.qosClass). Thread-safety: pure functions. Never fails:
// unparsable quantities count as absent.
#ifndef SKIFF_AGENT_PODSPEC_QOS_H_
#define SKIFF_AGENT_PODSPEC_QOS_H_

#include <string>
#include <string_view>

#include "boost/json/value.hpp"

namespace skiff::agent::podspec {

enum class QosClass { kGuaranteed, kBurstable, kBestEffort };

// "Guaranteed", "Burstable", "BestEffort".
std::string_view QosClassName(QosClass qos);

// From the containers' and init containers' cpu/memory requests and limits: Guaranteed when every
// container has cpu and memory limits and the summed requests equal the summed limits; BestEffort
// when nothing is requested or limited; Burstable otherwise.
QosClass ComputeQosClass(const boost::json::value& pod);
// status.qosClass when set (it is immutable once set), else ComputeQosClass.
QosClass PodQosClass(const boost::json::value& pod);

inline constexpr std::string_view kDefaultCgroupRoot = "/kubepods";

// The pod-level cgroup (cgroupfs path, absolute) under `cgroup_root`, e.g.
// "/kubepods/burstable/pod1234-...". containerd (cgroupfs driver) puts every container of the
// sandbox at <parent>/<container id>; runc creates missing levels.
std::string PodCgroupParent(const boost::json::value& pod, std::string_view cgroup_root = kDefaultCgroupRoot);

}  // namespace skiff::agent::podspec

#endif  // SKIFF_AGENT_PODSPEC_QOS_H_
