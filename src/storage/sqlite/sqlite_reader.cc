#include "storage/sqlite/sqlite_reader.h"

#include <utility>

#include "absl/strings/str_cat.h"

namespace skiff::storage {

std::string PrefixEnd(const std::string& prefix) {
  std::string end = prefix;
  while (!end.empty() && static_cast<unsigned char>(end.back()) == 0xff) end.pop_back();
  if (!end.empty()) end.back() = static_cast<char>(static_cast<unsigned char>(end.back()) + 1);
  return end;
}

struct SqliteReader::Connection {
  SqliteDb db;
  SqliteStmt begin, commit, get, scan_bounded, scan_open, row, history_bounded, history_open;

  void ResetAll() {
    for (SqliteStmt* stmt : {&get, &scan_bounded, &scan_open, &row, &history_bounded, &history_open}) {
      stmt->Reset();
    }
  }
};

// A leased connection inside an open read transaction; ends the transaction and returns the
// connection to the pool when destroyed.
class SqliteReader::Lease {
 public:
  Lease(SqliteReader* reader, std::unique_ptr<Connection> connection)
      : reader_(reader), connection_(std::move(connection)) {}
  ~Lease() {
    if (connection_ == nullptr) return;
    connection_->ResetAll();
    absl::Status ended = connection_->db.InAutocommit() ? absl::OkStatus() : connection_->commit.Run();
    connection_->commit.Reset();
    if (ended.ok() && connection_->db.InAutocommit()) reader_->Release(std::move(connection_));
  }
  Lease(const Lease&) = delete;
  Lease& operator=(const Lease&) = delete;

  absl::Status Begin() {
    absl::Status status = connection_->begin.Run();
    connection_->begin.Reset();
    return status;
  }
  Connection& operator*() { return *connection_; }
  Connection* operator->() { return connection_.get(); }

 private:
  SqliteReader* reader_;
  std::unique_ptr<Connection> connection_;
};

SqliteReader::SqliteReader(std::string path, const std::atomic<int64_t>* compacted)
    : path_(std::move(path)), compacted_(compacted) {}

SqliteReader::~SqliteReader() = default;

absl::StatusOr<std::unique_ptr<SqliteReader::Connection>> SqliteReader::Acquire() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (!idle_.empty()) {
      std::unique_ptr<Connection> connection = std::move(idle_.back());
      idle_.pop_back();
      return connection;
    }
  }
  auto connection = std::make_unique<Connection>();
  absl::StatusOr<SqliteDb> db = SqliteDb::Open(path_);
  if (!db.ok()) return db.status();
  connection->db = std::move(*db);
  if (absl::Status s = connection->db.Exec("PRAGMA query_only=1"); !s.ok()) return s;
  struct {
    SqliteStmt* stmt;
    const char* sql;
  } const statements[] = {
      {&connection->begin, "BEGIN"},
      {&connection->commit, "COMMIT"},
      {&connection->get,
       "SELECT revision, value, create_revision, deleted FROM kv WHERE key = ?1 AND revision <= ?2 "
       "ORDER BY revision DESC LIMIT 1"},
      {&connection->scan_bounded,
       "SELECT key, revision FROM kv WHERE key >= ?1 AND key < ?2 AND revision <= ?3 ORDER BY key, revision"},
      {&connection->scan_open,
       "SELECT key, revision FROM kv WHERE key >= ?1 AND revision <= ?2 ORDER BY key, revision"},
      {&connection->row, "SELECT value, create_revision, deleted FROM kv WHERE revision = ?1"},
      {&connection->history_bounded,
       "SELECT revision, key, value, create_revision, deleted FROM kv WHERE revision > ?1 AND revision <= ?2 "
       "AND key >= ?3 AND key < ?4 ORDER BY revision LIMIT ?5"},
      {&connection->history_open,
       "SELECT revision, key, value, create_revision, deleted FROM kv WHERE revision > ?1 AND revision <= ?2 "
       "AND key >= ?3 ORDER BY revision LIMIT ?4"},
  };
  for (const auto& [stmt, sql] : statements) {
    absl::StatusOr<SqliteStmt> prepared = connection->db.Prepare(sql);
    if (!prepared.ok()) return prepared.status();
    *stmt = std::move(*prepared);
  }
  return connection;
}

void SqliteReader::Release(std::unique_ptr<Connection> connection) {
  std::lock_guard<std::mutex> lock(mu_);
  if (idle_.size() < kMaxIdle) idle_.push_back(std::move(connection));
}

absl::Status SqliteReader::CheckNotCompacted(int64_t revision) const {
  int64_t compacted = compacted_->load();
  if (revision < compacted) {
    return absl::OutOfRangeError(
        absl::StrCat("revision ", revision, " has been compacted (compacted revision is ", compacted, ")"));
  }
  return absl::OkStatus();
}

