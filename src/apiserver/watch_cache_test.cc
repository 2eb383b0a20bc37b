// WatchCache recovery: when its store watch fails with OutOfRange (the store compacted past the
// cache's revision while the watch was down), the cache relists, hands open watchers the
// difference, answers older resourceVersions with OutOfRange (410) and follows the store again.
// Runs on a real SQLite store behind a wrapper whose watch the test can cut and fail, and on a
// three-member etcd cluster where the cache's only member is down while etcd is compacted.
#include "apiserver/watch_cache.h"

#include <atomic>
#include <filesystem>
#include <mutex>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "gtest/gtest.h"
#include "storage/etcd/etcd_store.h"
#include "storage/etcd/testing/etcd_test_server.h"
#include "storage/sqlite/sqlite_store.h"

namespace skiff::apiserver {
namespace {

// Delegates to a real store; while `cut` is set, watch events are dropped (the stream is down),
// and Fail() ends the watch with an error, as a backend does when it cannot resume.
class CuttableStore : public storage::Store {
 public:
  explicit CuttableStore(std::unique_ptr<storage::Store> inner) : inner_(std::move(inner)) {}

  absl::StatusOr<storage::KeyValue> Get(const std::string& key, int64_t revision) override {
    return inner_->Get(key, revision);
  }
  absl::StatusOr<storage::ListResult> List(const std::string& prefix,
                                           const storage::ListOptions& options) override {
    ++lists;
    return inner_->List(prefix, options);
  }
  absl::StatusOr<int64_t> Count(const std::string& prefix) override { return inner_->Count(prefix); }
  absl::StatusOr<int64_t> Create(const std::string& key, const std::string& value) override {
    return inner_->Create(key, value);
  }
  absl::StatusOr<int64_t> Update(const std::string& key, const std::string& value,
                                 int64_t expected) override {
    return inner_->Update(key, value, expected);
  }
  absl::StatusOr<int64_t> Delete(const std::string& key, int64_t expected) override {
    return inner_->Delete(key, expected);
  }
  absl::StatusOr<std::unique_ptr<storage::WatchHandle>> Watch(const std::string& prefix, int64_t after,
                                                              storage::WatchCallback on_events,
                                                              storage::WatchErrorCallback on_error) override {
    {
      std::lock_guard<std::mutex> lock(mu_);
      on_error_ = on_error;
    }
    ++watches;
    return inner_->Watch(
        prefix, after,
        [this, on_events](const std::vector<storage::WatchEvent>& events) {
          if (!cut.load()) on_events(events);
        },
        on_error);
  }
  absl::Status Compact(int64_t revision) override { return inner_->Compact(revision); }
  int64_t CurrentRevision() override { return inner_->CurrentRevision(); }
  int64_t CompactedRevision() override { return inner_->CompactedRevision(); }

  // Ends the current watch with `error` (the cache must not receive events from it afterwards:
  // callers set `cut` first).
  void Fail(const absl::Status& error) {
    storage::WatchErrorCallback on_error;
    {
      std::lock_guard<std::mutex> lock(mu_);
      on_error = on_error_;
    }
    on_error(error);
  }

  std::atomic<bool> cut{false};
  std::atomic<int> lists{0};
  std::atomic<int> watches{0};

 private:
  std::unique_ptr<storage::Store> inner_;
  std::mutex mu_;
  storage::WatchErrorCallback on_error_;
};

class Recorder : public WatchListener {
 public:
  bool OnEvent(EventType type, const ObjectPtr& object) override {
    std::lock_guard<std::mutex> lock(mu_);
    events_.push_back(absl::StrCat(EventTypeName(type), " ", object->name));
    return true;
  }
  void OnProgress(int64_t revision) override { progress_ = std::max(progress_.load(), revision); }
  std::vector<std::string> WaitFor(size_t n) {
    for (int i = 0; i < 500; ++i) {
      {
        std::lock_guard<std::mutex> lock(mu_);
        if (events_.size() >= n) break;
      }
      absl::SleepFor(absl::Milliseconds(10));
    }
    std::lock_guard<std::mutex> lock(mu_);
    return events_;
  }
  std::atomic<int64_t> progress_{0};

 private:
  std::mutex mu_;
  std::vector<std::string> events_;
};

constexpr char kPrefix[] = "/registry/configmaps/";

std::string Key(const std::string& name) { return absl::StrCat(kPrefix, "default/", name); }
std::string Value(const std::string& name, const std::string& data) {
  return absl::StrCat(R"({"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":")", name,
                      R"(","namespace":"default"},"data":{"v":")", data, R"("}})");
}

class WatchCacheRecoveryTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() / absl::StrCat("skiff-watch-cache-test-", ::getpid());
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
    storage::SqliteOptions options;
    options.path = (dir_ / "state.db").string();
    options.compaction_interval = absl::ZeroDuration();
    auto sqlite = storage::SqliteStore::Open(options);
    ASSERT_TRUE(sqlite.ok()) << sqlite.status();
    store_ = std::make_unique<CuttableStore>(std::move(*sqlite));
    cache_ = std::make_unique<WatchCache>(store_.get(), WatchCache::Options{});
  }
  void TearDown() override {
    cache_.reset();
    store_.reset();
    std::filesystem::remove_all(dir_);
  }
  int64_t Put(const std::string& name, const std::string& data) {
    auto cur = store_->Get(Key(name), 0);
    auto rev = cur.ok() ? store_->Update(Key(name), Value(name, data), cur->mod_revision)
                        : store_->Create(Key(name), Value(name, data));
    EXPECT_TRUE(rev.ok()) << rev.status();
    return rev.ok() ? *rev : 0;
  }
  int64_t Remove(const std::string& name) {
    auto cur = store_->Get(Key(name), 0);
    EXPECT_TRUE(cur.ok());
    auto rev = store_->Delete(Key(name), cur->mod_revision);
    EXPECT_TRUE(rev.ok()) << rev.status();
    return rev.ok() ? *rev : 0;
  }
  std::string DataOf(const std::string& name) {
    auto o = cache_->Get(kPrefix, Key(name));
    if (!o) return "<none>";
    auto v = o->Parse();
    return std::string(v.at("data").at("v").as_string());
  }

  std::filesystem::path dir_;
  std::unique_ptr<CuttableStore> store_;
  std::unique_ptr<WatchCache> cache_;
};

TEST_F(WatchCacheRecoveryTest, RelistsAfterCompactedWatchAndResumes) {
  Put("keep", "1");
  Put("change", "1");
  int64_t gone_rev = Put("gone", "1");
  ASSERT_TRUE(cache_->Start().ok());
  ASSERT_TRUE(cache_->WaitForRevision(gone_rev).ok());
  auto recorder = std::make_shared<Recorder>();
  auto id = cache_->StartWatch(kPrefix, kPrefix, gone_rev, nullptr, recorder);
  ASSERT_TRUE(id.ok()) << id.status();
  const int64_t before_outage = cache_->Revision();

  // The watch goes down; meanwhile objects change and the store compacts past the cache.
  store_->cut = true;
  Put("change", "2");
  Remove("gone");
  int64_t last = Put("new", "1");
  ASSERT_TRUE(store_->Compact(last).ok());
  EXPECT_EQ(cache_->Revision(), before_outage);  // stale while cut
  store_->cut = false;
  store_->Fail(absl::OutOfRangeError("required revision has been compacted"));

  // The cache relists: it reaches the store's revision and its objects match the store.
  ASSERT_TRUE(cache_->WaitForRevision(last).ok());
  EXPECT_EQ(cache_->Relists(), 1);
  EXPECT_EQ(DataOf("keep"), "1");
  EXPECT_EQ(DataOf("change"), "2");
  EXPECT_EQ(DataOf("gone"), "<none>");
  EXPECT_EQ(DataOf("new"), "1");
  EXPECT_EQ(cache_->Count(kPrefix), 3u);

  // The open watcher got the difference, each change once (unchanged objects not at all).
  auto events = recorder->WaitFor(3);
  EXPECT_EQ(events, (std::vector<std::string>{"MODIFIED change", "ADDED new", "DELETED gone"}));

  // Resuming from before the relist is 410 (OutOfRange); from the list's revision works.
  auto old = cache_->StartWatch(kPrefix, kPrefix, before_outage, nullptr, std::make_shared<Recorder>());
  EXPECT_TRUE(absl::IsOutOfRange(old.status())) << old.status();
  auto resumed_recorder = std::make_shared<Recorder>();
  auto resumed = cache_->StartWatch(kPrefix, kPrefix, last, nullptr, resumed_recorder);
  ASSERT_TRUE(resumed.ok()) << resumed.status();

  // And the cache follows the store again: both watchers see later writes exactly once.
  int64_t after = Put("keep", "2");
  ASSERT_TRUE(cache_->WaitForRevision(after).ok());
  EXPECT_EQ(DataOf("keep"), "2");
  EXPECT_EQ(resumed_recorder->WaitFor(1), (std::vector<std::string>{"MODIFIED keep"}));
  events = recorder->WaitFor(4);
  EXPECT_EQ(events,
            (std::vector<std::string>{"MODIFIED change", "ADDED new", "DELETED gone", "MODIFIED keep"}));
  absl::SleepFor(absl::Milliseconds(100));
  EXPECT_EQ(recorder->WaitFor(4).size(), 4u);  // no duplicates
  cache_->StopWatch(kPrefix, *id);
  cache_->StopWatch(kPrefix, *resumed);
}

