#include "agent/probes/pod_probes.h"

namespace skiff::agent::probes {

PodProbes::PodProbes(client::Client* client, cri::Runtime* runtime, pods::PodManager* pod_manager,
                     const std::string& node_name)
    : prober_(std::make_unique<RealProber>(runtime)),
      events_(std::make_unique<client::EventRecorder>(
          client, client::EventRecorder::Options{.component = "kubelet", .host = node_name})) {
  ProbeHooks hooks;
  hooks.pods = [pod_manager] { return pod_manager->Pods(); };
  hooks.set_ready = [pod_manager](const std::string& uid, const std::string& container, bool ready) {
    pod_manager->SetContainerReadiness(uid, container, ready);
  };
  hooks.set_started = [pod_manager](const std::string& uid, const std::string& container, bool started) {
    pod_manager->SetContainerStarted(uid, container, started);
  };
  hooks.enqueue = [pod_manager](const std::string& uid) { pod_manager->Enqueue(uid); };
  client::EventRecorder* events = events_.get();
  hooks.event = [events](const boost::json::value& pod, const std::string&, const std::string& type,
                         const std::string& reason, const std::string& message) {
    boost::json::value object = pod;  // informer items may lack kind/apiVersion
    if (object.is_object()) {
      object.as_object()["kind"] = "Pod";
      object.as_object()["apiVersion"] = "v1";
    }
    events->Event(object, type, reason, message);
  };
  manager_ = std::make_unique<ProbeManager>(runtime, prober_.get(), std::move(hooks));
  ProbeManager* manager = manager_.get();
  pod_manager->SetHttpHook(
      [manager](const boost::json::value& pod, const std::string& container, absl::Duration timeout) {
        return manager->RunHttpHook(pod, container, "preStop", timeout);
      });
}

PodProbes::~PodProbes() { Stop(); }

void PodProbes::Start() { manager_->Start(); }

void PodProbes::Stop() {
  if (manager_) manager_->Stop();
}

}  // namespace skiff::agent::probes
