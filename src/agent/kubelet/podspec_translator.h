// PodspecTranslator: the agent's pods::SpecTranslator, an adapter from the pod workers to the full
// pod spec translation of src/agent/podspec (env from ConfigMaps/Secrets/downward API, volumes,
// resources by QoS, DNS, hostname, security context). Objects a pod refers to are read through
// the agent's client::Client. PreparePod materialises the pod's volumes and remembers the pod;
// a refresh thread re-applies ConfigMap/Secret/downwardAPI/projected volume content every
// `refresh_period` (the kubelet does so about once a minute; a few seconds here), so updates of
// those objects appear in the mounted files in place. CleanupPod unmounts and removes the pod's
// directory (volumes, etc-hosts, termination-message files) and forgets its tokens.
// Projected serviceAccountToken sources get their tokens from a ServiceAccountTokenManager
// (TokenRequest bound to the pod); the refresh thread is also what renews them before they expire.
// With a Services informer, containers get the kubelet's service variables (KUBERNETES_SERVICE_HOST,
// <SVC>_SERVICE_PORT, Docker link variables; those of the pod's namespace unless
// enableServiceLinks is false); until that informer has synced, container configs fail (retried),
// as the kubelet refuses to build an environment without them.
// Host-network pods get no hostname in their sandbox config (runc refuses to set one in the
// node's UTS namespace).
//
// Thread-safety: every method is safe from any thread; calls for one pod are serialised with the
// refresh of that pod (per-pod lock), different pods proceed in parallel.
// Ownership: borrows the client and the Services informer (they must outlive the translator); owns
// the token manager, an event recorder and the refresh thread, which the destructor stops and joins.
// Failure: translation errors are returned as the podspec functions report them (the worker shows
// them as CreateContainerConfigError); refresh errors are logged and retried next period; token
// request failures are also recorded as events on the pod.
#ifndef SKIFF_AGENT_KUBELET_PODSPEC_TRANSLATOR_H_
#define SKIFF_AGENT_KUBELET_PODSPEC_TRANSLATOR_H_

#include <condition_variable>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "absl/time/time.h"
#include "agent/kubelet/service_account_tokens.h"
#include "agent/pods/spec_translator.h"
#include "agent/podspec/dns.h"
#include "agent/podspec/object_source.h"
#include "agent/podspec/pod_context.h"
#include "agent/podspec/volumes.h"
#include "client/client.h"
#include "client/event_recorder.h"
#include "client/informer.h"

namespace skiff::agent::kubelet {

struct PodspecTranslatorOptions {
  std::string pods_dir;                // <agent data dir>/pods
  std::string node_name;               // source.host of the events it records
  std::vector<std::string> host_ips;   // the node's addresses, primary first
  podspec::NodeResources node;         // allocatable and memory capacity
  podspec::DnsOptions dns;             // cluster DNS and the node's resolver
  absl::Duration refresh_period = absl::Seconds(5);
  ServiceAccountTokenOptions tokens;  // `events` is filled in by the translator
};

// The options for a node: DNS host settings from /etc/resolv.conf, memory capacity and
// allocatable cpu/memory from the host (left unset when unreadable).
PodspecTranslatorOptions DefaultPodspecTranslatorOptions(const std::string& data_dir,
                                                         const std::string& node_ip);

class PodspecTranslator : public pods::SpecTranslator {
 public:
  // `services`: the Services informer for the service variables; null = none.
  PodspecTranslator(client::Client* client, PodspecTranslatorOptions options,
                    client::Informer* services = nullptr);
  ~PodspecTranslator() override;
  PodspecTranslator(const PodspecTranslator&) = delete;
  PodspecTranslator& operator=(const PodspecTranslator&) = delete;

  absl::StatusOr<cri::v1::PodSandboxConfig> SandboxConfig(const boost::json::value& pod,
                                                          uint32_t attempt) override;
  absl::StatusOr<cri::v1::ContainerConfig> ContainerConfig(const boost::json::value& pod,
                                                           const boost::json::value& container,
                                                           uint32_t attempt,
                                                           const std::vector<std::string>& pod_ips) override;
  absl::Status PreparePod(const boost::json::value& pod) override;
  void CleanupPod(const std::string& uid) override;

  // Re-applies the content volumes of every prepared pod now (the refresh thread calls it).
  // Returns the number of volumes whose content changed.
  int RefreshNow();
  // Number of pods whose volumes are tracked (tests).
  size_t TrackedPods() const;
  ServiceAccountTokenManager& tokens() { return tokens_; }

 private:
  struct PodEntry {
    std::mutex mu;  // serialises volume work for this pod
    boost::json::value pod;
    podspec::VolumeMap volumes;
    bool prepared = false;
    bool has_content_volumes = false;  // configMap/secret/downwardAPI/projected
  };

  std::shared_ptr<PodEntry> Entry(const std::string& uid, bool create);
  podspec::PodContext Context(const std::vector<std::string>& pod_ips) const;
  void RefreshLoop();

  PodspecTranslatorOptions options_;
  client::Informer* services_;
  client::EventRecorder events_;
  ServiceAccountTokenManager tokens_;
  podspec::ClientObjectSource objects_;
  podspec::VolumeManager volumes_;

  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::map<std::string, std::shared_ptr<PodEntry>> pods_;  // by uid
  bool stopping_ = false;
  std::thread refresher_;
};

}  // namespace skiff::agent::kubelet

#endif  // SKIFF_AGENT_KUBELET_PODSPEC_TRANSLATOR_H_
