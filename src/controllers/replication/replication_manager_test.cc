// The ReplicaSet reconciler run for ReplicationControllers (ReplicationControllerOwner()): the
// parts that differ from ReplicaSets — the resource, the controller ref's apiVersion/kind and the
// plain label-map selector. The shared logic is tested in replicaset_reconciler_test.cc.
#include "api/object_meta.h"
#include "api/resources.h"
#include "base/json.h"
#include "base/testing/fake_clock.h"
#include "client/testing/fake_client.h"
#include "controllers/replicaset/replicaset_reconciler.h"
#include "controllers/workload/workload_util.h"
#include "gtest/gtest.h"

namespace skiff::controllers {
namespace {

using client::testing::FakeClient;

const api::ResourceInfo& Pods() { return *api::FindResource("", "v1", "pods"); }
const api::ResourceInfo& Rcs() { return *api::FindResource("", "v1", "replicationcontrollers"); }

boost::json::value Json(const char* text) { return *base::ParseJson(text); }

boost::json::value MakeRc(int replicas) {
  boost::json::value rc = Json(R"({"apiVersion":"v1","kind":"ReplicationController",
    "metadata":{"name":"web","namespace":"default","generation":1},
    "spec":{"selector":{"app":"web"},
            "template":{"metadata":{"labels":{"app":"web","tier":"fe"}},
                        "spec":{"containers":[{"name":"c","image":"nginx"}]}}}})");
  rc.as_object()["spec"].as_object()["replicas"] = replicas;
  return rc;
}

boost::json::value MakePod(const char* name, const char* app) {
  boost::json::value pod = Json(R"({"metadata":{"namespace":"default"},
                                    "spec":{"containers":[{"name":"c","image":"x"}]}})");
  pod.as_object()["metadata"].as_object()["name"] = name;
  pod.as_object()["metadata"].as_object()["labels"] = boost::json::object{{"app", app}};
  return pod;
}

class ReplicationControllerTest : public ::testing::Test {
 protected:
  ReplicationControllerTest() : client_(&clock_) {
    ReplicaSetReconciler::Options options;
    options.owner = &ReplicationControllerOwner();
    options.clock = &clock_;
    reconciler_ = std::make_unique<ReplicaSetReconciler>(&client_, &rc_cache_, &pod_cache_, options);
  }

  client::ReconcileResult SyncAndReconcile() {
    rc_cache_.Reset(client_.Objects(Rcs()));
    pod_cache_.Reset(client_.Objects(Pods()));
    for (const auto& p : client_.Objects(Pods())) reconciler_->OnPodAdded(*p);
    return reconciler_->Reconcile("default/web");
  }

  client::Object Rc() { return *client_.Get(Rcs(), "default", "web"); }
  client::Object Pod(const char* name) { return *client_.Get(Pods(), "default", name); }
  std::vector<client::Object> PodList() { return client_.Objects(Pods(), "default"); }
  void SetReplicas(int n) {
    boost::json::value rc = *Rc();
    rc.as_object()["spec"].as_object()["replicas"] = n;
    ASSERT_TRUE(client_.Update(Rcs(), "default", rc).ok());
  }

  base::testing::FakeClock clock_;
  FakeClient client_;
  MapCache rc_cache_;
  MapCache pod_cache_;
  std::unique_ptr<ReplicaSetReconciler> reconciler_;
};

TEST(ReplicaOwnerTest, MapSelectorMatchesItsLabels) {
  const ReplicaOwner& rc = ReplicationControllerOwner();
  EXPECT_EQ(rc.resource->plural, "replicationcontrollers");
  auto selector = rc.Selector(MakeRc(1));
  ASSERT_TRUE(selector.ok()) << selector.status();
  EXPECT_EQ(selector->String(), "app=web");
  boost::json::value labels = boost::json::object{{"app", "web"}, {"x", "y"}};
  EXPECT_TRUE(selector->Matches(&labels));
  auto none = rc.Selector(Json(R"({"spec":{}})"));
  ASSERT_TRUE(none.ok());
  EXPECT_TRUE(none->MatchesNothing());
  EXPECT_FALSE(rc.Selector(Json(R"({"spec":{"selector":{"app":"a b"}}})")).ok());
  // The ReplicaSet owner reads the same field as a metav1.LabelSelector.
  auto rs = ReplicaSetOwner().Selector(Json(R"({"spec":{"selector":{"matchLabels":{"app":"web"}}}})"));
  ASSERT_TRUE(rs.ok());
  EXPECT_EQ(rs->String(), "app=web");
}

