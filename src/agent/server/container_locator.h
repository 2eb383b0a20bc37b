// ContainerLocator: finds, through CRI, what a kubelet streaming request names — the pod's newest
// sandbox (by the io.kubernetes.pod.namespace/name labels) and its containers of one name (by the
// io.kubernetes.pod.uid and io.kubernetes.container.name labels) — and the CRI log files the pod
// workers write (DIR/pods/<uid>/logs/<container>/<attempt>.log).
// Thread-safety: safe for concurrent use (the runtime is). Ownership: borrows the runtime.
// Failure: NotFound when the pod has no sandbox on this node; runtime errors are passed through.
#ifndef SKIFF_AGENT_SERVER_CONTAINER_LOCATOR_H_
#define SKIFF_AGENT_SERVER_CONTAINER_LOCATOR_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "agent/cri/runtime.h"

namespace skiff::agent::server {

struct PodRef {
  std::string uid;
  std::string sandbox_id;
};

struct ContainerRef {
  std::string id;
  uint32_t attempt = 0;
  bool running = false;
};

// The attempts that have a log file in `dir` (<attempt>.log), ascending.
std::vector<uint32_t> LogAttempts(const std::string& dir);

class ContainerLocator {
 public:
  ContainerLocator(cri::Runtime* runtime, std::string pods_dir)
      : runtime_(runtime), pods_dir_(std::move(pods_dir)) {}

  absl::StatusOr<PodRef> FindPod(const std::string& ns, const std::string& name) const;
  // The pod's containers named `container`, by ascending attempt (empty when none exists).
  absl::StatusOr<std::vector<ContainerRef>> FindContainers(const PodRef& pod,
                                                           const std::string& container) const;
  // Whether the container still runs (false when it is gone or the runtime cannot tell).
  bool IsRunning(const std::string& container_id) const;
  // DIR/pods/<uid>/logs/<container>
  std::string LogDirectory(const PodRef& pod, const std::string& container) const;

 private:
  cri::Runtime* runtime_;
  std::string pods_dir_;
};

}  // namespace skiff::agent::server

#endif  // SKIFF_AGENT_SERVER_CONTAINER_LOCATOR_H_
