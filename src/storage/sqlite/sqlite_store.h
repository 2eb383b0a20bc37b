// SqliteStore: the default Store backend, an append-only revision log in one SQLite file.
//
// Layout: table `kv` has one row per revision (revision INTEGER PRIMARY KEY, key, value,
// create_revision, prev_revision, deleted). A delete writes a tombstone row that keeps the last
// value, so delete events carry it. A unique index on (key, prev_revision) makes a lost race
// impossible to commit twice, whatever the in-memory checks say. Table `meta` keeps the compacted
// revision and the compaction cursor.
//
// Writes: callers enqueue an operation and wait; one committer thread applies everything queued
// (up to `max_batch`) in ONE transaction with one fsync (WAL, synchronous=FULL), then wakes each
// caller with its own result: a failed compare-and-swap fails only its own operation. An in-memory
// index (key -> create/mod revision, deleted) answers the CAS checks and Count.
// Reads run on a pool of read connections (see SqliteReader), concurrently with the writer.
// Watches are fed after each commit by a delivery thread (see WatchHub). A write that changed
// something is acknowledged only after that thread has handed its events to every watcher (the
// API server's watch cache, which the writer then reads its revision from), so watch callbacks
// must never wait for a write of this store.
// Compaction: a background thread compacts to the newest revision older than now - retention.
// Compaction first records the compacted revision durably, then the committer deletes superseded
// rows and tombstones in small transactions between write batches, then runs incremental vacuum so
// the file shrinks. Nothing is written while nothing changes; the background thread waits for
// compaction_min_revisions expired revisions, so a few Lease renewals do not cost a compaction.
//
// Thread-safety: all Store methods may be called concurrently from any thread.
// Ownership: owns its threads and connections; watch handles must be destroyed before the store.
// Failure: see Store. Disk errors fail the whole batch they happened in with Unavailable/Internal.
// Watch() accepts an after_revision beyond the current revision (it just waits for it).
#ifndef SKIFF_STORAGE_SQLITE_SQLITE_STORE_H_
#define SKIFF_STORAGE_SQLITE_SQLITE_STORE_H_

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <shared_mutex>
#include <string>
#include <thread>
#include <vector>

#include "absl/container/btree_map.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "base/clock.h"
#include "base/wakeup.h"
#include "storage/sqlite/revision_timeline.h"
#include "storage/sqlite/sqlite_db.h"
#include "storage/sqlite/sqlite_reader.h"
#include "storage/sqlite/watch_hub.h"
#include "storage/store.h"

namespace skiff::storage {

struct SqliteOptions {
  std::string path;  // The database file; created if missing.
  // History younger than this is kept; older history is compacted by the background thread.
  absl::Duration compaction_retention = absl::Minutes(5);
  // How often the background thread looks for something to compact; <= 0 disables it.
  absl::Duration compaction_interval = absl::Seconds(60);
  int max_batch = 512;                 // Most operations committed in one transaction.
  int compaction_batch_rows = 2000;    // Log rows examined per compaction transaction.
  int vacuum_batch_pages = 512;        // Pages released per incremental-vacuum step.
  // The background thread leaves fewer expired revisions than this alone (a Compact() call still
  // compacts at once): an idle server renewing a Lease every 10 s would otherwise rewrite and vacuum
  // a few pages each interval. It bounds the history kept beyond the retention, not the retention.
  int64_t compaction_min_revisions = 1000;
  // Page size of a new database file (an existing file keeps its own). Every commit writes whole
  // pages to the WAL (the row's page plus a leaf of each index, and the header and pointer-map
  // pages when the file grows), so small pages keep the bytes per small update low: a Lease
  // renewal writes ~7 KiB of WAL with 1 KiB pages and ~17 KiB with SQLite's default 4 KiB.
  int page_size = 1024;
  const base::Clock* clock = nullptr;  // Null = base::RealClock().
};

class SqliteStore : public Store {
 public:
  static absl::StatusOr<std::unique_ptr<SqliteStore>> Open(const SqliteOptions& options);
  ~SqliteStore() override;

