#include "client/informer.h"

#include <atomic>
#include <map>
#include <mutex>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "boost/json.hpp"
#include "client/shared_informers.h"
#include "gtest/gtest.h"

namespace skiff::client {
namespace {

namespace json = boost::json;

Object Pod(const std::string& ns, const std::string& name, int rv, const std::string& node = "") {
  json::object spec;
  if (!node.empty()) spec["nodeName"] = node;
  return std::make_shared<const json::value>(json::object{
      {"metadata", json::object{{"namespace", ns}, {"name", name}, {"resourceVersion", std::to_string(rv)}}},
      {"spec", std::move(spec)}});
}

// A Client whose list answers and watch streams the test scripts.
class FakeClient : public Client {
 public:
  struct Watcher {
    std::string resource_version;
    WatchEventHandler on_event;
    WatchEndHandler on_end;
    bool ended = false;
  };
  class Handle : public WatchHandle {
   public:
    Handle(FakeClient* c, int id) : c_(c), id_(id) {}
    ~Handle() override {
      std::lock_guard<std::mutex> lock(c_->mu_);
      c_->watchers_.erase(id_);
    }

   private:
    FakeClient* c_;
    int id_;
  };

  absl::StatusOr<Object> Get(const api::ResourceInfo&, const std::string&, const std::string&) override {
    return absl::UnimplementedError("get");
  }
  absl::StatusOr<ObjectList> List(const api::ResourceInfo&, const std::string&, const ListOptions&) override {
    std::lock_guard<std::mutex> lock(mu_);
    ++lists_;
    ObjectList out;
    for (const auto& [k, v] : objects_) out.items.push_back(v);
    out.resource_version = std::to_string(rv_);
    return out;
  }
  absl::StatusOr<Object> Create(const api::ResourceInfo&, const std::string&, json::value,
                                const WriteOptions&) override {
    return absl::UnimplementedError("create");
  }
  absl::StatusOr<Object> Update(const api::ResourceInfo&, const std::string&, json::value, const std::string&,
                                const WriteOptions&) override {
    return absl::UnimplementedError("update");
  }
  absl::StatusOr<Object> Patch(const api::ResourceInfo&, const std::string&, const std::string&, PatchType,
                               const json::value&, const PatchOptions&) override {
    return absl::UnimplementedError("patch");
  }
  absl::Status Delete(const api::ResourceInfo&, const std::string&, const std::string&,
                      const DeleteOptions&) override {
    return absl::UnimplementedError("delete");
  }
  absl::StatusOr<json::value> CreateSubresource(const api::ResourceInfo&, const std::string&,
                                                const std::string&, const std::string&,
                                                json::value) override {
    return absl::UnimplementedError("subresource");
  }
  absl::StatusOr<std::unique_ptr<WatchHandle>> Watch(const api::ResourceInfo&, const std::string&,
                                                     const WatchOptions& options, WatchEventHandler on_event,
                                                     WatchEndHandler on_end) override {
    std::lock_guard<std::mutex> lock(mu_);
    watch_versions_.push_back(options.resource_version);
    if (expire_next_watch_) {
      expire_next_watch_ = false;
      return absl::OutOfRangeError("too old resource version");
    }
    int id = next_id_++;
    watchers_[id] = Watcher{options.resource_version, std::move(on_event), std::move(on_end)};
    return std::unique_ptr<WatchHandle>(new Handle(this, id));
  }

  // Test controls.
  void Set(const Object& obj) {
    std::lock_guard<std::mutex> lock(mu_);
    objects_[KeyOf(*obj)] = obj;
    rv_ = std::max<int64_t>(rv_,
                            std::stoll(std::string((*obj).at("metadata").at("resourceVersion").as_string())));
  }
  void Remove(const std::string& key, int rv) {
    std::lock_guard<std::mutex> lock(mu_);
    objects_.erase(key);
    rv_ = rv;
  }
  void Send(WatchEventType type, const Object& obj) {
    std::vector<WatchEventHandler> handlers;
    {
      std::lock_guard<std::mutex> lock(mu_);
      for (auto& [id, w] : watchers_) handlers.push_back(w.on_event);
    }
    for (auto& h : handlers) h(WatchEvent{type, obj});
  }
  void EndWatches(absl::Status status) {
    std::vector<WatchEndHandler> ends;
    {
      std::lock_guard<std::mutex> lock(mu_);
      for (auto& [id, w] : watchers_) {
        if (!w.ended) ends.push_back(w.on_end);
        w.ended = true;
      }
    }
    for (auto& e : ends) e(status);
  }
  int ActiveWatches() {
    std::lock_guard<std::mutex> lock(mu_);
    int n = 0;
    for (auto& [id, w] : watchers_) n += w.ended ? 0 : 1;
    return n;
  }
  int lists() {
    std::lock_guard<std::mutex> lock(mu_);
    return lists_;
  }
  std::vector<std::string> watch_versions() {
    std::lock_guard<std::mutex> lock(mu_);
    return watch_versions_;
  }
  void ExpireNextWatch() {
    std::lock_guard<std::mutex> lock(mu_);
    expire_next_watch_ = true;
  }

