// The webhook admission plug-in on a real ResourceStorage and WatchCache over SQLite
// (StorageFixture), its configurations read through the API server's WebhookSources, calling a
// real HTTPS webhook server on loopback (http::HttpServer with a certificate from a test CA).
#include "apiserver/admissionwebhook/plugin.h"

#include <functional>
#include <thread>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "api/errors.h"
#include "api/resources.h"
#include "apiserver/key_layout.h"
#include "apiserver/resource_storage.h"
#include "apiserver/testing/json_https_server.h"
#include "apiserver/testing/storage_fixture.h"
#include "apiserver/webhook_sources.h"
#include "base/file.h"
#include "base/json.h"
#include "boost/json.hpp"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace skiff::apiserver::admissionwebhook {
namespace {

namespace json = boost::json;
using ::testing::HasSubstr;

using Handler = apiserver::testing::JsonHttpsServer::Handler;

json::value Allow(const json::value& review) {
  return json::object{{"apiVersion", "admission.k8s.io/v1"},
                      {"kind", "AdmissionReview"},
                      {"response", json::object{{"uid", review.at("request").at("uid")}, {"allowed", true}}}};
}

json::value WithPatch(json::value answer, const std::string& patch) {
  answer.at("response").as_object()["patchType"] = "JSONPatch";
  answer.at("response").as_object()["patch"] = absl::Base64Escape(patch);
  return answer;
}

json::value Labels(const json::value& review) {
  const auto* l = base::FindPath(review, {"request", "object", "metadata", "labels"});
  return l ? *l : json::value();
}

class WebhookAdmissionTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto server = apiserver::testing::JsonHttpsServer::Start(
        [](const std::string&, const json::value& review) { return Allow(review); }, {"hook.hooks.svc"}, 8);
    ASSERT_TRUE(server.ok()) << server.status();
    server_ = std::move(*server);
    ca_ = server_->ca_bundle();

    auto f = apiserver::testing::StorageFixture::Open(&base::RealClock(), {"plain", "hooks"});
    ASSERT_TRUE(f.ok()) << f.status();
    fixture_ = std::move(*f);
    sources_ = std::make_unique<WebhookSources>(fixture_->cache());
    plugin_ = std::make_unique<WebhookAdmission>(sources_.get());
    fixture_->storage()->AddAdmissionPlugin(plugin_.get());
  }
  void TearDown() override {
    fixture_.reset();
    plugin_.reset();
    server_.reset();
  }

  void SetHandler(Handler h) { server_->SetHandler(std::move(h)); }
  std::vector<apiserver::testing::JsonHttpsServer::Call> Calls() const { return server_->Calls(); }
  std::string Url(const std::string& path) const { return server_->Url(path); }

  // A webhook on pods (CREATE, UPDATE, DELETE) at `path`, as JSON text; `extra` adds fields.
  std::string Hook(const std::string& name, const std::string& path, const std::string& extra = "") const {
    return absl::StrCat(R"({"name":")", name, R"(","clientConfig":{"url":")", Url(path), R"(","caBundle":")", ca_,
                        R"("},"rules":[{"operations":["CREATE","UPDATE","DELETE"],"apiGroups":[""],"apiVersions":["v1"],)",
                        R"("resources":["pods"]}],"sideEffects":"None","admissionReviewVersions":["v1"])", extra, "}");
  }
  absl::Status Configure(bool mutating, const std::string& name, const std::string& hooks) {
    const auto& r = apiserver::testing::StorageFixture::Resource(
        mutating ? "mutatingwebhookconfigurations" : "validatingwebhookconfigurations", "admissionregistration.k8s.io");
    return fixture_->Create(r, "", absl::StrCat(R"({"metadata":{"name":")", name, R"("},"webhooks":[)", hooks, "]}"))
        .status();
  }
  absl::StatusOr<ObjectPtr> CreatePod(const std::string& name, const std::string& labels = "{}",
                                      WriteOptions options = {}) {
    return fixture_->Create("pods", "plain",
                            absl::StrCat(R"({"metadata":{"name":")", name, R"(","labels":)", labels,
                                         R"(},"spec":{"containers":[{"name":"c","image":"busybox"}]}})"),
                            options);
  }

  std::string ca_;
  std::unique_ptr<apiserver::testing::JsonHttpsServer> server_;
  std::unique_ptr<apiserver::testing::StorageFixture> fixture_;
  std::unique_ptr<WebhookSources> sources_;
  std::unique_ptr<WebhookAdmission> plugin_;
};

