#include "api/conversion.h"

#include "base/json.h"
#include "gtest/gtest.h"

namespace skiff::api {
namespace {

TEST(ConversionTest, HpaStoredAsV2AndServedAsV1) {
  const ResourceInfo* v1 = FindResource("autoscaling", "v1", "horizontalpodautoscalers");
  const ResourceInfo* v2 = FindResource("autoscaling", "v2", "horizontalpodautoscalers");
  ASSERT_TRUE(v1 && v2);
  EXPECT_EQ(&StorageVersionOf(*v1), v2);
  auto in = *base::ParseJson(R"({"apiVersion":"autoscaling/v1","kind":"HorizontalPodAutoscaler",
      "metadata":{"name":"h"},"spec":{"scaleTargetRef":{"kind":"Deployment","name":"web"},
      "maxReplicas":5,"targetCPUUtilizationPercentage":70},"status":{"currentCPUUtilizationPercentage":40}})");
  auto stored = ConvertObject(in, *v1, *v2);
  EXPECT_EQ(base::GetString(stored, {"apiVersion"}), "autoscaling/v2");
  EXPECT_EQ(base::FindPath(stored, {"spec", "targetCPUUtilizationPercentage"}), nullptr);
  const auto* metrics = base::FindPath(stored, {"spec", "metrics"});
  ASSERT_TRUE(metrics && metrics->is_array() && metrics->get_array().size() == 1);
  EXPECT_EQ(base::GetInt(metrics->get_array()[0], {"resource", "target", "averageUtilization"}), 70);
  auto back = ConvertObject(stored, *v2, *v1);
  EXPECT_EQ(back, in);
}

TEST(ConversionTest, SameVersionIsIdentity) {
  const ResourceInfo* deploy = FindResource("apps", "v1", "deployments");
  auto obj = *base::ParseJson(R"({"apiVersion":"apps/v1","kind":"Deployment","spec":{"replicas":2}})");
  EXPECT_EQ(ConvertObject(obj, *deploy, *deploy), obj);
  EXPECT_EQ(&StorageVersionOf(*deploy), deploy);
}

}  // namespace
}  // namespace skiff::api
