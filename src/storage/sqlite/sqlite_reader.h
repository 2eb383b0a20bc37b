// SqliteReader: the read side of SqliteStore. Answers Get/List at a revision and reads watch
// history from the revision log, on a small pool of read connections so that reads run
// concurrently with each other and with the single writer (WAL mode).
//
// Every read runs in one read transaction (one consistent snapshot) and only looks at rows with
// revision <= the requested one. Afterwards it checks the compacted revision: compaction publishes
// a new compacted revision before it deletes any row, so if the check passes, the snapshot still
// held every row the read needed.
//
// Thread-safety: all methods may be called concurrently; each call leases its own connection.
// Ownership: owns its connections; borrows `compacted`, which must outlive the reader.
// Failure: OutOfRange for a compacted revision, NotFound for a missing key, Unavailable/Internal
// when SQLite fails.
#ifndef SKIFF_STORAGE_SQLITE_SQLITE_READER_H_
#define SKIFF_STORAGE_SQLITE_SQLITE_READER_H_

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "storage/sqlite/sqlite_db.h"
#include "storage/store.h"

namespace skiff::storage {

// The smallest string greater than every string starting with `prefix`; empty when there is none
// (prefix empty or all 0xff bytes), meaning "no upper bound".
std::string PrefixEnd(const std::string& prefix);

class SqliteReader {
 public:
  SqliteReader(std::string path, const std::atomic<int64_t>* compacted);
  ~SqliteReader();

  // `revision` must be a resolved, existing revision (not 0, not in the future).
  absl::StatusOr<KeyValue> Get(const std::string& key, int64_t revision);
  // Live keys under `prefix`, greater than `start_after` (if not empty), at most `limit` (0 = all).
  absl::StatusOr<ListResult> List(const std::string& prefix, const std::string& start_after, int64_t limit,
                                  int64_t revision);
  // Watch history; see WatchHub::HistoryReader.
  absl::StatusOr<std::vector<WatchEvent>> History(const std::string& prefix, int64_t after, int64_t upto,
                                                  int64_t limit);

 private:
  struct Connection;
  class Lease;

  absl::StatusOr<std::unique_ptr<Connection>> Acquire();
  void Release(std::unique_ptr<Connection> connection);
  absl::Status CheckNotCompacted(int64_t revision) const;

  static constexpr size_t kMaxIdle = 8;

  const std::string path_;
  const std::atomic<int64_t>* const compacted_;
  std::mutex mu_;
  std::vector<std::unique_ptr<Connection>> idle_;
};

}  // namespace skiff::storage

#endif  // SKIFF_STORAGE_SQLITE_SQLITE_READER_H_
