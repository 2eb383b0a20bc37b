// The ValidatingAdmissionPolicy plug-in on a real ResourceStorage and WatchCache over SQLite
// (StorageFixture), its policies, bindings, namespaces and parameters read through the API
// server's PolicySources, and the authorizer library answered by the real RbacAuthorizer.
#include "apiserver/admissionpolicy/plugin.h"

#include <chrono>
#include <thread>
#include <string>

#include "absl/strings/str_cat.h"
#include "api/errors.h"
#include "apiserver/policy_sources.h"
#include "apiserver/rbac_authorizer.h"
#include "apiserver/testing/storage_fixture.h"
#include "base/json.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace skiff::apiserver::admissionpolicy {
namespace {

using ::testing::HasSubstr;
using Fixture = apiserver::testing::StorageFixture;

const api::ResourceInfo& Policies() { return Fixture::Resource("validatingadmissionpolicies", "admissionregistration.k8s.io"); }
const api::ResourceInfo& Bindings() {
  return Fixture::Resource("validatingadmissionpolicybindings", "admissionregistration.k8s.io");
}

class PolicyAdmissionTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto f = Fixture::Open(&base::RealClock(), {"plain", "special"});
    ASSERT_TRUE(f.ok()) << f.status();
    fixture_ = std::move(*f);
    rbac_ = std::make_unique<RbacAuthorizer>(fixture_->cache());
    ASSERT_TRUE(rbac_->Start().ok());
    sources_ = std::make_unique<PolicySources>(fixture_->cache());
    plugin_ = std::make_unique<PolicyAdmission>(sources_.get(), rbac_.get());
    fixture_->storage()->AddAdmissionPlugin(plugin_.get());
  }
  // RBAC watches the cache: it goes before the fixture (no write runs the plug-in by then).
  void TearDown() override {
    rbac_.reset();
    fixture_.reset();
    plugin_.reset();
  }

  // A policy on ConfigMap creates and updates; `spec` adds fields (",..." JSON members).
  absl::Status Policy(const std::string& name, const std::string& validations, const std::string& spec = "") {
    return fixture_
        ->Create(Policies(), "",
                 absl::StrCat(R"({"metadata":{"name":")", name, R"("},"spec":{"matchConstraints":{"resourceRules":[)",
                              R"({"apiGroups":[""],"apiVersions":["v1"],"operations":["CREATE","UPDATE"],)",
                              R"("resources":["configmaps"]}]},"validations":)", validations, spec, "}}"))
        .status();
  }
  absl::Status Bind(const std::string& name, const std::string& policy, const std::string& actions,
                    const std::string& spec = "") {
    return fixture_
        ->Create(Bindings(), "",
                 absl::StrCat(R"({"metadata":{"name":")", name, R"("},"spec":{"policyName":")", policy,
                              R"(","validationActions":)", actions, spec, "}}"))
        .status();
  }
  absl::Status ConfigMap(const std::string& ns, const std::string& name, const std::string& data = "{}",
                         const std::string& labels = "{}", WriteOptions options = {}) {
    return fixture_
        ->Create("configmaps", ns,
                 absl::StrCat(R"({"metadata":{"name":")", name, R"(","labels":)", labels, R"(},"data":)", data, "}"),
                 options)
        .status();
  }

  std::unique_ptr<Fixture> fixture_;
  std::unique_ptr<RbacAuthorizer> rbac_;
  std::unique_ptr<PolicySources> sources_;
  std::unique_ptr<PolicyAdmission> plugin_;
};

TEST_F(PolicyAdmissionTest, DeniesWithKubesMessageAndTheValidationsReason) {
  ASSERT_TRUE(Policy("small", R"j([{"expression":"size(object.data) <= 1"},
      {"expression":"!('bad' in object.data)","message":"no bad keys","reason":"Forbidden"}])j").ok());
  ASSERT_TRUE(Bind("small-everywhere", "small", R"(["Deny"])").ok());
  EXPECT_TRUE(ConfigMap("plain", "one", R"({"a":"1"})").ok());
  absl::Status two = ConfigMap("plain", "two", R"({"a":"1","b":"2"})");
  EXPECT_EQ(api::HttpCode(two), 422);
  EXPECT_EQ(two.message(),
            "configmaps \"two\" is forbidden: ValidatingAdmissionPolicy 'small' with binding 'small-everywhere' "
            "denied request: failed expression: size(object.data) <= 1");
  absl::Status bad = ConfigMap("plain", "bad", R"({"bad":"1"})");
  EXPECT_EQ(api::HttpCode(bad), 403);
  EXPECT_THAT(bad.message(), HasSubstr("denied request: no bad keys"));
  // A policy without a binding, or a binding of another policy, does nothing.
  ASSERT_TRUE(Policy("unbound", R"([{"expression":"false"}])").ok());
  EXPECT_TRUE(ConfigMap("plain", "three", R"({"a":"1"})").ok());
}

