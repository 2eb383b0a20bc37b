// NodeAuthorizer decisions, and Node,RBAC plus NodeRestriction on a real SQLite store, watch cache
// and ResourceStorage (as `skiff server` wires them); the decision time with 5,000 pods on 100 nodes.
#include "apiserver/node_authorizer/node_authorizer.h"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <vector>

#include "absl/strings/str_cat.h"
#include "api/errors.h"
#include "api/object_meta.h"
#include "api/resources.h"
#include "apiserver/node_authorizer/node_restriction.h"
#include "apiserver/node_authorizer_sources.h"
#include "apiserver/rbac_authorizer.h"
#include "apiserver/rbac_bootstrap.h"
#include "apiserver/testing/storage_fixture.h"
#include "base/json.h"
#include "base/testing/wait_for.h"
#include "boost/json.hpp"
#include "gtest/gtest.h"

namespace skiff::apiserver::node_authorizer {
namespace {

namespace json = boost::json;

const User kNode1{"system:node:n1", "", {"system:nodes", "system:authenticated"}};

RequestInfo Request(const std::string& verb, const std::string& resource, const std::string& ns,
                    const std::string& name = "", const std::string& group = "",
                    const std::string& sub = "") {
  RequestInfo info;
  info.is_resource = true;
  info.verb = verb;
  info.resource = resource;
  info.namespace_name = ns;
  info.name = name;
  info.group = group;
  info.subresource = sub;
  return info;
}

json::value PodOn(const std::string& name, const std::string& node, const std::string& secret) {
  return *base::ParseJson(absl::StrCat(R"({"metadata":{"namespace":"ns","name":")", name,
                                       R"("},"spec":{"nodeName":")", node,
                                       R"(","serviceAccountName":"sa","containers":[{"name":"c","image":"i"}],
      "volumes":[{"name":"v","secret":{"secretName":")",
                                       secret, R"("}}]}})"));
}

class NodeAuthorizerDecisionTest : public ::testing::Test {
 protected:
  bool Allowed(const RequestInfo& r, const User& user = kNode1) {
    return authorizer_.Decide(user, r).allowed;
  }
  std::string Reason(const RequestInfo& r) { return authorizer_.Decide(kNode1, r).reason; }
  NodeAuthorizer authorizer_{nullptr};
};

TEST_F(NodeAuthorizerDecisionTest, SecretsOnlyThroughTheNodesPods) {
  authorizer_.graph().UpsertPod(PodOn("p", "n1", "used"));
  authorizer_.graph().UpsertPod(PodOn("q", "n2", "theirs"));
  EXPECT_TRUE(Allowed(Request("get", "secrets", "ns", "used")));
  EXPECT_FALSE(Allowed(Request("get", "secrets", "ns", "theirs")));
  EXPECT_EQ(Reason(Request("get", "secrets", "ns", "theirs")),
            "no relationship found between node 'n1' and this object");
  EXPECT_FALSE(Allowed(Request("list", "secrets", "ns")));
  EXPECT_EQ(Reason(Request("list", "secrets", "ns")), "No Object name found");
  RequestInfo watch_one = Request("watch", "secrets", "ns");
  watch_one.field_selector = "metadata.name=used";
  EXPECT_TRUE(Allowed(watch_one));
  EXPECT_FALSE(Allowed(Request("update", "secrets", "ns", "used")));
  EXPECT_EQ(Reason(Request("delete", "secrets", "ns", "used")), "can only read resources of this type");
  // Users that are not nodes get no opinion at all.
  User alice{"alice", "", {"system:authenticated"}};
  EXPECT_FALSE(Allowed(Request("get", "secrets", "ns", "used"), alice));
  EXPECT_EQ(authorizer_.Decide(alice, Request("get", "secrets", "ns", "used")).reason, "");
  User nameless{"someone", "", {"system:nodes"}};
  EXPECT_FALSE(Allowed(Request("get", "secrets", "ns", "used"), nameless));
}

