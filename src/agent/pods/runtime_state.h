// PodRuntimeState: what the container runtime holds for one pod — its sandboxes and container
// instances (every attempt still present) — in plain structs, independent of the CRI messages,
// so the decision (pod_actions.h) and status (pod_status.h) functions are pure and testable.
// Also the CRI labels the kubelet puts on sandboxes and containers, by which skiff finds a pod's
// runtime objects again after an agent restart.
// Thread-safety: values. Ownership: values. Never fails.
#ifndef SKIFF_AGENT_PODS_RUNTIME_STATE_H_
#define SKIFF_AGENT_PODS_RUNTIME_STATE_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/time/time.h"

namespace skiff::agent::pods {

// Labels set on every sandbox and container (as the kubelet does).
inline constexpr char kPodNameLabel[] = "io.kubernetes.pod.name";
inline constexpr char kPodNamespaceLabel[] = "io.kubernetes.pod.namespace";
inline constexpr char kPodUidLabel[] = "io.kubernetes.pod.uid";
inline constexpr char kContainerNameLabel[] = "io.kubernetes.container.name";
// Marks objects created by skiff's agent (and recovered/cleaned by it).
inline constexpr char kManagedByLabel[] = "io.skiff.agent";
// Container annotations (kubelet's names).
inline constexpr char kRestartCountAnnotation[] = "io.kubernetes.container.restartCount";
inline constexpr char kTerminationGraceAnnotation[] = "io.kubernetes.pod.terminationGracePeriod";

enum class ContainerRunState { kCreated, kRunning, kExited, kUnknown };

struct ContainerInstance {
  std::string id;  // runtime id (without "containerd://")
  std::string sandbox_id;
  std::string name;      // the pod's container name
  uint32_t attempt = 0;  // 0 for the first instance, +1 per restart
  ContainerRunState state = ContainerRunState::kUnknown;
  absl::Time created_at = absl::InfinitePast();
  absl::Time started_at = absl::InfinitePast();   // InfinitePast: never started
  absl::Time finished_at = absl::InfinitePast();  // InfinitePast: not finished
  int32_t exit_code = 0;
  std::string reason;  // runtime reason for exited: "Completed", "Error", "OOMKilled"
  std::string message;
  std::string image;      // as the runtime names it (e.g. "docker.io/library/busybox:1.35")
  std::string image_ref;  // resolved image id or digest
};

struct SandboxInstance {
  std::string id;
  uint32_t attempt = 0;
  bool ready = false;            // SANDBOX_READY
  std::vector<std::string> ips;  // primary first; empty for host-network pods
  absl::Time created_at = absl::InfinitePast();
};

struct PodRuntimeState {
  std::vector<SandboxInstance> sandboxes;     // newest first
  std::vector<ContainerInstance> containers;  // newest first

  // Newest sandbox (nullptr when none).
  const SandboxInstance* LatestSandbox() const { return sandboxes.empty() ? nullptr : &sandboxes.front(); }
  // Newest / second-newest instance of a container (nullptr when none).
  const ContainerInstance* Latest(const std::string& name) const;
  const ContainerInstance* Previous(const std::string& name) const;
  bool AnyRunning() const;
  // Sorts sandboxes and containers newest first (by attempt, then creation time).
  void Normalize();
};

}  // namespace skiff::agent::pods

#endif  // SKIFF_AGENT_PODS_RUNTIME_STATE_H_
