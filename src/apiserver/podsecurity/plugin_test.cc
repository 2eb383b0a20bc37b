// The PodSecurity plug-in on a real ResourceStorage and WatchCache over SQLite (StorageFixture): namespaces
// labelled per mode, pods refused or warned about, workloads warned about, namespace label
// changes dry-running the existing pods.
#include "apiserver/podsecurity/plugin.h"

#include "api/errors.h"
#include "api/resources.h"
#include "apiserver/auth.h"
#include "apiserver/pod_security_sources.h"
#include "apiserver/resource_storage.h"
#include "apiserver/testing/storage_fixture.h"
#include "base/json.h"
#include "boost/json.hpp"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace skiff::apiserver::podsecurity {
namespace {

namespace json = boost::json;
using ::testing::ElementsAre;
using ::testing::IsEmpty;

constexpr const char* kPrivilegedPod =
    R"({"metadata":{"name":"p"},"spec":{"containers":[{"name":"c","image":"busybox","securityContext":{"privileged":true}}]}})";
// Conforms to baseline, not to restricted.
constexpr const char* kPlainPod =
    R"({"metadata":{"name":"plain"},"spec":{"containers":[{"name":"c","image":"busybox"}]}})";
constexpr const char* kRestrictedPod = R"({"metadata":{"name":"good"},"spec":{
    "securityContext":{"runAsNonRoot":true,"seccompProfile":{"type":"RuntimeDefault"}},
    "containers":[{"name":"c","image":"busybox","securityContext":{"allowPrivilegeEscalation":false,"capabilities":{"drop":["ALL"]}}}]}})";
constexpr const char* kPlainDetails =
    R"(allowPrivilegeEscalation != false (container "c" must set securityContext.allowPrivilegeEscalation=false), )"
    R"(unrestricted capabilities (container "c" must set securityContext.capabilities.drop=["ALL"]), )"
    R"(runAsNonRoot != true (pod or container "c" must set securityContext.runAsNonRoot=true), )"
    R"(seccompProfile (pod or container "c" must set securityContext.seccompProfile.type to "RuntimeDefault" or "Localhost"))";

class FixedClock : public base::Clock {
 public:
  absl::Time Now() const override { return absl::FromUnixSeconds(1700000000); }
};

class PodSecurityPluginTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto f = apiserver::testing::StorageFixture::Open(&clock_);
    ASSERT_TRUE(f.ok()) << f.status();
    fixture_ = std::move(*f);
    rs_ = fixture_->storage();
    sources_ = std::make_unique<PodSecuritySources>(fixture_->cache());
    plugin_ = std::make_unique<PodSecurityPlugin>(sources_.get());
    rs_->AddAdmissionPlugin(plugin_.get());
    ns_ = api::FindResource("", "v1", "namespaces");
    pods_ = api::FindResource("", "v1", "pods");
    deploy_ = api::FindResource("apps", "v1", "deployments");
  }
  static json::value Parse(const char* text) { return *base::ParseJson(text); }

  absl::Status CreateNamespace(const std::string& name, const std::string& labels_json = "{}") {
    json::value ns = Parse(R"({"metadata":{}})");
    ns.as_object()["metadata"].as_object()["name"] = name;
    ns.as_object()["metadata"].as_object()["labels"] = *base::ParseJson(labels_json);
    return rs_->Create(*ns_, "", std::move(ns), {}).status();
  }
  absl::Status Relabel(const std::string& name, const std::string& labels_json,
                       std::vector<std::string>* warnings) {
    WriteOptions options;
    options.warnings = warnings;
    return rs_
        ->Update(
            *ns_, "", name,
            [&](const ObjectPtr& cur) -> absl::StatusOr<json::value> {
              json::value o = cur->Parse();
              o.as_object()["metadata"].as_object()["labels"] = *base::ParseJson(labels_json);
              return o;
            },
            options, true)
        .status();
  }
  absl::Status CreatePod(const std::string& ns, const char* pod, std::vector<std::string>* warnings = nullptr,
                         const User* user = nullptr, AuditAnnotations* annotations = nullptr) {
    WriteOptions options;
    options.warnings = warnings;
    options.user = user;
    options.audit_annotations = annotations;
    return rs_->Create(*pods_, ns, Parse(pod), options).status();
  }

  FixedClock clock_;
  std::unique_ptr<apiserver::testing::StorageFixture> fixture_;
  ResourceStorage* rs_ = nullptr;
  std::unique_ptr<PodSecuritySources> sources_;
  std::unique_ptr<PodSecurityPlugin> plugin_;
  const api::ResourceInfo* ns_;
  const api::ResourceInfo* pods_;
  const api::ResourceInfo* deploy_;
};

