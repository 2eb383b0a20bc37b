// BuildPodStatus: the status a kubelet reports for a pod, computed from its spec (PodView), what
// the runtime holds (PodRuntimeState) and the worker's memory of why containers could not start:
// phase (kubelet getPhase), the kubelet-owned conditions PodReadyToStartContainers, Initialized,
// ContainersReady and Ready (other conditions such as PodScheduled are carried over), container
// and init container statuses (state, lastState, ready, started, restartCount, image, imageID,
// containerID), podIP(s), hostIP(s), startTime and qosClass. lastTransitionTime is kept from the
// previous status while a condition's status is unchanged, so an unchanged pod yields an
// identical status (the writer's dedupe relies on it).
// Thread-safety: pure function. Ownership: values. Never fails.
#ifndef SKIFF_AGENT_PODS_POD_STATUS_H_
#define SKIFF_AGENT_PODS_POD_STATUS_H_

#include <map>
#include <string>

#include "absl/time/time.h"
#include "agent/pods/pod_view.h"
#include "agent/pods/runtime_state.h"
#include "boost/json/value.hpp"

namespace skiff::agent::pods {

// Why a container is waiting (CrashLoopBackOff, ErrImagePull, ImagePullBackOff,
// CreateContainerError, CreateContainerConfigError, RunContainerError...).
struct WaitingReason {
  std::string reason;
  std::string message;
  bool operator==(const WaitingReason&) const = default;
};

// Probe results fed in by the probes helper; absent entries mean "no result yet".
struct ContainerHealth {
  std::map<std::string, bool> ready;    // readiness by container name
  std::map<std::string, bool> started;  // startup probe success by container name
};

struct StatusInputs {
  const PodView* pod = nullptr;
  const boost::json::value* old_status = nullptr;  // pod.status last known (may be null)
  const PodRuntimeState* state = nullptr;
  std::map<std::string, WaitingReason> waiting;  // by container name
  ContainerHealth health;
  std::string host_ip;
  std::string qos_class;
  absl::Time now;
  // The pod will not run again (deleted and stopped): phase becomes Succeeded/Failed by exit codes.
  bool terminal = false;
};

// The kubelet-owned status fields as a JSON object (phase, conditions, hostIP, hostIPs, podIP,
// podIPs, startTime, qosClass, initContainerStatuses, containerStatuses).
boost::json::object BuildPodStatus(const StatusInputs& in);

// kubelet's getPhase over built container statuses.
std::string ComputePhase(const PodView& pod, const boost::json::array& init_statuses,
                         const boost::json::array& statuses, bool terminal);

}  // namespace skiff::agent::pods

#endif  // SKIFF_AGENT_PODS_POD_STATUS_H_
