// The committer thread of SqliteStore: group commit of queued writes, and the incremental
// compaction and vacuum steps it interleaves between write batches.
#include <algorithm>
#include <utility>

#include "absl/strings/str_cat.h"
#include "spdlog/spdlog.h"
#include "storage/sqlite/sqlite_store.h"

namespace skiff::storage {
namespace {

absl::Status RunAndReset(SqliteStmt& stmt) {
  absl::Status status = stmt.Run();
  stmt.Reset();
  return status;
}

// Wakes the waiting writer (the caller still holds a reference to the op, so notifying after
// the store is safe).
template <typename Op>
void Finish(Op& op) {
  op.done.Notify();
}

}  // namespace

void SqliteStore::CommitLoop() {
  while (true) {
    std::vector<std::shared_ptr<Op>> batch;
    {
      std::unique_lock<std::mutex> lock(queue_mu_);
      queue_cv_.wait(lock, [this] { return stop_ || !queue_.empty() || HasMaintenance(); });
      if (stop_ && queue_.empty()) return;  // Unfinished maintenance resumes after reopening.
      size_t take = std::min(queue_.size(), static_cast<size_t>(options_.max_batch));
      batch.assign(queue_.begin(), queue_.begin() + static_cast<std::ptrdiff_t>(take));
      queue_.erase(queue_.begin(), queue_.begin() + static_cast<std::ptrdiff_t>(take));
    }
    if (!batch.empty()) CommitBatch(batch);
    // One maintenance step per loop, so it progresses under load but never stalls writers long.
    if (HasMaintenance()) {
      absl::Status status = compact_cursor_ < compact_target_ ? CompactStep() : VacuumStep();
      if (!status.ok()) {
        // Give up this round rather than spin; the next compaction request starts it again.
        spdlog::warn("sqlite store: compaction/vacuum step failed: {}", status.ToString());
        compact_target_ = compact_cursor_;
        vacuum_pending_ = false;
      }
      PublishMaintenanceState();
    }
  }
}

void SqliteStore::PublishMaintenanceState() {
  std::lock_guard<std::mutex> lock(queue_mu_);
  maintenance_busy_ = HasMaintenance();
  if (!maintenance_busy_) idle_cv_.notify_all();
}

void SqliteStore::CommitBatch(const std::vector<std::shared_ptr<Op>>& batch) {
  const int64_t current = current_revision_.load();
  int64_t next_revision = current + 1;
  int64_t compact_to = compacted_revision_.load();
  std::map<std::string, IndexEntry> changes;  // This batch's effect on the index, not yet visible.
  std::vector<WatchEvent> events;

  absl::Status status = RunAndReset(write_.begin);
  for (size_t i = 0; status.ok() && i < batch.size(); ++i) {
    status = ApplyOp(*batch[i], changes, events, next_revision, compact_to);
  }
  if (status.ok()) status = RunAndReset(write_.commit);
  if (!status.ok()) {
    if (!db_.InAutocommit()) RunAndReset(write_.rollback).IgnoreError();
    // Nothing of this batch is durable, so nothing may be acknowledged.
    for (const std::shared_ptr<Op>& op : batch) op->result = status;
    for (const std::shared_ptr<Op>& op : batch) Finish(*op);
    return;
  }

  const int64_t newest = next_revision - 1;
  if (!changes.empty()) {
    std::unique_lock<std::shared_mutex> lock(index_mu_);
    for (auto& [key, entry] : changes) index_[key] = entry;
  }
  if (compact_to > compacted_revision_.load()) {
    // Published before any row is deleted (deletes happen in later transactions); readers rely on it.
    compacted_revision_.store(compact_to);
    compact_target_ = compact_to;
  }
  current_revision_.store(newest);
  // Writes that changed something are acknowledged once the watchers (the API server's watch
  // cache) have their events, so that a writer who then waits for its revision there finds it
  // and sleeps once per write, not twice; the rest are acknowledged now.
  std::vector<std::shared_ptr<Op>> changed;
  for (const std::shared_ptr<Op>& op : batch) {
    if (newest > current && op->kind != Op::Kind::kCompact && op->result.ok()) {
      changed.push_back(op);
    } else {
      Finish(*op);
    }
  }
  if (newest > current) {
    commits_.fetch_add(1);
    timeline_.Record(clock_.Now(), newest);
    hub_->Publish(std::move(events), newest, [changed = std::move(changed)] {
      for (const std::shared_ptr<Op>& op : changed) Finish(*op);
    });
  }
  PublishMaintenanceState();
}

absl::Status SqliteStore::ApplyOp(Op& op, std::map<std::string, IndexEntry>& changes,
                                  std::vector<WatchEvent>& events, int64_t& next_revision,
                                  int64_t& compact_to) {
  if (op.kind == Op::Kind::kCompact) {
    if (op.revision > compact_to) {
      write_.set_compacted.BindInt(1, op.revision);
      if (absl::Status s = RunAndReset(write_.set_compacted); !s.ok()) return s;
      compact_to = op.revision;
    }
    op.result = compact_to;
    return absl::OkStatus();
  }

  // The key's state including earlier operations of this batch. Only this thread writes index_,
  // so reading it here needs no lock.
  IndexEntry entry;
  bool found = false;
  if (auto it = changes.find(op.key); it != changes.end()) {
    entry = it->second;
    found = true;
  } else if (auto jt = index_.find(op.key); jt != index_.end()) {
    entry = jt->second;
    found = true;
  }
  const bool exists = found && !entry.deleted;

  int64_t prev_revision = 0;
  int64_t create_revision = next_revision;
  std::string value = op.value;
  if (op.kind == Op::Kind::kCreate) {
    if (exists) {
      op.result = absl::AlreadyExistsError(absl::StrCat("key \"", op.key, "\" already exists"));
      return absl::OkStatus();
    }
    prev_revision = found ? entry.mod_revision : 0;  // A re-create follows the tombstone.
  } else {
    if (!exists) {
      op.result = absl::NotFoundError(absl::StrCat("key \"", op.key, "\" not found"));
      return absl::OkStatus();
    }
    if (op.revision != 0 && op.revision != entry.mod_revision) {
      op.result = absl::FailedPreconditionError(
          absl::StrCat("key \"", op.key, "\" is at revision ", entry.mod_revision, ", not ", op.revision));
      return absl::OkStatus();
    }
    prev_revision = entry.mod_revision;
    create_revision = entry.create_revision;
    if (op.kind == Op::Kind::kDelete) {
      // The tombstone keeps the last value, for delete events.
      write_.value_at.BindInt(1, entry.mod_revision);
      absl::StatusOr<bool> row = write_.value_at.Step();
      if (row.ok() && *row) value = write_.value_at.ColumnBlob(0);
      write_.value_at.Reset();
      if (!row.ok()) return row.status();
    }
  }

  const bool deleted = op.kind == Op::Kind::kDelete;
  SqliteStmt& insert = write_.insert;
  insert.BindInt(1, next_revision);
  insert.BindBlob(2, op.key);
  insert.BindBlob(3, value);
  insert.BindInt(4, create_revision);
  insert.BindInt(5, prev_revision);
  insert.BindInt(6, deleted ? 1 : 0);
  absl::Status inserted = RunAndReset(insert);
  if (absl::IsFailedPrecondition(inserted)) {
    // The unique (key, prev_revision) index refused a second successor: only this op fails.
    op.result = absl::FailedPreconditionError(
        absl::StrCat("key \"", op.key, "\" was modified concurrently: ", inserted.message()));
    return absl::OkStatus();
  }
  if (!inserted.ok()) return inserted;

  changes[op.key] = IndexEntry{create_revision, next_revision, deleted};
  WatchEvent event;
  event.type = deleted ? WatchEvent::Type::kDelete : WatchEvent::Type::kPut;
  event.kv = KeyValue{op.key, std::move(value), create_revision, next_revision};
  event.created = op.kind == Op::Kind::kCreate;
  events.push_back(std::move(event));
  op.result = next_revision++;
  return absl::OkStatus();
}

// Compacts the next slice of the log: each row in (cursor, target] supersedes the row it follows
// (delete that one), and a tombstone also removes itself. The cursor moves in the same transaction.
absl::Status SqliteStore::CompactStep() {
  struct Row {
    int64_t revision;
    std::string key;
    int64_t prev_revision;
    bool deleted;
  };
  std::vector<Row> rows;
  absl::Status status = RunAndReset(write_.begin);
  if (status.ok()) {
    SqliteStmt& scan = write_.compact_scan;
    scan.BindInt(1, compact_cursor_);
    scan.BindInt(2, compact_target_);
    scan.BindInt(3, options_.compaction_batch_rows);
    while (true) {
      absl::StatusOr<bool> has_row = scan.Step();
      if (!has_row.ok()) status = has_row.status();
      if (!has_row.ok() || !*has_row) break;
      rows.push_back({scan.ColumnInt(0), scan.ColumnBlob(1), scan.ColumnInt(2), scan.ColumnInt(3) != 0});
    }
    scan.Reset();
  }
  auto delete_row = [this](int64_t revision) {
    write_.delete_row.BindInt(1, revision);
    return RunAndReset(write_.delete_row);
  };
  for (size_t i = 0; status.ok() && i < rows.size(); ++i) {
    if (rows[i].prev_revision > 0) status = delete_row(rows[i].prev_revision);
    if (status.ok() && rows[i].deleted) status = delete_row(rows[i].revision);
  }
  const int64_t cursor = static_cast<int64_t>(rows.size()) < options_.compaction_batch_rows
                             ? compact_target_
                             : rows.back().revision;
  if (status.ok()) {
    write_.set_cursor.BindInt(1, cursor);
    status = RunAndReset(write_.set_cursor);
  }
  if (status.ok()) status = RunAndReset(write_.commit);
  if (!status.ok()) {
    if (!db_.InAutocommit()) RunAndReset(write_.rollback).IgnoreError();
    return status;
  }
  compact_cursor_ = cursor;
  {
    // A compacted tombstone is forgotten: the key is simply absent now.
    std::unique_lock<std::shared_mutex> lock(index_mu_);
    for (const Row& row : rows) {
      if (!row.deleted) continue;
      auto it = index_.find(row.key);
      if (it != index_.end() && it->second.deleted && it->second.mod_revision == row.revision)
        index_.erase(it);
    }
  }
  if (compact_cursor_ >= compact_target_) vacuum_pending_ = true;
  return absl::OkStatus();
}

// Returns free pages to the file system a slice at a time; finishes with a passive checkpoint so
// the main file actually shrinks.
absl::Status SqliteStore::VacuumStep() {
  if (absl::Status s = db_.Exec(absl::StrCat("PRAGMA incremental_vacuum(", options_.vacuum_batch_pages, ")"));
      !s.ok()) {
    return s;
  }
  absl::StatusOr<int64_t> free_pages = db_.QueryInt("PRAGMA freelist_count");
  if (!free_pages.ok()) return free_pages.status();
  if (*free_pages == 0) {
    vacuum_pending_ = false;
    absl::StatusOr<int64_t> checkpoint = db_.QueryInt("PRAGMA wal_checkpoint(PASSIVE)");
    if (!checkpoint.ok()) return checkpoint.status();
  }
  return absl::OkStatus();
}

}  // namespace skiff::storage
