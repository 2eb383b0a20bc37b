#include "apiserver/audit/auditor.h"

#include <filesystem>

#include "absl/strings/str_split.h"
#include "apiserver/audit/rotating_file.h"
#include "base/file.h"
#include "base/json.h"
#include "base/testing/fake_clock.h"
#include "gtest/gtest.h"

namespace skiff::apiserver::audit {
namespace {

namespace json = boost::json;

// The transport's side of a streamed response, as far as the audit wrappers see it.
class RecordingSink : public http::StreamSink {
 public:
  bool Write(std::shared_ptr<const std::string>) override { return true; }
  void Close() override { closed = true; }
  bool closed = false;
};

class Chunks : public http::StreamSource {
 public:
  void Start(std::shared_ptr<http::StreamSink> s) override { sink = std::move(s); }
  void Stop() override { stopped = true; }
  std::shared_ptr<http::StreamSink> sink;
  bool stopped = false;
};

// The client's end of an upgraded connection, and a relay that ends it when told.
class ClientEnd : public http::TunnelEnd {
 public:
  void Send(std::shared_ptr<const std::string>, std::function<void(bool)> done) override { done(true); }
  void Receive(std::function<void(std::string, bool)> done) override { done("", false); }
  void Close() override { ++closes; }
  int closes = 0;
};

class Relay : public http::Tunnel {
 public:
  void Start(std::shared_ptr<http::TunnelEnd> c) override { client = std::move(c); }
  void Stop() override {}
  std::shared_ptr<http::TunnelEnd> client;
};

class AuditorTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string tmpl = ::testing::TempDir() + "/auditor-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl.data()), nullptr);
    dir_ = tmpl;
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  std::shared_ptr<Auditor> Make(Policy policy, size_t max_object_bytes = 1 << 20) {
    auto file = RotatingFile::Open(dir_ + "/audit.log", {}, &clock_);
    EXPECT_TRUE(file.ok());
    auditor_ = std::make_shared<Auditor>(
        std::move(policy), std::make_unique<BatchWriter>(std::move(*file), BatchWriterOptions{}), &clock_,
        max_object_bytes);
    return auditor_;
  }
  std::vector<json::value> Events() {
    auditor_->writer().Flush();
    std::vector<json::value> out;
    for (absl::string_view line :
         absl::StrSplit(base::ReadFile(dir_ + "/audit.log").value_or(""), '\n', absl::SkipEmpty())) {
      auto parsed = base::ParseJson(std::string_view(line.data(), line.size()));
      EXPECT_TRUE(parsed.ok()) << line;
      if (parsed.ok()) out.push_back(*parsed);
    }
    return out;
  }

  static http::HttpRequest Request(std::string method, std::string target, std::string body = "") {
    http::HttpRequest req;
    req.method = std::move(method);
    req.target = target;
    req.path = target.substr(0, target.find('?'));
    req.body = std::move(body);
    req.headers["content-type"] = "application/json";
    req.headers["user-agent"] = "kubectl/v1.32.4 (linux/amd64) kubernetes/4cb5f07";
    req.headers["x-forwarded-for"] = "10.0.0.7, not-an-ip";
    req.remote_address = "127.0.0.1";
    return req;
  }
  static Attributes CreateConfigMap() {
    Attributes a;
    a.user = UserInfo{"alice", "u-1", {"devs", "system:authenticated"}, {}};
    a.verb = "create";
    a.is_resource = true;
    a.api_version = "v1";
    a.namespace_name = "default";
    a.resource = "configmaps";
    return a;
  }

  std::string dir_;
  base::testing::FakeClock clock_;
  std::shared_ptr<Auditor> auditor_;
};

constexpr char kConfigMap[] =
    R"({"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"cm","managedFields":[{"manager":"m"}]},"data":{"k":"v"}})";

TEST_F(AuditorTest, AuditIdHeaderEvenWithoutALog) {
  http::HttpRequest req = Request("GET", "/version");
  http::HttpResponse resp;
  RequestAudit audit(nullptr, req);
  audit.Respond(req, resp);
  ASSERT_EQ(resp.headers.size(), 1u);
  EXPECT_EQ(resp.headers[0].first, "Audit-Id");
  EXPECT_EQ(resp.headers[0].second.size(), 36u);  // a UUID
  req.headers["audit-id"] = "client-chosen-id.1";
  EXPECT_EQ(RequestAudit(nullptr, req).id(), "client-chosen-id.1");
  req.headers["audit-id"] = "bad id\r\nX-Injected: 1";
  EXPECT_NE(RequestAudit(nullptr, req).id(), req.headers["audit-id"]);
}