TEST_F(PolicyAdmissionTest, ExpressionsThatDoNotCompileAreRefusedAtWrite) {
  absl::Status s = Policy("broken", R"([{"expression":"object.data.size( >"}])");
  EXPECT_EQ(api::HttpCode(s), 422);
  EXPECT_THAT(s.message(), HasSubstr("spec.validations[0].expression: Invalid value: \"object.data.size( >\": "
                                     "compilation failed: ERROR: <input>:1:"));
  s = Policy("undeclared", R"([{"expression":"true","messageExpression":"nope"}])");
  EXPECT_THAT(s.message(), HasSubstr("spec.validations[0].messageExpression: Invalid value"));
  EXPECT_THAT(s.message(), HasSubstr("undeclared reference to 'nope'"));
}

TEST_F(PolicyAdmissionTest, BindingsNarrowByNamespaceObjectAndResourceNames) {
  ASSERT_TRUE(fixture_
                  ->Create("namespaces", "", R"({"metadata":{"name":"labelled","labels":{"strict":"yes"}}})")
                  .ok());
  ASSERT_TRUE(Policy("never", R"([{"expression":"false","message":"no"}])").ok());
  ASSERT_TRUE(Bind("strict-namespaces", "never", R"(["Deny"])",
                   R"(,"matchResources":{"namespaceSelector":{"matchLabels":{"strict":"yes"}},)"
                   R"("objectSelector":{"matchExpressions":[{"key":"exempt","operator":"DoesNotExist"}]},)"
                   R"("excludeResourceRules":[{"apiGroups":[""],"apiVersions":["v1"],"operations":["*"],)"
                   R"("resources":["configmaps"],"resourceNames":["allowed-name"]}]})")
                  .ok());
  EXPECT_TRUE(ConfigMap("plain", "x").ok());
  EXPECT_FALSE(ConfigMap("labelled", "x").ok());
  EXPECT_TRUE(ConfigMap("labelled", "y", "{}", R"({"exempt":"true"})").ok());
  EXPECT_TRUE(ConfigMap("labelled", "allowed-name").ok());
}

TEST_F(PolicyAdmissionTest, VariablesAreLazyAndTheirErrorsFollowTheFailurePolicy) {
  ASSERT_TRUE(Policy("vars", R"([{"expression":"!variables.checked || variables.size <= 2"}])",
                     R"(,"variables":[{"name":"checked","expression":"'check' in object.data"},)"
                     R"j({"name":"size","expression":"size(object.data)"},)j"
                     R"({"name":"broken","expression":"object.data.missing == 'x'"}])")
                  .ok());
  ASSERT_TRUE(Bind("vars", "vars", R"(["Deny"])").ok());
  // `broken` is never used, so its error does not matter.
  EXPECT_TRUE(ConfigMap("plain", "a", R"({"check":"1","b":"2"})").ok());
  EXPECT_FALSE(ConfigMap("plain", "b", R"({"check":"1","b":"2","c":"3"})").ok());
  ASSERT_TRUE(Policy("uses-broken", R"([{"expression":"variables.broken"}])",
                     R"(,"variables":[{"name":"broken","expression":"object.data.missing == 'x'"}])")
                  .ok());
  ASSERT_TRUE(Bind("uses-broken", "uses-broken", R"(["Deny"])").ok());
  absl::Status s = ConfigMap("plain", "c");
  EXPECT_THAT(s.message(), HasSubstr("ValidatingAdmissionPolicy 'uses-broken' with binding 'uses-broken' denied "
                                     "request: expression 'variables.broken' resulted in error: composited variable "
                                     "\"broken\" fails to evaluate: no such key: missing"));
}

TEST_F(PolicyAdmissionTest, IgnoreAdmitsOnErrorsAndMatchConditionsSkip) {
  ASSERT_TRUE(Policy("erroring", R"([{"expression":"object.data.missing == 'x'"}])",
                     R"(,"failurePolicy":"Ignore")")
                  .ok());
  ASSERT_TRUE(Bind("erroring", "erroring", R"(["Deny"])").ok());
  EXPECT_TRUE(ConfigMap("plain", "a").ok());
  ASSERT_TRUE(Policy("only-special", R"([{"expression":"false","message":"special is closed"}])",
                     R"(,"matchConditions":[{"name":"special","expression":"request.namespace == 'special'"}])")
                  .ok());
  ASSERT_TRUE(Bind("only-special", "only-special", R"(["Deny"])").ok());
  EXPECT_TRUE(ConfigMap("plain", "b").ok());
  EXPECT_THAT(ConfigMap("special", "b").message(), HasSubstr("special is closed"));
}

TEST_F(PolicyAdmissionTest, WarnAndAuditAdmitAndReport) {
  ASSERT_TRUE(Policy("warned", R"([{"expression":"false","message":"just so you know"}])",
                     R"j(,"auditAnnotations":[{"key":"size","valueExpression":"string(size(object.data))"}])j")
                  .ok());
  ASSERT_TRUE(Bind("warned", "warned", R"(["Warn","Audit"])").ok());
  std::vector<std::string> warnings;
  AuditAnnotations audit;
  WriteOptions options;
  options.warnings = &warnings;
  options.audit_annotations = &audit;
  ASSERT_TRUE(ConfigMap("plain", "a", R"({"k":"v"})", "{}", options).ok());
  EXPECT_THAT(warnings, ::testing::ElementsAre(
                            "Validation failed for ValidatingAdmissionPolicy 'warned' with binding 'warned': just so "
                            "you know"));
  EXPECT_EQ(audit["warned/size"], "1");
  auto failures = base::ParseJson(audit["validation.policy.admission.k8s.io/validation_failure"]);
  ASSERT_TRUE(failures.ok());
  EXPECT_EQ(base::GetString(failures->at(0), {"binding"}), "warned");
  EXPECT_EQ(base::GetInt(failures->at(0), {"expressionIndex"}, -1), 0);
}

TEST_F(PolicyAdmissionTest, ParametersBySelectorEachGetEvaluated) {
  ASSERT_TRUE(ConfigMap("plain", "limit-a", R"({"max":"2"})", R"({"limits":"yes"})").ok());
  ASSERT_TRUE(ConfigMap("plain", "limit-b", R"({"max":"1"})", R"({"limits":"yes"})").ok());
  ASSERT_TRUE(Policy("limited", R"j([{"expression":"size(object.data) <= int(params.data.max)",
      "messageExpression":"'at most ' + params.data.max + ' keys'"}])j",
                     R"(,"paramKind":{"apiVersion":"v1","kind":"ConfigMap"},)"
                     R"j("matchConditions":[{"name":"not-params","expression":)j"
                     R"j("!has(object.metadata.labels) || !('limits' in object.metadata.labels)"}])j")
                  .ok());
  ASSERT_TRUE(Bind("limited", "limited", R"(["Deny"])",
                   R"(,"paramRef":{"selector":{"matchLabels":{"limits":"yes"}},"parameterNotFoundAction":"Allow"})")
                  .ok());
  EXPECT_TRUE(ConfigMap("plain", "one", R"({"a":"1"})").ok());
  // Both parameters apply: the stricter one refuses two keys.
  EXPECT_THAT(ConfigMap("plain", "two", R"({"a":"1","b":"2"})").message(), HasSubstr("at most 1 keys"));
  // No parameters in namespace `special`: parameterNotFoundAction Allow admits.
  EXPECT_TRUE(ConfigMap("special", "many", R"({"a":"1","b":"2","c":"3"})").ok());
}

