#include "storage/sqlite/sqlite_store.h"

#include <algorithm>
#include <chrono>
#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "spdlog/spdlog.h"

namespace skiff::storage {
namespace {

// auto_vacuum only takes effect on a database without tables, so it comes first (after page_size).
constexpr char kSchema[] = R"sql(
PRAGMA auto_vacuum = INCREMENTAL;
PRAGMA journal_mode = WAL;
PRAGMA synchronous = FULL;
PRAGMA journal_size_limit = 8388608;
CREATE TABLE IF NOT EXISTS kv (
  revision INTEGER PRIMARY KEY,
  key BLOB NOT NULL,
  value BLOB NOT NULL,
  create_revision INTEGER NOT NULL,
  prev_revision INTEGER NOT NULL,
  deleted INTEGER NOT NULL
);
CREATE UNIQUE INDEX IF NOT EXISTS kv_key_prev ON kv (key, prev_revision);
CREATE INDEX IF NOT EXISTS kv_key_revision ON kv (key, revision);
CREATE TABLE IF NOT EXISTS meta (name TEXT PRIMARY KEY, value INTEGER NOT NULL);
)sql";

absl::Status InvalidKey(const std::string& key) {
  if (key.empty()) return absl::InvalidArgumentError("key must not be empty");
  return absl::OkStatus();
}

}  // namespace

SqliteStore::SqliteStore(const SqliteOptions& options, SqliteDb db)
    : options_(options),
      clock_(options.clock != nullptr ? *options.clock : base::RealClock()),
      db_(std::move(db)),
      timeline_(std::max(options.compaction_retention / 64, absl::Milliseconds(1))) {}

absl::StatusOr<std::unique_ptr<SqliteStore>> SqliteStore::Open(const SqliteOptions& options) {
  if (options.path.empty()) return absl::InvalidArgumentError("SqliteOptions.path must be set");
  if (options.max_batch <= 0 || options.compaction_batch_rows <= 0 || options.vacuum_batch_pages <= 0) {
    return absl::InvalidArgumentError("SqliteOptions batch sizes must be positive");
  }
  if (options.page_size < 512 || options.page_size > 65536 || (options.page_size & (options.page_size - 1)) != 0) {
    return absl::InvalidArgumentError("SqliteOptions.page_size must be a power of two from 512 to 65536");
  }
  absl::StatusOr<SqliteDb> db = SqliteDb::Open(options.path);
  if (!db.ok()) return db.status();
  std::unique_ptr<SqliteStore> store(new SqliteStore(options, std::move(*db)));
  if (absl::Status s = store->Initialize(); !s.ok()) return s;
  return store;
}

absl::Status SqliteStore::Initialize() {
  // page_size only takes effect on a file without tables (and before WAL mode), so it comes first.
  if (absl::Status s = db_.Exec(absl::StrCat("PRAGMA page_size = ", options_.page_size, ";\n", kSchema));
      !s.ok()) {
    return s;
  }
  struct {
    SqliteStmt* stmt;
    const char* sql;
  } const statements[] = {
      {&write_.begin, "BEGIN IMMEDIATE"},
      {&write_.commit, "COMMIT"},
      {&write_.rollback, "ROLLBACK"},
      {&write_.insert,
       "INSERT INTO kv (revision, key, value, create_revision, prev_revision, deleted) "
       "VALUES (?1, ?2, ?3, ?4, ?5, ?6)"},
      {&write_.value_at, "SELECT value FROM kv WHERE revision = ?1"},
      {&write_.set_compacted, "INSERT OR REPLACE INTO meta (name, value) VALUES ('compacted', ?1)"},
      {&write_.set_cursor, "INSERT OR REPLACE INTO meta (name, value) VALUES ('compact_cursor', ?1)"},
      {&write_.compact_scan,
       "SELECT revision, key, prev_revision, deleted FROM kv WHERE revision > ?1 AND revision <= ?2 "
       "ORDER BY revision LIMIT ?3"},
      {&write_.delete_row, "DELETE FROM kv WHERE revision = ?1"},
  };
  for (const auto& [stmt, sql] : statements) {
    absl::StatusOr<SqliteStmt> prepared = db_.Prepare(sql);
    if (!prepared.ok()) return prepared.status();
    *stmt = std::move(*prepared);
  }
  if (absl::Status s = LoadState(); !s.ok()) return s;

  reader_ = std::make_unique<SqliteReader>(options_.path, &compacted_revision_);
  hub_ = std::make_unique<WatchHub>(
      [reader = reader_.get()](const std::string& prefix, int64_t after, int64_t upto, int64_t limit) {
        return reader->History(prefix, after, upto, limit);
      },
      current_revision_.load());
  timeline_.Record(clock_.Now(), current_revision_.load());
  committer_ = std::thread([this] { CommitLoop(); });
  if (options_.compaction_interval > absl::ZeroDuration())
    compactor_ = std::thread([this] { CompactorLoop(); });
  return absl::OkStatus();
}

