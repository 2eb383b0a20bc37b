// PodWorker: brings one pod's runtime objects in line with its Pod object, one Sync at a time (the
// PodManager serializes syncs per pod and runs different pods in parallel). A sync observes the
// pod's sandboxes and containers through CRI (by the io.kubernetes.pod.uid label, so containers
// of an earlier agent process are adopted as they are), then:
//  - pod gone from the API: stops and removes everything it has in the runtime;
//  - deletionTimestamp set: preStop hooks, StopContainer with the remaining grace period (app and
//    init containers together, sidecars after them), StopPodSandbox, final status, removal of the
//    containers and sandbox, volume cleanup, then the final DELETE of the pod with
//    gracePeriodSeconds=0 and a uid precondition (as the kubelet does);
//  - pod Succeeded/Failed in the API: stops what still runs, never starts anything;
//  - otherwise ComputePodActions: (re)creates the sandbox (recording the pod IP), pulls images per
//    imagePullPolicy with ImagePullBackOff, starts init containers in order and app containers,
//    holding back restarts while in CrashLoopBackOff (10 s doubling to 5 min), and stops the pod
//    when it has finished;
// and finally writes the status (StatusManager, only when changed).
// Start failures are remembered per container (ErrImagePull, CreateContainerError...) and shown
// as the container's waiting reason.
//
// Thread-safety: Sync must not run concurrently with itself (PodManager guarantees it); the
// environment's members are shared and thread-safe. Ownership: borrows everything in WorkerEnv.
// Failure: runtime/API errors are logged, shown in status where the kubelet would, and retried
// (SyncResult::retry_at).
#ifndef SKIFF_AGENT_PODS_POD_WORKER_H_
#define SKIFF_AGENT_PODS_POD_WORKER_H_

#include <functional>
#include <map>
#include <string>

#include "absl/status/statusor.h"
#include "agent/cri/runtime.h"
#include "agent/pods/crash_backoff.h"
#include "agent/pods/pod_status.h"
#include "agent/pods/pod_view.h"
#include "agent/pods/runtime_state.h"
#include "agent/pods/spec_translator.h"
#include "agent/pods/status_manager.h"
#include "base/clock.h"
#include "client/client.h"

namespace skiff::agent::pods {

// What the workers of one agent share.
struct WorkerEnv {
  cri::Runtime* runtime = nullptr;
  client::Client* client = nullptr;
  StatusManager* status = nullptr;
  SpecTranslator* translator = nullptr;
  CrashBackoff* crash_backoff = nullptr;  // CrashLoopBackOff, keyed "<uid>/<container>"
  CrashBackoff* image_backoff = nullptr;  // ImagePullBackOff, keyed "<uid>/<image>"
  const base::Clock* clock = nullptr;
  std::string host_ip;
  std::string pods_dir;  // DIR/pods: logs go to <pods_dir>/<uid>/logs
  // Runs a preStop httpGet hook (the probes helper provides it); unset: such hooks are skipped.
  std::function<absl::Status(const boost::json::value& pod, const std::string& container,
                             absl::Duration timeout)>
      http_hook;
};

struct SyncResult {
  // Every runtime object is gone and the pod object is deleted (or was already): drop the worker.
  bool done = false;
  // Sync again at this time (CrashLoopBackOff expiry, retry after an error); InfiniteFuture: no need.
  absl::Time retry_at = absl::InfiniteFuture();
};

class PodWorker {
 public:
  PodWorker(WorkerEnv* env, std::string uid);

  // One pass for `pod` (the latest object; null when it no longer exists in the API).
  SyncResult Sync(const client::Object& pod);

  // The runtime state as last observed (for tests and diagnostics).
  const PodRuntimeState& last_state() const { return state_; }
  const std::map<std::string, WaitingReason>& waiting() const { return waiting_; }

 private:
  absl::StatusOr<PodRuntimeState> Observe();
  SyncResult SyncRunning(const boost::json::value& pod, const PodView& view, SyncResult result);
  SyncResult Terminate(const boost::json::value& pod, const PodView& view);
  // Stops every running container (preStop hooks first when `hooks`) and every ready sandbox.
  void KillPod(const boost::json::value* pod, const PodView* view, const PodRuntimeState& state,
               absl::Duration grace, bool hooks);
  void StopContainer(const boost::json::value* pod, const PodView* view, const ContainerInstance& c,
                     absl::Duration grace, bool hooks);
  // Removes every container and sandbox of the pod. OK when nothing is left.
  absl::Status RemoveAll(const PodRuntimeState& state);
  // Removes exited instances beyond the newest two of each container (the kubelet keeps the
  // previous one for `kubectl logs -p`).
  void PruneDeadContainers(const PodRuntimeState& state);
  absl::StatusOr<std::string> RunSandbox(const boost::json::value& pod, const PodView& view,
                                         uint32_t attempt);
  // Starts one container; false when it could not (reason in waiting_), with *retry_at lowered
  // to when trying again makes sense.
  bool StartContainer(const boost::json::value& pod, const PodView& view, const std::string& name,
                      const std::string& sandbox_id, const std::vector<std::string>& pod_ips,
                      absl::Time* retry_at);
  bool EnsureImage(const PodView& view, const ContainerView& c, absl::Time* retry_at);
  void WriteStatus(const boost::json::value& pod, const PodView& view, const PodRuntimeState& state,
                   bool terminal);
  absl::StatusOr<cri::v1::PodSandboxConfig> FullSandboxConfig(const boost::json::value& pod,
                                                              const PodView& view, uint32_t attempt);

  WorkerEnv* env_;
  const std::string uid_;
  PodRuntimeState state_;
  std::map<std::string, WaitingReason> waiting_;
  // ContainerStatus details by container id, refreshed when the listed state changes.
  std::map<std::string, ContainerInstance> details_;
  std::map<std::string, std::vector<std::string>> sandbox_ips_;  // by sandbox id
  client::Object last_pod_;
  bool deleted_ = false;  // the final DELETE was sent
};

// The log directory of a pod: <pods_dir>/<uid>/logs.
std::string PodLogDirectory(const std::string& pods_dir, const std::string& uid);

}  // namespace skiff::agent::pods

#endif  // SKIFF_AGENT_PODS_POD_WORKER_H_