TEST_F(WebhookAdmissionTest, DenialKeepsTheWebhooksStatusAtLeast400) {
  ASSERT_TRUE(Configure(false, "v", Hook("deny.test.io", "/deny")).ok());
  SetHandler([](const std::string&, const json::value& review) {
    json::value a = Allow(review);
    a.at("response").as_object()["allowed"] = false;
    if (Labels(review).as_object().contains("coded")) {
      a.at("response").as_object()["status"] =
          json::object{{"code", 409}, {"reason", "Conflict"}, {"message", "not now"}};
    }
    return a;
  });
  auto plain = CreatePod("p");
  ASSERT_FALSE(plain.ok());
  EXPECT_EQ(api::HttpCode(plain.status()), 400);
  EXPECT_EQ(plain.status().message(), "admission webhook \"deny.test.io\" denied the request without explanation");
  auto coded = CreatePod("q", R"({"coded":"1"})");
  EXPECT_EQ(api::HttpCode(coded.status()), 409);
  EXPECT_EQ(api::StatusObject(coded.status()).at("reason"), "Conflict");
  EXPECT_EQ(coded.status().message(), "admission webhook \"deny.test.io\" denied the request: not now");
  EXPECT_FALSE(fixture_->storage()->Get(*api::FindResource("", "v1", "pods"), "plain", "q").ok());
}

TEST_F(WebhookAdmissionTest, PatchedObjectsAreValidatedAgain) {
  ASSERT_TRUE(Configure(true, "m", Hook("break.test.io", "/break")).ok());
  SetHandler([](const std::string&, const json::value& review) {
    return WithPatch(Allow(review), R"([{"op":"add","path":"/metadata/labels","value":{"bad key":"x"}}])");
  });
  auto created = CreatePod("p");
  ASSERT_FALSE(created.ok());
  EXPECT_EQ(api::HttpCode(created.status()), 422) << created.status();
}

TEST_F(WebhookAdmissionTest, IfNeededWebhooksAreCalledAgainAfterALaterChange) {
  // "a-first" labels the pod seen-b=yes once "b-second" has labelled it b=yes.
  ASSERT_TRUE(Configure(true, "a", Hook("first.test.io", "/first", R"(,"reinvocationPolicy":"IfNeeded")")).ok());
  ASSERT_TRUE(Configure(true, "b", Hook("second.test.io", "/second")).ok());
  SetHandler([](const std::string& path, const json::value& review) {
    json::value labels = Labels(review);
    if (path == "/second" && !labels.as_object().contains("b"))
      return WithPatch(Allow(review), R"([{"op":"add","path":"/metadata/labels/b","value":"yes"}])");
    if (path == "/first" && labels.as_object().contains("b"))
      return WithPatch(Allow(review), R"([{"op":"add","path":"/metadata/labels/seen-b","value":"yes"}])");
    return Allow(review);
  });
  AuditAnnotations audit;
  WriteOptions options;
  options.audit_annotations = &audit;
  auto created = CreatePod("p", R"({"x":"1"})", options);
  ASSERT_TRUE(created.ok()) << created.status();
  json::value pod = (*created)->Parse();
  EXPECT_EQ(*base::FindPath(pod, {"metadata", "labels"}),
            (json::object{{"x", "1"}, {"b", "yes"}, {"seen-b", "yes"}}));
  std::vector<std::string> paths;
  for (const auto& call : Calls()) paths.push_back(call.path);
  EXPECT_EQ(paths, (std::vector<std::string>{"/first", "/second", "/first"}));
  EXPECT_EQ(audit.at("mutation.webhook.admission.k8s.io/round_0_index_0"),
            R"({"configuration":"a","webhook":"first.test.io","mutated":false})");
  EXPECT_EQ(audit.at("mutation.webhook.admission.k8s.io/round_0_index_1"),
            R"({"configuration":"b","webhook":"second.test.io","mutated":true})");
  EXPECT_EQ(audit.at("mutation.webhook.admission.k8s.io/round_1_index_0"),
            R"({"configuration":"a","webhook":"first.test.io","mutated":true})");
}