// One sequential scan of the log rebuilds the index: the last row of each key wins.
absl::Status SqliteStore::LoadState() {
  absl::StatusOr<int64_t> compacted = db_.QueryInt("SELECT value FROM meta WHERE name = 'compacted'");
  if (!compacted.ok()) return compacted.status();
  absl::StatusOr<int64_t> cursor = db_.QueryInt("SELECT value FROM meta WHERE name = 'compact_cursor'");
  if (!cursor.ok()) return cursor.status();
  absl::StatusOr<SqliteStmt> scan =
      db_.Prepare("SELECT revision, key, create_revision, deleted FROM kv ORDER BY revision");
  if (!scan.ok()) return scan.status();
  int64_t newest = 0;
  while (true) {
    absl::StatusOr<bool> row = scan->Step();
    if (!row.ok()) return row.status();
    if (!*row) break;
    newest = scan->ColumnInt(0);
    index_[scan->ColumnBlob(1)] = IndexEntry{scan->ColumnInt(2), newest, scan->ColumnInt(3) != 0};
  }
  // Compaction may have removed the newest rows (tombstones), never beyond the compacted revision.
  current_revision_ = std::max(newest, *compacted);
  compacted_revision_ = *compacted;
  compact_target_ = *compacted;
  compact_cursor_ = std::min(*cursor, *compacted);
  absl::StatusOr<int64_t> free_pages = db_.QueryInt("PRAGMA freelist_count");
  if (!free_pages.ok()) return free_pages.status();
  vacuum_pending_ = *free_pages > 0;
  maintenance_busy_ = HasMaintenance();
  return absl::OkStatus();
}

SqliteStore::~SqliteStore() {
  {
    std::lock_guard<std::mutex> lock(compactor_mu_);
    compactor_stop_ = true;
  }
  compactor_cv_.notify_all();
  if (compactor_.joinable()) compactor_.join();
  {
    std::lock_guard<std::mutex> lock(queue_mu_);
    stop_ = true;
  }
  queue_cv_.notify_all();
  idle_cv_.notify_all();
  if (committer_.joinable()) committer_.join();
  hub_.reset();
  reader_.reset();
}

absl::StatusOr<int64_t> SqliteStore::ResolveRevision(int64_t revision) const {
  int64_t current = current_revision_.load();
  if (revision < 0) return absl::InvalidArgumentError(absl::StrCat("negative revision ", revision));
  if (revision > current) {
    return absl::InvalidArgumentError(
        absl::StrCat("revision ", revision, " is in the future (current revision is ", current, ")"));
  }
  return revision == 0 ? current : revision;
}

absl::StatusOr<KeyValue> SqliteStore::Get(const std::string& key, int64_t revision) {
  if (absl::Status s = InvalidKey(key); !s.ok()) return s;
  absl::StatusOr<int64_t> at = ResolveRevision(revision);
  if (!at.ok()) return at.status();
  return reader_->Get(key, *at);
}

absl::StatusOr<ListResult> SqliteStore::List(const std::string& prefix, const ListOptions& options) {
  if (!options.start_after.empty() && !absl::StartsWith(options.start_after, prefix)) {
    return absl::InvalidArgumentError(absl::StrCat("start_after \"", options.start_after,
                                                   "\" does not start with the prefix \"", prefix, "\""));
  }
  if (options.limit < 0) return absl::InvalidArgumentError("negative limit");
  absl::StatusOr<int64_t> at = ResolveRevision(options.revision);
  if (!at.ok()) return at.status();
  return reader_->List(prefix, options.start_after, options.limit, *at);
}

