// NodeInfo: one node as the scheduler sees it: its labels, allocatable resources, taints, and the
// pods placed on it (bound or assumed) with their summed requests and used host ports.
// Snapshot: the immutable view of every NodeInfo that one scheduling cycle works on, with the
// TopologyIndex that goes with it.
// Thread-safety: a NodeInfo is mutated only by the SchedulerCache under its lock and is frozen
// (shared as const) once a Snapshot holds it; a Snapshot's nodes are read-only and safe to share,
// its TopologyIndex belongs to the scheduling loop (a copy shares the index but is not kept
// current: reset `topology` on copies). Label keys are interned in a process-wide table (mutex).
// Ownership: NodeInfos are shared_ptr (copy-on-write between the cache and snapshots).
// Failure: none (a node object with unparsable fields counts those as zero/absent).
#ifndef SKIFF_SCHEDULER_NODE_INFO_H_
#define SKIFF_SCHEDULER_NODE_INFO_H_

#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/container/inlined_vector.h"
#include "client/client.h"
#include "scheduler/pod_info.h"

namespace skiff::scheduler {

class NodeInfo {
 public:
  explicit NodeInfo(std::string name) : name_(std::move(name)) {}

  // Replaces the Node object (labels, allocatable, taints, unschedulable).
  void SetNode(client::Object node);
  void ClearNode() {
    node_ = nullptr;
    labels_ = &kNoLabels;
  }
  void AddPod(PodInfoPtr pod);
  // Returns false when no pod with that key is on the node.
  bool RemovePod(const std::string& key);

  const std::string& name() const { return name_; }
  const client::Object& node() const { return node_; }
  const boost::json::value& labels() const { return *labels_; }
  // The value of a node label, or nullptr.
  const std::string* Label(const std::string& key) const;
  const Resources& allocatable() const { return allocatable_; }
  const Resources& requested() const { return requested_; }
  const Resources& non_zero_requested() const { return non_zero_requested_; }
  const std::vector<Taint>& taints() const { return taints_; }
  bool unschedulable() const { return unschedulable_; }
  const std::vector<PodInfoPtr>& pods() const { return pods_; }
  const std::vector<PodInfoPtr>& pods_with_affinity() const { return pods_with_affinity_; }
  const std::vector<PodInfoPtr>& pods_with_required_anti_affinity() const {
    return pods_with_required_anti_affinity_;
  }
  const std::vector<HostPort>& used_ports() const { return used_ports_; }
  // status.images: every listed name -> the image's sizeBytes.
  const absl::flat_hash_map<std::string, int64_t>& images() const { return images_; }

 private:
  std::string name_;
  client::Object node_;
  static const boost::json::value kNoLabels;
  const boost::json::value* labels_ = &kNoLabels;  // inside node_ (shared, so copies stay cheap)
  // (interned key, value) pairs held inline: the filters read a label of thousands of nodes per
  // pod, so a lookup must stay within the NodeInfo and the shared, cache-hot key strings.
  absl::InlinedVector<std::pair<const std::string*, std::string>, 8> label_list_;
  Resources allocatable_;
  std::vector<Taint> taints_;
  bool unschedulable_ = false;
  Resources requested_;
  Resources non_zero_requested_;
  std::vector<PodInfoPtr> pods_;
  std::vector<PodInfoPtr> pods_with_affinity_;
  std::vector<PodInfoPtr> pods_with_required_anti_affinity_;
  std::vector<HostPort> used_ports_;
  absl::flat_hash_map<std::string, int64_t> images_;
};

using NodeInfoPtr = std::shared_ptr<const NodeInfo>;

class TopologyIndex;

struct Snapshot {
  std::vector<NodeInfoPtr> nodes;  // only nodes whose Node object is known
  std::unordered_map<std::string, size_t> index;
  NamespaceLabels namespace_labels;
  // Topology counts kept in step with `nodes` by SchedulerCache::UpdateSnapshot; null for a
  // snapshot assembled by hand (PreFilter then builds a temporary one).
  std::shared_ptr<TopologyIndex> topology;

  const NodeInfo* Find(const std::string& name) const {
    auto it = index.find(name);
    return it == index.end() ? nullptr : nodes[it->second].get();
  }
};

// Whether a pod still holds node resources (not Succeeded/Failed).
inline bool PodActive(const PodInfo& pod) { return pod.phase != "Succeeded" && pod.phase != "Failed"; }

}  // namespace skiff::scheduler

#endif  // SKIFF_SCHEDULER_NODE_INFO_H_
