// CycleState: what one scheduling attempt precomputes for its pod before looking at nodes
// (kube-scheduler's PreFilter/PreScore state): inter-pod affinity counts per topology domain and
// topology spread counts, as views of the TopologyIndex's shared counts, so that each filter is
// O(terms) per node. FilterResult: the outcome of the filters for one node.
// Thread-safety: built by one thread, then only read (concurrently) by the filter shards.
// Ownership: borrows the PodInfo, the Snapshot and its TopologyIndex, which must stay unchanged
// while the state is used (until the next snapshot update). Failure: none.
#ifndef SKIFF_SCHEDULER_CYCLE_STATE_H_
#define SKIFF_SCHEDULER_CYCLE_STATE_H_

#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "scheduler/node_info.h"
#include "scheduler/topology_index.h"

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

// Counts of one topology key: the sum of shared sources (TopologyIndex maps, read-only) plus a
// private adjustment (preemption's what-if removal of victims), so a cycle never copies the
// shared counts.
struct KeySum {
  std::string key;
  std::vector<const ValueCounts*> sources;
  ValueCounts delta;
  int64_t total = 0;  // over every value, sources and delta

  int64_t At(const std::string& value) const {
    int64_t n = 0;
    for (const ValueCounts* s : sources) {
      auto it = s->find(value);
      if (it != s->end()) n += it->second;
    }
    if (!delta.empty()) {
      auto it = delta.find(value);
      if (it != delta.end()) n += it->second;
    }
    return n;
  }
  void Adjust(const std::string& value, int64_t d) {
    delta[value] += d;
    total += d;
  }
};

// One DoNotSchedule constraint of the pod with its domain counts.
struct SpreadItem {
  const SpreadConstraint* constraint = nullptr;
  const Counter* counter = nullptr;  // domains and matching pods (TopologyIndex)
  KeySum matches;                    // counter's pods per domain (+ preemption's adjustments)
  int64_t min_count = 0;             // global minimum over the domains (0 below minDomains)
  bool self_match = false;           // the pod matches its own selector
};

struct SpreadState {
  std::vector<SpreadItem> items;
};

struct CycleState {
  const PodInfo* pod = nullptr;
  const Snapshot* snapshot = nullptr;
  TopologyIndex* index = nullptr;              // the snapshot's, or owned_index
  std::shared_ptr<TopologyIndex> owned_index;  // built for a snapshot without one
  // InterPodAffinity (required), one KeySum per term of the pod.
  std::vector<KeySum> affinity;       // pods matching all of the pod's affinity terms, by term i's key
  bool affinity_self_match = false;   // the pod matches all its own affinity terms
  std::vector<KeySum> anti_affinity;  // pods matching anti-affinity term i, by its key
  // Existing pods whose required anti-affinity selects the pod, one KeySum per topology key.
  std::vector<KeySum> existing_anti_affinity;
  // PodTopologySpread (DoNotSchedule).
  SpreadState hard_spread;

  bool AffinityPodsExist() const {
    for (const KeySum& k : affinity) {
      if (k.total > 0) return true;
    }
    return false;
  }
};

}  // namespace skiff::scheduler

#endif  // SKIFF_SCHEDULER_CYCLE_STATE_H_
