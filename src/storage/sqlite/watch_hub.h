// WatchHub: fans committed events out to Store watchers on one delivery thread, after first
// replaying each new watcher's history, so that every watcher sees each matching revision exactly
// once and in order (history, then live, with no gap and no duplicate).
//
// How the switch from history to live is gap-free: only the delivery thread advances
// `delivered_revision_`, and it replays a new watcher's history up to exactly that revision
// between two live batches; every later batch then reaches the watcher live.
//
// Thread-safety: Publish and Add may be called from any thread. Callbacks run on the delivery
// thread, one at a time; they must not wait for a write of the same store (its acknowledgement
// waits for them). Destroying a handle blocks until its callback is not running (unless it
// is destroyed from inside a callback).
// Ownership: the hub owns its thread; handles must be destroyed before the hub.
// Failure: history read errors (e.g. OutOfRange after compaction) go to the watcher's error
// callback, after which it receives nothing more.
#ifndef SKIFF_STORAGE_SQLITE_WATCH_HUB_H_
#define SKIFF_STORAGE_SQLITE_WATCH_HUB_H_

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <list>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/statusor.h"
#include "storage/store.h"

namespace skiff::storage {

class WatchHub {
 public:
  // Returns at most `limit` events for keys under `prefix` with after < revision <= upto, in
  // revision order; fewer than `limit` means there are no more. OutOfRange when `after` is below
  // the compacted revision (it must check this even when upto <= after).
  using HistoryReader = std::function<absl::StatusOr<std::vector<WatchEvent>>(
      const std::string& prefix, int64_t after, int64_t upto, int64_t limit)>;

  WatchHub(HistoryReader history, int64_t current_revision);
  ~WatchHub();
  WatchHub(const WatchHub&) = delete;
  WatchHub& operator=(const WatchHub&) = delete;

  // Queues the events of one committed transaction (revision order; `revision` is its last one).
  // `delivered`, if set, runs on the delivery thread once every live watcher has been handed the
  // events (or when the hub is destroyed first); the store acknowledges writes there.
  void Publish(std::vector<WatchEvent> events, int64_t revision, std::function<void()> delivered = nullptr);

  std::unique_ptr<WatchHandle> Add(const std::string& prefix, int64_t after_revision, WatchCallback on_events,
                                   WatchErrorCallback on_error);

 private:
  struct Watcher;
  class Handle;
  struct Batch {
    std::vector<WatchEvent> events;
    int64_t revision;
    std::function<void()> delivered;
  };

  void Run();
  void CatchUp(const std::shared_ptr<Watcher>& watcher, int64_t upto);
  void Deliver(Watcher& watcher, const std::vector<WatchEvent>& events);
  void Fail(Watcher& watcher, const absl::Status& error);
  void Remove(const std::shared_ptr<Watcher>& watcher);

  static constexpr int64_t kHistoryChunk = 1000;

  const HistoryReader history_;
  std::mutex mu_;
  std::condition_variable wake_;
  bool stop_ = false;
  std::deque<Batch> batches_;
  std::deque<std::shared_ptr<Watcher>> pending_;  // Waiting for their history replay.
  std::list<std::shared_ptr<Watcher>> live_;
  int64_t delivered_revision_;  // Every batch up to here reached every live watcher.
  std::thread thread_;          // Last: starts after the members above exist.
};

}  // namespace skiff::storage

#endif  // SKIFF_STORAGE_SQLITE_WATCH_HUB_H_
