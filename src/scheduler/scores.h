// The scheduler's score plugins, each producing 0..100 per feasible node after normalization,
// combined with kube-scheduler's default weights: NodeResourcesFit (LeastAllocated) 1,
// NodeResourcesBalancedAllocation 1, NodeAffinity (preferred) 2, InterPodAffinity (preferred) 2,
// PodTopologySpread (ScheduleAnyway) 2, TaintToleration (PreferNoSchedule) 3.
// Thread-safety: pure functions over immutable inputs. Ownership: nothing retained. Failure: none.
#ifndef SKIFF_SCHEDULER_SCORES_H_
#define SKIFF_SCHEDULER_SCORES_H_

#include <cstdint>
#include <vector>

#include "scheduler/cycle_state.h"

namespace skiff::scheduler {

inline constexpr int64_t kMaxNodeScore = 100;

// Per-node raw scores (already 0..100 where the plugin defines them so).
int64_t ScoreLeastAllocated(const PodInfo& pod, const NodeInfo& node);
int64_t ScoreBalancedAllocation(const PodInfo& pod, const NodeInfo& node);
int64_t ScoreNodeAffinityRaw(const PodInfo& pod, const NodeInfo& node);     // sum of matching weights
int64_t ScoreTaintTolerationRaw(const PodInfo& pod, const NodeInfo& node);  // untolerated PreferNoSchedule

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
