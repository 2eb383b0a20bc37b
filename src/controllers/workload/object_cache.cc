#include "controllers/workload/object_cache.h"

#include "api/object_meta.h"
#include "base/json.h"
#include "controllers/workload/workload_util.h"

namespace skiff::controllers {
namespace {

bool Matches(const std::string& index, const std::string& value, const boost::json::value& obj) {
  std::vector<std::string> values;
  if (index == kControllerUidIndex) {
    values = ControllerUidIndexValues(obj);
  } else if (index == kOrphanNamespaceIndex) {
    values = OrphanNamespaceIndexValues(obj);
  } else if (index == kNamespaceIndex) {
    values = NamespaceIndexValues(obj);
  }
  for (const std::string& v : values) {
    if (v == value) return true;
  }
  return false;
}

}  // namespace

std::vector<std::string> ControllerUidIndexValues(const boost::json::value& obj) {
  const boost::json::value* ref = api::ControllerRef(obj);
  if (ref == nullptr) return {};
  std::string uid = base::GetString(*ref, {"uid"});
  if (uid.empty()) return {};
  return {uid};
}

std::vector<std::string> OrphanNamespaceIndexValues(const boost::json::value& obj) {
  if (api::ControllerRef(obj) != nullptr) return {};
  return {api::Namespace(obj)};
}

std::vector<std::string> NamespaceIndexValues(const boost::json::value& obj) { return {api::Namespace(obj)}; }

void AddWorkloadIndexes(client::Informer& informer) {
  // Several controllers share one informer; Informer::AddIndex keeps the first registration.
  informer.AddIndex(kControllerUidIndex, ControllerUidIndexValues);
  informer.AddIndex(kOrphanNamespaceIndex, OrphanNamespaceIndexValues);
  informer.AddIndex(kNamespaceIndex, NamespaceIndexValues);
}

client::Object InformerCache::Get(const std::string& key) const { return informer_->Get(key); }

std::vector<client::Object> InformerCache::ByIndex(const std::string& index, const std::string& value) const {
  return informer_->ByIndex(index, value);
}

void MapCache::Set(const client::Object& obj) {
  std::lock_guard<std::mutex> lock(mu_);
  objects_[client::KeyOf(*obj)] = obj;
}

void MapCache::Remove(const std::string& key) {
  std::lock_guard<std::mutex> lock(mu_);
  objects_.erase(key);
}

void MapCache::Clear() {
  std::lock_guard<std::mutex> lock(mu_);
  objects_.clear();
}

void MapCache::Reset(const std::vector<client::Object>& objects) {
  std::lock_guard<std::mutex> lock(mu_);
  objects_.clear();
  for (const client::Object& obj : objects) objects_[client::KeyOf(*obj)] = obj;
}

client::Object MapCache::Get(const std::string& key) const {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = objects_.find(key);
  return it == objects_.end() ? nullptr : it->second;
}

std::vector<client::Object> MapCache::ByIndex(const std::string& index, const std::string& value) const {
  std::lock_guard<std::mutex> lock(mu_);
  std::vector<client::Object> out;
  for (const auto& [key, obj] : objects_) {
    if (Matches(index, value, *obj)) out.push_back(obj);
  }
  return out;
}

}  // namespace skiff::controllers
