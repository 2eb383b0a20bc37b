#include "controllers/nodelifecycle/taint_eviction.h"

#include "base/json.h"
#include "gtest/gtest.h"

namespace skiff::controllers {
namespace {

boost::json::value J(const char* text) { return *base::ParseJson(text); }

TEST(TaintEvictionTest, ToleratesTaintFollowsKubernetesRules) {
  auto taint = J(R"({"key":"k","value":"v","effect":"NoExecute"})");
  EXPECT_TRUE(ToleratesTaint(J(R"({"key":"k","operator":"Exists"})"), taint));
  EXPECT_TRUE(ToleratesTaint(J(R"({"operator":"Exists"})"), taint));
  EXPECT_TRUE(ToleratesTaint(J(R"({"key":"k","value":"v"})"), taint));
  EXPECT_TRUE(ToleratesTaint(J(R"({"key":"k","operator":"Equal","value":"v","effect":"NoExecute"})"), taint));
  EXPECT_FALSE(ToleratesTaint(J(R"({"key":"k","value":"w"})"), taint));
  EXPECT_FALSE(ToleratesTaint(J(R"({"key":"k","operator":"Exists","effect":"NoSchedule"})"), taint));
  EXPECT_FALSE(ToleratesTaint(J(R"({"key":"other","operator":"Exists"})"), taint));
  EXPECT_FALSE(ToleratesTaint(J(R"({"value":"v"})"), taint));
}

TEST(TaintEvictionTest, DecidesByTheTolerationsUsed) {
  std::vector<boost::json::value> taints = {
      J(R"({"key":"node.kubernetes.io/unreachable","effect":"NoExecute"})")};
  auto none = DecideEviction(J(R"({"spec":{}})"), taints);
  EXPECT_FALSE(none.tolerated_forever);
  EXPECT_EQ(none.delay, absl::ZeroDuration());

  auto defaulted = DecideEviction(
      J(R"({"spec":{"tolerations":[{"key":"node.kubernetes.io/unreachable","operator":"Exists",)"
        R"("effect":"NoExecute","tolerationSeconds":300}]}})"),
      taints);
  EXPECT_FALSE(defaulted.tolerated_forever);
  EXPECT_EQ(defaulted.delay, absl::Seconds(300));

  auto forever = DecideEviction(J(R"({"spec":{"tolerations":[{"operator":"Exists"}]}})"), taints);
  EXPECT_TRUE(forever.tolerated_forever);
}

TEST(TaintEvictionTest, EveryTaintMustBeToleratedAndTheShortestTimeWins) {
  std::vector<boost::json::value> taints = {J(R"({"key":"a","effect":"NoExecute"})"),
                                            J(R"({"key":"b","effect":"NoExecute"})")};
  auto one_missing =
      DecideEviction(J(R"({"spec":{"tolerations":[{"key":"a","operator":"Exists"}]}})"), taints);
  EXPECT_FALSE(one_missing.tolerated_forever);
  EXPECT_EQ(one_missing.delay, absl::ZeroDuration());
  auto both =
      DecideEviction(J(R"({"spec":{"tolerations":[{"key":"a","operator":"Exists","tolerationSeconds":60},)"
                       R"({"key":"b","operator":"Exists","tolerationSeconds":20}]}})"),
                     taints);
  EXPECT_EQ(both.delay, absl::Seconds(20));
}

TEST(TaintEvictionTest, NoExecuteTaintsOnly) {
  auto node =
      J(R"({"spec":{"taints":[{"key":"a","effect":"NoSchedule"},{"key":"b","effect":"NoExecute"}]}})");
  auto taints = NoExecuteTaints(node);
  ASSERT_EQ(taints.size(), 1u);
  EXPECT_EQ(base::GetString(taints[0], {"key"}), "b");
}

}  // namespace
}  // namespace skiff::controllers
