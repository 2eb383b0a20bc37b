// The aggregation layer against a real TLS upstream (http::HttpServer): endpoint resolution from
// Services and EndpointSlices, the availability verdicts, discovery and the front proxy's request.
#include "apiserver/aggregator.h"

#include <cstdlib>
#include <filesystem>
#include <mutex>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "api/errors.h"
#include "apiserver/aggregator_bootstrap.h"
#include "apiserver/apiservice_availability.h"
#include "apiserver/testing/storage_fixture.h"
#include "base/file.h"
#include "base/json.h"
#include "base/testing/wait_for.h"
#include "boost/json.hpp"
#include "gtest/gtest.h"
#include "http/errors.h"
#include "http/http_server.h"
#include "http/pki.h"

namespace skiff::apiserver {
namespace {

namespace json = boost::json;
using testing::StorageFixture;

constexpr char kResourceList[] =
    R"({"kind":"APIResourceList","apiVersion":"v1","groupVersion":"wardle.example.com/v1alpha1",)"
    R"("resources":[{"name":"flunders","singularName":"flunder","namespaced":true,"kind":"Flunder","verbs":["get"]}]})";

TEST(FrontProxyHeadersTest, ReplacesCredentialsWithTheUser) {
  http::HttpRequest req;
  req.headers = {{"authorization", "Bearer secret"}, {"impersonate-user", "bob"},
                 {"x-remote-user", "mallory"},       {"x-remote-extra-scopes", "all"},
                 {"accept", "application/json"},     {"user-agent", "kubectl/v1.32"},
                 {"connection", "keep-alive"},       {"host", "example"},
                 {"accept-encoding", "gzip"},        {"content-length", "0"}};
  User user{"alice", "", {"devs", "system:authenticated"}, {{"authentication.kubernetes.io/pod-name", {"p1"}}}};
  std::vector<std::pair<std::string, std::string>> want = {
      {"accept", "application/json"},
      {"user-agent", "kubectl/v1.32"},
      {"X-Remote-User", "alice"},
      {"X-Remote-Group", "devs"},
      {"X-Remote-Group", "system:authenticated"},
      {"X-Remote-Extra-authentication.kubernetes.io%2Fpod-name", "p1"}};
  EXPECT_EQ(FrontProxyHeaders(req, user), want);
  // An upgrade request keeps what the protocol switch needs.
  req.headers = {{"connection", "Upgrade"}, {"upgrade", "websocket"}};
  auto upgrade = FrontProxyHeaders(req, User{"alice"});
  EXPECT_EQ(upgrade[0], (std::pair<std::string, std::string>{"connection", "Upgrade"}));
  EXPECT_EQ(upgrade[1], (std::pair<std::string, std::string>{"upgrade", "websocket"}));
}

class AggregatorTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/aggregator_test.XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
    http::PkiOptions pki;
    pki.host_name = "localhost";
    pki.host_addresses = std::vector<std::string>{"127.0.0.1"};
    pki.extra_sans = {"ext-api.wardle.svc"};
    auto paths = http::EnsurePki(dir_, pki);
    ASSERT_TRUE(paths.ok()) << paths.status();
    paths_ = *paths;
    auto fixture = StorageFixture::Open(&base::RealClock(), {"wardle", "kube-system"});
    ASSERT_TRUE(fixture.ok()) << fixture.status();
    fixture_ = std::move(*fixture);
    StartUpstream();
    aggregator_ = std::make_unique<Aggregator>(
        fixture_->storage(), AggregatorOptions{.front_proxy_client_cert = paths_.front_proxy_client_cert,
                                               .front_proxy_client_key = paths_.front_proxy_client_key});
    ASSERT_TRUE(aggregator_->Start().ok());
    availability_ = std::make_unique<ApiServiceAvailability>(fixture_->storage(), aggregator_.get(),
                                                             &base::RealClock(),
                                                             ApiServiceAvailabilityOptions{.timeout = absl::Seconds(2)});
  }
  void TearDown() override {
    availability_.reset();
    aggregator_.reset();
    if (upstream_) upstream_->Stop();
    upstream_.reset();
    fixture_.reset();
    std::filesystem::remove_all(dir_);
  }