TEST_F(WatchCacheRecoveryTest, AnyTerminalWatchErrorRelists) {
  // A broken stream that cannot resume (not only OutOfRange) ends in a relist too.
  Put("a", "1");
  ASSERT_TRUE(cache_->Start().ok());
  store_->cut = true;
  Put("a", "2");
  int64_t last = Put("b", "1");
  ASSERT_TRUE(store_->Compact(last).ok());
  store_->cut = false;
  store_->Fail(absl::UnavailableError("stream broke"));
  ASSERT_TRUE(cache_->WaitForRevision(last).ok());
  EXPECT_EQ(DataOf("a"), "2");
  EXPECT_EQ(DataOf("b"), "1");
  EXPECT_GE(cache_->Relists(), 1);
  int64_t after = Put("c", "1");
  ASSERT_TRUE(cache_->WaitForRevision(after).ok());
  EXPECT_EQ(DataOf("c"), "1");
}

// The same on etcd: the cache's store talks to one member only; while that member is down, another
// client writes through the other two and compacts. When the member returns, the cache's watch
// resumes below the compacted revision (etcd answers "compacted"), and the cache relists.
TEST(WatchCacheEtcdTest, RelistsWhenEtcdCompactedPastItsWatch) {
  if (storage::EtcdTestServer::BinaryPath().empty()) GTEST_SKIP() << "etcd is not installed";
  std::string pattern = (std::filesystem::path(::testing::TempDir()) / "skiff_cache_etcd_XXXXXX").string();
  ASSERT_NE(mkdtemp(pattern.data()), nullptr);
  std::string dir = pattern;
  {
    auto members = storage::EtcdTestServer::StartCluster(dir, 3);
    ASSERT_TRUE(members.ok()) << members.status();
    auto& m = *members;
    auto open = [](std::vector<std::string> endpoints) {
      storage::EtcdOptions options;
      options.endpoints = std::move(endpoints);
      options.compaction_interval = absl::ZeroDuration();
      options.request_timeout = absl::Seconds(2);
      options.dial_timeout = absl::Seconds(2);
      return storage::EtcdStore::Open(options);
    };
    auto cache_store = open({m[0]->client_url()});
    ASSERT_TRUE(cache_store.ok()) << cache_store.status();
    auto writer = open({m[1]->client_url(), m[2]->client_url()});
    ASSERT_TRUE(writer.ok()) << writer.status();
    ASSERT_TRUE((*writer)->Create(Key("a"), Value("a", "1")).ok());
    auto cache = std::make_unique<WatchCache>(cache_store->get(), WatchCache::Options{});
    ASSERT_TRUE(cache->Start().ok());
    const int64_t before = cache->Revision();

    ASSERT_TRUE(m[0]->Kill().ok());
    // If the killed member led, the other two elect a leader first: reads fail until then, which
    // takes longer than one request timeout on a loaded machine.
    auto a = (*writer)->Get(Key("a"), 0);
    for (absl::Time give_up = absl::Now() + absl::Seconds(30);
         !a.ok() && (absl::IsUnavailable(a.status()) || absl::IsDeadlineExceeded(a.status())) && absl::Now() < give_up;
         a = (*writer)->Get(Key("a"), 0)) {
      absl::SleepFor(absl::Milliseconds(200));
    }
    ASSERT_TRUE(a.ok()) << a.status();
    ASSERT_TRUE((*writer)->Delete(Key("a"), a->mod_revision).ok());
    auto last = (*writer)->Create(Key("b"), Value("b", "1"));
    ASSERT_TRUE(last.ok()) << last.status();
    ASSERT_TRUE((*writer)->Compact(*last).ok());
    ASSERT_TRUE(m[0]->Restart().ok());

    ASSERT_TRUE(cache->WaitForRevision(*last, absl::Seconds(30)).ok());
    EXPECT_GE(cache->Relists(), 1);
    EXPECT_EQ(cache->Get(kPrefix, Key("a")), nullptr);
    EXPECT_NE(cache->Get(kPrefix, Key("b")), nullptr);
    auto old = cache->StartWatch(kPrefix, kPrefix, before, nullptr, std::make_shared<Recorder>());
    EXPECT_TRUE(absl::IsOutOfRange(old.status())) << old.status();
    auto after = (*writer)->Create(Key("c"), Value("c", "1"));
    ASSERT_TRUE(after.ok());
    ASSERT_TRUE(cache->WaitForRevision(*after, absl::Seconds(30)).ok());
    EXPECT_NE(cache->Get(kPrefix, Key("c")), nullptr);
    cache.reset();
  }
  std::error_code ignored;
  std::filesystem::remove_all(dir, ignored);
}

}  // namespace
}  // namespace skiff::apiserver
