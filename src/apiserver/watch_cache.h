// WatchCache: every object of every resource held in memory, fed by one Store watch, serving
// GET/LIST/WATCH without touching storage. Each object version is held as its serialized JSON
// (shared by every reader and watcher, design.md "watch cache") plus the few attributes lists
// filter on (labels, selectable fields); the full object is parsed only when a caller needs it.
//
// Consistency: writers call WaitForRevision(rev) after a store write so a client reads its own
// writes. A list reports the revision it is consistent at; a watch from that revision delivers
// every later change exactly once, in order. History is kept (bounded per resource) so watches can
// resume; a resourceVersion older than the kept history gets OutOfRange (410 Expired).
//
// Recovery (a reflector's relist): when the store watch fails — OutOfRange because the store was
// compacted past the cache's revision during a long outage or by another API server, or any other
// terminal error — a recovery thread lists everything afresh (retrying with backoff while the
// store is unreachable), replaces the cached objects, and resumes watching from the list's
// revision. Open watchers are not closed: each receives the difference between what it had and
// the new list (ADDED/MODIFIED with the objects' revisions; DELETED carrying the last known
// object at the list's revision), so in-process consumers that cannot relist (authorizer
// indexes, informers) stay correct. History older than the list is gone: a watch that resumes
// from a revision before it gets OutOfRange (410 "too old resource version"), as in Kubernetes,
// and the client relists. Until the relist lands the cache serves its last state (stale), and
// WaitForRevision of newer writes times out.
// Thread-safety: all methods are safe to call concurrently. Ownership: the cache borrows the Store
// (which must outlive it); objects are shared immutable snapshots (ObjectPtr).
#ifndef SKIFF_APISERVER_WATCH_CACHE_H_
#define SKIFF_APISERVER_WATCH_CACHE_H_

#include <atomic>
#include <condition_variable>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "absl/container/btree_map.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "apiserver/key_layout.h"
#include "boost/json/value.hpp"
#include "storage/store.h"

namespace skiff::apiserver {

enum class EventType { kAdded, kModified, kDeleted, kBookmark, kError };
const char* EventTypeName(EventType t);

// Selectable field values of an object ("spec.nodeName" -> "n1"), computed once per version.
using SelectableFields = std::vector<std::pair<std::string, std::string>>;
// Computes them for an object of the resource stored under `resource_prefix`.
using FieldIndexer = std::function<SelectableFields(const std::string& resource_prefix, const boost::json::value&)>;

struct CachedObject {
  CachedObject() = default;
  CachedObject(const CachedObject& other)
      : key(other.key), namespace_name(other.namespace_name), name(other.name), json(other.json),
        revision(other.revision), labels(other.labels), fields(other.fields) {}
  CachedObject& operator=(const CachedObject&) = delete;

  // The object, parsed from `json` (a fresh copy each call: callers may modify it).
  boost::json::value Parse() const;
  // The value of a selectable field, or nullptr.
  const std::string* Field(std::string_view name) const;

  // The watch-event line `{"type":"<T>","object":<json>}\n` (ADDED, MODIFIED and DELETED only),
  // shared by every watcher that asks for the same type while another still holds it; it is not
  // kept alive by the object. Guarded by mutexes shared among objects, so that an object carries
  // no mutex of its own (there may be millions).
  std::shared_ptr<const std::string> EventLine(EventType type) const;

  std::string key;  // storage key
  std::string namespace_name;
  std::string name;
  std::string json;           // the object, with metadata.resourceVersion set
  int64_t revision = 0;       // mod revision (= resourceVersion)
  boost::json::value labels;  // metadata.labels (object) or null
  SelectableFields fields;

 private:
  // The last line built (an object version is almost always sent as one type only).
  mutable std::weak_ptr<const std::string> line_;
  mutable EventType line_type_ = EventType::kAdded;
};
using ObjectPtr = std::shared_ptr<const CachedObject>;
// Cached objects by storage key; each key views the key of the object it maps to (no second copy),
// so an entry is re-inserted, not assigned, when its object is replaced.
using ObjectMap = absl::btree_map<std::string_view, ObjectPtr>;

// Decides whether an object is visible to a list or watch (namespace, selectors).
using ObjectFilter = std::function<bool(const CachedObject&)>;

// Receives the events of one watch, in revision order, from one thread at a time (the history
// replay on the watch's own thread, then a fan-out thread). Must not block and must not call back
// into the cache. Returning false ends the watch.
class WatchListener {
 public:
  virtual ~WatchListener() = default;
  virtual bool OnEvent(EventType type, const ObjectPtr& object) = 0;
  // Every change of the watched resource up to `revision` has been offered to this listener
  // (whether or not it matched): a safe resourceVersion for a BOOKMARK.
  virtual void OnProgress(int64_t revision) { (void)revision; }
};

class WatchCache {
 public:
  struct Options {
    // History kept per resource for resuming watches: events younger than `history_window`, at
    // least `history_min_per_resource` of them, never more than `history_per_resource`.
    size_t history_per_resource = 10000;
    size_t history_min_per_resource = 100;
    absl::Duration history_window = absl::Minutes(3);
    // Fills CachedObject::fields; null leaves them empty.
    FieldIndexer field_indexer;
    // Threads delivering events to watchers (watchers are sharded over them).
    int fanout_threads = 2;
  };
  WatchCache(storage::Store* store, Options options);
  ~WatchCache();

