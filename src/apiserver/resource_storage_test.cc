// ResourceStorage and WatchCache together on a real SQLite store in a temporary directory (the
// API server's StorageFixture).
#include "apiserver/resource_storage.h"

#include <algorithm>
#include <mutex>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "api/resources.h"
#include "apiserver/testing/storage_fixture.h"
#include "base/json.h"
#include "boost/json.hpp"
#include "gtest/gtest.h"
#include "http/errors.h"

namespace skiff::apiserver {
namespace {

namespace json = boost::json;

class FixedClock : public base::Clock {
 public:
  absl::Time Now() const override { return absl::FromUnixSeconds(1700000000); }
};

class Recorder : public WatchListener {
 public:
  bool OnEvent(EventType type, const ObjectPtr& object) override {
    std::lock_guard<std::mutex> lock(mu);
    events.push_back(std::string(EventTypeName(type)) + " " + object->name + " " + std::to_string(object->revision));
    return true;
  }
  std::vector<std::string> Snapshot() {
    std::lock_guard<std::mutex> lock(mu);
    return events;
  }
  // Fan-out is asynchronous: waits (bounded) until `n` events arrived.
  std::vector<std::string> WaitFor(size_t n) {
    for (int i = 0; i < 500 && Snapshot().size() < n; ++i) absl::SleepFor(absl::Milliseconds(10));
    return Snapshot();
  }
  std::mutex mu;
  std::vector<std::string> events;
};

class ResourceStorageTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto f = testing::StorageFixture::Open(&clock_, {"default"});
    ASSERT_TRUE(f.ok()) << f.status();
    fixture_ = std::move(*f);
    cache_ = fixture_->cache();
    rs_ = fixture_->storage();
    ns_ = api::FindResource("", "v1", "namespaces");
    cm_ = api::FindResource("", "v1", "configmaps");
    pods_ = api::FindResource("", "v1", "pods");
    deploy_ = api::FindResource("apps", "v1", "deployments");
  }
  static json::value Parse(const char* text) { return *base::ParseJson(text); }
  // Updates the object without its metadata.finalizers (as a controller releasing it would).
  absl::StatusOr<ObjectPtr> RemoveFinalizers(const api::ResourceInfo& r, const std::string& name) {
    return rs_->Update(
        r, "default", name,
        [](const ObjectPtr& cur) -> absl::StatusOr<json::value> {
          json::value o = cur->Parse();
          o.as_object()["metadata"].as_object().erase("finalizers");
          return o;
        },
        {}, true);
  }

  FixedClock clock_;
  std::unique_ptr<testing::StorageFixture> fixture_;
  WatchCache* cache_ = nullptr;
  ResourceStorage* rs_ = nullptr;
  const api::ResourceInfo* ns_;
  const api::ResourceInfo* cm_;
  const api::ResourceInfo* pods_;
  const api::ResourceInfo* deploy_;
};

TEST_F(ResourceStorageTest, CreateSetsSystemMetadataAndDefaults) {
  auto created = rs_->Create(*deploy_, "default", Parse(R"({"metadata":{"name":"web"},"spec":{
      "selector":{"matchLabels":{"app":"web"}},
      "template":{"metadata":{"labels":{"app":"web"}},"spec":{"containers":[{"name":"c","image":"nginx"}]}}}})"),
                             {});
  ASSERT_TRUE(created.ok()) << created.status();
  const auto o = (*created)->Parse();
  EXPECT_EQ(base::GetString(o, {"apiVersion"}), "apps/v1");
  EXPECT_EQ(base::GetString(o, {"kind"}), "Deployment");
  EXPECT_EQ(base::GetString(o, {"metadata", "creationTimestamp"}), "2023-11-14T22:13:20Z");
  EXPECT_EQ(base::GetString(o, {"metadata", "uid"}).size(), 36u);
  EXPECT_EQ(base::GetInt(o, {"metadata", "generation"}), 1);
  EXPECT_EQ(base::GetInt(o, {"spec", "replicas"}), 1);
  EXPECT_EQ(base::GetString(o, {"spec", "strategy", "rollingUpdate", "maxSurge"}), "25%");
  const auto* image_policy = base::FindPath(o, {"spec", "template", "spec", "containers"});
  ASSERT_TRUE(image_policy && image_policy->is_array());
  EXPECT_EQ(base::GetString(image_policy->as_array()[0], {"imagePullPolicy"}), "Always");
  EXPECT_EQ(base::GetString(o, {"metadata", "resourceVersion"}), std::to_string((*created)->revision));
}

