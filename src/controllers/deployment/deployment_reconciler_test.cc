#include "controllers/deployment/deployment_reconciler.h"

#include <algorithm>

#include "api/object_meta.h"
#include "api/resources.h"
#include "base/json.h"
#include "base/testing/fake_clock.h"
#include "client/testing/fake_client.h"
#include "controllers/deployment/deployment_util.h"
#include "controllers/workload/workload_util.h"
#include "gtest/gtest.h"

namespace skiff::controllers {
namespace {

using client::testing::FakeClient;

const api::ResourceInfo& Deployments() { return *api::FindResource("apps", "v1", "deployments"); }
const api::ResourceInfo& ReplicaSets() { return *api::FindResource("apps", "v1", "replicasets"); }
const api::ResourceInfo& Pods() { return *api::FindResource("", "v1", "pods"); }

boost::json::value MakeDeployment(int replicas, const boost::json::value& strategy,
                                  const std::string& image = "v1") {
  boost::json::value d = *base::ParseJson(R"({"metadata":{"name":"web","namespace":"default","generation":1},
    "spec":{"selector":{"matchLabels":{"app":"web"}},"revisionHistoryLimit":10,"progressDeadlineSeconds":600,
            "template":{"metadata":{"labels":{"app":"web"}},
                        "spec":{"containers":[{"name":"c","image":"v1"}]}}}})");
  boost::json::object& spec = d.as_object()["spec"].as_object();
  spec["replicas"] = replicas;
  spec["strategy"] = strategy;
  spec["template"].as_object()["spec"].as_object()["containers"].as_array()[0].as_object()["image"] = image;
  return d;
}

boost::json::value Rolling(boost::json::value surge, boost::json::value unavailable) {
  return boost::json::object{
      {"type", "RollingUpdate"},
      {"rollingUpdate", boost::json::object{{"maxSurge", surge}, {"maxUnavailable", unavailable}}}};
}

class DeploymentReconcilerTest : public ::testing::Test {
 protected:
  DeploymentReconcilerTest() : client_(&clock_) {}

  void SetUp() override {
    DeploymentReconciler::Options options;
    options.clock = &clock_;
    reconciler_ =
        std::make_unique<DeploymentReconciler>(&client_, &d_cache_, &rs_cache_, &pod_cache_, options);
  }

  client::ReconcileResult Reconcile() {
    d_cache_.Reset(client_.Objects(Deployments()));
    rs_cache_.Reset(client_.Objects(ReplicaSets()));
    pod_cache_.Reset(client_.Objects(Pods()));
    return reconciler_->Reconcile("default/web");
  }

  // Plays ReplicaSet controller + kubelet: every ReplicaSet's pods exist and are available.
  void Settle() {
    for (const client::Object& rs : client_.Objects(ReplicaSets())) {
      boost::json::value copy = *rs;
      int64_t n = SpecReplicas(*rs);
      copy.as_object()["status"] =
          boost::json::object{{"replicas", n},
                              {"readyReplicas", n},
                              {"availableReplicas", n},
                              {"observedGeneration", base::GetInt(*rs, {"metadata", "generation"})}};
      ASSERT_TRUE(client_.Update(ReplicaSets(), "default", copy, "status").ok());
    }
  }

  void SetSpec(const std::function<void(boost::json::object& spec)>& change) {
    boost::json::value d = *D();
    change(d.as_object()["spec"].as_object());
    ASSERT_TRUE(client_.Update(Deployments(), "default", d).ok());
  }
  void SetImage(const std::string& image) {
    SetSpec([&](boost::json::object& spec) {
      spec["template"].as_object()["spec"].as_object()["containers"].as_array()[0].as_object()["image"] =
          image;
    });
  }

