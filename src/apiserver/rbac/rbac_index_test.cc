#include "apiserver/rbac/rbac_index.h"

#include "boost/json.hpp"
#include "gtest/gtest.h"

namespace skiff::apiserver::rbac {
namespace {

boost::json::value J(const char* s) { return boost::json::parse(s); }

Attributes Req(std::string verb, std::string resource, std::string ns, std::string group = "") {
  return {.verb = std::move(verb), .api_group = std::move(group), .resource = std::move(resource),
          .namespace_name = std::move(ns)};
}

class RbacIndexTest : public ::testing::Test {
 protected:
  bool Allows(const std::string& user, const std::vector<std::string>& groups, const Attributes& a,
              std::string* reason = nullptr) {
    return index_.Allows(Subject{user, groups}, a, reason);
  }
  RbacIndex index_;
  std::vector<std::string> no_groups_;
};

TEST_F(RbacIndexTest, RoleBindingGrantsInItsNamespaceOnly) {
  index_.Upsert(Kind::kRole, J(R"({"metadata":{"name":"reader","namespace":"a"},
      "rules":[{"verbs":["list"],"apiGroups":[""],"resources":["pods"]}]})"));
  index_.Upsert(Kind::kRoleBinding, J(R"({"metadata":{"name":"b","namespace":"a"},
      "roleRef":{"kind":"Role","name":"reader"},"subjects":[{"kind":"User","name":"alice"}]})"));
  std::string reason;
  EXPECT_TRUE(Allows("alice", no_groups_, Req("list", "pods", "a"), &reason));
  EXPECT_EQ(reason, R"(RBAC: allowed by RoleBinding "b/a" of Role "reader" to User "alice")");
  EXPECT_FALSE(Allows("alice", no_groups_, Req("list", "pods", "b")));
  EXPECT_FALSE(Allows("alice", no_groups_, Req("list", "pods", "")));  // cluster scope
  EXPECT_FALSE(Allows("bob", no_groups_, Req("list", "pods", "a")));
  EXPECT_FALSE(Allows("alice", no_groups_, Req("list", "secrets", "a")));
}

TEST_F(RbacIndexTest, ClusterRoleBindingGrantsEverywhereToGroups) {
  index_.Upsert(Kind::kClusterRole, J(R"({"metadata":{"name":"view"},
      "rules":[{"verbs":["get"],"apiGroups":["apps"],"resources":["deployments"]}]})"));
  index_.Upsert(Kind::kClusterRoleBinding, J(R"({"metadata":{"name":"devs-view"},
      "roleRef":{"kind":"ClusterRole","name":"view"},"subjects":[{"kind":"Group","name":"devs"}]})"));
  std::vector<std::string> devs = {"devs"};
  std::string reason;
  EXPECT_TRUE(Allows("x", devs, Req("get", "deployments", "any", "apps"), &reason));
  EXPECT_EQ(reason, R"(RBAC: allowed by ClusterRoleBinding "devs-view" of ClusterRole "view" to Group "devs")");
  EXPECT_TRUE(Allows("x", devs, Req("get", "deployments", "", "apps")));
  EXPECT_FALSE(Allows("x", no_groups_, Req("get", "deployments", "any", "apps")));
}

TEST_F(RbacIndexTest, ClusterRoleThroughRoleBindingIsNamespaced) {
  index_.Upsert(Kind::kClusterRole, J(R"({"metadata":{"name":"edit"},
      "rules":[{"verbs":["create"],"apiGroups":[""],"resources":["pods"]}]})"));
  index_.Upsert(Kind::kRoleBinding, J(R"({"metadata":{"name":"b","namespace":"a"},
      "roleRef":{"kind":"ClusterRole","name":"edit"},"subjects":[{"kind":"User","name":"alice"}]})"));
  EXPECT_TRUE(Allows("alice", no_groups_, Req("create", "pods", "a")));
  EXPECT_FALSE(Allows("alice", no_groups_, Req("create", "pods", "b")));
}

TEST_F(RbacIndexTest, ServiceAccountSubjectsMatchTheirUserName) {
  index_.Upsert(Kind::kClusterRole, J(R"({"metadata":{"name":"r"},"rules":[{"verbs":["get"],"apiGroups":[""],"resources":["pods"]}]})"));
  // The namespace defaults to the binding's.
  index_.Upsert(Kind::kRoleBinding, J(R"({"metadata":{"name":"b","namespace":"a"},
      "roleRef":{"kind":"ClusterRole","name":"r"},"subjects":[{"kind":"ServiceAccount","name":"robot"}]})"));
  std::string reason;
  EXPECT_TRUE(Allows("system:serviceaccount:a:robot", no_groups_, Req("get", "pods", "a"), &reason));
  EXPECT_EQ(reason, R"(RBAC: allowed by RoleBinding "b/a" of ClusterRole "r" to ServiceAccount "robot/a")");
  EXPECT_FALSE(Allows("system:serviceaccount:b:robot", no_groups_, Req("get", "pods", "a")));
}

TEST_F(RbacIndexTest, UpdatesAndDeletesTakeEffect) {
  index_.Upsert(Kind::kClusterRoleBinding, J(R"({"metadata":{"name":"b"},
      "roleRef":{"kind":"ClusterRole","name":"later"},"subjects":[{"kind":"User","name":"u"}]})"));
  EXPECT_FALSE(Allows("u", no_groups_, Req("get", "pods", "")));  // role not there yet
  index_.Upsert(Kind::kClusterRole, J(R"({"metadata":{"name":"later"},"rules":[{"verbs":["get"],"apiGroups":[""],"resources":["pods"]}]})"));
  EXPECT_TRUE(Allows("u", no_groups_, Req("get", "pods", "")));
  // The binding now names someone else.
  index_.Upsert(Kind::kClusterRoleBinding, J(R"({"metadata":{"name":"b"},
      "roleRef":{"kind":"ClusterRole","name":"later"},"subjects":[{"kind":"User","name":"v"}]})"));
  EXPECT_FALSE(Allows("u", no_groups_, Req("get", "pods", "")));
  EXPECT_TRUE(Allows("v", no_groups_, Req("get", "pods", "")));
  index_.Remove(Kind::kClusterRole, "", "later");
  EXPECT_FALSE(Allows("v", no_groups_, Req("get", "pods", "")));
  EXPECT_EQ(index_.BindingCount(), 1u);
  index_.Remove(Kind::kClusterRoleBinding, "", "b");
  EXPECT_EQ(index_.BindingCount(), 0u);
}

TEST_F(RbacIndexTest, NonResourceUrlsOnlyFromClusterBindings) {
  index_.Upsert(Kind::kClusterRole, J(R"({"metadata":{"name":"m"},"rules":[{"verbs":["get"],"nonResourceURLs":["/metrics"]}]})"));
  index_.Upsert(Kind::kRoleBinding, J(R"({"metadata":{"name":"b","namespace":"a"},
      "roleRef":{"kind":"ClusterRole","name":"m"},"subjects":[{"kind":"User","name":"u"}]})"));
  Attributes metrics{.verb = "get", .is_resource = false, .namespace_name = "a", .path = "/metrics"};
  EXPECT_FALSE(Allows("u", no_groups_, metrics));
  index_.Upsert(Kind::kClusterRoleBinding, J(R"({"metadata":{"name":"c"},
      "roleRef":{"kind":"ClusterRole","name":"m"},"subjects":[{"kind":"User","name":"u"}]})"));
  EXPECT_TRUE(Allows("u", no_groups_, metrics));
}

TEST_F(RbacIndexTest, RulesForCollectsClusterAndNamespaceRules) {
  index_.Upsert(Kind::kClusterRole, J(R"({"metadata":{"name":"c"},"rules":[{"verbs":["get"],"nonResourceURLs":["/x"]}]})"));
  index_.Upsert(Kind::kRole, J(R"({"metadata":{"name":"r","namespace":"a"},"rules":[{"verbs":["list"],"apiGroups":[""],"resources":["pods"]}]})"));
  index_.Upsert(Kind::kClusterRoleBinding, J(R"({"metadata":{"name":"cb"},"roleRef":{"kind":"ClusterRole","name":"c"},"subjects":[{"kind":"Group","name":"g"}]})"));
  index_.Upsert(Kind::kRoleBinding, J(R"({"metadata":{"name":"rb","namespace":"a"},"roleRef":{"kind":"Role","name":"r"},"subjects":[{"kind":"User","name":"u"}]})"));
  std::vector<std::string> g = {"g"};
  EXPECT_EQ(index_.RulesFor(Subject{"u", g}, "a").size(), 2u);
  EXPECT_EQ(index_.RulesFor(Subject{"u", g}, "").size(), 1u);
  EXPECT_EQ(index_.RulesFor(Subject{"u", no_groups_}, "b").size(), 0u);
}

}  // namespace
}  // namespace skiff::apiserver::rbac