TEST_F(AuditorTest, CreateWritesReceivedAndCompleteWithTheSameId) {
  Make(Policy::MetadataForAll());
  http::HttpRequest req = Request("POST", "/api/v1/namespaces/default/configmaps?fieldManager=x", kConfigMap);
  RequestAudit audit(auditor_, req);
  audit.Received(req, CreateConfigMap());
  audit.SetAuthorization(true, "");
  clock_.Advance(absl::Milliseconds(3));
  http::HttpResponse resp;
  resp.status = 201;
  resp.body = kConfigMap;
  audit.Respond(req, resp);
  auto events = Events();
  ASSERT_EQ(events.size(), 2u);
  EXPECT_EQ(base::GetString(events[0], {"stage"}), "RequestReceived");
  EXPECT_EQ(base::Find(events[0], "responseStatus"), nullptr);
  const json::value& e = events[1];
  EXPECT_EQ(base::GetString(e, {"stage"}), "ResponseComplete");
  EXPECT_EQ(base::GetString(e, {"auditID"}), audit.id());
  EXPECT_EQ(base::GetString(events[0], {"auditID"}), audit.id());
  EXPECT_EQ(resp.headers.back().second, audit.id());
  EXPECT_EQ(base::GetString(e, {"level"}), "Metadata");
  EXPECT_EQ(base::GetString(e, {"verb"}), "create");
  EXPECT_EQ(base::GetString(e, {"requestURI"}), "/api/v1/namespaces/default/configmaps?fieldManager=x");
  EXPECT_EQ(base::GetString(e, {"user", "username"}), "alice");
  EXPECT_EQ(base::GetString(e, {"user", "uid"}), "u-1");
  EXPECT_EQ(base::ToJson(*base::Find(e, "sourceIPs")), R"(["10.0.0.7","127.0.0.1"])");
  EXPECT_EQ(base::GetString(e, {"userAgent"}), "kubectl/v1.32.4 (linux/amd64) kubernetes/4cb5f07");
  EXPECT_EQ(base::ToJson(*base::Find(e, "objectRef")),
            R"({"resource":"configmaps","namespace":"default","name":"cm","apiVersion":"v1"})");
  EXPECT_EQ(base::ToJson(*base::Find(e, "responseStatus")), R"({"metadata":{},"code":201})");
  EXPECT_EQ(base::GetString(e, {"annotations", "authorization.k8s.io/decision"}), "allow");
  EXPECT_EQ(base::GetString(e, {"requestReceivedTimestamp"}), "2023-11-14T22:13:20.000000Z");
  EXPECT_EQ(base::GetString(e, {"stageTimestamp"}), "2023-11-14T22:13:20.003000Z");
  EXPECT_EQ(base::Find(e, "requestObject"), nullptr) << "Metadata level records no bodies";
  EXPECT_EQ(base::Find(e, "responseObject"), nullptr);
}

TEST_F(AuditorTest, FailuresCarryTheStatusFields) {
  Make(Policy::MetadataForAll());
  http::HttpRequest req = Request("GET", "/api/v1/namespaces/default/configmaps/nope");
  Attributes a = CreateConfigMap();
  a.verb = "get";
  a.name = "nope";
  RequestAudit audit(auditor_, req);
  audit.Received(req, a);
  audit.SetAuthorization(false, "no RBAC rule allows it");
  http::HttpResponse resp;
  resp.status = 403;
  resp.body =
      R"({"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"configmaps \"nope\" is forbidden","reason":"Forbidden","details":{"name":"nope","kind":"configmaps"},"code":403})";
  audit.Respond(req, resp);
  auto events = Events();
  ASSERT_EQ(events.size(), 2u);
  EXPECT_EQ(
      base::ToJson(*base::Find(events[1], "responseStatus")),
      R"({"metadata":{},"status":"Failure","message":"configmaps \"nope\" is forbidden","reason":"Forbidden",)"
      R"("details":{"name":"nope","kind":"configmaps"},"code":403})");
  EXPECT_EQ(base::GetString(events[1], {"annotations", "authorization.k8s.io/decision"}), "forbid");
  EXPECT_EQ(base::GetString(events[1], {"annotations", "authorization.k8s.io/reason"}),
            "no RBAC rule allows it");
}