TEST_F(PodSecurityPluginTest, AuditModeAnnotatesTheAuditEvent) {
  ASSERT_TRUE(CreateNamespace("audited", R"({"pod-security.kubernetes.io/audit":"restricted",
      "pod-security.kubernetes.io/enforce":"baseline"})")
                  .ok());
  AuditAnnotations annotations;
  std::vector<std::string> warnings;
  ASSERT_TRUE(CreatePod("audited", kPlainPod, &warnings, nullptr, &annotations).ok());
  EXPECT_THAT(warnings, IsEmpty());  // audit is not warn
  EXPECT_EQ(annotations,
            (AuditAnnotations{
                {"pod-security.kubernetes.io/enforce-policy", "baseline:latest"},
                {"pod-security.kubernetes.io/audit-violations",
                 std::string(R"(would violate PodSecurity "restricted:latest": )") + kPlainDetails},
            }));
  // A refused pod is annotated too, with what the audit level says of it.
  annotations.clear();
  EXPECT_EQ(api::HttpCode(CreatePod("audited", kPrivilegedPod, nullptr, nullptr, &annotations)), 403);
  EXPECT_EQ(annotations["pod-security.kubernetes.io/enforce-policy"], "baseline:latest");
  EXPECT_THAT(annotations["pod-security.kubernetes.io/audit-violations"],
              ::testing::StartsWith(R"(would violate PodSecurity "restricted:latest": privileged)"));
  // A conforming pod gets the policy only; an unlabelled namespace is privileged.
  annotations.clear();
  ASSERT_TRUE(CreatePod("audited", kRestrictedPod, nullptr, nullptr, &annotations).ok());
  EXPECT_EQ(annotations,
            (AuditAnnotations{{"pod-security.kubernetes.io/enforce-policy", "baseline:latest"}}));
  ASSERT_TRUE(CreateNamespace("open").ok());
  annotations.clear();
  ASSERT_TRUE(CreatePod("open", kPrivilegedPod, nullptr, nullptr, &annotations).ok());
  EXPECT_EQ(annotations,
            (AuditAnnotations{{"pod-security.kubernetes.io/enforce-policy", "privileged:latest"}}));
}

TEST_F(PodSecurityPluginTest, UnlabelledNamespacesArePrivileged) {
  ASSERT_TRUE(CreateNamespace("open").ok());
  std::vector<std::string> warnings;
  EXPECT_TRUE(CreatePod("open", kPrivilegedPod, &warnings).ok());
  EXPECT_THAT(warnings, IsEmpty());
}

TEST_F(PodSecurityPluginTest, RestrictedNamespaceRefusesWithKubernetesMessage) {
  ASSERT_TRUE(CreateNamespace("locked", R"({"pod-security.kubernetes.io/enforce":"restricted"})").ok());
  auto refused = CreatePod("locked", kPrivilegedPod);
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(api::HttpCode(refused), 403);
  EXPECT_EQ(refused.message(),
            R"(pods "p" is forbidden: violates PodSecurity "restricted:latest": )"
            R"(privileged (container "c" must not set securityContext.privileged=true), )" +
                std::string(kPlainDetails));
  json::value status = api::StatusObject(refused);
  EXPECT_EQ(base::GetString(status, {"reason"}), "Forbidden");
  EXPECT_EQ(base::GetString(status, {"details", "name"}), "p");
  EXPECT_EQ(base::GetString(status, {"details", "kind"}), "pods");
  EXPECT_FALSE(rs_->Get(*pods_, "locked", "p").ok());
  // Dry runs are refused alike; a conforming pod is admitted without warnings.
  WriteOptions dry;
  dry.dry_run = true;
  EXPECT_EQ(api::HttpCode(rs_->Create(*pods_, "locked", Parse(kPrivilegedPod), dry).status()), 403);
  std::vector<std::string> warnings;
  EXPECT_TRUE(CreatePod("locked", kRestrictedPod, &warnings).ok());
  EXPECT_THAT(warnings, IsEmpty());
}

