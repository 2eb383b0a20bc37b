#include "client/informer.h"

#include <map>
#include <mutex>
#include <set>

#include "absl/strings/str_cat.h"
#include "api/object_meta.h"
#include "base/json.h"
#include "boost/json.hpp"
#include "client/reflector.h"

namespace skiff::client {

std::string MakeKey(const std::string& ns, const std::string& name) {
  return ns.empty() ? name : absl::StrCat(ns, "/", name);
}

std::string KeyOf(const boost::json::value& obj) { return MakeKey(api::Namespace(obj), api::Name(obj)); }

void SplitKey(const std::string& key, std::string* ns, std::string* name) {
  auto slash = key.find('/');
  if (slash == std::string::npos) {
    ns->clear();
    *name = key;
  } else {
    *ns = key.substr(0, slash);
    *name = key.substr(slash + 1);
  }
}

IndexFunc IndexByNamespace() {
  return [](const boost::json::value& obj) -> std::vector<std::string> {
    std::string ns = api::Namespace(obj);
    if (ns.empty()) return {};
    return {ns};
  };
}

IndexFunc IndexByOwnerUid() {
  return [](const boost::json::value& obj) {
    std::vector<std::string> out;
    const boost::json::array* refs = api::OwnerReferences(obj);
    if (refs == nullptr) return out;
    for (const auto& ref : *refs) {
      std::string uid = base::GetString(ref, {"uid"});
      if (!uid.empty()) out.push_back(std::move(uid));
    }
    return out;
  };
}

IndexFunc IndexByField(std::vector<std::string> path) {
  return [path = std::move(path)](const boost::json::value& obj) -> std::vector<std::string> {
    const boost::json::value* v = &obj;
    for (const auto& part : path) {
      v = base::Find(*v, part);
      if (v == nullptr) return {};
    }
    if (!v->is_string() || v->get_string().empty()) return {};
    return {std::string(v->get_string())};
  };
}

class Informer::Impl {
 public:
  Impl(Client* client, const api::ResourceInfo& resource, const Options& options)
      : reflector_(client, resource,
                   Reflector::Options{.ns = options.ns,
                                      .label_selector = options.label_selector,
                                      .field_selector = options.field_selector,
                                      .resync = options.resync},
                   Reflector::Callbacks{
                       .on_list = [this](const std::vector<Object>& items,
                                         const std::string&) { Replace(items); },
                       .on_event = [this](const WatchEvent& event) { Dispatch(event.type, event.object); },
                       .on_resync = [this] { Resync(); },
                   }) {}

  ~Impl() { Stop(); }

  void AddIndex(const std::string& name, IndexFunc func) {
    std::lock_guard<std::mutex> lock(mu_);
    if (indexes_.count(name)) return;  // shared informers: the first registration wins
    Index& index = indexes_[name];
    index.func = std::move(func);
    for (const auto& [key, obj] : items_) {
      for (auto& v : index.func(*obj)) index.values[v].insert(key);
    }
  }

  HandlerId AddHandlers(InformerHandlers handlers) {
    std::lock_guard<std::mutex> dispatch(dispatch_mu_);
    // A late registration hears about what is already cached, as adds.
    if (handlers.on_add) {
      for (const auto& obj : List()) handlers.on_add(obj);
    }
    HandlerId id = next_handler_id_++;
    handlers_.emplace(id, std::move(handlers));
    return id;
  }

  void RemoveHandlers(HandlerId id) {
    std::lock_guard<std::mutex> dispatch(dispatch_mu_);
    handlers_.erase(id);
  }

  void Start() { reflector_.Start(); }
  void Stop() { reflector_.Stop(); }
  bool HasSynced() const { return reflector_.HasListed(); }
  bool WaitForSync(absl::Duration timeout) { return reflector_.WaitForList(timeout); }

  Object Get(const std::string& key) const {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = items_.find(key);
    return it == items_.end() ? nullptr : it->second;
  }

  std::vector<Object> List() const {
    std::lock_guard<std::mutex> lock(mu_);
    std::vector<Object> out;
    out.reserve(items_.size());
    for (const auto& [key, obj] : items_) out.push_back(obj);
    return out;
  }

  std::vector<Object> ByIndex(const std::string& index, const std::string& value) const {
    std::lock_guard<std::mutex> lock(mu_);
    std::vector<Object> out;
    auto it = indexes_.find(index);
    if (it == indexes_.end()) return out;
    auto vit = it->second.values.find(value);
    if (vit == it->second.values.end()) return out;
    for (const auto& key : vit->second) {
      auto item = items_.find(key);
      if (item != items_.end()) out.push_back(item->second);
    }
    return out;
  }

  std::string LastSyncResourceVersion() const { return reflector_.LastResourceVersion(); }

  const api::ResourceInfo& resource() const { return reflector_.resource(); }