TEST_F(WebhookAdmissionTest, DryRunRefusedForWebhooksWithSideEffects) {
  // v1 validation refuses sideEffects Some on create; such objects exist from older versions.
  std::string key = ObjectKey(ResourcePrefix("admissionregistration.k8s.io", "validatingwebhookconfigurations"), "", "old");
  std::string hook = Hook("effects.test.io", "/effects", R"(,"timeoutSeconds":10,"failurePolicy":"Fail")");
  hook.replace(hook.find(R"("sideEffects":"None")"), 20, R"("sideEffects":"Some")");
  auto rev = fixture_->store()->Create(
      key, absl::StrCat(R"({"apiVersion":"admissionregistration.k8s.io/v1","kind":"ValidatingWebhookConfiguration",)",
                        R"("metadata":{"name":"old","uid":"1"},"webhooks":[)", hook, "]}"));
  ASSERT_TRUE(rev.ok()) << rev.status();
  ASSERT_TRUE(fixture_->cache()->WaitForRevision(*rev).ok());
  WriteOptions dry;
  dry.dry_run = true;
  auto created = CreatePod("p", "{}", dry);
  ASSERT_FALSE(created.ok());
  EXPECT_EQ(api::HttpCode(created.status()), 400);
  EXPECT_EQ(created.status().message(), "admission webhook \"effects.test.io\" does not support dry run");
  EXPECT_TRUE(Calls().empty());
  EXPECT_TRUE(CreatePod("p").ok());
  EXPECT_EQ(Calls().size(), 1u);
}

TEST_F(WebhookAdmissionTest, ValidatingWebhooksRunInParallel) {
  ASSERT_TRUE(Configure(false, "v", absl::StrCat(Hook("one.test.io", "/one"), ",", Hook("two.test.io", "/two"), ",",
                                                 Hook("three.test.io", "/three")))
                  .ok());
  SetHandler([](const std::string&, const json::value& review) {
    std::this_thread::sleep_for(std::chrono::milliseconds(400));
    return Allow(review);
  });
  auto started = absl::Now();
  ASSERT_TRUE(CreatePod("p").ok());
  EXPECT_LT(absl::Now() - started, absl::Milliseconds(1100));
  EXPECT_EQ(Calls().size(), 3u);
}

TEST_F(WebhookAdmissionTest, DeletesAreSentWithTheOldObject) {
  ASSERT_TRUE(CreatePod("p", R"({"keep":"yes"})").ok());
  ASSERT_TRUE(Configure(false, "v", Hook("keep.test.io", "/keep")).ok());
  SetHandler([](const std::string&, const json::value& review) {
    json::value a = Allow(review);
    const auto* keep = base::FindPath(review, {"request", "oldObject", "metadata", "labels", "keep"});
    if (keep && *keep == "yes") a.at("response").as_object()["allowed"] = false;
    return a;
  });
  bool deleted = false;
  auto result = fixture_->storage()->Delete(*api::FindResource("", "v1", "pods"), "plain", "p", {}, &deleted);
  ASSERT_FALSE(result.ok());
  EXPECT_THAT(result.status().message(), HasSubstr("denied the request"));
  json::value review = Calls().back().body;
  EXPECT_EQ(review.at("request").at("operation"), "DELETE");
  EXPECT_TRUE(review.at("request").at("object").is_null());
  EXPECT_EQ(review.at("request").at("options").at("kind"), "DeleteOptions");
}

