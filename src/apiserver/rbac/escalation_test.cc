#include "apiserver/rbac/escalation.h"

#include "gtest/gtest.h"

namespace skiff::apiserver::rbac {
namespace {

PolicyRule R(std::vector<std::string> verbs, std::vector<std::string> groups, std::vector<std::string> resources,
             std::vector<std::string> names = {}) {
  return {.verbs = verbs, .api_groups = groups, .resources = resources, .resource_names = names};
}

TEST(EscalationTest, OwnerRulesCoverBrokenDownParts) {
  std::vector<PolicyRule> owner = {R({"get", "list"}, {""}, {"pods"}), R({"create"}, {""}, {"pods"})};
  EXPECT_TRUE(MissingRules(owner, {R({"get", "create"}, {""}, {"pods"})}).empty());
  auto missing = MissingRules(owner, {R({"get", "delete"}, {""}, {"pods", "secrets"})});
  ASSERT_EQ(missing.size(), 3u);  // delete pods, get secrets, delete secrets
}

TEST(EscalationTest, StarsAndSubresources) {
  EXPECT_TRUE(MissingRules({R({"*"}, {"*"}, {"*"})}, {R({"escalate"}, {"rbac.authorization.k8s.io"}, {"roles"})}).empty());
  EXPECT_TRUE(MissingRules({R({"get"}, {"apps"}, {"*/scale"})}, {R({"get"}, {"apps"}, {"deployments/scale"})}).empty());
  EXPECT_FALSE(MissingRules({R({"get"}, {"apps"}, {"*/scale"})}, {R({"get"}, {"apps"}, {"deployments"})}).empty());
}

TEST(EscalationTest, ResourceNames) {
  std::vector<PolicyRule> owner = {R({"get"}, {""}, {"configmaps"}, {"a"})};
  EXPECT_TRUE(MissingRules(owner, {R({"get"}, {""}, {"configmaps"}, {"a"})}).empty());
  EXPECT_FALSE(MissingRules(owner, {R({"get"}, {""}, {"configmaps"}, {"b"})}).empty());
  EXPECT_FALSE(MissingRules(owner, {R({"get"}, {""}, {"configmaps"})}).empty());  // all names
  EXPECT_TRUE(MissingRules({R({"get"}, {""}, {"configmaps"})}, {R({"get"}, {""}, {"configmaps"}, {"b"})}).empty());
}

TEST(EscalationTest, NonResourceUrls) {
  std::vector<PolicyRule> owner = {{.verbs = {"get"}, .non_resource_urls = {"/apis/*"}}};
  EXPECT_TRUE(MissingRules(owner, {{.verbs = {"get"}, .non_resource_urls = {"/apis/apps"}}}).empty());
  EXPECT_FALSE(MissingRules(owner, {{.verbs = {"get"}, .non_resource_urls = {"/metrics"}}}).empty());
}

TEST(EscalationTest, MessageIsKubernetesWording) {
  auto missing = MissingRules({}, {R({"get", "list"}, {""}, {"secrets"}), R({"get"}, {"apps"}, {"deployments"})});
  EXPECT_EQ(EscalationMessage("alice", {"devs", "system:authenticated"}, missing),
            "user \"alice\" (groups=[\"devs\" \"system:authenticated\"]) is attempting to grant RBAC permissions "
            "not currently held:\n"
            "{APIGroups:[\"\"], Resources:[\"secrets\"], Verbs:[\"get\" \"list\"]}\n"
            "{APIGroups:[\"apps\"], Resources:[\"deployments\"], Verbs:[\"get\"]}");
}

}  // namespace
}  // namespace skiff::apiserver::rbac