TEST_F(ResourceStorageTest, CreateRejectsInvalidAndMissingNamespace) {
  auto bad = rs_->Create(*deploy_, "default", Parse(R"({"metadata":{"name":"web"},"spec":{"replicas":-1,
      "selector":{"matchLabels":{"app":"web"}},
      "template":{"metadata":{"labels":{"app":"web"}},"spec":{"containers":[{"name":"c","image":"x"}]}}}})"),
                         {});
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(api::HttpCode(bad.status()), 422);
  EXPECT_NE(std::string(bad.status().message()).find("spec.replicas: Invalid value: -1"), std::string::npos);
  auto missing = rs_->Create(*cm_, "nope", Parse(R"({"metadata":{"name":"a"}})"), {});
  EXPECT_EQ(api::HttpCode(missing.status()), 404);
  auto dup1 = rs_->Create(*cm_, "default", Parse(R"({"metadata":{"name":"a"}})"), {});
  ASSERT_TRUE(dup1.ok());
  auto dup2 = rs_->Create(*cm_, "default", Parse(R"({"metadata":{"name":"a"}})"), {});
  EXPECT_EQ(api::HttpCode(dup2.status()), 409);
}

TEST_F(ResourceStorageTest, GeneratedNameCollisionsAreRetriedWithFreshNames) {
  ASSERT_TRUE(rs_->Create(*cm_, "default", Parse(R"({"metadata":{"name":"gen-aaaaa"}})"), {}).ok());
  ASSERT_TRUE(rs_->Create(*cm_, "default", Parse(R"({"metadata":{"name":"gen-bbbbb"}})"), {}).ok());
  std::vector<std::string> suffixes = {"aaaaa", "bbbbb", "ccccc"};
  size_t calls = 0;
  rs_->SetNameGenerator([&](const std::string& base) { return base + suffixes[std::min(calls++, size_t{2})]; });
  auto created = rs_->Create(*cm_, "default", Parse(R"({"metadata":{"generateName":"gen-"},"data":{"a":"1"}})"), {});
  ASSERT_TRUE(created.ok()) << created.status();
  EXPECT_EQ((*created)->name, "gen-ccccc");
  EXPECT_EQ(calls, 3u);
  EXPECT_EQ(base::GetString((*created)->Parse(), {"data", "a"}), "1");
}

TEST_F(ResourceStorageTest, GeneratedNameGivesUpAfterEightCollisions) {
  ASSERT_TRUE(rs_->Create(*cm_, "default", Parse(R"({"metadata":{"name":"gen-aaaaa"}})"), {}).ok());
  int calls = 0;
  rs_->SetNameGenerator([&](const std::string& base) {
    ++calls;
    return base + "aaaaa";
  });
  auto failed = rs_->Create(*cm_, "default", Parse(R"({"metadata":{"generateName":"gen-"}})"), {});
  ASSERT_FALSE(failed.ok());
  EXPECT_EQ(calls, 8);
  json::value st = api::StatusObject(failed.status());
  EXPECT_EQ(base::GetInt(st, {"code"}), 409);
  EXPECT_EQ(base::GetString(st, {"reason"}), "AlreadyExists");
  EXPECT_EQ(base::GetString(st, {"message"}),
            "configmaps \"gen-aaaaa\" already exists, the server was not able to generate a unique name for the "
            "object");
  EXPECT_EQ(base::GetInt(st, {"details", "retryAfterSeconds"}), 1);
  // A name the client chose is not retried.
  calls = 0;
  auto chosen = rs_->Create(*cm_, "default", Parse(R"({"metadata":{"name":"gen-aaaaa"}})"), {});
  EXPECT_EQ(api::HttpCode(chosen.status()), 409);
  EXPECT_EQ(calls, 0);
}