absl::StatusOr<int64_t> SqliteStore::Count(const std::string& prefix) {
  std::shared_lock<std::shared_mutex> lock(index_mu_);
  int64_t count = 0;
  for (auto it = index_.lower_bound(prefix); it != index_.end() && absl::StartsWith(it->first, prefix);
       ++it) {
    if (!it->second.deleted) ++count;
  }
  return count;
}

absl::StatusOr<int64_t> SqliteStore::Create(const std::string& key, const std::string& value) {
  if (absl::Status s = InvalidKey(key); !s.ok()) return s;
  return Submit(Op::Kind::kCreate, key, value, 0);
}

absl::StatusOr<int64_t> SqliteStore::Update(const std::string& key, const std::string& value,
                                            int64_t expected_revision) {
  if (absl::Status s = InvalidKey(key); !s.ok()) return s;
  if (expected_revision < 0) return absl::InvalidArgumentError("negative expected revision");
  return Submit(Op::Kind::kUpdate, key, value, expected_revision);
}

absl::StatusOr<int64_t> SqliteStore::Delete(const std::string& key, int64_t expected_revision) {
  if (absl::Status s = InvalidKey(key); !s.ok()) return s;
  if (expected_revision < 0) return absl::InvalidArgumentError("negative expected revision");
  return Submit(Op::Kind::kDelete, key, "", expected_revision);
}

absl::StatusOr<std::unique_ptr<WatchHandle>> SqliteStore::Watch(const std::string& prefix,
                                                                int64_t after_revision,
                                                                WatchCallback on_events,
                                                                WatchErrorCallback on_error) {
  if (after_revision < 0) return absl::InvalidArgumentError("negative watch revision");
  if (!on_events) return absl::InvalidArgumentError("watch needs an event callback");
  return hub_->Add(prefix, after_revision, std::move(on_events), std::move(on_error));
}

absl::Status SqliteStore::Compact(int64_t revision) {
  int64_t current = current_revision_.load();
  if (revision < 0 || revision > current) {
    return absl::InvalidArgumentError(
        absl::StrCat("cannot compact to revision ", revision, " (current revision is ", current, ")"));
  }
  if (revision <= compacted_revision_.load()) return absl::OkStatus();
  return Submit(Op::Kind::kCompact, "", "", revision).status();
}

absl::StatusOr<int64_t> SqliteStore::CompactExpired() {
  int64_t target = timeline_.RevisionAtOrBefore(clock_.Now() - options_.compaction_retention);
  if (target > compacted_revision_.load()) {
    if (absl::Status s = Compact(target); !s.ok()) return s;
  }
  return compacted_revision_.load();
}

void SqliteStore::WaitForMaintenance() {
  std::unique_lock<std::mutex> lock(queue_mu_);
  idle_cv_.wait(lock, [this] { return stop_ || !maintenance_busy_; });
}

absl::StatusOr<int64_t> SqliteStore::Submit(Op::Kind kind, const std::string& key, const std::string& value,
                                            int64_t revision) {
  auto op = std::make_shared<Op>();
  op->kind = kind;
  op->key = key;
  op->value = value;
  op->revision = revision;
  {
    std::lock_guard<std::mutex> lock(queue_mu_);
    if (stop_) return absl::UnavailableError("the store is closing");
    queue_.push_back(op);
  }
  queue_cv_.notify_one();
  op->done.Wait();
  return op->result;
}

void SqliteStore::CompactorLoop() {
  const auto interval = absl::ToChronoNanoseconds(options_.compaction_interval);
  std::unique_lock<std::mutex> lock(compactor_mu_);
  while (!compactor_cv_.wait_for(lock, interval, [this] { return compactor_stop_; })) {
    lock.unlock();
    const int64_t expired = timeline_.RevisionAtOrBefore(clock_.Now() - options_.compaction_retention);
    if (expired - compacted_revision_.load() < options_.compaction_min_revisions) {
      lock.lock();
      continue;
    }
    if (absl::StatusOr<int64_t> done = CompactExpired(); !done.ok()) {
      spdlog::warn("sqlite store: background compaction failed: {}", done.status().ToString());
    }
    lock.lock();
  }
}

}  // namespace skiff::storage
