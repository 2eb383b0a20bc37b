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
      : keep_bytes_(options.keep_bytes),
        reflector_(client, resource,
                   Reflector::Options{.ns = options.ns,
                                      .label_selector = options.label_selector,
                                      .field_selector = options.field_selector,
                                      .resync = options.resync},
                   Reflector::Callbacks{
                       .on_list = [this](const ObjectList& list) { Replace(list); },
                       .on_event = [this](const WatchEvent& event) { Dispatch(event); },
                       .on_resync = [this] { Resync(); },
                   }) {}

  ~Impl() { Stop(); }

  void AddIndex(const std::string& name, IndexFunc func) {
    std::lock_guard<std::mutex> lock(mu_);
    if (indexes_.count(name)) return;  // shared informers: the first registration wins
    Index& index = indexes_[name];
    index.func = std::move(func);
    for (const auto& [key, item] : items_) {
      Object obj = Decode(item);
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
    Item item;
    {
      std::lock_guard<std::mutex> lock(mu_);
      auto it = items_.find(key);
      if (it == items_.end()) return nullptr;
      item = it->second;
    }
    return Decode(item);
  }

  std::vector<Object> List() const {
    std::vector<Item> items;
    {
      std::lock_guard<std::mutex> lock(mu_);
      items.reserve(items_.size());
      for (const auto& [key, item] : items_) items.push_back(item);
    }
    return DecodeAll(items);  // outside the lock: decoding bytes takes a while
  }

  std::vector<Object> ByIndex(const std::string& index, const std::string& value) const {
    std::vector<Item> items;
    {
      std::lock_guard<std::mutex> lock(mu_);
      auto it = indexes_.find(index);
      if (it == indexes_.end()) return {};
      auto vit = it->second.values.find(value);
      if (vit == it->second.values.end()) return {};
      for (const auto& key : vit->second) {
        auto item = items_.find(key);
        if (item != items_.end()) items.push_back(item->second);
      }
    }
    return DecodeAll(items);
  }

  std::string LastSyncResourceVersion() const { return reflector_.LastResourceVersion(); }

  const api::ResourceInfo& resource() const { return reflector_.resource(); }

 private:
  struct Index {
    IndexFunc func;
    std::map<std::string, std::set<std::string>> values;  // index value -> keys
  };
  // A cached object: decoded, or (keep_bytes) only its bytes.
  struct Item {
    Object object;
    ObjectBytes bytes;
  };

  Item MakeItem(const Object& obj, const ObjectBytes& bytes) const {
    if (keep_bytes_ && bytes) return Item{nullptr, bytes};
    return Item{obj, nullptr};
  }

  static Object Decode(const Item& item) {
    if (item.object) return item.object;
    auto parsed = base::ParseJson(*item.bytes);
    // The bytes come from the client, which decoded them once already: failing is a broken invariant.
    if (!parsed.ok()) std::abort();
    if (auto* meta = parsed->is_object() ? parsed->as_object().if_contains("metadata") : nullptr;
        meta != nullptr && meta->is_object()) {
      meta->as_object().erase("managedFields");
    }
    return std::make_shared<const boost::json::value>(std::move(*parsed));
  }

  static std::vector<Object> DecodeAll(const std::vector<Item>& items) {
    std::vector<Object> out;
    out.reserve(items.size());
    for (const auto& item : items) out.push_back(Decode(item));
    return out;
  }

  // A (re)list: objects gone from it are deleted, new or changed ones delivered.
  void Replace(const ObjectList& list) {
    std::lock_guard<std::mutex> dispatch(dispatch_mu_);
    const bool with_bytes = list.item_bytes.size() == list.items.size();
    std::map<std::string, Item> fresh;
    for (size_t i = 0; i < list.items.size(); ++i) {
      fresh[KeyOf(*list.items[i])] = Item{list.items[i], with_bytes ? list.item_bytes[i] : nullptr};
    }
    std::vector<std::string> removed;
    {
      std::lock_guard<std::mutex> lock(mu_);
      for (const auto& [key, item] : items_) {
        if (!fresh.count(key)) removed.push_back(key);
      }
    }
    for (const auto& key : removed) {
      if (Object old = Get(key)) Apply(WatchEventType::kDeleted, old, nullptr);
    }
    for (const auto& [key, item] : fresh) {
      Object old = Get(key);
      // Unchanged objects are not re-delivered on a relist.
      if (old && api::ResourceVersion(*old) == api::ResourceVersion(*item.object)) continue;
      Apply(WatchEventType::kModified, item.object, item.bytes);
    }
  }

  void Dispatch(const WatchEvent& event) {
    std::lock_guard<std::mutex> dispatch(dispatch_mu_);
    Apply(event.type, event.object, event.bytes);
  }

  void Resync() {
    std::lock_guard<std::mutex> dispatch(dispatch_mu_);
    for (const auto& obj : List()) {
      for (const auto& [id, h] : handlers_) {
        if (h.on_update) h.on_update(obj, obj);
      }
    }
  }

  // Updates the cache and tells the handlers. Caller holds dispatch_mu_ (the only writer of
  // items_, so the item read before taking mu_ is still current when it is replaced).
  void Apply(WatchEventType type, const Object& obj, const ObjectBytes& bytes) {
    if (!obj) return;
    std::string key = KeyOf(*obj);
    Object old = Get(key);
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (old) Unindex(key, *old);
      if (type == WatchEventType::kDeleted) {
        items_.erase(key);
      } else {
        items_[key] = MakeItem(obj, bytes);
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
  std::map<std::string, Item> items_;
  std::map<std::string, Index> indexes_;

  // Serializes cache changes with their handler calls, so handlers hear events in order.
  std::mutex dispatch_mu_;
  std::map<HandlerId, InformerHandlers> handlers_;  // in registration order
  HandlerId next_handler_id_ = 1;

  const bool keep_bytes_;
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
