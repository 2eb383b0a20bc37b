#include "storage/etcd/etcd_store.h"

#include <stdlib.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "http/pki.h"
#include "storage/etcd/testing/etcd_test_server.h"
#include "storage/testing/store_conformance.h"

namespace skiff::storage {
namespace {

// Without etcd the tests skip, except in CI, which installs it: there a missing etcd fails.
bool EtcdMissing() {
  if (!EtcdTestServer::BinaryPath().empty()) return false;
  if (getenv("CI") != nullptr) {
    ADD_FAILURE() << "etcd is not installed (scripts/install-deps.sh installs etcd-server)";
  }
  return true;
}

EtcdOptions OptionsFor(const std::string& url) {
  EtcdOptions options;
  options.endpoints = {url};
  options.compaction_interval = absl::ZeroDuration();  // tests compact explicitly
  options.dial_timeout = absl::Seconds(5);
  return options;
}

// The conformance suite's factory: one private etcd per test directory, kept across Reopen (which
// only reconnects); starting a test's etcd stops the previous test's.
std::map<std::string, std::unique_ptr<EtcdTestServer>>& Servers() {
  static auto* servers = new std::map<std::string, std::unique_ptr<EtcdTestServer>>();
  return *servers;
}

std::unique_ptr<Store> OpenOnPrivateEtcd(const std::string& dir) {
  auto& servers = Servers();
  if (!servers.contains(dir)) {
    servers.clear();
    auto server = EtcdTestServer::Start(dir + "/etcd");
    if (!server.ok()) {
      ADD_FAILURE() << server.status();
      return nullptr;
    }
    servers[dir] = std::move(*server);
  }
  auto store = EtcdStore::Open(OptionsFor(servers[dir]->client_url()));
  if (!store.ok()) {
    ADD_FAILURE() << store.status();
    return nullptr;
  }
  return std::move(*store);
}

}  // namespace

// The shared suite, run against a real etcd. Without an etcd binary (outside CI) it has no
// instance; EtcdStoreTest's cases below then report the skip.
std::vector<StoreBackend> EtcdBackends() {
  if (EtcdTestServer::BinaryPath().empty() && getenv("CI") == nullptr) return {};
  return {StoreBackend{"etcd", OpenOnPrivateEtcd}};
}
GTEST_ALLOW_UNINSTANTIATED_PARAMETERIZED_TEST(StoreConformanceTest);
INSTANTIATE_TEST_SUITE_P(Etcd, StoreConformanceTest, ::testing::ValuesIn(EtcdBackends()), StoreBackendName);

namespace {

class EtcdStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (EtcdMissing()) GTEST_SKIP() << "etcd is not installed; install Debian's etcd-server to run these";
    std::string pattern = (std::filesystem::path(::testing::TempDir()) / "skiff_etcd_XXXXXX").string();
    ASSERT_NE(mkdtemp(pattern.data()), nullptr);
    dir_ = pattern;
    auto server = EtcdTestServer::Start(dir_ + "/etcd");
    ASSERT_TRUE(server.ok()) << server.status();
    server_ = std::move(*server);
  }
  void TearDown() override {
    server_.reset();
    std::error_code ignored;
    if (!dir_.empty()) std::filesystem::remove_all(dir_, ignored);
  }
  std::unique_ptr<EtcdStore> Open() {
    auto store = EtcdStore::Open(OptionsFor(server_->client_url()));
    EXPECT_TRUE(store.ok()) << store.status();
    return store.ok() ? std::move(*store) : nullptr;
  }

  std::string dir_;
  std::unique_ptr<EtcdTestServer> server_;
};

// Collects watch events by revision.
struct Events {
  std::mutex mu;
  std::condition_variable cv;
  std::vector<int64_t> revisions;
  std::vector<std::string> keys;
  std::optional<absl::Status> error;
  WatchCallback OnEvents() {
    return [this](const std::vector<WatchEvent>& events) {
      std::lock_guard<std::mutex> lock(mu);
      for (const WatchEvent& event : events) {
        revisions.push_back(event.kv.mod_revision);
        keys.push_back(event.kv.key);
      }
      cv.notify_all();
    };
  }
  WatchErrorCallback OnError() {
    return [this](const absl::Status& status) {
      std::lock_guard<std::mutex> lock(mu);
      error = status;
      cv.notify_all();
    };
  }
  bool WaitFor(size_t count) {
    std::unique_lock<std::mutex> lock(mu);
    return cv.wait_for(lock, std::chrono::seconds(30), [&] { return revisions.size() >= count; });
  }
};

