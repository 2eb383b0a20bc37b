// PodContext: the node and runtime facts podspec needs that are not in the Pod object itself
// (the pod's IPs once its sandbox is up, the node's IPs, allocatable and memory capacity).
// Thread-safety: plain value types. Ownership: by value. Never fails.
#ifndef SKIFF_AGENT_PODSPEC_POD_CONTEXT_H_
#define SKIFF_AGENT_PODSPEC_POD_CONTEXT_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "api/quantity.h"

namespace skiff::agent::podspec {

// The node's allocatable resources: the defaults for limits a container leaves unset when the
// downward API asks for them (as the kubelet's defaultPodLimitsForDownwardAPI does).
struct NodeResources {
  std::optional<api::Quantity> cpu;
  std::optional<api::Quantity> memory;
  std::optional<api::Quantity> ephemeral_storage;
  // Machine memory capacity in bytes, the denominator of the Burstable OOM score.
  int64_t memory_capacity_bytes = 0;
};

struct PodContext {
  std::vector<std::string> pod_ips;   // from the sandbox's network status, primary first
  std::vector<std::string> host_ips;  // the node's addresses, primary first
  NodeResources node;
};

}  // namespace skiff::agent::podspec

#endif  // SKIFF_AGENT_PODSPEC_POD_CONTEXT_H_
