// The Node object the agent registers and the status it reports, as pure functions of what it
// measured (HostFacts, HostUsage), what the container runtime says (RuntimeState) and the previous
// status (for lastTransitionTime), following the kubelet's node status setters:
//   * labels kubernetes.io/{hostname,os,arch} and beta.kubernetes.io/{os,arch};
//   * capacity cpu/memory/ephemeral-storage/pods/hugepages; allocatable = capacity minus the
//     kubelet's default hard eviction thresholds (memory 100Mi, ephemeral-storage 10%);
//   * conditions MemoryPressure, DiskPressure, PIDPressure, Ready: lastHeartbeatTime is always
//     `now`, lastTransitionTime changes only when the status value changes;
//   * addresses, nodeInfo, daemonEndpoints, images (largest 50, at most 5 names each).
// Thread-safety: pure functions. Ownership: values. Never fails.
#ifndef SKIFF_AGENT_NODE_NODE_STATUS_H_
#define SKIFF_AGENT_NODE_NODE_STATUS_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/time/time.h"
#include "agent/node/host_info.h"
#include "boost/json/value.hpp"

namespace skiff::agent::node {

// Reported as kubeletVersion and kubeProxyVersion (the API server reports v1.32.4-skiff).
inline constexpr char kKubeletVersion[] = "v1.32.4-skiff";
inline constexpr int kMaxImagesInNodeStatus = 50;
inline constexpr int kMaxNamesPerImage = 5;
// Kubelet default hard eviction thresholds (Linux).
inline constexpr int64_t kEvictionMemoryAvailableBytes = 100 * 1024 * 1024;
inline constexpr double kEvictionNodefsAvailable = 0.10;
inline constexpr double kEvictionNodefsInodesFree = 0.05;
inline constexpr double kEvictionImagefsAvailable = 0.15;
// The kubelet has no default PID threshold; skiff reports PIDPressure below 10% of pid_max free.
inline constexpr double kEvictionPidAvailable = 0.10;

struct NodeImage {
  std::vector<std::string> repo_tags;
  std::vector<std::string> repo_digests;
  int64_t size_bytes = 0;
};

// What CRI Version/Status/ListImages said.
struct RuntimeState {
  std::string version;  // "containerd://1.6.20"; "" when unknown
  std::string error;    // the runtime could not be reached at all ("" = it answered)
  bool runtime_ready = false;
  std::string runtime_reason, runtime_message;
  bool network_ready = false;
  std::string network_reason, network_message;
  std::vector<NodeImage> images;
};

// The agent's own settings that show in the Node.
struct NodeConfig {
  std::string node_name;
  std::string hostname;  // Hostname address; defaults to node_name when empty
  std::string node_ip;   // InternalIP; omitted when empty
  int kubelet_port = 10250;
  int max_pods = 110;
  // Where this node keeps local-path volumes, published as the skiff.io/local-path-root
  // annotation for the provisioner; omitted when empty.
  std::string local_path_root;
};

inline constexpr char kLocalPathRootAnnotation[] = "skiff.io/local-path-root";

// The kubelet's default labels.
boost::json::object DefaultNodeLabels(const NodeConfig& config);
// A new Node: name, default labels, the controller-managed-attach-detach annotation and the
// not-ready:NoSchedule taint a kubelet registers with (the node lifecycle controller removes it
// once Ready). No status.
boost::json::value NewNodeObject(const NodeConfig& config);

boost::json::object NodeCapacity(const NodeConfig& config, const HostFacts& facts, const HostUsage& usage);
boost::json::object NodeAllocatable(const NodeConfig& config, const HostFacts& facts, const HostUsage& usage);

// The four conditions; `previous` is the node's current status.conditions (or null).
boost::json::array NodeConditions(const HostUsage& usage, const RuntimeState& runtime,
                                  const boost::json::value* previous, absl::Time now);

// The whole status. `previous_status` (may be null) is the node's current status.
boost::json::value BuildNodeStatus(const NodeConfig& config, const HostFacts& facts, const HostUsage& usage,
                                   const RuntimeState& runtime, const boost::json::value* previous_status,
                                   absl::Time now);

// True when `desired` says something `current` does not: any field of `desired` differs,
// ignoring conditions' lastHeartbeatTime (fields only `current` has are ignored).
bool NodeStatusChanged(const boost::json::value& current, const boost::json::value& desired);

}  // namespace skiff::agent::node

#endif  // SKIFF_AGENT_NODE_NODE_STATUS_H_
