#include "controllers/statefulset/stateful_set_reconciler.h"

#include <map>
#include <set>
#include <string>
#include <vector>

#include "api/object_meta.h"
#include "api/pod_util.h"
#include "api/resources.h"
#include "base/json.h"
#include "base/testing/fake_clock.h"
#include "client/testing/fake_client.h"
#include "controllers/statefulset/stateful_set_util.h"
#include "gtest/gtest.h"

namespace skiff::controllers::statefulset {
namespace {

const api::ResourceInfo& Pods() { return *api::FindResource("", "v1", "pods"); }
const api::ResourceInfo& Claims() { return *api::FindResource("", "v1", "persistentvolumeclaims"); }
const api::ResourceInfo& Sets() { return *api::FindResource("apps", "v1", "statefulsets"); }
const api::ResourceInfo& Revisions() { return *api::FindResource("apps", "v1", "controllerrevisions"); }

boost::json::value Json(const std::string& text) { return *base::ParseJson(text); }

// The reconciler over a FakeClient whose objects are copied into the caches before and after
// each pass (an informer that is always up to date). Pods are deleted at once by the fake.
class StatefulSetReconcilerTest : public ::testing::Test {
 protected:
  StatefulSetReconcilerTest() : reconciler_(&client_, &sets_, &pods_, &revs_, &claims_, {}) {}

  void CreateSet(const std::string& extra_spec = "{}", int replicas = 3) {
    boost::json::value set = Json(R"({"apiVersion":"apps/v1","kind":"StatefulSet",
      "metadata":{"name":"web","namespace":"default"},
      "spec":{"serviceName":"nginx","selector":{"matchLabels":{"app":"web"}},
              "podManagementPolicy":"OrderedReady","revisionHistoryLimit":10,
              "updateStrategy":{"type":"RollingUpdate","rollingUpdate":{"partition":0}},
              "template":{"metadata":{"labels":{"app":"web"}},
                          "spec":{"containers":[{"name":"c","image":"busybox:1"}]}}}})");
    set.as_object()["spec"].as_object()["replicas"] = replicas;
    boost::json::value extra = Json(extra_spec);
    for (const auto& [k, v] : extra.as_object()) set.as_object()["spec"].as_object()[k] = v;
    ASSERT_TRUE(client_.Create(Sets(), "default", set).ok());
  }
  // Merge-patches the set's spec (as kubectl would).
  void PatchSpec(const std::string& spec) {
    auto r = client_.Patch(Sets(), "default", "web", client::PatchType::kMerge,
                           boost::json::object{{"spec", Json(spec)}});
    ASSERT_TRUE(r.ok()) << r.status();
  }
  void SetImage(const std::string& image) {
    PatchSpec(R"({"template":{"spec":{"containers":[{"name":"c","image":")" + image + R"("}]}}})");
  }
  void Sync() {
    sets_.Reset(client_.Objects(Sets()));
    pods_.Reset(client_.Objects(Pods()));
    revs_.Reset(client_.Objects(Revisions()));
    claims_.Reset(client_.Objects(Claims()));
  }
  client::ReconcileResult Reconcile() {
    Sync();
    auto r = reconciler_.Reconcile("default/web");
    Sync();
    return r;
  }
  // What the scheduler and kubelet would do: the pod runs and is Ready (or fails).
  void SetPhase(const std::string& name, const std::string& phase = "Running", bool ready = true) {
    client::Object pod = client_.Peek(Pods(), "default", name);
    ASSERT_NE(pod, nullptr) << name;
    boost::json::value next = *pod;
    next.as_object()["status"] = Json(R"({"phase":")" + phase + R"(","conditions":[{"type":"Ready","status":")" +
                                      (ready ? "True" : "False") + R"(","lastTransitionTime":"2020-01-01T00:00:00Z"}]})");
    ASSERT_TRUE(client_.Update(Pods(), "default", next, "status").ok());
  }
  // Reconciles until nothing changes, running every new pod; returns the order pods appeared in.
  std::vector<std::string> Converge(int passes = 40) {
    std::vector<std::string> order;
    std::string last;
    for (int i = 0; i < passes; ++i) {
      auto r = Reconcile();
      EXPECT_TRUE(r.status.ok()) << r.status;
      bool changed = false;
      std::string state = base::ToJson(client_.Peek(Sets(), "default", "web")->at("status"));
      for (const auto& p : client_.Objects(Pods(), "default")) {
        state += api::Uid(*p);
        if (api::PodPhase(*p) == "Running") continue;
        order.push_back(api::Name(*p));
        SetPhase(api::Name(*p));
        changed = true;
      }
      if (!changed && state == last) break;
      last = state;
    }
    return order;
  }
  std::set<std::string> PodNames() {
    std::set<std::string> out;
    for (const auto& p : client_.Objects(Pods(), "default")) out.insert(api::Name(*p));
    return out;
  }
  std::string PodRevision(const std::string& name) {
    client::Object pod = client_.Peek(Pods(), "default", name);
    return pod ? api::Label(*pod, kRevisionLabel) : "";
  }
  int64_t Status(const char* field) {
    return base::GetInt(*client_.Peek(Sets(), "default", "web"), {"status", field}, -1);
  }
  std::string StatusString(const char* field) {
    return base::GetString(*client_.Peek(Sets(), "default", "web"), {"status", field});
  }
  std::vector<client::Object> RevisionObjects() { return client_.Objects(Revisions(), "default"); }

  client::testing::FakeClient client_;
  MapCache sets_, pods_, revs_, claims_;
  StatefulSetReconciler reconciler_;
};

