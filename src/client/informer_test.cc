#include "client/informer.h"

#include <atomic>
#include <map>
#include <mutex>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "base/json.h"
#include "base/testing/wait_for.h"
#include "boost/json.hpp"
#include "client/shared_informers.h"
#include "client/testing/fake_watch_client.h"
#include "gtest/gtest.h"

namespace skiff::client {
namespace {

namespace json = boost::json;

using base::testing::WaitFor;
using testing::FakeWatchClient;
using testing::TestPod;

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
  FakeWatchClient client;
  client.Set(TestPod("ns", "a", 5, "n1"));
  client.Set(TestPod("ns", "b", 6, "n2"));
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

  client.Send(WatchEventType::kAdded, TestPod("ns", "c", 7, "n1"));
  client.Send(WatchEventType::kModified, TestPod("ns", "a", 8, "n2"));
  client.Send(WatchEventType::kDeleted, TestPod("ns", "b", 9, "n2"));
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

TEST(InformerTest, RelistsOnExpiredAndReconcilesTheDifference) {
  FakeWatchClient client;
  client.Set(TestPod("ns", "a", 3));
  client.Set(TestPod("ns", "b", 4));
  Informer informer(&client, Pods(), {});
  Log log;
  informer.AddHandlers(log.Handlers());
  informer.Start();
  ASSERT_TRUE(WaitFor([&] { return client.ActiveWatches() == 1; }));
  // While the watch is gone, b is deleted, a changes and c appears; the server forgot the history.
  client.Remove("ns/b", 20);
  client.Set(TestPod("ns", "a", 21));
  client.Set(TestPod("ns", "c", 22));
  client.EndWatches(absl::OutOfRangeError("too old resource version"));
  ASSERT_TRUE(WaitFor([&] { return client.lists() == 2 && client.ActiveWatches() == 1; }));
  ASSERT_TRUE(WaitFor([&] { return log.Lines().size() == 5; }));
  EXPECT_EQ(log.Lines(),
            (std::vector<std::string>{"add ns/a", "add ns/b", "delete ns/b", "update ns/a", "add ns/c"}));
  EXPECT_EQ(client.watch_versions().back(), "22");
  informer.Stop();
}

TEST(InformerTest, LateHandlersHearExistingObjectsAndResyncRedelivers) {
  FakeWatchClient client;
  client.Set(TestPod("ns", "a", 3));
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

TEST(InformerTest, RemovedHandlersHearNothingMore) {
  FakeWatchClient client;
  Informer informer(&client, Pods(), {});
  Log kept, removed;
  informer.AddHandlers(kept.Handlers());
  Informer::HandlerId id = informer.AddHandlers(removed.Handlers());
  informer.Start();
  ASSERT_TRUE(WaitFor([&] { return client.ActiveWatches() == 1; }));
  client.Send(WatchEventType::kAdded, TestPod("ns", "a", 2));
  informer.RemoveHandlers(id);
  client.Send(WatchEventType::kAdded, TestPod("ns", "b", 3));
  EXPECT_EQ(kept.Lines(), (std::vector<std::string>{"add ns/a", "add ns/b"}));
  EXPECT_EQ(removed.Lines(), std::vector<std::string>{"add ns/a"});
  informer.Stop();
}

// A client that shares each object's bytes, as the in-process client does: the JSON with
// metadata.managedFields, which the decoded objects lack.
class SharingClient : public FakeWatchClient {
 public:
  static ObjectBytes BytesOf(const Object& obj) {
    json::value full = *obj;
    full.as_object()["metadata"].as_object()["managedFields"] = json::array{json::object{{"manager", "test"}}};
    return std::make_shared<const std::string>(json::serialize(full));
  }
  absl::StatusOr<ObjectList> List(const api::ResourceInfo& r, const std::string& ns,
                                  const ListOptions& options) override {
    auto list = FakeWatchClient::List(r, ns, options);
    if (list.ok()) {
      for (const auto& item : list->items) list->item_bytes.push_back(BytesOf(item));
    }
    return list;
  }
  absl::StatusOr<std::unique_ptr<WatchHandle>> Watch(const api::ResourceInfo& r, const std::string& ns,
                                                     const WatchOptions& options, WatchEventHandler on_event,
                                                     WatchEndHandler on_end) override {
    auto with_bytes = [on_event = std::move(on_event)](const WatchEvent& event) {
      WatchEvent shared = event;
      if (event.type != WatchEventType::kBookmark) shared.bytes = BytesOf(event.object);
      return on_event(shared);
    };
    return FakeWatchClient::Watch(r, ns, options, std::move(with_bytes), std::move(on_end));
  }
};

TEST(InformerTest, KeepBytesDecodesOnEveryReadAndKeepsIndexesAndHandlers) {
  SharingClient client;
  client.Set(TestPod("ns", "a", 5, "n1"));
  Informer informer(&client, Pods(), {.keep_bytes = true});
  informer.AddIndex("node", IndexByField({"spec", "nodeName"}));
  std::vector<std::string> seen;
  std::mutex mu;
  InformerHandlers handlers;
  handlers.on_add = [&](const Object& o) {
    std::lock_guard<std::mutex> lock(mu);
    seen.push_back("add " + KeyOf(*o));
  };
  handlers.on_update = [&](const Object& old_obj, const Object& new_obj) {
    std::lock_guard<std::mutex> lock(mu);
    seen.push_back(absl::StrCat("update ", base::GetString(*old_obj, {"spec", "nodeName"}), "->",
                                base::GetString(*new_obj, {"spec", "nodeName"})));
  };
  handlers.on_delete = [&](const Object& o) {
    std::lock_guard<std::mutex> lock(mu);
    seen.push_back(absl::StrCat("delete ", KeyOf(*o), " rv ", base::GetString(*o, {"metadata", "resourceVersion"})));
  };
  informer.AddHandlers(std::move(handlers));
  informer.Start();
  ASSERT_TRUE(informer.WaitForSync(absl::Seconds(5)));
  ASSERT_TRUE(WaitFor([&] { return client.ActiveWatches() == 1; }));

  // Each read decodes the kept bytes afresh, without the managed fields the bytes carry.
  Object first = informer.Get("ns/a");
  Object second = informer.Get("ns/a");
  ASSERT_TRUE(first && second);
  EXPECT_NE(first.get(), second.get());
  EXPECT_EQ(*first, *TestPod("ns", "a", 5, "n1"));
  EXPECT_EQ(informer.ByIndex("node", "n1").size(), 1u);

  Object moved = TestPod("ns", "a", 6, "n2");
  client.Send(WatchEventType::kModified, moved);
  EXPECT_EQ(*informer.Get("ns/a"), *moved);
  EXPECT_NE(informer.Get("ns/a").get(), moved.get());
  EXPECT_TRUE(informer.ByIndex("node", "n1").empty());
  EXPECT_EQ(informer.ByIndex("node", "n2").size(), 1u);
  client.Send(WatchEventType::kDeleted, TestPod("ns", "a", 7, "n2"));
  EXPECT_EQ(informer.Get("ns/a"), nullptr);
  EXPECT_TRUE(informer.List().empty());
  std::lock_guard<std::mutex> lock(mu);
  // The delete hands over the last cached state (rv 6), decoded from its bytes.
  EXPECT_EQ(seen, (std::vector<std::string>{"add ns/a", "update n1->n2", "delete ns/a rv 6"}));
}

TEST(InformerTest, KeepBytesKeepsObjectsWithoutBytesDecoded) {
  FakeWatchClient client;  // shares no bytes
  Object pod = TestPod("ns", "a", 5, "n1");
  client.Set(pod);
  Informer informer(&client, Pods(), {.keep_bytes = true});
  informer.Start();
  ASSERT_TRUE(informer.WaitForSync(absl::Seconds(5)));
  EXPECT_EQ(informer.Get("ns/a").get(), pod.get());
}

TEST(SharedInformersTest, ConfigMapsAndSecretsKeepBytes) {
  EXPECT_TRUE(SharedInformers::KeepsBytes(Resource("", "v1", "configmaps")));
  EXPECT_TRUE(SharedInformers::KeepsBytes(Resource("", "v1", "secrets")));
  EXPECT_FALSE(SharedInformers::KeepsBytes(Pods()));
}

TEST(SharedInformersTest, OneInformerPerResource) {
  FakeWatchClient client;
  SharedInformers informers(&client);
  Informer& a = informers.For(Pods());
  Informer& b = informers.For(Pods());
  EXPECT_EQ(&a, &b);
  EXPECT_NE(&a, &informers.For(Resource("", "v1", "configmaps")));
  Informer& on_n1 = informers.For(Pods(), {.field_selector = "spec.nodeName=n1"});
  EXPECT_NE(&a, &on_n1);
  EXPECT_EQ(&on_n1, &informers.For(Pods(), {.field_selector = "spec.nodeName=n1"}));
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