absl::StatusOr<KeyValue> SqliteReader::Get(const std::string& key, int64_t revision) {
  if (absl::Status s = CheckNotCompacted(revision); !s.ok()) return s;
  absl::StatusOr<std::unique_ptr<Connection>> acquired = Acquire();
  if (!acquired.ok()) return acquired.status();
  Lease conn(this, std::move(*acquired));
  if (absl::Status s = conn.Begin(); !s.ok()) return s;
  SqliteStmt& get = conn->get;
  get.BindBlob(1, key);
  get.BindInt(2, revision);
  absl::StatusOr<bool> row = get.Step();
  if (!row.ok()) return row.status();
  // Check after the snapshot exists: see the header for why this is enough.
  if (absl::Status s = CheckNotCompacted(revision); !s.ok()) return s;
  if (!*row || get.ColumnInt(3) != 0) {
    return absl::NotFoundError(absl::StrCat("key \"", key, "\" not found at revision ", revision));
  }
  KeyValue kv;
  kv.key = key;
  kv.mod_revision = get.ColumnInt(0);
  kv.value = get.ColumnBlob(1);
  kv.create_revision = get.ColumnInt(2);
  return kv;
}

absl::StatusOr<ListResult> SqliteReader::List(const std::string& prefix, const std::string& start_after,
                                              int64_t limit, int64_t revision) {
  if (absl::Status s = CheckNotCompacted(revision); !s.ok()) return s;
  absl::StatusOr<std::unique_ptr<Connection>> acquired = Acquire();
  if (!acquired.ok()) return acquired.status();
  Lease conn(this, std::move(*acquired));
  if (absl::Status s = conn.Begin(); !s.ok()) return s;

  // The smallest key strictly greater than start_after is start_after + '\0'.
  std::string low = start_after.empty() ? prefix : start_after + std::string(1, '\0');
  std::string high = PrefixEnd(prefix);
  SqliteStmt& scan = high.empty() ? conn->scan_open : conn->scan_bounded;
  scan.BindBlob(1, low);
  if (high.empty()) {
    scan.BindInt(2, revision);
  } else {
    scan.BindBlob(2, high);
    scan.BindInt(3, revision);
  }

  ListResult result;
  result.revision = revision;
  const size_t wanted = limit > 0 ? static_cast<size_t>(limit) + 1 : SIZE_MAX;  // One extra to learn `more`.
  // Rows arrive grouped by key, oldest first: the last row of each group is the key's state at
  // `revision`; fetch it when the group ends and keep it unless it is a tombstone.
  std::string group_key;
  int64_t group_revision = 0;
  auto finish_group = [&]() -> absl::Status {
    if (group_revision == 0) return absl::OkStatus();
    SqliteStmt& row = conn->row;
    row.BindInt(1, group_revision);
    absl::StatusOr<bool> found = row.Step();
    absl::Status status = found.ok() ? absl::OkStatus() : found.status();
    if (status.ok() && *found && row.ColumnInt(2) == 0) {
      result.kvs.push_back({group_key, row.ColumnBlob(0), row.ColumnInt(1), group_revision});
    }
    row.Reset();
    group_revision = 0;
    return status;
  };
  while (result.kvs.size() < wanted) {
    absl::StatusOr<bool> has_row = scan.Step();
    if (!has_row.ok()) return has_row.status();
    if (!*has_row) break;
    std::string key = scan.ColumnBlob(0);
    if (group_revision != 0 && key != group_key) {
      if (absl::Status s = finish_group(); !s.ok()) return s;
    }
    group_key = std::move(key);
    group_revision = scan.ColumnInt(1);
  }
  if (result.kvs.size() < wanted) {
    if (absl::Status s = finish_group(); !s.ok()) return s;
  }
  if (absl::Status s = CheckNotCompacted(revision); !s.ok()) return s;
  if (result.kvs.size() == wanted) {
    result.kvs.pop_back();
    result.more = true;
  }
  return result;
}

absl::StatusOr<std::vector<WatchEvent>> SqliteReader::History(const std::string& prefix, int64_t after,
                                                              int64_t upto, int64_t limit) {
  if (absl::Status s = CheckNotCompacted(after); !s.ok()) return s;
  std::vector<WatchEvent> events;
  if (upto <= after) return events;
  absl::StatusOr<std::unique_ptr<Connection>> acquired = Acquire();
  if (!acquired.ok()) return acquired.status();
  Lease conn(this, std::move(*acquired));
  if (absl::Status s = conn.Begin(); !s.ok()) return s;
  std::string high = PrefixEnd(prefix);
  SqliteStmt& history = high.empty() ? conn->history_open : conn->history_bounded;
  history.BindInt(1, after);
  history.BindInt(2, upto);
  history.BindBlob(3, prefix);
  if (high.empty()) {
    history.BindInt(4, limit);
  } else {
    history.BindBlob(4, high);
    history.BindInt(5, limit);
  }
  while (true) {
    absl::StatusOr<bool> has_row = history.Step();
    if (!has_row.ok()) return has_row.status();
    if (!*has_row) break;
    WatchEvent event;
    event.kv.mod_revision = history.ColumnInt(0);
    event.kv.key = history.ColumnBlob(1);
    event.kv.value = history.ColumnBlob(2);
    event.kv.create_revision = history.ColumnInt(3);
    event.type = history.ColumnInt(4) != 0 ? WatchEvent::Type::kDelete : WatchEvent::Type::kPut;
    event.created = event.type == WatchEvent::Type::kPut && event.kv.create_revision == event.kv.mod_revision;
    events.push_back(std::move(event));
  }
  if (absl::Status s = CheckNotCompacted(after); !s.ok()) return s;
  return events;
}

}  // namespace skiff::storage
