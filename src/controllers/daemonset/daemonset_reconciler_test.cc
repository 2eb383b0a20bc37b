#include "controllers/daemonset/daemonset_reconciler.h"

#include <map>
#include <set>

#include "api/object_meta.h"
#include "api/resources.h"
#include "base/json.h"
#include "client/testing/fake_client.h"
#include "controllers/daemonset/daemon_util.h"
#include "controllers/workload/workload_util.h"
#include "gtest/gtest.h"

namespace skiff::controllers {
namespace {

const api::ResourceInfo& Pods() { return *api::FindResource("", "v1", "pods"); }
const api::ResourceInfo& Nodes() { return *api::FindResource("", "v1", "nodes"); }
const api::ResourceInfo& DaemonSets() { return *api::FindResource("apps", "v1", "daemonsets"); }
const api::ResourceInfo& Revisions() { return *api::FindResource("apps", "v1", "controllerrevisions"); }

boost::json::value Json(const char* text) { return *base::ParseJson(text); }

class DaemonSetReconcilerTest : public ::testing::Test {
 protected:
  DaemonSetReconcilerTest() : reconciler_(&client_, &ds_, &pods_, &nodes_, &revs_, {}) {}

  void AddNode(const std::string& name, const char* labels = "{}", const char* taints = "[]") {
    boost::json::value node = Json(R"({"apiVersion":"v1","kind":"Node","metadata":{},"spec":{}})");
    node.as_object()["metadata"].as_object()["name"] = name;
    node.as_object()["metadata"].as_object()["labels"] = Json(labels);
    node.as_object()["spec"].as_object()["taints"] = Json(taints);
    ASSERT_TRUE(client_.Create(Nodes(), "", node).ok());
  }
  void CreateDs(const char* extra_spec = "{}") {
    boost::json::value ds = Json(R"({"apiVersion":"apps/v1","kind":"DaemonSet",
      "metadata":{"name":"agent","namespace":"default"},
      "spec":{"selector":{"matchLabels":{"app":"agent"}},
              "template":{"metadata":{"labels":{"app":"agent"}},
                          "spec":{"containers":[{"name":"c","image":"busybox"}]}}}})");
    boost::json::value extra = Json(extra_spec);
    for (const auto& [k, v] : extra.as_object()) ds.as_object()["spec"].as_object()[k] = v;
    ASSERT_TRUE(client_.Create(DaemonSets(), "default", ds).ok());
  }
  void Sync() {
    ds_.Reset(client_.Objects(DaemonSets()));
    nodes_.Reset(client_.Objects(Nodes()));
    revs_.Reset(client_.Objects(Revisions()));
    pods_.Reset(client_.Objects(Pods()));
    std::map<std::string, client::Object> now;
    for (const auto& p : client_.Objects(Pods())) {
      now[api::Uid(*p)] = p;
      if (!seen_.count(api::Uid(*p))) reconciler_.OnPodAdded(*p);
    }
    for (const auto& [uid, pod] : seen_) {
      if (!now.count(uid)) reconciler_.OnPodDeleted(*pod);
    }
    seen_ = now;
  }
  client::ReconcileResult Reconcile() {
    Sync();
    auto r = reconciler_.Reconcile("default/agent");
    Sync();
    return r;
  }
  // Nodes (by affinity pin) of the live pods.
  std::multiset<std::string> PodNodes() {
    std::multiset<std::string> out;
    for (const auto& p : client_.Objects(Pods(), "default")) out.insert(DaemonPodNode(*p));
    return out;
  }
  // Simulates the scheduler and kubelet: every pod bound to its node, Running and Ready.
  void RunAll() {
    for (const auto& p : client_.Objects(Pods(), "default")) {
      boost::json::value next = *p;
      next.as_object()["spec"].as_object()["nodeName"] = DaemonPodNode(*p);
      ASSERT_TRUE(client_.Update(Pods(), "default", next).ok());
      next = *client_.Peek(Pods(), "default", api::Name(*p));
      next.as_object()["status"] = Json(R"({"phase":"Running","conditions":[{"type":"Ready","status":"True",
        "lastTransitionTime":"2020-01-01T00:00:00Z"}]})");
      ASSERT_TRUE(client_.Update(Pods(), "default", next, "status").ok());
    }
  }
  int64_t Status(const char* field) {
    return base::GetInt(*client_.Peek(DaemonSets(), "default", "agent"), {"status", field}, -1);
  }

  client::testing::FakeClient client_;
  MapCache ds_, pods_, nodes_, revs_;
  DaemonSetReconciler reconciler_;
  std::map<std::string, client::Object> seen_;  // uid -> last seen pod
};

