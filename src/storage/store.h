// Store: the narrow, revisioned key-value contract every storage backend implements (etcd-like).
//
// Every successful write creates exactly one new revision; revisions are global, start at 1 and
// only grow. Each key remembers the revision it was created at and last modified at. Deleted keys
// leave a tombstone event in the history until it is compacted.
//
// Thread-safety: every method may be called concurrently from any thread.
// Ownership: the Store owns its storage; Watch handles must be destroyed before the Store.
// Durability: a write method returns OK only after the write is durable (survives kill -9).
// Errors (absl::Status codes, the only failure channel):
//   NotFound          - Get/Update/Delete of a key that does not exist.
//   AlreadyExists     - Create of a key that exists.
//   FailedPrecondition- Update/Delete whose expected revision differs from the key's mod revision.
//   OutOfRange        - a read or watch at a revision that is compacted (the API maps it to 410).
//   InvalidArgument   - malformed arguments (empty key, revision in the future).
//   Unavailable/Internal - the backend failed (disk, network); nothing is acknowledged.
#ifndef SKIFF_STORAGE_STORE_H_
#define SKIFF_STORAGE_STORE_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace skiff::storage {

struct KeyValue {
  std::string key;
  std::string value;
  int64_t create_revision = 0;
  int64_t mod_revision = 0;
};

struct ListOptions {
  // Read at this revision (0 = current). Older than the compacted revision -> OutOfRange.
  int64_t revision = 0;
  // At most this many keys (0 = all). More remain -> ListResult::more is true.
  int64_t limit = 0;
  // Only keys strictly greater than this (for pagination; must start with the prefix or be empty).
  std::string start_after;
};

struct ListResult {
  std::vector<KeyValue> kvs;  // Sorted by key.
  int64_t revision = 0;       // The revision the list was read at.
  bool more = false;          // True when `limit` cut the result.
};

struct WatchEvent {
  enum class Type { kPut, kDelete };
  Type type = Type::kPut;
  // For kPut: the new value. For kDelete: key, mod_revision = the deleting revision, value = the
  // last value before deletion and create_revision of the deleted key.
  KeyValue kv;
  // True when this put created the key (create_revision == mod_revision).
  bool created = false;
};

// Receives events in revision order, in batches. Called from a backend thread; must not block
// for long and must not call back into the Store's watch methods.
using WatchCallback = std::function<void(const std::vector<WatchEvent>& events)>;

// Receives a terminal error (e.g. OutOfRange when the start revision was compacted). After it,
// no more events arrive.
using WatchErrorCallback = std::function<void(const absl::Status& error)>;

// An active watch; destroying it stops delivery (blocking until no callback is running).
class WatchHandle {
 public:
  virtual ~WatchHandle() = default;
};

class Store {
 public:
  virtual ~Store() = default;

  // Value of `key` at `revision` (0 = current).
  virtual absl::StatusOr<KeyValue> Get(const std::string& key, int64_t revision = 0) = 0;

  // Keys starting with `prefix`, at a consistent revision.
  virtual absl::StatusOr<ListResult> List(const std::string& prefix, const ListOptions& options = {}) = 0;

  // Number of live keys starting with `prefix` at the current revision.
  virtual absl::StatusOr<int64_t> Count(const std::string& prefix) = 0;

  // Creates `key` if absent. Returns the new revision.
  virtual absl::StatusOr<int64_t> Create(const std::string& key, const std::string& value) = 0;

  // Replaces `key` if its mod revision equals `expected_revision` (0 = unconditional, but the key
  // must exist). Returns the new revision.
  virtual absl::StatusOr<int64_t> Update(const std::string& key, const std::string& value,
                                         int64_t expected_revision) = 0;

  // Deletes `key` if its mod revision equals `expected_revision` (0 = unconditional). Returns the
  // revision of the deletion.
  virtual absl::StatusOr<int64_t> Delete(const std::string& key, int64_t expected_revision) = 0;

  // Delivers every change to keys under `prefix` with revision > `after_revision`, first from
  // history, then live. after_revision < compacted revision -> error callback with OutOfRange.
  virtual absl::StatusOr<std::unique_ptr<WatchHandle>> Watch(const std::string& prefix, int64_t after_revision,
                                                             WatchCallback on_events,
                                                             WatchErrorCallback on_error) = 0;

  // Forgets history at or below `revision` (live values are kept). Reads/watches at older
  // revisions then fail with OutOfRange.
  virtual absl::Status Compact(int64_t revision) = 0;

  // The newest revision (0 for an empty store).
  virtual int64_t CurrentRevision() = 0;

  // The revision up to which history has been compacted (0 = none).
  virtual int64_t CompactedRevision() = 0;
};

}  // namespace skiff::storage

#endif  // SKIFF_STORAGE_STORE_H_
