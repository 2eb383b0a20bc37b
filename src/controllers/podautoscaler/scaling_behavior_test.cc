#include "controllers/podautoscaler/scaling_behavior.h"

#include "base/testing/fake_clock.h"
#include "boost/json.hpp"
#include "gtest/gtest.h"

namespace skiff::controllers::podautoscaler {
namespace {

namespace json = boost::json;

Behavior Defaults() { return *ParseBehavior(json::parse(R"({"spec":{"behavior":{}}})")); }

const ConditionUpdate* Find(const Normalized& n, const std::string& type) {
  for (const auto& c : n.conditions) {
    if (c.type == type) return &c;
  }
  return nullptr;
}

TEST(ParseBehaviorTest, KubernetesDefaults) {
  EXPECT_FALSE(ParseBehavior(json::parse(R"({"spec":{}})")).has_value());
  Behavior b = Defaults();
  EXPECT_EQ(b.scale_up.stabilization_window_seconds, 0);
  ASSERT_EQ(b.scale_up.policies.size(), 2u);
  EXPECT_FALSE(b.scale_up.policies[0].percent);
  EXPECT_EQ(b.scale_up.policies[0].value, 4);
  EXPECT_EQ(b.scale_down.stabilization_window_seconds, 300);
  ASSERT_EQ(b.scale_down.policies.size(), 1u);
  EXPECT_TRUE(b.scale_down.policies[0].percent);
  Behavior custom = *ParseBehavior(json::parse(
      R"({"spec":{"behavior":{"scaleDown":{"stabilizationWindowSeconds":0,"selectPolicy":"Disabled",
          "policies":[{"type":"Pods","value":1,"periodSeconds":60}]}}}})"));
  EXPECT_EQ(custom.scale_down.stabilization_window_seconds, 0);
  EXPECT_EQ(custom.scale_down.select_policy, "Disabled");
  EXPECT_EQ(custom.scale_down.policies[0].period_seconds, 60);
}

TEST(ScalingBehaviorTest, ScaleUpLimits) {
  absl::Time now = absl::FromUnixSeconds(1000);
  ScalingRules rules = Defaults().scale_up;
  EXPECT_EQ(ScalingBehavior::ScaleUpLimit(1, {}, rules, now), 5);    // +4 pods beats +100%
  EXPECT_EQ(ScalingBehavior::ScaleUpLimit(10, {}, rules, now), 20);  // +100% beats +4
  // 4 pods were added 10 s ago: the period started at 1.
  EXPECT_EQ(ScalingBehavior::ScaleUpLimit(5, {{4, now - absl::Seconds(10)}}, rules, now), 5);
  EXPECT_EQ(ScalingBehavior::ScaleUpLimit(5, {{4, now - absl::Seconds(20)}}, rules, now), 10);
  rules.select_policy = "Min";
  EXPECT_EQ(ScalingBehavior::ScaleUpLimit(1, {}, rules, now), 2);
  rules.select_policy = "Disabled";
  EXPECT_EQ(ScalingBehavior::ScaleUpLimit(3, {}, rules, now), 3);
}

TEST(ScalingBehaviorTest, ScaleDownLimits) {
  absl::Time now = absl::FromUnixSeconds(1000);
  ScalingRules rules{.policies = {{false, 1, 60}, {true, 50, 60}}};
  EXPECT_EQ(ScalingBehavior::ScaleDownLimit(8, {}, rules, now), 4);  // Max: the biggest change
  rules.select_policy = "Min";
  EXPECT_EQ(ScalingBehavior::ScaleDownLimit(8, {}, rules, now), 7);
  // One pod already removed in the period: no further one with "1 pod per 60 s".
  EXPECT_EQ(
      ScalingBehavior::ScaleDownLimit(7, {{1, now - absl::Seconds(30)}}, {.policies = {{false, 1, 60}}}, now),
      7);
  EXPECT_EQ(ScalingBehavior::ScaleDownLimit(5, {}, Defaults().scale_down, now), 0);
}

