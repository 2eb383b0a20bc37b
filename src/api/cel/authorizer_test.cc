// The authorizer library (functions_authz.cc) against a recording Authorizer.
#include <memory>
#include <string>

#include "api/cel/authorizer.h"
#include "api/cel/cel.h"
#include "gtest/gtest.h"

namespace skiff::api::cel {
namespace {

// Allows "get" on deployments.apps in namespace "team" and the path /healthz; remembers the last check.
class TableAuthorizer : public Authorizer {
 public:
  AuthorizationDecision Check(const AuthorizationCheck& c) const override {
    last = c;
    AuthorizationDecision d;
    if (c.is_resource && c.group == "apps" && c.resource == "deployments" && c.ns == "team" && c.verb == "get") {
      d.decision = "allow";
    } else if (!c.is_resource && c.path == "/healthz") {
      d.decision = "allow";
    } else if (c.resource == "broken") {
      d.decision = "noOpinion";
      d.error = "authorizer unavailable";
    } else {
      d.reason = "no rule";
    }
    return d;
  }
  mutable AuthorizationCheck last;
};

absl::StatusOr<Value> EvalWithAuthorizer(const std::string& expression, const Authorizer* authorizer, int64_t* cost = nullptr) {
  auto program = Compile(expression, {{.name = "authorizer"}});
  if (!program.ok()) return program.status();
  Activation activation;
  activation.values.emplace_back("authorizer", AuthorizerValue());
  activation.authorizer = authorizer;
  return (*program)->Evaluate(activation, kPerCallCostLimit, cost);
}

TEST(CelAuthorizerTest, ResourceChecksReachTheAuthorizerWithEveryField) {
  TableAuthorizer authz;
  auto allowed = EvalWithAuthorizer("authorizer.group('apps').resource('deployments').namespace('team').check('get').allowed()", &authz);
  ASSERT_TRUE(allowed.ok()) << allowed.status();
  EXPECT_TRUE(allowed->bool_value());
  auto denied = EvalWithAuthorizer(
      "authorizer.group('apps').resource('deployments').subresource('scale').namespace('other').name('web')"
      ".check('update').allowed()",
      &authz);
  ASSERT_TRUE(denied.ok()) << denied.status();
  EXPECT_FALSE(denied->bool_value());
  EXPECT_EQ(authz.last.subresource, "scale");
  EXPECT_EQ(authz.last.name, "web");
  EXPECT_EQ(authz.last.ns, "other");
  EXPECT_EQ(authz.last.verb, "update");
  auto reason = EvalWithAuthorizer("authorizer.group('').resource('pods').check('list').reason()", &authz);
  ASSERT_TRUE(reason.ok());
  EXPECT_EQ(reason->string_value(), "no rule");
}

TEST(CelAuthorizerTest, PathChecksServiceAccountsAndErrors) {
  TableAuthorizer authz;
  auto path = EvalWithAuthorizer("authorizer.path('/healthz').check('get').allowed()", &authz);
  ASSERT_TRUE(path.ok()) << path.status();
  EXPECT_TRUE(path->bool_value());
  EXPECT_FALSE(authz.last.is_resource);
  auto sa = EvalWithAuthorizer("authorizer.serviceAccount('ns1', 'robot').group('').resource('pods').check('get').allowed()", &authz);
  ASSERT_TRUE(sa.ok()) << sa.status();
  EXPECT_EQ(authz.last.service_account_namespace, "ns1");
  EXPECT_EQ(authz.last.service_account_name, "robot");
  auto errored = EvalWithAuthorizer("authorizer.group('').resource('broken').check('get').errored()", &authz);
  ASSERT_TRUE(errored.ok());
  EXPECT_TRUE(errored->bool_value());
  auto error = EvalWithAuthorizer("authorizer.group('').resource('broken').check('get').error()", &authz);
  ASSERT_TRUE(error.ok());
  EXPECT_EQ(error->string_value(), "authorizer unavailable");
}

TEST(CelAuthorizerTest, ChecksCostWhatKubeChargesAndNeedAnAuthorizer) {
  TableAuthorizer authz;
  int64_t cost = 0;
  ASSERT_TRUE(EvalWithAuthorizer("authorizer.path('/healthz').check('get').allowed()", &authz, &cost).ok());
  EXPECT_GE(cost, 350000);
  auto none = EvalWithAuthorizer("authorizer.path('/healthz').check('get').allowed()", nullptr);
  EXPECT_FALSE(none.ok());
  // Builders only chain in kube's order.
  EXPECT_FALSE(EvalWithAuthorizer("authorizer.resource('pods')", &authz).ok());
  EXPECT_FALSE(EvalWithAuthorizer("authorizer.group('').check('get')", &authz).ok());
}

TEST(CelAuthorizerTest, ReservedWordsNameMemberFunctionsAndFields) {
  EXPECT_TRUE(Compile("authorizer.group('').resource('pods').namespace('x')", {{.name = "authorizer"}}).ok());
  EXPECT_TRUE(Compile("self.metadata.namespace == 'x'", {{.name = "self"}}).ok());
  EXPECT_FALSE(Compile("namespace", {}).ok());
}

}  // namespace
}  // namespace skiff::api::cel
