#include "scheduler/topology_index.h"

#include <algorithm>
#include <iterator>
#include <utility>

#include "absl/strings/str_cat.h"
#include "scheduler/filters.h"

namespace skiff::scheduler {
namespace {

// Adds `delta` to m[value], erasing the entry when it reaches zero.
void Bump(ValueCounts* m, const std::string& value, int64_t delta) {
  if (delta == 0) return;
  auto [it, inserted] = m->try_emplace(value, 0);
  it->second += delta;
  if (it->second == 0) m->erase(it);
}

void HistogramAdd(std::map<int64_t, int64_t>* h, int64_t count, int64_t delta) {
  auto it = h->try_emplace(count, 0).first;
  it->second += delta;
  if (it->second == 0) h->erase(it);
}

// Counts (+1) or uncounts (-1) one pod of `node` in a counter.
void ApplyPod(Counter* c, const NodeInfo& node, const PodInfo& pod, int64_t delta,
              const NamespaceLabels& ns) {
  if (!c->MatchesPod(pod, ns)) return;
  if (c->kind == Counter::Kind::kTerms) {
    for (KeyCounts& kc : c->keys) {
      if (const std::string* v = node.Label(kc.key)) {
        Bump(&kc.pods, *v, delta);
        kc.total += delta;
      }
    }
    return;
  }
  if (!c->NodeEligible(node)) return;
  const std::string& v = *node.Label(c->constraint.topology_key);
  KeyCounts& kc = c->keys[0];
  int64_t before = kc.At(v);
  Bump(&kc.pods, v, delta);
  kc.total += delta;
  HistogramAdd(&c->histogram, before, -1);
  HistogramAdd(&c->histogram, before + delta, +1);
}

// Spread domains: an eligible node joins (+1) or leaves (-1) its value's domain. Nodes join before
// their pods are counted and leave after, so a domain is created and dropped with zero pods.
void ApplyNode(Counter* c, const NodeInfo& node, int64_t delta) {
  if (c->kind != Counter::Kind::kSpread || !c->NodeEligible(node)) return;
  const std::string& v = *node.Label(c->constraint.topology_key);
  auto [it, inserted] = c->domain_nodes.try_emplace(v, 0);
  if (inserted) HistogramAdd(&c->histogram, c->keys[0].At(v), +1);
  it->second += delta;
  if (it->second <= 0) {
    c->domain_nodes.erase(it);
    HistogramAdd(&c->histogram, c->keys[0].At(v), -1);
  }
}

}  // namespace

bool Counter::MatchesPod(const PodInfo& pod, const NamespaceLabels& ns) const {
  if (kind == Kind::kSpread) {
    return !pod.terminating && pod.ns == owner.ns && constraint.selector.Matches(&pod.labels);
  }
  if (terms.empty()) return false;
  for (const AffinityTerm& t : terms) {
    if (!t.Matches(pod, ns)) return false;
  }
  return true;
}

bool Counter::NodeEligible(const NodeInfo& node) const {
  for (const std::string& key : all_keys) {
    if (node.Label(key) == nullptr) return false;
  }
  return NodeCountsForSpread(owner, constraint, node);
}

std::shared_ptr<TopologyIndex> TopologyIndex::Build(const Snapshot& snapshot,
                                                    const std::string& exclude_key) {
  auto index = std::make_shared<TopologyIndex>();
  index->exclude_key_ = exclude_key;
  for (const NodeInfoPtr& node : snapshot.nodes) index->NodeChanged(snapshot, nullptr, node.get());
  return index;
}

void TopologyIndex::NodeDelta(const NodeInfo& node, int64_t delta) {
  for (const auto& [image, size] : node.images()) Bump(&image_nodes_, image, delta);
  for (auto& [sig, counter] : counters_) ApplyNode(counter.get(), node, delta);
}

void TopologyIndex::GroupsDelta(const NodeInfo& node, const PodInfo& pod, int64_t delta) {
  auto add = [&](absl::flat_hash_map<std::string, std::unique_ptr<TermGroup>>* groups, std::string key,
                 const AffinityTerm& term, int64_t weight) {
    const std::string* v = node.Label(term.topology_key);
    if (v == nullptr) return;
    auto [it, inserted] = groups->try_emplace(std::move(key), nullptr);
    if (inserted) {
      it->second = std::make_unique<TermGroup>();
      it->second->term = term;
      it->second->weight = weight;
    }
    Bump(&it->second->counts, *v, delta);
    it->second->total += delta;
    if (it->second->total == 0) groups->erase(it);
  };
  for (const AffinityTerm& t : pod.required_anti_affinity) add(&anti_groups_, t.signature, t, 0);
  for (const AffinityTerm& t : pod.preferred_affinity) {
    add(&score_groups_, absl::StrCat("pa", t.weight, "|", t.signature), t, t.weight);
  }
  for (const AffinityTerm& t : pod.preferred_anti_affinity) {
    add(&score_groups_, absl::StrCat("pn", t.weight, "|", t.signature), t, -t.weight);
  }
  for (const AffinityTerm& t : pod.required_affinity) {  // kube-scheduler's hardPodAffinityWeight 1
    add(&score_groups_, absl::StrCat("ra|", t.signature), t, 1);
  }
}

void TopologyIndex::PodDelta(const NodeInfo& node, const PodInfo& pod, int64_t delta) {
  if (!exclude_key_.empty() && pod.key == exclude_key_) return;
  if (pod.HasAnyAffinity()) GroupsDelta(node, pod, delta);
  for (auto& [sig, counter] : counters_) ApplyPod(counter.get(), node, pod, delta, *namespaces_);
}

void TopologyIndex::DiffPods(const NodeInfo& before, const NodeInfo& after, bool all_pods) {
  const auto& old_list = all_pods ? before.pods() : before.pods_with_affinity();
  const auto& new_list = all_pods ? after.pods() : after.pods_with_affinity();
  if (old_list.empty() && new_list.empty()) return;
  auto collect = [](const std::vector<PodInfoPtr>& list, std::vector<const PodInfo*>* out) {
    out->clear();
    for (const PodInfoPtr& p : list) out->push_back(p.get());
    std::sort(out->begin(), out->end());
  };
  // The snapshot still holds `before`, so a pod that left is alive and its address not reused.
  collect(old_list, &scratch_before_);
  collect(new_list, &scratch_after_);
  std::vector<const PodInfo*> removed, added;
  std::set_difference(scratch_before_.begin(), scratch_before_.end(), scratch_after_.begin(),
                      scratch_after_.end(), std::back_inserter(removed));
  std::set_difference(scratch_after_.begin(), scratch_after_.end(), scratch_before_.begin(),
                      scratch_before_.end(), std::back_inserter(added));
  for (const PodInfo* p : removed) PodDelta(before, *p, -1);
  for (const PodInfo* p : added) PodDelta(after, *p, +1);
}

void TopologyIndex::NodeChanged(const Snapshot& snapshot, const NodeInfo* before, const NodeInfo* after) {
  namespaces_ = &snapshot.namespace_labels;
  if (before == after) return;
  bool same_node = before != nullptr && after != nullptr &&
                   (before->node() == after->node() ||
                    (before->labels() == after->labels() && before->taints() == after->taints()));
  if (same_node) {
    if (before->images() != after->images()) {
      for (const auto& [image, size] : before->images()) Bump(&image_nodes_, image, -1);
      for (const auto& [image, size] : after->images()) Bump(&image_nodes_, image, +1);
    }
    DiffPods(*before, *after, /*all_pods=*/!counters_.empty());
    return;
  }
  if (before != nullptr) {
    for (const PodInfoPtr& p : before->pods()) PodDelta(*before, *p, -1);
    NodeDelta(*before, -1);
  }
  if (after != nullptr) {
    NodeDelta(*after, +1);
    for (const PodInfoPtr& p : after->pods()) PodDelta(*after, *p, +1);
  }
}

void TopologyIndex::NamespacesChanged() {
  absl::erase_if(counters_, [](const auto& entry) { return entry.second->uses_namespace_labels; });
}

void TopologyIndex::Tick() {
  ++ticks_;
  if (ticks_ % 64 != 0) return;
  absl::erase_if(counters_,
                 [this](const auto& entry) { return ticks_ - entry.second->last_used > kIdleTicks; });
}

Counter* TopologyIndex::Find(const std::string& signature) {
  auto it = counters_.find(signature);
  if (it == counters_.end()) return nullptr;
  it->second->last_used = ticks_;
  return it->second.get();
}

Counter& TopologyIndex::Add(std::string signature, std::unique_ptr<Counter> fresh, const Snapshot& snapshot) {
  namespaces_ = &snapshot.namespace_labels;
  Counter* c = fresh.get();
  c->last_used = ticks_;
  for (const NodeInfoPtr& node : snapshot.nodes) {
    ApplyNode(c, *node, +1);
    for (const PodInfoPtr& p : node->pods()) {
      if (exclude_key_.empty() || p->key != exclude_key_) ApplyPod(c, *node, *p, +1, *namespaces_);
    }
  }
  counters_[std::move(signature)] = std::move(fresh);
  return *c;
}

const Counter& TopologyIndex::RequiredAffinity(const PodInfo& pod, const Snapshot& snapshot) {
  std::string sig = "A";
  for (const AffinityTerm& t : pod.required_affinity)
    absl::StrAppend(&sig, "|", t.signature.size(), ":", t.signature);
  if (Counter* c = Find(sig)) return *c;
  auto c = std::make_unique<Counter>();
  c->terms = pod.required_affinity;
  for (const AffinityTerm& t : c->terms) {
    c->keys.push_back(KeyCounts{t.topology_key, {}, 0});
    c->uses_namespace_labels |= t.namespace_selector.has_value();
  }
  return Add(std::move(sig), std::move(c), snapshot);
}

const Counter& TopologyIndex::Term(const AffinityTerm& term, const Snapshot& snapshot) {
  std::string sig = "T|" + term.signature;
  if (Counter* c = Find(sig)) return *c;
  auto c = std::make_unique<Counter>();
  c->terms = {term};
  c->keys.push_back(KeyCounts{term.topology_key, {}, 0});
  c->uses_namespace_labels = term.namespace_selector.has_value();
  return Add(std::move(sig), std::move(c), snapshot);
}

const Counter& TopologyIndex::Spread(const PodInfo& pod, const SpreadConstraint& constraint,
                                     const Snapshot& snapshot) {
  std::string sig = "S|" + constraint.signature;
  if (Counter* c = Find(sig)) return *c;
  auto c = std::make_unique<Counter>();
  c->kind = Counter::Kind::kSpread;
  c->constraint = constraint;
  c->owner.ns = pod.ns;
  c->owner.node_selector = pod.node_selector;
  c->owner.has_required_node_affinity = pod.has_required_node_affinity;
  c->owner.required_node_terms = pod.required_node_terms;
  c->owner.tolerations = pod.tolerations;
  if (constraint.hard) {
    for (const SpreadConstraint& other : pod.spread_constraints) {
      if (other.hard) c->all_keys.push_back(other.topology_key);
    }
  }
  c->keys.push_back(KeyCounts{constraint.topology_key, {}, 0});
  return Add(std::move(sig), std::move(c), snapshot);
}

int64_t TopologyIndex::NodesWithImage(const std::string& image) const {
  auto it = image_nodes_.find(image);
  return it == image_nodes_.end() ? 0 : it->second;
}

}  // namespace skiff::scheduler