TEST_F(WebhookAdmissionTest, NamespaceSelectorJudgesNamespacesByTheirOwnLabels) {
  ASSERT_TRUE(Configure(false, "v",
                        absl::StrCat(R"({"name":"ns.test.io","clientConfig":{"url":")", Url("/ns"), R"(","caBundle":")",
                                     ca_, R"("},"rules":[{"operations":["CREATE"],"apiGroups":["*"],"apiVersions":["*"],)",
                                     R"("resources":["*"]}],"namespaceSelector":{"matchLabels":{"team":"a"}},)",
                                     R"("sideEffects":"None","admissionReviewVersions":["v1"]})"))
                  .ok());
  const auto& namespaces = *api::FindResource("", "v1", "namespaces");
  ASSERT_TRUE(fixture_->Create(namespaces, "", R"({"metadata":{"name":"team-b","labels":{"team":"b"}}})").ok());
  EXPECT_TRUE(Calls().empty());
  ASSERT_TRUE(fixture_->Create(namespaces, "", R"({"metadata":{"name":"team-a","labels":{"team":"a"}}})").ok());
  EXPECT_EQ(Calls().size(), 1u);
  // Objects in a namespace follow its labels; cluster-scoped objects ignore the selector.
  ASSERT_TRUE(fixture_->Create("configmaps", "team-b", R"({"metadata":{"name":"c"}})").ok());
  EXPECT_EQ(Calls().size(), 1u);
  ASSERT_TRUE(fixture_->Create("configmaps", "team-a", R"({"metadata":{"name":"c"}})").ok());
  EXPECT_EQ(Calls().size(), 2u);
  ASSERT_TRUE(fixture_->Create(*api::FindResource("", "v1", "persistentvolumes"), "",
                               R"({"metadata":{"name":"pv"},"spec":{"capacity":{"storage":"1Gi"},"accessModes":["ReadWriteOnce"],"hostPath":{"path":"/tmp"}}})")
                  .ok());
  EXPECT_EQ(Calls().size(), 3u);
  // The configurations themselves are never sent.
  ASSERT_TRUE(Configure(false, "w", Hook("other.test.io", "/other")).ok());
  EXPECT_EQ(Calls().size(), 3u);
}

TEST_F(WebhookAdmissionTest, ServiceWebhooksAreCalledAtAReadyEndpoint) {
  const auto& services = *api::FindResource("", "v1", "services");
  const auto& slices = *api::FindResource("discovery.k8s.io", "v1", "endpointslices");
  ASSERT_TRUE(fixture_->Create(services, "hooks", R"({"metadata":{"name":"hook"},"spec":{"ports":[{"name":"https","port":443}]}})").ok());
  ASSERT_TRUE(fixture_->Create(slices, "hooks",
                               absl::StrCat(R"({"metadata":{"name":"hook-1","labels":{"kubernetes.io/service-name":"hook"}},)",
                                            R"("addressType":"IPv4","ports":[{"name":"https","port":)", server_->port(),
                                            R"(}],"endpoints":[{"addresses":["127.0.0.9"],"conditions":{"ready":false}},)",
                                            R"({"addresses":["127.0.0.1"]}]})"))
                  .ok());
  std::string hook = absl::StrCat(R"({"name":"svc.test.io","clientConfig":{"service":{"namespace":"hooks","name":"hook",)",
                                  R"("path":"/svc"},"caBundle":")", ca_,
                                  R"("},"rules":[{"operations":["CREATE"],"apiGroups":[""],"apiVersions":["v1"],)",
                                  R"("resources":["pods"]}],"sideEffects":"None","admissionReviewVersions":["v1"],"timeoutSeconds":3})");
  ASSERT_TRUE(Configure(true, "m", hook).ok());
  SetHandler([](const std::string&, const json::value& review) {
    return WithPatch(Allow(review), R"([{"op":"add","path":"/metadata/annotations","value":{"via":"service"}}])");
  });
  auto created = CreatePod("p");
  ASSERT_TRUE(created.ok()) << created.status();
  EXPECT_EQ(base::GetString((*created)->Parse(), {"metadata", "annotations", "via"}), "service");
  EXPECT_EQ(Calls().back().path, "/svc");
}