TEST_F(AuditorTest, PolicyLevelsAndOmittedStages) {
  auto policy = Policy::Parse(R"(
apiVersion: audit.k8s.io/v1
kind: Policy
omitStages: [RequestReceived]
rules:
- level: None
  users: [alice]
- level: RequestResponse
  omitManagedFields: true
)");
  ASSERT_TRUE(policy.ok());
  Make(*policy);
  http::HttpRequest req = Request("POST", "/api/v1/namespaces/default/configmaps", kConfigMap);
  {
    RequestAudit ignored(auditor_, req);
    ignored.Received(req, CreateConfigMap());
    http::HttpResponse resp;
    ignored.Respond(req, resp);
    EXPECT_EQ(resp.headers.back().first, "Audit-Id");
  }
  Attributes bob = CreateConfigMap();
  bob.user.username = "bob";
  RequestAudit audit(auditor_, req);
  audit.Received(req, bob);
  http::HttpResponse resp;
  resp.status = 201;
  resp.body = std::string(kConfigMap) + "\n";
  audit.Respond(req, resp);
  auto events = Events();
  ASSERT_EQ(events.size(), 1u) << "alice's request is not recorded, bob's only at ResponseComplete";
  EXPECT_EQ(base::GetString(events[0], {"level"}), "RequestResponse");
  EXPECT_EQ(base::GetString(events[0], {"requestObject", "data", "k"}), "v");
  EXPECT_EQ(base::GetString(events[0], {"responseObject", "metadata", "name"}), "cm");
  EXPECT_EQ(base::FindPath(events[0], {"requestObject", "metadata", "managedFields"}), nullptr);
  EXPECT_EQ(base::FindPath(events[0], {"responseObject", "metadata", "managedFields"}), nullptr);
}

TEST_F(AuditorTest, BodiesOverTheLimitAreLeftOutWithAnAnnotation) {
  auto policy =
      Policy::Parse("{apiVersion: audit.k8s.io/v1, kind: Policy, rules: [{level: RequestResponse}]}");
  ASSERT_TRUE(policy.ok());
  Make(*policy, /*max_object_bytes=*/64);
  http::HttpRequest req = Request("POST", "/api/v1/namespaces/default/configmaps", kConfigMap);
  RequestAudit audit(auditor_, req);
  audit.Received(req, CreateConfigMap());
  http::HttpResponse resp;
  resp.status = 201;
  resp.body = kConfigMap;
  audit.Respond(req, resp);
  auto events = Events();
  ASSERT_EQ(events.size(), 2u);
  EXPECT_EQ(base::Find(events[1], "requestObject"), nullptr);
  EXPECT_EQ(base::Find(events[1], "responseObject"), nullptr);
  EXPECT_EQ(base::GetString(events[1], {"annotations", kRequestObjectAnnotation}),
            "omitted: 114 bytes exceed the audit limit of 64");
  EXPECT_NE(base::GetString(events[1], {"annotations", kResponseObjectAnnotation}), "");
  // objectRef still names the object only when the body could be read.
  EXPECT_EQ(base::GetString(events[1], {"objectRef", "name"}), "");
}

TEST_F(AuditorTest, StreamsWriteStartedThenCompleteOnce) {
  Make(Policy::MetadataForAll());
  http::HttpRequest req = Request("GET", "/api/v1/namespaces/default/configmaps?watch=true");
  Attributes a = CreateConfigMap();
  a.verb = "watch";
  RequestAudit audit(auditor_, req);
  audit.Received(req, a);
  auto chunks = std::make_shared<Chunks>();
  http::HttpResponse resp;
  resp.stream = chunks;
  audit.Respond(req, resp);
  ASSERT_NE(resp.stream, chunks) << "wrapped";
  EXPECT_EQ(Events().size(), 1u);  // RequestReceived only: the stream has not started
  auto sink = std::make_shared<RecordingSink>();
  resp.stream->Start(sink);
  EXPECT_EQ(base::GetString(Events().back(), {"stage"}), "ResponseStarted");
  chunks->sink->Close();
  EXPECT_TRUE(sink->closed);
  resp.stream->Stop();  // the transport also stops it: no second ResponseComplete
  EXPECT_TRUE(chunks->stopped);
  resp.stream.reset();
  chunks.reset();
  auto events = Events();
  ASSERT_EQ(events.size(), 3u);
  EXPECT_EQ(base::GetString(events[2], {"stage"}), "ResponseComplete");
  EXPECT_EQ(base::GetInt(events[2], {"responseStatus", "code"}), 200);
}