TEST_F(StatefulSetReconcilerTest, OrderedReadyCreatesOnePodAtATimeAfterItsPredecessorIsReady) {
  CreateSet();
  ASSERT_TRUE(Reconcile().status.ok());
  EXPECT_EQ(PodNames(), (std::set<std::string>{"web-0"}));
  ASSERT_TRUE(Reconcile().status.ok());
  EXPECT_EQ(PodNames(), (std::set<std::string>{"web-0"}));  // web-0 is not Running yet
  SetPhase("web-0", "Running", false);
  ASSERT_TRUE(Reconcile().status.ok());
  EXPECT_EQ(PodNames(), (std::set<std::string>{"web-0"}));  // nor Ready
  SetPhase("web-0");
  ASSERT_TRUE(Reconcile().status.ok());
  EXPECT_EQ(PodNames(), (std::set<std::string>{"web-0", "web-1"}));
  client::Object pod = client_.Peek(Pods(), "default", "web-1");
  EXPECT_EQ(base::GetString(*pod, {"spec", "hostname"}), "web-1");
  EXPECT_EQ(base::GetString(*pod, {"spec", "subdomain"}), "nginx");
  EXPECT_EQ(api::Label(*pod, kPodIndexLabel), "1");
  EXPECT_EQ(api::Label(*pod, kPodNameLabel), "web-1");
  ASSERT_TRUE(Reconcile().status.ok());  // status counts the pods a pass starts from
  EXPECT_EQ(Status("replicas"), 2);
  EXPECT_EQ(Status("readyReplicas"), 1);
  EXPECT_EQ(Converge(), (std::vector<std::string>{"web-1", "web-2"}));
  EXPECT_EQ(Status("readyReplicas"), 3);
  EXPECT_EQ(Status("availableReplicas"), 3);
  EXPECT_EQ(Status("currentReplicas"), 3);
  EXPECT_EQ(Status("updatedReplicas"), 3);
  EXPECT_EQ(Status("observedGeneration"), 1);
  EXPECT_EQ(StatusString("currentRevision"), StatusString("updateRevision"));
  EXPECT_EQ(PodRevision("web-2"), StatusString("updateRevision"));
  ASSERT_EQ(RevisionObjects().size(), 1u);
  EXPECT_EQ(base::GetInt(*RevisionObjects()[0], {"revision"}), 1);
}

TEST_F(StatefulSetReconcilerTest, ParallelCreatesAllPodsAtOnceFromTheStartOrdinal) {
  CreateSet(R"({"podManagementPolicy":"Parallel","ordinals":{"start":5}})", 4);
  ASSERT_TRUE(Reconcile().status.ok());
  EXPECT_EQ(PodNames(), (std::set<std::string>{"web-5", "web-6", "web-7", "web-8"}));
  // Scaling down deletes every pod past the range at once, even unready ones.
  PatchSpec(R"({"replicas":1})");
  ASSERT_TRUE(Reconcile().status.ok());
  EXPECT_EQ(PodNames(), (std::set<std::string>{"web-5"}));
}

