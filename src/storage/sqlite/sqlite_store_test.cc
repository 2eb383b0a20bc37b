#include "storage/sqlite/sqlite_store.h"

#include <signal.h>
#include <sqlite3.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <ctime>
#include <filesystem>
#include <functional>
#include <iostream>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "gtest/gtest.h"
#include "storage/testing/store_conformance.h"

namespace skiff::storage {
namespace {

SqliteOptions TestOptions(const std::string& dir) {
  SqliteOptions options;
  options.path = dir + "/skiff.db";
  options.compaction_interval = absl::ZeroDuration();  // Tests compact explicitly unless they say so.
  options.compaction_min_revisions = 1;               // ... and at once when they do.
  return options;
}

INSTANTIATE_TEST_SUITE_P(Sqlite, StoreConformanceTest,
                         ::testing::Values(StoreBackend{"sqlite",
                                                        [](const std::string& dir) -> std::unique_ptr<Store> {
                                                          auto store = SqliteStore::Open(TestOptions(dir));
                                                          if (!store.ok()) {
                                                            ADD_FAILURE() << store.status();
                                                            return nullptr;
                                                          }
                                                          return std::move(*store);
                                                        }}),
                         StoreBackendName);

class SqliteStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string pattern = (std::filesystem::path(::testing::TempDir()) / "skiff_sqlite_XXXXXX").string();
    ASSERT_NE(mkdtemp(pattern.data()), nullptr);
    dir_ = pattern;
  }
  void TearDown() override {
    std::error_code ignored;
    std::filesystem::remove_all(dir_, ignored);
  }

  std::unique_ptr<SqliteStore> OpenStore(const SqliteOptions& options) {
    absl::StatusOr<std::unique_ptr<SqliteStore>> store = SqliteStore::Open(options);
    EXPECT_TRUE(store.ok()) << store.status();
    return store.ok() ? std::move(*store) : nullptr;
  }

  int64_t FileSize(const std::string& suffix) {
    std::error_code error;
    auto size = std::filesystem::file_size(dir_ + "/skiff.db" + suffix, error);
    return error ? 0 : static_cast<int64_t>(size);
  }

  std::string dir_;
};

// Runs `per_thread(thread_index)` on `threads` threads and waits for all of them.
void RunThreads(int threads, const std::function<void(int)>& per_thread) {
  std::vector<std::thread> running;
  for (int t = 0; t < threads; ++t) running.emplace_back(per_thread, t);
  for (std::thread& thread : running) thread.join();
}

TEST_F(SqliteStoreTest, GroupCommitBatchesConcurrentWrites) {
  auto store = OpenStore(TestOptions(dir_));
  ASSERT_NE(store, nullptr);
  constexpr int kThreads = 64;
  constexpr int kWritesEach = 20;
  std::atomic<int> failures{0};
  RunThreads(kThreads, [&](int t) {
    for (int i = 0; i < kWritesEach; ++i) {
      if (!store->Create(absl::StrCat("/g/", t, "/", i), "value").ok()) failures++;
    }
  });
  EXPECT_EQ(failures.load(), 0);
  const int64_t writes = kThreads * kWritesEach;
  EXPECT_EQ(store->CurrentRevision(), writes);
  std::cout << "group commit: " << writes << " writes in " << store->CommitCount() << " transactions\n";
  EXPECT_LT(store->CommitCount(), writes / 4);
}

TEST_F(SqliteStoreTest, FailedCompareAndSwapFailsOnlyItsOwnOperation) {
  auto store = OpenStore(TestOptions(dir_));
  ASSERT_NE(store, nullptr);
  ASSERT_TRUE(store->Create("/c", "0").ok());
  // Many racing CAS updates from the same revision land in shared batches: one wins, the rest
  // fail with FailedPrecondition, and unrelated creates in the same batches all succeed.
  std::atomic<int> wins{0}, conflicts{0}, creates{0}, other{0};
  RunThreads(32, [&](int t) {
    if (t % 2 == 0) {
      absl::StatusOr<int64_t> rev = store->Update("/c", absl::StrCat(t), 1);
      if (rev.ok()) {
        wins++;
      } else if (absl::IsFailedPrecondition(rev.status())) {
        conflicts++;
      } else {
        other++;
      }
    } else {
      (store->Create(absl::StrCat("/x/", t), "v").ok() ? creates : other)++;
    }
  });
  EXPECT_EQ(wins.load(), 1);
  EXPECT_EQ(conflicts.load(), 15);
  EXPECT_EQ(creates.load(), 16);
  EXPECT_EQ(other.load(), 0);
  EXPECT_EQ(store->CurrentRevision(), 1 + 1 + 16);
}