// etcd killed and restarted under a live watch: events written before the kill, and after the
// restart, all arrive exactly once and in order.
TEST_F(EtcdStoreTest, WatchResumesAfterEtcdRestartWithoutLossOrDuplicates) {
  std::unique_ptr<EtcdStore> store = Open();
  ASSERT_NE(store, nullptr);
  Events events;
  auto watch = store->Watch("/w/", 0, events.OnEvents(), events.OnError());
  ASSERT_TRUE(watch.ok()) << watch.status();
  for (int i = 0; i < 10; ++i) ASSERT_TRUE(store->Create(absl::StrCat("/w/a", i), "v").ok());
  ASSERT_TRUE(events.WaitFor(10));

  ASSERT_TRUE(server_->Kill().ok());
  // While etcd is down, writes fail as Unavailable: nothing is acknowledged.
  absl::StatusOr<int64_t> during = store->Create("/w/down", "v");
  EXPECT_EQ(during.status().code(), absl::StatusCode::kUnavailable) << during.status();
  ASSERT_TRUE(server_->Restart().ok());

  // Writes resume once the client reconnects.
  for (int i = 0; i < 10;) {
    absl::StatusOr<int64_t> written = store->Create(absl::StrCat("/w/b", i), "v");
    if (written.ok()) {
      ++i;
    } else {
      ASSERT_TRUE(absl::IsUnavailable(written.status())) << written.status();
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
  }
  ASSERT_TRUE(events.WaitFor(20));
  std::this_thread::sleep_for(std::chrono::milliseconds(200));  // room for a duplicate
  std::lock_guard<std::mutex> lock(events.mu);
  ASSERT_EQ(events.revisions.size(), 20u);
  for (size_t i = 0; i < events.revisions.size(); ++i)
    EXPECT_EQ(events.revisions[i], static_cast<int64_t>(i + 1));
  EXPECT_EQ(events.keys.back(), "/w/b9");
  EXPECT_FALSE(events.error.has_value());
}

// A callback slower than the writes: the events that queue meanwhile arrive joined into fewer
// callbacks (one watch cache update for many writes), still each exactly once and in order, with
// their values.
TEST_F(EtcdStoreTest, EventsQueuedBehindASlowCallbackArriveTogetherInOrder) {
  std::unique_ptr<EtcdStore> store = Open();
  ASSERT_NE(store, nullptr);
  std::mutex mu;
  std::condition_variable cv;
  std::vector<int64_t> revisions;
  std::vector<std::string> values;
  int callbacks = 0;
  auto watch = store->Watch(
      "/slow/", 0,
      [&](const std::vector<WatchEvent>& events) {
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
        std::lock_guard<std::mutex> lock(mu);
        ++callbacks;
        for (const WatchEvent& event : events) {
          revisions.push_back(event.kv.mod_revision);
          values.push_back(event.kv.value);
        }
        cv.notify_all();
      },
      nullptr);
  ASSERT_TRUE(watch.ok()) << watch.status();
  constexpr int kWrites = 200;
  std::vector<std::thread> writers;
  for (int t = 0; t < 8; ++t) {
    writers.emplace_back([&, t] {
      for (int i = t; i < kWrites; i += 8)
        EXPECT_TRUE(store->Create(absl::StrCat("/slow/k", i), absl::StrCat("v", i)).ok());
    });
  }
  for (std::thread& writer : writers) writer.join();
  std::unique_lock<std::mutex> lock(mu);
  ASSERT_TRUE(cv.wait_for(lock, std::chrono::seconds(30), [&] { return revisions.size() >= kWrites; }));
  lock.unlock();
  std::this_thread::sleep_for(std::chrono::milliseconds(200));  // room for a duplicate
  lock.lock();
  ASSERT_EQ(revisions.size(), static_cast<size_t>(kWrites));
  for (size_t i = 0; i < revisions.size(); ++i) EXPECT_EQ(revisions[i], static_cast<int64_t>(i + 1));
  EXPECT_EQ(std::count(values.begin(), values.end(), "v0"), 1);
  EXPECT_EQ(std::count(values.begin(), values.end(), absl::StrCat("v", kWrites - 1)), 1);
  // 200 callbacks would take 4 s of sleeping alone; the writes take far less.
  EXPECT_LT(callbacks, kWrites / 2);
}

// Writes made while the watch stream is down (from another client) are replayed on reconnect.
TEST_F(EtcdStoreTest, EventsWrittenWhileTheStreamWasDownAreReplayed) {
  std::unique_ptr<EtcdStore> watcher_store = Open();
  ASSERT_NE(watcher_store, nullptr);
  Events events;
  auto watch = watcher_store->Watch("/r/", 0, events.OnEvents(), events.OnError());
  ASSERT_TRUE(watch.ok());
  ASSERT_TRUE(watcher_store->Create("/r/first", "v").ok());
  ASSERT_TRUE(events.WaitFor(1));
  ASSERT_TRUE(server_->Stop().ok());
  ASSERT_TRUE(server_->Restart().ok());
  std::unique_ptr<EtcdStore> writer = Open();  // a fresh connection writes at once
  ASSERT_NE(writer, nullptr);
  for (int i = 0; i < 5; ++i) ASSERT_TRUE(writer->Create(absl::StrCat("/r/k", i), "v").ok());
  ASSERT_TRUE(events.WaitFor(6));
  std::lock_guard<std::mutex> lock(events.mu);
  EXPECT_EQ(events.revisions, (std::vector<int64_t>{1, 2, 3, 4, 5, 6}));
}

TEST_F(EtcdStoreTest, FailsOverToALiveEndpoint) {
  EtcdOptions options = OptionsFor("http://127.0.0.1:1");  // nothing listens on port 1
  options.endpoints.push_back(server_->client_url());
  options.dial_timeout = absl::Seconds(1);
  auto store = EtcdStore::Open(options);
  ASSERT_TRUE(store.ok()) << store.status();
  auto created = (*store)->Create("/f", "v");
  ASSERT_TRUE(created.ok()) << created.status();
  EXPECT_EQ((*store)->Get("/f")->value, "v");
}

// --etcd-prefix: the Store's /registry root lives under another etcd prefix; other keys stay put.
TEST_F(EtcdStoreTest, PrefixMovesTheRegistryRoot) {
  EtcdOptions options = OptionsFor(server_->client_url());
  options.prefix = "/tenant-a";
  auto tenant = EtcdStore::Open(options);
  ASSERT_TRUE(tenant.ok()) << tenant.status();
  std::unique_ptr<EtcdStore> raw = Open();
  ASSERT_NE(raw, nullptr);
  Events events;
  auto watch = (*tenant)->Watch("/registry/", 0, events.OnEvents(), events.OnError());
  ASSERT_TRUE(watch.ok());
  ASSERT_TRUE((*tenant)->Create("/registry/pods/ns/a", "v").ok());
  ASSERT_TRUE((*tenant)->Create("/elsewhere", "w").ok());
  EXPECT_EQ(raw->Get("/tenant-a/pods/ns/a")->value, "v");
  EXPECT_EQ(raw->Get("/elsewhere")->value, "w");
  EXPECT_EQ(raw->Count("/registry/").value(), 0);
  auto listed = (*tenant)->List("/registry/pods/");
  ASSERT_TRUE(listed.ok());
  ASSERT_EQ(listed->kvs.size(), 1u);
  EXPECT_EQ(listed->kvs[0].key, "/registry/pods/ns/a");
  ASSERT_TRUE(events.WaitFor(1));
  std::lock_guard<std::mutex> lock(events.mu);
  EXPECT_EQ(events.keys, std::vector<std::string>{"/registry/pods/ns/a"});
  options.prefix = "registry/";
  EXPECT_EQ(EtcdStore::Open(options).status().code(), absl::StatusCode::kInvalidArgument);
}

// https with client certificates: the store connects with the CA and a client certificate, and
// etcd refuses a client without one.
TEST_F(EtcdStoreTest, TlsWithClientCertificates) {
  auto pki = http::EnsurePki(dir_ + "/pki-root", std::vector<std::string>{"127.0.0.1"});
  ASSERT_TRUE(pki.ok()) << pki.status();
  EtcdTestTls tls{.cert_file = pki->server_cert, .key_file = pki->server_key, .client_ca_file = pki->ca_cert};
  auto secure = EtcdTestServer::Start(dir_ + "/etcd-tls", &tls);
  ASSERT_TRUE(secure.ok()) << secure.status();
  EtcdOptions options = OptionsFor((*secure)->client_url());
  options.ca_file = pki->ca_cert;
  options.cert_file = pki->admin_cert;
  options.key_file = pki->admin_key;
  auto store = EtcdStore::Open(options);
  ASSERT_TRUE(store.ok()) << store.status();
  ASSERT_TRUE((*store)->Create("/registry/secure", "v").ok());
  EXPECT_EQ((*store)->Get("/registry/secure")->value, "v");

  EtcdOptions anonymous = options;
  anonymous.cert_file.clear();
  anonymous.key_file.clear();
  anonymous.dial_timeout = absl::Seconds(2);
  EXPECT_EQ(EtcdStore::Open(anonymous).status().code(), absl::StatusCode::kUnavailable);
  EtcdOptions untrusted = options;
  untrusted.ca_file.clear();  // system roots do not know our CA
  untrusted.dial_timeout = absl::Seconds(2);
  EXPECT_EQ(EtcdStore::Open(untrusted).status().code(), absl::StatusCode::kUnavailable);
}

TEST_F(EtcdStoreTest, BadEndpointsAreInvalidArguments) {
  EtcdOptions options = OptionsFor("127.0.0.1:2379");
  EXPECT_EQ(EtcdStore::Open(options).status().code(), absl::StatusCode::kInvalidArgument);
  options.endpoints = {};
  EXPECT_EQ(EtcdStore::Open(options).status().code(), absl::StatusCode::kInvalidArgument);
  options.endpoints = {server_->client_url()};
  options.cert_file = "/nonexistent.crt";
  options.key_file = "/nonexistent.key";
  EXPECT_EQ(EtcdStore::Open(options).status().code(), absl::StatusCode::kInvalidArgument);
}

TEST_F(EtcdStoreTest, OpenWithoutAnyLiveEndpointIsUnavailable) {
  EtcdOptions options = OptionsFor("http://127.0.0.1:1");
  options.dial_timeout = absl::Milliseconds(500);
  EXPECT_EQ(EtcdStore::Open(options).status().code(), absl::StatusCode::kUnavailable);
}

}  // namespace
}  // namespace skiff::storage
