#include "apiserver/rbac/policy_rule.h"

#include "boost/json.hpp"
#include "gtest/gtest.h"

namespace skiff::apiserver::rbac {
namespace {

PolicyRule Rule(const char* json) { return ParseRule(boost::json::parse(json)); }

Attributes Req(std::string verb, std::string group, std::string resource, std::string subresource = "",
               std::string name = "", std::string ns = "default") {
  return {.verb = std::move(verb), .api_group = std::move(group), .resource = std::move(resource),
          .subresource = std::move(subresource), .namespace_name = std::move(ns), .name = std::move(name)};
}

Attributes Path(std::string verb, std::string path) {
  return {.verb = std::move(verb), .is_resource = false, .path = std::move(path)};
}

TEST(PolicyRuleTest, VerbsGroupsAndResources) {
  PolicyRule r = Rule(R"({"verbs":["get","list"],"apiGroups":["","apps"],"resources":["pods","deployments"]})");
  EXPECT_TRUE(RuleAllows(r, Req("get", "", "pods")));
  EXPECT_TRUE(RuleAllows(r, Req("list", "apps", "deployments")));
  EXPECT_FALSE(RuleAllows(r, Req("delete", "", "pods")));
  EXPECT_FALSE(RuleAllows(r, Req("get", "batch", "pods")));
  EXPECT_FALSE(RuleAllows(r, Req("get", "", "secrets")));
  // A resource does not grant its subresources.
  EXPECT_FALSE(RuleAllows(r, Req("get", "", "pods", "log")));
}

TEST(PolicyRuleTest, StarsMatchEverything) {
  PolicyRule r = Rule(R"({"verbs":["*"],"apiGroups":["*"],"resources":["*"]})");
  EXPECT_TRUE(RuleAllows(r, Req("escalate", "rbac.authorization.k8s.io", "clusterroles")));
  EXPECT_TRUE(RuleAllows(r, Req("get", "", "pods", "log")));  // "*" covers subresources too
  EXPECT_FALSE(RuleAllows(r, Path("get", "/metrics")));       // but not URLs
}

TEST(PolicyRuleTest, Subresources) {
  PolicyRule log = Rule(R"({"verbs":["get"],"apiGroups":[""],"resources":["pods/log"]})");
  EXPECT_TRUE(RuleAllows(log, Req("get", "", "pods", "log")));
  EXPECT_FALSE(RuleAllows(log, Req("get", "", "pods")));
  EXPECT_FALSE(RuleAllows(log, Req("get", "", "pods", "exec")));
  PolicyRule scale = Rule(R"({"verbs":["get","update"],"apiGroups":["*"],"resources":["*/scale"]})");
  EXPECT_TRUE(RuleAllows(scale, Req("update", "apps", "deployments", "scale")));
  EXPECT_TRUE(RuleAllows(scale, Req("get", "", "replicationcontrollers", "scale")));
  EXPECT_FALSE(RuleAllows(scale, Req("get", "apps", "deployments")));
  EXPECT_FALSE(RuleAllows(scale, Req("get", "apps", "deployments", "status")));
}

TEST(PolicyRuleTest, ResourceNamesNeverMatchUnnamedRequests) {
  PolicyRule r = Rule(R"({"verbs":["get","list"],"apiGroups":[""],"resources":["configmaps"],"resourceNames":["a"]})");
  EXPECT_TRUE(RuleAllows(r, Req("get", "", "configmaps", "", "a")));
  EXPECT_FALSE(RuleAllows(r, Req("get", "", "configmaps", "", "b")));
  EXPECT_FALSE(RuleAllows(r, Req("list", "", "configmaps")));
}

TEST(PolicyRuleTest, NonResourceUrlsWithTrailingStar) {
  PolicyRule r = Rule(R"({"verbs":["get"],"nonResourceURLs":["/healthz","/apis/*"]})");
  EXPECT_TRUE(RuleAllows(r, Path("get", "/healthz")));
  EXPECT_FALSE(RuleAllows(r, Path("get", "/healthz/etcd")));
  EXPECT_TRUE(RuleAllows(r, Path("get", "/apis/apps/v1")));
  EXPECT_TRUE(RuleAllows(r, Path("get", "/apis/")));
  EXPECT_FALSE(RuleAllows(r, Path("get", "/apis")));
  EXPECT_FALSE(RuleAllows(r, Path("post", "/healthz")));
  EXPECT_FALSE(RuleAllows(r, Req("get", "", "pods")));  // URL rules grant no resources
  EXPECT_TRUE(RuleAllows(Rule(R"({"verbs":["*"],"nonResourceURLs":["*"]})"), Path("delete", "/anything")));
}

TEST(PolicyRuleTest, CompactStringIsKubernetesFormat) {
  PolicyRule r = Rule(R"({"verbs":["get","list"],"apiGroups":[""],"resources":["pods"],"resourceNames":["x"]})");
  EXPECT_EQ(r.CompactString(), R"({APIGroups:[""], Resources:["pods"], ResourceNames:["x"], Verbs:["get" "list"]})");
  EXPECT_EQ(Rule(R"({"verbs":["get"],"nonResourceURLs":["/x"]})").CompactString(),
            R"({NonResourceURLs:["/x"], Verbs:["get"]})");
}

}  // namespace
}  // namespace skiff::apiserver::rbac