// The unique (key, prev_revision) index refuses a second successor of the same revision even
// when the in-memory index believes the write is fine (here: another writer sneaked a row in).
TEST_F(SqliteStoreTest, FilesAreReadableByTheOwnerOnlyWhateverTheUmask) {
  mode_t old_umask = umask(022);
  SqliteOptions options = TestOptions(dir_);
  {
    auto store = OpenStore(options);
    ASSERT_NE(store, nullptr);
    ASSERT_TRUE(store->Create("/a", "v1").ok());
    for (const char* suffix : {"", "-wal", "-shm"}) {
      struct stat st {};
      ASSERT_EQ(stat((options.path + suffix).c_str(), &st), 0) << suffix;
      EXPECT_EQ(st.st_mode & 0777, 0600u) << suffix;
    }
  }
  // A database left world-readable by an older start is tightened when opened.
  ASSERT_EQ(chmod(options.path.c_str(), 0644), 0);
  { ASSERT_NE(OpenStore(options), nullptr); }
  struct stat st {};
  ASSERT_EQ(stat(options.path.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  umask(old_umask);
}

TEST_F(SqliteStoreTest, UniqueIndexRefusesASecondSuccessor) {
  auto store = OpenStore(TestOptions(dir_));
  ASSERT_NE(store, nullptr);
  ASSERT_TRUE(store->Create("/a", "v1").ok());
  sqlite3* raw = nullptr;
  ASSERT_EQ(sqlite3_open((dir_ + "/skiff.db").c_str(), &raw), SQLITE_OK);
  sqlite3_busy_timeout(raw, 5000);
  char* error = nullptr;
  ASSERT_EQ(sqlite3_exec(raw,
                         "INSERT INTO kv (revision, key, value, create_revision, prev_revision, deleted) "
                         "VALUES (1000, CAST('/a' AS BLOB), CAST('sneaky' AS BLOB), 1, 1, 0)",
                         nullptr, nullptr, &error),
            SQLITE_OK)
      << error;
  sqlite3_close(raw);
  absl::StatusOr<int64_t> update = store->Update("/a", "v2", 1);
  EXPECT_TRUE(absl::IsFailedPrecondition(update.status())) << update.status();
  EXPECT_EQ(store->CurrentRevision(), 1);
  absl::StatusOr<int64_t> other = store->Create("/b", "v");
  ASSERT_TRUE(other.ok()) << other.status();
  EXPECT_EQ(*other, 2);
}

TEST_F(SqliteStoreTest, ChurnWithCompactionKeepsTheFileBounded) {
  SqliteOptions options = TestOptions(dir_);
  auto store = OpenStore(options);
  ASSERT_NE(store, nullptr);
  constexpr int kKeys = 1000;
  constexpr int kThreads = 32;
  const std::string value(200, 'x');
  RunThreads(kThreads, [&](int t) {
    for (int k = t; k < kKeys; k += kThreads)
      ASSERT_TRUE(store->Create(absl::StrFormat("/churn/%04d", k), value).ok());
  });
  auto churn = [&](int rounds) {
    for (int round = 0; round < rounds; ++round) {
      RunThreads(kThreads, [&](int t) {
        for (int k = t; k < kKeys; k += kThreads) {
          ASSERT_TRUE(store->Update(absl::StrFormat("/churn/%04d", k), value, 0).ok());
        }
      });
    }
    ASSERT_TRUE(store->Compact(store->CurrentRevision()).ok());
    store->WaitForMaintenance();
  };
  churn(5);
  const int64_t baseline = FileSize("");
  for (int i = 0; i < 6; ++i) churn(5);
  const int64_t final_size = FileSize("");
  std::cout << "churn: db file " << baseline << " bytes after 5 rounds, " << final_size
            << " after 35 rounds (" << 35 * kKeys << " updates); wal " << FileSize("-wal") << " bytes\n";
  // Uncompacted, 35k rows of ~250 bytes would need ~9 MB.
  EXPECT_LT(final_size, baseline * 3 / 2 + 256 * 1024);
  EXPECT_LT(final_size, 2 * 1024 * 1024);
  EXPECT_LT(FileSize("-wal"), 12 * 1024 * 1024);
  absl::StatusOr<int64_t> count = store->Count("/churn/");
  ASSERT_TRUE(count.ok());
  EXPECT_EQ(*count, kKeys);
  // Everything survives a reopen after all that deleting.
  store.reset();
  store = OpenStore(options);
  ASSERT_NE(store, nullptr);
  absl::StatusOr<ListResult> list = store->List("/churn/");
  ASSERT_TRUE(list.ok());
  EXPECT_EQ(list->kvs.size(), static_cast<size_t>(kKeys));
  EXPECT_EQ(store->CurrentRevision(), kKeys * 36);
}

TEST_F(SqliteStoreTest, BackgroundCompactionFollowsRetention) {
  SqliteOptions options = TestOptions(dir_);
  options.compaction_retention = absl::Milliseconds(200);
  options.compaction_interval = absl::Milliseconds(20);
  auto store = OpenStore(options);
  ASSERT_NE(store, nullptr);
  ASSERT_TRUE(store->Create("/a", "v1").ok());
  ASSERT_TRUE(store->Update("/a", "v2", 0).ok());
  EXPECT_EQ(store->CompactedRevision(), 0);  // Too young to compact.
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (store->CompactedRevision() < 2 && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  EXPECT_EQ(store->CompactedRevision(), 2);
  EXPECT_TRUE(absl::IsOutOfRange(store->Get("/a", 1).status()));
  absl::StatusOr<KeyValue> kv = store->Get("/a");
  ASSERT_TRUE(kv.ok());
  EXPECT_EQ(kv->value, "v2");
}

TEST_F(SqliteStoreTest, IdleStoreDoesNotWrite) {
  SqliteOptions options = TestOptions(dir_);
  options.compaction_retention = absl::Milliseconds(30);
  options.compaction_interval = absl::Milliseconds(10);
  auto store = OpenStore(options);
  ASSERT_NE(store, nullptr);
  ASSERT_TRUE(store->Create("/a", "v").ok());
  for (int i = 1; i < 50; ++i) ASSERT_TRUE(store->Update("/a", absl::StrCat(i), 0).ok());
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (store->CompactedRevision() < 50 && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  ASSERT_EQ(store->CompactedRevision(), 50);
  store->WaitForMaintenance();
  auto stat_of = [&](const std::string& suffix) {
    struct stat st {};
    stat((dir_ + "/skiff.db" + suffix).c_str(), &st);
    return std::make_pair(st.st_mtim.tv_sec * 1000000000LL + st.st_mtim.tv_nsec, st.st_size);
  };
  auto db_before = stat_of("");
  auto wal_before = stat_of("-wal");
  std::this_thread::sleep_for(std::chrono::milliseconds(300));  // ~30 compaction intervals.
  EXPECT_EQ(stat_of(""), db_before);
  EXPECT_EQ(stat_of("-wal"), wal_before);
}

TEST_F(SqliteStoreTest, BackgroundCompactionWaitsForEnoughExpiredRevisions) {
  SqliteOptions options = TestOptions(dir_);
  options.compaction_retention = absl::Milliseconds(30);
  options.compaction_interval = absl::Milliseconds(10);
  options.compaction_min_revisions = 20;
  auto store = OpenStore(options);
  ASSERT_NE(store, nullptr);
  ASSERT_TRUE(store->Create("/lease", "0").ok());
  for (int i = 1; i < 10; ++i) ASSERT_TRUE(store->Update("/lease", absl::StrCat(i), 0).ok());
  std::this_thread::sleep_for(std::chrono::milliseconds(300));  // 10 revisions expired long ago
  EXPECT_EQ(store->CompactedRevision(), 0);
  for (int i = 10; i < 25; ++i) ASSERT_TRUE(store->Update("/lease", absl::StrCat(i), 0).ok());
  // Compacted once 20 have expired (the last few may stay until 20 more have).
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (store->CompactedRevision() < 20 && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  EXPECT_GE(store->CompactedRevision(), 20);
}

// Small pages keep a small update's WAL bytes low; a file keeps the page size it was made with.
TEST_F(SqliteStoreTest, NewFilesUseTheConfiguredPageSize) {
  auto page_size = [&] {
    absl::StatusOr<SqliteDb> db = SqliteDb::Open(dir_ + "/skiff.db");
    EXPECT_TRUE(db.ok());
    return db.ok() ? db->QueryInt("PRAGMA page_size").value_or(-1) : -1;
  };
  {
    auto store = OpenStore(TestOptions(dir_));
    ASSERT_NE(store, nullptr);
    ASSERT_TRUE(store->Create("/a", std::string(3000, 'x')).ok());  // spills to overflow pages
  }
  EXPECT_EQ(page_size(), 1024);
  SqliteOptions options = TestOptions(dir_);
  options.page_size = 4096;
  auto reopened = OpenStore(options);
  ASSERT_NE(reopened, nullptr);
  absl::StatusOr<KeyValue> kv = reopened->Get("/a");
  ASSERT_TRUE(kv.ok()) << kv.status();
  EXPECT_EQ(kv->value, std::string(3000, 'x'));
  reopened.reset();
  EXPECT_EQ(page_size(), 1024);
  options.page_size = 1000;
  EXPECT_TRUE(absl::IsInvalidArgument(SqliteStore::Open(options).status()));
}

TEST_F(SqliteStoreTest, OpeningFortyFiveThousandKeysIsFast) {
  SqliteOptions options = TestOptions(dir_);
  { ASSERT_NE(OpenStore(options), nullptr); }  // Creates the schema.
  constexpr int kKeys = 45000;
  {
    sqlite3* raw = nullptr;
    ASSERT_EQ(sqlite3_open(options.path.c_str(), &raw), SQLITE_OK);
    sqlite3_exec(raw, "BEGIN", nullptr, nullptr, nullptr);
    sqlite3_stmt* insert = nullptr;
    sqlite3_prepare_v2(raw,
                       "INSERT INTO kv (revision, key, value, create_revision, prev_revision, deleted) "
                       "VALUES (?1, ?2, ?3, ?1, 0, 0)",
                       -1, &insert, nullptr);
    const std::string value(300, 'v');
    for (int i = 1; i <= kKeys; ++i) {
      std::string key = absl::StrFormat("/registry/pods/ns%02d/pod-%06d", i % 50, i);
      sqlite3_bind_int64(insert, 1, i);
      sqlite3_bind_blob(insert, 2, key.data(), static_cast<int>(key.size()), SQLITE_TRANSIENT);
      sqlite3_bind_blob(insert, 3, value.data(), static_cast<int>(value.size()), SQLITE_TRANSIENT);
      ASSERT_EQ(sqlite3_step(insert), SQLITE_DONE);
      sqlite3_reset(insert);
    }
    sqlite3_finalize(insert);
    ASSERT_EQ(sqlite3_exec(raw, "COMMIT", nullptr, nullptr, nullptr), SQLITE_OK);
    sqlite3_close(raw);
  }
  // CPU time, not wall time: the bound is about the work opening does, which a loaded machine
  // (CI beside other builds) does not change.
  auto cpu_now = [] {
    timespec ts{};
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return std::chrono::seconds(ts.tv_sec) + std::chrono::nanoseconds(ts.tv_nsec);
  };
  auto start = cpu_now();
  auto store = OpenStore(options);
  auto elapsed = cpu_now() - start;
  ASSERT_NE(store, nullptr);
  std::cout << "open with " << kKeys << " keys: "
            << std::chrono::duration_cast<std::chrono::milliseconds>(elapsed).count() << " ms CPU\n";
  EXPECT_LT(elapsed, std::chrono::milliseconds(500));
  EXPECT_EQ(store->CurrentRevision(), kKeys);
  absl::StatusOr<int64_t> count = store->Count("/registry/pods/");
  ASSERT_TRUE(count.ok());
  EXPECT_EQ(*count, kKeys);
  EXPECT_TRUE(store->Update("/registry/pods/ns07/pod-000007", "new", 7).ok());
}

// Every write acknowledged before a kill -9 is there after reopening.
TEST_F(SqliteStoreTest, AcknowledgedWritesSurviveKillNine) {
  SqliteOptions options = TestOptions(dir_);
  int pipe_fds[2];
  ASSERT_EQ(pipe(pipe_fds), 0);
  pid_t child = fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    close(pipe_fds[0]);
    absl::StatusOr<std::unique_ptr<SqliteStore>> store = SqliteStore::Open(options);
    if (!store.ok()) _exit(2);
    std::atomic<int> next{0};
    std::vector<std::thread> writers;
    for (int t = 0; t < 8; ++t) {
      writers.emplace_back([&] {
        while (true) {
          int i = next++;
          if (!(*store)->Create(absl::StrCat("/kill/", i), absl::StrCat(i)).ok()) _exit(3);
          int32_t acked = i;
          if (write(pipe_fds[1], &acked, sizeof(acked)) != sizeof(acked)) _exit(4);
        }
      });
    }
    for (std::thread& writer : writers) writer.join();
    _exit(0);
  }
  close(pipe_fds[1]);
  std::set<int32_t> acked;
  int32_t i = 0;
  while (acked.size() < 500 && read(pipe_fds[0], &i, sizeof(i)) == sizeof(i)) acked.insert(i);
  kill(child, SIGKILL);
  int status = 0;
  waitpid(child, &status, 0);
  while (read(pipe_fds[0], &i, sizeof(i)) == sizeof(i)) acked.insert(i);  // Acks sent before the kill.
  close(pipe_fds[0]);
  ASSERT_GE(acked.size(), 500u);
  auto store = OpenStore(options);
  ASSERT_NE(store, nullptr);
  for (int32_t key : acked) {
    absl::StatusOr<KeyValue> kv = store->Get(absl::StrCat("/kill/", key));
    ASSERT_TRUE(kv.ok()) << "acknowledged key " << key << " lost: " << kv.status();
    EXPECT_EQ(kv->value, absl::StrCat(key));
  }
  EXPECT_GE(store->CurrentRevision(), static_cast<int64_t>(acked.size()));
}

}  // namespace
}  // namespace skiff::storage
