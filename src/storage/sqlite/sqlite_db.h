// Small RAII wrappers over the raw sqlite3 C API: a connection (SqliteDb) and a prepared
// statement (SqliteStmt), with SQLite result codes turned into absl::Status.
//
// Thread-safety: none. A connection and its statements are used by one thread at a time (they are
// opened with SQLITE_OPEN_NOMUTEX); callers serialize access.
// Ownership: SqliteDb owns its sqlite3*; SqliteStmt owns its sqlite3_stmt* and must be destroyed
// before the SqliteDb it was prepared on.
// Failure: every fallible call returns a Status; SQLITE_BUSY/LOCKED/IOERR/FULL/CANTOPEN map to
// Unavailable, SQLITE_CONSTRAINT to FailedPrecondition, anything else to Internal.
#ifndef SKIFF_STORAGE_SQLITE_SQLITE_DB_H_
#define SKIFF_STORAGE_SQLITE_SQLITE_DB_H_

#include <sqlite3.h>

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace skiff::storage {

// Maps an SQLite result code (and the connection's message, if any) to a Status.
absl::Status SqliteError(int code, sqlite3* db, std::string_view what);

class SqliteStmt {
 public:
  SqliteStmt() = default;
  SqliteStmt(SqliteStmt&& other) noexcept : stmt_(other.stmt_), db_(other.db_) { other.stmt_ = nullptr; }
  SqliteStmt& operator=(SqliteStmt&& other) noexcept;
  SqliteStmt(const SqliteStmt&) = delete;
  SqliteStmt& operator=(const SqliteStmt&) = delete;
  ~SqliteStmt();

  // Parameters are 1-based, as in SQLite. Strings are bound as BLOBs so that keys compare
  // bytewise (memcmp), exactly like std::string.
  void BindInt(int index, int64_t value);
  void BindBlob(int index, std::string_view value);

  // Runs one step: true when a row is available, false when done.
  absl::StatusOr<bool> Step();
  // Runs the statement to completion, ignoring rows.
  absl::Status Run();
  // Resets for another execution and clears bindings.
  void Reset();

  int64_t ColumnInt(int index) const;
  std::string ColumnBlob(int index) const;

 private:
  friend class SqliteDb;
  SqliteStmt(sqlite3_stmt* stmt, sqlite3* db) : stmt_(stmt), db_(db) {}

  sqlite3_stmt* stmt_ = nullptr;
  sqlite3* db_ = nullptr;
};

class SqliteDb {
 public:
  // Opens (creating if needed) the database file for reading and writing, with a busy timeout.
  static absl::StatusOr<SqliteDb> Open(const std::string& path);

  SqliteDb() = default;
  SqliteDb(SqliteDb&& other) noexcept : db_(other.db_) { other.db_ = nullptr; }
  SqliteDb& operator=(SqliteDb&& other) noexcept;
  SqliteDb(const SqliteDb&) = delete;
  SqliteDb& operator=(const SqliteDb&) = delete;
  ~SqliteDb();

  // Runs one or more SQL statements that return no rows of interest.
  absl::Status Exec(const std::string& sql);
  absl::StatusOr<SqliteStmt> Prepare(std::string_view sql);
  // Runs a query returning a single integer (e.g. a PRAGMA); `fallback` if it returns no row.
  absl::StatusOr<int64_t> QueryInt(const std::string& sql, int64_t fallback = 0);

  // True when no transaction is open (SQLite rolls back by itself after some I/O errors).
  bool InAutocommit() const { return sqlite3_get_autocommit(db_) != 0; }
  sqlite3* raw() const { return db_; }

 private:
  explicit SqliteDb(sqlite3* db) : db_(db) {}
  sqlite3* db_ = nullptr;
};

}  // namespace skiff::storage

#endif  // SKIFF_STORAGE_SQLITE_SQLITE_DB_H_
