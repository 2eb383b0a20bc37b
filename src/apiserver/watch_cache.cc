#include "apiserver/watch_cache.h"

#include <algorithm>
#include <cstdint>
#include <deque>
#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "api/object_meta.h"
#include "base/json.h"
#include "base/wakeup.h"
#include "spdlog/spdlog.h"

namespace skiff::apiserver {

const char* EventTypeName(EventType t) {
  switch (t) {
    case EventType::kAdded:
      return "ADDED";
    case EventType::kModified:
      return "MODIFIED";
    case EventType::kDeleted:
      return "DELETED";
    case EventType::kBookmark:
      return "BOOKMARK";
    case EventType::kError:
      return "ERROR";
  }
  return "ERROR";
}

namespace {

// Guards CachedObject::line_: a few mutexes shared by all objects (picked by address) rather than
// one in each of possibly millions of objects.
std::mutex& LinesMutex(const void* object) {
  static std::mutex stripes[64];
  return stripes[(reinterpret_cast<uintptr_t>(object) >> 6) % 64];
}

}  // namespace

std::shared_ptr<const std::string> CachedObject::EventLine(EventType type) const {
  int slot = static_cast<int>(type);
  if (slot < 0 || slot > 2) return nullptr;
  std::lock_guard<std::mutex> lock(LinesMutex(this));
  // Held weakly: the line lives while watch streams still have it queued, not as long as the object
  // (which would keep a second copy of every object's JSON that an HTTP watcher ever saw).
  std::shared_ptr<const std::string> line = line_type_ == type ? line_.lock() : nullptr;
  if (!line) {
    line = std::make_shared<const std::string>(
        absl::StrCat("{\"type\":\"", EventTypeName(type), "\",\"object\":", json, "}\n"));
    line_ = line;
    line_type_ = type;
  }
  return line;
}

namespace {

struct Watcher {
  std::string key_prefix;
  ObjectFilter filter;
  std::shared_ptr<WatchListener> listener;
  // Held while a fan-out delivers to this watcher; StopWatch takes it to set `stopped`, so once
  // StopWatch returns no event is being or will be delivered (listeners may point at their owner).
  std::mutex delivery_mu;
  bool stopped = false;
};

struct HistoryEvent {
  bool deleted = false;
  ObjectPtr object;
  ObjectPtr prev;
  absl::Time recorded = absl::Now();
};

// Delivers one change to one watcher, translating selector transitions as Kubernetes does: an
// object that stops matching is DELETED for that watcher, one that starts matching is ADDED.
bool DeliverEvent(const HistoryEvent& e, const Watcher& w) {
  const auto& key = e.object->key;
  if (key.compare(0, w.key_prefix.size(), w.key_prefix) != 0) return true;
  auto matches = [&](const ObjectPtr& o) { return o && (!w.filter || w.filter(*o)); };
  if (e.deleted) {
    if (matches(e.prev ? e.prev : e.object)) return w.listener->OnEvent(EventType::kDeleted, e.object);
    return true;
  }
  bool now = matches(e.object);
  bool before = e.prev && matches(e.prev);
  if (now && before) return w.listener->OnEvent(EventType::kModified, e.object);
  if (now) return w.listener->OnEvent(EventType::kAdded, e.object);
  if (before) return w.listener->OnEvent(EventType::kDeleted, e.object);
  return true;
}

}  // namespace

struct WatchCache::Resource {
  mutable std::shared_mutex mu;
  ObjectMap objects;
  std::deque<HistoryEvent> history;
  int64_t floor = 0;        // watches may resume from any revision >= floor
  int64_t applied = 0;      // newest revision applied to this resource
  std::map<int64_t, std::shared_ptr<Watcher>> watchers;
};

struct WatchCache::RevisionWaiter {
  base::Wakeup reached;  // notified once PublishRevision took it out of revision_waiters_
  bool taken = false;    // under revision_mu_: PublishRevision took it out (and will notify it)
};

// One applied batch of one resource, and the watchers registered when it was applied.
struct WatchCache::Fanout {
  Resource* resource = nullptr;
  std::vector<HistoryEvent> events;
  std::vector<std::pair<int64_t, std::shared_ptr<Watcher>>> watchers;
  int64_t revision = 0;
};

// A thread delivering batches, in order, to its shard of the watchers.
class WatchCache::FanoutWorker {
 public:
  FanoutWorker(WatchCache* cache, size_t shard, size_t shards)
      : cache_(cache), shard_(shard), shards_(shards), thread_([this] { Run(); }) {}
  ~FanoutWorker() {
    {
      std::lock_guard<std::mutex> lock(mu_);
      stopping_ = true;
    }
    cv_.notify_one();
    thread_.join();
  }
  void Push(std::shared_ptr<const Fanout> f) {
    {
      std::lock_guard<std::mutex> lock(mu_);
      queue_.push_back(std::move(f));
    }
    cv_.notify_one();
  }

