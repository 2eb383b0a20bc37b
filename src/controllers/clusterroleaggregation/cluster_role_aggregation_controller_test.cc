#include "controllers/clusterroleaggregation/cluster_role_aggregation_controller.h"

#include "base/json.h"
#include "base/testing/wait_for.h"
#include "controllers/testing/controller_test.h"
#include "gtest/gtest.h"

namespace skiff::controllers {
namespace {

using base::testing::WaitFor;

boost::json::value J(const char* s) { return *base::ParseJson(s); }

class ClusterRoleAggregationControllerTest : public testing::ControllerTest<ClusterRoleAggregationController> {
 protected:
  void SetUp() override {
    AddRole(R"({"metadata":{"name":"view"},"aggregationRule":{"clusterRoleSelectors":[
                {"matchLabels":{"aggregate-to-view":"true"}}]}})");
    AddRole(R"({"metadata":{"name":"edit","labels":{"aggregate-to-admin":"true"}},"aggregationRule":{
                "clusterRoleSelectors":[{"matchLabels":{"aggregate-to-edit":"true"}}]}})");
    AddRole(R"({"metadata":{"name":"b-pods","labels":{"aggregate-to-view":"true","aggregate-to-edit":"true"}},
               "rules":[{"verbs":["get"],"apiGroups":[""],"resources":["pods"]}]})");
    AddRole(R"({"metadata":{"name":"a-svc","labels":{"aggregate-to-view":"true"}},
               "rules":[{"verbs":["get"],"apiGroups":[""],"resources":["services"]},
                        {"verbs":["get"],"apiGroups":[""],"resources":["pods"]}]})");
    AddRole(R"({"metadata":{"name":"unrelated"},"rules":[{"verbs":["*"],"apiGroups":["*"],"resources":["*"]}]})");
    StartController();
  }
  void AddRole(const char* json) { ASSERT_TRUE(fake_.Create(roles_, "", J(json)).ok()); }
  std::string Rules(const std::string& name) {
    auto role = fake_.Peek(roles_, "", name);
    const auto* rules = role ? base::FindPath(*role, {"rules"}) : nullptr;
    return rules ? base::ToJson(*rules) : "";
  }

  const api::ResourceInfo& roles_ = client::Resource("rbac.authorization.k8s.io", "v1", "clusterroles");
};

TEST_F(ClusterRoleAggregationControllerTest, GathersRulesOfMatchingRolesByNameOnce) {
  const std::string want =
      R"([{"verbs":["get"],"apiGroups":[""],"resources":["services"]},{"verbs":["get"],"apiGroups":[""],"resources":["pods"]}])";
  EXPECT_TRUE(WaitFor([&] { return Rules("view") == want; })) << Rules("view");
  EXPECT_TRUE(WaitFor([&] {
    return Rules("edit") == R"([{"verbs":["get"],"apiGroups":[""],"resources":["pods"]}])";
  })) << Rules("edit");
}

TEST_F(ClusterRoleAggregationControllerTest, FollowsChangesOfAggregatedRoles) {
  ASSERT_TRUE(WaitFor([&] { return !Rules("view").empty(); }));
  AddRole(R"({"metadata":{"name":"c-widgets","labels":{"aggregate-to-view":"true"}},
             "rules":[{"verbs":["list"],"apiGroups":["example.com"],"resources":["widgets"]}]})");
  EXPECT_TRUE(WaitFor([&] { return Rules("view").find("widgets") != std::string::npos; })) << Rules("view");
  ASSERT_TRUE(fake_.Delete(roles_, "", "c-widgets").ok());
  EXPECT_TRUE(WaitFor([&] { return Rules("view").find("widgets") == std::string::npos; })) << Rules("view");
}

TEST(AggregatedRulesTest, NullWithoutAggregationRule) {
  EXPECT_TRUE(AggregatedRules(J(R"({"metadata":{"name":"x"}})"), {}).is_null());
}

}  // namespace
}  // namespace skiff::controllers
