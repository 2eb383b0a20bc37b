// RbacAuthorizer, RbacEscalationCheck, Impersonate and the bootstrap policy on a real SQLite store,
// watch cache and ResourceStorage (the API server's StorageFixture).
#include "apiserver/rbac_authorizer.h"

#include "api/errors.h"
#include "api/resources.h"
#include "apiserver/rbac_bootstrap.h"
#include "apiserver/testing/storage_fixture.h"
#include "base/json.h"
#include "boost/json.hpp"
#include "gtest/gtest.h"

namespace skiff::apiserver {
namespace {

namespace json = boost::json;

class RbacAuthorizerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto f = testing::StorageFixture::Open(&base::RealClock(), {"a", "b"});
    ASSERT_TRUE(f.ok()) << f.status();
    fixture_ = std::move(*f);
    storage_ = fixture_->storage();
    ASSERT_TRUE(EnsureBootstrapPolicy(storage_).ok());
    authorizer_ = std::make_unique<RbacAuthorizer>(fixture_->cache());
    ASSERT_TRUE(authorizer_->Start().ok());
    check_ = std::make_unique<RbacEscalationCheck>(authorizer_.get());
    storage_->AddAdmissionPlugin(check_.get());
  }
  absl::Status Create(const std::string& group, const std::string& version, const std::string& plural,
                      const std::string& ns, const std::string& body, const User* as = nullptr) {
    WriteOptions options;
    options.user = as;
    return storage_->Create(*api::FindResource(group, version, plural), ns, *base::ParseJson(body), options)
        .status();
  }
  absl::Status CreateRbac(const std::string& plural, const std::string& ns, const std::string& body,
                          const User* as = nullptr) {
    return Create("rbac.authorization.k8s.io", "v1", plural, ns, body, as);
  }
  absl::Status Can(const User& user, const std::string& verb, const std::string& resource, const std::string& ns,
                   const std::string& name = "", const std::string& group = "") {
    RequestInfo info;
    info.is_resource = true;
    info.verb = verb;
    info.resource = resource;
    info.namespace_name = ns;
    info.name = name;
    info.group = group;
    return authorizer_->Authorize(user, info);
  }

  std::unique_ptr<testing::StorageFixture> fixture_;
  ResourceStorage* storage_ = nullptr;
  std::unique_ptr<RbacAuthorizer> authorizer_;
  std::unique_ptr<RbacEscalationCheck> check_;
  User alice_{"alice", "", {"devs", "system:authenticated"}};
  User admin_{"admin", "", {"system:masters", "system:authenticated"}};
};

TEST_F(RbacAuthorizerTest, DenialsAreWordedLikeKubernetes) {
  auto s = Can(alice_, "list", "pods", "a");
  EXPECT_EQ(api::HttpCode(s), 403);
  EXPECT_EQ(s.message(), R"(pods is forbidden: User "alice" cannot list resource "pods" in API group "" in the namespace "a")");
  s = Can(alice_, "get", "deployments", "a", "web", "apps");
  EXPECT_EQ(s.message(),
            R"(deployments.apps "web" is forbidden: User "alice" cannot get resource "deployments" in API group "apps" in the namespace "a")");
  s = Can(alice_, "delete", "nodes", "", "n1");
  EXPECT_EQ(s.message(), R"(nodes "n1" is forbidden: User "alice" cannot delete resource "nodes" in API group "" at the cluster scope)");
  // A namespace object is in its own namespace.
  s = Can(alice_, "get", "namespaces", "", "a");
  EXPECT_EQ(s.message(), R"(namespaces "a" is forbidden: User "alice" cannot get resource "namespaces" in API group "" in the namespace "a")");
  RequestInfo metrics;
  metrics.verb = "get";
  metrics.path = "/metrics";
  EXPECT_EQ(authorizer_->Authorize(alice_, metrics).message(), R"(forbidden: User "alice" cannot get path "/metrics")");
  EXPECT_TRUE(Can(admin_, "delete", "nodes", "", "n1").ok());
}