TEST(ScalingBehaviorTest, WithoutBehaviorStabilizesScaleDownAndLimitsScaleUp) {
  base::testing::FakeClock clock;
  ScalingBehavior behavior(&clock);
  behavior.RecordInitialRecommendation("ns/a", 10);
  clock.Advance(absl::Minutes(1));
  Normalized n = behavior.Normalize("ns/a", std::nullopt, 1, 100, 10, 5);
  EXPECT_EQ(n.replicas, 10);
  EXPECT_EQ(Find(n, "AbleToScale")->reason, "ScaleDownStabilized");
  clock.Advance(absl::Minutes(5));
  n = behavior.Normalize("ns/a", std::nullopt, 1, 100, 10, 5);
  EXPECT_EQ(n.replicas, 5);
  EXPECT_EQ(Find(n, "AbleToScale")->reason, "ReadyForNewScale");
  EXPECT_FALSE(Find(n, "ScalingLimited")->status);
  // Scale up: at most max(2 * current, 4).
  n = behavior.Normalize("ns/a", std::nullopt, 1, 100, 5, 50);
  EXPECT_EQ(n.replicas, 10);
  EXPECT_TRUE(Find(n, "ScalingLimited")->status);
  EXPECT_EQ(Find(n, "ScalingLimited")->reason, "ScaleUpLimit");
  n = behavior.Normalize("ns/b", std::nullopt, 2, 3, 3, 0);
  EXPECT_EQ(n.replicas, 2);
  EXPECT_EQ(Find(n, "ScalingLimited")->reason, "TooFewReplicas");
}

TEST(ScalingBehaviorTest, WithBehaviorPoliciesAndWindows) {
  base::testing::FakeClock clock;
  ScalingBehavior behavior(&clock);
  Behavior b = Defaults();
  b.scale_down.stabilization_window_seconds = 0;
  behavior.RecordInitialRecommendation("ns/a", 1);
  Normalized n = behavior.Normalize("ns/a", b, 1, 20, 1, 10);
  EXPECT_EQ(n.replicas, 5);
  EXPECT_EQ(Find(n, "ScalingLimited")->reason, "ScaleUpLimit");
  behavior.RecordScaleEvent("ns/a", b, 1, 5);
  clock.Advance(absl::Seconds(5));
  n = behavior.Normalize("ns/a", b, 1, 20, 5, 10);
  EXPECT_EQ(n.replicas, 5);  // the period's budget is used up
  clock.Advance(absl::Seconds(15));
  n = behavior.Normalize("ns/a", b, 1, 20, 5, 10);
  EXPECT_EQ(n.replicas, 10);
  EXPECT_EQ(Find(n, "ScalingLimited")->reason, "DesiredWithinRange");
  n = behavior.Normalize("ns/a", b, 1, 8, 5, 10);
  EXPECT_EQ(n.replicas, 8);
  EXPECT_EQ(Find(n, "ScalingLimited")->reason, "TooManyReplicas");

  // A scale-up window keeps the lowest recent recommendation.
  b.scale_up.stabilization_window_seconds = 60;
  ScalingBehavior windowed(&clock);
  windowed.RecordInitialRecommendation("ns/b", 2);
  n = windowed.Normalize("ns/b", b, 1, 20, 2, 6);
  EXPECT_EQ(n.replicas, 2);
  EXPECT_EQ(Find(n, "AbleToScale")->reason, "ScaleUpStabilized");
  clock.Advance(absl::Seconds(61));
  n = windowed.Normalize("ns/b", b, 1, 20, 2, 6);
  EXPECT_EQ(n.replicas, 6);

  b.scale_down.select_policy = "Disabled";
  n = windowed.Normalize("ns/b", b, 1, 20, 6, 1);
  EXPECT_EQ(n.replicas, 6);
  EXPECT_EQ(Find(n, "ScalingLimited")->reason, "ScaleDownLimit");
}

}  // namespace
}  // namespace skiff::controllers::podautoscaler
