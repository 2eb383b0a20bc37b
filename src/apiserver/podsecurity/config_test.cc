#include "apiserver/podsecurity/config.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace skiff::apiserver::podsecurity {
namespace {

TEST(ConfigTest, ReadsDefaultsAndExemptions) {
  auto options = ParseConfig(R"(
apiVersion: pod-security.admission.config.k8s.io/v1
kind: PodSecurityConfiguration
defaults:
  enforce: baseline
  enforce-version: v1.30
  warn: restricted
exemptions:
  usernames: [ci-bot]
  runtimeClasses: [kata]
  namespaces: [kube-system, monitoring]
)");
  ASSERT_TRUE(options.ok()) << options.status();
  EXPECT_EQ(options->defaults.enforce.String(), "baseline:v1.30");
  EXPECT_EQ(options->defaults.audit.String(), "privileged:latest");
  EXPECT_EQ(options->defaults.warn.String(), "restricted:latest");
  EXPECT_THAT(options->exempt_usernames, ::testing::ElementsAre("ci-bot"));
  EXPECT_THAT(options->exempt_runtime_classes, ::testing::ElementsAre("kata"));
  EXPECT_THAT(options->exempt_namespaces, ::testing::ElementsAre("kube-system", "monitoring"));
}

TEST(ConfigTest, EmptyConfigurationIsPrivileged) {
  auto options = ParseConfig(
      R"({"apiVersion":"pod-security.admission.config.k8s.io/v1","kind":"PodSecurityConfiguration"})");
  ASSERT_TRUE(options.ok()) << options.status();
  EXPECT_TRUE(options->defaults.FullyPrivileged());
  EXPECT_TRUE(options->exempt_namespaces.empty());
}

TEST(ConfigTest, RefusesBadValues) {
  const std::string head =
      "apiVersion: pod-security.admission.config.k8s.io/v1\nkind: PodSecurityConfiguration\n";
  EXPECT_EQ(ParseConfig(head + "defaults: {enforce: strict}").status().message(),
            "PodSecurityConfiguration defaults.enforce: must be one of privileged, baseline, restricted");
  EXPECT_EQ(ParseConfig(head + "defaults: {audit-version: '1.2'}").status().message(),
            R"(PodSecurityConfiguration defaults.audit-version: must be "latest" or "v1.x")");
  EXPECT_EQ(ParseConfig(head + "exemptions: {namespaces: kube-system}").status().message(),
            "PodSecurityConfiguration exemptions.namespaces: must be a list of strings");
  EXPECT_EQ(ParseConfig("apiVersion: v1\nkind: PodSecurityConfiguration").status().message(),
            R"(PodSecurityConfiguration apiVersion: unsupported "v1")");
  EXPECT_FALSE(ParseConfig("kind: [").ok());
  EXPECT_FALSE(LoadConfig("/nonexistent/psa.yaml").ok());
}

}  // namespace
}  // namespace skiff::apiserver::podsecurity
