// TopologyIndex: per-topology-domain counts of existing pods that inter-pod (anti-)affinity and
// topology spread read, maintained incrementally instead of re-scanning every placed pod for every
// pending pod (kube-scheduler's PreFilter state, shared across pods and kept up to date):
//  * Counters, one per signature of what a pending pod asks about (a required affinity term set,
//    one (anti-)affinity term, one spread constraint): topologyKey value -> matching pods, and for
//    spread the domains (values of eligible nodes) with a histogram for the global minimum.
//    Built by one scan on first use, updated on every node change, dropped after kIdleTicks
//    snapshot updates without use. Pods of one Deployment share signatures, so they share counters.
//  * Groups of existing pods' terms that act on incoming pods (required anti-affinity for the
//    filter; preferred terms and required affinity for the score), keyed by term signature with
//    per-value counts of the pods carrying them: an incoming pod checks each distinct term once.
//  * Nodes per container image name (ImageLocality's spread factor).
// Counts cover the pods of the snapshot's nodes (nodes with a Node object), assumed pods included.
// Thread-safety: not thread-safe. The scheduling loop owns it (through its Snapshot): it updates
// it in SchedulerCache::UpdateSnapshot and reads it in PreFilter/Score; the filter shards only
// read count maps that nothing mutates while they run.
// Ownership: counters own their maps (pointers to them stay valid until the next snapshot
// update); keeps copies of the terms it counts. Failure: none.
#ifndef SKIFF_SCHEDULER_TOPOLOGY_INDEX_H_
#define SKIFF_SCHEDULER_TOPOLOGY_INDEX_H_

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "scheduler/node_info.h"

namespace skiff::scheduler {

using ValueCounts = absl::flat_hash_map<std::string, int64_t>;

// Counts for one topology key: value -> pods; zero entries are erased.
struct KeyCounts {
  std::string key;
  ValueCounts pods;
  int64_t total = 0;
  int64_t At(const std::string& value) const {
    auto it = pods.find(value);
    return it == pods.end() ? 0 : it->second;
  }
};

// What one counter counts. Terms: pods matching every term, counted per term's key on nodes with
// that key. Spread: non-terminating pods of `ns` matching the selector on eligible nodes.
struct Counter {
  enum class Kind { kTerms, kSpread };
  Kind kind = Kind::kTerms;
  std::vector<AffinityTerm> terms;       // kTerms
  PodInfo owner;                         // kSpread: ns, node affinity and tolerations of the pod
  SpreadConstraint constraint;           // kSpread
  std::vector<std::string> all_keys;     // kSpread: keys an eligible node must carry
  bool uses_namespace_labels = false;    // a term has a namespaceSelector
  std::vector<KeyCounts> keys;           // kTerms: one per term; kSpread: one
  ValueCounts domain_nodes;              // kSpread: value -> eligible nodes (the domains)
  std::map<int64_t, int64_t> histogram;  // kSpread: matching pods -> domains with that many
  uint64_t last_used = 0;

  // kSpread: the smallest matching count over all domains (0 when there is none).
  int64_t MinCount() const { return histogram.empty() ? 0 : histogram.begin()->first; }
  size_t NumDomains() const { return domain_nodes.size(); }
  bool MatchesPod(const PodInfo& pod, const NamespaceLabels& ns) const;
  bool NodeEligible(const NodeInfo& node) const;
};

// Existing pods carrying one term: value of the term's key -> how many.
struct TermGroup {
  AffinityTerm term;
  int64_t weight = 0;  // score groups: +weight (affinity), -weight (anti-affinity), 1 (required)
  ValueCounts counts;
  int64_t total = 0;
};

class TopologyIndex {
 public:
  // Snapshot updates without use after which a counter is dropped.
  static constexpr uint64_t kIdleTicks = 1000;

  // An empty index (SchedulerCache fills it through NodeChanged).
  TopologyIndex() = default;
  // An index over `snapshot` as it is now, ignoring the pod `exclude_key` (the pod being
  // scheduled, should it be placed already): what PreFilter uses for a snapshot without an index.
  static std::shared_ptr<TopologyIndex> Build(const Snapshot& snapshot, const std::string& exclude_key);

  // Incremental maintenance: `before` is the node version `snapshot` held (null: new to the
  // snapshot), `after` the one it holds now (null: the node left the snapshot).
  void NodeChanged(const Snapshot& snapshot, const NodeInfo* before, const NodeInfo* after);
  // Namespace labels changed: counters whose terms use namespaceSelector are dropped.
  void NamespacesChanged();
  // Once per snapshot update: ages and drops idle counters.
  void Tick();

  // Pods matching all of `pod`'s required affinity terms (keys[i] for term i).
  const Counter& RequiredAffinity(const PodInfo& pod, const Snapshot& snapshot);
  // Pods matching one term.
  const Counter& Term(const AffinityTerm& term, const Snapshot& snapshot);
  // The spread counts for one of `pod`'s constraints.
  const Counter& Spread(const PodInfo& pod, const SpreadConstraint& constraint, const Snapshot& snapshot);

  const absl::flat_hash_map<std::string, std::unique_ptr<TermGroup>>& anti_affinity_groups() const {
    return anti_groups_;
  }
  const absl::flat_hash_map<std::string, std::unique_ptr<TermGroup>>& score_groups() const {
    return score_groups_;
  }
  // Snapshot nodes listing `image` in status.images.
  int64_t NodesWithImage(const std::string& image) const;
  size_t NumCounters() const { return counters_.size(); }

 private:
  Counter* Find(const std::string& signature);
  Counter& Add(std::string signature, std::unique_ptr<Counter> fresh, const Snapshot& snapshot);
  void PodDelta(const NodeInfo& node, const PodInfo& pod, int64_t delta);
  void NodeDelta(const NodeInfo& node, int64_t delta);
  void GroupsDelta(const NodeInfo& node, const PodInfo& pod, int64_t delta);
  // Applies the pods in one list but not the other (by identity) to counters and groups.
  void DiffPods(const NodeInfo& before, const NodeInfo& after, bool all_pods);

  absl::flat_hash_map<std::string, std::unique_ptr<Counter>> counters_;
  absl::flat_hash_map<std::string, std::unique_ptr<TermGroup>> anti_groups_;
  absl::flat_hash_map<std::string, std::unique_ptr<TermGroup>> score_groups_;
  ValueCounts image_nodes_;
  const NamespaceLabels* namespaces_ = nullptr;  // the snapshot's, set by every entry point
  std::string exclude_key_;
  uint64_t ticks_ = 0;
  std::vector<const PodInfo*> scratch_before_, scratch_after_;
};

}  // namespace skiff::scheduler

#endif  // SKIFF_SCHEDULER_TOPOLOGY_INDEX_H_
