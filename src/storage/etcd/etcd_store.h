// EtcdStore: the Store contract over an etcd v3 cluster (gRPC), for `skiff server --etcd-servers`.
//
// Mapping: Get/List/Count are linearizable Range reads (List pages with limit and a start key
// after `start_after`, at the revision of the first page); Create is a Txn comparing the key's
// create_revision with 0; Update and Delete are Txns comparing its mod_revision (or, for expected
// revision 0, that it exists), reading the key on failure to tell NotFound from a lost race.
// Watches share one etcd Watch stream (EtcdWatchStream). Compact forwards to etcd's Compact; a
// background thread compacts history older than the retention, as SqliteStore does.
// Revisions are etcd's minus one (see EtcdClient): a fresh etcd reads as revision 0.
//
// Keys are stored without lease, under EtcdOptions::prefix (see KeyMapping). Other writers of the
// same etcd move its revision, which the Store contract allows (revisions grow), but the API
// server's consistent reads wait for the watch cache to reach CurrentRevision(), which only writes
// under its own prefix can move it to: one etcd per cluster.
//
// Thread-safety: all Store methods may be called concurrently from any thread.
// Ownership: owns its gRPC channels and threads; watch handles must be destroyed before the store.
// Failure: see Store; connection loss is Unavailable. A write whose outcome is unknown (the
// member failed mid-request, e.g. during a leader election) is repeated for up to 2 × request_timeout
// and resolved by reading the key; if that cannot be done it is reported Unavailable (never
// acknowledged). No gRPC header is visible to users of this header.
#ifndef SKIFF_STORAGE_ETCD_ETCD_STORE_H_
#define SKIFF_STORAGE_ETCD_ETCD_STORE_H_

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "storage/etcd/etcd_options.h"
#include "storage/store.h"

namespace skiff::storage {

class EtcdStore : public Store {
 public:
  // Connects (waiting up to dial_timeout for a member) and reads the current and compacted
  // revisions. Unavailable when no endpoint answers.
  static absl::StatusOr<std::unique_ptr<EtcdStore>> Open(const EtcdOptions& options);
  ~EtcdStore() override;

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
  // Asks etcd; when it cannot be reached, the newest revision seen so far.
  int64_t CurrentRevision() override;
  int64_t CompactedRevision() override;

 private:
  struct Impl;
  explicit EtcdStore(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace skiff::storage

#endif  // SKIFF_STORAGE_ETCD_ETCD_STORE_H_