TEST_F(RbacAuthorizerTest, PodConnectGetsAlsoNeedCreate) {
  // `get` alone on pods/exec no longer opens a WebSocket exec: `create` is needed too.
  ASSERT_TRUE(CreateRbac("roles", "a", R"({"metadata":{"name":"exec-get"},
      "rules":[{"verbs":["get"],"apiGroups":[""],"resources":["pods/exec","pods/attach","pods/portforward"]}]})")
                  .ok());
  ASSERT_TRUE(CreateRbac("rolebindings", "a", R"({"metadata":{"name":"exec-get"},
      "roleRef":{"apiGroup":"rbac.authorization.k8s.io","kind":"Role","name":"exec-get"},
      "subjects":[{"kind":"Group","name":"devs"}]})").ok());
  authorizer_->WaitForSync();
  RequestInfo exec;
  exec.is_resource = true;
  exec.verb = "get";
  exec.resource = "pods";
  exec.subresource = "exec";
  exec.namespace_name = "a";
  exec.name = "web";
  EXPECT_TRUE(authorizer_->Authorize(alice_, exec).ok());  // the authorizer alone says yes
  for (const char* sub : {"exec", "attach", "portforward"}) {
    exec.subresource = sub;
    absl::Status s = AuthorizeRequest(*authorizer_, alice_, exec);
    EXPECT_EQ(api::HttpCode(s), 403) << sub;
    EXPECT_EQ(s.message(), absl::StrCat(R"(pods "web" is forbidden: User "alice" cannot create resource "pods/)", sub,
                                        R"(" in API group "" in the namespace "a")"));
  }
  // Logs are no connect: `get` is enough.
  exec.subresource = "log";
  ASSERT_TRUE(CreateRbac("roles", "a", R"({"metadata":{"name":"exec-create"},
      "rules":[{"verbs":["create","get"],"apiGroups":[""],"resources":["pods/exec","pods/log"]}]})")
                  .ok());
  ASSERT_TRUE(CreateRbac("rolebindings", "a", R"({"metadata":{"name":"exec-create"},
      "roleRef":{"apiGroup":"rbac.authorization.k8s.io","kind":"Role","name":"exec-create"},
      "subjects":[{"kind":"Group","name":"devs"}]})").ok());
  authorizer_->WaitForSync();
  EXPECT_TRUE(AuthorizeRequest(*authorizer_, alice_, exec).ok());
  exec.subresource = "exec";
  EXPECT_TRUE(AuthorizeRequest(*authorizer_, alice_, exec).ok());
  exec.verb = "create";  // the SPDY POST
  EXPECT_TRUE(AuthorizeRequest(*authorizer_, alice_, exec).ok());
  exec.subresource = "attach";
  EXPECT_EQ(api::HttpCode(AuthorizeRequest(*authorizer_, alice_, exec)), 403);
}

TEST_F(RbacAuthorizerTest, BootstrapBindingsGrantTheBasics) {
  RequestInfo api;
  api.verb = "get";
  api.path = "/apis/apps/v1";
  EXPECT_TRUE(authorizer_->Authorize(alice_, api).ok());
  EXPECT_TRUE(Can(alice_, "create", "selfsubjectrulesreviews", "", "", "authorization.k8s.io").ok());
  // RBAC alone gives nodes only what their proxy, DNS and NetworkPolicy enforcer read (every
  // pod, namespace and policy): the Node authorizer grants the rest.
  User node{"system:node:n1", "", {"system:nodes", "system:authenticated"}};
  EXPECT_TRUE(Can(node, "list", "pods", "").ok());
  EXPECT_EQ(api::HttpCode(Can(node, "create", "pods", "a")), 403);
  EXPECT_EQ(api::HttpCode(Can(node, "get", "pods", "a", "p")), 403);
  EXPECT_TRUE(Can(node, "watch", "networkpolicies", "", "", "networking.k8s.io").ok());
  EXPECT_EQ(api::HttpCode(Can(node, "create", "leases", "kube-node-lease", "", "coordination.k8s.io")), 403);
  EXPECT_EQ(api::HttpCode(Can(node, "list", "secrets", "a")), 403);
  EXPECT_TRUE(Can(node, "list", "endpointslices", "", "", "discovery.k8s.io").ok());
  EXPECT_TRUE(Can(node, "list", "services", "").ok());
}

