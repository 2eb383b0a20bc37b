#include "controllers/replicaset/replicaset_reconciler.h"

#include <algorithm>

#include "api/object_meta.h"
#include "api/resources.h"
#include "base/json.h"
#include "base/testing/fake_clock.h"
#include "client/testing/fake_client.h"
#include "controllers/workload/workload_util.h"
#include "gtest/gtest.h"

namespace skiff::controllers {
namespace {

using client::testing::FakeClient;

const api::ResourceInfo& Pods() { return *api::FindResource("", "v1", "pods"); }
const api::ResourceInfo& ReplicaSets() { return *api::FindResource("apps", "v1", "replicasets"); }

boost::json::value Json(const char* text) { return *base::ParseJson(text); }

boost::json::value MakeReplicaSet(int replicas, int min_ready = 0) {
  boost::json::value rs = Json(R"({"metadata":{"name":"web","namespace":"default","generation":1},
    "spec":{"selector":{"matchLabels":{"app":"web"}},
            "template":{"metadata":{"labels":{"app":"web","tier":"fe"}},
                        "spec":{"containers":[{"name":"c","image":"nginx"}]}}}})");
  rs.as_object()["spec"].as_object()["replicas"] = replicas;
  rs.as_object()["spec"].as_object()["minReadySeconds"] = min_ready;
  return rs;
}

// Gives a pod a node, phase and readiness (ready since `since`).
boost::json::value WithState(boost::json::value pod, const std::string& node, const std::string& phase,
                             bool ready, absl::Time since, int restarts = 0) {
  boost::json::object& o = pod.as_object();
  if (!node.empty()) o["spec"].as_object()["nodeName"] = node;
  boost::json::object status;
  status["phase"] = phase;
  status["conditions"] =
      boost::json::array{boost::json::object{{"type", "Ready"},
                                             {"status", ready ? "True" : "False"},
                                             {"lastTransitionTime", base::FormatRfc3339(since)}}};
  status["containerStatuses"] =
      boost::json::array{boost::json::object{{"name", "c"}, {"restartCount", restarts}}};
  o["status"] = std::move(status);
  return pod;
}

class ReplicaSetReconcilerTest : public ::testing::Test {
 protected:
  ReplicaSetReconcilerTest() : client_(&clock_) {}

  void SetUp() override {
    ReplicaSetReconciler::Options options;
    options.clock = &clock_;
    options.record_event = [this](const boost::json::value&, const std::string&, const std::string& reason,
                                  const std::string&) { events_.push_back(reason); };
    reconciler_ = std::make_unique<ReplicaSetReconciler>(&client_, &rs_cache_, &pod_cache_, options);
  }

  void Sync() {
    rs_cache_.Reset(client_.Objects(ReplicaSets()));
    pod_cache_.Reset(client_.Objects(Pods()));
  }

  client::ReconcileResult SyncAndReconcile() {
    Sync();
    return reconciler_->Reconcile("default/web");
  }

  client::Object Rs() { return *client_.Get(ReplicaSets(), "default", "web"); }
  std::vector<client::Object> PodList() { return client_.Objects(Pods(), "default"); }
  // Writes of `verb` to `resource` since the last count.
  int Count(const std::string& verb, const std::string& resource) {
    int n = client_.CountCalls(verb + " " + resource + " ");
    client_.TakeCalls();
    return n;
  }

