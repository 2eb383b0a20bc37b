// CycleState: what one scheduling attempt precomputes for its pod before looking at nodes
// (kube-scheduler's PreFilter/PreScore state): inter-pod affinity counts per topology domain and
// topology spread counts. FilterResult: the outcome of the filters for one node.
// Thread-safety: built by one thread, then only read (concurrently) by the filter shards.
// Ownership: borrows the PodInfo and Snapshot, which outlive the cycle. Failure: none.
#ifndef SKIFF_SCHEDULER_CYCLE_STATE_H_
#define SKIFF_SCHEDULER_CYCLE_STATE_H_

#include <string>
#include <unordered_map>
#include <vector>

#include "scheduler/node_info.h"

namespace skiff::scheduler {

// topologyKey -> topology value -> count (or weight).
using TopologyCounts = std::unordered_map<std::string, std::unordered_map<std::string, int64_t>>;

inline int64_t CountAt(const TopologyCounts& counts, const std::string& key, const std::string& value) {
  auto k = counts.find(key);
  if (k == counts.end()) return 0;
  auto v = k->second.find(value);
  return v == k->second.end() ? 0 : v->second;
}

enum class FilterCode {
  kSuccess,
  kUnschedulable,  // removing pods (preemption) might help
  kUnresolvable,   // nothing about other pods helps (node labels, taints, ...)
};

struct FilterResult {
  FilterCode code = FilterCode::kSuccess;
  std::string plugin;                // e.g. "NodeResourcesFit"
  std::vector<std::string> reasons;  // e.g. {"Insufficient cpu", "Insufficient memory"}
  bool ok() const { return code == FilterCode::kSuccess; }
  static FilterResult Fail(FilterCode code, std::string plugin, std::string reason) {
    return FilterResult{code, std::move(plugin), {std::move(reason)}};
  }
};

struct SpreadState {
  std::vector<const SpreadConstraint*> constraints;
  std::vector<std::unordered_map<std::string, int64_t>> counts;  // per constraint: value -> matching pods
  std::vector<int64_t> min_counts;                               // per constraint (hard only)
};

struct CycleState {
  const PodInfo* pod = nullptr;
  const Snapshot* snapshot = nullptr;
  // InterPodAffinity (required).
  TopologyCounts affinity_counts;                // pods matching all of the pod's affinity terms
  TopologyCounts anti_affinity_counts;           // pods matching each of the pod's anti-affinity terms
  TopologyCounts existing_anti_affinity_counts;  // existing pods whose anti-affinity rejects the pod
  // PodTopologySpread (DoNotSchedule).
  SpreadState hard_spread;
};

}  // namespace skiff::scheduler

#endif  // SKIFF_SCHEDULER_CYCLE_STATE_H_