TEST_F(StatefulSetReconcilerTest, MinReadySecondsHoldsTheNextPodAndCountsAvailability) {
  // Pods turn Ready at 2020-01-01T00:00:00Z (SetPhase); the clock starts 5 s later.
  base::testing::FakeClock clock(absl::FromUnixSeconds(1577836800 + 5));
  StatefulSetReconciler::Options options;
  options.clock = &clock;
  StatefulSetReconciler reconciler(&client_, &sets_, &pods_, &revs_, &claims_, options);
  auto pass = [&] {
    Sync();
    auto r = reconciler.Reconcile("default/web");
    Sync();
    return r;
  };
  CreateSet(R"({"minReadySeconds":10})", 2);
  ASSERT_TRUE(pass().status.ok());
  SetPhase("web-0");
  auto r = pass();
  ASSERT_TRUE(r.status.ok());
  EXPECT_EQ(PodNames(), (std::set<std::string>{"web-0"}));  // ready 5 s, not available yet
  EXPECT_EQ(Status("readyReplicas"), 1);
  EXPECT_EQ(Status("availableReplicas"), 0);
  EXPECT_TRUE(r.requeue.has_value());  // availability comes with time alone
  clock.Advance(absl::Seconds(6));
  ASSERT_TRUE(pass().status.ok());
  EXPECT_EQ(PodNames(), (std::set<std::string>{"web-0", "web-1"}));
  EXPECT_EQ(Status("availableReplicas"), 1);
}

TEST_F(StatefulSetReconcilerTest, HugeReplicaCountsCostNothingUpFront) {
  CreateSet(R"({})", 2000000000);
  ASSERT_TRUE(Reconcile().status.ok());
  EXPECT_EQ(PodNames(), (std::set<std::string>{"web-0"}));
}

TEST_F(StatefulSetReconcilerTest, OrderedScaleDownRemovesTheHighestOrdinalFirstWhenAllAreHealthy) {
  CreateSet(R"({})", 4);
  Converge();
  ASSERT_EQ(PodNames().size(), 4u);
  PatchSpec(R"({"replicas":2})");
  SetPhase("web-1", "Running", false);  // an unhealthy pod blocks scale-down
  ASSERT_TRUE(Reconcile().status.ok());
  EXPECT_EQ(PodNames().size(), 4u);
  SetPhase("web-1");
  ASSERT_TRUE(Reconcile().status.ok());
  EXPECT_EQ(PodNames(), (std::set<std::string>{"web-0", "web-1", "web-2"}));
  ASSERT_TRUE(Reconcile().status.ok());
  EXPECT_EQ(PodNames(), (std::set<std::string>{"web-0", "web-1"}));
  ASSERT_TRUE(Reconcile().status.ok());
  EXPECT_EQ(Status("replicas"), 2);
}

TEST_F(StatefulSetReconcilerTest, FailedPodsAreReplacedUnderTheSameName) {
  CreateSet(R"({})", 2);
  Converge();
  client::Object before = client_.Peek(Pods(), "default", "web-0");
  SetPhase("web-0", "Failed", false);
  ASSERT_TRUE(Reconcile().status.ok());
  EXPECT_EQ(PodNames(), (std::set<std::string>{"web-1"}));
  ASSERT_TRUE(Reconcile().status.ok());
  client::Object after = client_.Peek(Pods(), "default", "web-0");
  ASSERT_NE(after, nullptr);
  EXPECT_NE(api::Uid(*after), api::Uid(*before));
}