  base::testing::FakeClock clock_;
  FakeClient client_;
  MapCache rs_cache_;
  MapCache pod_cache_;
  std::vector<std::string> events_;
  std::unique_ptr<ReplicaSetReconciler> reconciler_;
};

TEST_F(ReplicaSetReconcilerTest, ScaleUpCreatesOwnedPodsFromTemplate) {
  client_.Put(ReplicaSets(), MakeReplicaSet(3));
  ASSERT_TRUE(SyncAndReconcile().status.ok());
  auto pods = PodList();
  ASSERT_EQ(pods.size(), 3u);
  client::Object rs = Rs();
  for (const auto& p : pods) {
    EXPECT_EQ(api::Name(*p).rfind("web-", 0), 0u) << api::Name(*p);
    EXPECT_EQ(api::Name(*p).size(), 9u);
    EXPECT_EQ(base::GetString(*p, {"metadata", "labels", "tier"}), "fe");
    const boost::json::value* ref = api::ControllerRef(*p);
    ASSERT_NE(ref, nullptr);
    EXPECT_EQ(base::GetString(*ref, {"uid"}), api::Uid(*rs));
    EXPECT_EQ(base::GetString(*ref, {"kind"}), "ReplicaSet");
    EXPECT_TRUE(base::GetBool(*ref, {"blockOwnerDeletion"}));
    EXPECT_EQ(base::GetString(base::FindPath(*p, {"spec", "containers"})->as_array().at(0), {"image"}),
              "nginx");
  }
  EXPECT_EQ(events_, std::vector<std::string>{"SuccessfulCreate"});
  // Status was written through the status subresource.
  EXPECT_EQ(base::GetInt(*rs, {"status", "observedGeneration"}), 1);
}

TEST_F(ReplicaSetReconcilerTest, ExpectationsPreventOverCreationUnderInformerLag) {
  client_.Put(ReplicaSets(), MakeReplicaSet(3));
  ASSERT_TRUE(SyncAndReconcile().status.ok());
  EXPECT_EQ(Count("create", "pods"), 3);
  // The pod cache has not seen the new pods yet: no more creations.
  rs_cache_.Reset(client_.Objects(ReplicaSets()));
  ASSERT_TRUE(reconciler_->Reconcile("default/web").status.ok());
  EXPECT_EQ(Count("create", "pods"), 0);
  EXPECT_EQ(reconciler_->expectations().Pending("default/web").first, 3);
  // The informer delivers the pods: expectations drop to zero and a sync creates nothing.
  Sync();
  for (const auto& p : PodList()) {
    EXPECT_EQ(reconciler_->OnPodAdded(*p), std::vector<std::string>{"default/web"});
  }
  EXPECT_TRUE(reconciler_->expectations().Satisfied("default/web"));
  ASSERT_TRUE(reconciler_->Reconcile("default/web").status.ok());
  EXPECT_EQ(Count("create", "pods"), 0);
  EXPECT_EQ(base::GetInt(*Rs(), {"status", "replicas"}), 3);
}

TEST_F(ReplicaSetReconcilerTest, ExpectationsExpire) {
  client_.Put(ReplicaSets(), MakeReplicaSet(2));
  ASSERT_TRUE(SyncAndReconcile().status.ok());
  EXPECT_FALSE(reconciler_->expectations().Satisfied("default/web"));
  clock_.Advance(absl::Minutes(6));
  EXPECT_TRUE(reconciler_->expectations().Satisfied("default/web"));
}

TEST_F(ReplicaSetReconcilerTest, SlowStartCreatesInDoublingBatches) {
  client_.Put(ReplicaSets(), MakeReplicaSet(7));
  ASSERT_TRUE(SyncAndReconcile().status.ok());
  EXPECT_EQ(PodList().size(), 7u);
}

TEST_F(ReplicaSetReconcilerTest, FailingCreateStopsSlowStartAndSetsReplicaFailure) {
  client_.Put(ReplicaSets(), MakeReplicaSet(20));
  client_.Inject({.verb = "create", .resource = "pods"});
  auto result = SyncAndReconcile();
  EXPECT_FALSE(result.status.ok());
  EXPECT_EQ(client_.Injected(), 1);  // only the first batch of one was tried
  EXPECT_TRUE(reconciler_->expectations().Satisfied("default/web"));
  const boost::json::value* status = base::Find(*Rs(), "status");
  ASSERT_NE(status, nullptr);
  const boost::json::object* cond = FindCondition(*status, "ReplicaFailure");
  ASSERT_NE(cond, nullptr);
  EXPECT_EQ(base::GetString(*cond, {"reason"}), "FailedCreate");
  // Once creation works again the condition goes away.
  client_.ClearFaults();
  ASSERT_TRUE(SyncAndReconcile().status.ok());
  EXPECT_EQ(PodList().size(), 20u);
  EXPECT_EQ(FindCondition(*base::Find(*Rs(), "status"), "ReplicaFailure"), nullptr);
}

TEST_F(ReplicaSetReconcilerTest, TimedOutCreatesStayExpectedAndSlowStartGoesOn) {
  client_.Put(ReplicaSets(), MakeReplicaSet(7));
  // The first create is stored but answers 504.
  client_.Inject({.verb = "create",
                  .resource = "pods",
                  .status = absl::DeadlineExceededError("injected timeout"),
                  .times = 1,
                  .after_write = true});
  auto result = SyncAndReconcile();
  EXPECT_TRUE(result.status.ok());
  EXPECT_EQ(PodList().size(), 7u);
  // All 7 (including the timed-out one) are still expected: nothing is created again before the
  // informer shows them.
  EXPECT_EQ(reconciler_->expectations().Pending("default/web").first, 7);
  rs_cache_.Reset(client_.Objects(ReplicaSets()));
  ASSERT_TRUE(reconciler_->Reconcile("default/web").status.ok());
  EXPECT_EQ(Count("create", "pods"), 7);
}

TEST_F(ReplicaSetReconcilerTest, AFailedBatchLowersExpectationsForEveryPodNotCreated) {
  client_.Put(ReplicaSets(), MakeReplicaSet(20));
  // Batches 1, 2, 4: the first 4 creates succeed, then everything fails. The batch of 4 (creates
  // 4..7) has one success and three failures; no batch starts after it.
  client_.Inject({.verb = "create", .resource = "pods", .skip = 4});
  auto result = SyncAndReconcile();
  EXPECT_FALSE(result.status.ok());
  EXPECT_EQ(Count("create", "pods"), 4);
  EXPECT_EQ(client_.Injected(), 3);
  // Only the 4 stored pods are still expected; the 16 never made are not.
  EXPECT_EQ(reconciler_->expectations().Pending("default/web").first, 4);
  Sync();
  for (const auto& p : PodList()) reconciler_->OnPodAdded(*p);
  EXPECT_TRUE(reconciler_->expectations().Satisfied("default/web"));
}

TEST_F(ReplicaSetReconcilerTest, BurstLimitsOneSync) {
  ReplicaSetReconciler::Options options;
  options.clock = &clock_;
  options.burst_replicas = 4;
  reconciler_ = std::make_unique<ReplicaSetReconciler>(&client_, &rs_cache_, &pod_cache_, options);
  client_.Put(ReplicaSets(), MakeReplicaSet(10));
  ASSERT_TRUE(SyncAndReconcile().status.ok());
  EXPECT_EQ(PodList().size(), 4u);
}

TEST_F(ReplicaSetReconcilerTest, ScaleDownDeletesLeastValuablePodsFirst) {
  client_.Put(ReplicaSets(), MakeReplicaSet(5));
  ASSERT_TRUE(SyncAndReconcile().status.ok());
  auto pods = PodList();
  ASSERT_EQ(pods.size(), 5u);
  Sync();
  for (const auto& p : pods) reconciler_->OnPodAdded(*p);
  absl::Time t0 = clock_.Now() - absl::Hours(1);
  // 0: unscheduled; 1: pending on a node; 2: running not ready; 3: ready, many restarts; 4: ready.
  std::vector<boost::json::value> states = {
      WithState(*pods[0], "", "Pending", false, t0), WithState(*pods[1], "n1", "Pending", false, t0),
      WithState(*pods[2], "n2", "Running", false, t0), WithState(*pods[3], "n3", "Running", true, t0, 5),
      WithState(*pods[4], "n3", "Running", true, t0, 0)};
  for (auto& s : states) client_.Put(Pods(), s);
  client_.TakeCalls();
  auto update = Rs()->as_object();
  update["spec"].as_object()["replicas"] = 1;
  ASSERT_TRUE(client_.Update(ReplicaSets(), "default", update).ok());
  ASSERT_TRUE(SyncAndReconcile().status.ok());
  auto left = PodList();
  ASSERT_EQ(left.size(), 1u);
  EXPECT_EQ(api::Name(*left[0]), api::Name(*pods[4]));
  EXPECT_EQ(reconciler_->expectations().Pending("default/web").second, 4);
  for (const auto& s : states) {
    if (api::Name(s) != api::Name(*pods[4])) reconciler_->OnPodDeleted(s);
  }
  EXPECT_TRUE(reconciler_->expectations().Satisfied("default/web"));
}

TEST_F(ReplicaSetReconcilerTest, AdoptsMatchingOrphansAndReleasesNonMatchingPods) {
  client_.Put(ReplicaSets(), MakeReplicaSet(2));
  client_.Put(Pods(), Json(R"({"metadata":{"name":"orphan","namespace":"default","labels":{"app":"web"}},
                               "spec":{"containers":[{"name":"c","image":"x"}]}})"));
  client_.Put(Pods(), Json(R"({"metadata":{"name":"other","namespace":"default","labels":{"app":"db"}},
                               "spec":{"containers":[{"name":"c","image":"x"}]}})"));
  ASSERT_TRUE(SyncAndReconcile().status.ok());
  client::Object rs = Rs();
  client::Object orphan = *client_.Get(Pods(), "default", "orphan");
  ASSERT_NE(api::ControllerRef(*orphan), nullptr);
  EXPECT_EQ(base::GetString(*api::ControllerRef(*orphan), {"uid"}), api::Uid(*rs));
  EXPECT_EQ(api::ControllerRef(**client_.Get(Pods(), "default", "other")), nullptr);
  EXPECT_EQ(PodList().size(), 3u);  // orphan adopted + one created
  // Relabel the adopted pod: it is released and replaced.
  boost::json::value relabeled = *orphan;
  relabeled.as_object()["metadata"].as_object()["labels"] = boost::json::object{{"app", "debug"}};
  client_.Put(Pods(), relabeled);
  Sync();
  for (const auto& p : PodList()) reconciler_->OnPodAdded(*p);
  ASSERT_TRUE(reconciler_->Reconcile("default/web").status.ok());
  EXPECT_EQ(api::ControllerRef(**client_.Get(Pods(), "default", "orphan")), nullptr);
  EXPECT_EQ(PodList().size(), 4u);
}

TEST_F(ReplicaSetReconcilerTest, DoesNotAdoptPodsControlledByOthers) {
  client_.Put(ReplicaSets(), MakeReplicaSet(1));
  client_.Put(Pods(), Json(R"({"metadata":{"name":"theirs","namespace":"default","labels":{"app":"web"},
      "ownerReferences":[{"apiVersion":"apps/v1","kind":"ReplicaSet","name":"x","uid":"other","controller":true}]},
      "spec":{"containers":[{"name":"c","image":"x"}]}})"));
  ASSERT_TRUE(SyncAndReconcile().status.ok());
  EXPECT_EQ(PodList().size(), 2u);
}

