// Which checks run for each level and version, and the aggregated message text.
#include "apiserver/podsecurity/evaluator.h"

#include "base/json.h"
#include "boost/json.hpp"
#include "gtest/gtest.h"

namespace skiff::apiserver::podsecurity {
namespace {

boost::json::value J(const char* text) { return *base::ParseJson(text); }

std::string Reasons(Level level, Version version, const char* spec, const char* meta = "{}") {
  return Aggregate(EvaluatePod({level, version}, J(meta), J(spec))).Reasons();
}

// Violates every restricted check and most baseline ones.
constexpr const char* kBadPod = R"({"hostNetwork":true,"volumes":[{"name":"h","hostPath":{"path":"/"}}],
  "securityContext":{"seccompProfile":{"type":"Unconfined"},"runAsUser":0},
  "containers":[{"name":"c","securityContext":{"privileged":true,"capabilities":{"add":["SYS_ADMIN"]}}}]})";

TEST(EvaluatorTest, PrivilegedRunsNothing) {
  EXPECT_TRUE(EvaluatePod({Level::kPrivileged, Version::Latest()}, J("{}"), J(kBadPod)).empty());
}

TEST(EvaluatorTest, BaselineChecksRunInIdOrder) {
  EXPECT_EQ(Reasons(Level::kBaseline, Version::Latest(), kBadPod),
            "non-default capabilities, host namespaces, hostPath volumes, privileged, seccompProfile");
}

TEST(EvaluatorTest, RestrictedReplacesTheBaselineChecksItTightens) {
  EXPECT_EQ(Reasons(Level::kRestricted, Version::Latest(), kBadPod),
            "host namespaces, privileged, allowPrivilegeEscalation != false, unrestricted capabilities, "
            "restricted volume types, runAsNonRoot != true, runAsUser=0, seccompProfile");
}

TEST(EvaluatorTest, OlderVersionsRunOlderChecks) {
  // v1.18: no seccompProfile field checks (annotations only), no runAsUser, baseline capabilities.
  EXPECT_EQ(Reasons(Level::kRestricted, Version::V1(18), kBadPod),
            "non-default capabilities, host namespaces, privileged, allowPrivilegeEscalation != false, "
            "restricted volume types, runAsNonRoot != true");
  // Before v1.8 there is no allowPrivilegeEscalation check.
  EXPECT_EQ(Reasons(Level::kRestricted, Version::V1(7),
                    R"({"containers":[{"name":"c","securityContext":{"runAsNonRoot":true}}]})"),
            "");
  // The safe sysctls of a version.
  const char* sysctl = R"({"securityContext":{"sysctls":[{"name":"net.ipv4.tcp_wmem"}]}})";
  EXPECT_EQ(Reasons(Level::kBaseline, Version::V1(31), sysctl), "forbidden sysctls");
  EXPECT_EQ(Reasons(Level::kBaseline, Version::V1(32), sysctl), "");
  EXPECT_EQ(Reasons(Level::kBaseline, Version::V1(40), sysctl), "");  // newer than skiff knows: v1.32
}

TEST(EvaluatorTest, ARestrictedPodPasses) {
  const char* good = R"({"securityContext":{"runAsNonRoot":true,"seccompProfile":{"type":"RuntimeDefault"}},
    "volumes":[{"name":"v","configMap":{"name":"x"}}],
    "containers":[{"name":"c","securityContext":{"allowPrivilegeEscalation":false,"capabilities":{"drop":["ALL"]}}}]})";
  EXPECT_EQ(Reasons(Level::kRestricted, Version::Latest(), good), "");
}

TEST(EvaluatorTest, DetailsJoinReasonsAndParentheses) {
  Violations v = Aggregate({{true, "", ""}, {false, "a", "x must y"}, {false, "", ""}, {false, "b", ""}});
  EXPECT_EQ(v.Reasons(), "a, unknown forbidden reason, b");
  EXPECT_EQ(v.Details(), "a (x must y), unknown forbidden reason, b");
  const char* pod = R"({"containers":[{"name":"c"}]})";
  EXPECT_EQ(
      Aggregate(EvaluatePod({Level::kRestricted, Version::Latest()}, J("{}"), J(pod))).Details(),
      R"(allowPrivilegeEscalation != false (container "c" must set securityContext.allowPrivilegeEscalation=false), )"
      R"(unrestricted capabilities (container "c" must set securityContext.capabilities.drop=["ALL"]), )"
      R"(runAsNonRoot != true (pod or container "c" must set securityContext.runAsNonRoot=true), )"
      R"(seccompProfile (pod or container "c" must set securityContext.seccompProfile.type to "RuntimeDefault" or "Localhost"))");
}

}  // namespace
}  // namespace skiff::apiserver::podsecurity