TEST_F(PodSecurityPluginTest, GeneratedNamesAppearInTheMessage) {
  ASSERT_TRUE(CreateNamespace("locked", R"({"pod-security.kubernetes.io/enforce":"baseline"})").ok());
  rs_->SetNameGenerator([](const std::string& base) { return base + "abcde"; });
  auto refused = CreatePod(
      "locked",
      R"({"metadata":{"generateName":"web-"},"spec":{"hostNetwork":true,"containers":[{"name":"c","image":"x"}]}})");
  EXPECT_EQ(
      refused.message(),
      R"(pods "web-abcde" is forbidden: violates PodSecurity "baseline:latest": host namespaces (hostNetwork=true))");
}

TEST_F(PodSecurityPluginTest, BaselineAdmitsWhatOnlyRestrictedForbids) {
  ASSERT_TRUE(CreateNamespace("base", R"({"pod-security.kubernetes.io/enforce":"baseline",
                                          "pod-security.kubernetes.io/enforce-version":"v1.32"})")
                  .ok());
  std::vector<std::string> warnings;
  EXPECT_TRUE(CreatePod("base", kPlainPod, &warnings).ok());
  EXPECT_THAT(warnings, IsEmpty());
  EXPECT_EQ(CreatePod("base", kPrivilegedPod).message(),
            R"(pods "p" is forbidden: violates PodSecurity "baseline:v1.32": )"
            R"(privileged (container "c" must not set securityContext.privileged=true))");
}

TEST_F(PodSecurityPluginTest, WarnModeAdmitsWithAWarning) {
  ASSERT_TRUE(CreateNamespace("warned", R"({"pod-security.kubernetes.io/warn":"restricted"})").ok());
  std::vector<std::string> warnings;
  ASSERT_TRUE(CreatePod("warned", kPlainPod, &warnings).ok());
  EXPECT_THAT(warnings,
              ElementsAre(std::string(R"(would violate PodSecurity "restricted:latest": )") + kPlainDetails));
}

TEST_F(PodSecurityPluginTest, EnforceRefusalsCarryNoWarning) {
  ASSERT_TRUE(CreateNamespace("both", R"({"pod-security.kubernetes.io/enforce":"baseline",
                                          "pod-security.kubernetes.io/warn":"restricted"})")
                  .ok());
  std::vector<std::string> warnings;
  EXPECT_FALSE(CreatePod("both", kPrivilegedPod, &warnings).ok());
  EXPECT_THAT(warnings, IsEmpty());
  EXPECT_TRUE(CreatePod("both", kPlainPod, &warnings).ok());
  EXPECT_EQ(warnings.size(), 1u);
}

TEST_F(PodSecurityPluginTest, WorkloadsAreWarnedAboutNotRefused) {
  ASSERT_TRUE(CreateNamespace("locked", R"({"pod-security.kubernetes.io/enforce":"restricted"})").ok());
  std::vector<std::string> warnings;
  WriteOptions options;
  options.warnings = &warnings;
  auto created = rs_->Create(*deploy_, "locked", Parse(R"({"metadata":{"name":"web"},"spec":{
      "selector":{"matchLabels":{"app":"web"}},
      "template":{"metadata":{"labels":{"app":"web"}},"spec":{"containers":[{"name":"c","image":"nginx"}]}}}})"),
                             options);
  ASSERT_TRUE(created.ok()) << created.status();
  // Warn follows the stricter enforce level.
  EXPECT_THAT(warnings,
              ElementsAre(std::string(R"(would violate PodSecurity "restricted:latest": )") + kPlainDetails));
  const auto* cronjobs = api::FindResource("batch", "v1", "cronjobs");
  warnings.clear();
  ASSERT_TRUE(rs_->Create(*cronjobs, "locked",
                          Parse(R"({"metadata":{"name":"cj"},"spec":{"schedule":"* * * * *",
      "jobTemplate":{"spec":{"template":{"spec":{"restartPolicy":"Never","hostPID":true,
      "containers":[{"name":"c","image":"x"}]}}}}}})"),
                          options)
                  .ok());
  ASSERT_EQ(warnings.size(), 1u);
  EXPECT_THAT(warnings[0],
              ::testing::StartsWith(
                  R"(would violate PodSecurity "restricted:latest": host namespaces (hostPID=true), )"));
}