TEST_F(NodeAuthorizerDecisionTest, PodsNodesLeasesAndTokens) {
  authorizer_.graph().UpsertPod(PodOn("p", "n1", "used"));
  EXPECT_TRUE(Allowed(Request("get", "pods", "ns", "p")));
  EXPECT_FALSE(Allowed(Request("list", "pods", "")));
  RequestInfo mine = Request("watch", "pods", "");
  mine.field_selector = "spec.nodeName=n1";
  EXPECT_TRUE(Allowed(mine));
  mine.field_selector = "spec.nodeName=n2";
  EXPECT_FALSE(Allowed(mine));
  EXPECT_TRUE(Allowed(Request("patch", "pods", "ns", "p", "", "status")));
  EXPECT_TRUE(Allowed(Request("create", "pods", "ns", "", "", "eviction")));
  EXPECT_FALSE(Allowed(Request("update", "pods", "ns", "p")));

  EXPECT_TRUE(Allowed(Request("get", "nodes", "", "n1")));
  EXPECT_FALSE(Allowed(Request("get", "nodes", "", "n2")));
  EXPECT_EQ(Reason(Request("list", "nodes", "")),
            "node 'n1' cannot read all nodes, only its own Node object");
  EXPECT_TRUE(Allowed(Request("patch", "nodes", "", "n2")));  // NodeRestriction refuses it
  EXPECT_FALSE(Allowed(Request("delete", "nodes", "", "n1")));

  EXPECT_TRUE(Allowed(Request("update", "leases", "kube-node-lease", "n1", "coordination.k8s.io")));
  EXPECT_FALSE(Allowed(Request("update", "leases", "kube-node-lease", "n2", "coordination.k8s.io")));
  EXPECT_FALSE(Allowed(Request("get", "leases", "kube-system", "n1", "coordination.k8s.io")));

  EXPECT_TRUE(Allowed(Request("create", "serviceaccounts", "ns", "sa", "", "token")));
  EXPECT_FALSE(Allowed(Request("create", "serviceaccounts", "ns", "other", "", "token")));
  EXPECT_FALSE(Allowed(Request("get", "serviceaccounts", "ns", "sa")));

  // What the graph does not subdivide follows the system:node role.
  EXPECT_TRUE(Allowed(Request("create", "events", "ns")));
  EXPECT_TRUE(Allowed(Request("create", "certificatesigningrequests", "", "", "certificates.k8s.io")));
  EXPECT_FALSE(Allowed(Request("delete", "namespaces", "", "ns")));
  EXPECT_FALSE(Allowed(Request("create", "deployments", "ns", "", "apps")));
}

TEST_F(NodeAuthorizerDecisionTest, DecisionTimeWithFiveThousandPodsOnAHundredNodes) {
  for (int i = 0; i < 5000; ++i) {
    authorizer_.graph().UpsertPod(
        PodOn(absl::StrCat("pod-", i), absl::StrCat("n", i % 100), absl::StrCat("s-", i)));
  }
  std::vector<double> micros;
  constexpr int kDecisions = 20000;
  micros.reserve(kDecisions);
  int allowed = 0;
  for (int i = 0; i < kDecisions; ++i) {
    // Half hit (the node's own pod's secret), half miss (another node's).
    int pod = (i * 7919) % 5000;
    std::string node = absl::StrCat("n", i % 2 == 0 ? pod % 100 : (pod + 1) % 100);
    User user{"system:node:" + node, "", {"system:nodes"}};
    RequestInfo r = Request("get", "secrets", "ns", absl::StrCat("s-", pod));
    auto start = std::chrono::steady_clock::now();
    bool ok = authorizer_.Decide(user, r).allowed;
    micros.push_back(
        std::chrono::duration<double, std::micro>(std::chrono::steady_clock::now() - start).count());
    allowed += ok;
  }
  EXPECT_EQ(allowed, kDecisions / 2);
  std::sort(micros.begin(), micros.end());
  double p50 = micros[micros.size() / 2];
  double p99 = micros[micros.size() * 99 / 100];
  std::printf("node authorizer decision, 5000 pods on 100 nodes: p50 %.2f us, p99 %.2f us\n", p50, p99);
  EXPECT_LT(p99, 50.0);  // generous for a loaded machine; typically a few microseconds
}