 private:
  struct Index {
    IndexFunc func;
    std::map<std::string, std::set<std::string>> values;  // index value -> keys
  };

  // A (re)list: objects gone from it are deleted, new or changed ones delivered.
  void Replace(const std::vector<Object>& items) {
    std::lock_guard<std::mutex> dispatch(dispatch_mu_);
    std::map<std::string, Object> fresh;
    for (const auto& obj : items) fresh[KeyOf(*obj)] = obj;
    std::vector<Object> removed;
    {
      std::lock_guard<std::mutex> lock(mu_);
      for (const auto& [key, obj] : items_) {
        if (!fresh.count(key)) removed.push_back(obj);
      }
    }
    for (const auto& obj : removed) Apply(WatchEventType::kDeleted, obj);
    for (const auto& [key, obj] : fresh) {
      Object old = Get(key);
      // Unchanged objects are not re-delivered on a relist.
      if (old && api::ResourceVersion(*old) == api::ResourceVersion(*obj)) continue;
      Apply(WatchEventType::kModified, obj);
    }
  }

  void Dispatch(WatchEventType type, const Object& obj) {
    std::lock_guard<std::mutex> dispatch(dispatch_mu_);
    Apply(type, obj);
  }

  void Resync() {
    std::lock_guard<std::mutex> dispatch(dispatch_mu_);
    for (const auto& obj : List()) {
      for (const auto& [id, h] : handlers_) {
        if (h.on_update) h.on_update(obj, obj);
      }
    }
  }

  // Updates the cache and tells the handlers. Caller holds dispatch_mu_.
  void Apply(WatchEventType type, const Object& obj) {
    if (!obj) return;
    std::string key = KeyOf(*obj);
    Object old;
    {
      std::lock_guard<std::mutex> lock(mu_);
      auto it = items_.find(key);
      if (it != items_.end()) old = it->second;
      if (old) Unindex(key, *old);
      if (type == WatchEventType::kDeleted) {
        items_.erase(key);
      } else {
        items_[key] = obj;
        Reindex(key, *obj);
      }
    }
    if (type == WatchEventType::kDeleted && !old) return;  // never seen: nothing to tell
    for (const auto& [id, h] : handlers_) {
      if (type == WatchEventType::kDeleted) {
        if (h.on_delete) h.on_delete(old);
      } else if (old) {
        if (h.on_update) h.on_update(old, obj);
      } else if (h.on_add) {
        h.on_add(obj);
      }
    }
  }

  void Unindex(const std::string& key, const boost::json::value& obj) {
    for (auto& [name, index] : indexes_) {
      for (const auto& v : index.func(obj)) {
        auto it = index.values.find(v);
        if (it == index.values.end()) continue;
        it->second.erase(key);
        if (it->second.empty()) index.values.erase(it);
      }
    }
  }

  void Reindex(const std::string& key, const boost::json::value& obj) {
    for (auto& [name, index] : indexes_) {
      for (auto& v : index.func(obj)) index.values[v].insert(key);
    }
  }

  // The cache.
  mutable std::mutex mu_;
  std::map<std::string, Object> items_;
  std::map<std::string, Index> indexes_;

  // Serializes cache changes with their handler calls, so handlers hear events in order.
  std::mutex dispatch_mu_;
  std::map<HandlerId, InformerHandlers> handlers_;  // in registration order
  HandlerId next_handler_id_ = 1;

  // Declared last: its thread calls into the members above, so it stops first.
  Reflector reflector_;
};

Informer::Informer(Client* client, const api::ResourceInfo& resource, Options options)
    : impl_(std::make_unique<Impl>(client, resource, std::move(options))) {}
Informer::~Informer() = default;

void Informer::AddIndex(const std::string& name, IndexFunc func) { impl_->AddIndex(name, std::move(func)); }
Informer::HandlerId Informer::AddHandlers(InformerHandlers handlers) { return impl_->AddHandlers(std::move(handlers)); }
void Informer::RemoveHandlers(HandlerId id) { impl_->RemoveHandlers(id); }
void Informer::Start() { impl_->Start(); }
void Informer::Stop() { impl_->Stop(); }
bool Informer::HasSynced() const { return impl_->HasSynced(); }
bool Informer::WaitForSync(absl::Duration timeout) { return impl_->WaitForSync(timeout); }
Object Informer::Get(const std::string& key) const { return impl_->Get(key); }
std::vector<Object> Informer::List() const { return impl_->List(); }
std::vector<Object> Informer::ByIndex(const std::string& index, const std::string& value) const {
  return impl_->ByIndex(index, value);
}
std::string Informer::LastSyncResourceVersion() const { return impl_->LastSyncResourceVersion(); }
const api::ResourceInfo& Informer::resource() const { return impl_->resource(); }

}  // namespace skiff::client