  // The extension server: serving certificate for ext-api.wardle.svc (from the cluster CA here),
  // client certificates verified against the front-proxy CA.
  void StartUpstream() {
    http::HttpServerOptions options;
    options.listen_address = "127.0.0.1";
    options.port = 0;
    options.cert_file = paths_.server_cert;
    options.key_file = paths_.server_key;
    options.client_ca_file = paths_.front_proxy_ca_cert;
    options.worker_threads = 2;
    upstream_ = std::make_unique<http::HttpServer>(
        options,
        [this](http::HttpRequest& req) {
          std::lock_guard<std::mutex> lock(mu_);
          seen_.push_back(req);
          if (!req.peer || req.peer->common_name != http::kFrontProxyClientCommonName)
            return http::ErrorResponse(api::UnauthorizedError());
          http::HttpResponse resp;
          resp.body = req.path == "/apis/wardle.example.com/v1alpha1" ? kResourceList : R"({"kind":"FlunderList"})";
          return resp;
        },
        [](int code, const std::string& m) { return http::ErrorResponse(api::ToStatus({code, "Error", m})); });
    ASSERT_TRUE(upstream_->Start().ok());
    port_ = upstream_->port();
  }

  void Create(std::string_view plural, std::string_view group, const std::string& ns, const std::string& text) {
    auto created = fixture_->Create(StorageFixture::Resource(plural, group), ns, text);
    ASSERT_TRUE(created.ok()) << created.status();
  }
  void CreateApiService() {
    auto ca = base::ReadFile(paths_.ca_cert);
    ASSERT_TRUE(ca.ok());
    Create("apiservices", kApiRegistrationGroup, "",
           absl::StrCat(R"({"metadata":{"name":"v1alpha1.wardle.example.com"},"spec":{"group":"wardle.example.com",)",
                        R"("version":"v1alpha1","groupPriorityMinimum":1000,"versionPriority":15,"caBundle":")",
                        absl::Base64Escape(*ca), R"(","service":{"namespace":"wardle","name":"ext-api"}}})"));
  }
  void CreateServiceAndSlice(bool ready = true) {
    Create("services", "", "wardle",
           R"({"metadata":{"name":"ext-api"},"spec":{"ports":[{"name":"https","port":443,"targetPort":8443}]}})");
    Create("endpointslices", "discovery.k8s.io", "wardle",
           absl::StrCat(R"({"metadata":{"name":"ext-api-1","labels":{"kubernetes.io/service-name":"ext-api"}},)",
                        R"("addressType":"IPv4","endpoints":[{"addresses":["127.0.0.1"],"conditions":{"ready":)",
                        ready ? "true" : "false", R"(}}],"ports":[{"name":"https","port":)", port_, "}]}"));
  }
  // The Available condition as (status, reason, message), after one availability pass.
  std::vector<std::string> CheckedCondition() {
    availability_->CheckAll();
    auto obj = fixture_->storage()->Get(StorageFixture::Resource("apiservices", kApiRegistrationGroup), "",
                                        "v1alpha1.wardle.example.com");
    if (!obj.ok()) return {};
    json::value parsed = (*obj)->Parse();
    const auto* conditions = base::FindPath(parsed, {"status", "conditions"});
    if (!conditions || !conditions->is_array() || conditions->get_array().empty()) return {};
    const auto& c = conditions->get_array().front();
    return {base::GetString(c, {"status"}), base::GetString(c, {"reason"}), base::GetString(c, {"message"})};
  }
  bool Available() {
    for (const auto& s : aggregator_->ApiServices()) {
      if (s.name == "v1alpha1.wardle.example.com") return s.available;
    }
    return false;
  }

  std::string dir_;
  http::PkiPaths paths_;
  std::unique_ptr<StorageFixture> fixture_;
  std::unique_ptr<http::HttpServer> upstream_;
  int port_ = 0;
  std::unique_ptr<Aggregator> aggregator_;
  std::unique_ptr<ApiServiceAvailability> availability_;
  std::mutex mu_;
  std::vector<http::HttpRequest> seen_;
};