TEST_F(StatefulSetReconcilerTest, ClaimsFollowTemplatesAndRetentionPolicy) {
  CreateSet(R"({"podManagementPolicy":"Parallel",
    "persistentVolumeClaimRetentionPolicy":{"whenDeleted":"Delete","whenScaled":"Delete"},
    "volumeClaimTemplates":[{"metadata":{"name":"www","labels":{"tier":"data"}},
      "spec":{"accessModes":["ReadWriteOnce"],"resources":{"requests":{"storage":"1Gi"}}}}]})");
  ASSERT_TRUE(Reconcile().status.ok());
  std::set<std::string> names;
  for (const auto& c : client_.Objects(Claims(), "default")) {
    names.insert(api::Name(*c));
    EXPECT_EQ(api::Label(*c, "tier"), "data");
    EXPECT_EQ(api::Label(*c, "app"), "web");
    const boost::json::value* ref = api::ControllerRef(*c);
    ASSERT_NE(ref, nullptr);
    EXPECT_EQ(base::GetString(*ref, {"kind"}), "StatefulSet");
  }
  EXPECT_EQ(names, (std::set<std::string>{"www-web-0", "www-web-1", "www-web-2"}));
  client::Object pod = client_.Peek(Pods(), "default", "web-1");
  EXPECT_EQ(base::GetString(pod->at("spec").at("volumes").at(0), {"persistentVolumeClaim", "claimName"}),
            "www-web-1");
  // Scale down: web-2's claim passes to web-2 (the collector deletes it with the pod).
  PatchSpec(R"({"replicas":2})");
  ASSERT_TRUE(Reconcile().status.ok());
  EXPECT_EQ(PodNames(), (std::set<std::string>{"web-0", "web-1"}));
  client::Object claim = client_.Peek(Claims(), "default", "www-web-2");
  ASSERT_NE(claim, nullptr);
  const boost::json::value* ref = api::ControllerRef(*claim);
  ASSERT_NE(ref, nullptr);
  EXPECT_EQ(base::GetString(*ref, {"kind"}), "Pod");
  EXPECT_EQ(base::GetString(*ref, {"name"}), "web-2");
  EXPECT_EQ(api::OwnerReferences(*claim)->size(), 1u);
  // Scaling up again waits while that stale claim exists, then goes on once it is gone.
  PatchSpec(R"({"replicas":3})");
  ASSERT_TRUE(Reconcile().status.ok());
  EXPECT_EQ(PodNames().count("web-2"), 0u);
  ASSERT_TRUE(client_.Delete(Claims(), "default", "www-web-2").ok());
  ASSERT_TRUE(Reconcile().status.ok());
  EXPECT_EQ(PodNames().count("web-2"), 1u);
  EXPECT_NE(client_.Peek(Claims(), "default", "www-web-2"), nullptr);
  // Retain/Retain: the references go.
  PatchSpec(R"({"persistentVolumeClaimRetentionPolicy":{"whenDeleted":"Retain","whenScaled":"Retain"}})");
  ASSERT_TRUE(Reconcile().status.ok());
  for (const auto& c : client_.Objects(Claims(), "default")) {
    const boost::json::array* refs = api::OwnerReferences(*c);
    EXPECT_TRUE(refs == nullptr || refs->empty()) << api::Name(*c);
  }
}

TEST_F(StatefulSetReconcilerTest, RollingUpdateRespectsThePartitionThenCompletes) {
  CreateSet(R"({"updateStrategy":{"type":"RollingUpdate","rollingUpdate":{"partition":1}}})");
  Converge();
  std::string first = StatusString("currentRevision");
  SetImage("busybox:2");
  Converge();
  std::string second = StatusString("updateRevision");
  EXPECT_NE(first, second);
  EXPECT_EQ(PodRevision("web-0"), first);
  EXPECT_EQ(PodRevision("web-1"), second);
  EXPECT_EQ(PodRevision("web-2"), second);
  EXPECT_EQ(StatusString("currentRevision"), first);  // the rollout is not complete
  EXPECT_EQ(Status("currentReplicas"), 1);
  EXPECT_EQ(Status("updatedReplicas"), 2);
  ASSERT_EQ(RevisionObjects().size(), 2u);
  PatchSpec(R"({"updateStrategy":{"rollingUpdate":{"partition":0}}})");
  Converge();
  EXPECT_EQ(PodRevision("web-0"), second);
  EXPECT_EQ(StatusString("currentRevision"), second);
  EXPECT_EQ(Status("currentReplicas"), 3);
}

TEST_F(StatefulSetReconcilerTest, RollingUpdateReplacesOnePodAtATimeHighestFirst) {
  CreateSet();
  Converge();
  SetImage("busybox:2");
  ASSERT_TRUE(Reconcile().status.ok());
  EXPECT_EQ(PodNames(), (std::set<std::string>{"web-0", "web-1"}));  // web-2 went first
  ASSERT_TRUE(Reconcile().status.ok());                              // recreated, not ready yet
  EXPECT_EQ(PodNames().size(), 3u);
  ASSERT_TRUE(Reconcile().status.ok());
  EXPECT_EQ(PodNames().size(), 3u);  // web-1 waits for the new web-2
}