  client::Object D() { return *client_.Get(Deployments(), "default", "web"); }
  std::vector<client::Object> Rss() {
    auto rss = client_.Objects(ReplicaSets(), "default");
    std::sort(rss.begin(), rss.end(),
              [](const auto& a, const auto& b) { return Revision(*a) < Revision(*b); });
    return rss;
  }
  client::Object RsWithImage(const std::string& image) {
    for (const auto& rs : Rss()) {
      if (base::GetString(base::FindPath(*rs, {"spec", "template", "spec", "containers"})->as_array()[0],
                          {"image"}) == image) {
        return rs;
      }
    }
    return nullptr;
  }
  std::string Condition(const std::string& type, const char* field) {
    const boost::json::value* status = base::Find(*D(), "status");
    if (status == nullptr) return "";
    const boost::json::object* c = FindCondition(*status, type);
    return c == nullptr ? "" : base::GetString(*c, {field});
  }

  // Runs reconcile/settle rounds until the deployment completes, checking the rollout bounds
  // between every step: at most replicas+maxSurge pods, at least replicas-maxUnavailable available.
  // The first rollout of a new Deployment starts from nothing available: pass check = false.
  int RollOut(int64_t replicas, int64_t surge, int64_t unavailable, bool check = true) {
    int rounds = 0;
    for (; rounds < 50; ++rounds) {
      EXPECT_TRUE(Reconcile().status.ok());
      int64_t total = 0, available = 0;
      for (const auto& rs : Rss()) {
        total += SpecReplicas(*rs);
        available += std::min(SpecReplicas(*rs), base::GetInt(*rs, {"status", "availableReplicas"}));
      }
      EXPECT_LE(total, replicas + surge) << "round " << rounds;
      if (check) {
        EXPECT_GE(available, replicas - unavailable) << "round " << rounds;
      }
      Settle();
      client::Object d = D();
      bool old_gone = true;
      for (const auto& rs : Rss()) {
        if (!TemplatesEqualIgnoringHash(*base::FindPath(*rs, {"spec", "template"}),
                                        *base::FindPath(*d, {"spec", "template"}))) {
          old_gone = old_gone && SpecReplicas(*rs) == 0;
        }
      }
      if (Condition("Progressing", "reason") == "NewReplicaSetAvailable" && old_gone &&
          base::GetInt(*d, {"status", "updatedReplicas"}) == replicas &&
          base::GetInt(*d, {"status", "replicas"}) == replicas) {
        break;
      }
    }
    return rounds;
  }

