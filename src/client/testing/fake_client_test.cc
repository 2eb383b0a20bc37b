#include "client/testing/fake_client.h"

#include "absl/strings/str_cat.h"
#include "api/errors.h"
#include "base/json.h"
#include "base/testing/fake_clock.h"
#include "gtest/gtest.h"

namespace skiff::client::testing {
namespace {

namespace json = boost::json;

json::value Parse(const std::string& text) { return *base::ParseJson(text); }

class FakeClientTest : public ::testing::Test {
 protected:
  const api::ResourceInfo& pods_ = Resource("", "v1", "pods");
  const api::ResourceInfo& deployments_ = Resource("apps", "v1", "deployments");
  base::testing::FakeClock clock_;
  FakeClient client_{&clock_};
};

TEST_F(FakeClientTest, CreateFillsSystemMetadataAndExpandsGenerateName) {
  auto made = client_.Create(
      pods_, "default",
      Parse(R"({"metadata":{"generateName":"web-","deletionTimestamp":"2024-01-01T00:00:00Z"}})"));
  ASSERT_TRUE(made.ok()) << made.status();
  std::string name = base::GetString(**made, {"metadata", "name"});
  EXPECT_EQ(name.size(), 9u);
  EXPECT_EQ(name.substr(0, 4), "web-");
  EXPECT_EQ(base::GetString(**made, {"kind"}), "Pod");
  EXPECT_EQ(base::GetString(**made, {"metadata", "namespace"}), "default");
  EXPECT_FALSE(base::GetString(**made, {"metadata", "uid"}).empty());
  EXPECT_EQ(base::GetString(**made, {"metadata", "creationTimestamp"}), base::FormatRfc3339(clock_.Now()));
  EXPECT_EQ(base::FindPath(**made, {"metadata", "deletionTimestamp"}), nullptr);
  EXPECT_EQ(base::FindPath(**made, {"metadata", "generation"}), nullptr);  // pods do not track it
  auto again = client_.Create(pods_, "default", Parse(R"({"metadata":{"generateName":"web-"}})"));
  ASSERT_TRUE(again.ok());
  EXPECT_NE(base::GetString(**again, {"metadata", "name"}), name);
  EXPECT_EQ(client_.Create(pods_, "default", Parse(R"({"metadata":{}})")).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(
      ErrorReason(
          client_.Create(pods_, "default", Parse(R"({"metadata":{"name":")" + name + R"("}})")).status()),
      "AlreadyExists");
  EXPECT_EQ(
      HttpCode(client_.Create(pods_, "default", Parse(R"({"metadata":{"name":"x","resourceVersion":"5"}})"))
                   .status()),
      400);
}

TEST_F(FakeClientTest, GenerationCountsSpecChangesOnly) {
  auto made = client_.Create(deployments_, "default",
                             Parse(R"({"metadata":{"name":"d","generation":7},"spec":{"replicas":1}})"));
  ASSERT_TRUE(made.ok());
  EXPECT_EQ(base::GetInt(**made, {"metadata", "generation"}), 1);
  json::value next = **made;
  next.as_object()["metadata"].as_object()["labels"] = json::object{{"a", "b"}};
  auto labeled = client_.Update(deployments_, "default", next);
  ASSERT_TRUE(labeled.ok());
  EXPECT_EQ(base::GetInt(**labeled, {"metadata", "generation"}), 1);
  auto scaled =
      client_.Patch(deployments_, "default", "d", PatchType::kMerge, Parse(R"({"spec":{"replicas":3}})"));
  ASSERT_TRUE(scaled.ok());
  EXPECT_EQ(base::GetInt(**scaled, {"metadata", "generation"}), 2);
  EXPECT_EQ(client_.Calls(),
            (std::vector<std::string>{"create deployments default/d", "update deployments default/d",
                                      "patch deployments default/d"}));
}

TEST_F(FakeClientTest, StaleResourceVersionConflictsAndNoOpsWriteNothing) {
  auto made = client_.Create(deployments_, "default", Parse(R"({"metadata":{"name":"d"},"spec":{}})"));
  ASSERT_TRUE(made.ok());
  auto same = client_.Update(deployments_, "default", **made);
  ASSERT_TRUE(same.ok());
  EXPECT_EQ(base::GetString(**same, {"metadata", "resourceVersion"}),
            base::GetString(**made, {"metadata", "resourceVersion"}));
  json::value changed = **made;
  changed.as_object()["spec"].as_object()["paused"] = true;
  ASSERT_TRUE(client_.Update(deployments_, "default", changed).ok());
  auto stale = client_.Update(deployments_, "default", changed);
  EXPECT_EQ(ErrorReason(stale.status()), "Conflict");
}

TEST_F(FakeClientTest, StatusIsWrittenOnlyThroughTheStatusSubresource) {
  auto made =
      client_.Create(deployments_, "default", Parse(R"({"metadata":{"name":"d"},"spec":{"replicas":1}})"));
  ASSERT_TRUE(made.ok());
  json::value next = **made;
  next.as_object()["status"] = json::object{{"replicas", 1}};
  next.as_object()["spec"].as_object()["replicas"] = 5;
  auto status = client_.Update(deployments_, "default", next, "status");
  ASSERT_TRUE(status.ok());
  EXPECT_EQ(base::GetInt(**status, {"status", "replicas"}), 1);
  EXPECT_EQ(base::GetInt(**status, {"spec", "replicas"}), 1);
  next = **status;
  next.as_object()["status"] = json::object{{"replicas", 4}};
  auto main = client_.Update(deployments_, "default", next);
  ASSERT_TRUE(main.ok());
  EXPECT_EQ(base::GetInt(**main, {"status", "replicas"}), 1);
}

TEST_F(FakeClientTest, FinalizersHoldDeletionUntilTheLastIsRemoved) {
  ASSERT_TRUE(
      client_.Create(deployments_, "default", Parse(R"({"metadata":{"name":"d","finalizers":["x"]}})")).ok());
  ASSERT_TRUE(client_.Delete(deployments_, "default", "d", {.propagation_policy = "Foreground"}).ok());
  Object dying = client_.Peek(deployments_, "default", "d");
  ASSERT_NE(dying, nullptr);
  EXPECT_EQ(base::GetString(*dying, {"metadata", "deletionTimestamp"}), base::FormatRfc3339(clock_.Now()));
  EXPECT_EQ(base::FindPath(*dying, {"metadata", "finalizers"})->as_array().size(), 2u);
  json::value next = *dying;
  next.as_object()["metadata"].as_object()["finalizers"] = json::array{"foregroundDeletion"};
  ASSERT_TRUE(client_.Update(deployments_, "default", next).ok());
  ASSERT_NE(client_.Peek(deployments_, "default", "d"), nullptr);
  ASSERT_TRUE(client_
                  .Patch(deployments_, "default", "d", PatchType::kMerge,
                         Parse(R"({"metadata":{"finalizers":null}})"))
                  .ok());
  EXPECT_EQ(client_.Peek(deployments_, "default", "d"), nullptr);
  EXPECT_EQ(ErrorReason(client_.Delete(deployments_, "default", "d")), "NotFound");
}

TEST_F(FakeClientTest, DeletePreconditions) {
  ASSERT_TRUE(client_.Create(pods_, "default", Parse(R"({"metadata":{"name":"p"}})")).ok());
  EXPECT_EQ(ErrorReason(client_.Delete(pods_, "default", "p", {.precondition_uid = "other"})), "Conflict");
  EXPECT_EQ(ErrorReason(client_.Delete(pods_, "default", "p", {.precondition_resource_version = "99"})),
            "Conflict");
  EXPECT_TRUE(client_.Delete(pods_, "default", "p").ok());
}

TEST_F(FakeClientTest, WatchReplaysHistoryAfterAResourceVersion) {
  auto a = client_.Create(pods_, "default", Parse(R"({"metadata":{"name":"a","labels":{"app":"web"}}})"));
  ASSERT_TRUE(a.ok());
  ASSERT_TRUE(
      client_.Create(pods_, "default", Parse(R"({"metadata":{"name":"b","labels":{"app":"web"}}})")).ok());
  ASSERT_TRUE(
      client_.Create(pods_, "other", Parse(R"({"metadata":{"name":"c","labels":{"app":"web"}}})")).ok());
  ASSERT_TRUE(
      client_.Create(pods_, "default", Parse(R"({"metadata":{"name":"d","labels":{"app":"db"}}})")).ok());
  std::vector<std::string> seen;
  auto watch = client_.Watch(
      pods_, "default",
      {.label_selector = "app=web",
       .resource_version = base::GetString(**a, {"metadata", "resourceVersion"})},
      [&](const WatchEvent& e) {
        seen.push_back(
            absl::StrCat(static_cast<int>(e.type), base::GetString(*e.object, {"metadata", "name"})));
        return true;
      },
      nullptr);
  ASSERT_TRUE(watch.ok());
  ASSERT_TRUE(client_.Delete(pods_, "default", "a").ok());
  EXPECT_EQ(seen, (std::vector<std::string>{"0b", "2a"}));
}

TEST_F(FakeClientTest, InjectedFaultsSkipCountAndStoreOnTimeout) {
  client_.Inject({.verb = "create", .resource = "pods", .skip = 1, .times = 1});
  EXPECT_TRUE(client_.Create(pods_, "default", Parse(R"({"metadata":{"name":"a"}})")).ok());
  EXPECT_EQ(client_.Create(pods_, "default", Parse(R"({"metadata":{"name":"b"}})")).status().code(),
            absl::StatusCode::kInternal);
  EXPECT_TRUE(client_.Create(pods_, "default", Parse(R"({"metadata":{"name":"c"}})")).ok());
  client_.Inject({.resource = "pods",
                  .status = absl::DeadlineExceededError("timeout"),
                  .times = 1,
                  .after_write = true});
  EXPECT_EQ(client_.Delete(pods_, "default", "a").code(), absl::StatusCode::kDeadlineExceeded);
  EXPECT_EQ(client_.Peek(pods_, "default", "a"), nullptr);
  EXPECT_EQ(client_.Injected(), 2);
  EXPECT_EQ(client_.CountCalls("create pods "), 2);
  EXPECT_EQ(client_.TakeCalls().size(), 3u);
  EXPECT_TRUE(client_.Calls().empty());
}

}  // namespace
}  // namespace skiff::client::testing