 private:
  void Run() {
    std::unique_lock<std::mutex> lock(mu_);
    for (;;) {
      cv_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
      if (queue_.empty()) return;
      auto f = std::move(queue_.front());
      queue_.pop_front();
      lock.unlock();
      cache_->Deliver(*f, shard_, shards_);
      lock.lock();
    }
  }

  WatchCache* cache_;
  size_t shard_, shards_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::shared_ptr<const Fanout>> queue_;
  bool stopping_ = false;
  std::thread thread_;
};

WatchCache::WatchCache(storage::Store* store, Options options) : store_(store), options_(std::move(options)) {
  size_t n = std::max(1, options_.fanout_threads);
  for (size_t i = 0; i < n; ++i) fanout_workers_.push_back(std::make_unique<FanoutWorker>(this, i, n));
}

WatchCache::~WatchCache() {
  {
    std::lock_guard<std::mutex> lock(recovery_mu_);
    stopping_ = true;
  }
  recovery_cv_.notify_all();
  if (recovery_thread_.joinable()) recovery_thread_.join();
  store_watch_.reset();
  fanout_workers_.clear();
}

absl::StatusOr<ObjectPtr> WatchCache::MakeObject(const std::string& key, const std::string& value,
                                                 int64_t revision) const {
  auto parsed = base::ParseJson(value);
  if (!parsed.ok()) return parsed.status();
  return Materialize(key, std::move(*parsed), revision);
}

ObjectPtr WatchCache::Materialize(const std::string& key, boost::json::value object, int64_t revision) const {
  auto obj = std::make_shared<CachedObject>();
  obj->key = key;
  obj->revision = revision;
  auto& meta = base::EnsureObject(object, {"metadata"});
  if (revision > 0) {
    meta["resourceVersion"] = std::to_string(revision);
  } else {
    meta.erase("resourceVersion");
  }
  obj->name = api::Name(object);
  obj->namespace_name = api::Namespace(object);
  if (const auto* labels = api::Labels(object); labels && labels->is_object()) {
    obj->labels = *labels;
  }
  if (options_.field_indexer) obj->fields = options_.field_indexer(ResourcePrefixOfKey(key), object);
  obj->json = base::ToJson(object);
  obj->json.shrink_to_fit();  // the serializer grows by doubling; the cache keeps this for long
  return obj;
}

boost::json::value CachedObject::Parse() const {
  auto parsed = base::ParseJson(json);
  // `json` was produced by our own serializer; failing to parse it is a broken invariant.
  if (!parsed.ok()) std::abort();
  return std::move(*parsed);
}

const std::string* CachedObject::Field(std::string_view field_name) const {
  for (const auto& [k, v] : fields) {
    if (k == field_name) return &v;
  }
  return nullptr;
}

WatchCache::Resource& WatchCache::ResourceFor(const std::string& prefix) const {
  std::lock_guard<std::mutex> lock(resources_mu_);
  auto& slot = resources_[prefix];
  if (!slot) {
    slot = std::make_unique<Resource>();
    slot->floor = revision_.load();
    slot->applied = revision_.load();
  }
  return *slot;
}

absl::Status WatchCache::Start() {
  auto list = store_->List(kRegistryRoot);
  if (!list.ok()) return list.status();
  revision_ = list->revision;
  for (const auto& kv : list->kvs) {
    auto obj = MakeObject(kv.key, kv.value, kv.mod_revision);
    if (!obj.ok()) {
      spdlog::error("skipping undecodable stored object {}: {}", kv.key, obj.status().ToString());
      continue;
    }
    auto& r = ResourceFor(ResourcePrefixOfKey(kv.key));
    const ObjectPtr& made = *obj;
    r.objects.emplace(made->key, made);
  }
  if (auto s = WatchStore(list->revision); !s.ok()) return s;
  recovery_thread_ = std::thread([this] { RecoveryLoop(); });
  return absl::OkStatus();
}

absl::Status WatchCache::WatchStore(int64_t revision) {
  auto watch = store_->Watch(
      kRegistryRoot, revision, [this](const std::vector<storage::WatchEvent>& events) { OnEvents(events); },
      [this](const absl::Status& error) { OnWatchError(error); });
  if (!watch.ok()) return watch.status();
  store_watch_ = std::move(*watch);
  return absl::OkStatus();
}

void WatchCache::OnWatchError(const absl::Status& error) {
  spdlog::warn("storage watch failed at revision {}: {}; relisting", revision_.load(), error.ToString());
  {
    std::lock_guard<std::mutex> lock(recovery_mu_);
    watch_failed_ = true;
  }
  recovery_cv_.notify_all();
}

void WatchCache::RecoveryLoop() {
  constexpr absl::Duration kFirstBackoff = absl::Milliseconds(100);
  constexpr absl::Duration kMaxBackoff = absl::Seconds(5);
  absl::Duration backoff = kFirstBackoff;
  std::unique_lock<std::mutex> lock(recovery_mu_);
  for (;;) {
    recovery_cv_.wait(lock, [this] { return stopping_ || watch_failed_; });
    if (stopping_) return;
    watch_failed_ = false;
    lock.unlock();
    store_watch_.reset();  // the failed watch (blocks until its callbacks have returned)
    absl::Status status = Relist();
    lock.lock();
    if (status.ok()) {
      backoff = kFirstBackoff;
      continue;
    }
    spdlog::warn("watch cache relist failed: {}; retrying in {}", status.ToString(), absl::FormatDuration(backoff));
    watch_failed_ = true;
    recovery_cv_.wait_for(lock, absl::ToChronoNanoseconds(backoff), [this] { return stopping_; });
    backoff = std::min(backoff * 2, kMaxBackoff);
  }
}

absl::Status WatchCache::Relist() {
  auto list = store_->List(kRegistryRoot);
  if (!list.ok()) return list.status();
  const int64_t listed = list->revision;
  // Decode outside any lock.
  std::map<std::string, ObjectMap> fresh;  // resource prefix -> key -> object
  for (const auto& kv : list->kvs) {
    auto obj = MakeObject(kv.key, kv.value, kv.mod_revision);
    if (!obj.ok()) {
      spdlog::error("skipping undecodable stored object {}: {}", kv.key, obj.status().ToString());
      continue;
    }
    const ObjectPtr& made = *obj;
    fresh[ResourcePrefixOfKey(kv.key)].emplace(made->key, made);
  }
  std::vector<std::shared_ptr<const Fanout>> fanouts;
  {
    std::lock_guard<std::mutex> apply(apply_mu_);
    std::vector<std::string> prefixes;
    {
      std::lock_guard<std::mutex> lock(resources_mu_);
      for (const auto& [prefix, r] : resources_) prefixes.push_back(prefix);
    }
    for (const auto& [prefix, objects] : fresh) prefixes.push_back(prefix);
    std::sort(prefixes.begin(), prefixes.end());
    prefixes.erase(std::unique(prefixes.begin(), prefixes.end()), prefixes.end());
    for (const auto& prefix : prefixes) {
      Resource& r = ResourceFor(prefix);
      ObjectMap listed_objects;
      if (auto it = fresh.find(prefix); it != fresh.end()) listed_objects = std::move(it->second);
      ObjectMap next;  // the listed objects, unchanged ones as the versions already cached
      auto fanout = std::make_shared<Fanout>();
      fanout->resource = &r;
      std::unique_lock<std::shared_mutex> lock(r.mu);
      // The difference between what the cache had and the list, as a watcher would have seen it.
      std::vector<HistoryEvent> changes, deletions;
      for (const auto& [key, obj] : listed_objects) {
        auto old = r.objects.find(key);
        if (old == r.objects.end()) {
          HistoryEvent he;
          he.object = obj;
          changes.push_back(std::move(he));
          next.emplace_hint(next.end(), obj->key, obj);
        } else if (old->second->revision != obj->revision) {
          HistoryEvent he;
          he.object = obj;
          he.prev = old->second;
          changes.push_back(std::move(he));
          next.emplace_hint(next.end(), obj->key, obj);
        } else {
          next.emplace_hint(next.end(), old->second->key, old->second);  // unchanged: keep the shared version
        }
      }
      for (const auto& [key, old] : r.objects) {
        if (listed_objects.count(key)) continue;
        HistoryEvent he;
        he.deleted = true;
        he.prev = old;
        he.object = Materialize(old->key, old->Parse(), listed);  // gone as of the list
        deletions.push_back(std::move(he));
      }
      std::sort(changes.begin(), changes.end(), [](const HistoryEvent& a, const HistoryEvent& b) {
        return a.object->revision < b.object->revision;
      });
      r.objects = std::move(next);
      // History before the list is gone: watches resuming from an older revision get 410.
      r.history.clear();
      r.floor = listed;
      r.applied = std::max(r.applied, listed);
      fanout->events = std::move(changes);
      for (auto& d : deletions) fanout->events.push_back(std::move(d));
      fanout->revision = r.applied;
      fanout->watchers.assign(r.watchers.begin(), r.watchers.end());
      if (!fanout->watchers.empty()) fanouts.push_back(std::move(fanout));
    }
    ++relists_;
    PublishRevision(listed);
    for (const auto& f : fanouts) {
      for (auto& worker : fanout_workers_) worker->Push(f);
    }
  }
  spdlog::info("watch cache relisted {} objects at revision {}", list->kvs.size(), listed);
  return WatchStore(listed);
}

void WatchCache::PublishRevision(int64_t revision) {
  std::vector<RevisionWaiter*> reached;
  {
    std::lock_guard<std::mutex> lock(revision_mu_);
    if (revision > revision_.load()) revision_ = revision;
    auto end = revision_waiters_.upper_bound(revision_.load());
    for (auto it = revision_waiters_.begin(); it != end; ++it) {
      it->second->taken = true;
      reached.push_back(it->second);
    }
    revision_waiters_.erase(revision_waiters_.begin(), end);
  }
  // Woken outside the lock, so that new waiters do not queue behind the wake calls; a waiter taken
  // out of the map waits for its Notify even after a timeout (WaitForRevision).
  for (RevisionWaiter* waiter : reached) waiter->reached.Notify();
}

void WatchCache::OnEvents(const std::vector<storage::WatchEvent>& events) {
  // 1. Decode outside any lock.
  std::vector<ObjectPtr> made(events.size());
  for (size_t i = 0; i < events.size(); ++i) {
    auto obj = MakeObject(events[i].kv.key, events[i].kv.value, events[i].kv.mod_revision);
    if (!obj.ok()) {
      spdlog::error("undecodable stored object {}: {}", events[i].kv.key, obj.status().ToString());
      continue;
    }
    made[i] = std::move(*obj);
  }
  // 2. Apply to the objects and history, and note who must hear about it.
  std::lock_guard<std::mutex> apply(apply_mu_);
  std::vector<std::shared_ptr<const Fanout>> fanouts;
  int64_t newest = revision_.load();
  size_t i = 0;
  while (i < events.size()) {
    std::string prefix = ResourcePrefixOfKey(events[i].kv.key);
    Resource& r = ResourceFor(prefix);
    auto fanout = std::make_shared<Fanout>();
    fanout->resource = &r;
    std::unique_lock<std::shared_mutex> lock(r.mu);
    for (; i < events.size() && ResourcePrefixOfKey(events[i].kv.key) == prefix; ++i) {
      const auto& ev = events[i];
      newest = std::max(newest, ev.kv.mod_revision);
      if (!made[i]) continue;
      HistoryEvent he;
      he.object = made[i];
      auto it = r.objects.find(ev.kv.key);
      if (it != r.objects.end()) he.prev = it->second;
      if (ev.type == storage::WatchEvent::Type::kDelete) {
        he.deleted = true;
        if (it != r.objects.end()) r.objects.erase(it);
      } else if (it != r.objects.end()) {
        // Re-keyed too: the key viewed the replaced version's own copy.
        r.objects.emplace_hint(r.objects.erase(it), he.object->key, he.object);
      } else {
        r.objects.emplace(he.object->key, he.object);
      }
      r.applied = ev.kv.mod_revision;
      r.history.push_back(he);
      fanout->events.push_back(std::move(he));
    }
    fanout->revision = r.applied;
    TrimHistory(r);
    // Watchers registered later replay these events from history instead.
    fanout->watchers.assign(r.watchers.begin(), r.watchers.end());
    if (!fanout->watchers.empty()) fanouts.push_back(std::move(fanout));
  }
  // 3. Writers waiting for their revision may go on; fan-out happens on other threads.
  PublishRevision(newest);
  const size_t shards = fanout_workers_.size();
  for (const auto& f : fanouts) {
    // Only the workers whose shard holds one of its watchers (Deliver's id % shards).
    std::vector<bool> wanted(shards, false);
    for (const auto& [id, w] : f->watchers) wanted[static_cast<size_t>(id) % shards] = true;
    for (size_t shard = 0; shard < shards; ++shard) {
      if (wanted[shard]) fanout_workers_[shard]->Push(f);
    }
  }
}

void WatchCache::Deliver(const Fanout& f, size_t shard, size_t shards) {
  std::vector<int64_t> closed;
  for (const auto& [id, w] : f.watchers) {
    if (static_cast<size_t>(id) % shards != shard) continue;
    std::lock_guard<std::mutex> delivering(w->delivery_mu);
    if (w->stopped) continue;
    bool open = true;
    for (const auto& he : f.events) {
      if (!DeliverEvent(he, *w)) {
        open = false;
        break;
      }
    }
    if (open) {
      w->listener->OnProgress(f.revision);
    } else {
      closed.push_back(id);
    }
  }
  if (closed.empty()) return;
  std::unique_lock<std::shared_mutex> lock(f.resource->mu);
  for (int64_t id : closed) {
    if (f.resource->watchers.erase(id) > 0) --watch_count_;
  }
}

void WatchCache::TrimHistory(Resource& r) {
  absl::Time now = absl::Now();
  while (!r.history.empty() &&
         (r.history.size() > options_.history_per_resource ||
          (r.history.size() > options_.history_min_per_resource &&
           now - r.history.front().recorded > options_.history_window))) {
    r.floor = r.history.front().object->revision;
    r.history.pop_front();
  }
}


int64_t WatchCache::Revision() const { return revision_.load(); }

absl::Status WatchCache::WaitForRevision(int64_t revision, absl::Duration timeout) {
  RevisionWaiter waiter;
  std::multimap<int64_t, RevisionWaiter*>::iterator slot;
  {
    std::lock_guard<std::mutex> lock(revision_mu_);
    if (revision_.load() >= revision) return absl::OkStatus();
    slot = revision_waiters_.emplace(revision, &waiter);
  }
  if (waiter.reached.WaitFor(timeout)) return absl::OkStatus();
  {
    std::lock_guard<std::mutex> lock(revision_mu_);
    if (!waiter.taken) {
      revision_waiters_.erase(slot);
      if (revision_.load() >= revision) return absl::OkStatus();
      return absl::DeadlineExceededError(absl::StrCat("watch cache did not reach revision ", revision));
    }
  }
  // PublishRevision took the waiter out meanwhile and is about to notify it: it must not be
  // destroyed before.
  waiter.reached.Wait();
  return absl::OkStatus();
}

ObjectPtr WatchCache::Get(const std::string& prefix, const std::string& key) const {
  Resource& r = ResourceFor(prefix);
  std::shared_lock<std::shared_mutex> lock(r.mu);
  auto it = r.objects.find(key);
  return it == r.objects.end() ? nullptr : it->second;
}

WatchCache::ListResult WatchCache::List(const std::string& resource_prefix, const std::string& key_prefix,
                                        const ObjectFilter& filter, const std::string& start_after, size_t limit,
                                        bool* more, int64_t* remaining) const {
  ListResult out;
  int64_t global = revision_.load();
  Resource& r = ResourceFor(resource_prefix);
  std::shared_lock<std::shared_mutex> lock(r.mu);
  out.revision = std::max(global, r.applied);
  auto it = start_after.empty() ? r.objects.lower_bound(key_prefix) : r.objects.upper_bound(start_after);
  if (more) *more = false;
  for (; it != r.objects.end(); ++it) {
    if (it->first.compare(0, key_prefix.size(), key_prefix) != 0) break;
    if (filter && !filter(*it->second)) continue;
    if (limit > 0 && out.objects.size() == limit) {
      if (more) *more = true;
      if (remaining) {
        *remaining = 0;
        for (auto rest = it; rest != r.objects.end() && rest->first.compare(0, key_prefix.size(), key_prefix) == 0;
             ++rest) {
          ++*remaining;
        }
      }
      break;
    }
    out.objects.push_back(it->second);
  }
  return out;
}

size_t WatchCache::Count(const std::string& resource_prefix) const {
  Resource& r = ResourceFor(resource_prefix);
  std::shared_lock<std::shared_mutex> lock(r.mu);
  return r.objects.size();
}

int64_t WatchCache::ResourceRevision(const std::string& resource_prefix) const {
  Resource& r = ResourceFor(resource_prefix);
  std::shared_lock<std::shared_mutex> lock(r.mu);
  return r.applied;
}

absl::StatusOr<int64_t> WatchCache::StartWatch(const std::string& resource_prefix, const std::string& key_prefix,
                                               int64_t from_revision, ObjectFilter filter,
                                               std::shared_ptr<WatchListener> listener) {
  Resource& r = ResourceFor(resource_prefix);
  std::unique_lock<std::shared_mutex> lock(r.mu);
  auto watcher = std::make_shared<Watcher>();
  Watcher& w = *watcher;
  w.key_prefix = key_prefix;
  w.filter = std::move(filter);
  w.listener = std::move(listener);
  if (from_revision == 0) {
    std::vector<ObjectPtr> initial;
    for (auto it = r.objects.lower_bound(key_prefix); it != r.objects.end(); ++it) {
      if (it->first.compare(0, key_prefix.size(), key_prefix) != 0) break;
      if (w.filter && !w.filter(*it->second)) continue;
      initial.push_back(it->second);
    }
    // Ascending revision order: clients resume from the last event they saw.
    std::sort(initial.begin(), initial.end(), [](const ObjectPtr& a, const ObjectPtr& b) {
      return a->revision < b->revision;
    });
    for (const auto& o : initial) {
      if (!w.listener->OnEvent(EventType::kAdded, o)) return absl::CancelledError("watcher closed");
    }
  } else {
    if (from_revision < r.floor) {
      return absl::OutOfRangeError(
          absl::StrCat("too old resource version: ", from_revision, " (", r.floor, ")"));
    }
    for (const auto& he : r.history) {
      if (he.object->revision <= from_revision) continue;
      if (!DeliverEvent(he, w)) return absl::CancelledError("watcher closed");
    }
  }
  int64_t id = next_watch_id_++;
  w.listener->OnProgress(std::max(r.applied, from_revision));
  r.watchers.emplace(id, std::move(watcher));
  ++watch_count_;
  return id;
}

void WatchCache::StopWatch(const std::string& resource_prefix, int64_t id) {
  Resource& r = ResourceFor(resource_prefix);
  std::shared_ptr<Watcher> watcher;
  {
    std::unique_lock<std::shared_mutex> lock(r.mu);
    auto it = r.watchers.find(id);
    if (it == r.watchers.end()) return;
    watcher = std::move(it->second);
    r.watchers.erase(it);
    --watch_count_;
  }
  // A fan-out that took its snapshot of the watchers before the erase may still be delivering.
  std::lock_guard<std::mutex> wait_for_delivery(watcher->delivery_mu);
  watcher->stopped = true;
}

size_t WatchCache::WatchCount() const { return watch_count_.load(); }

std::map<std::string, size_t> WatchCache::ObjectCounts() const {
  std::map<std::string, size_t> out;
  std::lock_guard<std::mutex> lock(resources_mu_);
  for (const auto& [prefix, r] : resources_) {
    std::shared_lock<std::shared_mutex> rlock(r->mu);
    out[prefix] = r->objects.size();
  }
  return out;
}

}  // namespace skiff::apiserver