TEST_F(AggregatorTest, ConditionsFollowTheServiceAndItsEndpoints) {
  CreateApiService();
  ASSERT_TRUE(base::testing::WaitFor([&] { return aggregator_->ApiServices().size() == 1; }));
  EXPECT_EQ(CheckedCondition(), (std::vector<std::string>{"False", "ServiceNotFound",
                                                          R"(service/ext-api in "wardle" is not present)"}));
  Create("services", "", "wardle", R"({"metadata":{"name":"ext-api"},"spec":{"ports":[{"name":"https","port":8443}]}})");
  EXPECT_EQ(CheckedCondition(), (std::vector<std::string>{"False", "ServicePortError",
                                                          R"(service/ext-api in "wardle" is not listening on port 443)"}));
  bool gone = false;
  auto deleted = fixture_->storage()->Delete(StorageFixture::Resource("services"), "wardle", "ext-api", {}, &gone);
  ASSERT_TRUE(deleted.ok() && gone) << deleted.status();
  Create("services", "", "wardle", R"({"metadata":{"name":"ext-api"},"spec":{"ports":[{"name":"https","port":443}]}})");
  EXPECT_EQ(CheckedCondition(), (std::vector<std::string>{"False", "EndpointsNotFound",
                                                          R"(cannot find endpoints for service/ext-api in "wardle")"}));
  Create("endpointslices", "discovery.k8s.io", "wardle",
         absl::StrCat(R"({"metadata":{"name":"ext-api-1","labels":{"kubernetes.io/service-name":"ext-api"}},)",
                      R"("addressType":"IPv4","endpoints":[{"addresses":["127.0.0.1"],"conditions":{"ready":false}}],)",
                      R"("ports":[{"name":"https","port":)", port_, "}]}"));
  EXPECT_EQ(CheckedCondition(),
            (std::vector<std::string>{"False", "MissingEndpoints",
                                      R"(endpoints for service/ext-api in "wardle" have no addresses with port name "https")"}));
}

TEST_F(AggregatorTest, PassingCheckServesDiscoveryAndProxiesAsTheUser) {
  CreateServiceAndSlice();
  CreateApiService();
  ASSERT_TRUE(base::testing::WaitFor([&] { return aggregator_->ApiServices().size() == 1; }));
  EXPECT_EQ(CheckedCondition(), (std::vector<std::string>{"True", "Passed", "all checks passed"}));
  {
    std::lock_guard<std::mutex> lock(mu_);
    ASSERT_EQ(seen_.size(), 1u);
    EXPECT_EQ(seen_[0].Header("x-remote-user"), "system:kube-aggregator");
    EXPECT_EQ(seen_[0].Header("x-remote-group"), "system:masters");
  }
  ASSERT_TRUE(base::testing::WaitFor([&] { return Available(); }));
  auto discovery = aggregator_->AggregatedGroupVersions();
  ASSERT_EQ(discovery.size(), 1u);
  EXPECT_EQ(discovery[0].resources, *base::ParseJson(kResourceList));

  http::HttpRequest req;
  req.method = "GET";
  req.path = "/apis/wardle.example.com/v1alpha1/namespaces/wardle/flunders";
  req.target = req.path + "?limit=5";
  req.headers = {{"authorization", "Bearer secret"}, {"x-remote-user", "mallory"}};
  auto resp = aggregator_->Proxy(req, User{"alice", "", {"devs"}});
  ASSERT_TRUE(resp);
  EXPECT_EQ(resp->status, 200);
  EXPECT_EQ(resp->body, R"({"kind":"FlunderList"})");
  {
    std::lock_guard<std::mutex> lock(mu_);
    const http::HttpRequest& got = seen_.back();
    EXPECT_EQ(got.target, "/apis/wardle.example.com/v1alpha1/namespaces/wardle/flunders?limit=5");
    EXPECT_EQ(got.Header("x-remote-user"), "alice");
    EXPECT_EQ(got.Header("x-remote-group"), "devs");
    EXPECT_EQ(got.Header("authorization"), "");
  }
  // Group versions without an APIService, and Local ones, are served here.
  req.path = "/apis/apps/v1/deployments";
  EXPECT_FALSE(aggregator_->Proxy(req, User{"alice"}));

  // The extension server goes away: the discovery check fails, and requests get 503.
  upstream_->Stop();
  auto condition = CheckedCondition();
  ASSERT_EQ(condition.size(), 3u);
  EXPECT_EQ(condition[0], "False");
  EXPECT_EQ(condition[1], "FailedDiscoveryCheck");
  EXPECT_EQ(condition[2].rfind(absl::StrCat("failing or missing response from https://127.0.0.1:", port_,
                                            "/apis/wardle.example.com/v1alpha1: "),
                               0),
            0u)
      << condition[2];
  ASSERT_TRUE(base::testing::WaitFor([&] { return !Available(); }));
  EXPECT_TRUE(aggregator_->AggregatedGroupVersions().empty());
  req.path = "/apis/wardle.example.com/v1alpha1/flunders";
  resp = aggregator_->Proxy(req, User{"alice"});
  ASSERT_TRUE(resp);
  EXPECT_EQ(resp->status, 503);
}