TEST_F(ReplicationControllerTest, CreatesPodsControlledByTheRcAndWritesStatus) {
  client_.Put(Rcs(), MakeRc(3));
  ASSERT_TRUE(SyncAndReconcile().status.ok());
  auto pods = PodList();
  ASSERT_EQ(pods.size(), 3u);
  for (const auto& p : pods) {
    const boost::json::value* ref = api::ControllerRef(*p);
    ASSERT_NE(ref, nullptr);
    EXPECT_EQ(base::GetString(*ref, {"apiVersion"}), "v1");
    EXPECT_EQ(base::GetString(*ref, {"kind"}), "ReplicationController");
    EXPECT_EQ(base::GetString(*ref, {"uid"}), api::Uid(*Rc()));
    EXPECT_EQ(base::GetString(*p, {"metadata", "labels", "tier"}), "fe");
    // Pod events resolve to the RC's key.
    EXPECT_EQ(reconciler_->OnPodDeleted(*p), std::vector<std::string>{"default/web"});
  }
  ASSERT_TRUE(SyncAndReconcile().status.ok());
  EXPECT_EQ(base::GetInt(*Rc(), {"status", "replicas"}), 3);
  EXPECT_EQ(base::GetInt(*Rc(), {"status", "fullyLabeledReplicas"}), 3);
  EXPECT_EQ(base::GetInt(*Rc(), {"status", "observedGeneration"}), 1);

  SetReplicas(1);
  ASSERT_TRUE(SyncAndReconcile().status.ok());
  EXPECT_EQ(PodList().size(), 1u);
  ASSERT_TRUE(SyncAndReconcile().status.ok());
  EXPECT_EQ(base::GetInt(*Rc(), {"status", "replicas"}), 1);
  EXPECT_EQ(base::GetInt(*Rc(), {"status", "observedGeneration"}), 2);
}

TEST_F(ReplicationControllerTest, AdoptsAndReleasesByTheLabelMap) {
  client_.Put(Rcs(), MakeRc(2));
  client_.Put(Pods(), MakePod("orphan", "web"));
  client_.Put(Pods(), MakePod("other", "db"));
  ASSERT_TRUE(SyncAndReconcile().status.ok());
  const boost::json::value* ref = api::ControllerRef(*Pod("orphan"));
  ASSERT_NE(ref, nullptr);
  EXPECT_EQ(base::GetString(*ref, {"kind"}), "ReplicationController");
  EXPECT_EQ(base::GetString(*ref, {"apiVersion"}), "v1");
  EXPECT_EQ(api::ControllerRef(*Pod("other")), nullptr);
  EXPECT_EQ(PodList().size(), 3u);  // the orphan adopted, one created

  boost::json::value relabeled = *Pod("orphan");
  relabeled.as_object()["metadata"].as_object()["labels"] = boost::json::object{{"app", "debug"}};
  client_.Put(Pods(), relabeled);
  ASSERT_TRUE(SyncAndReconcile().status.ok());
  EXPECT_EQ(api::ControllerRef(*Pod("orphan")), nullptr);
  EXPECT_EQ(PodList().size(), 4u);
}

TEST_F(ReplicationControllerTest, FailedCreatesSetReplicaFailure) {
  client_.Put(Rcs(), MakeRc(2));
  client_.Inject({.verb = "create", .resource = "pods"});
  EXPECT_FALSE(SyncAndReconcile().status.ok());
  const boost::json::object* cond = FindCondition(*base::Find(*Rc(), "status"), "ReplicaFailure");
  ASSERT_NE(cond, nullptr);
  EXPECT_EQ(base::GetString(*cond, {"reason"}), "FailedCreate");
  client_.ClearFaults();
  ASSERT_TRUE(SyncAndReconcile().status.ok());
  EXPECT_EQ(PodList().size(), 2u);
  EXPECT_EQ(FindCondition(*base::Find(*Rc(), "status"), "ReplicaFailure"), nullptr);
}

TEST_F(ReplicationControllerTest, IgnoresPodsOfReplicaSetsWithTheSameName) {
  client_.Put(Rcs(), MakeRc(1));
  boost::json::value pod = MakePod("rs-pod", "web");
  pod.as_object()["metadata"].as_object()["ownerReferences"] =
      Json(R"([{"apiVersion":"apps/v1","kind":"ReplicaSet","name":"web","uid":"rs-uid","controller":true}])");
  client_.Put(Pods(), pod);
  ASSERT_TRUE(SyncAndReconcile().status.ok());
  EXPECT_TRUE(reconciler_->OnPodDeleted(*Pod("rs-pod")).empty());
  EXPECT_EQ(base::GetString(*api::ControllerRef(*Pod("rs-pod")), {"kind"}), "ReplicaSet");
  EXPECT_EQ(PodList().size(), 2u);
}

}  // namespace
}  // namespace skiff::controllers