 private:
  std::mutex mu_;
  std::map<std::string, Object> objects_;
  int64_t rv_ = 1;
  int lists_ = 0;
  int next_id_ = 1;
  bool expire_next_watch_ = false;
  std::map<int, Watcher> watchers_;
  std::vector<std::string> watch_versions_;
};

bool WaitFor(const std::function<bool()>& cond, absl::Duration timeout = absl::Seconds(5)) {
  absl::Time deadline = absl::Now() + timeout;
  while (absl::Now() < deadline) {
    if (cond()) return true;
    absl::SleepFor(absl::Milliseconds(2));
  }
  return cond();
}

class Log {
 public:
  InformerHandlers Handlers() {
    return {[this](const Object& o) { Add("add " + KeyOf(*o)); },
            [this](const Object&, const Object& n) { Add("update " + KeyOf(*n)); },
            [this](const Object& o) { Add("delete " + KeyOf(*o)); }};
  }
  void Add(std::string s) {
    std::lock_guard<std::mutex> lock(mu_);
    lines_.push_back(std::move(s));
  }
  std::vector<std::string> Lines() {
    std::lock_guard<std::mutex> lock(mu_);
    return lines_;
  }

 private:
  std::mutex mu_;
  std::vector<std::string> lines_;
};

const api::ResourceInfo& Pods() { return Resource("", "v1", "pods"); }

TEST(InformerTest, ListsThenWatchesFromTheListVersion) {
  FakeClient client;
  client.Set(Pod("ns", "a", 5, "n1"));
  client.Set(Pod("ns", "b", 6, "n2"));
  Informer informer(&client, Pods(), {});
  informer.AddIndex("node", IndexByField({"spec", "nodeName"}));
  Log log;
  informer.AddHandlers(log.Handlers());
  informer.Start();
  ASSERT_TRUE(informer.WaitForSync(absl::Seconds(5)));
  ASSERT_TRUE(WaitFor([&] { return client.ActiveWatches() == 1; }));
  EXPECT_EQ(client.watch_versions().front(), "6");
  EXPECT_EQ(informer.List().size(), 2u);
  EXPECT_EQ(informer.ByIndex("node", "n1").size(), 1u);

  client.Send(WatchEventType::kAdded, Pod("ns", "c", 7, "n1"));
  client.Send(WatchEventType::kModified, Pod("ns", "a", 8, "n2"));
  client.Send(WatchEventType::kDeleted, Pod("ns", "b", 9, "n2"));
  ASSERT_TRUE(WaitFor([&] { return log.Lines().size() == 5; }));
  EXPECT_EQ(log.Lines(),
            (std::vector<std::string>{"add ns/a", "add ns/b", "add ns/c", "update ns/a", "delete ns/b"}));
  EXPECT_EQ(informer.LastSyncResourceVersion(), "9");
  ASSERT_NE(informer.Get("ns/a"), nullptr);
  EXPECT_EQ(informer.Get("ns/b"), nullptr);
  // Indexes follow updates.
  auto on_n1 = informer.ByIndex("node", "n1");
  ASSERT_EQ(on_n1.size(), 1u);
  EXPECT_EQ(KeyOf(*on_n1[0]), "ns/c");
  EXPECT_EQ(informer.ByIndex("node", "n2").size(), 1u);

  client.Send(WatchEventType::kBookmark, std::make_shared<const json::value>(json::object{
                                             {"metadata", json::object{{"resourceVersion", "42"}}}}));
  EXPECT_EQ(informer.LastSyncResourceVersion(), "42");
  informer.Stop();
}

TEST(InformerTest, RewatchesFromTheLastVersionWhenAWatchEnds) {
  FakeClient client;
  client.Set(Pod("ns", "a", 3));
  Informer informer(&client, Pods(), {});
  informer.Start();
  ASSERT_TRUE(WaitFor([&] { return client.ActiveWatches() == 1; }));
  client.Send(WatchEventType::kModified, Pod("ns", "a", 11));
  client.EndWatches(absl::OkStatus());
  ASSERT_TRUE(WaitFor([&] { return client.watch_versions().size() == 2 && client.ActiveWatches() == 1; }));
  EXPECT_EQ(client.watch_versions()[1], "11");
  EXPECT_EQ(client.lists(), 1);  // no relist for an ordinary end
  informer.Stop();
}

TEST(InformerTest, RelistsOnExpiredAndReconcilesTheDifference) {
  FakeClient client;
  client.Set(Pod("ns", "a", 3));
  client.Set(Pod("ns", "b", 4));
  Informer informer(&client, Pods(), {});
  Log log;
  informer.AddHandlers(log.Handlers());
  informer.Start();
  ASSERT_TRUE(WaitFor([&] { return client.ActiveWatches() == 1; }));
  // While the watch is gone, b is deleted, a changes and c appears; the server forgot the history.
  client.Remove("ns/b", 20);
  client.Set(Pod("ns", "a", 21));
  client.Set(Pod("ns", "c", 22));
  client.EndWatches(absl::OutOfRangeError("too old resource version"));
  ASSERT_TRUE(WaitFor([&] { return client.lists() == 2 && client.ActiveWatches() == 1; }));
  ASSERT_TRUE(WaitFor([&] { return log.Lines().size() == 5; }));
  EXPECT_EQ(log.Lines(),
            (std::vector<std::string>{"add ns/a", "add ns/b", "delete ns/b", "update ns/a", "add ns/c"}));
  EXPECT_EQ(client.watch_versions().back(), "22");
  informer.Stop();
}

TEST(InformerTest, RelistsWhenTheWatchIsRefusedAsExpired) {
  FakeClient client;
  client.Set(Pod("ns", "a", 3));
  client.ExpireNextWatch();
  Informer informer(&client, Pods(), {});
  informer.Start();
  ASSERT_TRUE(WaitFor([&] { return client.lists() == 2 && client.ActiveWatches() == 1; }));
  informer.Stop();
}

TEST(InformerTest, LateHandlersHearExistingObjectsAndResyncRedelivers) {
  FakeClient client;
  client.Set(Pod("ns", "a", 3));
  Informer::Options options;
  options.resync = absl::Milliseconds(50);
  Informer informer(&client, Pods(), options);
  informer.Start();
  ASSERT_TRUE(informer.WaitForSync(absl::Seconds(5)));
  Log log;
  informer.AddHandlers(log.Handlers());
  EXPECT_EQ(log.Lines(), std::vector<std::string>{"add ns/a"});
  ASSERT_TRUE(WaitFor([&] { return log.Lines().size() >= 2; }));
  EXPECT_EQ(log.Lines()[1], "update ns/a");
  informer.Stop();
}

TEST(SharedInformersTest, OneInformerPerResource) {
  FakeClient client;
  SharedInformers informers(&client);
  Informer& a = informers.For(Pods());
  Informer& b = informers.For(Pods());
  EXPECT_EQ(&a, &b);
  EXPECT_NE(&a, &informers.For(Resource("", "v1", "configmaps")));
  informers.Start();
  EXPECT_TRUE(informers.WaitForSync(absl::Seconds(5)));
  // Created after Start: started at once.
  Informer& late = informers.For(Resource("", "v1", "secrets"));
  EXPECT_TRUE(late.WaitForSync(absl::Seconds(5)));
  informers.Stop();
}

TEST(KeyTest, MakeAndSplit) {
  EXPECT_EQ(MakeKey("ns", "a"), "ns/a");
  EXPECT_EQ(MakeKey("", "n1"), "n1");
  std::string ns, name;
  SplitKey("ns/a", &ns, &name);
  EXPECT_EQ(ns, "ns");
  EXPECT_EQ(name, "a");
  SplitKey("n1", &ns, &name);
  EXPECT_EQ(ns, "");
  EXPECT_EQ(name, "n1");
}

}  // namespace
}  // namespace skiff::client