  base::testing::FakeClock clock_;
  FakeClient client_;
  MapCache d_cache_, rs_cache_, pod_cache_;
  std::unique_ptr<DeploymentReconciler> reconciler_;
};

TEST_F(DeploymentReconcilerTest, CreatesNewReplicaSetWithHashRevisionAndOwner) {
  client_.Put(Deployments(), MakeDeployment(3, Rolling("25%", "25%")));
  ASSERT_TRUE(Reconcile().status.ok());
  auto rss = Rss();
  ASSERT_EQ(rss.size(), 1u);
  const boost::json::value& rs = *rss[0];
  std::string hash = base::GetString(rs, {"spec", "template", "metadata", "labels", kPodTemplateHashLabel});
  EXPECT_EQ(hash, PodTemplateHash(*base::FindPath(*D(), {"spec", "template"}), 0));
  EXPECT_EQ(api::Name(rs), "web-" + hash);
  EXPECT_EQ(base::GetString(rs, {"metadata", "labels", kPodTemplateHashLabel}), hash);
  EXPECT_EQ(base::GetString(rs, {"spec", "selector", "matchLabels", kPodTemplateHashLabel}), hash);
  EXPECT_EQ(base::GetString(*api::ControllerRef(rs), {"uid"}), api::Uid(*D()));
  EXPECT_EQ(base::GetString(*api::ControllerRef(rs), {"kind"}), "Deployment");
  EXPECT_EQ(Revision(rs), 1);
  EXPECT_EQ(base::GetString(rs, {"metadata", "annotations", kDesiredReplicasAnnotation}), "3");
  EXPECT_EQ(base::GetString(rs, {"metadata", "annotations", kMaxReplicasAnnotation}), "4");
  EXPECT_EQ(SpecReplicas(rs), 3);
  EXPECT_EQ(Revision(*D()), 1);
  EXPECT_EQ(Condition("Progressing", "reason"), "NewReplicaSetCreated");
  // Pods come up: the deployment completes and reports it.
  Settle();
  ASSERT_TRUE(Reconcile().status.ok());
  client::Object d = D();
  EXPECT_EQ(base::GetInt(*d, {"status", "replicas"}), 3);
  EXPECT_EQ(base::GetInt(*d, {"status", "updatedReplicas"}), 3);
  EXPECT_EQ(base::GetInt(*d, {"status", "availableReplicas"}), 3);
  EXPECT_EQ(base::GetInt(*d, {"status", "readyReplicas"}), 3);
  EXPECT_EQ(base::GetInt(*d, {"status", "unavailableReplicas"}), 0);
  EXPECT_EQ(base::GetInt(*d, {"status", "observedGeneration"}), 1);
  EXPECT_EQ(Condition("Available", "reason"), "MinimumReplicasAvailable");
  EXPECT_EQ(Condition("Available", "status"), "True");
  EXPECT_EQ(Condition("Progressing", "reason"), "NewReplicaSetAvailable");
  // Nothing left to do: a further reconcile writes nothing.
  client_.TakeCalls();
  ASSERT_TRUE(Reconcile().status.ok());
  EXPECT_TRUE(client_.TakeCalls().empty());
}

TEST_F(DeploymentReconcilerTest, RollingUpdateWithSurgeOnlyKeepsFullAvailability) {
  client_.Put(Deployments(), MakeDeployment(4, Rolling(1, 0)));
  RollOut(4, 1, 0, false);
  SetImage("v2");
  int rounds = RollOut(4, 1, 0);
  EXPECT_GE(rounds, 4);  // one pod at a time
  EXPECT_EQ(SpecReplicas(*RsWithImage("v2")), 4);
  EXPECT_EQ(SpecReplicas(*RsWithImage("v1")), 0);
  EXPECT_EQ(Revision(*RsWithImage("v2")), 2);
  EXPECT_EQ(Revision(*D()), 2);
}

TEST_F(DeploymentReconcilerTest, RollingUpdateWithUnavailableOnlyNeverSurges) {
  client_.Put(Deployments(), MakeDeployment(5, Rolling(0, 2)));
  RollOut(5, 0, 2, false);
  SetImage("v2");
  RollOut(5, 0, 2);
  EXPECT_EQ(SpecReplicas(*RsWithImage("v2")), 5);
  EXPECT_EQ(SpecReplicas(*RsWithImage("v1")), 0);
}

TEST_F(DeploymentReconcilerTest, RollingUpdateWithPercents) {
  client_.Put(Deployments(), MakeDeployment(10, Rolling("25%", "25%")));
  RollOut(10, 3, 2, false);
  SetImage("v2");
  RollOut(10, 3, 2);
  EXPECT_EQ(SpecReplicas(*RsWithImage("v2")), 10);
}

TEST_F(DeploymentReconcilerTest, RecreateStopsOldPodsBeforeStartingNewOnes) {
  client_.Put(Deployments(), MakeDeployment(3, boost::json::object{{"type", "Recreate"}}));
  ASSERT_TRUE(Reconcile().status.ok());
  Settle();
  ASSERT_TRUE(Reconcile().status.ok());
  client::Object old_rs = RsWithImage("v1");
  // A pod of the old ReplicaSet still runs.
  client_.Put(Pods(), boost::json::value{{"metadata",
                                          {{"name", "web-old-1"},
                                           {"namespace", "default"},
                                           {"labels", {{"app", "web"}}},
                                           {"ownerReferences", boost::json::array{MakeControllerRef(
                                                                   *old_rs, "apps/v1", "ReplicaSet")}}}},
                                         {"status", {{"phase", "Running"}}}});
  SetImage("v2");
  ASSERT_TRUE(Reconcile().status.ok());
  EXPECT_EQ(SpecReplicas(*RsWithImage("v1")), 0);
  EXPECT_EQ(RsWithImage("v2"), nullptr);
  Settle();  // old ReplicaSet reports 0 replicas, but its pod is still running
  ASSERT_TRUE(Reconcile().status.ok());
  EXPECT_EQ(RsWithImage("v2"), nullptr);
  ASSERT_TRUE(client_.Delete(Pods(), "default", "web-old-1").ok());
  ASSERT_TRUE(Reconcile().status.ok());
  ASSERT_NE(RsWithImage("v2"), nullptr);
  EXPECT_EQ(SpecReplicas(*RsWithImage("v2")), 3);
  Settle();
  ASSERT_TRUE(Reconcile().status.ok());
  EXPECT_EQ(Condition("Progressing", "reason"), "NewReplicaSetAvailable");
}

TEST_F(DeploymentReconcilerTest, RollbackReusesTheOldReplicaSetWithANewRevision) {
  client_.Put(Deployments(), MakeDeployment(2, Rolling(1, 0)));
  RollOut(2, 1, 0, false);
  SetImage("v2");
  RollOut(2, 1, 0);
  SetImage("v1");  // what `kubectl rollout undo` does: put the old template back
  RollOut(2, 1, 0);
  EXPECT_EQ(Rss().size(), 2u);
  client::Object v1 = RsWithImage("v1");
  EXPECT_EQ(Revision(*v1), 3);
  EXPECT_EQ(base::GetString(*v1, {"metadata", "annotations", kRevisionHistoryAnnotation}), "1");
  EXPECT_EQ(SpecReplicas(*v1), 2);
  EXPECT_EQ(Revision(*D()), 3);
}

TEST_F(DeploymentReconcilerTest, RevisionHistoryLimitDeletesOldestIdleReplicaSets) {
  boost::json::value d = MakeDeployment(1, Rolling(1, 0));
  d.as_object()["spec"].as_object()["revisionHistoryLimit"] = 1;
  client_.Put(Deployments(), d);
  RollOut(1, 1, 0, false);
  for (const char* image : {"v2", "v3", "v4"}) {
    SetImage(image);
    RollOut(1, 1, 0);
    ASSERT_TRUE(Reconcile().status.ok());  // cleanup runs once the rollout is complete
  }
  auto rss = Rss();
  ASSERT_EQ(rss.size(), 2u);
  EXPECT_EQ(Revision(*rss[0]), 3);
  EXPECT_EQ(Revision(*rss[1]), 4);
}

TEST_F(DeploymentReconcilerTest, ScalingUpdatesTheActiveReplicaSetAndAnnotations) {
  client_.Put(Deployments(), MakeDeployment(3, Rolling("25%", "25%")));
  RollOut(3, 1, 0, false);
  SetSpec([](boost::json::object& spec) { spec["replicas"] = 8; });
  ASSERT_TRUE(Reconcile().status.ok());
  auto rss = Rss();
  ASSERT_EQ(rss.size(), 1u);
  EXPECT_EQ(SpecReplicas(*rss[0]), 8);
  EXPECT_EQ(base::GetString(*rss[0], {"metadata", "annotations", kDesiredReplicasAnnotation}), "8");
  EXPECT_EQ(base::GetString(*rss[0], {"metadata", "annotations", kMaxReplicasAnnotation}), "10");
}

TEST_F(DeploymentReconcilerTest, ProportionalScalingDuringARollout) {
  client_.Put(Deployments(), MakeDeployment(10, Rolling(3, 2)));
  RollOut(10, 3, 0, false);
  SetImage("v2");
  ASSERT_TRUE(Reconcile().status.ok());  // new RS gets 3 (surge); old drops by maxUnavailable 2
  EXPECT_EQ(SpecReplicas(*RsWithImage("v2")), 3);
  EXPECT_EQ(SpecReplicas(*RsWithImage("v1")), 8);
  SetSpec([](boost::json::object& spec) { spec["replicas"] = 20; });
  ASSERT_TRUE(Reconcile().status.ok());
  int64_t v1 = SpecReplicas(*RsWithImage("v1")), v2 = SpecReplicas(*RsWithImage("v2"));
  EXPECT_EQ(v1 + v2, 23);  // 20 + maxSurge 3, split by the existing 8:3 proportion, rest to the largest
  EXPECT_EQ(v1, 18);
  EXPECT_EQ(v2, 5);
}

TEST_F(DeploymentReconcilerTest, PausedDeploymentDoesNotRollOut) {
  client_.Put(Deployments(), MakeDeployment(2, Rolling(1, 0)));
  RollOut(2, 1, 0, false);
  SetSpec([](boost::json::object& spec) { spec["paused"] = true; });
  SetImage("v2");
  ASSERT_TRUE(Reconcile().status.ok());
  EXPECT_EQ(RsWithImage("v2"), nullptr);
  EXPECT_EQ(Condition("Progressing", "reason"), "DeploymentPaused");
  EXPECT_EQ(Condition("Progressing", "status"), "Unknown");
  EXPECT_EQ(base::GetInt(*D(), {"status", "observedGeneration"}), IntAt(*D(), {"metadata", "generation"}, 0));
  SetSpec([](boost::json::object& spec) { spec["paused"] = false; });
  ASSERT_TRUE(Reconcile().status.ok());
  EXPECT_NE(RsWithImage("v2"), nullptr);
  RollOut(2, 1, 0);
  EXPECT_EQ(SpecReplicas(*RsWithImage("v2")), 2);
}

TEST_F(DeploymentReconcilerTest, ProgressDeadlineExceeded) {
  boost::json::value d = MakeDeployment(2, Rolling(1, 0));
  d.as_object()["spec"].as_object()["progressDeadlineSeconds"] = 30;
  client_.Put(Deployments(), d);
  auto result = Reconcile();
  ASSERT_TRUE(result.status.ok());
  ASSERT_TRUE(result.requeue.has_value());
  EXPECT_LE(*result.requeue, absl::Seconds(31));
  EXPECT_EQ(Condition("Available", "status"), "False");
  EXPECT_EQ(Condition("Available", "reason"), "MinimumReplicasUnavailable");
  clock_.Advance(absl::Seconds(31));  // pods never become available
  ASSERT_TRUE(Reconcile().status.ok());
  EXPECT_EQ(Condition("Progressing", "reason"), "ProgressDeadlineExceeded");
  EXPECT_EQ(Condition("Progressing", "status"), "False");
  // Progress later still completes the rollout.
  Settle();
  ASSERT_TRUE(Reconcile().status.ok());
  EXPECT_EQ(Condition("Progressing", "reason"), "NewReplicaSetAvailable");
}

TEST_F(DeploymentReconcilerTest, AdoptsMatchingOrphanReplicaSet) {
  client_.Put(Deployments(), MakeDeployment(2, Rolling(1, 0)));
  ASSERT_TRUE(Reconcile().status.ok());
  client::Object rs = Rss()[0];
  boost::json::value orphan = *rs;
  orphan.as_object()["metadata"].as_object().erase("ownerReferences");
  client_.Put(ReplicaSets(), orphan);
  EXPECT_EQ(reconciler_->OnReplicaSetAdded(orphan), std::vector<std::string>{"default/web"});
  ASSERT_TRUE(Reconcile().status.ok());
  EXPECT_EQ(Rss().size(), 1u);
  ASSERT_NE(api::ControllerRef(*Rss()[0]), nullptr);
  EXPECT_EQ(base::GetString(*api::ControllerRef(*Rss()[0]), {"uid"}), api::Uid(*D()));
}

TEST_F(DeploymentReconcilerTest, ReplicaSetEventsMapToTheOwningDeployment) {
  client_.Put(Deployments(), MakeDeployment(2, Rolling(1, 0)));
  ASSERT_TRUE(Reconcile().status.ok());
  d_cache_.Reset(client_.Objects(Deployments()));
  client::Object rs = Rss()[0];
  EXPECT_EQ(reconciler_->OnReplicaSetAdded(*rs), std::vector<std::string>{"default/web"});
  EXPECT_EQ(reconciler_->OnReplicaSetDeleted(*rs), std::vector<std::string>{"default/web"});
}

}  // namespace
}  // namespace skiff::controllers
