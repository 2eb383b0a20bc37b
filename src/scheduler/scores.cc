#include "scheduler/scores.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include "scheduler/filters.h"

namespace skiff::scheduler {
namespace {

int64_t LeastAllocatedFor(int64_t requested, int64_t allocatable) {
  if (allocatable <= 0 || requested > allocatable) return 0;
  return (allocatable - requested) * kMaxNodeScore / allocatable;
}

double Fraction(int64_t requested, int64_t allocatable) {
  if (allocatable <= 0) return 1.0;
  return std::min(1.0, static_cast<double>(requested) / static_cast<double>(allocatable));
}

}  // namespace

int64_t ScoreLeastAllocated(const PodInfo& pod, const NodeInfo& node) {
  const Resources& used = node.non_zero_requested();
  const Resources& alloc = node.allocatable();
  int64_t cpu = LeastAllocatedFor(used.milli_cpu + pod.non_zero_requests.milli_cpu, alloc.milli_cpu);
  int64_t mem = LeastAllocatedFor(used.memory + pod.non_zero_requests.memory, alloc.memory);
  return (cpu + mem) / 2;
}

int64_t ScoreBalancedAllocation(const PodInfo& pod, const NodeInfo& node) {
  const Resources& used = node.non_zero_requested();
  const Resources& alloc = node.allocatable();
  double cpu = Fraction(used.milli_cpu + pod.non_zero_requests.milli_cpu, alloc.milli_cpu);
  double mem = Fraction(used.memory + pod.non_zero_requests.memory, alloc.memory);
  double std_dev = std::abs(cpu - mem) / 2;  // the standard deviation of two values
  return static_cast<int64_t>((1 - std_dev) * kMaxNodeScore);
}

int64_t ScoreNodeAffinityRaw(const PodInfo& pod, const NodeInfo& node) {
  int64_t sum = 0;
  for (const auto& pref : pod.preferred_node_terms) {
    if (pref.weight != 0 && pref.term.Matches(node.labels(), node.name())) sum += pref.weight;
  }
  return sum;
}

int64_t ScoreTaintTolerationRaw(const PodInfo& pod, const NodeInfo& node) {
  int64_t n = 0;
  for (const Taint& taint : node.taints()) {
    if (taint.effect != "PreferNoSchedule") continue;
    bool tolerated = false;
    for (const Toleration& t : pod.tolerations) {
      if ((t.effect.empty() || t.effect == "PreferNoSchedule") && t.Tolerates(taint)) tolerated = true;
    }
    if (!tolerated) ++n;
  }
  return n;
}

void NormalizeToMax(std::vector<int64_t>* scores, bool reverse) {
  int64_t max = 0;
  for (int64_t s : *scores) max = std::max(max, s);
  for (int64_t& s : *scores) {
    if (max == 0) {
      s = reverse ? kMaxNodeScore : 0;
    } else {
      s = s * kMaxNodeScore / max;
      if (reverse) s = kMaxNodeScore - s;
    }
  }
}

namespace {

// The snapshot's TopologyIndex, or a temporary one kept alive by *holder.
TopologyIndex& IndexOf(const PodInfo& pod, const Snapshot& snapshot, std::shared_ptr<TopologyIndex>* holder) {
  if (snapshot.topology != nullptr) return *snapshot.topology;
  if (*holder == nullptr) *holder = TopologyIndex::Build(snapshot, pod.key);
  return **holder;
}

struct WeightedCounts {
  const std::string* key;
  int64_t weight;
  const ValueCounts* counts;
};

}  // namespace

std::vector<int64_t> ScoreInterPodAffinity(const PodInfo& pod, const Snapshot& snapshot,
                                           const std::vector<const NodeInfo*>& nodes) {
  std::vector<int64_t> out(nodes.size(), 0);
  std::shared_ptr<TopologyIndex> holder;
  TopologyIndex& index = IndexOf(pod, snapshot, &holder);
  const NamespaceLabels& ns = snapshot.namespace_labels;
  std::vector<WeightedCounts> parts;
  for (const AffinityTerm& t : pod.preferred_affinity) {
    const KeyCounts& kc = index.Term(t, snapshot).keys[0];
    if (kc.total != 0) parts.push_back({&t.topology_key, t.weight, &kc.pods});
  }
  for (const AffinityTerm& t : pod.preferred_anti_affinity) {
    const KeyCounts& kc = index.Term(t, snapshot).keys[0];
    if (kc.total != 0) parts.push_back({&t.topology_key, -int64_t{t.weight}, &kc.pods});
  }
  // Existing pods' preferred terms and required affinity, one check per distinct term.
  for (const auto& [signature, group] : index.score_groups()) {
    if (group->term.Matches(pod, ns))
      parts.push_back({&group->term.topology_key, group->weight, &group->counts});
  }
  if (parts.empty()) return out;
  int64_t min = std::numeric_limits<int64_t>::max(), max = std::numeric_limits<int64_t>::min();
  for (size_t i = 0; i < nodes.size(); ++i) {
    for (const WeightedCounts& part : parts) {
      const std::string* v = nodes[i]->Label(*part.key);
      if (v == nullptr) continue;
      auto it = part.counts->find(*v);
      if (it != part.counts->end()) out[i] += part.weight * it->second;
    }
    min = std::min(min, out[i]);
    max = std::max(max, out[i]);
  }
  for (int64_t& s : out) s = max > min ? kMaxNodeScore * (s - min) / (max - min) : 0;
  return out;
}

std::vector<int64_t> ScorePodTopologySpread(const PodInfo& pod, const Snapshot& snapshot,
                                            const std::vector<const NodeInfo*>& nodes) {
  std::vector<int64_t> out(nodes.size(), 0);
  std::vector<const SpreadConstraint*> soft;
  for (const SpreadConstraint& c : pod.spread_constraints) {
    if (!c.hard) soft.push_back(&c);
  }
  if (soft.empty()) return out;
  std::shared_ptr<TopologyIndex> holder;
  TopologyIndex& index = IndexOf(pod, snapshot, &holder);
  std::vector<const Counter*> counters;
  for (const SpreadConstraint* c : soft) counters.push_back(&index.Spread(pod, *c, snapshot));
  std::vector<bool> ignored(nodes.size(), false);
  double min = std::numeric_limits<double>::max(), max = 0;
  std::vector<double> raw(nodes.size(), 0);
  for (size_t n = 0; n < nodes.size(); ++n) {
    for (size_t i = 0; i < soft.size(); ++i) {
      const std::string* v = nodes[n]->Label(soft[i]->topology_key);
      if (v == nullptr) {
        ignored[n] = true;
        break;
      }
      // Like Kubernetes: more domains weigh a constraint more; skew headroom offsets the count.
      double weight = std::log(static_cast<double>(counters[i]->NumDomains()) + 2);
      double count = static_cast<double>(counters[i]->keys[0].At(*v));
      raw[n] += count * weight + (soft[i]->max_skew - 1);
    }
    if (ignored[n]) continue;
    min = std::min(min, raw[n]);
    max = std::max(max, raw[n]);
  }
  for (size_t n = 0; n < nodes.size(); ++n) {
    if (ignored[n]) continue;
    out[n] = max == 0 ? kMaxNodeScore : static_cast<int64_t>(kMaxNodeScore * (max + min - raw[n]) / max);
  }
  return out;
}

int64_t ScoreImageLocality(const PodInfo& pod, const NodeInfo& node, const TopologyIndex& index,
                           size_t total_nodes) {
  int64_t sum = 0;
  if (!node.images().empty() && total_nodes > 0) {
    for (const std::string& image : pod.images) {
      auto it = node.images().find(image);
      if (it == node.images().end()) continue;
      double spread = static_cast<double>(index.NodesWithImage(image)) / static_cast<double>(total_nodes);
      sum += static_cast<int64_t>(static_cast<double>(it->second) * spread);
    }
  }
  // kube-scheduler's calculatePriority: clamp to [23 MB, 1000 MB x containers], scale to 0..100.
  const int64_t max_threshold = kImageMaxContainerThreshold * static_cast<int64_t>(pod.images.size());
  if (sum < kImageMinThreshold) {
    sum = kImageMinThreshold;
  } else if (sum > max_threshold) {
    sum = max_threshold;
  }
  return kMaxNodeScore * (sum - kImageMinThreshold) / (max_threshold - kImageMinThreshold);
}

std::vector<int64_t> ScoreNodes(const PodInfo& pod, const Snapshot& snapshot,
                                const std::vector<const NodeInfo*>& nodes) {
  std::shared_ptr<TopologyIndex> holder;
  TopologyIndex& index = IndexOf(pod, snapshot, &holder);
  std::vector<int64_t> total(nodes.size(), 0);
  std::vector<int64_t> affinity(nodes.size()), taints(nodes.size());
  for (size_t i = 0; i < nodes.size(); ++i) {
    total[i] += ScoreLeastAllocated(pod, *nodes[i]) + ScoreBalancedAllocation(pod, *nodes[i]) +
                ScoreImageLocality(pod, *nodes[i], index, snapshot.nodes.size());
    affinity[i] = ScoreNodeAffinityRaw(pod, *nodes[i]);
    taints[i] = ScoreTaintTolerationRaw(pod, *nodes[i]);
  }
  NormalizeToMax(&affinity, false);
  NormalizeToMax(&taints, true);
  std::vector<int64_t> inter_pod = ScoreInterPodAffinity(pod, snapshot, nodes);
  std::vector<int64_t> spread = ScorePodTopologySpread(pod, snapshot, nodes);
  for (size_t i = 0; i < nodes.size(); ++i) {
    total[i] += 2 * affinity[i] + 3 * taints[i] + 2 * inter_pod[i] + 2 * spread[i];
  }
  return total;
}

}  // namespace skiff::scheduler
