#include "api/quota/validation.h"

#include "base/json.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace skiff::api::quota {
namespace {

std::vector<std::string> Messages(const std::vector<FieldError>& errors) {
  std::vector<std::string> out;
  for (const auto& e : errors) out.push_back(FormatFieldError(e));
  return out;
}

TEST(QuotaValidationTest, ResourceQuotaQuantitiesAndScopes) {
  EXPECT_TRUE(ValidateResourceQuota(*base::ParseJson(R"({"spec":{"hard":{"pods":"2","requests.cpu":"500m"},
      "scopes":["BestEffort","NotTerminating"]}})"))
                  .empty());
  EXPECT_THAT(
      Messages(ValidateResourceQuota(*base::ParseJson(R"({"spec":{"hard":{"pods":"-1","configmaps":"1500m",
      "requests.cpu":"1500m"},"scopes":["Terminating","NotTerminating","Sometimes"]}})"))),
      ::testing::ElementsAre(
          R"(spec.hard[pods]: Invalid value: "-1": must be greater than or equal to 0)",
          R"(spec.hard[configmaps]: Invalid value: "1500m": must be an integer)",
          R"(spec.scopes: Invalid value: ["Terminating","NotTerminating","Sometimes"]: unsupported scope)",
          R"(spec.scopes: Invalid value: ["Terminating","NotTerminating","Sometimes"]: conflicting scopes)"));
}

TEST(QuotaValidationTest, LimitRangeOrdering) {
  EXPECT_TRUE(
      ValidateLimitRange(*base::ParseJson(R"({"spec":{"limits":[{"type":"Container","min":{"cpu":"100m"},
      "max":{"cpu":"1"},"default":{"cpu":"500m"},"defaultRequest":{"cpu":"200m"},"maxLimitRequestRatio":{"cpu":"5"}}]}})"))
          .empty());
  EXPECT_THAT(
      Messages(ValidateLimitRange(*base::ParseJson(R"({"spec":{"limits":[
      {"type":"Container","min":{"cpu":"2"},"max":{"cpu":"1"}},
      {"type":"Container","max":{"memory":"1Gi"},"default":{"memory":"2Gi"},"defaultRequest":{"memory":"3Gi"}},
      {"type":"Pod","default":{"cpu":"1"},"maxLimitRequestRatio":{"cpu":"500m"}}]}})"))),
      ::testing::ElementsAre(
          R"(spec.limits[0].min[cpu]: Invalid value: "2": min value 2 is greater than max value 1)",
          R"(spec.limits[1].defaultRequest[memory]: Invalid value: "3Gi": default request value 3Gi is greater than max value 1Gi)",
          R"(spec.limits[1].defaultRequest[memory]: Invalid value: "3Gi": default request value 3Gi is greater than default limit value 2Gi)",
          R"(spec.limits[1].default[memory]: Invalid value: "2Gi": default value 2Gi is greater than max value 1Gi)",
          "spec.limits[2].default: Forbidden: may not be specified when `type` is 'Pod'",
          R"(spec.limits[2].maxLimitRequestRatio[cpu]: Invalid value: "500m": ratio 500m is less than 1)"));
}

}  // namespace
}  // namespace skiff::api::quota
