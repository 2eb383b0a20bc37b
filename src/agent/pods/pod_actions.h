// ComputePodActions: what one sync of a pod must do to its runtime objects, after the kubelet's
// kuberuntime_manager computePodActions: (re)create the sandbox when there is none, it died or
// lost its network; run init containers one at a time in order (each must exit 0; a failure is
// retried unless restartPolicy is Never, which fails the pod); then start every app container
// that is absent or should restart under the restartPolicy; stop the pod when nothing runs and
// nothing will start again. Backoff (CrashLoopBackOff) is not decided here: the worker checks
// it per container before starting one. Deletion is handled by the worker, not here.
// Thread-safety: pure function. Ownership: values. Never fails.
#ifndef SKIFF_AGENT_PODS_POD_ACTIONS_H_
#define SKIFF_AGENT_PODS_POD_ACTIONS_H_

#include <string>
#include <vector>

#include "agent/pods/pod_view.h"
#include "agent/pods/runtime_state.h"

namespace skiff::agent::pods {

struct PodActions {
  // Stop every container and the current sandbox (before recreating it, or because the pod is done).
  bool kill_pod = false;
  bool create_sandbox = false;
  uint32_t sandbox_attempt = 0;
  std::string sandbox_id;  // the ready sandbox to start containers in (when !create_sandbox)
  // Containers to start, in order (init containers first; at most one regular init container).
  std::vector<std::string> start;
  // Single container instances to stop and remove first (created-but-never-started or unknown).
  std::vector<std::string> kill_ids;
  // A regular init container failed and restartPolicy is Never: the pod has failed.
  bool init_failed = false;
  // Nothing runs and nothing will start again: the pod has finished (Succeeded/Failed).
  bool pod_done = false;
};

// Whether an app container should be (re)started given its newest instance (nullptr: never
// created): not for a pod being deleted, not while running, and for an exited one as the
// restartPolicy says (Never: no; OnFailure: only after a non-zero exit; Always: yes).
bool ShouldRestart(const PodView& pod, const ContainerInstance* latest);

// True when any app (non-init) container was ever created: the pod is past initialization.
bool AnyAppContainerCreated(const PodView& pod, const PodRuntimeState& state);

PodActions ComputePodActions(const PodView& pod, const PodRuntimeState& state);

}  // namespace skiff::agent::pods

#endif  // SKIFF_AGENT_PODS_POD_ACTIONS_H_
