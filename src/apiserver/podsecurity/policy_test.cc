#include "apiserver/podsecurity/policy.h"

#include "base/json.h"
#include "boost/json.hpp"
#include "gtest/gtest.h"

namespace skiff::apiserver::podsecurity {
namespace {

boost::json::value J(const char* text) { return *base::ParseJson(text); }

TEST(PolicyTest, ParsesLevelsAndVersions) {
  EXPECT_EQ(*ParseLevel("baseline"), Level::kBaseline);
  EXPECT_EQ(ParseLevel("Baseline").status().message(), "must be one of privileged, baseline, restricted");
  EXPECT_TRUE(ParseVersion("latest")->latest);
  EXPECT_EQ(*ParseVersion("v1.0"), Version::V1(0));
  EXPECT_EQ(*ParseVersion("v1.32"), Version::V1(32));
  for (const char* bad : {"v1.01", "v1.", "v2.1", "1.30", "v1.3x", "v1.99999999999", ""}) {
    EXPECT_EQ(ParseVersion(bad).status().message(), R"(must be "latest" or "v1.x")") << bad;
  }
  EXPECT_EQ((LevelVersion{Level::kRestricted, Version::Latest()}.String()), "restricted:latest");
  EXPECT_EQ((LevelVersion{Level::kBaseline, Version::V1(30)}.String()), "baseline:v1.30");
  EXPECT_TRUE(Version::V1(3).Older(Version::V1(30)));
  EXPECT_TRUE(Version::V1(99).Older(Version::Latest()));
  EXPECT_FALSE(Version::Latest().Older(Version::V1(99)));
}

TEST(PolicyTest, UnlabelledNamespacesTakeTheDefaults) {
  Policy defaults;
  defaults.audit.level = Level::kBaseline;
  std::vector<api::StatusCause> errors;
  Policy p = PolicyFromLabels(boost::json::value(), defaults, &errors);
  EXPECT_EQ(p.enforce.level, Level::kPrivileged);
  EXPECT_EQ(p.audit.level, Level::kBaseline);
  EXPECT_TRUE(errors.empty());
  EXPECT_TRUE(PolicyFromLabels(J(R"({"app":"x"})"), Policy{}, &errors).FullyPrivileged());
}

TEST(PolicyTest, WarnFollowsAStricterEnforceLevel) {
  std::vector<api::StatusCause> errors;
  Policy p = PolicyFromLabels(J(R"({"pod-security.kubernetes.io/enforce":"restricted",
                                    "pod-security.kubernetes.io/enforce-version":"v1.29"})"),
                              Policy{}, &errors);
  EXPECT_EQ(p.warn.String(), "restricted:v1.29");
  EXPECT_EQ(p.audit.String(), "privileged:latest");
  // An explicit warn label wins; its version stays its own.
  p = PolicyFromLabels(
      J(R"({"pod-security.kubernetes.io/enforce":"restricted","pod-security.kubernetes.io/warn":"baseline"})"),
      Policy{}, &errors);
  EXPECT_EQ(p.warn.String(), "baseline:latest");
  p = PolicyFromLabels(
      J(R"({"pod-security.kubernetes.io/enforce":"baseline","pod-security.kubernetes.io/enforce-version":"v1.20",
                             "pod-security.kubernetes.io/warn-version":"v1.25"})"),
      Policy{}, &errors);
  EXPECT_EQ(p.warn.String(), "baseline:v1.25");
  EXPECT_TRUE(errors.empty());
}

TEST(PolicyTest, BadLabelsAreReportedAndFallBack) {
  std::vector<api::StatusCause> errors;
  Policy p = PolicyFromLabels(J(R"({"pod-security.kubernetes.io/enforce":"strict",
                                    "pod-security.kubernetes.io/audit":"loud",
                                    "pod-security.kubernetes.io/warn-version":"v2"})"),
                              Policy{}, &errors);
  EXPECT_EQ(p.enforce.level, Level::kRestricted);  // fail closed
  EXPECT_EQ(p.audit.level, Level::kPrivileged);    // fail open
  EXPECT_EQ(p.warn.level, Level::kPrivileged);     // an invalid enforce level does not raise warn
  ASSERT_EQ(errors.size(), 3u);
  EXPECT_EQ(errors[0].field, "metadata.labels[pod-security.kubernetes.io/enforce]");
  EXPECT_EQ(errors[0].message, R"(Invalid value: "strict": must be one of privileged, baseline, restricted)");
  EXPECT_EQ(errors[0].reason, "FieldValueInvalid");
  EXPECT_EQ(errors[1].field, "metadata.labels[pod-security.kubernetes.io/audit]");
  EXPECT_EQ(errors[2].message, R"(Invalid value: "v2": must be "latest" or "v1.x")");
}

}  // namespace
}  // namespace skiff::apiserver::podsecurity
