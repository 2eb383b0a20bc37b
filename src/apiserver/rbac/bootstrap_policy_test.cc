#include "apiserver/rbac/bootstrap_policy.h"

#include "base/json.h"
#include "boost/json.hpp"
#include "gtest/gtest.h"

namespace skiff::apiserver::rbac {
namespace {

namespace json = boost::json;

const json::value* Find(const std::vector<json::value>& objects, const std::string& name) {
  for (const auto& o : objects) {
    if (base::GetString(o, {"metadata", "name"}) == name) return &o;
  }
  return nullptr;
}

TEST(BootstrapPolicyTest, HasTheDefaultRolesAndBindings) {
  auto roles = BootstrapClusterRoles();
  for (const char* name : {"cluster-admin", "admin", "edit", "view", "system:basic-user", "system:discovery",
                           "system:public-info-viewer", "system:node", "system:node-proxier", "system:kube-scheduler",
                           "system:kube-controller-manager", "system:service-account-issuer-discovery",
                           "system:controller:clusterrole-aggregation-controller"}) {
    EXPECT_NE(Find(roles, name), nullptr) << name;
  }
  const json::value* edit = Find(roles, "edit");
  EXPECT_EQ(base::GetString(*edit, {"metadata", "labels", "rbac.authorization.k8s.io/aggregate-to-admin"}), "true");
  EXPECT_NE(base::FindPath(*edit, {"aggregationRule"}), nullptr);
  auto bindings = BootstrapClusterRoleBindings();
  const json::value* admin = Find(bindings, "cluster-admin");
  ASSERT_NE(admin, nullptr);
  EXPECT_EQ(base::GetString(*admin, {"subjects"}), "");
  EXPECT_EQ(base::ToJson(*base::FindPath(*admin, {"subjects"})),
            R"([{"kind":"Group","name":"system:masters","apiGroup":"rbac.authorization.k8s.io"}])");
}

TEST(BootstrapPolicyTest, ReconcileAddsWhatIsMissingAndKeepsExtras) {
  json::value expected = *Find(BootstrapClusterRoles(), "system:basic-user");
  EXPECT_EQ(ReconcileClusterRole(expected, nullptr), expected);
  EXPECT_FALSE(ReconcileClusterRole(expected, &expected).has_value());
  json::value trimmed = expected;
  trimmed.as_object()["rules"] = json::array{json::object{{"verbs", json::array{"get"}},
                                                          {"apiGroups", json::array{"x"}},
                                                          {"resources", json::array{"y"}}}};
  trimmed.as_object()["metadata"].as_object()["labels"].as_object().clear();
  auto fixed = ReconcileClusterRole(expected, &trimmed);
  ASSERT_TRUE(fixed.has_value());
  EXPECT_EQ(fixed->at("rules").as_array().size(), 1 + expected.at("rules").as_array().size());
  EXPECT_EQ(base::GetString(*fixed, {"metadata", "labels", "kubernetes.io/bootstrapping"}), "rbac-defaults");
  // autoupdate=false: left alone.
  trimmed.as_object()["metadata"].as_object()["annotations"].as_object()["rbac.authorization.kubernetes.io/autoupdate"] =
      "false";
  EXPECT_FALSE(ReconcileClusterRole(expected, &trimmed).has_value());
}

TEST(BootstrapPolicyTest, ReconcileBindingAddsSubjects) {
  json::value expected = *Find(BootstrapClusterRoleBindings(), "system:basic-user");
  json::value existing = expected;
  existing.as_object()["subjects"] = json::array{json::object{{"kind", "User"}, {"name", "extra"}}};
  auto fixed = ReconcileClusterRoleBinding(expected, &existing);
  ASSERT_TRUE(fixed.has_value());
  EXPECT_EQ(fixed->at("subjects").as_array().size(), 2u);
}

TEST(BootstrapPolicyTest, NodesAreBoundToTheProxyAndDnsRolesButNotSystemNode) {
  auto bindings = BootstrapClusterRoleBindings();
  const json::value* node = Find(bindings, "system:node");
  ASSERT_NE(node, nullptr);
  EXPECT_EQ(base::ToJson(*base::FindPath(*node, {"subjects"})), "[]");
  for (const char* name : {"skiff:node-proxier", "skiff:node-dns"}) {
    const json::value* b = Find(bindings, name);
    ASSERT_NE(b, nullptr) << name;
    EXPECT_EQ(base::GetString(b->at("subjects").at(0), {"name"}), "system:nodes") << name;
  }
  // A cluster bootstrapped before the Node authorizer loses the group on system:node, and only it.
  json::value existing = *node;
  existing.as_object()["subjects"] = *base::ParseJson(R"([
      {"kind":"Group","name":"system:nodes","apiGroup":"rbac.authorization.k8s.io"},
      {"kind":"User","name":"someone","apiGroup":"rbac.authorization.k8s.io"}])");
  auto fixed = ReconcileClusterRoleBinding(*node, &existing);
  ASSERT_TRUE(fixed.has_value());
  EXPECT_EQ(base::ToJson(*base::FindPath(*fixed, {"subjects"})),
            R"([{"kind":"User","name":"someone","apiGroup":"rbac.authorization.k8s.io"}])");
  EXPECT_FALSE(ReconcileClusterRoleBinding(*node, &*fixed).has_value());
}

}  // namespace
}  // namespace skiff::apiserver::rbac