TEST_F(ResourceStorageTest, GeneratedNamesCutTheBaseTo58Characters) {
  std::string name = GenerateName(std::string(70, 'x'));
  EXPECT_EQ(name.size(), 63u);
  EXPECT_EQ(name.substr(0, 58), std::string(58, 'x'));
  EXPECT_EQ(name.find_first_of("aeiou01", 58), std::string::npos);
  EXPECT_EQ(GenerateName("web-").size(), 9u);
}

TEST_F(ResourceStorageTest, CacheListCountsWhatFollowsACutPage) {
  ASSERT_TRUE(rs_->Create(*ns_, "", Parse(R"({"metadata":{"name":"other"}})"), {}).ok());
  for (const char* name : {"a", "b", "c", "d", "e"}) {
    ASSERT_TRUE(rs_->Create(*cm_, "default", Parse(absl::StrCat(R"({"metadata":{"name":")", name, R"("}})").c_str()), {})
                    .ok());
  }
  ASSERT_TRUE(rs_->Create(*cm_, "other", Parse(R"({"metadata":{"name":"z"}})"), {}).ok());
  std::string prefix = ResourcePrefix("", "configmaps");
  bool more = false;
  int64_t remaining = -1;
  auto page = cache_->List(prefix, prefix + "default/", nullptr, "", 2, &more, &remaining);
  ASSERT_EQ(page.objects.size(), 2u);
  EXPECT_TRUE(more);
  EXPECT_EQ(remaining, 3);  // c, d, e; not the ConfigMap of the other namespace
  page = cache_->List(prefix, prefix, nullptr, page.objects.back()->key, 2, &more, &remaining);
  EXPECT_EQ(page.objects.back()->name, "d");
  EXPECT_EQ(remaining, 2);  // e and other/z
  remaining = -1;
  page = cache_->List(prefix, prefix + "default/", nullptr, "", 5, &more, &remaining);
  EXPECT_FALSE(more);
  EXPECT_EQ(remaining, -1);  // nothing follows: left alone
}

TEST_F(ResourceStorageTest, UpdateChecksResourceVersionAndBumpsGenerationOnSpecOnly) {
  auto created = rs_->Create(*deploy_, "default", Parse(R"({"metadata":{"name":"web"},"spec":{
      "selector":{"matchLabels":{"app":"web"}},
      "template":{"metadata":{"labels":{"app":"web"}},"spec":{"containers":[{"name":"c","image":"nginx:1"}]}}}})"),
                             {});
  ASSERT_TRUE(created.ok());
  auto set = [&](const char* path_value, const std::string& rv) {
    return rs_->Update(*deploy_, "default", "web",
                       [&](const ObjectPtr& cur) -> absl::StatusOr<json::value> {
                         json::value o = cur->Parse();
                         if (std::string(path_value) == "replicas") o.as_object()["spec"].as_object()["replicas"] = 3;
                         if (std::string(path_value) == "label")
                           base::EnsureObject(o, {"metadata", "labels"})["x"] = "y";
                         base::EnsureObject(o, {"metadata"})["resourceVersion"] = rv;
                         return o;
                       },
                       {}, false);
  };
  auto stale = set("replicas", "1");
  EXPECT_EQ(api::HttpCode(stale.status()), 409);
  auto labeled = set("label", std::to_string((*created)->revision));
  ASSERT_TRUE(labeled.ok()) << labeled.status();
  EXPECT_EQ(base::GetInt((*labeled)->Parse(), {"metadata", "generation"}), 1);
  auto scaled = set("replicas", std::to_string((*labeled)->revision));
  ASSERT_TRUE(scaled.ok()) << scaled.status();
  EXPECT_EQ(base::GetInt((*scaled)->Parse(), {"metadata", "generation"}), 2);
}

