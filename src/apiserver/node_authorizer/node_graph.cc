#include "apiserver/node_authorizer/node_graph.h"

#include <mutex>

#include "apiserver/node_authorizer/pod_references.h"
#include "base/json.h"
#include "boost/json.hpp"

namespace skiff::apiserver::node_authorizer {
namespace {

char TypeTag(ObjectType type) {
  switch (type) {
    case ObjectType::kPod:
      return 'o';
    case ObjectType::kSecret:
      return 's';
    case ObjectType::kConfigMap:
      return 'c';
    case ObjectType::kClaim:
      return 'p';
    case ObjectType::kServiceAccount:
      return 'a';
    case ObjectType::kVolume:
      break;
  }
  return 'v';
}

// Names cannot hold '/', so the key is unambiguous.
std::string Key(ObjectType type, std::string_view ns, std::string_view name) {
  char tag = TypeTag(type);
  std::string key;
  key.reserve(ns.size() + name.size() + 3);
  key.append(1, tag).append("/").append(ns).append("/").append(name);
  return key;
}

std::string PodKey(std::string_view ns, std::string_view name) {
  return std::string(ns).append("/").append(name);
}

}  // namespace

void NodeGraph::UpsertPod(const boost::json::value& pod) {
  std::string ns = base::GetString(pod, {"metadata", "namespace"});
  std::string name = base::GetString(pod, {"metadata", "name"});
  std::string node = base::GetString(pod, {"spec", "nodeName"});
  PodEntry entry{.node = node, .keys = {}};
  if (!node.empty()) {
    PodReferences refs = ReferencesOf(pod);
    entry.keys.push_back(Key(ObjectType::kPod, ns, name));
    for (const auto& s : refs.secrets) entry.keys.push_back(Key(ObjectType::kSecret, ns, s));
    for (const auto& c : refs.config_maps) entry.keys.push_back(Key(ObjectType::kConfigMap, ns, c));
    for (const auto& c : refs.claims) entry.keys.push_back(Key(ObjectType::kClaim, ns, c));
    if (!refs.service_account.empty()) {
      entry.keys.push_back(Key(ObjectType::kServiceAccount, ns, refs.service_account));
    }
  }
  std::string pod_key = PodKey(ns, name);
  std::unique_lock lock(mu_);
  RemovePodLocked(pod_key);
  if (node.empty()) return;  // not scheduled: reaches nothing yet
  Counts& counts = reach_[node];
  for (const auto& k : entry.keys) ++counts[k];
  pods_.emplace(std::move(pod_key), std::move(entry));
}

void NodeGraph::RemovePod(std::string_view ns, std::string_view name) {
  std::unique_lock lock(mu_);
  RemovePodLocked(PodKey(ns, name));
}

void NodeGraph::RemovePodLocked(const std::string& pod_key) {
  auto it = pods_.find(pod_key);
  if (it == pods_.end()) return;
  auto node = reach_.find(it->second.node);
  if (node != reach_.end()) {
    for (const auto& k : it->second.keys) {
      auto c = node->second.find(k);
      if (c != node->second.end() && --c->second <= 0) node->second.erase(c);
    }
    if (node->second.empty()) reach_.erase(node);
  }
  pods_.erase(it);
}

void NodeGraph::UpsertVolume(const boost::json::value& pv) {
  std::string name = base::GetString(pv, {"metadata", "name"});
  VolumeEntry entry;
  std::string claim = base::GetString(pv, {"spec", "claimRef", "name"});
  if (!claim.empty()) {
    entry.claim_key = Key(ObjectType::kClaim, base::GetString(pv, {"spec", "claimRef", "namespace"}), claim);
  }
  for (const auto& [ns, secret] : SecretsOfVolume(pv))
    entry.secret_keys.push_back(Key(ObjectType::kSecret, ns, secret));
  std::unique_lock lock(mu_);
  RemoveVolumeLocked(name);
  for (const auto& s : entry.secret_keys) volumes_of_secret_[s].insert(name);
  volumes_.emplace(std::move(name), std::move(entry));
}

void NodeGraph::RemoveVolume(std::string_view name) {
  std::unique_lock lock(mu_);
  RemoveVolumeLocked(std::string(name));
}

void NodeGraph::RemoveVolumeLocked(const std::string& name) {
  auto it = volumes_.find(name);
  if (it == volumes_.end()) return;
  for (const auto& s : it->second.secret_keys) {
    auto v = volumes_of_secret_.find(s);
    if (v == volumes_of_secret_.end()) continue;
    v->second.erase(name);
    if (v->second.empty()) volumes_of_secret_.erase(v);
  }
  volumes_.erase(it);
}

bool NodeGraph::ReachesKeyLocked(const Counts& counts, const std::string& key) const {
  if (counts.contains(key)) return true;
  if (key.front() == TypeTag(ObjectType::kSecret)) {
    // A Secret a PersistentVolume names, when the node reaches that volume's claim.
    auto v = volumes_of_secret_.find(key);
    if (v == volumes_of_secret_.end()) return false;
    for (const auto& pv : v->second) {
      auto e = volumes_.find(pv);
      if (e != volumes_.end() && !e->second.claim_key.empty() && counts.contains(e->second.claim_key))
        return true;
    }
  }
  return false;
}

bool NodeGraph::Reaches(std::string_view node, ObjectType type, std::string_view ns,
                        std::string_view name) const {
  std::shared_lock lock(mu_);
  auto counts = reach_.find(std::string(node));
  if (counts == reach_.end()) return false;
  if (type == ObjectType::kVolume) {
    auto e = volumes_.find(std::string(name));
    return e != volumes_.end() && !e->second.claim_key.empty() &&
           counts->second.contains(e->second.claim_key);
  }
  return ReachesKeyLocked(counts->second, Key(type, ns, name));
}

std::string NodeGraph::NodeOfPod(std::string_view ns, std::string_view name) const {
  std::shared_lock lock(mu_);
  auto it = pods_.find(PodKey(ns, name));
  return it == pods_.end() ? "" : it->second.node;
}

size_t NodeGraph::pod_count() const {
  std::shared_lock lock(mu_);
  return pods_.size();
}

}  // namespace skiff::apiserver::node_authorizer