TEST_F(WebhookAdmissionTest, ConfigurationChangesTakeEffectAtOnce) {
  SetHandler([](const std::string&, const json::value& review) {
    json::value a = Allow(review);
    a.at("response").as_object()["allowed"] = false;
    return a;
  });
  ASSERT_TRUE(CreatePod("before").ok());
  ASSERT_TRUE(Configure(false, "v", Hook("deny.test.io", "/deny")).ok());
  EXPECT_FALSE(CreatePod("during").ok());
  bool deleted = false;
  ASSERT_TRUE(fixture_->storage()
                  ->Delete(apiserver::testing::StorageFixture::Resource("validatingwebhookconfigurations",
                                                                        "admissionregistration.k8s.io"),
                           "", "v", {}, &deleted)
                  .ok());
  EXPECT_TRUE(CreatePod("after").ok());
}

TEST_F(WebhookAdmissionTest, MatchConditionsDecideWhichRequestsAreSent) {
  SetHandler([](const std::string&, const json::value& review) {
    json::value a = Allow(review);
    a.at("response").as_object()["allowed"] = false;
    return a;
  });
  ASSERT_TRUE(Configure(false, "v",
                        Hook("deny.test.io", "/deny",
                             R"j(,"matchConditions":[{"name":"not-skip","expression":"object.metadata.name != 'skip'"},)j"
                             R"j({"name":"creates","expression":"request.operation == 'CREATE'"}])j"))
                  .ok());
  EXPECT_TRUE(CreatePod("skip").ok());
  EXPECT_TRUE(Calls().empty());
  EXPECT_FALSE(CreatePod("sent").ok());
  EXPECT_EQ(Calls().size(), 1u);
}

TEST_F(WebhookAdmissionTest, MatchConditionErrorsFollowTheFailurePolicy) {
  std::string broken = R"j(,"matchConditions":[{"name":"broken","expression":"object.metadata.labels.x == 'y'"}])j";
  ASSERT_TRUE(Configure(false, "fail", Hook("fail.test.io", "/allow", broken)).ok());
  auto refused = CreatePod("p");
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(api::HttpCode(refused.status()), 500);
  EXPECT_EQ(std::string(refused.status().message()),
            "Internal error occurred: failed calling webhook \"fail.test.io\": failed to evaluate match conditions: "
            "matchCondition 'broken' failed: no such key: x");
  bool deleted = false;
  ASSERT_TRUE(fixture_->storage()
                  ->Delete(apiserver::testing::StorageFixture::Resource("validatingwebhookconfigurations",
                                                                        "admissionregistration.k8s.io"),
                           "", "fail", {}, &deleted)
                  .ok());
  ASSERT_TRUE(Configure(false, "ignore", Hook("ignore.test.io", "/allow", absl::StrCat(broken, R"(,"failurePolicy":"Ignore")")))
                  .ok());
  EXPECT_TRUE(CreatePod("q").ok());
  EXPECT_TRUE(Calls().empty());
  // A condition that does not compile is refused when the configuration is written.
  auto bad = Configure(false, "bad", Hook("bad.test.io", "/allow", R"(,"matchConditions":[{"name":"b","expression":"1 +"}])"));
  EXPECT_EQ(api::HttpCode(bad), 422);
  EXPECT_THAT(std::string(bad.message()), HasSubstr("webhooks[0].matchConditions[0].expression: Invalid value"));
}

TEST_F(WebhookAdmissionTest, ObjectSelectorsNeverMatchAnAbsentObject) {
  ASSERT_TRUE(Configure(false, "v",
                        Hook("deny.test.io", "/deny",
                             R"(,"objectSelector":{"matchExpressions":[{"key":"exempt","operator":"DoesNotExist"}]})"))
                  .ok());
  SetHandler([](const std::string&, const json::value& review) {
    json::value a = Allow(review);
    a.at("response").as_object()["allowed"] = false;
    return a;
  });
  // On create the old object is absent: only the new one's labels count.
  EXPECT_TRUE(CreatePod("exempted", R"({"exempt":"yes"})").ok());
  EXPECT_FALSE(CreatePod("checked").ok());
}

}  // namespace
}  // namespace skiff::apiserver::admissionwebhook