TEST_F(ResourceStorageTest, FinalizersDelayDeletionUntilRemoved) {
  ASSERT_TRUE(rs_->Create(*cm_, "default", Parse(R"({"metadata":{"name":"f","finalizers":["x/y"]}})"), {}).ok());
  bool deleted = true;
  auto marked = rs_->Delete(*cm_, "default", "f", {}, &deleted);
  ASSERT_TRUE(marked.ok());
  EXPECT_FALSE(deleted);
  EXPECT_NE(base::FindPath((*marked)->Parse(), {"metadata", "deletionTimestamp"}), nullptr);
  auto cleared = RemoveFinalizers(*cm_, "f");
  ASSERT_TRUE(cleared.ok()) << cleared.status();
  EXPECT_EQ(api::HttpCode(rs_->Get(*cm_, "default", "f").status()), 404);
}

TEST_F(ResourceStorageTest, BoundPodsTerminateGracefullyUnboundPodsGoAtOnce) {
  const char* pod = R"({"metadata":{"name":"%s"},"spec":{%s"containers":[{"name":"c","image":"busybox"}]}})";
  char buf[512];
  std::snprintf(buf, sizeof(buf), pod, "bound", "\"nodeName\":\"n1\",");
  ASSERT_TRUE(rs_->Create(*pods_, "default", Parse(buf), {}).ok());
  std::snprintf(buf, sizeof(buf), pod, "free", "");
  ASSERT_TRUE(rs_->Create(*pods_, "default", Parse(buf), {}).ok());
  bool deleted = false;
  auto bound = rs_->Delete(*pods_, "default", "bound", {}, &deleted);
  ASSERT_TRUE(bound.ok());
  EXPECT_FALSE(deleted);
  EXPECT_EQ(base::GetInt((*bound)->Parse(), {"metadata", "deletionGracePeriodSeconds"}), 30);
  auto free = rs_->Delete(*pods_, "default", "free", {}, &deleted);
  ASSERT_TRUE(free.ok());
  EXPECT_TRUE(deleted);
  DeleteOptions force;
  force.grace_period_seconds = 0;
  ASSERT_TRUE(rs_->Delete(*pods_, "default", "bound", force, &deleted).ok());
  EXPECT_TRUE(deleted);
}

TEST_F(ResourceStorageTest, FinalDeleteOfAPodWithFinalizersLetsTheLastFinalizerDeleteIt) {
  const char* pod = R"({"metadata":{"name":"p","finalizers":["batch.kubernetes.io/job-tracking"]},
                        "spec":{"nodeName":"n1","containers":[{"name":"c","image":"busybox"}]}})";
  ASSERT_TRUE(rs_->Create(*pods_, "default", Parse(pod), {}).ok());
  bool deleted = true;
  auto marked = rs_->Delete(*pods_, "default", "p", {}, &deleted);
  ASSERT_TRUE(marked.ok());
  EXPECT_EQ(base::GetInt((*marked)->Parse(), {"metadata", "deletionGracePeriodSeconds"}), 30);
  // The node agent's final delete (grace 0) shortens the grace period; the finalizer keeps the pod.
  DeleteOptions force;
  force.grace_period_seconds = 0;
  auto forced = rs_->Delete(*pods_, "default", "p", force, &deleted);
  ASSERT_TRUE(forced.ok());
  EXPECT_FALSE(deleted);
  EXPECT_EQ(base::GetInt((*forced)->Parse(), {"metadata", "deletionGracePeriodSeconds"}, -1), 0);
  // A longer grace period does not extend it again.
  ASSERT_TRUE(rs_->Delete(*pods_, "default", "p", {}, &deleted).ok());
  EXPECT_EQ(base::GetInt((*rs_->Get(*pods_, "default", "p"))->Parse(),
                         {"metadata", "deletionGracePeriodSeconds"}, -1),
            0);
  // Removing the last finalizer now deletes the pod.
  auto cleared = RemoveFinalizers(*pods_, "p");
  ASSERT_TRUE(cleared.ok()) << cleared.status();
  EXPECT_EQ(api::HttpCode(rs_->Get(*pods_, "default", "p").status()), 404);
}

