#include "client/inprocess/in_process_client.h"

#include <atomic>
#include <filesystem>
#include <mutex>
#include <vector>

#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "base/json.h"
#include "base/testing/wait_for.h"
#include "boost/json.hpp"
#include "apiserver/audit/auditor.h"
#include "apiserver/audit/options.h"
#include "apiserver/key_layout.h"
#include "apiserver/rbac_authorizer.h"
#include "apiserver/resource_storage.h"
#include "apiserver/watch_cache.h"
#include "base/file.h"
#include "client/informer.h"
#include "client/testing/test_api_server.h"
#include "gtest/gtest.h"

namespace skiff::client {
namespace {

using base::testing::WaitFor;

namespace json = boost::json;

json::value Parse(const std::string& text) { return *base::ParseJson(text); }

class InProcessClientTest : public ::testing::Test {
 protected:
  testing::TestApiServer server_;
  Client* client_ = server_.client();
  // Creates a one-container pod `name` in "default".
  void CreatePod(const std::string& name) {
    auto pod = client_->Create(
        pods_, "default",
        Parse(R"({"metadata":{"name":")" + name + R"("},"spec":{"containers":[{"name":"c","image":"i"}]}})"));
    ASSERT_TRUE(pod.ok()) << pod.status();
  }

  const api::ResourceInfo& cms_ = Resource("", "v1", "configmaps");
  const api::ResourceInfo& pods_ = Resource("", "v1", "pods");
  const api::ResourceInfo& deployments_ = Resource("apps", "v1", "deployments");
};

TEST_F(InProcessClientTest, CreateGetListUpdateDelete) {
  auto created = client_->Create(cms_, "default",
                                 Parse(R"({"metadata":{"name":"a","labels":{"x":"1"}},"data":{"k":"v"}})"));
  ASSERT_TRUE(created.ok()) << created.status();
  EXPECT_EQ(base::GetString(**created, {"kind"}), "ConfigMap");
  EXPECT_FALSE(base::GetString(**created, {"metadata", "uid"}).empty());
  EXPECT_FALSE(base::GetString(**created, {"metadata", "resourceVersion"}).empty());
  ASSERT_TRUE(client_->Create(cms_, "default", Parse(R"({"metadata":{"name":"b"}})")).ok());

  auto again = client_->Create(cms_, "default", Parse(R"({"metadata":{"name":"a"}})"));
  EXPECT_EQ(HttpCode(again.status()), 409);
  EXPECT_EQ(ErrorReason(again.status()), "AlreadyExists");

  auto got = client_->Get(cms_, "default", "a");
  ASSERT_TRUE(got.ok());
  EXPECT_EQ(base::GetString(**got, {"data", "k"}), "v");
  EXPECT_EQ(HttpCode(client_->Get(cms_, "default", "nope").status()), 404);

  auto all = client_->List(cms_, "default", {});
  ASSERT_TRUE(all.ok());
  EXPECT_EQ(all->items.size(), 2u);
  EXPECT_FALSE(all->resource_version.empty());
  ListOptions selected;
  selected.label_selector = "x=1";
  EXPECT_EQ(client_->List(cms_, "", selected)->items.size(), 1u);
  ListOptions page;
  page.limit = 1;
  auto first = client_->List(cms_, "default", page);
  ASSERT_EQ(first->items.size(), 1u);
  ASSERT_FALSE(first->continue_token.empty());
  page.continue_token = first->continue_token;
  auto second = client_->List(cms_, "default", page);
  ASSERT_EQ(second->items.size(), 1u);
  EXPECT_EQ(base::GetString(*second->items[0], {"metadata", "name"}), "b");
  page.continue_token = "/registry/secrets/default/x";
  EXPECT_EQ(HttpCode(client_->List(cms_, "default", page).status()), 400);

  // Update with a stale resourceVersion conflicts; with the current one it succeeds.
  json::value changed = **got;
  changed.as_object()["data"] = json::object{{"k", "w"}};
  auto updated = client_->Update(cms_, "default", changed);
  ASSERT_TRUE(updated.ok()) << updated.status();
  EXPECT_EQ(base::GetString(**updated, {"data", "k"}), "w");
  auto stale = client_->Update(cms_, "default", changed);
  EXPECT_EQ(HttpCode(stale.status()), 409);
  EXPECT_EQ(ErrorReason(stale.status()), "Conflict");

  EXPECT_TRUE(client_->Delete(cms_, "default", "a").ok());
  EXPECT_EQ(HttpCode(client_->Get(cms_, "default", "a").status()), 404);
  EXPECT_EQ(HttpCode(client_->Delete(cms_, "default", "a")), 404);
}

TEST_F(InProcessClientTest, ValidationAndNamespaceRulesApply) {
  auto bad = client_->Create(deployments_, "default", Parse(R"({"metadata":{"name":"d"},"spec":{}})"));
  EXPECT_EQ(HttpCode(bad.status()), 422);
  auto no_ns = client_->Create(cms_, "missing", Parse(R"({"metadata":{"name":"a"}})"));
  EXPECT_EQ(HttpCode(no_ns.status()), 404);
  auto wrong_kind = client_->Create(cms_, "default", Parse(R"({"kind":"Secret","metadata":{"name":"a"}})"));
  EXPECT_EQ(HttpCode(wrong_kind.status()), 400);
}

TEST_F(InProcessClientTest, PatchTypesAndStatusSubresource) {
  ASSERT_TRUE(client_->Create(cms_, "default", Parse(R"({"metadata":{"name":"a"},"data":{"k":"v"}})")).ok());
  auto merged = client_->Patch(cms_, "default", "a", PatchType::kMerge, Parse(R"({"data":{"m":"1"}})"));
  ASSERT_TRUE(merged.ok()) << merged.status();
  EXPECT_EQ(base::GetString(**merged, {"data", "m"}), "1");
  auto jsonp =
      client_->Patch(cms_, "default", "a", PatchType::kJson, Parse(R"([{"op":"remove","path":"/data/k"}])"));
  ASSERT_TRUE(jsonp.ok()) << jsonp.status();
  EXPECT_EQ(base::FindPath(**jsonp, {"data", "k"}), nullptr);
  auto bad_json =
      client_->Patch(cms_, "default", "a", PatchType::kJson, Parse(R"([{"op":"remove","path":"/x"}])"));
  EXPECT_EQ(HttpCode(bad_json.status()), 422);

  PatchOptions apply;
  apply.field_manager = "tester";
  auto applied = client_->Patch(cms_, "default", "applied", PatchType::kApply,
                                Parse(R"({"apiVersion":"v1","kind":"ConfigMap","data":{"a":"b"}})"), apply);
  ASSERT_TRUE(applied.ok()) << applied.status();
  const auto* managed = base::FindPath(**applied, {"metadata", "managedFields"});
  ASSERT_TRUE(managed && managed->is_array() && !managed->get_array().empty());
  EXPECT_EQ(base::GetString(managed->get_array()[0], {"manager"}), "tester");
  EXPECT_EQ(base::GetString(managed->get_array()[0], {"operation"}), "Apply");
  EXPECT_EQ(base::GetString(**applied, {"data", "a"}), "b");
  auto no_manager = client_->Patch(cms_, "default", "applied", PatchType::kApply, Parse(R"({"data":{}})"));
  EXPECT_EQ(HttpCode(no_manager.status()), 422);

  // Pods: the status subresource changes only status; a spec-level write keeps the status.
  CreatePod("p");
  PatchOptions status;
  status.subresource = "status";
  auto patched =
      client_->Patch(pods_, "default", "p", PatchType::kMerge,
                     Parse(R"({"status":{"phase":"Running"},"metadata":{"labels":{"l":"1"}}})"), status);
  ASSERT_TRUE(patched.ok()) << patched.status();
  EXPECT_EQ(base::GetString(**patched, {"status", "phase"}), "Running");
  auto plain = client_->Patch(pods_, "default", "p", PatchType::kStrategicMerge,
                              Parse(R"({"status":{"phase":"Failed"},"metadata":{"labels":{"l":"2"}}})"));
  ASSERT_TRUE(plain.ok()) << plain.status();
  EXPECT_EQ(base::GetString(**plain, {"status", "phase"}), "Running");
  EXPECT_EQ(base::GetString(**plain, {"metadata", "labels", "l"}), "2");
}

TEST_F(InProcessClientTest, ScaleBindingAndEviction) {
  ASSERT_TRUE(client_
                  ->Create(deployments_, "default", Parse(R"({"metadata":{"name":"d"},"spec":{
      "replicas":1,"selector":{"matchLabels":{"app":"d"}},
      "template":{"metadata":{"labels":{"app":"d"}},"spec":{"containers":[{"name":"c","image":"i"}]}}}})"))
                  .ok());
  PatchOptions scale;
  scale.subresource = "scale";
  auto scaled = client_->Patch(deployments_, "default", "d", PatchType::kMerge,
                               Parse(R"({"spec":{"replicas":5}})"), scale);
  ASSERT_TRUE(scaled.ok()) << scaled.status();
  EXPECT_EQ(base::GetString(**scaled, {"kind"}), "Scale");
  EXPECT_EQ(base::GetInt(**scaled, {"spec", "replicas"}), 5);
  EXPECT_EQ(base::GetInt(**client_->Get(deployments_, "default", "d"), {"spec", "replicas"}), 5);