  absl::StatusOr<KeyValue> Get(const std::string& key, int64_t revision = 0) override;
  absl::StatusOr<ListResult> List(const std::string& prefix, const ListOptions& options = {}) override;
  absl::StatusOr<int64_t> Count(const std::string& prefix) override;
  absl::StatusOr<int64_t> Create(const std::string& key, const std::string& value) override;
  absl::StatusOr<int64_t> Update(const std::string& key, const std::string& value,
                                 int64_t expected_revision) override;
  absl::StatusOr<int64_t> Delete(const std::string& key, int64_t expected_revision) override;
  absl::StatusOr<std::unique_ptr<WatchHandle>> Watch(const std::string& prefix, int64_t after_revision,
                                                     WatchCallback on_events,
                                                     WatchErrorCallback on_error) override;
  absl::Status Compact(int64_t revision) override;
  int64_t CurrentRevision() override { return current_revision_.load(); }
  int64_t CompactedRevision() override { return compacted_revision_.load(); }

  // What the background thread does each interval: compacts to the newest revision older than
  // now - retention, if that is newer than the compacted revision. Returns the compacted revision.
  absl::StatusOr<int64_t> CompactExpired();
  // Blocks until queued compaction deletes and vacuuming have finished (for tests and shutdown
  // tooling; the work itself always happens in the background).
  void WaitForMaintenance();
  // Write transactions committed for client operations (group commit makes this << writes).
  int64_t CommitCount() const { return commits_.load(); }

 private:
  struct IndexEntry {
    int64_t create_revision = 0;
    int64_t mod_revision = 0;
    bool deleted = false;
  };
  struct Op {
    enum class Kind { kCreate, kUpdate, kDelete, kCompact } kind = Kind::kCreate;
    std::string key;
    std::string value;
    int64_t revision = 0;  // Expected mod revision, or the compaction target.
    absl::StatusOr<int64_t> result = 0;
    // Notified once `result` is final. A futex wait, not std::atomic::wait: libstdc++'s spins on
    // sched_yield first, which cost a fifth of the server's CPU under 64 concurrent creates.
    base::Wakeup done;
  };
  struct WriteStatements {
    SqliteStmt begin, commit, rollback, insert, value_at, set_compacted, set_cursor, compact_scan, delete_row;
  };

  SqliteStore(const SqliteOptions& options, SqliteDb db);
  absl::Status Initialize();
  absl::Status LoadState();
  // Queues `op` and waits for its result. The committer holds its own reference while waking us.
  absl::StatusOr<int64_t> Submit(Op::Kind kind, const std::string& key, const std::string& value,
                                 int64_t revision);
  absl::StatusOr<int64_t> ResolveRevision(int64_t revision) const;

  // Committer thread.
  void CommitLoop();
  void CommitBatch(const std::vector<std::shared_ptr<Op>>& batch);
  absl::Status ApplyOp(Op& op, std::map<std::string, IndexEntry>& changes, std::vector<WatchEvent>& events,
                       int64_t& next_revision, int64_t& compact_to);
  absl::Status CompactStep();
  absl::Status VacuumStep();
  bool HasMaintenance() const { return compact_cursor_ < compact_target_ || vacuum_pending_; }
  void PublishMaintenanceState();

  void CompactorLoop();

  const SqliteOptions options_;
  const base::Clock& clock_;
  SqliteDb db_;  // The write connection; used only by the committer thread after Open.
  WriteStatements write_;

  std::atomic<int64_t> current_revision_{0};
  std::atomic<int64_t> compacted_revision_{0};
  std::atomic<int64_t> commits_{0};

  // The index is written only by the committer thread (under the unique lock), read by others.
  // A B-tree: one entry per stored key, so its per-entry overhead counts (a std::map node costs
  // about twice as much).
  std::shared_mutex index_mu_;
  absl::btree_map<std::string, IndexEntry> index_;

  // Committer-thread state: compaction progress.
  int64_t compact_cursor_ = 0;  // Log rows up to here have been compacted (durable in meta).
  int64_t compact_target_ = 0;  // The compacted revision the deletes are working towards.
  bool vacuum_pending_ = false;

  std::mutex queue_mu_;
  std::condition_variable queue_cv_;  // Wakes the committer.
  std::condition_variable idle_cv_;   // Wakes WaitForMaintenance.
  std::deque<std::shared_ptr<Op>> queue_;
  bool maintenance_busy_ = false;  // Mirror of HasMaintenance() under queue_mu_.
  bool stop_ = false;

  std::mutex compactor_mu_;
  std::condition_variable compactor_cv_;
  bool compactor_stop_ = false;

  RevisionTimeline timeline_;
  std::unique_ptr<SqliteReader> reader_;
  std::unique_ptr<WatchHub> hub_;
  std::thread committer_;
  std::thread compactor_;
};

}  // namespace skiff::storage

#endif  // SKIFF_STORAGE_SQLITE_SQLITE_STORE_H_