TEST_F(ResourceStorageTest, WatchDeliversInitialThenLiveEventsInOrder) {
  ASSERT_TRUE(rs_->Create(*cm_, "default", Parse(R"({"metadata":{"name":"a"}})"), {}).ok());
  auto rec = std::make_shared<Recorder>();
  std::string prefix = ResourcePrefix("", "configmaps");
  auto id = cache_->StartWatch(prefix, prefix, 0, nullptr, rec);
  ASSERT_TRUE(id.ok());
  auto b = rs_->Create(*cm_, "default", Parse(R"({"metadata":{"name":"b"}})"), {});
  ASSERT_TRUE(b.ok());
  bool deleted = false;
  ASSERT_TRUE(rs_->Delete(*cm_, "default", "a", {}, &deleted).ok());
  auto events = rec->WaitFor(3);
  ASSERT_EQ(events.size(), 3u);
  EXPECT_EQ(events[0].substr(0, 8), "ADDED a ");
  EXPECT_EQ(events[1], "ADDED b " + std::to_string((*b)->revision));
  EXPECT_EQ(events[2].substr(0, 10), "DELETED a ");
  cache_->StopWatch(prefix, *id);

  // Resuming from b's revision replays only the later delete.
  auto rec2 = std::make_shared<Recorder>();
  ASSERT_TRUE(cache_->StartWatch(prefix, prefix, (*b)->revision, nullptr, rec2).ok());
  ASSERT_EQ(rec2->WaitFor(1).size(), 1u);
  EXPECT_EQ(rec2->Snapshot()[0].substr(0, 10), "DELETED a ");
}

TEST_F(ResourceStorageTest, SystemNamespacesCannotBeDeleted) {
  bool deleted = true;
  auto refused = rs_->Delete(*ns_, "", "default", {}, &deleted);
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(api::HttpCode(refused.status()), 403);
  EXPECT_NE(std::string(refused.status().message()).find("may not be deleted"), std::string::npos);
  EXPECT_TRUE(rs_->Get(*ns_, "", "default").ok());
  ASSERT_TRUE(rs_->Create(*ns_, "", Parse(R"({"metadata":{"name":"team"}})"), {}).ok());
  EXPECT_TRUE(rs_->Delete(*ns_, "", "team", {}, &deleted).ok());
}

TEST_F(ResourceStorageTest, DryRunStoresNothing) {
  WriteOptions dry;
  dry.dry_run = true;
  auto made = rs_->Create(*cm_, "default", Parse(R"({"metadata":{"name":"ghost"}})"), dry);
  ASSERT_TRUE(made.ok());
  EXPECT_EQ(base::GetString((*made)->Parse(), {"metadata", "resourceVersion"}), "");
  EXPECT_EQ(api::HttpCode(rs_->Get(*cm_, "default", "ghost").status()), 404);
}

// Labels ConfigMaps (mutating), refuses the name "forbidden" and deletes of "kept" (validating),
// and records the order of calls.
class TestPlugin : public AdmissionPlugin {
 public:
  absl::Status Mutate(const AdmissionRequest& request, json::value& obj, const json::value* old,
                      bool* changed) override {
    calls.push_back(
        absl::StrCat("mutate ", OperationName(request.operation), " ", request.name, old ? " old" : ""));
    if (request.resource->plural != "configmaps") return absl::OkStatus();
    obj.as_object()["metadata"].as_object()["labels"] = json::object{{"admitted", "yes"}};
    obj.as_object()["data"] = json::object{{"n", 1}};  // not a string: the schema must run again
    *changed = true;
    return absl::OkStatus();
  }
  absl::Status Validate(const AdmissionRequest& request, const json::value* obj,
                        const json::value* old) override {
    calls.push_back(absl::StrCat("validate ", OperationName(request.operation), " ", request.name,
                                 obj ? "" : " gone", old ? " old" : ""));
    request.Warn("seen by the test plug-in");
    if (request.name == "forbidden" || (!obj && request.name == "kept")) {
      return api::ToStatus({403, "Forbidden", "refused by the test plug-in"});
    }
    return absl::OkStatus();
  }
  std::vector<std::string> calls;
};