// The authorizer chain and NodeRestriction on a real store, fed through the watch cache (the API
// server's Sources over it, as `skiff server` wires them).
class NodeAuthorizationTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto fixture = apiserver::testing::StorageFixture::Open(&base::RealClock(), {"ns"});
    ASSERT_TRUE(fixture.ok()) << fixture.status();
    fixture_ = std::move(*fixture);
    storage_ = fixture_->storage();
    sources_ = std::make_unique<NodeAuthorizerSources>(fixture_->cache());
    restriction_ = std::make_unique<NodeRestriction>(sources_.get());
    storage_->AddAdmissionPlugin(restriction_.get());
    ASSERT_TRUE(EnsureBootstrapPolicy(storage_).ok());
    rbac_ = std::make_unique<RbacAuthorizer>(fixture_->cache());
    ASSERT_TRUE(rbac_->Start().ok());
    node_ = std::make_unique<NodeAuthorizer>(sources_.get());
    ASSERT_TRUE(node_->Start().ok());
    chain_ = std::make_unique<NodeAndRbacAuthorizer>(node_.get(), rbac_.get());
  }
  void TearDown() override {
    chain_.reset();
    node_.reset();
    rbac_.reset();
    fixture_.reset();  // the storage borrows the plug-in: it goes first
    restriction_.reset();
    sources_.reset();
  }
  absl::StatusOr<ObjectPtr> Create(const char* plural, const std::string& ns, const std::string& body) {
    return fixture_->Create(plural, ns, body);
  }

  std::unique_ptr<apiserver::testing::StorageFixture> fixture_;
  ResourceStorage* storage_ = nullptr;
  std::unique_ptr<NodeAuthorizerSources> sources_;
  std::unique_ptr<NodeRestriction> restriction_;
  std::unique_ptr<RbacAuthorizer> rbac_;
  std::unique_ptr<NodeAuthorizer> node_;
  std::unique_ptr<NodeAndRbacAuthorizer> chain_;
};

TEST_F(NodeAuthorizationTest, APodWrittenAMomentAgoGrantsItsSecretAndDeletionRevokesIt) {
  ASSERT_TRUE(Create("secrets", "ns", R"({"metadata":{"name":"used"}})").ok());
  auto pod = Create("pods", "ns", base::ToJson(PodOn("p", "n1", "used")));
  ASSERT_TRUE(pod.ok()) << pod.status();
  // No wait: a miss waits for the graph to catch up with the cache.
  EXPECT_TRUE(chain_->Authorize(kNode1, Request("get", "secrets", "ns", "used")).ok());
  absl::Status denied = chain_->Authorize(kNode1, Request("get", "secrets", "ns", "unused"));
  EXPECT_EQ(api::HttpCode(denied), 403);
  EXPECT_EQ(
      denied.message(),
      R"(secrets "unused" is forbidden: User "system:node:n1" cannot get resource "secrets" in API group "" )"
      R"(in the namespace "ns": no relationship found between node 'n1' and this object)");
  DeleteOptions now;
  now.grace_period_seconds = 0;
  bool deleted = false;
  ASSERT_TRUE(storage_->Delete(*api::FindResource("", "v1", "pods"), "ns", "p", now, &deleted).ok());
  // The graph learns of the deletion from the cache, a moment later.
  EXPECT_TRUE(base::testing::WaitFor(
      [&] { return !chain_->Authorize(kNode1, Request("get", "secrets", "ns", "used")).ok(); }));
  // RBAC still decides what the node authorizer has no opinion on (the proxy's reads).
  EXPECT_TRUE(chain_->Authorize(kNode1, Request("list", "services", "")).ok());
  EXPECT_EQ(api::HttpCode(chain_->Authorize(kNode1, Request("delete", "namespaces", "", "ns"))), 403);
}

TEST_F(NodeAuthorizationTest, TokenRequestsMustBeBoundToAPodOnTheNode) {
  auto pod = Create("pods", "ns", base::ToJson(PodOn("p", "n1", "used")));
  ASSERT_TRUE(pod.ok()) << pod.status();
  auto other = Create("pods", "ns", base::ToJson(PodOn("q", "n2", "used")));
  ASSERT_TRUE(other.ok());
  const api::ResourceInfo& sa = *api::FindResource("", "v1", "serviceaccounts");
  AdmissionRequest request{.operation = AdmissionOperation::kCreate,
                           .resource = &sa,
                           .subresource = "token",
                           .ns = "ns",
                           .name = "sa",
                           .user = &kNode1};
  auto token = [&](const std::string& pod_name, const std::string& uid) {
    json::value body = json::object{
        {"spec",
         json::object{{"boundObjectRef", json::object{{"kind", "Pod"}, {"name", pod_name}, {"uid", uid}}}}}};
    return restriction_->Validate(request, &body, nullptr);
  };
  std::string uid = api::Uid((*pod)->Parse());
  EXPECT_TRUE(token("p", uid).ok()) << token("p", uid);
  EXPECT_EQ(
      token("q", api::Uid((*other)->Parse())).message(),
      R"(serviceaccounts "sa" is forbidden: node requested token bound to a pod scheduled on a different node)");
  EXPECT_EQ(api::HttpCode(token("p", "stale-uid")), 403);
  json::value unbound = json::object{{"spec", json::object{}}};
  EXPECT_EQ(restriction_->Validate(request, &unbound, nullptr).message(),
            R"(serviceaccounts "sa" is forbidden: node requested token not bound to a pod)");
}

}  // namespace
}  // namespace skiff::apiserver::node_authorizer
