#include "apiserver/quota/limits.h"

#include "base/json.h"
#include "boost/json.hpp"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace skiff::apiserver::quota {
namespace {

namespace json = boost::json;
using ::testing::ElementsAre;

json::value Parse(const char* text) { return *base::ParseJson(text); }

const json::value kRange = Parse(R"({"spec":{"limits":[
  {"type":"Container","min":{"cpu":"50m"},"max":{"cpu":"500m","memory":"1Gi"},
   "default":{"cpu":"200m","memory":"512Mi"},"defaultRequest":{"cpu":"100m"},"maxLimitRequestRatio":{"cpu":"4"}},
  {"type":"Pod","max":{"cpu":"800m"},"min":{"memory":"1Mi"}},
  {"type":"PersistentVolumeClaim","min":{"storage":"1Gi"},"max":{"storage":"2Gi"}}]}})");

TEST(LimitsTest, DefaultsFillUnsetResourcesAndAnnotate) {
  json::value pod = Parse(R"({"metadata":{"name":"p"},"spec":{
    "containers":[{"name":"app"},{"name":"set","resources":{"limits":{"cpu":"300m"},"requests":{"cpu":"300m"}}}],
    "initContainers":[{"name":"init","resources":{"requests":{"memory":"1Mi"}}}]}})");
  ASSERT_TRUE(ApplyLimitRangeDefaults(kRange, pod));
  EXPECT_EQ(
      base::ToJson(*base::FindPath(pod, {"spec", "containers"})),
      R"([{"name":"app","resources":{"requests":{"cpu":"100m"},"limits":{"cpu":"200m","memory":"512Mi"}}},)"
      R"({"name":"set","resources":{"limits":{"cpu":"300m","memory":"512Mi"},"requests":{"cpu":"300m"}}}])");
  EXPECT_EQ(base::GetString(pod, {"metadata", "annotations", kLimitRangerAnnotation}),
            "LimitRanger plugin set: cpu request for container app; cpu, memory limit for container app; "
            "memory limit for container set; cpu request for init container init; "
            "cpu, memory limit for init container init");
  // Nothing left to default: no change, no annotation rewrite.
  EXPECT_FALSE(ApplyLimitRangeDefaults(kRange, pod));
}

TEST(LimitsTest, ContainerBoundsInKubernetesWords) {
  auto violations = [](const char* resources) {
    json::value pod = Parse(R"({"spec":{"containers":[{"name":"a"}]}})");
    pod.at("spec").at("containers").as_array()[0].as_object()["resources"] = Parse(resources);
    return PodLimitViolations(kRange, pod);
  };
  EXPECT_THAT(
      violations(R"({"requests":{"cpu":"100m","memory":"1Mi"},"limits":{"cpu":"200m","memory":"1Mi"}})"),
      ElementsAre());
  EXPECT_THAT(
      violations(R"({"requests":{"cpu":"600m","memory":"1Mi"},"limits":{"cpu":"600m","memory":"1Mi"}})"),
      ElementsAre("maximum cpu usage per Container is 500m, but limit is 600m"));
  EXPECT_THAT(
      violations(R"({"requests":{"cpu":"10m","memory":"1Mi"},"limits":{"cpu":"20m","memory":"1Mi"}})"),
      ElementsAre("minimum cpu usage per Container is 50m, but request is 10m"));
  EXPECT_THAT(
      violations(R"({"requests":{"cpu":"100m","memory":"1Mi"},"limits":{"cpu":"450m","memory":"1Mi"}})"),
      ElementsAre("cpu max limit to request ratio per Container is 4, but provided ratio is 4.500000"));
  EXPECT_THAT(violations(R"({"requests":{"memory":"1Mi"},"limits":{"memory":"1Mi"}})"),
              ElementsAre("minimum cpu usage per Container is 50m.  No request is specified",
                          "maximum cpu usage per Container is 500m.  No limit is specified",
                          "cpu max limit to request ratio per Container is 4, but no request is specified or "
                          "request is 0",
                          "maximum cpu usage per Pod is 800m.  No limit is specified"));
}

TEST(LimitsTest, PodBoundsSumContainers) {
  json::value pod = Parse(R"({"spec":{"containers":[
    {"name":"a","resources":{"requests":{"cpu":"450m","memory":"1Mi"},"limits":{"cpu":"450m","memory":"1Mi"}}},
    {"name":"b","resources":{"requests":{"cpu":"450m","memory":"1Mi"},"limits":{"cpu":"450m","memory":"1Mi"}}}]}})");
  EXPECT_THAT(PodLimitViolations(kRange, pod),
              ElementsAre("maximum cpu usage per Pod is 800m, but limit is 900m"));
}

TEST(LimitsTest, ClaimStorageRequestBounds) {
  auto violations = [](const char* storage) {
    json::value claim = Parse(R"({"spec":{"resources":{"requests":{}}}})");
    claim.at("spec").at("resources").at("requests").as_object()["storage"] = storage;
    return ClaimLimitViolations(kRange, claim);
  };
  EXPECT_THAT(violations("1536Mi"), ElementsAre());
  EXPECT_THAT(violations("5Gi"),
              ElementsAre("maximum storage usage per PersistentVolumeClaim is 2Gi, but request is 5Gi"));
  EXPECT_THAT(violations("100Mi"),
              ElementsAre("minimum storage usage per PersistentVolumeClaim is 1Gi, but request is 100Mi"));
}

TEST(LimitsTest, AggregateMessageAsKubernetes) {
  EXPECT_EQ(AggregateMessage({"a"}), "a");
  EXPECT_EQ(AggregateMessage({"a", "b", "a"}), "[a, b]");
}

}  // namespace
}  // namespace skiff::apiserver::quota
