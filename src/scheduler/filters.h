// The scheduler's filter plugins (kube-scheduler's names, order and reason texts): a node passes
// when every filter accepts it. Node-local filters look at the node alone; InterPodAffinity and
// PodTopologySpread read counts that PreFilter takes once per pod from the TopologyIndex (see
// CycleState), so they cost O(terms) per node.
// Thread-safety: pure functions over immutable inputs; callable concurrently.
// Ownership: nothing retained. Failure: a failing filter is a FilterResult, never an error.
#ifndef SKIFF_SCHEDULER_FILTERS_H_
#define SKIFF_SCHEDULER_FILTERS_H_

#include "scheduler/cycle_state.h"

namespace skiff::scheduler {

// Builds the per-pod state (inter-pod affinity and hard spread counts) over the whole snapshot.
CycleState PreFilter(const PodInfo& pod, const Snapshot& snapshot);
// Runs every filter in kube-scheduler's order, stopping at the first failure.
FilterResult RunFilters(const CycleState& state, const NodeInfo& node);
// RunFilters(state, node).ok() without building failure reasons (no allocation): the hot path.
bool Feasible(const CycleState& state, const NodeInfo& node);

FilterResult FilterNodeUnschedulable(const PodInfo& pod, const NodeInfo& node);
FilterResult FilterNodeName(const PodInfo& pod, const NodeInfo& node);
FilterResult FilterTaintToleration(const PodInfo& pod, const NodeInfo& node);
FilterResult FilterNodeAffinity(const PodInfo& pod, const NodeInfo& node);
// VolumeBinding: the node must satisfy the node affinity of the pod's bound PVs and, for claims
// that bind only once placed, of at least one PV they could bind (see VolumeNodeConstraint).
FilterResult FilterVolumeBinding(const PodInfo& pod, const NodeInfo& node);
FilterResult FilterNodePorts(const PodInfo& pod, const NodeInfo& node);
FilterResult FilterNodeResourcesFit(const PodInfo& pod, const NodeInfo& node);
FilterResult FilterPodTopologySpread(const CycleState& state, const NodeInfo& node);
FilterResult FilterInterPodAffinity(const CycleState& state, const NodeInfo& node);

// The topology counts a cycle reads: the snapshot's TopologyIndex, or (for a snapshot without one)
// a temporary index built into state->owned_index. Sets state->index on first use.
TopologyIndex& IndexFor(const PodInfo& pod, const Snapshot& snapshot, CycleState* state);
// PreFilter halves (exposed for tests and for preemption, which re-evaluates a node).
void PreFilterInterPodAffinity(const PodInfo& pod, const Snapshot& snapshot, CycleState* state);
void PreFilterPodTopologySpread(const PodInfo& pod, const Snapshot& snapshot, CycleState* state);
// Counts `node`'s pods matching `constraint` for `pod`'s namespace (what spread counts use).
int64_t CountSpreadMatches(const PodInfo& pod, const SpreadConstraint& constraint, const NodeInfo& node);
// Whether a node takes part in a spread constraint's domains (labels, node affinity, taints).
bool NodeCountsForSpread(const PodInfo& pod, const SpreadConstraint& constraint, const NodeInfo& node);

}  // namespace skiff::scheduler

#endif  // SKIFF_SCHEDULER_FILTERS_H_