TEST_F(ReplicaSetReconcilerTest, StatusCountsReadyAndAvailableWithMinReadySeconds) {
  client_.Put(ReplicaSets(), MakeReplicaSet(3, /*min_ready=*/10));
  ASSERT_TRUE(SyncAndReconcile().status.ok());
  auto pods = PodList();
  absl::Time now = clock_.Now();
  client_.Put(Pods(), WithState(*pods[0], "n1", "Running", true, now - absl::Seconds(60)));
  client_.Put(Pods(), WithState(*pods[1], "n1", "Running", true, now - absl::Seconds(4)));
  client_.Put(Pods(), WithState(*pods[2], "n1", "Pending", false, now));
  Sync();
  for (const auto& p : PodList()) reconciler_->OnPodAdded(*p);
  auto result = reconciler_->Reconcile("default/web");
  ASSERT_TRUE(result.status.ok());
  ASSERT_TRUE(result.requeue.has_value());
  EXPECT_GE(*result.requeue, absl::Seconds(6));
  EXPECT_LE(*result.requeue, absl::Seconds(7));
  client::Object rs = Rs();
  EXPECT_EQ(base::GetInt(*rs, {"status", "replicas"}), 3);
  EXPECT_EQ(base::GetInt(*rs, {"status", "fullyLabeledReplicas"}), 3);
  EXPECT_EQ(base::GetInt(*rs, {"status", "readyReplicas"}), 2);
  EXPECT_EQ(base::GetInt(*rs, {"status", "availableReplicas"}), 1);
  clock_.Advance(absl::Seconds(7));
  Sync();
  ASSERT_TRUE(reconciler_->Reconcile("default/web").status.ok());
  EXPECT_EQ(base::GetInt(*Rs(), {"status", "availableReplicas"}), 2);
}