TEST_F(AuditorTest, UpgradedConnectionsWriteStartedThenCompleteOnce) {
  Make(Policy::MetadataForAll());
  http::HttpRequest req = Request("POST", "/api/v1/namespaces/default/pods/p/exec?command=sh");
  Attributes a = CreateConfigMap();
  a.resource = "pods";
  a.name = "p";
  a.subresource = "exec";
  RequestAudit audit(auditor_, req);
  audit.Received(req, a);
  auto relay = std::make_shared<Relay>();
  http::HttpResponse resp;
  resp.status = 101;
  resp.tunnel = relay;
  audit.Respond(req, resp);
  auto client = std::make_shared<ClientEnd>();
  resp.tunnel->Start(client);
  EXPECT_EQ(base::GetString(Events().back(), {"stage"}), "ResponseStarted");
  relay->client->Close();
  relay->client->Close();
  EXPECT_EQ(client->closes, 2);
  auto events = Events();
  ASSERT_EQ(events.size(), 3u);
  EXPECT_EQ(base::GetString(events[2], {"stage"}), "ResponseComplete");
  EXPECT_EQ(base::GetInt(events[2], {"responseStatus", "code"}), 101);
  EXPECT_EQ(base::GetString(events[2], {"objectRef", "subresource"}), "exec");
}

TEST_F(AuditorTest, FailedAuthenticationIsOneResponseStartedWithoutUser) {
  Make(Policy::MetadataForAll());
  http::HttpRequest req = Request("GET", "/api/v1/pods");
  Attributes a;
  a.verb = "list";
  a.is_resource = true;
  a.resource = "pods";
  a.api_version = "v1";
  RequestAudit audit(auditor_, req);
  audit.Unauthenticated(a);
  http::HttpResponse resp;
  resp.status = 401;
  resp.body =
      R"({"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"Unauthorized","reason":"Unauthorized","code":401})";
  audit.Respond(req, resp);
  auto events = Events();
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(base::GetString(events[0], {"stage"}), "ResponseStarted");
  EXPECT_EQ(base::ToJson(*base::Find(events[0], "user")), "{}");
  EXPECT_EQ(base::GetInt(events[0], {"responseStatus", "code"}), 401);
}

TEST_F(AuditorTest, UnauthenticatedProbesAreAnonymousAndPanicsAreRecorded) {
  Make(Policy::MetadataForAll());
  http::HttpRequest probe = Request("GET", "/readyz");
  {
    RequestAudit audit(auditor_, probe);
    http::HttpResponse resp;
    audit.Respond(probe, resp);
  }
  http::HttpRequest req = Request("POST", "/api/v1/namespaces/default/configmaps", kConfigMap);
  {
    RequestAudit audit(auditor_, req);
    audit.Received(req, CreateConfigMap());
    audit.Panic("boom");
  }
  auto events = Events();
  ASSERT_EQ(events.size(), 4u);
  EXPECT_EQ(base::GetString(events[1], {"user", "username"}), "system:anonymous");
  EXPECT_EQ(base::GetString(events[1], {"verb"}), "get");
  EXPECT_EQ(base::GetString(events[1], {"requestURI"}), "/readyz");
  EXPECT_EQ(base::Find(events[1], "objectRef"), nullptr);
  EXPECT_EQ(base::GetString(events[3], {"stage"}), "Panic");
  EXPECT_EQ(base::GetInt(events[3], {"responseStatus", "code"}), 500);
  EXPECT_EQ(base::GetString(events[3], {"responseStatus", "message"}), "APIServer panic'd: boom");
}

}  // namespace
}  // namespace skiff::apiserver::audit
