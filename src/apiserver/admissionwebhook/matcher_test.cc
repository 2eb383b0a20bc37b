#include "apiserver/admissionwebhook/matcher.h"

#include "api/resources.h"
#include "gtest/gtest.h"

namespace skiff::apiserver::admissionwebhook {
namespace {

Rule R(std::vector<std::string> ops, std::vector<std::string> groups, std::vector<std::string> versions,
       std::vector<std::string> resources, std::string scope = "*") {
  return {std::move(ops), std::move(groups), std::move(versions), std::move(resources), std::move(scope)};
}

const api::ResourceInfo& Res(const char* group, const char* version, const char* plural) {
  return *api::FindResource(group, version, plural);
}

TEST(MatcherTest, OperationsGroupsVersions) {
  const auto& pods = Res("", "v1", "pods");
  RequestAttributes create{"CREATE", "", "ns"};
  EXPECT_TRUE(RuleMatches(R({"CREATE"}, {""}, {"v1"}, {"pods"}), pods, create));
  EXPECT_TRUE(RuleMatches(R({"*"}, {"*"}, {"*"}, {"*"}), pods, create));
  EXPECT_FALSE(RuleMatches(R({"UPDATE", "DELETE"}, {""}, {"v1"}, {"pods"}), pods, create));
  EXPECT_FALSE(RuleMatches(R({"CREATE"}, {"apps"}, {"v1"}, {"pods"}), pods, create));
  EXPECT_FALSE(RuleMatches(R({"CREATE"}, {""}, {"v2"}, {"pods"}), pods, create));
  EXPECT_FALSE(RuleMatches(R({"CREATE"}, {""}, {"v1"}, {"services"}), pods, create));
  EXPECT_TRUE(RuleMatches(R({"CONNECT"}, {""}, {"v1"}, {"pods/exec"}), pods, {"CONNECT", "exec", "ns"}));
}

TEST(MatcherTest, SubresourcesAndWildcards) {
  const auto& pods = Res("", "v1", "pods");
  RequestAttributes status{"UPDATE", "status", "ns"};
  RequestAttributes main{"UPDATE", "", "ns"};
  EXPECT_FALSE(RuleMatches(R({"*"}, {"*"}, {"*"}, {"pods"}), pods, status));
  EXPECT_TRUE(RuleMatches(R({"*"}, {"*"}, {"*"}, {"pods/status"}), pods, status));
  EXPECT_FALSE(RuleMatches(R({"*"}, {"*"}, {"*"}, {"pods/status"}), pods, main));
  EXPECT_TRUE(RuleMatches(R({"*"}, {"*"}, {"*"}, {"pods/*"}), pods, status));
  EXPECT_TRUE(RuleMatches(R({"*"}, {"*"}, {"*"}, {"pods/*"}), pods, main));
  EXPECT_TRUE(RuleMatches(R({"*"}, {"*"}, {"*"}, {"*/status"}), pods, status));
  EXPECT_FALSE(RuleMatches(R({"*"}, {"*"}, {"*"}, {"*"}), pods, status));
  EXPECT_TRUE(RuleMatches(R({"*"}, {"*"}, {"*"}, {"*/*"}), pods, status));
}

TEST(MatcherTest, ScopeTreatsNamespacesAsClusterScoped) {
  const auto& pods = Res("", "v1", "pods");
  const auto& namespaces = Res("", "v1", "namespaces");
  const auto& nodes = Res("", "v1", "nodes");
  RequestAttributes in_ns{"CREATE", "", "ns"};
  RequestAttributes cluster{"CREATE", "", ""};
  EXPECT_TRUE(RuleMatches(R({"*"}, {"*"}, {"*"}, {"*"}, "Namespaced"), pods, in_ns));
  EXPECT_FALSE(RuleMatches(R({"*"}, {"*"}, {"*"}, {"*"}, "Cluster"), pods, in_ns));
  EXPECT_TRUE(RuleMatches(R({"*"}, {"*"}, {"*"}, {"*"}, "Cluster"), nodes, cluster));
  EXPECT_TRUE(RuleMatches(R({"*"}, {"*"}, {"*"}, {"*"}, "Cluster"), namespaces, cluster));
  EXPECT_FALSE(RuleMatches(R({"*"}, {"*"}, {"*"}, {"*"}, "Namespaced"), namespaces, {"CREATE", "", "x"}));
}

TEST(MatcherTest, EquivalentVersionsUnlessExact) {
  const auto& hpa_v2 = Res("autoscaling", "v2", "horizontalpodautoscalers");
  Webhook w;
  w.rules = {R({"CREATE"}, {"autoscaling"}, {"v1"}, {"horizontalpodautoscalers"})};
  RequestAttributes create{"CREATE", "", "ns"};
  const api::ResourceInfo* sent = MatchingResource(w, hpa_v2, create);
  ASSERT_NE(sent, nullptr);
  EXPECT_EQ(sent->version, "v1");
  w.match_exact = true;
  EXPECT_EQ(MatchingResource(w, hpa_v2, create), nullptr);
  w.rules = {R({"CREATE"}, {"autoscaling"}, {"*"}, {"horizontalpodautoscalers"})};
  EXPECT_EQ(MatchingResource(w, hpa_v2, create), &hpa_v2);
}

}  // namespace
}  // namespace skiff::apiserver::admissionwebhook
