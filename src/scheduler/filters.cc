#include "scheduler/filters.h"

#include <algorithm>
#include <iterator>
#include <limits>

namespace skiff::scheduler {
namespace {

constexpr char kUnschedulableTaintKey[] = "node.kubernetes.io/unschedulable";

}  // namespace

namespace {

// The checks behind each filter, shared by the detailed filters (which build reasons only for a
// failing node) and Feasible (which never allocates).
bool UnschedulableFits(const PodInfo& pod, const NodeInfo& node) {
  return !node.unschedulable() || Tolerated(pod.tolerations, Taint{kUnschedulableTaintKey, "", "NoSchedule"});
}

bool NodeNameFits(const PodInfo& pod, const NodeInfo& node) {
  return pod.node_name.empty() || pod.node_name == node.name();
}

const Taint* UntoleratedTaint(const PodInfo& pod, const NodeInfo& node) {
  for (const Taint& taint : node.taints()) {
    if (taint.effect != "NoSchedule" && taint.effect != "NoExecute") continue;
    if (!Tolerated(pod.tolerations, taint)) return &taint;
  }
  return nullptr;
}

bool PortsFit(const PodInfo& pod, const NodeInfo& node) {
  for (const HostPort& want : pod.host_ports) {
    for (const HostPort& used : node.used_ports()) {
      if (want.Conflicts(used)) return false;
    }
  }
  return true;
}

// Whether the pod's requests fit; with `reasons`, lists every shortfall, else stops at the first.
bool ResourcesFit(const PodInfo& pod, const NodeInfo& node, std::vector<std::string>* reasons) {
  bool fits = true;
  auto fail = [&](auto&& reason) {
    fits = false;
    if (reasons != nullptr) reasons->emplace_back(reason);
    return reasons == nullptr;  // stop now
  };
  const Resources& alloc = node.allocatable();
  const Resources& used = node.requested();
  const Resources& want = pod.requests;
  if (static_cast<int64_t>(node.pods().size()) + 1 > alloc.pods && fail("Too many pods")) return false;
  if (want.milli_cpu > 0 && want.milli_cpu > alloc.milli_cpu - used.milli_cpu && fail("Insufficient cpu"))
    return false;
  if (want.memory > 0 && want.memory > alloc.memory - used.memory && fail("Insufficient memory"))
    return false;
  if (want.ephemeral_storage > 0 &&
      want.ephemeral_storage > alloc.ephemeral_storage - used.ephemeral_storage &&
      fail("Insufficient ephemeral-storage")) {
    return false;
  }
  for (const auto& [name, amount] : want.scalar) {
    if (amount <= 0) continue;
    auto a = alloc.scalar.find(name);
    auto u = used.scalar.find(name);
    int64_t free = (a == alloc.scalar.end() ? 0 : a->second) - (u == used.scalar.end() ? 0 : u->second);
    if (amount > free && fail("Insufficient " + name)) return false;
  }
  return fits;
}

enum class SpreadVerdict { kOk, kMissingLabel, kSkew };

SpreadVerdict CheckSpread(const CycleState& state, const NodeInfo& node) {
  for (const SpreadItem& item : state.hard_spread.items) {
    const SpreadConstraint& c = *item.constraint;
    const std::string* value = node.Label(c.topology_key);
    if (value == nullptr) return SpreadVerdict::kMissingLabel;
    if (item.matches.At(*value) + (item.self_match ? 1 : 0) - item.min_count > c.max_skew)
      return SpreadVerdict::kSkew;
  }
  return SpreadVerdict::kOk;
}

enum class AffinityVerdict { kOk, kAffinity, kAntiAffinity, kExistingAntiAffinity };

AffinityVerdict CheckInterPodAffinity(const CycleState& state, const NodeInfo& node) {
  if (!state.affinity.empty()) {
    bool pods_exist = true;
    for (const KeySum& term : state.affinity) {
      const std::string* value = node.Label(term.key);
      if (value == nullptr) return AffinityVerdict::kAffinity;
      if (term.At(*value) <= 0) pods_exist = false;
    }
    // The first pod of a group that selects itself may go anywhere the topology keys exist.
    if (!pods_exist && !(state.affinity_self_match && !state.AffinityPodsExist()))
      return AffinityVerdict::kAffinity;
  }
  for (const KeySum& term : state.anti_affinity) {
    const std::string* value = node.Label(term.key);
    if (value != nullptr && term.At(*value) > 0) return AffinityVerdict::kAntiAffinity;
  }
  for (const KeySum& existing : state.existing_anti_affinity) {
    const std::string* value = node.Label(existing.key);
    if (value != nullptr && existing.At(*value) > 0) return AffinityVerdict::kExistingAntiAffinity;
  }
  return AffinityVerdict::kOk;
}

}  // namespace

FilterResult FilterNodeUnschedulable(const PodInfo& pod, const NodeInfo& node) {
  if (UnschedulableFits(pod, node)) return {};
  return FilterResult::Fail(FilterCode::kUnresolvable, "NodeUnschedulable", "node(s) were unschedulable");
}

FilterResult FilterNodeName(const PodInfo& pod, const NodeInfo& node) {
  if (NodeNameFits(pod, node)) return {};
  return FilterResult::Fail(FilterCode::kUnresolvable, "NodeName",
                            "node(s) didn't match the requested node name");
}

FilterResult FilterTaintToleration(const PodInfo& pod, const NodeInfo& node) {
  const Taint* taint = UntoleratedTaint(pod, node);
  if (taint == nullptr) return {};
  return FilterResult::Fail(FilterCode::kUnresolvable, "TaintToleration",
                            "node(s) had untolerated taint {" + taint->key + ": " + taint->value + "}");
}

FilterResult FilterNodeAffinity(const PodInfo& pod, const NodeInfo& node) {
  if (pod.MatchesNodeSelectorAndAffinity(node.labels(), node.name())) return {};
  return FilterResult::Fail(FilterCode::kUnresolvable, "NodeAffinity",
                            "node(s) didn't match Pod's node affinity/selector");
}

FilterResult FilterVolumeBinding(const PodInfo& pod, const NodeInfo& node) {
  const VolumeNodeConstraint* conflict = pod.VolumeConflict(node.labels(), node.name());
  if (conflict == nullptr) return {};
  return FilterResult::Fail(FilterCode::kUnresolvable, "VolumeBinding",
                            conflict->bound ? "node(s) had volume node affinity conflict"
                                            : "node(s) didn't find available persistent volumes to bind");
}

FilterResult FilterNodePorts(const PodInfo& pod, const NodeInfo& node) {
  if (PortsFit(pod, node)) return {};
  return FilterResult::Fail(FilterCode::kUnschedulable, "NodePorts",
                            "node(s) didn't have free ports for the requested pod ports");
}

FilterResult FilterNodeResourcesFit(const PodInfo& pod, const NodeInfo& node) {
  FilterResult result;
  if (ResourcesFit(pod, node, &result.reasons)) return {};
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

TopologyIndex& IndexFor(const PodInfo& pod, const Snapshot& snapshot, CycleState* state) {
  if (state->index == nullptr) {
    if (snapshot.topology != nullptr) {
      state->index = snapshot.topology.get();
    } else {
      state->owned_index = TopologyIndex::Build(snapshot, pod.key);
      state->index = state->owned_index.get();
    }
  }
  return *state->index;
}

void PreFilterPodTopologySpread(const PodInfo& pod, const Snapshot& snapshot, CycleState* state) {
  SpreadState& s = state->hard_spread;
  for (const SpreadConstraint& c : pod.spread_constraints) {
    if (!c.hard) continue;
    const Counter& counter = IndexFor(pod, snapshot, state).Spread(pod, c, snapshot);
    SpreadItem item;
    item.constraint = &c;
    item.counter = &counter;
    item.matches.key = c.topology_key;
    item.matches.sources.push_back(&counter.keys[0].pods);
    item.matches.total = counter.keys[0].total;
    bool too_few = counter.NumDomains() == 0 || static_cast<int64_t>(counter.NumDomains()) < c.min_domains;
    item.min_count = too_few ? 0 : counter.MinCount();
    item.self_match = c.selector.Matches(&pod.labels);
    s.items.push_back(std::move(item));
  }
}

FilterResult FilterPodTopologySpread(const CycleState& state, const NodeInfo& node) {
  switch (CheckSpread(state, node)) {
    case SpreadVerdict::kOk:
      return {};
    case SpreadVerdict::kMissingLabel:
      return FilterResult::Fail(
          FilterCode::kUnresolvable, "PodTopologySpread",
          "node(s) didn't match pod topology spread constraints (missing required label)");
    case SpreadVerdict::kSkew:
      break;
  }
  return FilterResult::Fail(FilterCode::kUnschedulable, "PodTopologySpread",
                            "node(s) didn't match pod topology spread constraints");
}

void PreFilterInterPodAffinity(const PodInfo& pod, const Snapshot& snapshot, CycleState* state) {
  TopologyIndex& index = IndexFor(pod, snapshot, state);
  const NamespaceLabels& ns = snapshot.namespace_labels;
  // Existing pods' anti-affinity: each distinct term is checked once, not once per pod carrying it.
  for (const auto& [signature, group] : index.anti_affinity_groups()) {
    if (!group->term.Matches(pod, ns)) continue;
    const std::string& key = group->term.topology_key;
    auto it = std::find_if(state->existing_anti_affinity.begin(), state->existing_anti_affinity.end(),
                           [&](const KeySum& k) { return k.key == key; });
    if (it == state->existing_anti_affinity.end()) {
      state->existing_anti_affinity.push_back(KeySum{key, {}, {}, 0});
      it = std::prev(state->existing_anti_affinity.end());
    }
    it->sources.push_back(&group->counts);
    it->total += group->total;
  }
  if (!pod.required_affinity.empty()) {
    const Counter& counter = index.RequiredAffinity(pod, snapshot);
    for (const KeyCounts& kc : counter.keys)
      state->affinity.push_back(KeySum{kc.key, {&kc.pods}, {}, kc.total});
    state->affinity_self_match = std::all_of(pod.required_affinity.begin(), pod.required_affinity.end(),
                                             [&](const AffinityTerm& t) { return t.Matches(pod, ns); });
  }
  for (const AffinityTerm& term : pod.required_anti_affinity) {
    const KeyCounts& kc = index.Term(term, snapshot).keys[0];
    state->anti_affinity.push_back(KeySum{kc.key, {&kc.pods}, {}, kc.total});
  }
}

FilterResult FilterInterPodAffinity(const CycleState& state, const NodeInfo& node) {
  switch (CheckInterPodAffinity(state, node)) {
    case AffinityVerdict::kOk:
      return {};
    case AffinityVerdict::kAffinity:
      return FilterResult::Fail(FilterCode::kUnresolvable, "InterPodAffinity",
                                "node(s) didn't match pod affinity rules");
    case AffinityVerdict::kAntiAffinity:
      return FilterResult::Fail(FilterCode::kUnschedulable, "InterPodAffinity",
                                "node(s) didn't match pod anti-affinity rules");
    case AffinityVerdict::kExistingAntiAffinity:
      break;
  }
  return FilterResult::Fail(FilterCode::kUnschedulable, "InterPodAffinity",
                            "node(s) didn't satisfy existing pods anti-affinity rules");
}

CycleState PreFilter(const PodInfo& pod, const Snapshot& snapshot) {
  CycleState state;
  state.pod = &pod;
  state.snapshot = &snapshot;
  IndexFor(pod, snapshot, &state);
  PreFilterInterPodAffinity(pod, snapshot, &state);
  PreFilterPodTopologySpread(pod, snapshot, &state);
  return state;
}

bool Feasible(const CycleState& state, const NodeInfo& node) {
  const PodInfo& pod = *state.pod;
  return UnschedulableFits(pod, node) && NodeNameFits(pod, node) && UntoleratedTaint(pod, node) == nullptr &&
         pod.MatchesNodeSelectorAndAffinity(node.labels(), node.name()) &&
         (pod.volume_constraints.empty() || pod.VolumeConflict(node.labels(), node.name()) == nullptr) &&
         PortsFit(pod, node) &&
         ResourcesFit(pod, node, nullptr) && CheckSpread(state, node) == SpreadVerdict::kOk &&
         CheckInterPodAffinity(state, node) == AffinityVerdict::kOk;
}

FilterResult RunFilters(const CycleState& state, const NodeInfo& node) {
  const PodInfo& pod = *state.pod;
  for (auto* filter : {&FilterNodeUnschedulable, &FilterNodeName, &FilterTaintToleration, &FilterNodeAffinity,
                       &FilterVolumeBinding, &FilterNodePorts, &FilterNodeResourcesFit}) {
    FilterResult r = filter(pod, node);
    if (!r.ok()) return r;
  }
  if (FilterResult r = FilterPodTopologySpread(state, node); !r.ok()) return r;
  return FilterInterPodAffinity(state, node);
}

}  // namespace skiff::scheduler