TEST_F(RbacAuthorizerTest, ABindingTakesEffectForTheNextRequest) {
  ASSERT_TRUE(CreateRbac("roles", "a", R"({"metadata":{"name":"r"},
      "rules":[{"verbs":["get","list"],"apiGroups":[""],"resources":["pods"]}]})").ok());
  ASSERT_TRUE(CreateRbac("rolebindings", "a", R"({"metadata":{"name":"rb"},
      "roleRef":{"apiGroup":"rbac.authorization.k8s.io","kind":"Role","name":"r"},
      "subjects":[{"kind":"Group","name":"devs"}]})").ok());
  std::string reason;
  RequestInfo info;
  info.is_resource = true;
  info.verb = "list";
  info.resource = "pods";
  info.namespace_name = "a";
  EXPECT_TRUE(authorizer_->Authorize(alice_, info, &reason).ok());
  EXPECT_EQ(reason, R"(RBAC: allowed by RoleBinding "rb/a" of Role "r" to Group "devs")");
  EXPECT_EQ(api::HttpCode(Can(alice_, "list", "pods", "b")), 403);
  json::object review = authorizer_->RulesReview(alice_, "a");
  EXPECT_NE(base::ToJson(review["resourceRules"]).find(R"("resources":["pods"])"), std::string::npos);
}

TEST_F(RbacAuthorizerTest, EscalationNeedsHeldPermissionsOrEscalateAndBind) {
  ASSERT_TRUE(CreateRbac("roles", "a", R"({"metadata":{"name":"writer"},"rules":[
      {"verbs":["create","update"],"apiGroups":["rbac.authorization.k8s.io"],"resources":["roles","rolebindings"]},
      {"verbs":["get"],"apiGroups":[""],"resources":["pods"]}]})").ok());
  ASSERT_TRUE(CreateRbac("rolebindings", "a", R"({"metadata":{"name":"alice"},
      "roleRef":{"apiGroup":"rbac.authorization.k8s.io","kind":"Role","name":"writer"},
      "subjects":[{"kind":"User","name":"alice"}]})").ok());
  EXPECT_TRUE(CreateRbac("roles", "a", R"({"metadata":{"name":"ok"},
      "rules":[{"verbs":["get"],"apiGroups":[""],"resources":["pods"]}]})", &alice_).ok());
  auto refused = CreateRbac("roles", "a", R"({"metadata":{"name":"more"},
      "rules":[{"verbs":["get","delete"],"apiGroups":[""],"resources":["pods","secrets"]}]})", &alice_);
  EXPECT_EQ(api::HttpCode(refused), 403);
  EXPECT_EQ(refused.message(),
            "roles.rbac.authorization.k8s.io \"more\" is forbidden: user \"alice\" (groups=[\"devs\" "
            "\"system:authenticated\"]) is attempting to grant RBAC permissions not currently held:\n"
            "{APIGroups:[\"\"], Resources:[\"pods\"], Verbs:[\"delete\"]}\n"
            "{APIGroups:[\"\"], Resources:[\"secrets\"], Verbs:[\"get\" \"delete\"]}");
  // Binding a role she holds is fine; binding cluster-admin is not, nor a missing role.
  EXPECT_TRUE(CreateRbac("rolebindings", "a", R"({"metadata":{"name":"b1"},
      "roleRef":{"apiGroup":"rbac.authorization.k8s.io","kind":"Role","name":"ok"},
      "subjects":[{"kind":"User","name":"bob"}]})", &alice_).ok());
  EXPECT_EQ(api::HttpCode(CreateRbac("rolebindings", "a", R"({"metadata":{"name":"b2"},
      "roleRef":{"apiGroup":"rbac.authorization.k8s.io","kind":"ClusterRole","name":"cluster-admin"},
      "subjects":[{"kind":"User","name":"bob"}]})", &alice_)), 403);
  EXPECT_EQ(api::HttpCode(CreateRbac("rolebindings", "a", R"({"metadata":{"name":"b3"},
      "roleRef":{"apiGroup":"rbac.authorization.k8s.io","kind":"Role","name":"nope"},
      "subjects":[{"kind":"User","name":"bob"}]})", &alice_)), 404);
  // `escalate` and `bind` lift the checks.
  ASSERT_TRUE(CreateRbac("roles", "a", R"({"metadata":{"name":"lift"},"rules":[
      {"verbs":["escalate"],"apiGroups":["rbac.authorization.k8s.io"],"resources":["roles"]},
      {"verbs":["bind"],"apiGroups":["rbac.authorization.k8s.io"],"resources":["clusterroles"],"resourceNames":["cluster-admin"]}]})").ok());
  ASSERT_TRUE(CreateRbac("rolebindings", "a", R"({"metadata":{"name":"alice-lift"},
      "roleRef":{"apiGroup":"rbac.authorization.k8s.io","kind":"Role","name":"lift"},
      "subjects":[{"kind":"User","name":"alice"}]})").ok());
  EXPECT_TRUE(CreateRbac("roles", "a", R"({"metadata":{"name":"more"},
      "rules":[{"verbs":["*"],"apiGroups":["*"],"resources":["*"]}]})", &alice_).ok());
  EXPECT_TRUE(CreateRbac("rolebindings", "a", R"({"metadata":{"name":"b2"},
      "roleRef":{"apiGroup":"rbac.authorization.k8s.io","kind":"ClusterRole","name":"cluster-admin"},
      "subjects":[{"kind":"User","name":"bob"}]})", &alice_).ok());
}