TEST_F(PodSecurityPluginTest, OnlyImageChangesOfExistingPodsAreEvaluated) {
  ASSERT_TRUE(CreateNamespace("later").ok());
  ASSERT_TRUE(CreatePod("later", kPlainPod).ok());
  ASSERT_TRUE(Relabel("later", R"({"pod-security.kubernetes.io/enforce":"restricted"})", nullptr).ok());
  auto update = [&](const char* field, const char* value) {
    return rs_
        ->Update(
            *pods_, "later", "plain",
            [&](const ObjectPtr& cur) -> absl::StatusOr<json::value> {
              json::value o = cur->Parse();
              if (std::string(field) == "image") {
                o.at("spec").at("containers").as_array()[0].as_object()["image"] = value;
              } else {
                o.as_object()["metadata"].as_object()["labels"] = json::object{{"k", value}};
              }
              return o;
            },
            {}, true)
        .status();
  };
  EXPECT_TRUE(update("labels", "v").ok());
  auto refused = update("image", "busybox:2");
  EXPECT_EQ(api::HttpCode(refused), 403) << refused;
  EXPECT_THAT(std::string(refused.message()),
              ::testing::StartsWith(R"(pods "plain" is forbidden: violates PodSecurity)"));
  // Status writes (the kubelet's) are never evaluated.
  WriteOptions status;
  status.subresource = "status";
  EXPECT_TRUE(rs_->Update(
                     *pods_, "later", "plain",
                     [](const ObjectPtr& cur) -> absl::StatusOr<json::value> {
                       json::value o = cur->Parse();
                       o.as_object()["status"] = json::object{{"phase", "Running"}};
                       return o;
                     },
                     status, true)
                  .ok());
}

TEST_F(PodSecurityPluginTest, InvalidLabelsAreRefused) {
  auto bad = CreateNamespace("bad", R"({"pod-security.kubernetes.io/enforce":"strict"})");
  EXPECT_EQ(api::HttpCode(bad), 422);
  EXPECT_EQ(bad.message(),
            R"(Namespace "bad" is invalid: metadata.labels[pod-security.kubernetes.io/enforce]: )"
            R"(Invalid value: "strict": must be one of privileged, baseline, restricted)");
  ASSERT_TRUE(CreateNamespace("ok").ok());
  auto relabel = Relabel("ok", R"({"pod-security.kubernetes.io/warn-version":"1.30"})", nullptr);
  EXPECT_EQ(api::HttpCode(relabel), 422);
  EXPECT_EQ(relabel.message(),
            R"(Namespace "ok" is invalid: metadata.labels[pod-security.kubernetes.io/warn-version]: )"
            R"(Invalid value: "1.30": must be "latest" or "v1.x")");
}