TEST_F(StatefulSetReconcilerTest, MaxUnavailableReplacesSeveralPodsAtOnce) {
  CreateSet(R"({"updateStrategy":{"type":"RollingUpdate","rollingUpdate":{"partition":0,"maxUnavailable":2}}})", 4);
  Converge();
  SetImage("busybox:2");
  ASSERT_TRUE(Reconcile().status.ok());
  EXPECT_EQ(PodNames(), (std::set<std::string>{"web-0", "web-1"}));
}

TEST_F(StatefulSetReconcilerTest, OnDeleteUpdatesOnlyRecreatedPods) {
  CreateSet(R"({"updateStrategy":{"type":"OnDelete"}})", 2);
  Converge();
  std::string first = StatusString("currentRevision");
  SetImage("busybox:2");
  Converge();
  EXPECT_EQ(PodRevision("web-0"), first);
  EXPECT_EQ(PodRevision("web-1"), first);
  ASSERT_TRUE(client_.Delete(Pods(), "default", "web-1").ok());
  Converge();
  EXPECT_EQ(PodRevision("web-0"), first);
  EXPECT_EQ(PodRevision("web-1"), StatusString("updateRevision"));
  EXPECT_NE(PodRevision("web-1"), first);
}

TEST_F(StatefulSetReconcilerTest, UndoReusesTheOldRevisionAndHistoryIsTruncated) {
  CreateSet(R"({"revisionHistoryLimit":1})", 1);
  Converge();
  std::string first = StatusString("currentRevision");
  SetImage("busybox:2");
  Converge();
  std::string second = StatusString("currentRevision");
  SetImage("busybox:1");  // what `kubectl rollout undo` does: the old template comes back
  Converge();
  EXPECT_EQ(StatusString("currentRevision"), first);
  std::map<std::string, int64_t> numbers;
  for (const auto& r : RevisionObjects()) numbers[api::Name(*r)] = base::GetInt(*r, {"revision"});
  EXPECT_EQ(numbers, (std::map<std::string, int64_t>{{first, 3}, {second, 2}}));
  SetImage("busybox:3");
  Converge();
  SetImage("busybox:4");
  Converge();
  EXPECT_EQ(RevisionObjects().size(), 2u);  // the live one and one of history
}

TEST_F(StatefulSetReconcilerTest, AdoptsOrphanPodsAndIgnoresOthers) {
  boost::json::value orphan = NewPod(Json(R"({"metadata":{"name":"web","namespace":"default"},
    "spec":{"template":{"metadata":{"labels":{"app":"web"}},"spec":{"containers":[{"name":"c","image":"x"}]}}}})"),
                                     0, "old");
  orphan.as_object()["metadata"].as_object().erase("ownerReferences");
  ASSERT_TRUE(client_.Create(Pods(), "default", orphan).ok());
  boost::json::value stranger = Json(R"({"metadata":{"name":"other-0","labels":{"app":"web"}},"spec":{}})");
  ASSERT_TRUE(client_.Create(Pods(), "default", stranger).ok());
  std::string uid = api::Uid(*client_.Peek(Pods(), "default", "web-0"));
  CreateSet(R"({"updateStrategy":{"type":"OnDelete"}})", 1);  // OnDelete: the adopted pod stays as it is
  SetPhase("web-0");
  ASSERT_TRUE(Reconcile().status.ok());
  client::Object adopted = client_.Peek(Pods(), "default", "web-0");
  ASSERT_NE(adopted, nullptr);
  EXPECT_EQ(api::Uid(*adopted), uid);
  ASSERT_NE(api::ControllerRef(*adopted), nullptr);
  EXPECT_EQ(base::GetString(*api::ControllerRef(*adopted), {"name"}), "web");
  ASSERT_NE(client_.Peek(Pods(), "default", "other-0"), nullptr);
  EXPECT_EQ(api::ControllerRef(*client_.Peek(Pods(), "default", "other-0")), nullptr);
}

}  // namespace
}  // namespace skiff::controllers::statefulset