TEST_F(ReplicaSetReconcilerTest, TerminatingPodsAreReplaced) {
  client_.Put(ReplicaSets(), MakeReplicaSet(2));
  ASSERT_TRUE(SyncAndReconcile().status.ok());
  auto pods = PodList();
  Sync();
  for (const auto& p : pods) reconciler_->OnPodAdded(*p);
  boost::json::value dying = *pods[0];
  dying.as_object()["metadata"].as_object()["deletionTimestamp"] = base::FormatRfc3339(clock_.Now());
  client_.Put(Pods(), dying);
  Sync();
  for (const auto& p : PodList()) reconciler_->OnPodAdded(*p);
  client_.TakeCalls();
  ASSERT_TRUE(reconciler_->Reconcile("default/web").status.ok());
  EXPECT_EQ(Count("create", "pods"), 1);
}

TEST_F(ReplicaSetReconcilerTest, MissingReplicaSetClearsExpectations) {
  reconciler_->expectations().ExpectCreations("default/web", 3);
  ASSERT_TRUE(reconciler_->Reconcile("default/web").status.ok());
  EXPECT_EQ(reconciler_->expectations().Pending("default/web").first, 0);
}

TEST(PodsToDeleteTest, PrefersPodsDoubledUpOnANode) {
  auto pod = [](const char* name, const char* node) {
    return std::make_shared<const boost::json::value>(
        *base::ParseJson(std::string(R"({"metadata":{"name":")") + name +
                         R"(","creationTimestamp":"2024-01-01T00:00:00Z"},"spec":{"nodeName":")" + node +
                         R"("},"status":{"phase":"Running"}})"));
  };
  std::vector<client::Object> pods = {pod("a", "n1"), pod("b", "n2"), pod("c", "n2")};
  auto victims = PodsToDelete(pods, pods, 1);
  ASSERT_EQ(victims.size(), 1u);
  EXPECT_EQ(base::GetString(*victims[0], {"spec", "nodeName"}), "n2");
}

TEST(PodsToDeleteTest, NewerPodsGoFirst) {
  auto pod = [](const char* name, const char* created) {
    return std::make_shared<const boost::json::value>(
        *base::ParseJson(std::string(R"({"metadata":{"name":")") + name + R"(","creationTimestamp":")" +
                         created + R"("},"spec":{"nodeName":"n"},"status":{"phase":"Running"}})"));
  };
  std::vector<client::Object> pods = {pod("old", "2024-01-01T00:00:00Z"), pod("new", "2024-06-01T00:00:00Z")};
  EXPECT_EQ(api::Name(*PodsToDelete(pods, {}, 1)[0]), "new");
}

}  // namespace
}  // namespace skiff::controllers