TEST_F(AggregatorTest, ServingCertificateMustNameTheService) {
  CreateServiceAndSlice();
  // The serving certificate names ext-api.wardle.svc; a Service of another name does not match.
  Create("services", "", "wardle", R"({"metadata":{"name":"other"},"spec":{"ports":[{"name":"https","port":443}]}})");
  Create("endpointslices", "discovery.k8s.io", "wardle",
         absl::StrCat(R"({"metadata":{"name":"other-1","labels":{"kubernetes.io/service-name":"other"}},)",
                      R"("addressType":"IPv4","endpoints":[{"addresses":["127.0.0.1"]}],)",
                      R"("ports":[{"name":"https","port":)", port_, "}]}"));
  auto ca = base::ReadFile(paths_.ca_cert);
  ASSERT_TRUE(ca.ok());
  Create("apiservices", kApiRegistrationGroup, "",
         absl::StrCat(R"({"metadata":{"name":"v1alpha1.wardle.example.com"},"spec":{"group":"wardle.example.com",)",
                      R"("version":"v1alpha1","groupPriorityMinimum":1000,"versionPriority":15,"caBundle":")",
                      absl::Base64Escape(*ca), R"(","service":{"namespace":"wardle","name":"other"}}})"));
  ASSERT_TRUE(base::testing::WaitFor([&] { return aggregator_->ApiServices().size() == 1; }));
  auto condition = CheckedCondition();
  ASSERT_EQ(condition.size(), 3u);
  EXPECT_EQ(condition[1], "FailedDiscoveryCheck") << condition[2];
  std::lock_guard<std::mutex> lock(mu_);
  EXPECT_TRUE(seen_.empty());
}

