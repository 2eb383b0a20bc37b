#include "controllers/clusterroleaggregation/cluster_role_aggregation_controller.h"

#include "base/json.h"
#include "client/shared_informers.h"
#include "controllers/testing/fake_client.h"
#include "gtest/gtest.h"

namespace skiff::controllers {
namespace {

using testing::Eventually;

boost::json::value J(const char* s) { return *base::ParseJson(s); }

class ClusterRoleAggregationControllerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    Create(R"({"metadata":{"name":"view"},"aggregationRule":{"clusterRoleSelectors":[
                {"matchLabels":{"aggregate-to-view":"true"}}]}})");
    Create(R"({"metadata":{"name":"edit","labels":{"aggregate-to-admin":"true"}},"aggregationRule":{
                "clusterRoleSelectors":[{"matchLabels":{"aggregate-to-edit":"true"}}]}})");
    Create(R"({"metadata":{"name":"b-pods","labels":{"aggregate-to-view":"true","aggregate-to-edit":"true"}},
               "rules":[{"verbs":["get"],"apiGroups":[""],"resources":["pods"]}]})");
    Create(R"({"metadata":{"name":"a-svc","labels":{"aggregate-to-view":"true"}},
               "rules":[{"verbs":["get"],"apiGroups":[""],"resources":["services"]},
                        {"verbs":["get"],"apiGroups":[""],"resources":["pods"]}]})");
    Create(R"({"metadata":{"name":"unrelated"},"rules":[{"verbs":["*"],"apiGroups":["*"],"resources":["*"]}]})");
    informers_ = std::make_unique<client::SharedInformers>(&fake_);
    controller_ = std::make_unique<ClusterRoleAggregationController>(
        ControllerContext{&fake_, informers_.get(), nullptr});
    controller_->Start();
    informers_->Start();
    ASSERT_TRUE(informers_->WaitForSync(absl::Seconds(10)));
  }
  void TearDown() override {
    controller_->Stop();
    informers_->Stop();
  }
  void Create(const char* json) { ASSERT_TRUE(fake_.Create(roles_, "", J(json)).ok()); }
  std::string Rules(const std::string& name) {
    auto role = fake_.Peek(roles_, "", name);
    const auto* rules = role ? base::FindPath(*role, {"rules"}) : nullptr;
    return rules ? base::ToJson(*rules) : "";
  }

  const api::ResourceInfo& roles_ = client::Resource("rbac.authorization.k8s.io", "v1", "clusterroles");
  testing::FakeClient fake_;
  std::unique_ptr<client::SharedInformers> informers_;
  std::unique_ptr<ClusterRoleAggregationController> controller_;
};

TEST_F(ClusterRoleAggregationControllerTest, GathersRulesOfMatchingRolesByNameOnce) {
  const std::string want =
      R"([{"verbs":["get"],"apiGroups":[""],"resources":["services"]},{"verbs":["get"],"apiGroups":[""],"resources":["pods"]}])";
  EXPECT_TRUE(Eventually([&] { return Rules("view") == want; })) << Rules("view");
  EXPECT_TRUE(Eventually([&] {
    return Rules("edit") == R"([{"verbs":["get"],"apiGroups":[""],"resources":["pods"]}])";
  })) << Rules("edit");
}

TEST_F(ClusterRoleAggregationControllerTest, FollowsChangesOfAggregatedRoles) {
  ASSERT_TRUE(Eventually([&] { return !Rules("view").empty(); }));
  Create(R"({"metadata":{"name":"c-widgets","labels":{"aggregate-to-view":"true"}},
             "rules":[{"verbs":["list"],"apiGroups":["example.com"],"resources":["widgets"]}]})");
  EXPECT_TRUE(Eventually([&] { return Rules("view").find("widgets") != std::string::npos; })) << Rules("view");
  ASSERT_TRUE(fake_.Delete(roles_, "", "c-widgets").ok());
  EXPECT_TRUE(Eventually([&] { return Rules("view").find("widgets") == std::string::npos; })) << Rules("view");
}

TEST(AggregatedRulesTest, NullWithoutAggregationRule) {
  EXPECT_TRUE(AggregatedRules(J(R"({"metadata":{"name":"x"}})"), {}).is_null());
}

}  // namespace
}  // namespace skiff::controllers
