#include "controllers/replicaset/object_cache.h"

#include "base/json.h"
#include "controllers/replicaset/workload_util.h"

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
  const boost::json::object* ref = ControllerRefOf(obj);
  if (ref == nullptr) return {};
  std::string uid = base::GetString(*ref, {"uid"});
  if (uid.empty()) return {};
  return {uid};
}

std::vector<std::string> OrphanNamespaceIndexValues(const boost::json::value& obj) {
  if (ControllerRefOf(obj) != nullptr) return {};
  return {base::GetString(obj, {"metadata", "namespace"})};
}

std::vector<std::string> NamespaceIndexValues(const boost::json::value& obj) {
  return {base::GetString(obj, {"metadata", "namespace"})};
}

std::string JoinKey(const std::string& ns, const std::string& name) {
  return ns.empty() ? name : ns + "/" + name;
}

std::string ObjectKey(const boost::json::value& obj) {
  return JoinKey(base::GetString(obj, {"metadata", "namespace"}), base::GetString(obj, {"metadata", "name"}));
}

void SplitObjectKey(const std::string& key, std::string* ns, std::string* name) {
  size_t slash = key.find('/');
  if (slash == std::string::npos) {
    ns->clear();
    *name = key;
  } else {
    *ns = key.substr(0, slash);
    *name = key.substr(slash + 1);
  }
}

void MapCache::Set(const client::Object& obj) {
  std::lock_guard<std::mutex> lock(mu_);
  objects_[ObjectKey(*obj)] = obj;
}

void MapCache::Remove(const std::string& key) {
  std::lock_guard<std::mutex> lock(mu_);
  objects_.erase(key);
}

void MapCache::Clear() {
  std::lock_guard<std::mutex> lock(mu_);
  objects_.clear();
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
