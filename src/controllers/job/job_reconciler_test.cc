#include "controllers/job/job_reconciler.h"

#include <algorithm>
#include <set>

#include "api/object_meta.h"
#include "api/resources.h"
#include "base/json.h"
#include "base/testing/fake_clock.h"
#include "client/testing/fake_client.h"
#include "controllers/workload/workload_util.h"
#include "gtest/gtest.h"

namespace skiff::controllers {
namespace {

const api::ResourceInfo& Pods() { return *api::FindResource("", "v1", "pods"); }
const api::ResourceInfo& Jobs() { return *api::FindResource("batch", "v1", "jobs"); }

class JobReconcilerTest : public ::testing::Test {
 protected:
  JobReconcilerTest() : reconciler_(&client_, &jobs_, &pods_, {.clock = &clock_}) {}

  void CreateJob(const std::string& spec_json) {
    boost::json::value job = *base::ParseJson(R"({"apiVersion":"batch/v1","kind":"Job",
      "metadata":{"name":"pi","namespace":"default"},
      "spec":{"template":{"metadata":{"labels":{"app":"pi"}},
              "spec":{"restartPolicy":"Never","containers":[{"name":"c","image":"busybox"}]}}}})");
    boost::json::value extra = *base::ParseJson(spec_json);
    for (const auto& [k, v] : extra.as_object()) job.as_object()["spec"].as_object()[k] = v;
    ASSERT_TRUE(client_.Create(Jobs(), "default", job).ok());
  }

  // Copies the fake server's state into the caches and replays pod events into expectations.
  void Sync() {
    jobs_.Reset(client_.Objects(Jobs()));
    pods_.Reset(client_.Objects(Pods()));
    std::set<std::string> now;
    for (const auto& p : client_.Objects(Pods())) {
      now.insert(api::Uid(*p));
      if (!seen_.count(api::Uid(*p))) reconciler_.OnPodAdded(*p);
      if (api::IsBeingDeleted(*p)) reconciler_.OnPodUpdated(*p, *p);
    }
    seen_ = now;
  }

  client::ReconcileResult Reconcile() {
    Sync();
    client::ReconcileResult r = reconciler_.Reconcile("default/pi");
    Sync();
    return r;
  }

  std::vector<client::Object> PodList() { return client_.Objects(Pods(), "default"); }
  client::Object Job() { return client_.Peek(Jobs(), "default", "pi"); }
  int64_t StatusInt(const char* field) { return base::GetInt(*Job(), {"status", field}, -1); }
  std::string ConditionReason(const std::string& type) {
    const boost::json::object* c = FindCondition(*base::Find(*Job(), "status"), type);
    return c == nullptr ? "" : std::string(c->at("reason").as_string());
  }

  void SetPhase(const client::Object& pod, const std::string& phase) {
    boost::json::value next = *pod;
    next.as_object()["status"] = boost::json::object{{"phase", phase}};
    ASSERT_TRUE(client_.Update(Pods(), "default", next, "status").ok());
  }
  void SetAllActive(const std::string& phase) {
    for (const auto& p : PodList()) {
      if (IsPodActive(*p)) SetPhase(p, phase);
    }
  }
  // Pods being deleted lose their other finalizers and end as the kubelet would end them.
  int ActiveCount() {
    int n = 0;
    for (const auto& p : PodList()) n += IsPodActive(*p);
    return n;
  }

