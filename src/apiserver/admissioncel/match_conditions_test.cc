// matchConditions semantics (false wins over errors, errors name their condition), the request
// object admission expressions see, and compile-time checks of stored conditions.
#include "apiserver/admissioncel/match_conditions.h"

#include "api/resources.h"
#include "base/json.h"
#include "boost/json.hpp"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace skiff::apiserver::admissioncel {
namespace {

namespace json = boost::json;
using ::testing::HasSubstr;

struct Request {
  Request() {
    request.operation = AdmissionOperation::kUpdate;
    request.resource = api::FindResource("", "v1", "configmaps");
    request.ns = "team";
    request.name = "cm";
    request.user = &user;
  }
  User user{"alice", "u-1", {"devs", "system:authenticated"}, {{"scopes", {"a"}}}};
  AdmissionRequest request;
  json::value object = *base::ParseJson(R"j({"metadata":{"name":"cm","labels":{"tier":"web"}}})j");
  json::value old = *base::ParseJson(R"j({"metadata":{"name":"cm"}})j");
};

MatchResult Eval(const std::string& conditions_json, const Request& r) {
  json::value conditions = *base::ParseJson(conditions_json);
  MatchConditions compiled = MatchConditions::Compile(&conditions, Environment::kMatchCondition);
  RequestBindings bindings(r.request, &r.object, &r.old, nullptr);
  return compiled.Evaluate(bindings.Activation());
}

TEST(MatchConditionsTest, AllTrueMatchesAndAnyFalseSkipsEvenWithErrors) {
  Request r;
  EXPECT_TRUE(Eval(R"j([{"name":"a","expression":"object.metadata.labels.tier == 'web'"},
                       {"name":"b","expression":"oldObject.metadata.name == 'cm'"}])j", r).matches);
  MatchResult skipped = Eval(R"j([{"name":"broken","expression":"object.metadata.labels.missing == 'x'"},
                                 {"name":"no","expression":"request.operation == 'CREATE'"}])j", r);
  EXPECT_FALSE(skipped.matches);
  EXPECT_TRUE(skipped.error.ok());
  EXPECT_EQ(skipped.failed_condition, "no");
  MatchResult errored = Eval(R"j([{"name":"broken","expression":"object.metadata.labels.missing == 'x'"},
                                 {"name":"yes","expression":"true"}])j", r);
  EXPECT_FALSE(errored.error.ok());
  EXPECT_THAT(errored.error.message(), HasSubstr("matchCondition 'broken' failed: no such key: missing"));
  MatchResult not_bool = Eval(R"j([{"name":"str","expression":"'x'"}])j", r);
  EXPECT_THAT(not_bool.error.message(), HasSubstr("not a bool"));
}

TEST(MatchConditionsTest, RequestObjectCarriesKubesFields) {
  Request r;
  EXPECT_TRUE(Eval(R"j([{"name":"r","expression":
      "request.kind.kind == 'ConfigMap' && request.resource.resource == 'configmaps' && request.resource.group == '' && request.namespace == 'team' && request.name == 'cm' && request.operation == 'UPDATE' && request.userInfo.username == 'alice' && 'devs' in request.userInfo.groups && request.userInfo.extra.scopes == ['a'] && !request.dryRun"}])j", r)
                  .matches);
  // On create there is no old object: oldObject is null, not absent.
  r.request.operation = AdmissionOperation::kCreate;
  RequestBindings bindings(r.request, &r.object, nullptr, nullptr);
  json::value conditions = *base::ParseJson(R"j([{"name":"n","expression":"oldObject == null"}])j");
  EXPECT_TRUE(MatchConditions::Compile(&conditions, Environment::kMatchCondition)
                  .Evaluate(bindings.Activation())
                  .matches);
}

TEST(MatchConditionsTest, AuthorizerChecksWithoutAnAuthorizerAreErrored) {
  Request r;
  EXPECT_TRUE(Eval(R"j([{"name":"a","expression":"authorizer.path('/x').check('get').errored()"}])j", r).matches);
}

TEST(MatchConditionsTest, CheckReportsExpressionsThatDoNotCompile) {
  json::value conditions = *base::ParseJson(
      R"j([{"name":"ok","expression":"true"},{"name":"bad","expression":"params.x"}])j");
  auto errors = MatchConditions::Check(&conditions, "webhooks[0].matchConditions", Environment::kMatchCondition);
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_EQ(errors[0].field, "webhooks[0].matchConditions[1].expression");
  EXPECT_THAT(errors[0].detail, HasSubstr("undeclared reference to 'params'"));
  // Policies declare params.
  EXPECT_TRUE(MatchConditions::Check(&conditions, "spec.matchConditions", Environment::kPolicy).empty());
}

}  // namespace
}  // namespace skiff::apiserver::admissioncel