TEST_F(AggregatorTest, LocalApiServicesAreAvailableAndNeverProxied) {
  ASSERT_TRUE(EnsureLocalApiServices(fixture_->storage()).ok());
  ASSERT_TRUE(EnsureLocalApiServices(fixture_->storage()).ok());  // idempotent
  ASSERT_TRUE(base::testing::WaitFor([&] { return aggregator_->ApiServices().size() == LocalApiServices().size(); }));
  availability_->CheckAll();
  for (const auto& s : aggregator_->ApiServices()) {
    EXPECT_TRUE(s.local) << s.name;
    EXPECT_EQ(s.available_reason, "Local") << s.name;
  }
  auto core = fixture_->storage()->Get(StorageFixture::Resource("apiservices", kApiRegistrationGroup), "", "v1.");
  ASSERT_TRUE(core.ok()) << core.status();
  EXPECT_EQ(base::GetInt((*core)->Parse(), {"spec", "groupPriorityMinimum"}), 18000);
  EXPECT_EQ(BuiltinPriority("metrics.k8s.io", "v1beta1").group, 100);
  // A later start restores the spec of what it manages, leaves a user's own alone, and drops what
  // an earlier start registered for a group version no longer served.
  const api::ResourceInfo& apiservices = StorageFixture::Resource("apiservices", kApiRegistrationGroup);
  auto changed = fixture_->storage()->Update(
      apiservices, "", "v1.apps",
      [](const ObjectPtr& stored) -> absl::StatusOr<json::value> {
        json::value obj = stored->Parse();
        obj.as_object()["spec"].as_object()["versionPriority"] = 3;
        return obj;
      },
      WriteOptions{}, true);
  ASSERT_TRUE(changed.ok()) << changed.status();
  Create("apiservices", kApiRegistrationGroup, "",
         R"({"metadata":{"name":"v1beta1.gone.k8s.io","labels":{"kube-aggregator.kubernetes.io/automanaged":"onstart"}},)"
         R"("spec":{"group":"gone.k8s.io","version":"v1beta1","groupPriorityMinimum":10,"versionPriority":1}})");
  Create("apiservices", kApiRegistrationGroup, "",
         R"({"metadata":{"name":"v1.mine.example.com"},)"
         R"("spec":{"group":"mine.example.com","version":"v1","groupPriorityMinimum":10,"versionPriority":1}})");
  ASSERT_TRUE(EnsureLocalApiServices(fixture_->storage()).ok());
  auto apps = fixture_->storage()->Get(apiservices, "", "v1.apps");
  ASSERT_TRUE(apps.ok());
  EXPECT_EQ(base::GetInt((*apps)->Parse(), {"spec", "versionPriority"}), 15);
  EXPECT_TRUE(absl::IsNotFound(fixture_->storage()->Get(apiservices, "", "v1beta1.gone.k8s.io").status()));
  EXPECT_TRUE(fixture_->storage()->Get(apiservices, "", "v1.mine.example.com").ok());
  http::HttpRequest req;
  req.method = "GET";
  req.path = "/apis/metrics.k8s.io/v1beta1/nodes";
  EXPECT_FALSE(aggregator_->Proxy(req, User{"alice"}));
}

TEST_F(AggregatorTest, ExtensionAuthenticationConfigMapIsPublishedAndKeptCurrent) {
  ASSERT_TRUE(PublishExtensionAuthentication(fixture_->storage(), {"client-ca", "front-proxy-ca"}).ok());
  ASSERT_TRUE(PublishExtensionAuthentication(fixture_->storage(), {"client-ca", "new-front-proxy-ca"}).ok());
  auto cm = fixture_->storage()->Get(StorageFixture::Resource("configmaps"), "kube-system",
                                     "extension-apiserver-authentication");
  ASSERT_TRUE(cm.ok()) << cm.status();
  json::value obj = (*cm)->Parse();
  EXPECT_EQ(*base::FindPath(obj, {"data"}), *base::ParseJson(R"({"client-ca-file":"client-ca","requestheader-client-ca-file":"new-front-proxy-ca",
      "requestheader-allowed-names":"[\"front-proxy-client\"]","requestheader-username-headers":"[\"X-Remote-User\"]",
      "requestheader-group-headers":"[\"X-Remote-Group\"]","requestheader-extra-headers-prefix":"[\"X-Remote-Extra-\"]"})"));
  EXPECT_TRUE(fixture_->storage()
                  ->Get(StorageFixture::Resource("roles", "rbac.authorization.k8s.io"), "kube-system",
                        "extension-apiserver-authentication-reader")
                  .ok());
}

}  // namespace
}  // namespace skiff::apiserver
