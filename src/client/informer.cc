#include "client/informer.h"

#include <atomic>
#include <condition_variable>
#include <map>
#include <mutex>
#include <set>
#include <thread>

#include "absl/strings/str_cat.h"
#include "base/json.h"
#include "boost/json.hpp"
#include "spdlog/spdlog.h"

namespace skiff::client {

std::string MakeKey(const std::string& ns, const std::string& name) {
  return ns.empty() ? name : absl::StrCat(ns, "/", name);
}

std::string KeyOf(const boost::json::value& obj) {
  return MakeKey(base::GetString(obj, {"metadata", "namespace"}), base::GetString(obj, {"metadata", "name"}));
}

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
    std::string ns = base::GetString(obj, {"metadata", "namespace"});
    if (ns.empty()) return {};
    return {ns};
  };
}

IndexFunc IndexByOwnerUid() {
  return [](const boost::json::value& obj) {
    std::vector<std::string> out;
    const auto* refs = base::FindPath(obj, {"metadata", "ownerReferences"});
    if (refs == nullptr || !refs->is_array()) return out;
    for (const auto& ref : refs->get_array()) {
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

namespace {

constexpr absl::Duration kInitialBackoff = absl::Milliseconds(100);
constexpr absl::Duration kMaxBackoff = absl::Seconds(30);
// Watches are renewed now and then so a silently broken one cannot last forever.
constexpr int64_t kWatchTimeoutSeconds = 600;

}  // namespace

class Informer::Impl {
 public:
  Impl(Client* client, const api::ResourceInfo& resource, Options options)
      : client_(client), resource_(resource), options_(std::move(options)) {}

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

  void AddHandlers(InformerHandlers handlers) {
    std::lock_guard<std::mutex> dispatch(dispatch_mu_);
    // A late registration hears about what is already cached, as adds.
    if (handlers.on_add) {
      for (const auto& obj : List()) handlers.on_add(obj);
    }
    handlers_.push_back(std::move(handlers));
  }

  void Start() {
    std::lock_guard<std::mutex> lock(run_mu_);
    if (started_) return;
    started_ = true;
    stopping_ = false;
    thread_ = std::thread([this] { Run(); });
  }

  void Stop() {
    {
      std::lock_guard<std::mutex> lock(run_mu_);
      if (!started_) return;
      stopping_ = true;
    }
    run_cv_.notify_all();
    if (thread_.joinable()) thread_.join();
    std::lock_guard<std::mutex> lock(run_mu_);
    started_ = false;
  }

  bool HasSynced() const { return synced_.load(); }

  bool WaitForSync(absl::Duration timeout) {
    std::unique_lock<std::mutex> lock(mu_);
    synced_cv_.wait_for(lock, absl::ToChronoNanoseconds(timeout), [this] { return synced_.load(); });
    return synced_.load();
  }

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

  std::string LastSyncResourceVersion() const {
    std::lock_guard<std::mutex> lock(mu_);
    return resource_version_;
  }

  const api::ResourceInfo& resource() const { return resource_; }

 private:
  struct Index {
    IndexFunc func;
    std::map<std::string, std::set<std::string>> values;  // index value -> keys
  };

  void Run() {
    absl::Duration backoff = kInitialBackoff;
    bool need_list = true;
    absl::Time next_resync = NextResync();
    while (!Stopping()) {
      if (need_list) {
        absl::Status s = ListAndReplace();
        if (!s.ok()) {
          spdlog::warn("informer {}: list failed: {}", resource_.QualifiedPlural(), s.ToString());
          Sleep(backoff);
          backoff = std::min(backoff * 2, kMaxBackoff);
          continue;
        }
        need_list = false;
      }
      absl::Status ended = WatchOnce(&next_resync);
      if (Stopping()) break;
      if (absl::IsOutOfRange(ended)) {
        // 410 Expired: our resourceVersion is too old to resume from.
        need_list = true;
        continue;
      }
      if (!ended.ok()) {
        spdlog::warn("informer {}: watch ended: {}", resource_.QualifiedPlural(), ended.ToString());
        Sleep(backoff);
        backoff = std::min(backoff * 2, kMaxBackoff);
        continue;
      }
      backoff = kInitialBackoff;
    }
  }

  absl::Status ListAndReplace() {
    ListOptions lo;
    lo.label_selector = options_.label_selector;
    lo.field_selector = options_.field_selector;
    auto list = client_->List(resource_, options_.ns, lo);
    if (!list.ok()) return list.status();
    std::lock_guard<std::mutex> dispatch(dispatch_mu_);
    std::map<std::string, Object> fresh;
    for (auto& obj : list->items) fresh[KeyOf(*obj)] = obj;
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
      if (old && ResourceVersion(*old) == ResourceVersion(*obj)) continue;
      Apply(WatchEventType::kModified, obj);
    }
    {
      std::lock_guard<std::mutex> lock(mu_);
      resource_version_ = list->resource_version;
      synced_ = true;
    }
    synced_cv_.notify_all();
    return absl::OkStatus();
  }

  // Runs one watch until it ends; returns how it ended.
  absl::Status WatchOnce(absl::Time* next_resync) {
    WatchOptions wo;
    wo.label_selector = options_.label_selector;
    wo.field_selector = options_.field_selector;
    wo.resource_version = LastSyncResourceVersion();
    wo.bookmarks = true;
    wo.timeout_seconds = kWatchTimeoutSeconds;
    {
      std::lock_guard<std::mutex> lock(run_mu_);
      watch_ended_ = false;
      watch_status_ = absl::OkStatus();
    }
    auto handle = client_->Watch(
        resource_, options_.ns, wo,
        [this](const WatchEvent& event) {
          if (Stopping()) return false;
          std::lock_guard<std::mutex> dispatch(dispatch_mu_);
          Apply(event.type, event.object);
          return true;
        },
        [this](const absl::Status& status) {
          std::lock_guard<std::mutex> lock(run_mu_);
          watch_ended_ = true;
          watch_status_ = status;
          run_cv_.notify_all();
        });
    if (!handle.ok()) return handle.status();
    std::unique_lock<std::mutex> lock(run_mu_);
    while (!stopping_ && !watch_ended_) {
      if (*next_resync == absl::InfiniteFuture()) {
        run_cv_.wait(lock);
        continue;
      }
      run_cv_.wait_for(lock,
                       absl::ToChronoNanoseconds(std::max(*next_resync - absl::Now(), absl::ZeroDuration())));
      if (absl::Now() >= *next_resync) {
        lock.unlock();
        Resync();
        *next_resync = NextResync();
        lock.lock();
      }
    }
    absl::Status status = watch_status_;
    lock.unlock();
    handle->reset();  // joins the watch's delivery
    return status;
  }

  void Resync() {
    std::lock_guard<std::mutex> dispatch(dispatch_mu_);
    for (const auto& obj : List()) {
      for (const auto& h : handlers_) {
        if (h.on_update) h.on_update(obj, obj);
      }
    }
  }

  absl::Time NextResync() const {
    return options_.resync > absl::ZeroDuration() ? absl::Now() + options_.resync : absl::InfiniteFuture();
  }

  static std::string ResourceVersion(const boost::json::value& obj) {
    return base::GetString(obj, {"metadata", "resourceVersion"});
  }

  // Updates the cache and tells the handlers. Caller holds dispatch_mu_.
  void Apply(WatchEventType type, const Object& obj) {
    if (!obj) return;
    std::string rv = ResourceVersion(*obj);
    if (type == WatchEventType::kBookmark) {
      std::lock_guard<std::mutex> lock(mu_);
      if (!rv.empty()) resource_version_ = rv;
      return;
    }
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
      if (!rv.empty()) resource_version_ = rv;
    }
    if (type == WatchEventType::kDeleted && !old) return;  // never seen: nothing to tell
    for (const auto& h : handlers_) {
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

  bool Stopping() {
    std::lock_guard<std::mutex> lock(run_mu_);
    return stopping_;
  }

  void Sleep(absl::Duration d) {
    std::unique_lock<std::mutex> lock(run_mu_);
    run_cv_.wait_for(lock, absl::ToChronoNanoseconds(d), [this] { return stopping_; });
  }

  Client* client_;
  const api::ResourceInfo& resource_;
  const Options options_;

  // The cache.
  mutable std::mutex mu_;
  std::condition_variable synced_cv_;
  std::map<std::string, Object> items_;
  std::map<std::string, Index> indexes_;
  std::string resource_version_;
  std::atomic<bool> synced_{false};

  // Serializes cache changes with their handler calls, so handlers hear events in order.
  std::mutex dispatch_mu_;
  std::vector<InformerHandlers> handlers_;

  // The list/watch loop.
  std::mutex run_mu_;
  std::condition_variable run_cv_;
  bool started_ = false;
  bool stopping_ = false;
  bool watch_ended_ = false;
  absl::Status watch_status_;
  std::thread thread_;
};

Informer::Informer(Client* client, const api::ResourceInfo& resource, Options options)
    : impl_(std::make_unique<Impl>(client, resource, std::move(options))) {}
Informer::~Informer() = default;

void Informer::AddIndex(const std::string& name, IndexFunc func) { impl_->AddIndex(name, std::move(func)); }
void Informer::AddHandlers(InformerHandlers handlers) { impl_->AddHandlers(std::move(handlers)); }
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
