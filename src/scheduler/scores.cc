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

std::vector<int64_t> ScoreInterPodAffinity(const PodInfo& pod, const Snapshot& snapshot,
                                           const std::vector<const NodeInfo*>& nodes) {
  std::vector<int64_t> out(nodes.size(), 0);
  const NamespaceLabels& ns = snapshot.namespace_labels;
  bool own_terms = !pod.preferred_affinity.empty() || !pod.preferred_anti_affinity.empty();
  TopologyCounts weights;
  auto add = [&](const NodeInfo& node, const AffinityTerm& term, int64_t w) {
    if (const std::string* v = node.Label(term.topology_key)) weights[term.topology_key][*v] += w;
  };
  for (const NodeInfoPtr& node : snapshot.nodes) {
    const auto& candidates = own_terms ? node->pods() : node->pods_with_affinity();
    for (const PodInfoPtr& existing : candidates) {
      if (existing->key == pod.key) continue;
      for (const AffinityTerm& t : pod.preferred_affinity) {
        if (t.Matches(*existing, ns)) add(*node, t, t.weight);
      }
      for (const AffinityTerm& t : pod.preferred_anti_affinity) {
        if (t.Matches(*existing, ns)) add(*node, t, -t.weight);
      }
      for (const AffinityTerm& t : existing->preferred_affinity) {
        if (t.Matches(pod, ns)) add(*node, t, t.weight);
      }
      for (const AffinityTerm& t : existing->preferred_anti_affinity) {
        if (t.Matches(pod, ns)) add(*node, t, -t.weight);
      }
      for (const AffinityTerm& t : existing->required_affinity) {  // hardPodAffinityWeight 1
        if (t.Matches(pod, ns)) add(*node, t, 1);
      }
    }
  }
  if (weights.empty()) return out;
  int64_t min = std::numeric_limits<int64_t>::max(), max = std::numeric_limits<int64_t>::min();
  for (size_t i = 0; i < nodes.size(); ++i) {
    for (const auto& [key, values] : weights) {
      if (const std::string* v = nodes[i]->Label(key)) out[i] += CountAt(weights, key, *v);
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
  std::vector<std::unordered_map<std::string, int64_t>> counts(soft.size());
  for (const NodeInfoPtr& node : snapshot.nodes) {
    for (size_t i = 0; i < soft.size(); ++i) {
      if (!NodeCountsForSpread(pod, *soft[i], *node)) continue;
      counts[i][*node->Label(soft[i]->topology_key)] += CountSpreadMatches(pod, *soft[i], *node);
    }
  }
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
      double weight = std::log(static_cast<double>(counts[i].size()) + 2);
      auto it = counts[i].find(*v);
      double count = it == counts[i].end() ? 0 : static_cast<double>(it->second);
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

std::vector<int64_t> ScoreNodes(const PodInfo& pod, const Snapshot& snapshot,
                                const std::vector<const NodeInfo*>& nodes) {
  std::vector<int64_t> total(nodes.size(), 0);
  std::vector<int64_t> affinity(nodes.size()), taints(nodes.size());
  for (size_t i = 0; i < nodes.size(); ++i) {
    total[i] += ScoreLeastAllocated(pod, *nodes[i]) + ScoreBalancedAllocation(pod, *nodes[i]);
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
