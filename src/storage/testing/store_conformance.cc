#include "storage/testing/store_conformance.h"

#include <stdlib.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <filesystem>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace skiff::storage {
namespace {

using ::testing::TestParamInfo;

const absl::Status& StatusOf(const absl::Status& status) { return status; }
template <typename T>
const absl::Status& StatusOf(const absl::StatusOr<T>& value) {
  return value.status();
}

#define SKIFF_CAT_INNER(a, b) a##b
#define SKIFF_CAT(a, b) SKIFF_CAT_INNER(a, b)
#define ASSERT_OK(expr)                                                 \
  do {                                                                  \
    const auto& skiff_result = (expr);                                  \
    ASSERT_TRUE(StatusOf(skiff_result).ok()) << StatusOf(skiff_result); \
  } while (0)
#define EXPECT_CODE(expr, expected_code)                                                                 \
  do {                                                                                                   \
    const auto& skiff_result = (expr);                                                                   \
    EXPECT_EQ(StatusOf(skiff_result).code(), absl::StatusCode::expected_code) << StatusOf(skiff_result); \
  } while (0)
#define ASSIGN_OR_FAIL_IMPL(tmp, lhs, expr) \
  auto tmp = (expr);                        \
  ASSERT_TRUE(tmp.ok()) << tmp.status();    \
  lhs = std::move(*tmp)
#define ASSIGN_OR_FAIL(lhs, expr) ASSIGN_OR_FAIL_IMPL(SKIFF_CAT(skiff_or_, __LINE__), lhs, expr)

constexpr auto kWaitTimeout = std::chrono::seconds(20);

// Collects a watch's events and error, and lets the test wait for them.
class Collector {
 public:
  WatchCallback OnEvents() {
    return [this](const std::vector<WatchEvent>& events) {
      std::lock_guard<std::mutex> lock(mu_);
      int64_t last = events_.empty() ? 0 : events_.back().kv.mod_revision;
      for (const WatchEvent& event : events) {
        if (event.kv.mod_revision <= last) out_of_order_ = true;
        last = event.kv.mod_revision;
        events_.push_back(event);
      }
      cv_.notify_all();
    };
  }
  WatchErrorCallback OnError() {
    return [this](const absl::Status& error) {
      std::lock_guard<std::mutex> lock(mu_);
      error_ = error;
      cv_.notify_all();
    };
  }
  bool WaitForEvents(size_t count) {
    std::unique_lock<std::mutex> lock(mu_);
    return cv_.wait_for(lock, kWaitTimeout, [&] { return events_.size() >= count; });
  }
  std::optional<absl::Status> WaitForError() {
    std::unique_lock<std::mutex> lock(mu_);
    cv_.wait_for(lock, kWaitTimeout, [&] { return error_.has_value(); });
    return error_;
  }
  std::vector<WatchEvent> events() {
    std::lock_guard<std::mutex> lock(mu_);
    return events_;
  }
  std::optional<absl::Status> error() {
    std::lock_guard<std::mutex> lock(mu_);
    return error_;
  }
  bool out_of_order() {
    std::lock_guard<std::mutex> lock(mu_);
    return out_of_order_;
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<WatchEvent> events_;
  std::optional<absl::Status> error_;
  bool out_of_order_ = false;
};

std::vector<std::string> Keys(const std::vector<KeyValue>& kvs) {
  std::vector<std::string> keys;
  for (const KeyValue& kv : kvs) keys.push_back(kv.key);
  return keys;
}

std::vector<int64_t> Revisions(const std::vector<WatchEvent>& events) {
  std::vector<int64_t> revisions;
  for (const WatchEvent& event : events) revisions.push_back(event.kv.mod_revision);
  return revisions;
}

}  // namespace

std::string StoreBackendName(const TestParamInfo<StoreBackend>& info) { return info.param.name; }

void StoreConformanceTest::SetUp() {
  std::string pattern = (std::filesystem::path(::testing::TempDir()) / "skiff_store_XXXXXX").string();
  ASSERT_NE(mkdtemp(pattern.data()), nullptr) << "mkdtemp " << pattern;
  dir_ = pattern;
  store_ = GetParam().factory(dir_);
  ASSERT_NE(store_, nullptr) << "the backend factory failed";
}

void StoreConformanceTest::TearDown() {
  store_.reset();
  std::error_code ignored;
  if (!dir_.empty()) std::filesystem::remove_all(dir_, ignored);
}

void StoreConformanceTest::Reopen() {
  store_.reset();
  store_ = GetParam().factory(dir_);
  ASSERT_NE(store_, nullptr) << "the backend factory failed on reopen";
}

// ---- Basic CRUD and error codes ----

TEST_P(StoreConformanceTest, EmptyStore) {
  EXPECT_EQ(store().CurrentRevision(), 0);
  EXPECT_EQ(store().CompactedRevision(), 0);
  ASSIGN_OR_FAIL(ListResult list, store().List(""));
  EXPECT_TRUE(list.kvs.empty());
  EXPECT_FALSE(list.more);
  EXPECT_EQ(list.revision, 0);
  ASSIGN_OR_FAIL(int64_t count, store().Count(""));
  EXPECT_EQ(count, 0);
  EXPECT_CODE(store().Get("/a"), kNotFound);
}

TEST_P(StoreConformanceTest, CreateThenGet) {
  ASSIGN_OR_FAIL(int64_t rev, store().Create("/a", "one"));
  EXPECT_EQ(rev, 1);
  EXPECT_EQ(store().CurrentRevision(), 1);
  ASSIGN_OR_FAIL(KeyValue kv, store().Get("/a"));
  EXPECT_EQ(kv.key, "/a");
  EXPECT_EQ(kv.value, "one");
  EXPECT_EQ(kv.create_revision, 1);
  EXPECT_EQ(kv.mod_revision, 1);
}

TEST_P(StoreConformanceTest, BinaryKeysAndValuesRoundTrip) {
  const std::string key = std::string("/bin/\x01\xff", 7) + std::string(1, '\0') + "z";
  const std::string value = std::string("\0\xff\x80 value", 10);
  ASSERT_OK(store().Create(key, value));
  ASSERT_OK(store().Create("/bin/", ""));
  ASSIGN_OR_FAIL(KeyValue kv, store().Get(key));
  EXPECT_EQ(kv.value, value);
  ASSIGN_OR_FAIL(KeyValue empty, store().Get("/bin/"));
  EXPECT_EQ(empty.value, "");
  ASSIGN_OR_FAIL(ListResult list, store().List(std::string("/bin/\x01\xff", 7)));
  EXPECT_EQ(Keys(list.kvs), std::vector<std::string>{key});
}

TEST_P(StoreConformanceTest, CreateExistingFails) {
  ASSERT_OK(store().Create("/a", "one"));
  EXPECT_CODE(store().Create("/a", "two"), kAlreadyExists);
  EXPECT_EQ(store().CurrentRevision(), 1);
  ASSIGN_OR_FAIL(KeyValue kv, store().Get("/a"));
  EXPECT_EQ(kv.value, "one");
}

TEST_P(StoreConformanceTest, EmptyKeyIsInvalid) {
  EXPECT_CODE(store().Create("", "v"), kInvalidArgument);
  EXPECT_CODE(store().Get(""), kInvalidArgument);
  EXPECT_CODE(store().Update("", "v", 0), kInvalidArgument);
  EXPECT_CODE(store().Delete("", 0), kInvalidArgument);
  EXPECT_EQ(store().CurrentRevision(), 0);
}

TEST_P(StoreConformanceTest, UpdateUnconditionalAndCompareAndSwap) {
  ASSIGN_OR_FAIL(int64_t created, store().Create("/a", "one"));
  ASSIGN_OR_FAIL(int64_t second, store().Update("/a", "two", 0));
  EXPECT_EQ(second, created + 1);
  ASSIGN_OR_FAIL(int64_t third, store().Update("/a", "three", second));
  EXPECT_EQ(third, second + 1);
  EXPECT_CODE(store().Update("/a", "stale", second), kFailedPrecondition);
  EXPECT_CODE(store().Update("/a", "future", third + 5), kFailedPrecondition);
  ASSIGN_OR_FAIL(KeyValue kv, store().Get("/a"));
  EXPECT_EQ(kv.value, "three");
  EXPECT_EQ(kv.create_revision, created);
  EXPECT_EQ(kv.mod_revision, third);
  EXPECT_EQ(store().CurrentRevision(), third);
}

TEST_P(StoreConformanceTest, UpdateOrDeleteMissingIsNotFound) {
  EXPECT_CODE(store().Update("/missing", "v", 0), kNotFound);
  EXPECT_CODE(store().Update("/missing", "v", 1), kNotFound);
  EXPECT_CODE(store().Delete("/missing", 0), kNotFound);
  EXPECT_EQ(store().CurrentRevision(), 0);
}

TEST_P(StoreConformanceTest, DeleteWithCompareAndSwap) {
  ASSIGN_OR_FAIL(int64_t created, store().Create("/a", "one"));
  ASSIGN_OR_FAIL(int64_t updated, store().Update("/a", "two", created));
  EXPECT_CODE(store().Delete("/a", created), kFailedPrecondition);
  ASSIGN_OR_FAIL(int64_t deleted, store().Delete("/a", updated));
  EXPECT_EQ(deleted, updated + 1);
  EXPECT_EQ(store().CurrentRevision(), deleted);
  EXPECT_CODE(store().Get("/a"), kNotFound);
  EXPECT_CODE(store().Delete("/a", 0), kNotFound);
  EXPECT_CODE(store().Update("/a", "three", 0), kNotFound);
  EXPECT_CODE(store().Update("/a", "three", deleted), kNotFound);
  EXPECT_EQ(store().CurrentRevision(), deleted);
}

TEST_P(StoreConformanceTest, UnconditionalDelete) {
  ASSERT_OK(store().Create("/a", "one"));
  ASSERT_OK(store().Update("/a", "two", 0));
  ASSIGN_OR_FAIL(int64_t deleted, store().Delete("/a", 0));
  EXPECT_EQ(deleted, 3);
  EXPECT_CODE(store().Get("/a"), kNotFound);
}

TEST_P(StoreConformanceTest, RecreateAfterDeleteStartsANewLife) {
  ASSERT_OK(store().Create("/a", "one"));
  ASSIGN_OR_FAIL(int64_t deleted, store().Delete("/a", 0));
  ASSIGN_OR_FAIL(int64_t recreated, store().Create("/a", "again"));
  EXPECT_EQ(recreated, deleted + 1);
  ASSIGN_OR_FAIL(KeyValue kv, store().Get("/a"));
  EXPECT_EQ(kv.value, "again");
  EXPECT_EQ(kv.create_revision, recreated);
  EXPECT_EQ(kv.mod_revision, recreated);
  EXPECT_CODE(store().Create("/a", "twice"), kAlreadyExists);
}

TEST_P(StoreConformanceTest, RevisionsAreGlobalAndGrowByOnePerWrite) {
  int64_t last = 0;
  for (int i = 0; i < 5; ++i) {
    ASSIGN_OR_FAIL(int64_t rev, store().Create(absl::StrCat("/k", i), "v"));
    EXPECT_EQ(rev, last + 1);
    last = rev;
    // Failed writes consume no revision.
    EXPECT_CODE(store().Create(absl::StrCat("/k", i), "again"), kAlreadyExists);
    EXPECT_CODE(store().Update(absl::StrCat("/k", i), "v", last + 100), kFailedPrecondition);
  }
  ASSIGN_OR_FAIL(int64_t updated, store().Update("/k0", "v2", 0));
  EXPECT_EQ(updated, last + 1);
  ASSIGN_OR_FAIL(int64_t deleted, store().Delete("/k3", 0));
  EXPECT_EQ(deleted, updated + 1);
  EXPECT_EQ(store().CurrentRevision(), deleted);
  ASSIGN_OR_FAIL(KeyValue k1, store().Get("/k1"));
  EXPECT_EQ(k1.mod_revision, 2);
}

// ---- MVCC reads ----

TEST_P(StoreConformanceTest, GetAtOlderRevisionsReadsHistory) {
  ASSIGN_OR_FAIL(int64_t r1, store().Create("/a", "v1"));
  ASSIGN_OR_FAIL(int64_t r2, store().Create("/other", "x"));
  ASSIGN_OR_FAIL(int64_t r3, store().Update("/a", "v2", r1));
  ASSIGN_OR_FAIL(int64_t r4, store().Delete("/a", r3));
  ASSIGN_OR_FAIL(int64_t r5, store().Create("/a", "v3"));

  ASSIGN_OR_FAIL(KeyValue at1, store().Get("/a", r1));
  EXPECT_EQ(at1.value, "v1");
  EXPECT_EQ(at1.mod_revision, r1);
  ASSIGN_OR_FAIL(KeyValue at2, store().Get("/a", r2));
  EXPECT_EQ(at2.value, "v1");
  ASSIGN_OR_FAIL(KeyValue at3, store().Get("/a", r3));
  EXPECT_EQ(at3.value, "v2");
  EXPECT_EQ(at3.create_revision, r1);
  EXPECT_EQ(at3.mod_revision, r3);
  EXPECT_CODE(store().Get("/a", r4), kNotFound);
  ASSIGN_OR_FAIL(KeyValue at5, store().Get("/a", r5));
  EXPECT_EQ(at5.value, "v3");
  EXPECT_EQ(at5.create_revision, r5);
  EXPECT_CODE(store().Get("/other", r1), kNotFound);
}

TEST_P(StoreConformanceTest, RevisionsInTheFutureAreInvalid) {
  ASSIGN_OR_FAIL(int64_t rev, store().Create("/a", "v"));
  EXPECT_CODE(store().Get("/a", rev + 1), kInvalidArgument);
  EXPECT_CODE(store().List("/", ListOptions{.revision = rev + 1}), kInvalidArgument);
  EXPECT_CODE(store().Compact(rev + 1), kInvalidArgument);
  EXPECT_CODE(store().Get("/a", -1), kInvalidArgument);
}

// ---- List and Count ----

TEST_P(StoreConformanceTest, ListReturnsLiveKeysUnderPrefixSorted) {
  for (const char* key : {"/pods/b", "/pods/a", "/pods/c", "/podsx", "/nodes/a", "/pods/d"}) {
    ASSERT_OK(store().Create(key, std::string("value of ") + key));
  }
  ASSERT_OK(store().Delete("/pods/c", 0));
  ASSIGN_OR_FAIL(ListResult list, store().List("/pods/"));
  EXPECT_EQ(Keys(list.kvs), (std::vector<std::string>{"/pods/a", "/pods/b", "/pods/d"}));
  EXPECT_EQ(list.revision, store().CurrentRevision());
  EXPECT_FALSE(list.more);
  EXPECT_EQ(list.kvs[0].value, "value of /pods/a");
  EXPECT_EQ(list.kvs[0].create_revision, 2);
  EXPECT_EQ(list.kvs[0].mod_revision, 2);
  ASSIGN_OR_FAIL(ListResult all, store().List(""));
  EXPECT_EQ(all.kvs.size(), 5u);
  ASSIGN_OR_FAIL(ListResult none, store().List("/services/"));
  EXPECT_TRUE(none.kvs.empty());
}

TEST_P(StoreConformanceTest, ListAtOlderRevision) {
  ASSERT_OK(store().Create("/p/a", "a1"));
  ASSIGN_OR_FAIL(int64_t r2, store().Create("/p/b", "b1"));
  ASSERT_OK(store().Update("/p/a", "a2", 0));
  ASSERT_OK(store().Delete("/p/b", 0));
  ASSERT_OK(store().Create("/p/c", "c1"));
  ASSIGN_OR_FAIL(ListResult old, store().List("/p/", ListOptions{.revision = r2}));
  EXPECT_EQ(old.revision, r2);
  ASSERT_EQ(Keys(old.kvs), (std::vector<std::string>{"/p/a", "/p/b"}));
  EXPECT_EQ(old.kvs[0].value, "a1");
  EXPECT_EQ(old.kvs[1].value, "b1");
  ASSIGN_OR_FAIL(ListResult now, store().List("/p/"));
  ASSERT_EQ(Keys(now.kvs), (std::vector<std::string>{"/p/a", "/p/c"}));
  EXPECT_EQ(now.kvs[0].value, "a2");
}

TEST_P(StoreConformanceTest, ListPaginationIsConsistentWhileWritesContinue) {
  for (int i = 0; i < 50; ++i)
    ASSERT_OK(store().Create(absl::StrFormat("/p/k%03d", i), absl::StrCat("v", i)));
  ASSERT_OK(store().Create("/q/outside", "x"));
  ASSIGN_OR_FAIL(ListResult snapshot, store().List("/p/"));
  ASSERT_EQ(snapshot.kvs.size(), 50u);

  std::vector<KeyValue> paged;
  ListOptions options{.revision = snapshot.revision, .limit = 7};
  for (int page = 0;; ++page) {
    ASSERT_LT(page, 20);
    ASSIGN_OR_FAIL(ListResult result, store().List("/p/", options));
    EXPECT_EQ(result.revision, snapshot.revision);
    EXPECT_LE(result.kvs.size(), 7u);
    paged.insert(paged.end(), result.kvs.begin(), result.kvs.end());
    // Writes between pages must not show up in later pages.
    ASSERT_OK(store().Update(absl::StrFormat("/p/k%03d", page), "changed", 0));
    ASSERT_OK(store().Delete(absl::StrFormat("/p/k%03d", 49 - page), 0));
    ASSERT_OK(store().Create(absl::StrFormat("/p/k%03d5", page), "new"));
    if (!result.more) {
      EXPECT_EQ(result.kvs.size(), 1u);  // 50 = 7 * 7 + 1.
      break;
    }
    ASSERT_EQ(result.kvs.size(), 7u);
    options.start_after = result.kvs.back().key;
  }
  ASSERT_EQ(paged.size(), snapshot.kvs.size());
  for (size_t i = 0; i < paged.size(); ++i) {
    EXPECT_EQ(paged[i].key, snapshot.kvs[i].key);
    EXPECT_EQ(paged[i].value, snapshot.kvs[i].value);
    EXPECT_EQ(paged[i].mod_revision, snapshot.kvs[i].mod_revision);
  }
}

TEST_P(StoreConformanceTest, ListLimitAndStartAfter) {
  for (const char* key : {"/p/a", "/p/b", "/p/c", "/p/d"}) ASSERT_OK(store().Create(key, "v"));
  ASSIGN_OR_FAIL(ListResult first, store().List("/p/", ListOptions{.limit = 2}));
  EXPECT_EQ(Keys(first.kvs), (std::vector<std::string>{"/p/a", "/p/b"}));
  EXPECT_TRUE(first.more);
  ASSIGN_OR_FAIL(ListResult rest, store().List("/p/", ListOptions{.limit = 2, .start_after = "/p/b"}));
  EXPECT_EQ(Keys(rest.kvs), (std::vector<std::string>{"/p/c", "/p/d"}));
  EXPECT_FALSE(rest.more);
  ASSIGN_OR_FAIL(ListResult exact, store().List("/p/", ListOptions{.limit = 4}));
  EXPECT_EQ(exact.kvs.size(), 4u);
  EXPECT_FALSE(exact.more);
  ASSIGN_OR_FAIL(ListResult between, store().List("/p/", ListOptions{.start_after = "/p/bb"}));
  EXPECT_EQ(Keys(between.kvs), (std::vector<std::string>{"/p/c", "/p/d"}));
  // Deleted keys do not count against the limit.
  ASSERT_OK(store().Delete("/p/a", 0));
  ASSERT_OK(store().Delete("/p/b", 0));
  ASSIGN_OR_FAIL(ListResult after_delete, store().List("/p/", ListOptions{.limit = 1}));
  EXPECT_EQ(Keys(after_delete.kvs), std::vector<std::string>{"/p/c"});
  EXPECT_TRUE(after_delete.more);
}

TEST_P(StoreConformanceTest, ListStartAfterOutsidePrefixIsInvalid) {
  ASSERT_OK(store().Create("/p/a", "v"));
  EXPECT_CODE(store().List("/p/", ListOptions{.start_after = "/q/a"}), kInvalidArgument);
  EXPECT_CODE(store().List("/p/", ListOptions{.limit = -1}), kInvalidArgument);
}

TEST_P(StoreConformanceTest, CountLiveKeysByPrefix) {
  for (const char* key : {"/pods/ns1/a", "/pods/ns1/b", "/pods/ns2/a", "/nodes/n1"})
    ASSERT_OK(store().Create(key, "v"));
  ASSERT_OK(store().Delete("/pods/ns1/b", 0));
  ASSIGN_OR_FAIL(int64_t pods, store().Count("/pods/"));
  EXPECT_EQ(pods, 2);
  ASSIGN_OR_FAIL(int64_t ns1, store().Count("/pods/ns1/"));
  EXPECT_EQ(ns1, 1);
  ASSIGN_OR_FAIL(int64_t all, store().Count(""));
  EXPECT_EQ(all, 3);
  ASSIGN_OR_FAIL(int64_t none, store().Count("/services/"));
  EXPECT_EQ(none, 0);
}

// ---- Watch ----

TEST_P(StoreConformanceTest, WatchReplaysHistoryThenGoesLive) {
  ASSIGN_OR_FAIL(int64_t r1, store().Create("/w/a", "a1"));
  ASSIGN_OR_FAIL(int64_t r2, store().Update("/w/a", "a2", r1));
  ASSIGN_OR_FAIL(int64_t r3, store().Create("/w/b", "b1"));
  Collector collector;
  ASSIGN_OR_FAIL(std::unique_ptr<WatchHandle> watch,
                 store().Watch("/w/", r1, collector.OnEvents(), collector.OnError()));
  ASSERT_TRUE(collector.WaitForEvents(2));
  ASSIGN_OR_FAIL(int64_t r4, store().Delete("/w/a", 0));
  ASSIGN_OR_FAIL(int64_t r5, store().Create("/w/c", "c1"));
  ASSERT_TRUE(collector.WaitForEvents(4));
  std::vector<WatchEvent> events = collector.events();
  EXPECT_EQ(Revisions(events), (std::vector<int64_t>{r2, r3, r4, r5}));
  EXPECT_EQ(events[0].type, WatchEvent::Type::kPut);
  EXPECT_FALSE(events[0].created);
  EXPECT_EQ(events[0].kv.value, "a2");
  EXPECT_EQ(events[0].kv.create_revision, r1);
  EXPECT_TRUE(events[1].created);
  EXPECT_EQ(events[1].kv.key, "/w/b");
  EXPECT_EQ(events[2].type, WatchEvent::Type::kDelete);
  EXPECT_TRUE(events[3].created);
  EXPECT_EQ(events[3].kv.create_revision, r5);
  EXPECT_FALSE(collector.error().has_value());
}

TEST_P(StoreConformanceTest, WatchFiltersByPrefix) {
  Collector pods;
  Collector all;
  ASSIGN_OR_FAIL(std::unique_ptr<WatchHandle> pods_watch,
                 store().Watch("/pods/", 0, pods.OnEvents(), pods.OnError()));
  ASSIGN_OR_FAIL(std::unique_ptr<WatchHandle> all_watch, store().Watch("", 0, all.OnEvents(), all.OnError()));
  ASSERT_OK(store().Create("/pods/a", "v"));
  ASSERT_OK(store().Create("/podsx", "v"));
  ASSERT_OK(store().Create("/nodes/a", "v"));
  ASSERT_OK(store().Update("/pods/a", "v2", 0));
  ASSERT_TRUE(all.WaitForEvents(4));
  ASSERT_TRUE(pods.WaitForEvents(2));
  std::this_thread::sleep_for(std::chrono::milliseconds(100));  // Room for any wrong extra event.
  std::vector<WatchEvent> events = pods.events();
  ASSERT_EQ(events.size(), 2u);
  EXPECT_EQ(events[0].kv.key, "/pods/a");
  EXPECT_EQ(events[1].kv.key, "/pods/a");
  EXPECT_EQ(Revisions(events), (std::vector<int64_t>{1, 4}));
  EXPECT_EQ(all.events().size(), 4u);
}

TEST_P(StoreConformanceTest, DeleteEventsCarryTheLastValue) {
  ASSIGN_OR_FAIL(int64_t created, store().Create("/d/a", "first"));
  ASSERT_OK(store().Update("/d/a", "last", 0));
  Collector live;
  ASSIGN_OR_FAIL(std::unique_ptr<WatchHandle> live_watch,
                 store().Watch("/d/", store().CurrentRevision(), live.OnEvents(), live.OnError()));
  ASSIGN_OR_FAIL(int64_t deleted, store().Delete("/d/a", 0));
  ASSERT_TRUE(live.WaitForEvents(1));
  // The same event replayed from history must look the same.
  Collector replay;
  ASSIGN_OR_FAIL(std::unique_ptr<WatchHandle> replay_watch,
                 store().Watch("/d/", deleted - 1, replay.OnEvents(), replay.OnError()));
  ASSERT_TRUE(replay.WaitForEvents(1));
  for (Collector* collector : {&live, &replay}) {
    WatchEvent event = collector->events().at(0);
    EXPECT_EQ(event.type, WatchEvent::Type::kDelete);
    EXPECT_EQ(event.kv.key, "/d/a");
    EXPECT_EQ(event.kv.value, "last");
    EXPECT_EQ(event.kv.mod_revision, deleted);
    EXPECT_EQ(event.kv.create_revision, created);
    EXPECT_FALSE(event.created);
  }
}

TEST_P(StoreConformanceTest, WatchFromCurrentRevisionSeesOnlyNewEvents) {
  ASSERT_OK(store().Create("/w/old", "v"));
  Collector collector;
  ASSIGN_OR_FAIL(std::unique_ptr<WatchHandle> watch,
                 store().Watch("/w/", store().CurrentRevision(), collector.OnEvents(), collector.OnError()));
  ASSIGN_OR_FAIL(int64_t rev, store().Create("/w/new", "v"));
  ASSERT_TRUE(collector.WaitForEvents(1));
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  EXPECT_EQ(Revisions(collector.events()), std::vector<int64_t>{rev});
}

TEST_P(StoreConformanceTest, DestroyedWatchReceivesNothingMore) {
  Collector collector;
  ASSIGN_OR_FAIL(std::unique_ptr<WatchHandle> watch,
                 store().Watch("/", 0, collector.OnEvents(), collector.OnError()));
  ASSERT_OK(store().Create("/a", "v"));
  ASSERT_TRUE(collector.WaitForEvents(1));
  watch.reset();
  ASSERT_OK(store().Create("/b", "v"));
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  EXPECT_EQ(collector.events().size(), 1u);
}

// Watches started at many points while writers run must each see exactly the revisions after
// their start, in order: the switch from history to live has no gap and no duplicate.
TEST_P(StoreConformanceTest, WatchesStartedDuringWritesSeeEveryRevisionOnce) {
  constexpr int kWriters = 4;
  constexpr int kWritesEach = 100;
  std::vector<std::thread> writers;
  for (int w = 0; w < kWriters; ++w) {
    writers.emplace_back([this, w] {
      for (int i = 0; i < kWritesEach; ++i) {
        ASSERT_OK(store().Create(absl::StrCat("/c/", w, "/", i), "v"));
      }
    });
  }
  std::vector<std::unique_ptr<Collector>> collectors;
  std::vector<int64_t> starts;
  std::vector<std::unique_ptr<WatchHandle>> watches;
  for (int i = 0; i < 8; ++i) {
    int64_t start = store().CurrentRevision() / (i % 2 == 0 ? 1 : 2);
    collectors.push_back(std::make_unique<Collector>());
    ASSIGN_OR_FAIL(std::unique_ptr<WatchHandle> watch,
                   store().Watch("/c/", start, collectors.back()->OnEvents(), collectors.back()->OnError()));
    watches.push_back(std::move(watch));
    starts.push_back(start);
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  for (std::thread& writer : writers) writer.join();
  const int64_t total = kWriters * kWritesEach;
  ASSERT_EQ(store().CurrentRevision(), total);
  for (size_t i = 0; i < collectors.size(); ++i) {
    ASSERT_TRUE(collectors[i]->WaitForEvents(static_cast<size_t>(total - starts[i]))) << "watch " << i;
    std::vector<int64_t> revisions = Revisions(collectors[i]->events());
    ASSERT_EQ(revisions.size(), static_cast<size_t>(total - starts[i])) << "watch " << i;
    for (size_t j = 0; j < revisions.size(); ++j)
      ASSERT_EQ(revisions[j], starts[i] + 1 + static_cast<int64_t>(j));
    EXPECT_FALSE(collectors[i]->out_of_order());
  }
}

// ---- Compaction ----

TEST_P(StoreConformanceTest, CompactionMakesOlderRevisionsOutOfRange) {
  ASSIGN_OR_FAIL(int64_t r1, store().Create("/k/a", "a1"));
  ASSIGN_OR_FAIL(int64_t r2, store().Create("/k/b", "b1"));
  ASSIGN_OR_FAIL(int64_t r3, store().Update("/k/a", "a2", r1));
  ASSIGN_OR_FAIL(int64_t r4, store().Delete("/k/b", r2));
  ASSIGN_OR_FAIL(int64_t r5, store().Update("/k/a", "a3", r3));
  ASSERT_OK(store().Compact(r4));
  EXPECT_EQ(store().CompactedRevision(), r4);
  EXPECT_CODE(store().Get("/k/a", r3), kOutOfRange);
  EXPECT_CODE(store().List("/k/", ListOptions{.revision = r1}), kOutOfRange);
  // The compacted revision itself is still readable.
  ASSIGN_OR_FAIL(KeyValue at4, store().Get("/k/a", r4));
  EXPECT_EQ(at4.value, "a2");
  EXPECT_EQ(at4.create_revision, r1);
  EXPECT_CODE(store().Get("/k/b", r4), kNotFound);
  ASSIGN_OR_FAIL(ListResult list4, store().List("/k/", ListOptions{.revision = r4}));
  EXPECT_EQ(Keys(list4.kvs), std::vector<std::string>{"/k/a"});
  ASSIGN_OR_FAIL(KeyValue now, store().Get("/k/a"));
  EXPECT_EQ(now.value, "a3");
  EXPECT_EQ(now.mod_revision, r5);
  // Compacting to an older revision changes nothing.
  ASSERT_OK(store().Compact(r2));
  EXPECT_EQ(store().CompactedRevision(), r4);
  // A key whose tombstone was compacted can be created again.
  ASSIGN_OR_FAIL(int64_t r6, store().Create("/k/b", "b2"));
  ASSIGN_OR_FAIL(KeyValue b, store().Get("/k/b"));
  EXPECT_EQ(b.create_revision, r6);
  ASSIGN_OR_FAIL(int64_t count, store().Count("/k/"));
  EXPECT_EQ(count, 2);
}

TEST_P(StoreConformanceTest, CompactToCurrentKeepsLiveValues) {
  for (int i = 0; i < 20; ++i) ASSERT_OK(store().Create(absl::StrCat("/k/", i), "v0"));
  for (int round = 1; round <= 5; ++round) {
    for (int i = 0; i < 20; ++i)
      ASSERT_OK(store().Update(absl::StrCat("/k/", i), absl::StrCat("v", round), 0));
  }
  for (int i = 0; i < 20; i += 2) ASSERT_OK(store().Delete(absl::StrCat("/k/", i), 0));
  int64_t current = store().CurrentRevision();
  ASSERT_OK(store().Compact(current));
  ASSIGN_OR_FAIL(ListResult list, store().List("/k/"));
  ASSERT_EQ(list.kvs.size(), 10u);
  for (const KeyValue& kv : list.kvs) EXPECT_EQ(kv.value, "v5");
  ASSIGN_OR_FAIL(ListResult at_compacted, store().List("/k/", ListOptions{.revision = current}));
  EXPECT_EQ(at_compacted.kvs.size(), 10u);
  ASSIGN_OR_FAIL(int64_t next, store().Update("/k/1", "v6", 0));
  EXPECT_EQ(next, current + 1);
}

TEST_P(StoreConformanceTest, WatchBeforeCompactedRevisionFails) {
  ASSERT_OK(store().Create("/w/a", "v1"));
  ASSERT_OK(store().Update("/w/a", "v2", 0));
  ASSIGN_OR_FAIL(int64_t r3, store().Update("/w/a", "v3", 0));
  ASSERT_OK(store().Compact(r3 - 1));
  Collector too_old;
  ASSIGN_OR_FAIL(std::unique_ptr<WatchHandle> old_watch,
                 store().Watch("/w/", r3 - 3, too_old.OnEvents(), too_old.OnError()));
  std::optional<absl::Status> error = too_old.WaitForError();
  ASSERT_TRUE(error.has_value());
  EXPECT_EQ(error->code(), absl::StatusCode::kOutOfRange) << *error;
  EXPECT_TRUE(too_old.events().empty());
  // From exactly the compacted revision, the watch works.
  Collector ok;
  ASSIGN_OR_FAIL(std::unique_ptr<WatchHandle> ok_watch,
                 store().Watch("/w/", r3 - 1, ok.OnEvents(), ok.OnError()));
  ASSERT_TRUE(ok.WaitForEvents(1));
  EXPECT_EQ(Revisions(ok.events()), std::vector<int64_t>{r3});
  EXPECT_FALSE(ok.error().has_value());
}

// ---- Concurrency ----

TEST_P(StoreConformanceTest, ConcurrentCompareAndSwapIncrementsLoseNothing) {
  constexpr int kThreads = 8;
  constexpr int kIncrements = 200;
  ASSERT_OK(store().Create("/counter", "0"));
  std::atomic<int> failures{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&] {
      for (int done = 0; done < kIncrements;) {
        absl::StatusOr<KeyValue> kv = store().Get("/counter");
        if (!kv.ok()) {
          failures++;
          return;
        }
        int64_t next = std::stoll(kv->value) + 1;
        absl::StatusOr<int64_t> updated = store().Update("/counter", std::to_string(next), kv->mod_revision);
        if (updated.ok()) {
          ++done;
        } else if (!absl::IsFailedPrecondition(updated.status())) {
          failures++;
          return;
        }
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
  EXPECT_EQ(failures.load(), 0);
  ASSIGN_OR_FAIL(KeyValue kv, store().Get("/counter"));
  EXPECT_EQ(kv.value, std::to_string(kThreads * kIncrements));
  EXPECT_EQ(kv.mod_revision, 1 + kThreads * kIncrements);
  EXPECT_EQ(store().CurrentRevision(), 1 + kThreads * kIncrements);
}

TEST_P(StoreConformanceTest, ConcurrentCreatesOfDistinctAndSameKeys) {
  constexpr int kThreads = 8;
  constexpr int kKeys = 100;
  std::mutex mu;
  std::set<int64_t> revisions;
  std::atomic<int> shared_wins{0};
  std::atomic<int> failures{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kKeys; ++i) {
        absl::StatusOr<int64_t> rev = store().Create(absl::StrFormat("/t%d/%03d", t, i), "v");
        if (!rev.ok()) {
          failures++;
          continue;
        }
        std::lock_guard<std::mutex> lock(mu);
        revisions.insert(*rev);
      }
      // Everyone races to create the same keys: exactly one wins each.
      for (int i = 0; i < 10; ++i) {
        absl::StatusOr<int64_t> rev = store().Create(absl::StrCat("/shared/", i), absl::StrCat(t));
        if (rev.ok()) {
          shared_wins++;
        } else if (!absl::IsAlreadyExists(rev.status())) {
          failures++;
        }
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
  EXPECT_EQ(failures.load(), 0);
  EXPECT_EQ(shared_wins.load(), 10);
  EXPECT_EQ(revisions.size(), static_cast<size_t>(kThreads * kKeys));
  EXPECT_EQ(store().CurrentRevision(), kThreads * kKeys + 10);
  ASSIGN_OR_FAIL(int64_t count, store().Count("/t"));
  EXPECT_EQ(count, kThreads * kKeys);
  ASSIGN_OR_FAIL(ListResult list, store().List("/t3/"));
  EXPECT_EQ(list.kvs.size(), static_cast<size_t>(kKeys));
}

// ---- Durability ----

TEST_P(StoreConformanceTest, ReopenKeepsEverythingAcknowledged) {
  ASSIGN_OR_FAIL(int64_t r1, store().Create("/a", "a1"));
  ASSERT_OK(store().Create("/b", "b1"));
  ASSIGN_OR_FAIL(int64_t r3, store().Update("/a", "a2", r1));
  ASSERT_OK(store().Create("/c", "c1"));
  ASSIGN_OR_FAIL(int64_t r5, store().Delete("/c", 0));
  ASSERT_OK(store().Compact(r1));
  ASSERT_NO_FATAL_FAILURE(Reopen());
  EXPECT_EQ(store().CurrentRevision(), r5);
  EXPECT_EQ(store().CompactedRevision(), r1);
  ASSIGN_OR_FAIL(KeyValue a, store().Get("/a"));
  EXPECT_EQ(a.value, "a2");
  EXPECT_EQ(a.create_revision, r1);
  EXPECT_EQ(a.mod_revision, r3);
  EXPECT_CODE(store().Get("/c"), kNotFound);
  ASSIGN_OR_FAIL(KeyValue a_old, store().Get("/a", r1));
  EXPECT_EQ(a_old.value, "a1");
  ASSIGN_OR_FAIL(int64_t count, store().Count("/"));
  EXPECT_EQ(count, 2);
  // CAS state survived too, and revisions continue.
  EXPECT_CODE(store().Update("/a", "x", r1), kFailedPrecondition);
  EXPECT_CODE(store().Create("/b", "again"), kAlreadyExists);
  ASSIGN_OR_FAIL(int64_t next, store().Create("/c", "c2"));
  EXPECT_EQ(next, r5 + 1);
  // History across the reopen is watchable.
  Collector collector;
  ASSIGN_OR_FAIL(std::unique_ptr<WatchHandle> watch,
                 store().Watch("/", r3, collector.OnEvents(), collector.OnError()));
  ASSERT_TRUE(collector.WaitForEvents(3));
  EXPECT_EQ(Revisions(collector.events()), (std::vector<int64_t>{r3 + 1, r5, next}));
}

TEST_P(StoreConformanceTest, ReopenAfterCompactingTheNewestTombstone) {
  ASSERT_OK(store().Create("/a", "v"));
  ASSIGN_OR_FAIL(int64_t deleted, store().Delete("/a", 0));
  ASSERT_OK(store().Compact(deleted));
  ASSERT_NO_FATAL_FAILURE(Reopen());
  EXPECT_EQ(store().CurrentRevision(), deleted);
  ASSIGN_OR_FAIL(int64_t next, store().Create("/a", "again"));
  EXPECT_EQ(next, deleted + 1);
}

}  // namespace skiff::storage
