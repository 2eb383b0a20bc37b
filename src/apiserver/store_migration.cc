#include "apiserver/store_migration.h"

#include <atomic>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "apiserver/key_layout.h"
#include "spdlog/spdlog.h"

namespace skiff::apiserver {
namespace {

// Enough concurrent writes for SQLite's group commit and etcd's pipelining to batch them.
constexpr int kWriters = 32;
constexpr int64_t kPageSize = 2000;

// Runs `write` for every element of `items` on kWriters threads; the first error wins.
absl::Status ForEachConcurrently(const std::vector<storage::KeyValue>& items,
                                 const std::function<absl::Status(const storage::KeyValue&)>& write) {
  std::atomic<size_t> next{0};
  std::mutex mu;
  absl::Status first_error;
  std::vector<std::thread> threads;
  for (int t = 0; t < kWriters; ++t) {
    threads.emplace_back([&] {
      for (size_t i = next++; i < items.size(); i = next++) {
        absl::Status status = write(items[i]);
        if (!status.ok()) {
          std::lock_guard<std::mutex> lock(mu);
          if (first_error.ok()) first_error = status;
          return;
        }
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
  return first_error;
}

// Every page of keys under the registry root at one revision, handed to `page_done`.
absl::Status ForEachPage(
    storage::Store& store,
    const std::function<absl::Status(const std::vector<storage::KeyValue>&)>& page_done) {
  storage::ListOptions options{.limit = kPageSize};
  while (true) {
    auto page = store.List(kRegistryRoot, options);
    if (!page.ok()) return page.status();
    if (absl::Status status = page_done(page->kvs); !status.ok()) return status;
    if (!page->more || page->kvs.empty()) return absl::OkStatus();
    options.revision = page->revision;
    options.start_after = page->kvs.back().key;
  }
}

}  // namespace

absl::StatusOr<int64_t> MigrateKeyLayout(storage::Store& store) {
  std::vector<storage::KeyValue> old_keys;
  absl::Status listed = ForEachPage(store, [&](const std::vector<storage::KeyValue>& page) {
    for (const storage::KeyValue& kv : page) {
      if (MigratedKey(kv.key) != kv.key) old_keys.push_back(kv);
    }
    return absl::OkStatus();
  });
  if (!listed.ok()) return listed;
  if (old_keys.empty()) return 0;
  spdlog::info("moving {} stored objects to the Kubernetes key layout", old_keys.size());
  absl::Status moved = ForEachConcurrently(old_keys, [&](const storage::KeyValue& kv) -> absl::Status {
    auto created = store.Create(MigratedKey(kv.key), kv.value);
    // AlreadyExists: an earlier, interrupted run copied it; only the old key remains to go.
    if (!created.ok() && !absl::IsAlreadyExists(created.status())) return created.status();
    auto deleted = store.Delete(kv.key, kv.mod_revision);
    if (!deleted.ok() && !absl::IsNotFound(deleted.status())) return deleted.status();
    return absl::OkStatus();
  });
  if (!moved.ok()) return moved;
  return static_cast<int64_t>(old_keys.size());
}

absl::StatusOr<int64_t> ImportObjects(storage::Store& source, storage::Store& target) {
  auto existing = target.Count(kRegistryRoot);
  if (!existing.ok()) return existing.status();
  if (*existing > 0) {
    return absl::FailedPreconditionError(
        absl::StrCat("the target store already holds ", *existing,
                     " objects under /registry; --import-from only fills an empty one (use a new "
                     "--etcd-prefix or an empty etcd)"));
  }
  std::atomic<int64_t> copied{0};
  absl::Status status = ForEachPage(source, [&](const std::vector<storage::KeyValue>& page) {
    return ForEachConcurrently(page, [&](const storage::KeyValue& kv) -> absl::Status {
      auto created = target.Create(MigratedKey(kv.key), kv.value);
      if (!created.ok()) return created.status();
      ++copied;
      return absl::OkStatus();
    });
  });
  if (!status.ok()) return status;
  return copied.load();
}

}  // namespace skiff::apiserver