  base::testing::FakeClock clock_;
  client::testing::FakeClient client_{&clock_};
  MapCache jobs_;
  MapCache pods_;
  JobReconciler reconciler_;
  std::set<std::string> seen_;
};

TEST(IndexesTest, ParseAndFormat) {
  EXPECT_EQ(ParseIndexes("0-2,4,7-8"), (std::set<int64_t>{0, 1, 2, 4, 7, 8}));
  EXPECT_EQ(FormatIndexes({0, 1, 2, 4, 7, 8}), "0-2,4,7-8");
  EXPECT_EQ(FormatIndexes({}), "");
  EXPECT_EQ(ParseIndexes("x,3"), (std::set<int64_t>{3}));
}

TEST_F(JobReconcilerTest, RunsToCompletionWithParallelism) {
  CreateJob(R"({"completions":3,"parallelism":2})");
  ASSERT_TRUE(Reconcile().status.ok());
  auto pods = PodList();
  ASSERT_EQ(pods.size(), 2u);
  const boost::json::value* fin = base::FindPath(*pods[0], {"metadata", "finalizers"});
  ASSERT_TRUE(fin && fin->is_array());
  EXPECT_EQ(fin->as_array()[0], kJobTrackingFinalizer);
  EXPECT_EQ(base::GetString(*api::ControllerRef(*pods[0]), {"kind"}), "Job");
  EXPECT_EQ(StatusInt("active"), 2);
  EXPECT_FALSE(base::GetString(*Job(), {"status", "startTime"}).empty());

  SetPhase(pods[0], "Succeeded");
  ASSERT_TRUE(Reconcile().status.ok());
  EXPECT_EQ(StatusInt("succeeded"), 1);
  EXPECT_EQ(ActiveCount(), 2);  // one replacement
  // The counted pod lost its tracking finalizer and is not counted twice.
  EXPECT_EQ(base::FindPath(*client_.Peek(Pods(), "default", api::Name(*pods[0])), {"metadata", "finalizers"}),
            nullptr);
  ASSERT_TRUE(Reconcile().status.ok());
  EXPECT_EQ(StatusInt("succeeded"), 1);

  SetAllActive("Succeeded");
  ASSERT_TRUE(Reconcile().status.ok());
  ASSERT_TRUE(Reconcile().status.ok());
  EXPECT_EQ(StatusInt("succeeded"), 3);
  EXPECT_EQ(StatusInt("active"), 0);
  EXPECT_EQ(ConditionReason("SuccessCriteriaMet"), "CompletionsReached");
  EXPECT_EQ(ConditionReason("Complete"), "CompletionsReached");
  EXPECT_FALSE(base::GetString(*Job(), {"status", "completionTime"}).empty());
  EXPECT_EQ(PodList().size(), 3u);
}

TEST_F(JobReconcilerTest, BackoffLimitFailsTheJob) {
  CreateJob(R"({"completions":1,"parallelism":1,"backoffLimit":1})");
  ASSERT_TRUE(Reconcile().status.ok());
  SetAllActive("Failed");
  ASSERT_TRUE(Reconcile().status.ok());
  EXPECT_EQ(StatusInt("failed"), 1);
  EXPECT_EQ(ActiveCount(), 1);
  EXPECT_EQ(ConditionReason("Failed"), "");
  SetAllActive("Failed");
  ASSERT_TRUE(Reconcile().status.ok());
  EXPECT_EQ(StatusInt("failed"), 2);
  EXPECT_EQ(ConditionReason("FailureTarget"), "BackoffLimitExceeded");
  EXPECT_EQ(ConditionReason("Failed"), "BackoffLimitExceeded");
  EXPECT_EQ(ActiveCount(), 0);
}

TEST_F(JobReconcilerTest, ActiveDeadlineDeletesPodsAndFails) {
  CreateJob(R"({"completions":2,"parallelism":2,"activeDeadlineSeconds":10})");
  auto r = Reconcile();
  ASSERT_TRUE(r.status.ok());
  ASSERT_TRUE(r.requeue.has_value());
  EXPECT_EQ(*r.requeue, absl::Seconds(10));
  clock_.Advance(absl::Seconds(11));
  ASSERT_TRUE(Reconcile().status.ok());
  EXPECT_EQ(ConditionReason("FailureTarget"), "DeadlineExceeded");
  EXPECT_EQ(ConditionReason("Failed"), "");  // pods still terminating
  // Deleted pods keep the tracking finalizer until counted; then they go.
  ASSERT_TRUE(Reconcile().status.ok());
  ASSERT_TRUE(Reconcile().status.ok());
  EXPECT_EQ(ConditionReason("Failed"), "DeadlineExceeded");
  EXPECT_EQ(StatusInt("failed"), 2);
  EXPECT_TRUE(PodList().empty());
}

TEST_F(JobReconcilerTest, IndexedPodsCarryTheirIndex) {
  CreateJob(R"({"completions":3,"parallelism":2,"completionMode":"Indexed"})");
  ASSERT_TRUE(Reconcile().status.ok());
  auto pods = PodList();
  ASSERT_EQ(pods.size(), 2u);
  std::set<std::string> hostnames;
  for (const auto& p : pods) {
    std::string index = base::GetString(*p, {"metadata", "annotations", kJobCompletionIndexAnnotation});
    EXPECT_EQ(base::GetString(*p, {"spec", "hostname"}), "pi-" + index);
    hostnames.insert(index);
    const auto& env = base::FindPath(*p, {"spec", "containers"})->as_array()[0].at("env").as_array();
    EXPECT_EQ(env[0].at("name"), "JOB_COMPLETION_INDEX");
  }
  EXPECT_EQ(hostnames, (std::set<std::string>{"0", "1"}));
  SetAllActive("Succeeded");
  ASSERT_TRUE(Reconcile().status.ok());
  EXPECT_EQ(base::GetString(*Job(), {"status", "completedIndexes"}), "0-1");
  pods = PodList();
  client::Object last;
  for (const auto& p : pods) {
    if (IsPodActive(*p)) last = p;
  }
  ASSERT_NE(last, nullptr);
  EXPECT_EQ(base::GetString(*last, {"metadata", "annotations", kJobCompletionIndexAnnotation}), "2");
  SetPhase(last, "Succeeded");
  ASSERT_TRUE(Reconcile().status.ok());
  EXPECT_EQ(base::GetString(*Job(), {"status", "completedIndexes"}), "0-2");
  EXPECT_EQ(ConditionReason("Complete"), "CompletionsReached");
}

TEST_F(JobReconcilerTest, TtlDeletesFinishedJob) {
  CreateJob(R"({"completions":1,"ttlSecondsAfterFinished":30})");
  ASSERT_TRUE(Reconcile().status.ok());
  SetAllActive("Succeeded");
  ASSERT_TRUE(Reconcile().status.ok());
  ASSERT_EQ(ConditionReason("Complete"), "CompletionsReached");
  auto r = Reconcile();
  ASSERT_TRUE(r.requeue.has_value());
  EXPECT_EQ(*r.requeue, absl::Seconds(30));
  clock_.Advance(absl::Seconds(31));
  ASSERT_TRUE(Reconcile().status.ok());
  EXPECT_EQ(Job(), nullptr);
}

TEST_F(JobReconcilerTest, ExpectationsPreventDoubleCreation) {
  CreateJob(R"({"completions":5,"parallelism":3})");
  Sync();
  ASSERT_TRUE(reconciler_.Reconcile("default/pi").status.ok());
  // The caches have not seen the new pods: no second batch (the stale status write conflicts).
  reconciler_.Reconcile("default/pi");
  EXPECT_EQ(PodList().size(), 3u);
}

bool HasTrackingFinalizer(const client::Object& pod) {
  const boost::json::value* list = base::FindPath(*pod, {"metadata", "finalizers"});
  if (list == nullptr || !list->is_array()) return false;
  for (const auto& f : list->as_array()) {
    if (f == kJobTrackingFinalizer) return true;
  }
  return false;
}

TEST_F(JobReconcilerTest, FinishedPodsOfLiveJobLoseTheFinalizerOnceCounted) {
  CreateJob(R"({"completions":2,"parallelism":2,"backoffLimit":5})");
  ASSERT_TRUE(Reconcile().status.ok());
  auto pods = PodList();
  ASSERT_EQ(pods.size(), 2u);
  SetPhase(pods[0], "Succeeded");
  SetPhase(pods[1], "Failed");
  ASSERT_TRUE(Reconcile().status.ok());
  EXPECT_EQ(StatusInt("succeeded"), 1);
  EXPECT_EQ(StatusInt("failed"), 1);
  for (const auto& p : pods) {
    client::Object now = client_.Peek(Pods(), "default", api::Name(*p));
    ASSERT_NE(now, nullptr);
    EXPECT_FALSE(HasTrackingFinalizer(now)) << api::Name(*p);
    EXPECT_FALSE(reconciler_.IsOrphanWithFinalizer(*now));
  }
  // The replacement pod of the live Job is not an orphan, and SyncOrphanPod leaves it alone.
  for (const auto& p : PodList()) {
    if (!IsPodActive(*p)) continue;
    EXPECT_TRUE(HasTrackingFinalizer(p));
    EXPECT_FALSE(reconciler_.IsOrphanWithFinalizer(*p));
    ASSERT_TRUE(reconciler_.SyncOrphanPod(client::KeyOf(*p)).status.ok());
    EXPECT_TRUE(HasTrackingFinalizer(client_.Peek(Pods(), "default", api::Name(*p))));
  }
}

TEST_F(JobReconcilerTest, PodsOfDeletedJobLoseTheFinalizerAndGo) {
  CreateJob(R"({"completions":3,"parallelism":2})");
  ASSERT_TRUE(Reconcile().status.ok());
  client::Object job = Job();
  ASSERT_EQ(PodList().size(), 2u);
  // Background deletion: the Job goes at once; the garbage collector then deletes its pods,
  // which stay Terminating while they carry the tracking finalizer.
  ASSERT_TRUE(client_.Delete(Jobs(), "default", "pi").ok());
  for (const auto& p : PodList()) ASSERT_TRUE(client_.Delete(Pods(), "default", api::Name(*p)).ok());
  Sync();
  auto pods = PodList();
  ASSERT_EQ(pods.size(), 2u);
  std::vector<std::string> keys = reconciler_.OnJobDeleted(*job);
  EXPECT_EQ(keys.size(), 2u);
  ASSERT_TRUE(reconciler_.Reconcile("default/pi").status.ok());  // the Job's own sync: nothing
  EXPECT_EQ(PodList().size(), 2u);
  for (const auto& p : pods) {
    EXPECT_TRUE(api::IsBeingDeleted(*p));
    EXPECT_TRUE(reconciler_.IsOrphanWithFinalizer(*p));
    EXPECT_NE(std::find(keys.begin(), keys.end(), client::KeyOf(*p)), keys.end());
    ASSERT_TRUE(reconciler_.SyncOrphanPod(client::KeyOf(*p)).status.ok());
  }
  EXPECT_TRUE(PodList().empty());
}

TEST_F(JobReconcilerTest, PodsOfReplacedJobAreOrphansButTheNewJobsAreNot) {
  CreateJob(R"({"completions":1,"parallelism":1})");
  ASSERT_TRUE(Reconcile().status.ok());
  ASSERT_EQ(PodList().size(), 1u);
  std::string old_pod = api::Name(*PodList()[0]);
  // The Job is deleted and created again under the same name (a new uid) before the GC runs.
  ASSERT_TRUE(client_.Delete(Jobs(), "default", "pi").ok());
  CreateJob(R"({"completions":1,"parallelism":1})");
  ASSERT_TRUE(Reconcile().status.ok());
  ASSERT_EQ(PodList().size(), 2u);
  for (const auto& p : PodList()) {
    bool old = api::Name(*p) == old_pod;
    EXPECT_EQ(reconciler_.IsOrphanWithFinalizer(*p), old) << api::Name(*p);
    ASSERT_TRUE(reconciler_.SyncOrphanPod(client::KeyOf(*p)).status.ok());
    EXPECT_EQ(HasTrackingFinalizer(client_.Peek(Pods(), "default", api::Name(*p))), !old) << api::Name(*p);
  }
}

TEST_F(JobReconcilerTest, OrphanSyncChecksTheServerWhenTheCacheLacksTheJob) {
  CreateJob(R"({"completions":1,"parallelism":1})");
  ASSERT_TRUE(Reconcile().status.ok());
  ASSERT_EQ(PodList().size(), 1u);
  jobs_.Clear();  // the Job informer has not listed yet (e.g. just after a restart)
  client::Object pod = PodList()[0];
  EXPECT_TRUE(reconciler_.IsOrphanWithFinalizer(*pod));
  ASSERT_TRUE(reconciler_.SyncOrphanPod(client::KeyOf(*pod)).status.ok());
  EXPECT_TRUE(HasTrackingFinalizer(client_.Peek(Pods(), "default", api::Name(*pod))));
}

TEST_F(JobReconcilerTest, OrphanSyncLeavesPodsOfOtherControllersAlone) {
  boost::json::value pod = *base::ParseJson(R"({"apiVersion":"v1","kind":"Pod",
    "metadata":{"name":"other","namespace":"default",
      "finalizers":["batch.kubernetes.io/job-tracking"],
      "ownerReferences":[{"apiVersion":"apps/v1","kind":"ReplicaSet","name":"rs","uid":"u1",
                          "controller":true}]},
    "spec":{"containers":[{"name":"c","image":"busybox"}]}})");
  ASSERT_TRUE(client_.Create(Pods(), "default", pod).ok());
  boost::json::value loose = pod;
  loose.as_object()["metadata"].as_object()["name"] = "loose";
  loose.as_object()["metadata"].as_object().erase("ownerReferences");
  ASSERT_TRUE(client_.Create(Pods(), "default", loose).ok());
  Sync();
  EXPECT_FALSE(reconciler_.IsOrphanWithFinalizer(*client_.Peek(Pods(), "default", "other")));
  ASSERT_TRUE(reconciler_.SyncOrphanPod("default/other").status.ok());
  EXPECT_TRUE(HasTrackingFinalizer(client_.Peek(Pods(), "default", "other")));
  // A pod without any controller (e.g. orphaned by --cascade=orphan) is released.
  EXPECT_TRUE(reconciler_.IsOrphanWithFinalizer(*client_.Peek(Pods(), "default", "loose")));
  ASSERT_TRUE(reconciler_.SyncOrphanPod("default/loose").status.ok());
  EXPECT_FALSE(HasTrackingFinalizer(client_.Peek(Pods(), "default", "loose")));
}

}  // namespace
}  // namespace skiff::controllers
