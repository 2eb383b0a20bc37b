#include "apiserver/metered_store.h"

#include "absl/time/clock.h"

namespace skiff::apiserver {
namespace {

// Times one call and records it under `operation`.
template <typename F>
auto Timed(Metrics* metrics, const char* operation, F&& call) {
  absl::Time start = absl::Now();
  auto result = call();
  metrics->RecordStorageWrite(operation, absl::Now() - start);
  return result;
}

}  // namespace

absl::StatusOr<storage::KeyValue> MeteredStore::Get(const std::string& key, int64_t revision) {
  return Timed(metrics_, "get", [&] { return inner_->Get(key, revision); });
}
absl::StatusOr<storage::ListResult> MeteredStore::List(const std::string& prefix, const storage::ListOptions& options) {
  return Timed(metrics_, "list", [&] { return inner_->List(prefix, options); });
}
absl::StatusOr<int64_t> MeteredStore::Create(const std::string& key, const std::string& value) {
  return Timed(metrics_, "create", [&] { return inner_->Create(key, value); });
}
absl::StatusOr<int64_t> MeteredStore::Update(const std::string& key, const std::string& value,
                                             int64_t expected_revision) {
  return Timed(metrics_, "update", [&] { return inner_->Update(key, value, expected_revision); });
}
absl::StatusOr<int64_t> MeteredStore::Delete(const std::string& key, int64_t expected_revision) {
  return Timed(metrics_, "delete", [&] { return inner_->Delete(key, expected_revision); });
}

}  // namespace skiff::apiserver
