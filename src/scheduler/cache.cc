#include "scheduler/cache.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "api/object_meta.h"
#include "base/json.h"
#include "scheduler/topology_index.h"

namespace skiff::scheduler {

NodeInfo& SchedulerCache::MutableNode(const std::string& name) {
  dirty_.insert(name);
  auto& slot = nodes_[name];
  if (slot == nullptr) {
    slot = std::make_shared<NodeInfo>(name);
  } else if (slot.use_count() > 1) {
    slot = std::make_shared<NodeInfo>(*slot);  // a snapshot still reads the old version
  }
  return *slot;
}

void SchedulerCache::MaybeDropNodeLocked(const std::string& name) {
  auto it = nodes_.find(name);
  if (it != nodes_.end() && it->second->node() == nullptr && it->second->pods().empty()) {
    nodes_.erase(it);
    dirty_.insert(name);
  }
}

void SchedulerCache::AddOrUpdateNode(client::Object node) {
  std::lock_guard<std::mutex> lock(mu_);
  std::string name = api::Name(*node);
  MutableNode(name).SetNode(std::move(node));
}

void SchedulerCache::RemoveNode(const std::string& name) {
  std::lock_guard<std::mutex> lock(mu_);
  if (nodes_.find(name) == nodes_.end()) return;
  // Pods keep their accounting until they are deleted; the node just leaves the snapshot.
  MutableNode(name).ClearNode();
  MaybeDropNodeLocked(name);
}

void SchedulerCache::RemovePodLocked(const std::string& key) {
  auto it = pods_.find(key);
  if (it == pods_.end()) return;
  const std::string node = it->second.info->node_name;
  pods_.erase(it);
  if (nodes_.find(node) == nodes_.end()) return;
  MutableNode(node).RemovePod(key);
  MaybeDropNodeLocked(node);
}

void SchedulerCache::AddOrUpdatePod(PodInfoPtr pod) {
  std::lock_guard<std::mutex> lock(mu_);
  RemovePodLocked(pod->key);
  if (!PodActive(*pod) || pod->node_name.empty()) return;
  MutableNode(pod->node_name).AddPod(pod);
  std::string key = pod->key;
  pods_[key] = PodState{std::move(pod)};
}

void SchedulerCache::RemovePod(const std::string& key) {
  std::lock_guard<std::mutex> lock(mu_);
  RemovePodLocked(key);
}

absl::Status SchedulerCache::AssumePod(PodInfoPtr pod) {
  std::lock_guard<std::mutex> lock(mu_);
  if (pods_.count(pod->key) != 0)
    return absl::AlreadyExistsError(absl::StrCat("pod ", pod->key, " is already in the cache"));
  MutableNode(pod->node_name).AddPod(pod);
  std::string key = pod->key;
  PodState state{std::move(pod)};
  state.assumed = true;
  pods_[key] = std::move(state);
  return absl::OkStatus();
}

void SchedulerCache::FinishBinding(const std::string& key, absl::Time now) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = pods_.find(key);
  if (it == pods_.end() || !it->second.assumed) return;
  it->second.binding_finished = true;
  it->second.deadline = now + assumed_ttl_;
}

void SchedulerCache::ForgetPod(const std::string& key) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = pods_.find(key);
  if (it != pods_.end() && it->second.assumed) RemovePodLocked(key);
}

bool SchedulerCache::IsAssumed(const std::string& key) const {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = pods_.find(key);
  return it != pods_.end() && it->second.assumed;
}

void SchedulerCache::CleanupExpiredAssumedPods(absl::Time now) {
  std::lock_guard<std::mutex> lock(mu_);
  std::vector<std::string> expired;
  for (const auto& [key, state] : pods_) {
    if (state.assumed && state.binding_finished && state.deadline < now) expired.push_back(key);
  }
  for (const auto& key : expired) RemovePodLocked(key);
}

void SchedulerCache::SetNamespace(const std::string& name, const boost::json::value& labels) {
  std::lock_guard<std::mutex> lock(mu_);
  namespaces_[name] = labels;
  namespaces_dirty_ = true;
}

void SchedulerCache::RemoveNamespace(const std::string& name) {
  std::lock_guard<std::mutex> lock(mu_);
  namespaces_.erase(name);
  namespaces_dirty_ = true;
}

void SchedulerCache::UpdateSnapshot(Snapshot* snapshot) {
  std::lock_guard<std::mutex> lock(mu_);
  if (snapshot->topology == nullptr) {
    // Only a snapshot this cache fills has an index in step with it.
    snapshot->topology = TopologyIndex::Build(*snapshot, "");
  }
  TopologyIndex& topology = *snapshot->topology;
  topology.Tick();
  if (namespaces_dirty_) {
    snapshot->namespace_labels = namespaces_;
    namespaces_dirty_ = false;
    topology.NamespacesChanged();
  }
  for (const auto& name : dirty_) {
    auto it = nodes_.find(name);
    bool present = it != nodes_.end() && it->second->node() != nullptr;
    auto at = snapshot->index.find(name);
    const NodeInfo* before = at != snapshot->index.end() ? snapshot->nodes[at->second].get() : nullptr;
    // `before` stays referenced until the index has seen the change.
    NodeInfoPtr keep = at != snapshot->index.end() ? snapshot->nodes[at->second] : nullptr;
    if (present) {
      if (at == snapshot->index.end()) {
        snapshot->index[name] = snapshot->nodes.size();
        snapshot->nodes.push_back(it->second);
      } else {
        snapshot->nodes[at->second] = it->second;
      }
    } else if (at != snapshot->index.end()) {
      size_t slot = at->second;
      snapshot->index.erase(at);
      if (slot + 1 != snapshot->nodes.size()) {
        snapshot->nodes[slot] = std::move(snapshot->nodes.back());
        snapshot->index[snapshot->nodes[slot]->name()] = slot;
      }
      snapshot->nodes.pop_back();
    }
    topology.NodeChanged(*snapshot, before, present ? it->second.get() : nullptr);
  }
  dirty_.clear();
}

size_t SchedulerCache::NodeCount() const {
  std::lock_guard<std::mutex> lock(mu_);
  size_t n = 0;
  for (const auto& [name, info] : nodes_) n += info->node() != nullptr ? 1 : 0;
  return n;
}

size_t SchedulerCache::PodCount() const {
  std::lock_guard<std::mutex> lock(mu_);
  return pods_.size();
}

}  // namespace skiff::scheduler