  CreatePod("p");
  auto bound =
      client_->CreateSubresource(pods_, "default", "p", "binding",
                                 Parse(R"({"metadata":{"name":"p"},"target":{"kind":"Node","name":"n1"}})"));
  ASSERT_TRUE(bound.ok()) << bound.status();
  auto pod = client_->Get(pods_, "default", "p");
  EXPECT_EQ(base::GetString(**pod, {"spec", "nodeName"}), "n1");
  auto rebind =
      client_->CreateSubresource(pods_, "default", "p", "binding",
                                 Parse(R"({"metadata":{"name":"p"},"target":{"kind":"Node","name":"n2"}})"));
  EXPECT_EQ(HttpCode(rebind.status()), 409);

  CreatePod("q");
  auto evicted = client_->CreateSubresource(
      pods_, "default", "q", "eviction",
      Parse(R"({"apiVersion":"policy/v1","kind":"Eviction","metadata":{"name":"q"}})"));
  ASSERT_TRUE(evicted.ok()) << evicted.status();
  EXPECT_EQ(HttpCode(client_->Get(pods_, "default", "q").status()), 404);
}

TEST_F(InProcessClientTest, FinalizeNamespace) {
  const auto& namespaces = Resource("", "v1", "namespaces");
  ASSERT_TRUE(client_->Create(namespaces, "", Parse(R"({"metadata":{"name":"gone"}})")).ok());
  ASSERT_TRUE(client_->Delete(namespaces, "", "gone").ok());
  auto ns = client_->Get(namespaces, "", "gone");
  ASSERT_TRUE(ns.ok());
  EXPECT_EQ(base::GetString(**ns, {"status", "phase"}), "Terminating");
  json::value body = **ns;
  base::EnsureObject(body, {"spec"})["finalizers"] = json::array();
  ASSERT_TRUE(client_->Update(namespaces, "", body, "finalize").ok());
  EXPECT_EQ(HttpCode(client_->Get(namespaces, "", "gone").status()), 404);
}

struct Recorded {
  std::mutex mu;
  std::vector<std::string> events;
  std::atomic<bool> ended{false};
  absl::Status end_status;
  void Add(const std::string& s) {
    std::lock_guard<std::mutex> lock(mu);
    events.push_back(s);
  }
  std::vector<std::string> Events() {
    std::lock_guard<std::mutex> lock(mu);
    return events;
  }
};

std::string Describe(const WatchEvent& e) {
  const char* t = e.type == WatchEventType::kAdded      ? "ADDED"
                  : e.type == WatchEventType::kModified ? "MODIFIED"
                  : e.type == WatchEventType::kDeleted  ? "DELETED"
                                                        : "BOOKMARK";
  if (e.type == WatchEventType::kBookmark) return t;
  return std::string(t) + " " + base::GetString(*e.object, {"metadata", "name"});
}

TEST_F(InProcessClientTest, WatchDeliversEventsBookmarksAndTimesOut) {
  ASSERT_TRUE(client_->Create(cms_, "default", Parse(R"({"metadata":{"name":"a"}})")).ok());
  auto list = client_->List(cms_, "default", {});
  Recorded rec;
  WatchOptions options;
  options.resource_version = list->resource_version;
  options.timeout_seconds = 3;
  auto handle = client_->Watch(
      cms_, "default", options,
      [&](const WatchEvent& e) {
        rec.Add(Describe(e));
        return true;
      },
      [&](const absl::Status& s) {
        rec.end_status = s;
        rec.ended = true;
      });
  ASSERT_TRUE(handle.ok()) << handle.status();
  ASSERT_TRUE(client_->Create(cms_, "default", Parse(R"({"metadata":{"name":"b"}})")).ok());
  ASSERT_TRUE(client_->Patch(cms_, "default", "b", PatchType::kMerge, Parse(R"({"data":{"x":"y"}})")).ok());
  ASSERT_TRUE(client_->Delete(cms_, "default", "a").ok());
  ASSERT_TRUE(client_->Create(cms_, "kube-system", Parse(R"({"metadata":{"name":"other"}})")).ok());
  ASSERT_TRUE(WaitFor([&] { return rec.Events().size() >= 3; }));
  auto events = rec.Events();
  EXPECT_EQ(std::vector<std::string>(events.begin(), events.begin() + 3),
            (std::vector<std::string>{"ADDED b", "MODIFIED b", "DELETED a"}));
  ASSERT_TRUE(WaitFor([&] { return rec.Events().size() >= 4; }));
  EXPECT_EQ(rec.Events()[3], "BOOKMARK");
  ASSERT_TRUE(WaitFor([&] { return rec.ended.load(); }));
  EXPECT_TRUE(rec.end_status.ok());
  handle->reset();
}

TEST_F(InProcessClientTest, ListsAndWatchesShareTheWatchCacheBytes) {
  server_.client()->set_strip_managed_fields(true);
  ASSERT_TRUE(client_->Create(cms_, "default", Parse(R"({"metadata":{"name":"a"},"data":{"k":"v"}})")).ok());
  auto cached = [&] {
    return server_.storage()->cache()->Get(apiserver::ResourcePrefix("", "configmaps"),
                                          apiserver::ObjectKey(apiserver::ResourcePrefix("", "configmaps"),
                                                               "default", "a"));
  };
  auto list = client_->List(cms_, "default", {});
  ASSERT_TRUE(list.ok());
  ASSERT_EQ(list->item_bytes.size(), 1u);
  ASSERT_NE(list->item_bytes[0], nullptr);
  // The very bytes the cache holds, not a copy; they still carry the managed fields.
  EXPECT_EQ(list->item_bytes[0]->data(), cached()->json.data());
  json::value decoded = Parse(*list->item_bytes[0]);
  EXPECT_NE(base::FindPath(decoded, {"metadata", "managedFields"}), nullptr);
  decoded.as_object()["metadata"].as_object().erase("managedFields");
  EXPECT_EQ(decoded, *list->items[0]);

  std::mutex mu;
  std::vector<WatchEvent> seen;
  WatchOptions options;
  options.resource_version = list->resource_version;
  auto handle = client_->Watch(
      cms_, "default", options,
      [&](const WatchEvent& e) {
        std::lock_guard<std::mutex> lock(mu);
        if (e.type != WatchEventType::kBookmark) seen.push_back(e);
        return true;
      },
      [](const absl::Status&) {});
  ASSERT_TRUE(handle.ok());
  json::value changed = *list->items[0];
  changed.as_object()["data"].as_object()["k"] = "w";
  ASSERT_TRUE(client_->Update(cms_, "default", changed).ok());
  ASSERT_TRUE(WaitFor([&] {
    std::lock_guard<std::mutex> lock(mu);
    return !seen.empty();
  }));
  std::lock_guard<std::mutex> lock(mu);
  ASSERT_NE(seen[0].bytes, nullptr);
  EXPECT_EQ(seen[0].bytes->data(), cached()->json.data());
  EXPECT_EQ(base::GetString(Parse(*seen[0].bytes), {"data", "k"}), "w");
}

TEST_F(InProcessClientTest, StripManagedFieldsFromListsAndWatchesOnly) {
  ASSERT_TRUE(client_->Create(cms_, "default", Parse(R"({"metadata":{"name":"a"},"data":{"k":"v"}})")).ok());
  auto has_managed_fields = [](const Object& o) {
    return base::FindPath(*o, {"metadata", "managedFields"}) != nullptr;
  };
  auto plain = client_->List(cms_, "default", {});
  ASSERT_TRUE(plain.ok());
  ASSERT_EQ(plain->items.size(), 1u);
  EXPECT_TRUE(has_managed_fields(plain->items[0]));

  server_.client()->set_strip_managed_fields(true);
  auto stripped = client_->List(cms_, "default", {});
  ASSERT_TRUE(stripped.ok());
  ASSERT_EQ(stripped->items.size(), 1u);
  EXPECT_FALSE(has_managed_fields(stripped->items[0]));
  EXPECT_EQ(base::GetString(*stripped->items[0], {"data", "k"}), "v");
  // Get and write results stay complete.
  EXPECT_TRUE(has_managed_fields(*client_->Get(cms_, "default", "a")));

  std::mutex mu;
  std::vector<Object> seen;
  WatchOptions options;
  options.resource_version = stripped->resource_version;
  auto handle = client_->Watch(
      cms_, "default", options,
      [&](const WatchEvent& e) {
        std::lock_guard<std::mutex> lock(mu);
        if (e.type != WatchEventType::kBookmark) seen.push_back(e.object);
        return true;
      },
      [](const absl::Status&) {});
  ASSERT_TRUE(handle.ok());
  // An update from the stripped object keeps the stored managedFields.
  json::value copy = *stripped->items[0];
  copy.as_object()["data"].as_object()["k"] = "w";
  auto updated = client_->Update(cms_, "default", copy);
  ASSERT_TRUE(updated.ok()) << updated.status();
  EXPECT_TRUE(has_managed_fields(*updated));
  ASSERT_TRUE(WaitFor([&] {
    std::lock_guard<std::mutex> lock(mu);
    return !seen.empty();
  }));
  std::lock_guard<std::mutex> lock(mu);
  EXPECT_FALSE(has_managed_fields(seen[0]));
  EXPECT_EQ(base::GetString(*seen[0], {"data", "k"}), "w");
  handle->reset();
}

TEST_F(InProcessClientTest, WatchFromZeroStartsWithAddedAndStopsOnDestroy) {
  ASSERT_TRUE(client_->Create(cms_, "default", Parse(R"({"metadata":{"name":"a"}})")).ok());
  Recorded rec;
  auto handle = client_->Watch(
      cms_, "", {},
      [&](const WatchEvent& e) {
        rec.Add(Describe(e));
        return true;
      },
      [&](const absl::Status&) { rec.ended = true; });
  ASSERT_TRUE(handle.ok());
  ASSERT_TRUE(WaitFor([&] { return !rec.Events().empty(); }));
  EXPECT_EQ(rec.Events()[0], "ADDED a");
  handle->reset();
  ASSERT_TRUE(client_->Create(cms_, "default", Parse(R"({"metadata":{"name":"late"}})")).ok());
  absl::SleepFor(absl::Milliseconds(30));
  for (const auto& e : rec.Events()) EXPECT_NE(e, "ADDED late");
  EXPECT_FALSE(rec.ended);  // destroying the handle runs no handler
}

TEST_F(InProcessClientTest, InformerOverTheRealStorage) {
  Informer informer(client_, pods_, {});
  informer.AddIndex("node", IndexByField({"spec", "nodeName"}));
  informer.Start();
  ASSERT_TRUE(informer.WaitForSync(absl::Seconds(5)));
  CreatePod("p");
  ASSERT_TRUE(client_
                  ->CreateSubresource(pods_, "default", "p", "binding",
                                      Parse(R"({"target":{"kind":"Node","name":"n1"}})"))
                  .ok());
  ASSERT_TRUE(WaitFor([&] { return informer.ByIndex("node", "n1").size() == 1; }));
  informer.Stop();
}

TEST_F(InProcessClientTest, WithAnIdentityEveryCallIsAuthorized) {
  apiserver::RbacAuthorizer authorizer(server_.storage()->cache());
  ASSERT_TRUE(authorizer.Start().ok());
  apiserver::RbacEscalationCheck escalation(&authorizer);
  server_.storage()->AddAdmissionPlugin(&escalation);
  const api::ResourceInfo& roles = Resource("rbac.authorization.k8s.io", "v1", "roles");
  const api::ResourceInfo& bindings = Resource("rbac.authorization.k8s.io", "v1", "rolebindings");
  ASSERT_TRUE(client_->Create(roles, "default", Parse(R"({"metadata":{"name":"cm"},
      "rules":[{"verbs":["get","list","watch","create"],"apiGroups":[""],"resources":["configmaps"]},
               {"verbs":["create"],"apiGroups":["rbac.authorization.k8s.io"],"resources":["roles"]}]})")).ok());
  ASSERT_TRUE(client_->Create(bindings, "default", Parse(R"({"metadata":{"name":"cm"},
      "roleRef":{"apiGroup":"rbac.authorization.k8s.io","kind":"Role","name":"cm"},
      "subjects":[{"kind":"ServiceAccount","name":"robot","namespace":"default"}]})")).ok());
  InProcessClient robot(server_.storage(), "robot");
  robot.set_identity(&authorizer, apiserver::User{"system:serviceaccount:default:robot", "", {"system:serviceaccounts"}});
  ASSERT_TRUE(robot.Create(cms_, "default", Parse(R"({"metadata":{"name":"mine"}})")).ok());
  EXPECT_TRUE(robot.Get(cms_, "default", "mine").ok());
  EXPECT_TRUE(robot.List(cms_, "default", {}).ok());
  auto denied = robot.Delete(cms_, "default", "mine");
  EXPECT_EQ(HttpCode(denied), 403);
  EXPECT_EQ(denied.message(),
            "configmaps \"mine\" is forbidden: User \"system:serviceaccount:default:robot\" cannot delete resource "
            "\"configmaps\" in API group \"\" in the namespace \"default\"");
  EXPECT_EQ(HttpCode(robot.List(cms_, "kube-system", {}).status()), 403);
  EXPECT_EQ(HttpCode(robot.Create(pods_, "default", Parse(R"({"metadata":{"name":"p"}})")).status()), 403);
  // Escalation prevention applies to its writes: it may write roles, but not grant more than it holds.
  EXPECT_TRUE(robot.Create(roles, "default", Parse(R"({"metadata":{"name":"same"},
      "rules":[{"verbs":["get"],"apiGroups":[""],"resources":["configmaps"]}]})")).ok());
  auto escalated = robot.Create(roles, "default", Parse(R"({"metadata":{"name":"more"},
      "rules":[{"verbs":["delete"],"apiGroups":[""],"resources":["configmaps"]}]})"));
  EXPECT_EQ(HttpCode(escalated.status()), 403);
  EXPECT_NE(escalated.status().message().find("is attempting to grant RBAC permissions not currently held"),
            std::string::npos)
      << escalated.status();
}

// Lines of the audit log at `path` (the writer flushed), parsed.
std::vector<json::value> AuditEvents(const std::string& path) {
  std::vector<json::value> out;
  auto text = base::ReadFile(path);
  if (!text.ok()) return out;
  for (absl::string_view line : absl::StrSplit(*text, '\n', absl::SkipEmpty())) out.push_back(Parse(std::string(line)));
  return out;
}

TEST_F(InProcessClientTest, WithAnAuditorEveryWriteIsAudited) {
  std::string dir = ::testing::TempDir() + "/inprocess-audit-" + std::to_string(::getpid());
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  apiserver::audit::AuditOptions options;
  options.log_path = dir + "/audit.log";
  auto auditor = apiserver::audit::NewAuditor(options, &base::RealClock());
  ASSERT_TRUE(auditor.ok()) << auditor.status();
  apiserver::RbacAuthorizer authorizer(server_.storage()->cache());
  ASSERT_TRUE(authorizer.Start().ok());
  const api::ResourceInfo& roles = Resource("rbac.authorization.k8s.io", "v1", "roles");
  const api::ResourceInfo& bindings = Resource("rbac.authorization.k8s.io", "v1", "rolebindings");
  ASSERT_TRUE(client_->Create(roles, "default", Parse(R"({"metadata":{"name":"cm"},
      "rules":[{"verbs":["create","update"],"apiGroups":[""],"resources":["configmaps"]}]})")).ok());
  ASSERT_TRUE(client_->Create(bindings, "default", Parse(R"({"metadata":{"name":"cm"},
      "roleRef":{"apiGroup":"rbac.authorization.k8s.io","kind":"Role","name":"cm"},
      "subjects":[{"kind":"ServiceAccount","name":"robot","namespace":"default"}]})")).ok());
  authorizer.WaitForSync();
  InProcessClient robot(server_.storage(), "robot-manager");
  robot.set_identity(&authorizer, apiserver::User{"system:serviceaccount:default:robot", "", {"system:serviceaccounts"}});
  robot.set_auditor(*auditor);
  auto created = robot.Create(cms_, "default", Parse(R"({"metadata":{"generateName":"c-"},"data":{"k":"v"}})"));
  ASSERT_TRUE(created.ok()) << created.status();
  std::string name = base::GetString(**created, {"metadata", "name"});
  EXPECT_EQ(HttpCode(robot.Delete(cms_, "default", name)), 403);
  (*auditor)->writer().Flush();

  std::vector<json::value> events = AuditEvents(options.log_path);
  ASSERT_EQ(events.size(), 2u);
  const json::value& create = events[0];
  EXPECT_EQ(base::GetString(create, {"stage"}), "ResponseComplete");
  EXPECT_EQ(base::GetString(create, {"level"}), "Metadata");
  EXPECT_EQ(base::GetString(create, {"verb"}), "create");
  EXPECT_EQ(base::GetString(create, {"user", "username"}), "system:serviceaccount:default:robot");
  EXPECT_EQ(base::GetString(create, {"userAgent"}), "robot-manager");
  EXPECT_EQ(base::GetString(create, {"requestURI"}), "/api/v1/namespaces/default/configmaps");
  EXPECT_EQ(base::GetString(create, {"objectRef", "name"}), name);
  EXPECT_EQ(base::GetString(create, {"objectRef", "resource"}), "configmaps");
  EXPECT_EQ(base::GetInt(create, {"responseStatus", "code"}), 201);
  EXPECT_EQ(base::GetString(create, {"annotations", "authorization.k8s.io/decision"}), "allow");
  EXPECT_FALSE(base::FindPath(create, {"requestObject"}));  // Metadata level
  const json::value& denied = events[1];
  EXPECT_EQ(base::GetString(denied, {"verb"}), "delete");
  EXPECT_EQ(base::GetString(denied, {"requestURI"}), "/api/v1/namespaces/default/configmaps/" + name);
  EXPECT_EQ(base::GetInt(denied, {"responseStatus", "code"}), 403);
  EXPECT_EQ(base::GetString(denied, {"responseStatus", "reason"}), "Forbidden");
  EXPECT_EQ(base::GetString(denied, {"annotations", "authorization.k8s.io/decision"}), "forbid");
  // A client without an auditor writes nothing to the log.
  ASSERT_TRUE(client_->Create(cms_, "default", Parse(R"({"metadata":{"name":"quiet"}})")).ok());
  (*auditor)->writer().Flush();
  EXPECT_EQ(AuditEvents(options.log_path).size(), 2u);
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace skiff::client
