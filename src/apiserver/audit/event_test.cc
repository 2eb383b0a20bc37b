#include "apiserver/audit/event.h"

#include "base/json.h"
#include "gtest/gtest.h"

namespace skiff::apiserver::audit {
namespace {

absl::Time At(int64_t micros) { return absl::FromUnixMicros(micros); }

TEST(EventTest, MetadataEventHasKubeApiserversShape) {
  Event e;
  e.level = Level::kMetadata;
  e.audit_id = "0b5f1c4e-6c4a-4d2b-9a41-2f0a5b7c9d10";
  e.stage = Stage::kResponseComplete;
  e.request_uri = "/api/v1/namespaces/default/configmaps?fieldManager=kubectl-create";
  e.verb = "create";
  e.user = UserInfo{"admin", "", {"system:masters", "system:authenticated"}, {}};
  e.source_ips = {"127.0.0.1"};
  e.user_agent = "kubectl/v1.32.4";
  e.object_ref =
      ObjectRef{.resource = "configmaps", .namespace_name = "default", .name = "c", .api_version = "v1"};
  e.response_status = ResponseStatus{.code = 201};
  e.request_received = At(1'700'000'000'123'456);
  e.stage_time = At(1'700'000'000'223'456);
  e.annotations["authorization.k8s.io/decision"] = "allow";
  EXPECT_EQ(
      EventJson(e),
      R"({"kind":"Event","apiVersion":"audit.k8s.io/v1","level":"Metadata",)"
      R"("auditID":"0b5f1c4e-6c4a-4d2b-9a41-2f0a5b7c9d10","stage":"ResponseComplete",)"
      R"("requestURI":"/api/v1/namespaces/default/configmaps?fieldManager=kubectl-create","verb":"create",)"
      R"("user":{"username":"admin","groups":["system:masters","system:authenticated"]},)"
      R"("sourceIPs":["127.0.0.1"],"userAgent":"kubectl/v1.32.4",)"
      R"("objectRef":{"resource":"configmaps","namespace":"default","name":"c","apiVersion":"v1"},)"
      R"("responseStatus":{"metadata":{},"code":201},)"
      R"("requestReceivedTimestamp":"2023-11-14T22:13:20.123456Z","stageTimestamp":"2023-11-14T22:13:20.223456Z",)"
      R"("annotations":{"authorization.k8s.io/decision":"allow"}})");
}

TEST(EventTest, FailureObjectsAndImpersonation) {
  Event e;
  e.level = Level::kRequestResponse;
  e.audit_id = "id";
  e.stage = Stage::kResponseComplete;
  e.verb = "get";
  e.user = UserInfo{"admin", "42", {"g"}, {{"scopes", {"a", "b"}}}};
  e.impersonated_user = UserInfo{"bob", "", {}, {}};
  e.object_ref = ObjectRef{.resource = "deployments",
                           .namespace_name = "ns",
                           .name = "web",
                           .api_group = "apps",
                           .api_version = "v1",
                           .subresource = "scale"};
  e.response_status = ResponseStatus{403, "Failure", "forbidden\nsecond line", "Forbidden",
                                     boost::json::value(boost::json::object{{"name", "web"}})};
  e.request_object = boost::json::object{{"kind", "Scale"}};
  e.response_object = boost::json::object{{"kind", "Status"}};
  auto parsed = base::ParseJson(EventJson(e));
  ASSERT_TRUE(parsed.ok());
  EXPECT_EQ(EventJson(e).find('\n'), std::string::npos) << "one event is one line";
  EXPECT_EQ(base::GetString(*parsed, {"user", "uid"}), "42");
  EXPECT_EQ(base::GetString(*parsed, {"user", "extra", "scopes"}), "");
  EXPECT_EQ(base::FindPath(*parsed, {"user", "extra", "scopes"})->as_array().size(), 2u);
  EXPECT_EQ(base::GetString(*parsed, {"impersonatedUser", "username"}), "bob");
  EXPECT_EQ(base::GetString(*parsed, {"objectRef", "apiGroup"}), "apps");
  EXPECT_EQ(base::GetString(*parsed, {"objectRef", "subresource"}), "scale");
  EXPECT_EQ(base::GetInt(*parsed, {"responseStatus", "code"}), 403);
  EXPECT_EQ(base::GetString(*parsed, {"responseStatus", "status"}), "Failure");
  EXPECT_EQ(base::GetString(*parsed, {"responseStatus", "reason"}), "Forbidden");
  EXPECT_EQ(base::GetString(*parsed, {"responseStatus", "message"}), "forbidden\nsecond line");
  EXPECT_EQ(base::GetString(*parsed, {"responseStatus", "details", "name"}), "web");
  EXPECT_EQ(base::GetString(*parsed, {"requestObject", "kind"}), "Scale");
  EXPECT_EQ(base::GetString(*parsed, {"responseObject", "kind"}), "Status");
  EXPECT_EQ(base::GetString(*parsed, {"level"}), "RequestResponse");
  EXPECT_EQ(base::Find(*parsed, "annotations"), nullptr);
  EXPECT_EQ(base::Find(*parsed, "sourceIPs"), nullptr);
}

TEST(EventTest, StageAndLevelNames) {
  EXPECT_STREQ(StageName(Stage::kRequestReceived), "RequestReceived");
  EXPECT_STREQ(StageName(Stage::kResponseStarted), "ResponseStarted");
  EXPECT_STREQ(StageName(Stage::kResponseComplete), "ResponseComplete");
  EXPECT_STREQ(StageName(Stage::kPanic), "Panic");
  EXPECT_STREQ(LevelName(Level::kNone), "None");
  EXPECT_STREQ(LevelName(Level::kRequest), "Request");
}

}  // namespace
}  // namespace skiff::apiserver::audit
