// The scheduler's score plugins, each producing 0..100 per feasible node after normalization,
// combined with kube-scheduler's default weights: NodeResourcesFit (LeastAllocated) 1,
// NodeResourcesBalancedAllocation 1, NodeAffinity (preferred) 2, InterPodAffinity (preferred) 2,
// PodTopologySpread (ScheduleAnyway) 2, TaintToleration (PreferNoSchedule) 3, ImageLocality 1.
// Counts over existing pods come from the snapshot's TopologyIndex (a temporary one is built for a
// snapshot without it).
// Thread-safety: pure functions over immutable inputs. Ownership: nothing retained. Failure: none.
#ifndef SKIFF_SCHEDULER_SCORES_H_
#define SKIFF_SCHEDULER_SCORES_H_

#include <cstdint>
#include <vector>

#include "scheduler/cycle_state.h"

namespace skiff::scheduler {

inline constexpr int64_t kMaxNodeScore = 100;
// ImageLocality thresholds (kube-scheduler's): image bytes below 23 MB score 0, 1000 MB per
// container scores 100.
inline constexpr int64_t kImageMinThreshold = int64_t{23} * 1024 * 1024;
inline constexpr int64_t kImageMaxContainerThreshold = int64_t{1000} * 1024 * 1024;

// Per-node raw scores (already 0..100 where the plugin defines them so).
int64_t ScoreLeastAllocated(const PodInfo& pod, const NodeInfo& node);
int64_t ScoreBalancedAllocation(const PodInfo& pod, const NodeInfo& node);
int64_t ScoreNodeAffinityRaw(const PodInfo& pod, const NodeInfo& node);     // sum of matching weights
int64_t ScoreTaintTolerationRaw(const PodInfo& pod, const NodeInfo& node);  // untolerated PreferNoSchedule
// ImageLocality: the sizes of the pod's images present on the node, each scaled by the share of
// the `total_nodes` nodes that have it, clamped and mapped to 0..100 (no normalization).
int64_t ScoreImageLocality(const PodInfo& pod, const NodeInfo& node, const TopologyIndex& index,
                           size_t total_nodes);

// Whole-list plugins return normalized scores for `nodes`.
std::vector<int64_t> ScoreInterPodAffinity(const PodInfo& pod, const Snapshot& snapshot,
                                           const std::vector<const NodeInfo*>& nodes);
std::vector<int64_t> ScorePodTopologySpread(const PodInfo& pod, const Snapshot& snapshot,
                                            const std::vector<const NodeInfo*>& nodes);

// Normalizers: scale so the maximum becomes 100 (reverse: the maximum becomes 0).
void NormalizeToMax(std::vector<int64_t>* scores, bool reverse);

// The weighted total of every plugin for each node.
std::vector<int64_t> ScoreNodes(const PodInfo& pod, const Snapshot& snapshot,
                                const std::vector<const NodeInfo*>& nodes);

}  // namespace skiff::scheduler

#endif  // SKIFF_SCHEDULER_SCORES_H_
