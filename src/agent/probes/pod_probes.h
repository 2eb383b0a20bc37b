// PodProbes: the probes wired into a PodManager — a RealProber over the CRI runtime, a
// ProbeManager fed by the PodManager's pods, results into its status manager
// (SetContainerReadiness/SetContainerStarted), restarts through a pod resync, "Unhealthy" and
// "Killing" events through an EventRecorder (component "kubelet"), and preStop httpGet hooks for
// the pod workers (the constructor installs it, so construct before PodManager::Start).
// Thread-safety: Start/Stop from the owner's thread. Ownership: borrows the client, runtime and
// pod manager (they must outlive it); owns the prober, manager and recorder. Never fails.
#ifndef SKIFF_AGENT_PROBES_POD_PROBES_H_
#define SKIFF_AGENT_PROBES_POD_PROBES_H_

#include <memory>
#include <string>

#include "agent/cri/runtime.h"
#include "agent/pods/pod_manager.h"
#include "agent/probes/probe_manager.h"
#include "agent/probes/probers.h"
#include "client/client.h"
#include "client/event_recorder.h"

namespace skiff::agent::probes {

class PodProbes {
 public:
  PodProbes(client::Client* client, cri::Runtime* runtime, pods::PodManager* pod_manager,
            const std::string& node_name);
  ~PodProbes();

  void Start();
  void Stop();
  ProbeManager& manager() { return *manager_; }

 private:
  std::unique_ptr<RealProber> prober_;
  std::unique_ptr<client::EventRecorder> events_;
  std::unique_ptr<ProbeManager> manager_;
};

}  // namespace skiff::agent::probes

#endif  // SKIFF_AGENT_PROBES_POD_PROBES_H_
