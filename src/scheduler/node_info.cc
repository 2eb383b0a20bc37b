#include "scheduler/node_info.h"

#include <algorithm>
#include <mutex>
#include <string_view>
#include <utility>

#include "absl/container/node_hash_set.h"
#include "api/object_meta.h"
#include "base/json.h"

namespace skiff::scheduler {
namespace {

template <typename T>
bool EraseByKey(std::vector<PodInfoPtr>* pods, const T& key) {
  auto it = std::find_if(pods->begin(), pods->end(), [&](const PodInfoPtr& p) { return p->key == key; });
  if (it == pods->end()) return false;
  *it = std::move(pods->back());
  pods->pop_back();
  return true;
}

// One shared copy of each distinct label key (a cluster has few), never freed.
const std::string* InternLabelKey(std::string_view key) {
  static std::mutex mu;
  static auto* keys = new absl::node_hash_set<std::string>();
  std::lock_guard<std::mutex> lock(mu);
  return &*keys->emplace(key).first;
}

}  // namespace

const boost::json::value NodeInfo::kNoLabels;

void NodeInfo::SetNode(client::Object node) {
  node_ = std::move(node);
  const boost::json::value& n = *node_;
  const boost::json::value* labels = api::Labels(n);
  labels_ = labels != nullptr ? labels : &kNoLabels;
  label_list_.clear();
  if (labels_->is_object()) {
    for (const auto& [k, v] : labels_->as_object()) {
      if (v.is_string())
        label_list_.emplace_back(InternLabelKey(std::string_view(k.data(), k.size())),
                                 std::string(v.as_string()));
    }
  }
  const boost::json::value* allocatable = base::FindPath(n, {"status", "allocatable"});
  if (allocatable == nullptr) allocatable = base::FindPath(n, {"status", "capacity"});
  allocatable_ = Resources::FromResourceList(allocatable);
  taints_.clear();
  if (const boost::json::value* taints = base::FindPath(n, {"spec", "taints"});
      taints && taints->is_array()) {
    for (const auto& t : taints->as_array()) {
      taints_.push_back(
          {base::GetString(t, {"key"}), base::GetString(t, {"value"}), base::GetString(t, {"effect"})});
    }
  }
  unschedulable_ = base::GetBool(n, {"spec", "unschedulable"});
  images_.clear();
  if (const boost::json::value* images = base::FindPath(n, {"status", "images"});
      images != nullptr && images->is_array()) {
    for (const auto& image : images->as_array()) {
      int64_t size = base::GetInt(image, {"sizeBytes"});
      const boost::json::value* names = base::Find(image, "names");
      if (names == nullptr || !names->is_array()) continue;
      for (const auto& name : names->as_array()) {
        if (name.is_string()) images_[std::string(name.as_string())] = size;
      }
    }
  }
}

const std::string* NodeInfo::Label(const std::string& key) const {
  for (const auto& [k, v] : label_list_) {
    if (k->size() == key.size() && *k == key) return &v;
  }
  return nullptr;
}

void NodeInfo::AddPod(PodInfoPtr pod) {
  requested_.Add(pod->requests);
  non_zero_requested_.Add(pod->non_zero_requests);
  for (const auto& p : pod->host_ports) used_ports_.push_back(p);
  if (pod->HasAnyAffinity()) pods_with_affinity_.push_back(pod);
  if (!pod->required_anti_affinity.empty()) pods_with_required_anti_affinity_.push_back(pod);
  pods_.push_back(std::move(pod));
}

bool NodeInfo::RemovePod(const std::string& key) {
  auto it = std::find_if(pods_.begin(), pods_.end(), [&](const PodInfoPtr& p) { return p->key == key; });
  if (it == pods_.end()) return false;
  PodInfoPtr pod = *it;
  *it = std::move(pods_.back());
  pods_.pop_back();
  requested_.Sub(pod->requests);
  non_zero_requested_.Sub(pod->non_zero_requests);
  for (const auto& p : pod->host_ports) {
    auto used = std::find_if(used_ports_.begin(), used_ports_.end(), [&](const HostPort& u) {
      return u.port == p.port && u.protocol == p.protocol && u.ip == p.ip;
    });
    if (used != used_ports_.end()) used_ports_.erase(used);
  }
  EraseByKey(&pods_with_affinity_, key);
  EraseByKey(&pods_with_required_anti_affinity_, key);
  return true;
}

}  // namespace skiff::scheduler