  // Loads everything and starts following the store. Call once before use.
  absl::Status Start();

  // Newest revision applied to the cache.
  int64_t Revision() const;
  // Blocks until the cache has applied `revision` (or the timeout passes -> DeadlineExceeded).
  absl::Status WaitForRevision(int64_t revision, absl::Duration timeout = absl::Seconds(10));

  // `prefix` is a resource's storage prefix ("/registry/deployments/", key_layout.h); `key` a full key.
  ObjectPtr Get(const std::string& prefix, const std::string& key) const;

  struct ListResult {
    std::vector<ObjectPtr> objects;  // sorted by key
    int64_t revision = 0;
  };
  // Objects under `key_prefix` (a resource prefix, optionally narrowed to a namespace) that pass
  // `filter`, starting after `start_after` (a key) and at most `limit` (0 = all); `more` tells
  // whether objects remain. When objects remain and `remaining` is set, it receives how many
  // objects under `key_prefix` there are from the first matching one not returned on, whether they
  // pass `filter` or not (exact for an unfiltered list: Kubernetes' remainingItemCount).
  ListResult List(const std::string& resource_prefix, const std::string& key_prefix, const ObjectFilter& filter,
                   const std::string& start_after, size_t limit, bool* more, int64_t* remaining = nullptr) const;
  size_t Count(const std::string& resource_prefix) const;
  // Newest revision applied to one resource (what its watchers will have seen once delivered).
  int64_t ResourceRevision(const std::string& resource_prefix) const;

  // Starts a watch of `resource_prefix`, narrowed to `key_prefix`. from_revision == 0: synthetic
  // ADDED events for the current matching objects first. Otherwise every change after
  // from_revision (OutOfRange if that history is gone). The returned id is passed to StopWatch.
  absl::StatusOr<int64_t> StartWatch(const std::string& resource_prefix, const std::string& key_prefix,
                                      int64_t from_revision, ObjectFilter filter,
                                      std::shared_ptr<WatchListener> listener);
  // Once StopWatch returns, the listener gets no further events (a delivery in progress is
  // waited for). Must not be called from the listener's own callbacks.
  void StopWatch(const std::string& resource_prefix, int64_t id);

  // Number of open watches and cached objects, for /metrics.
  size_t WatchCount() const;
  std::map<std::string, size_t> ObjectCounts() const;
  // Number of relists done after store watch failures (for tests).
  int64_t Relists() const { return relists_.load(); }

  // Parses a stored value into a cached object (sets resourceVersion). Public for the write path.
  absl::StatusOr<ObjectPtr> MakeObject(const std::string& key, const std::string& value, int64_t revision) const;
  // Same, from an already parsed object (no re-parse); revision 0 leaves resourceVersion unset.
  ObjectPtr Materialize(const std::string& key, boost::json::value object, int64_t revision) const;

 private:
  struct Resource;
  Resource& ResourceFor(const std::string& prefix) const;
  struct Fanout;
  class FanoutWorker;
  void TrimHistory(Resource& r);
  void OnEvents(const std::vector<storage::WatchEvent>& events);
  void Deliver(const Fanout& fanout, size_t shard, size_t shards);
  // Follows the store from `revision` (the store watch's callbacks feed OnEvents / OnWatchError).
  absl::Status WatchStore(int64_t revision);
  void OnWatchError(const absl::Status& error);
  // The recovery thread: relists and rewatches after each store watch failure.
  void RecoveryLoop();
  absl::Status Relist();
  void PublishRevision(int64_t revision);

  storage::Store* store_;
  Options options_;
  mutable std::mutex resources_mu_;
  mutable std::map<std::string, std::unique_ptr<Resource>> resources_;
  std::atomic<int64_t> revision_{0};
  std::atomic<int64_t> next_watch_id_{1};
  std::atomic<size_t> watch_count_{0};
  // Writers waiting for a revision, each woken alone when it is reached (no thundering herd).
  struct RevisionWaiter;
  std::mutex revision_mu_;
  std::multimap<int64_t, RevisionWaiter*> revision_waiters_;
  std::vector<std::unique_ptr<FanoutWorker>> fanout_workers_;
  // Serializes applying store batches with a relist (OnEvents runs on the store's thread).
  std::mutex apply_mu_;
  std::unique_ptr<storage::WatchHandle> store_watch_;  // replaced only by the recovery thread
  // Recovery: the failed watch's error sets `watch_failed_`; the thread relists.
  std::mutex recovery_mu_;
  std::condition_variable recovery_cv_;
  bool watch_failed_ = false;
  bool stopping_ = false;
  std::atomic<int64_t> relists_{0};
  std::thread recovery_thread_;
};

}  // namespace skiff::apiserver

#endif  // SKIFF_APISERVER_WATCH_CACHE_H_