TEST_F(RbacAuthorizerTest, GarbageCollectionFieldsNeedNoEscalationCheck) {
  ASSERT_TRUE(CreateRbac("roles", "a", R"({"metadata":{"name":"big"},
      "rules":[{"verbs":["*"],"apiGroups":["*"],"resources":["*"]}]})").ok());
  User gc{"system:serviceaccount:kube-system:generic-garbage-collector", "", {"system:serviceaccounts"}};
  WriteOptions options;
  options.user = &gc;
  const api::ResourceInfo& roles = *api::FindResource("rbac.authorization.k8s.io", "v1", "roles");
  auto updated = storage_->Update(
      roles, "a", "big",
      [](const ObjectPtr& current) -> absl::StatusOr<json::value> {
        json::value next = current->Parse();
        next.as_object()["metadata"].as_object()["finalizers"] = json::array{"example.com/keep"};
        return next;
      },
      options, false);
  EXPECT_TRUE(updated.ok()) << updated.status();
  auto escalated = storage_->Update(
      roles, "a", "big",
      [](const ObjectPtr& current) -> absl::StatusOr<json::value> {
        json::value next = current->Parse();
        next.as_object()["rules"].as_array().push_back(json::object{
            {"verbs", json::array{"get"}}, {"apiGroups", json::array{""}}, {"resources", json::array{"x"}}});
        return next;
      },
      options, false);
  EXPECT_EQ(api::HttpCode(escalated.status()), 403);
}

TEST_F(RbacAuthorizerTest, ImpersonationChecksEachPart) {
  http::HttpRequest req;
  req.headers["impersonate-user"] = "bob";
  req.headers["impersonate-group"] = "devs";
  auto refused = Impersonate(*authorizer_, alice_, req);
  EXPECT_EQ(refused.status().message(),
            R"(users "bob" is forbidden: User "alice" cannot impersonate resource "users" in API group "" at the cluster scope)");
  auto as_bob = Impersonate(*authorizer_, admin_, req);
  ASSERT_TRUE(as_bob.ok());
  EXPECT_EQ(as_bob->name, "bob");
  EXPECT_EQ(as_bob->groups, (std::vector<std::string>{"devs", "system:authenticated"}));
  http::HttpRequest plain;
  EXPECT_EQ(Impersonate(*authorizer_, alice_, plain)->name, "alice");
  http::HttpRequest groups_only;
  groups_only.headers["impersonate-group"] = "devs";
  EXPECT_EQ(api::HttpCode(Impersonate(*authorizer_, admin_, groups_only).status()), 400);
}

TEST_F(RbacAuthorizerTest, BootstrapIsIdempotentAndRestoresDeletedRoles) {
  const api::ResourceInfo& cr = *api::FindResource("rbac.authorization.k8s.io", "v1", "clusterroles");
  int64_t before = fixture_->cache()->Revision();
  ASSERT_TRUE(EnsureBootstrapPolicy(storage_).ok());
  EXPECT_EQ(fixture_->cache()->Revision(), before);  // nothing to change
  bool deleted = false;
  ASSERT_TRUE(storage_->Delete(cr, "", "system:basic-user", DeleteOptions{}, &deleted).ok());
  ASSERT_TRUE(EnsureBootstrapPolicy(storage_).ok());
  EXPECT_TRUE(storage_->Get(cr, "", "system:basic-user").ok());
}

}  // namespace
}  // namespace skiff::apiserver