TEST_F(PolicyAdmissionTest, TheAuthorizerLibraryAsksRbacAboutTheRequester) {
  std::string expression =
      "authorizer.group('').resource('secrets').namespace(request.namespace).check('get').allowed()";
  ASSERT_TRUE(Policy("needs-secret-access", absl::StrCat(R"([{"expression":")", expression,
                                                         R"(","message":"writer cannot read secrets"}])"))
                  .ok());
  ASSERT_TRUE(Bind("needs-secret-access", "needs-secret-access", R"(["Deny"])").ok());
  User alice{"alice", "", {"system:authenticated"}};
  WriteOptions as_alice;
  as_alice.user = &alice;
  EXPECT_THAT(ConfigMap("plain", "a", "{}", "{}", as_alice).message(), HasSubstr("writer cannot read secrets"));
  ASSERT_TRUE(fixture_
                  ->Create(Fixture::Resource("roles", "rbac.authorization.k8s.io"), "plain",
                           R"({"metadata":{"name":"secrets"},"rules":[{"apiGroups":[""],"resources":["secrets"],)"
                           R"("verbs":["get"]}]})")
                  .ok());
  ASSERT_TRUE(fixture_
                  ->Create(Fixture::Resource("rolebindings", "rbac.authorization.k8s.io"), "plain",
                           R"({"metadata":{"name":"alice"},"roleRef":{"apiGroup":"rbac.authorization.k8s.io",)"
                           R"("kind":"Role","name":"secrets"},"subjects":[{"kind":"User","name":"alice"}]})")
                  .ok());
  // RBAC learns of the binding through its watch.
  absl::Status s;
  for (int i = 0; i < 100; ++i) {
    s = ConfigMap("plain", absl::StrCat("b", i), "{}", "{}", as_alice);
    if (s.ok()) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  EXPECT_TRUE(s.ok()) << s;
}

}  // namespace
}  // namespace skiff::apiserver::admissionpolicy