TEST_F(ResourceStorageTest, AdmissionPluginsMutateThenValidateAndSeeDeletes) {
  TestPlugin plugin;
  rs_->AddAdmissionPlugin(&plugin);
  std::vector<std::string> warnings;
  WriteOptions options{.warnings = &warnings};
  // The mutation put a number into data: the schema validation after it refuses the object.
  auto bad = rs_->Create(*cm_, "default", Parse(R"({"metadata":{"name":"a"}})"), options);
  EXPECT_EQ(api::HttpCode(bad.status()), 400) << bad.status();  // type mismatch, as kube-apiserver
  EXPECT_EQ(plugin.calls, (std::vector<std::string>{"mutate CREATE a"}));
  EXPECT_EQ(api::HttpCode(rs_->Get(*cm_, "default", "a").status()), 404);

  auto forbidden = rs_->Create(
      *pods_, "default",
      Parse(R"({"metadata":{"name":"forbidden"},"spec":{"containers":[{"name":"c","image":"i"}]}})"),
      options);
  EXPECT_EQ(api::HttpCode(forbidden.status()), 403);
  auto kept = rs_->Create(
      *pods_, "default",
      Parse(R"({"metadata":{"name":"kept"},"spec":{"containers":[{"name":"c","image":"i"}]}})"), options);
  ASSERT_TRUE(kept.ok()) << kept.status();
  EXPECT_FALSE(warnings.empty());
  bool deleted = false;
  EXPECT_EQ(api::HttpCode(rs_->Delete(*pods_, "default", "kept", DeleteOptions{}, &deleted).status()), 403);
  EXPECT_TRUE(rs_->Get(*pods_, "default", "kept").ok());
  EXPECT_EQ(plugin.calls.back(), "validate DELETE kept gone old");
}

// Records what becomes of the reservation it makes for every write it validates.
class ReservingPlugin : public AdmissionPlugin {
 public:
  class Held : public AdmissionReservation {
   public:
    explicit Held(ReservingPlugin* plugin) : plugin_(plugin) {}
    ~Held() override {
      if (!committed_) plugin_->Log("released");
    }
    void Commit(int64_t revision) override {
      committed_ = true;
      plugin_->Log(revision > 0 ? "committed" : "committed without a revision");
    }

   private:
    ReservingPlugin* plugin_;
    bool committed_ = false;
  };
  absl::Status Validate(const AdmissionRequest& request, const json::value* obj, const json::value*) override {
    if (obj) request.Reserve(std::make_unique<Held>(this));
    return absl::OkStatus();
  }
  void Log(std::string what) {
    std::lock_guard<std::mutex> lock(mu);
    log.push_back(std::move(what));
  }
  std::mutex mu;
  std::vector<std::string> log;
};

TEST_F(ResourceStorageTest, AdmissionReservationsAreCommittedWhenStoredAndGivenBackOtherwise) {
  ReservingPlugin plugin;
  rs_->AddAdmissionPlugin(&plugin);
  const char* cm = R"({"metadata":{"name":"c"},"data":{"a":"1"}})";
  ASSERT_TRUE(rs_->Create(*cm_, "default", Parse(cm), {}).ok());
  EXPECT_TRUE(rs_->Create(*cm_, "default", Parse(cm), WriteOptions{.dry_run = true}).ok());
  EXPECT_EQ(api::HttpCode(rs_->Create(*cm_, "default", Parse(cm), {}).status()), 409);  // the name is taken
  auto set_a = [](const char* value) {
    return [value](const ObjectPtr& cur) -> absl::StatusOr<json::value> {
      json::value o = cur->Parse();
      o.as_object()["data"] = json::object{{"a", value}};
      return o;
    };
  };
  ASSERT_TRUE(rs_->Update(*cm_, "default", "c", set_a("2"), {}, true).ok());
  ASSERT_TRUE(rs_->Update(*cm_, "default", "c", set_a("3"), WriteOptions{.dry_run = true}, true).ok());
  EXPECT_EQ(plugin.log, (std::vector<std::string>{"committed", "released", "released", "committed", "released"}));
}

}  // namespace
}  // namespace skiff::apiserver