TEST(DaemonUtilTest, EligibilityFollowsSelectorAffinityAndTaints) {
  boost::json::value node = Json(R"({"metadata":{"name":"n1","labels":{"disk":"ssd","gen":"5"}},
    "spec":{"taints":[{"key":"dedicated","value":"db","effect":"NoSchedule"}]}})");
  EXPECT_FALSE(FitsNode(Json("{}"), node).should_run);
  EXPECT_TRUE(FitsNode(Json("{}"), node).should_continue);  // NoSchedule does not evict
  boost::json::value spec = Json(R"({"tolerations":[{"key":"dedicated","operator":"Equal","value":"db"}],
    "nodeSelector":{"disk":"ssd"},
    "affinity":{"nodeAffinity":{"requiredDuringSchedulingIgnoredDuringExecution":{"nodeSelectorTerms":[
      {"matchExpressions":[{"key":"gen","operator":"Gt","values":["4"]}]}]}}}})");
  EXPECT_TRUE(FitsNode(spec, node).should_run);
  spec.as_object()["nodeSelector"] = Json(R"({"disk":"hdd"})");
  EXPECT_FALSE(FitsNode(spec, node).should_run);
  // Standard daemon tolerations: unschedulable and not-ready nodes still run daemon pods.
  boost::json::value cordoned = Json(R"({"metadata":{"name":"n2"},"spec":{"taints":[
    {"key":"node.kubernetes.io/unschedulable","effect":"NoSchedule"},
    {"key":"node.kubernetes.io/not-ready","effect":"NoExecute"}]}})");
  EXPECT_TRUE(FitsNode(Json("{}"), cordoned).should_run);
  boost::json::value tainted =
      Json(R"({"metadata":{"name":"n3"},"spec":{"taints":[{"key":"x","effect":"NoExecute"}]}})");
  EXPECT_FALSE(FitsNode(Json("{}"), tainted).should_continue);
  EXPECT_TRUE(NodeMatchesTerms(
      node, Json(R"([{"matchFields":[{"key":"metadata.name","operator":"In","values":["n1"]}]}])")));
  EXPECT_FALSE(NodeMatchesTerms(node, Json(R"([{}])")));
}

TEST_F(DaemonSetReconcilerTest, OnePodPerEligibleNodePinnedByAffinity) {
  AddNode("n1");
  AddNode("n2", R"({"role":"gpu"})");
  AddNode("n3", "{}", R"([{"key":"x","effect":"NoSchedule"}])");
  CreateDs();
  ASSERT_TRUE(Reconcile().status.ok());
  EXPECT_EQ(PodNodes(), (std::multiset<std::string>{"n1", "n2"}));
  auto pod = client_.Objects(Pods(), "default")[0];
  EXPECT_EQ(base::GetString(*pod, {"spec", "nodeName"}), "");  // the scheduler binds
  const auto& tolerations = base::FindPath(*pod, {"spec", "tolerations"})->as_array();
  EXPECT_EQ(tolerations.size(), 6u);
  EXPECT_EQ(base::GetString(*api::ControllerRef(*pod), {"kind"}), "DaemonSet");
  EXPECT_EQ(client_.Objects(Revisions(), "default").size(), 1u);
  ASSERT_TRUE(Reconcile().status.ok());  // steady state: nothing more
  EXPECT_EQ(PodNodes().size(), 2u);
  EXPECT_EQ(Status("desiredNumberScheduled"), 2);
  EXPECT_EQ(Status("currentNumberScheduled"), 2);
  EXPECT_EQ(Status("numberReady"), 0);
  RunAll();
  ASSERT_TRUE(Reconcile().status.ok());
  EXPECT_EQ(Status("numberReady"), 2);
  EXPECT_EQ(Status("numberAvailable"), 2);
  EXPECT_EQ(Status("updatedNumberScheduled"), 2);
  EXPECT_EQ(Status("observedGeneration"), 1);

  // A new node gets a pod; a node that stops matching loses it.
  AddNode("n4");
  ASSERT_TRUE(Reconcile().status.ok());
  EXPECT_EQ(PodNodes(), (std::multiset<std::string>{"n1", "n2", "n4"}));
}

