// MeteredStore: a Store decorator that records the latency of every write (and of reads) into the
// API server's Metrics, so /metrics shows storage latency without the backends knowing about it.
// Thread-safety: as the wrapped Store. Ownership: borrows the wrapped Store and the Metrics.
// Failure: passes every Status through unchanged.
#ifndef SKIFF_APISERVER_METERED_STORE_H_
#define SKIFF_APISERVER_METERED_STORE_H_

#include "apiserver/metrics.h"
#include "storage/store.h"

namespace skiff::apiserver {

class MeteredStore : public storage::Store {
 public:
  MeteredStore(storage::Store* inner, Metrics* metrics) : inner_(inner), metrics_(metrics) {}

  absl::StatusOr<storage::KeyValue> Get(const std::string& key, int64_t revision) override;
  absl::StatusOr<storage::ListResult> List(const std::string& prefix, const storage::ListOptions& options) override;
  absl::StatusOr<int64_t> Count(const std::string& prefix) override { return inner_->Count(prefix); }
  absl::StatusOr<int64_t> Create(const std::string& key, const std::string& value) override;
  absl::StatusOr<int64_t> Update(const std::string& key, const std::string& value, int64_t expected_revision) override;
  absl::StatusOr<int64_t> Delete(const std::string& key, int64_t expected_revision) override;
  absl::StatusOr<std::unique_ptr<storage::WatchHandle>> Watch(const std::string& prefix, int64_t after_revision,
                                                              storage::WatchCallback on_events,
                                                              storage::WatchErrorCallback on_error) override {
    return inner_->Watch(prefix, after_revision, std::move(on_events), std::move(on_error));
  }
  absl::Status Compact(int64_t revision) override { return inner_->Compact(revision); }
  int64_t CurrentRevision() override { return inner_->CurrentRevision(); }
  int64_t CompactedRevision() override { return inner_->CompactedRevision(); }

 private:
  storage::Store* inner_;
  Metrics* metrics_;
};

}  // namespace skiff::apiserver

#endif  // SKIFF_APISERVER_METERED_STORE_H_
