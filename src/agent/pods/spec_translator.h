// SpecTranslator: turns a Pod (and one of its containers) into the CRI configs the worker sends
// (PodSandboxConfig for RunPodSandbox, ContainerConfig for CreateContainer), and prepares/cleans a
// pod's volumes. The kubelet composition plugs in the full translation (src/agent/podspec: env
// from ConfigMaps/Secrets, volumes, resources, DNS, security context); BasicSpecTranslator is a
// minimal stand-in (image, command/args, plain env values, labels/annotations, hostname, host
// network, port mappings) so the pod workers run on their own.
// Whatever a translator returns, the worker itself sets the fields its recovery relies on:
// metadata, the io.kubernetes.* labels, log_directory and log_path.
// Thread-safety: implementations must be safe for concurrent calls (workers run in parallel).
// Ownership: the worker borrows the translator (it must outlive the PodManager).
// Failure: a translation error becomes CreateContainerConfigError (containers) or a sandbox
// creation failure that is retried; its message is shown in the container status.
#ifndef SKIFF_AGENT_PODS_SPEC_TRANSLATOR_H_
#define SKIFF_AGENT_PODS_SPEC_TRANSLATOR_H_

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "agent/cri/runtime.h"
#include "boost/json/value.hpp"

namespace skiff::agent::pods {

class SpecTranslator {
 public:
  virtual ~SpecTranslator() = default;
  virtual absl::StatusOr<cri::v1::PodSandboxConfig> SandboxConfig(const boost::json::value& pod,
                                                                  uint32_t attempt) = 0;
  // `pod_ips`: the sandbox's addresses (for status.podIP env values).
  virtual absl::StatusOr<cri::v1::ContainerConfig> ContainerConfig(
      const boost::json::value& pod, const boost::json::value& container, uint32_t attempt,
      const std::vector<std::string>& pod_ips) = 0;
  // Before the pod's first container starts (volumes); called on every sync that starts containers.
  virtual absl::Status PreparePod(const boost::json::value& pod) {
    (void)pod;
    return absl::OkStatus();
  }
  // After every runtime object of the pod is gone.
  virtual void CleanupPod(const std::string& uid) { (void)uid; }
};

class BasicSpecTranslator : public SpecTranslator {
 public:
  absl::StatusOr<cri::v1::PodSandboxConfig> SandboxConfig(const boost::json::value& pod,
                                                          uint32_t attempt) override;
  absl::StatusOr<cri::v1::ContainerConfig> ContainerConfig(const boost::json::value& pod,
                                                           const boost::json::value& container,
                                                           uint32_t attempt,
                                                           const std::vector<std::string>& pod_ips) override;
};

}  // namespace skiff::agent::pods

#endif  // SKIFF_AGENT_PODS_SPEC_TRANSLATOR_H_