TEST_F(PodSecurityPluginTest, RaisingEnforceWarnsAboutExistingPods) {
  ASSERT_TRUE(CreateNamespace("busy").ok());
  ASSERT_TRUE(CreatePod("busy", kPrivilegedPod).ok());
  ASSERT_TRUE(CreatePod("busy", kPlainPod).ok());
  ASSERT_TRUE(
      CreatePod("busy",
                R"({"metadata":{"name":"another"},"spec":{"containers":[{"name":"c","image":"busybox"}]}})")
          .ok());
  ASSERT_TRUE(CreatePod("busy", kRestrictedPod).ok());
  std::vector<std::string> warnings;
  ASSERT_TRUE(Relabel("busy", R"({"pod-security.kubernetes.io/enforce":"baseline"})", &warnings).ok());
  EXPECT_THAT(
      warnings,
      ElementsAre(
          R"(existing pods in namespace "busy" violate the new PodSecurity enforce level "baseline:latest")",
          "p: privileged"));
  warnings.clear();
  ASSERT_TRUE(Relabel("busy", R"({"pod-security.kubernetes.io/enforce":"restricted"})", &warnings).ok());
  EXPECT_THAT(
      warnings,
      ElementsAre(
          R"(existing pods in namespace "busy" violate the new PodSecurity enforce level "restricted:latest")",
          "another (and 1 other pod): allowPrivilegeEscalation != false, unrestricted capabilities, "
          "runAsNonRoot != true, seccompProfile",
          "p: privileged, allowPrivilegeEscalation != false, unrestricted capabilities, "
          "runAsNonRoot != true, seccompProfile"));
  // Relaxing, or keeping the level, checks nothing.
  warnings.clear();
  ASSERT_TRUE(Relabel("busy", R"({"pod-security.kubernetes.io/enforce":"baseline"})", &warnings).ok());
  ASSERT_TRUE(
      Relabel("busy", R"({"pod-security.kubernetes.io/enforce":"baseline","x":"y"})", &warnings).ok());
  EXPECT_THAT(warnings, IsEmpty());
}

TEST(PodSecurityExemptionsTest, ExemptNamespacesUsersAndRuntimeClasses) {
  class FixedSources : public Sources {
   public:
    absl::StatusOr<json::value> NamespaceLabels(std::string_view) const override {
      return json::object{{"pod-security.kubernetes.io/enforce", "restricted"}};
    }
    std::vector<json::value> Pods(std::string_view) const override { return {}; }
  } sources;
  Options options;
  options.exempt_namespaces = {"kube-system"};
  options.exempt_usernames = {"system:serviceaccount:kube-system:daemon-set-controller"};
  options.exempt_runtime_classes = {"kata"};
  PodSecurityPlugin plugin(&sources, options);
  const api::ResourceInfo* pods = api::FindResource("", "v1", "pods");
  json::value pod = *base::ParseJson(kPrivilegedPod);
  AdmissionRequest request{
      .operation = AdmissionOperation::kCreate, .resource = pods, .ns = "apps", .name = "p"};
  EXPECT_EQ(api::HttpCode(plugin.Validate(request, &pod, nullptr)), 403);
  request.ns = "kube-system";
  EXPECT_TRUE(plugin.Validate(request, &pod, nullptr).ok());
  request.ns = "apps";
  User controller{"system:serviceaccount:kube-system:daemon-set-controller", "", {}};
  request.user = &controller;
  EXPECT_TRUE(plugin.Validate(request, &pod, nullptr).ok());
  request.user = nullptr;
  pod.at("spec").as_object()["runtimeClassName"] = "kata";
  EXPECT_TRUE(plugin.Validate(request, &pod, nullptr).ok());
  // Labelling an exempt namespace warns that the policy will be ignored (naming the modes it labels).
  const api::ResourceInfo* namespaces = api::FindResource("", "v1", "namespaces");
  std::vector<std::string> warnings;
  json::value ns = *base::ParseJson(
      R"({"metadata":{"name":"kube-system","labels":{"pod-security.kubernetes.io/enforce":"baseline"}}})");
  AdmissionRequest ns_request{.operation = AdmissionOperation::kCreate,
                              .resource = namespaces,
                              .name = "kube-system",
                              .warnings = &warnings};
  EXPECT_TRUE(plugin.Validate(ns_request, &ns, nullptr).ok());
  EXPECT_THAT(warnings, ElementsAre(R"(namespace "kube-system" is exempt from Pod Security, and the policy )"
                                    R"((enforce=baseline:latest) will be ignored)"));
}

}  // namespace
}  // namespace skiff::apiserver::podsecurity
