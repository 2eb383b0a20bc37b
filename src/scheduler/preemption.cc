#include "scheduler/preemption.h"

#include <algorithm>
#include <iterator>
#include <limits>
#include <map>
#include <optional>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "scheduler/filters.h"

namespace skiff::scheduler {
namespace {

constexpr char kNoVictims[] = "No preemption victims found for incoming pod";
constexpr char kNotHelpful[] = "Preemption is not helpful for scheduling";

// Updates the per-pod counts for `other` joining (+1) or leaving (-1) `node`, as kube-scheduler's
// PreFilter AddPod/RemovePod extensions do.
void AdjustState(CycleState* state, const NodeInfo& node, const PodInfo& other, int delta) {
  const PodInfo& pod = *state->pod;
  const NamespaceLabels& ns = state->snapshot->namespace_labels;
  for (const AffinityTerm& term : other.required_anti_affinity) {
    const std::string* v = node.Label(term.topology_key);
    if (v == nullptr || !term.Matches(pod, ns)) continue;
    auto& sums = state->existing_anti_affinity;
    auto it =
        std::find_if(sums.begin(), sums.end(), [&](const KeySum& k) { return k.key == term.topology_key; });
    if (it == sums.end()) {
      sums.push_back(KeySum{term.topology_key, {}, {}, 0});
      it = std::prev(sums.end());
    }
    it->Adjust(*v, delta);
  }
  if (!pod.required_affinity.empty() &&
      std::all_of(pod.required_affinity.begin(), pod.required_affinity.end(),
                  [&](const AffinityTerm& t) { return t.Matches(other, ns); })) {
    for (size_t i = 0; i < pod.required_affinity.size() && i < state->affinity.size(); ++i) {
      if (const std::string* v = node.Label(pod.required_affinity[i].topology_key))
        state->affinity[i].Adjust(*v, delta);
    }
  }
  for (size_t i = 0; i < pod.required_anti_affinity.size() && i < state->anti_affinity.size(); ++i) {
    const AffinityTerm& term = pod.required_anti_affinity[i];
    const std::string* v = node.Label(term.topology_key);
    if (v != nullptr && term.Matches(other, ns)) state->anti_affinity[i].Adjust(*v, delta);
  }
  for (SpreadItem& item : state->hard_spread.items) {
    const SpreadConstraint& c = *item.constraint;
    if (other.terminating || other.ns != pod.ns || !c.selector.Matches(&other.labels)) continue;
    if (!item.counter->NodeEligible(node)) continue;
    item.matches.Adjust(*node.Label(c.topology_key), delta);
    const auto& domains = item.counter->domain_nodes;
    int64_t min = std::numeric_limits<int64_t>::max();
    for (const auto& [value, nodes] : domains) min = std::min(min, item.matches.At(value));
    if (domains.empty() || static_cast<int64_t>(domains.size()) < c.min_domains) min = 0;
    item.min_count = min;
  }
}

struct Candidate {
  std::string node;
  std::vector<PodInfoPtr> victims;
  int32_t max_priority = std::numeric_limits<int32_t>::min();
  int64_t priority_sum = 0;
};

bool Better(const Candidate& a, const Candidate& b) {
  if (a.max_priority != b.max_priority) return a.max_priority < b.max_priority;
  if (a.priority_sum != b.priority_sum) return a.priority_sum < b.priority_sum;
  return a.victims.size() < b.victims.size();
}

// Tries to make room on one node; false when even removing every lower-priority pod does not help.
bool SelectVictims(const CycleState& base, const NodeInfo& original, Candidate* out) {
  const PodInfo& pod = *base.pod;
  std::vector<PodInfoPtr> lower;
  for (const PodInfoPtr& p : original.pods()) {
    if (p->priority < pod.priority) lower.push_back(p);
  }
  if (lower.empty()) return false;
  NodeInfo node = original;
  CycleState state = base;
  for (const PodInfoPtr& p : lower) {
    node.RemovePod(p->key);
    AdjustState(&state, node, *p, -1);
  }
  if (!RunFilters(state, node).ok()) return false;
  // Reprieve: add back the most important victims first while the pod still fits.
  std::stable_sort(lower.begin(), lower.end(),
                   [](const PodInfoPtr& a, const PodInfoPtr& b) { return a->priority > b->priority; });
  for (const PodInfoPtr& p : lower) {
    node.AddPod(p);
    AdjustState(&state, node, *p, +1);
    if (RunFilters(state, node).ok()) continue;
    node.RemovePod(p->key);
    AdjustState(&state, node, *p, -1);
    out->victims.push_back(p);
    out->max_priority = std::max(out->max_priority, p->priority);
    out->priority_sum += p->priority;
  }
  out->node = original.name();
  return !out->victims.empty();
}

}  // namespace

PreemptionResult FindPreemption(const PodInfo& pod, const Snapshot& snapshot, const ScheduleResult& failed) {
  PreemptionResult result;
  if (pod.preempt_never) return result;
  CycleState state = PreFilter(pod, snapshot);
  size_t no_victims = 0, not_helpful = 0;
  std::optional<Candidate> best;
  for (const auto& [idx, why] : failed.failures) {
    if (why.code == FilterCode::kUnresolvable) {
      ++not_helpful;
      continue;
    }
    Candidate c;
    if (!SelectVictims(state, *snapshot.nodes[idx], &c)) {
      ++no_victims;
      continue;
    }
    if (!best.has_value() || Better(c, *best)) best = std::move(c);
  }
  if (best.has_value()) {
    result.node = best->node;
    result.victims = std::move(best->victims);
    return result;
  }
  std::vector<std::string> parts;
  if (no_victims > 0) parts.push_back(absl::StrCat(no_victims, " ", kNoVictims));
  if (not_helpful > 0) parts.push_back(absl::StrCat(not_helpful, " ", kNotHelpful));
  std::sort(parts.begin(), parts.end());
  result.message = absl::StrCat("preemption: 0/", snapshot.nodes.size(),
                                " nodes are available: ", absl::StrJoin(parts, ", "), ".");
  return result;
}

}  // namespace skiff::scheduler
