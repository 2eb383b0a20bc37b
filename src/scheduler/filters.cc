#include "scheduler/filters.h"

#include <algorithm>
#include <limits>

namespace skiff::scheduler {
namespace {

constexpr char kUnschedulableTaintKey[] = "node.kubernetes.io/unschedulable";

}  // namespace

FilterResult FilterNodeUnschedulable(const PodInfo& pod, const NodeInfo& node) {
  if (!node.unschedulable()) return {};
  if (Tolerated(pod.tolerations, Taint{kUnschedulableTaintKey, "", "NoSchedule"})) return {};
  return FilterResult::Fail(FilterCode::kUnresolvable, "NodeUnschedulable", "node(s) were unschedulable");
}

FilterResult FilterNodeName(const PodInfo& pod, const NodeInfo& node) {
  if (pod.node_name.empty() || pod.node_name == node.name()) return {};
  return FilterResult::Fail(FilterCode::kUnresolvable, "NodeName",
                            "node(s) didn't match the requested node name");
}

FilterResult FilterTaintToleration(const PodInfo& pod, const NodeInfo& node) {
  for (const Taint& taint : node.taints()) {
    if (taint.effect != "NoSchedule" && taint.effect != "NoExecute") continue;
    if (Tolerated(pod.tolerations, taint)) continue;
    return FilterResult::Fail(FilterCode::kUnresolvable, "TaintToleration",
                              "node(s) had untolerated taint {" + taint.key + ": " + taint.value + "}");
  }
  return {};
}

FilterResult FilterNodeAffinity(const PodInfo& pod, const NodeInfo& node) {
  if (pod.MatchesNodeSelectorAndAffinity(node.labels(), node.name())) return {};
  return FilterResult::Fail(FilterCode::kUnresolvable, "NodeAffinity",
                            "node(s) didn't match Pod's node affinity/selector");
}

FilterResult FilterNodePorts(const PodInfo& pod, const NodeInfo& node) {
  for (const HostPort& want : pod.host_ports) {
    for (const HostPort& used : node.used_ports()) {
      if (want.Conflicts(used)) {
        return FilterResult::Fail(FilterCode::kUnschedulable, "NodePorts",
                                  "node(s) didn't have free ports for the requested pod ports");
      }
    }
  }
  return {};
}

FilterResult FilterNodeResourcesFit(const PodInfo& pod, const NodeInfo& node) {
  FilterResult result;
  const Resources& alloc = node.allocatable();
  const Resources& used = node.requested();
  if (static_cast<int64_t>(node.pods().size()) + 1 > alloc.pods) result.reasons.push_back("Too many pods");
  const Resources& want = pod.requests;
  if (want.milli_cpu > 0 && want.milli_cpu > alloc.milli_cpu - used.milli_cpu) {
    result.reasons.push_back("Insufficient cpu");
  }
  if (want.memory > 0 && want.memory > alloc.memory - used.memory)
    result.reasons.push_back("Insufficient memory");
  if (want.ephemeral_storage > 0 &&
      want.ephemeral_storage > alloc.ephemeral_storage - used.ephemeral_storage) {
    result.reasons.push_back("Insufficient ephemeral-storage");
  }
  for (const auto& [name, amount] : want.scalar) {
    if (amount <= 0) continue;
    auto a = alloc.scalar.find(name);
    auto u = used.scalar.find(name);
    int64_t free = (a == alloc.scalar.end() ? 0 : a->second) - (u == used.scalar.end() ? 0 : u->second);
    if (amount > free) result.reasons.push_back("Insufficient " + name);
  }
  if (result.reasons.empty()) return {};
  result.code = FilterCode::kUnschedulable;
  result.plugin = "NodeResourcesFit";
  return result;
}

bool NodeCountsForSpread(const PodInfo& pod, const SpreadConstraint& constraint, const NodeInfo& node) {
  if (node.Label(constraint.topology_key) == nullptr) return false;
  if (constraint.honor_node_affinity && !pod.MatchesNodeSelectorAndAffinity(node.labels(), node.name())) {
    return false;
  }
  if (constraint.honor_taints) {
    for (const Taint& taint : node.taints()) {
      if ((taint.effect == "NoSchedule" || taint.effect == "NoExecute") &&
          !Tolerated(pod.tolerations, taint)) {
        return false;
      }
    }
  }
  return true;
}

int64_t CountSpreadMatches(const PodInfo& pod, const SpreadConstraint& constraint, const NodeInfo& node) {
  int64_t n = 0;
  for (const PodInfoPtr& other : node.pods()) {
    if (other->terminating || other->ns != pod.ns || other->key == pod.key) continue;
    if (constraint.selector.Matches(&other->labels)) ++n;
  }
  return n;
}

void PreFilterPodTopologySpread(const PodInfo& pod, const Snapshot& snapshot, CycleState* state) {
  SpreadState& s = state->hard_spread;
  for (const SpreadConstraint& c : pod.spread_constraints) {
    if (c.hard) s.constraints.push_back(&c);
  }
  if (s.constraints.empty()) return;
  s.counts.resize(s.constraints.size());
  for (const NodeInfoPtr& node : snapshot.nodes) {
    // Kubernetes only counts nodes carrying every constraint's topology key.
    bool has_all = std::all_of(s.constraints.begin(), s.constraints.end(), [&](const SpreadConstraint* c) {
      return node->Label(c->topology_key) != nullptr;
    });
    if (!has_all) continue;
    for (size_t i = 0; i < s.constraints.size(); ++i) {
      const SpreadConstraint& c = *s.constraints[i];
      if (!NodeCountsForSpread(pod, c, *node)) continue;
      s.counts[i][*node->Label(c.topology_key)] += CountSpreadMatches(pod, c, *node);
    }
  }
  for (size_t i = 0; i < s.constraints.size(); ++i) {
    int64_t min = std::numeric_limits<int64_t>::max();
    for (const auto& [value, count] : s.counts[i]) min = std::min(min, count);
    if (s.counts[i].empty() || static_cast<int64_t>(s.counts[i].size()) < s.constraints[i]->min_domains)
      min = 0;
    s.min_counts.push_back(min);
  }
}

FilterResult FilterPodTopologySpread(const CycleState& state, const NodeInfo& node) {
  const SpreadState& s = state.hard_spread;
  for (size_t i = 0; i < s.constraints.size(); ++i) {
    const SpreadConstraint& c = *s.constraints[i];
    const std::string* value = node.Label(c.topology_key);
    if (value == nullptr) {
      return FilterResult::Fail(
          FilterCode::kUnresolvable, "PodTopologySpread",
          "node(s) didn't match pod topology spread constraints (missing required label)");
    }
    auto it = s.counts[i].find(*value);
    int64_t matches = it == s.counts[i].end() ? 0 : it->second;
    int64_t self = c.selector.Matches(&state.pod->labels) ? 1 : 0;
    if (matches + self - s.min_counts[i] > c.max_skew) {
      return FilterResult::Fail(FilterCode::kUnschedulable, "PodTopologySpread",
                                "node(s) didn't match pod topology spread constraints");
    }
  }
  return {};
}

void PreFilterInterPodAffinity(const PodInfo& pod, const Snapshot& snapshot, CycleState* state) {
  const NamespaceLabels& ns = snapshot.namespace_labels;
  bool own_terms = !pod.required_affinity.empty() || !pod.required_anti_affinity.empty();
  for (const NodeInfoPtr& node : snapshot.nodes) {
    for (const PodInfoPtr& existing : node->pods_with_required_anti_affinity()) {
      if (existing->key == pod.key) continue;
      for (const AffinityTerm& term : existing->required_anti_affinity) {
        const std::string* value = node->Label(term.topology_key);
        if (value != nullptr && term.Matches(pod, ns))
          ++state->existing_anti_affinity_counts[term.topology_key][*value];
      }
    }
    if (!own_terms) continue;
    for (const PodInfoPtr& existing : node->pods()) {
      if (existing->key == pod.key) continue;
      if (!pod.required_affinity.empty() &&
          std::all_of(pod.required_affinity.begin(), pod.required_affinity.end(),
                      [&](const AffinityTerm& t) { return t.Matches(*existing, ns); })) {
        for (const AffinityTerm& term : pod.required_affinity) {
          if (const std::string* value = node->Label(term.topology_key)) {
            ++state->affinity_counts[term.topology_key][*value];
          }
        }
      }
      for (const AffinityTerm& term : pod.required_anti_affinity) {
        const std::string* value = node->Label(term.topology_key);
        if (value != nullptr && term.Matches(*existing, ns))
          ++state->anti_affinity_counts[term.topology_key][*value];
      }
    }
  }
}

FilterResult FilterInterPodAffinity(const CycleState& state, const NodeInfo& node) {
  const PodInfo& pod = *state.pod;
  if (!pod.required_affinity.empty()) {
    bool pods_exist = true;
    for (const AffinityTerm& term : pod.required_affinity) {
      const std::string* value = node.Label(term.topology_key);
      if (value == nullptr) {
        return FilterResult::Fail(FilterCode::kUnresolvable, "InterPodAffinity",
                                  "node(s) didn't match pod affinity rules");
      }
      if (CountAt(state.affinity_counts, term.topology_key, *value) <= 0) pods_exist = false;
    }
    if (!pods_exist) {
      // The first pod of a group that selects itself may go anywhere the topology keys exist.
      bool self_match =
          state.affinity_counts.empty() &&
          std::all_of(pod.required_affinity.begin(), pod.required_affinity.end(), [&](const AffinityTerm& t) {
            return t.Matches(pod, state.snapshot->namespace_labels);
          });
      if (!self_match) {
        return FilterResult::Fail(FilterCode::kUnresolvable, "InterPodAffinity",
                                  "node(s) didn't match pod affinity rules");
      }
    }
  }
  for (const AffinityTerm& term : pod.required_anti_affinity) {
    const std::string* value = node.Label(term.topology_key);
    if (value != nullptr && CountAt(state.anti_affinity_counts, term.topology_key, *value) > 0) {
      return FilterResult::Fail(FilterCode::kUnschedulable, "InterPodAffinity",
                                "node(s) didn't match pod anti-affinity rules");
    }
  }
  for (const auto& [key, values] : state.existing_anti_affinity_counts) {
    const std::string* value = node.Label(key);
    if (value == nullptr) continue;
    auto it = values.find(*value);
    if (it != values.end() && it->second > 0) {
      return FilterResult::Fail(FilterCode::kUnschedulable, "InterPodAffinity",
                                "node(s) didn't satisfy existing pods anti-affinity rules");
    }
  }
  return {};
}

CycleState PreFilter(const PodInfo& pod, const Snapshot& snapshot) {
  CycleState state;
  state.pod = &pod;
  state.snapshot = &snapshot;
  PreFilterInterPodAffinity(pod, snapshot, &state);
  PreFilterPodTopologySpread(pod, snapshot, &state);
  return state;
}

FilterResult RunFilters(const CycleState& state, const NodeInfo& node) {
  const PodInfo& pod = *state.pod;
  for (auto* filter : {&FilterNodeUnschedulable, &FilterNodeName, &FilterTaintToleration, &FilterNodeAffinity,
                       &FilterNodePorts, &FilterNodeResourcesFit}) {
    FilterResult r = filter(pod, node);
    if (!r.ok()) return r;
  }
  if (FilterResult r = FilterPodTopologySpread(state, node); !r.ok()) return r;
  return FilterInterPodAffinity(state, node);
}

}  // namespace skiff::scheduler