TEST_F(DaemonSetReconcilerTest, NodeSelectorAndMisscheduled) {
  AddNode("n1", R"({"role":"gpu"})");
  AddNode("n2");
  CreateDs(R"({"template":{"metadata":{"labels":{"app":"agent"}},
    "spec":{"nodeSelector":{"role":"gpu"},"containers":[{"name":"c","image":"busybox"}]}}})");
  ASSERT_TRUE(Reconcile().status.ok());
  EXPECT_EQ(PodNodes(), (std::multiset<std::string>{"n1"}));
  // Label removed from n1: the pod is misscheduled and removed.
  boost::json::value n1 = *client_.Peek(Nodes(), "", "n1");
  n1.as_object()["metadata"].as_object()["labels"] = boost::json::object();
  ASSERT_TRUE(client_.Update(Nodes(), "", n1).ok());
  ASSERT_TRUE(Reconcile().status.ok());
  EXPECT_EQ(Status("numberMisscheduled"), 1);
  EXPECT_TRUE(PodNodes().empty());
}

TEST_F(DaemonSetReconcilerTest, RollingUpdateRespectsMaxUnavailable) {
  for (const char* n : {"n1", "n2", "n3"}) AddNode(n);
  CreateDs();
  ASSERT_TRUE(Reconcile().status.ok());
  RunAll();
  ASSERT_TRUE(Reconcile().status.ok());
  std::string old_hash = TemplateHash(*client_.Peek(DaemonSets(), "default", "agent"));
  boost::json::value ds = *client_.Peek(DaemonSets(), "default", "agent");
  ds.as_object()["spec"].as_object()["template"].as_object()["spec"].as_object()["containers"] =
      Json(R"([{"name":"c","image":"busybox:2"}])");
  ds.as_object()["metadata"].as_object()["generation"] = 2;
  ASSERT_TRUE(client_.Update(DaemonSets(), "default", ds).ok());
  ASSERT_TRUE(Reconcile().status.ok());
  EXPECT_EQ(PodNodes().size(), 2u);  // one old pod deleted (maxUnavailable 1)
  EXPECT_EQ(client_.Objects(Revisions(), "default").size(), 2u);
  for (int round = 0; round < 6; ++round) {
    ASSERT_TRUE(Reconcile().status.ok());
    EXPECT_GE(PodNodes().size(), 2u);
    RunAll();
  }
  ASSERT_TRUE(Reconcile().status.ok());
  EXPECT_EQ(PodNodes(), (std::multiset<std::string>{"n1", "n2", "n3"}));
  for (const auto& p : client_.Objects(Pods(), "default")) {
    EXPECT_NE(base::GetString(*p, {"metadata", "labels", kControllerRevisionHashLabel}), old_hash);
  }
  EXPECT_EQ(Status("updatedNumberScheduled"), 3);
}

TEST_F(DaemonSetReconcilerTest, RollingUpdateWithSurgeKeepsOldUntilNewAvailable) {
  AddNode("n1");
  CreateDs(
      R"({"updateStrategy":{"type":"RollingUpdate","rollingUpdate":{"maxSurge":1,"maxUnavailable":0}}})");
  ASSERT_TRUE(Reconcile().status.ok());
  RunAll();
  boost::json::value ds = *client_.Peek(DaemonSets(), "default", "agent");
  ds.as_object()["spec"]
      .as_object()["template"]
      .as_object()["metadata"]
      .as_object()["labels"]
      .as_object()["v"] = "2";
  ASSERT_TRUE(client_.Update(DaemonSets(), "default", ds).ok());
  ASSERT_TRUE(Reconcile().status.ok());
  EXPECT_EQ(PodNodes(), (std::multiset<std::string>{"n1", "n1"}));  // surge
  ASSERT_TRUE(Reconcile().status.ok());
  EXPECT_EQ(PodNodes().size(), 2u);  // the new one is not available yet
  RunAll();
  ASSERT_TRUE(Reconcile().status.ok());
  EXPECT_EQ(PodNodes(), (std::multiset<std::string>{"n1"}));
}

}  // namespace
}  // namespace skiff::controllers
