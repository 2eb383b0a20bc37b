#include "controllers/cronjob/cronjob_reconciler.h"

#include <set>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "api/object_meta.h"
#include "api/resources.h"
#include "base/json.h"
#include "base/testing/fake_clock.h"
#include "client/testing/fake_client.h"
#include "controllers/cronjob/cronjob_util.h"
#include "controllers/workload/workload_util.h"
#include "gtest/gtest.h"

namespace skiff::controllers {
namespace {

const api::ResourceInfo& Jobs() { return *api::FindResource("batch", "v1", "jobs"); }
const api::ResourceInfo& CronJobs() { return *api::FindResource("batch", "v1", "cronjobs"); }

absl::Time At(const std::string& rfc3339) {
  absl::Time t;
  EXPECT_TRUE(base::ParseRfc3339(rfc3339, &t)) << rfc3339;
  return t;
}

class CronJobReconcilerTest : public ::testing::Test {
 protected:
  CronJobReconcilerTest()
      : reconciler_(&client_, &cronjobs_, &jobs_,
                    {.clock = &clock_,
                     .record_event =
                         [this](const boost::json::value& obj, const std::string& type,
                                const std::string& reason, const std::string& message) {
                           EXPECT_EQ(base::GetString(obj, {"kind"}), "CronJob");
                           events_.push_back(absl::StrCat(type, " ", reason, " ", message));
                         },
                     .zone = absl::UTCTimeZone()}) {}

  // A CronJob as the API server stores it (defaults applied), created at the clock's time.
  void CreateCronJob(const std::string& spec_json) {
    boost::json::value cj = *base::ParseJson(R"({"apiVersion":"batch/v1","kind":"CronJob",
      "metadata":{"name":"cj","namespace":"default"},
      "spec":{"schedule":"* * * * *","concurrencyPolicy":"Allow","suspend":false,
              "successfulJobsHistoryLimit":3,"failedJobsHistoryLimit":1,
              "jobTemplate":{"metadata":{"labels":{"app":"tick"},"annotations":{"note":"hi"}},
                "spec":{"backoffLimit":2,"template":{"spec":{"restartPolicy":"Never",
                        "containers":[{"name":"c","image":"busybox"}]}}}}}})");
    boost::json::value extra = *base::ParseJson(spec_json);
    for (const auto& [k, v] : extra.as_object()) cj.as_object()["spec"].as_object()[k] = v;
    ASSERT_TRUE(client_.Create(CronJobs(), "default", cj).ok());
  }

  void Sync() {
    cronjobs_.Reset(client_.Objects(CronJobs()));
    jobs_.Reset(client_.Objects(Jobs()));
  }

  client::ReconcileResult Reconcile() {
    Sync();
    client::ReconcileResult r = reconciler_.Reconcile("default/cj");
    Sync();
    return r;
  }

  client::Object CronJob() { return client_.Peek(CronJobs(), "default", "cj"); }
  std::vector<std::string> JobNames() {
    std::vector<std::string> names;
    for (const auto& j : client_.Objects(Jobs())) names.push_back(api::Name(*j));
    return names;
  }
  std::vector<std::string> ActiveNames() {
    std::vector<std::string> names;
    const boost::json::value* active = base::FindPath(*CronJob(), {"status", "active"});
    if (active != nullptr && active->is_array()) {
      for (const auto& ref : active->get_array()) names.push_back(base::GetString(ref, {"name"}));
    }
    return names;
  }
  std::string Status(const char* field) { return base::GetString(*CronJob(), {"status", field}); }
  int Creates() { return client_.CountCalls("create jobs "); }
  bool HasEvent(const std::string& prefix) {
    for (const std::string& e : events_) {
      if (absl::StartsWith(e, prefix)) return true;
    }
    return false;
  }
  static std::string JobNameAt(const std::string& rfc3339) { return ScheduledJobName("cj", At(rfc3339)); }

  // Marks a Job finished ("Complete" or "Failed") with the given start and completion times.
  void Finish(const std::string& name, const std::string& type, const std::string& start,
              const std::string& end) {
    boost::json::value job = *client_.Peek(Jobs(), "default", name);
    boost::json::object status{{"startTime", start},
                               {"conditions", boost::json::array{{{"type", type}, {"status", "True"}}}}};
    if (type == "Complete") status["completionTime"] = end;
    job.as_object()["status"] = std::move(status);
    ASSERT_TRUE(client_.Update(Jobs(), "default", job, "status").ok());
  }

  // A Job controlled by the CronJob, created outside the controller (as kubectl create job --from).
  void CreateOwnedJob(const std::string& name) {
    boost::json::value job = boost::json::object{
        {"apiVersion", "batch/v1"},
        {"kind", "Job"},
        {"metadata",
         {{"name", name},
          {"annotations", {{"cronjob.kubernetes.io/instantiate", "manual"}}},
          {"ownerReferences", boost::json::array{MakeControllerRef(*CronJob(), "batch/v1", "CronJob")}}}},
        {"spec", boost::json::object{}}};
    ASSERT_TRUE(client_.Create(Jobs(), "default", job).ok());
  }

  base::testing::FakeClock clock_{At("2024-05-01T10:00:30Z")};
  client::testing::FakeClient client_{&clock_};
  MapCache cronjobs_;
  MapCache jobs_;
  std::vector<std::string> events_;
  CronJobReconciler reconciler_;
};

TEST_F(CronJobReconcilerTest, WaitsForTheFirstScheduledTimeThenCreatesTheJob) {
  CreateCronJob("{}");
  client::ReconcileResult r = Reconcile();
  ASSERT_TRUE(r.status.ok()) << r.status;
  EXPECT_TRUE(JobNames().empty());
  ASSERT_TRUE(r.requeue.has_value());
  EXPECT_EQ(*r.requeue, absl::Milliseconds(30100));  // 10:01:00 + 100 ms

  clock_.Set(At("2024-05-01T10:01:00.1Z"));
  r = Reconcile();
  ASSERT_TRUE(r.status.ok()) << r.status;
  std::string name = JobNameAt("2024-05-01T10:01:00Z");
  EXPECT_EQ(name, "cj-28575961");  // minutes since the epoch, as Kubernetes names it
  ASSERT_EQ(JobNames(), std::vector<std::string>{name});
  client::Object job = client_.Peek(Jobs(), "default", name);
  EXPECT_EQ(base::GetString(*job, {"metadata", "annotations", kCronJobScheduledTimestampAnnotation}),
            "2024-05-01T10:01:00Z");
  EXPECT_EQ(base::GetString(*job, {"metadata", "annotations", "note"}), "hi");
  EXPECT_EQ(base::GetString(*job, {"metadata", "labels", "app"}), "tick");
  EXPECT_EQ(base::GetInt(*job, {"spec", "backoffLimit"}), 2);
  const boost::json::value* owner = api::ControllerRef(*job);
  ASSERT_NE(owner, nullptr);
  EXPECT_EQ(base::GetString(*owner, {"kind"}), "CronJob");
  EXPECT_EQ(base::GetString(*owner, {"uid"}), api::Uid(*CronJob()));
  EXPECT_TRUE(base::GetBool(*owner, {"blockOwnerDeletion"}));
  EXPECT_EQ(ActiveNames(), std::vector<std::string>{name});
  EXPECT_EQ(base::GetString((*CronJob()).at("status").at("active").at(0), {"uid"}), api::Uid(*job));
  EXPECT_EQ(Status("lastScheduleTime"), "2024-05-01T10:01:00Z");
  EXPECT_TRUE(HasEvent("Normal SuccessfulCreate Created job " + name));
  ASSERT_TRUE(r.requeue.has_value());
  EXPECT_EQ(*r.requeue, absl::Seconds(60));  // 10:02:00.1 - 10:01:00.1

  // The same scheduled time is never started twice.
  r = Reconcile();
  EXPECT_TRUE(r.status.ok());
  EXPECT_EQ(Creates(), 1);
}

TEST_F(CronJobReconcilerTest, CompletedJobLeavesActiveAndSetsLastSuccessfulTime) {
  CreateCronJob("{}");
  clock_.Set(At("2024-05-01T10:01:01Z"));
  ASSERT_TRUE(Reconcile().status.ok());
  std::string name = JobNameAt("2024-05-01T10:01:00Z");
  Finish(name, "Complete", "2024-05-01T10:01:01Z", "2024-05-01T10:01:20Z");
  clock_.Set(At("2024-05-01T10:01:21Z"));
  ASSERT_TRUE(Reconcile().status.ok());
  EXPECT_TRUE(ActiveNames().empty());
  EXPECT_EQ(base::FindPath(*CronJob(), {"status", "active"}), nullptr);
  EXPECT_EQ(Status("lastSuccessfulTime"), "2024-05-01T10:01:20Z");
  EXPECT_TRUE(HasEvent("Normal SawCompletedJob Saw completed job: " + name + ", condition: Complete"));
}

TEST_F(CronJobReconcilerTest, ForbidSkipsWhileAJobIsActive) {
  CreateCronJob(R"({"concurrencyPolicy":"Forbid"})");
  clock_.Set(At("2024-05-01T10:01:01Z"));
  ASSERT_TRUE(Reconcile().status.ok());
  clock_.Set(At("2024-05-01T10:02:01Z"));
  client::ReconcileResult r = Reconcile();
  ASSERT_TRUE(r.status.ok());
  EXPECT_EQ(JobNames().size(), 1u);
  EXPECT_TRUE(HasEvent("Normal JobAlreadyActive Not starting job because prior execution is running"));
  EXPECT_EQ(Status("lastScheduleTime"), "2024-05-01T10:01:00Z");
  ASSERT_TRUE(r.requeue.has_value());
  EXPECT_EQ(*r.requeue, absl::Milliseconds(59100));
}

TEST_F(CronJobReconcilerTest, ReplaceDeletesTheActiveJobFirst) {
  CreateCronJob(R"({"concurrencyPolicy":"Replace"})");
  clock_.Set(At("2024-05-01T10:01:01Z"));
  ASSERT_TRUE(Reconcile().status.ok());
  std::string first = JobNameAt("2024-05-01T10:01:00Z");
  clock_.Set(At("2024-05-01T10:02:01Z"));
  ASSERT_TRUE(Reconcile().status.ok());
  std::string second = JobNameAt("2024-05-01T10:02:00Z");
  EXPECT_EQ(JobNames(), std::vector<std::string>{second});
  std::vector<std::string> calls = client_.Calls();
  EXPECT_NE(std::find(calls.begin(), calls.end(), "delete jobs default/" + first + " Background"),
            calls.end());
  EXPECT_EQ(ActiveNames(), std::vector<std::string>{second});
  EXPECT_TRUE(HasEvent("Normal SuccessfulDelete Deleted job " + first));
}

TEST_F(CronJobReconcilerTest, AllowRunsJobsConcurrently) {
  CreateCronJob("{}");
  clock_.Set(At("2024-05-01T10:01:01Z"));
  ASSERT_TRUE(Reconcile().status.ok());
  clock_.Set(At("2024-05-01T10:02:01Z"));
  ASSERT_TRUE(Reconcile().status.ok());
  EXPECT_EQ(ActiveNames().size(), 2u);
  EXPECT_EQ(Status("lastScheduleTime"), "2024-05-01T10:02:00Z");
}

TEST_F(CronJobReconcilerTest, SuspendedCronJobStartsNothing) {
  CreateCronJob(R"({"suspend":true})");
  clock_.Set(At("2024-05-01T10:05:00Z"));
  client::ReconcileResult r = Reconcile();
  ASSERT_TRUE(r.status.ok());
  EXPECT_FALSE(r.requeue.has_value());
  EXPECT_TRUE(JobNames().empty());
  EXPECT_EQ(Creates(), 0);
}

TEST_F(CronJobReconcilerTest, UnknownTimeZoneIsAWarningAndNothingRuns) {
  CreateCronJob(R"({"timeZone":"Mars/Olympus_Mons"})");
  clock_.Set(At("2024-05-01T10:05:00Z"));
  client::ReconcileResult r = Reconcile();
  ASSERT_TRUE(r.status.ok());
  EXPECT_FALSE(r.requeue.has_value());
  EXPECT_TRUE(JobNames().empty());
  EXPECT_TRUE(HasEvent(R"(Warning UnknownTimeZone invalid timeZone: "Mars/Olympus_Mons": unknown time zone)"))
      << (events_.empty() ? "" : events_[0]);
}

TEST_F(CronJobReconcilerTest, UnparseableScheduleIsAWarningAndNothingRuns) {
  CreateCronJob(R"({"schedule":"61 * * * *"})");
  clock_.Set(At("2024-05-01T10:05:00Z"));
  client::ReconcileResult r = Reconcile();
  ASSERT_TRUE(r.status.ok());
  EXPECT_FALSE(r.requeue.has_value());
  EXPECT_TRUE(JobNames().empty());
  EXPECT_TRUE(
      HasEvent(R"(Warning UnparseableSchedule unparseable schedule: "61 * * * *" : end of range (61))"));
}

TEST_F(CronJobReconcilerTest, ScheduleInTimeZone) {
  clock_.Set(At("2024-05-01T09:00:00Z"));  // 05:00 in New York (EDT)
  CreateCronJob(R"({"schedule":"0 6 * * *","timeZone":"America/New_York"})");
  client::ReconcileResult r = Reconcile();
  ASSERT_TRUE(r.requeue.has_value());
  EXPECT_EQ(*r.requeue, absl::Hours(1) + kNextScheduleDelta);
  clock_.Set(At("2024-05-01T10:00:01Z"));
  ASSERT_TRUE(Reconcile().status.ok());
  std::string name = JobNameAt("2024-05-01T10:00:00Z");
  ASSERT_EQ(JobNames(), std::vector<std::string>{name});
  EXPECT_EQ(base::GetString(*client_.Peek(Jobs(), "default", name),
                            {"metadata", "annotations", kCronJobScheduledTimestampAnnotation}),
            "2024-05-01T06:00:00-04:00");
}

TEST_F(CronJobReconcilerTest, StartingDeadlineSkipsRunsThatAreTooLate) {
  CreateCronJob(R"({"startingDeadlineSeconds":10})");
  clock_.Set(At("2024-05-01T10:01:30Z"));  // 30 s after 10:01:00: outside the 10 s window
  client::ReconcileResult r = Reconcile();
  ASSERT_TRUE(r.status.ok());
  EXPECT_TRUE(JobNames().empty());
  EXPECT_TRUE(
      HasEvent("Warning MissSchedule Missed scheduled time to start a job: Wed, 01 May 2024 10:01:00 +0000"));
  ASSERT_TRUE(r.requeue.has_value());
  EXPECT_EQ(*r.requeue, absl::Milliseconds(30100));
  clock_.Set(At("2024-05-01T10:02:05Z"));  // within the window of 10:02:00
  ASSERT_TRUE(Reconcile().status.ok());
  EXPECT_EQ(JobNames(), std::vector<std::string>{JobNameAt("2024-05-01T10:02:00Z")});
}

TEST_F(CronJobReconcilerTest, TooManyMissedRunsWarnsAndStartsTheLatest) {
  CreateCronJob("{}");
  clock_.Set(At("2024-05-01T13:00:30Z"));  // 180 missed minutes
  ASSERT_TRUE(Reconcile().status.ok());
  EXPECT_TRUE(HasEvent("Warning TooManyMissedTimes too many missed start times"));
  EXPECT_EQ(JobNames(), std::vector<std::string>{JobNameAt("2024-05-01T13:00:00Z")});
  EXPECT_EQ(Status("lastScheduleTime"), "2024-05-01T13:00:00Z");
}

TEST_F(CronJobReconcilerTest, FewMissedRunsStartOnlyTheLatestWithoutWarning) {
  CreateCronJob("{}");
  clock_.Set(At("2024-05-01T10:05:30Z"));
  ASSERT_TRUE(Reconcile().status.ok());
  EXPECT_FALSE(HasEvent("Warning TooManyMissedTimes"));
  EXPECT_EQ(JobNames(), std::vector<std::string>{JobNameAt("2024-05-01T10:05:00Z")});
}

TEST_F(CronJobReconcilerTest, HistoryLimitsDeleteTheOldestFinishedJobs) {
  CreateCronJob(R"({"suspend":true,"successfulJobsHistoryLimit":1,"failedJobsHistoryLimit":1})");
  for (const char* name : {"ok-a", "ok-b", "ok-c", "bad-a", "bad-b", "running"}) CreateOwnedJob(name);
  Finish("ok-b", "Complete", "2024-05-01T09:00:00Z", "2024-05-01T09:01:00Z");
  Finish("ok-a", "Complete", "2024-05-01T09:10:00Z", "2024-05-01T09:11:00Z");
  Finish("ok-c", "Complete", "2024-05-01T09:20:00Z", "2024-05-01T09:21:00Z");
  Finish("bad-b", "Failed", "2024-05-01T09:00:00Z", "");
  Finish("bad-a", "Failed", "2024-05-01T09:30:00Z", "");
  ASSERT_TRUE(Reconcile().status.ok());
  std::vector<std::string> names = JobNames();
  std::sort(names.begin(), names.end());
  EXPECT_EQ(names, (std::vector<std::string>{"bad-a", "ok-c", "running"}));
  std::vector<std::string> calls = client_.Calls();
  EXPECT_NE(std::find(calls.begin(), calls.end(), "delete jobs default/ok-b Background"), calls.end());
  EXPECT_NE(std::find(calls.begin(), calls.end(), "delete jobs default/bad-b Background"), calls.end());
  EXPECT_TRUE(HasEvent("Normal SuccessfulDelete Deleted job ok-a"));
  EXPECT_EQ(Status("lastSuccessfulTime"), "2024-05-01T09:21:00Z");
}

TEST_F(CronJobReconcilerTest, ManualJobIsNotAScheduledRun) {
  CreateCronJob(R"({"concurrencyPolicy":"Forbid"})");
  CreateOwnedJob("cj-manual");
  ASSERT_TRUE(Reconcile().status.ok());
  EXPECT_TRUE(
      HasEvent("Warning UnexpectedJob Saw a job that the controller did not create or forgot: cj-manual"));
  EXPECT_TRUE(ActiveNames().empty());
  // Forbid does not wait for the manual run: it is not an active scheduled run.
  clock_.Set(At("2024-05-01T10:01:01Z"));
  ASSERT_TRUE(Reconcile().status.ok());
  EXPECT_EQ(ActiveNames(), std::vector<std::string>{JobNameAt("2024-05-01T10:01:00Z")});
  // Its success still counts for lastSuccessfulTime.
  Finish("cj-manual", "Complete", "2024-05-01T10:00:40Z", "2024-05-01T10:00:50Z");
  ASSERT_TRUE(Reconcile().status.ok());
  EXPECT_EQ(Status("lastSuccessfulTime"), "2024-05-01T10:00:50Z");
  EXPECT_FALSE(HasEvent("Normal SawCompletedJob Saw completed job: cj-manual"));
}

TEST_F(CronJobReconcilerTest, ActiveJobThatVanishedIsDropped) {
  CreateCronJob("{}");
  clock_.Set(At("2024-05-01T10:01:01Z"));
  ASSERT_TRUE(Reconcile().status.ok());
  std::string name = JobNameAt("2024-05-01T10:01:00Z");
  ASSERT_TRUE(client_.Delete(Jobs(), "default", name).ok());
  ASSERT_TRUE(Reconcile().status.ok());
  EXPECT_TRUE(ActiveNames().empty());
  EXPECT_TRUE(HasEvent("Normal MissingJob Active job went missing: " + name));
  EXPECT_EQ(Creates(), 1);  // the scheduled time was already started
}

TEST_F(CronJobReconcilerTest, JobLeftByALostStatusWriteIsAdopted) {
  CreateCronJob("{}");
  clock_.Set(At("2024-05-01T10:01:01Z"));
  client_.Inject({.resource = "cronjobs", .status = absl::AbortedError("conflict")});
  EXPECT_FALSE(Reconcile().status.ok());
  client_.ClearFaults();
  ASSERT_EQ(JobNames().size(), 1u);
  ASSERT_TRUE(Reconcile().status.ok());
  EXPECT_EQ(ActiveNames(), JobNames());
  EXPECT_EQ(Status("lastScheduleTime"), "2024-05-01T10:01:00Z");
  EXPECT_EQ(JobNames().size(), 1u);
}

TEST_F(CronJobReconcilerTest, StaleCacheAfterStatusWriteWaits) {
  CreateCronJob("{}");
  clock_.Set(At("2024-05-01T10:01:01Z"));
  Sync();
  ASSERT_TRUE(reconciler_.Reconcile("default/cj").status.ok());
  // The cache still holds the CronJob without the status write: no second Job.
  for (const auto& j : client_.Objects(Jobs())) jobs_.Set(j);
  client::ReconcileResult r = reconciler_.Reconcile("default/cj");
  EXPECT_TRUE(r.status.ok());
  EXPECT_EQ(Creates(), 1);
  EXPECT_FALSE(HasEvent("Warning UnexpectedJob"));
}

TEST_F(CronJobReconcilerTest, DeletedCronJobIsANoOp) {
  client::ReconcileResult r = reconciler_.Reconcile("default/gone");
  EXPECT_TRUE(r.status.ok());
  EXPECT_FALSE(r.requeue.has_value());
}

TEST(CronJobOwnerKeyTest, OnlyCronJobControllers) {
  boost::json::value job = *base::ParseJson(R"({"metadata":{"namespace":"ns","name":"j",
    "ownerReferences":[{"kind":"CronJob","name":"nightly","uid":"u","controller":true}]}})");
  EXPECT_EQ(CronJobReconciler::OwnerKey(job), "ns/nightly");
  boost::json::value other = *base::ParseJson(R"({"metadata":{"namespace":"ns","name":"j",
    "ownerReferences":[{"kind":"Deployment","name":"d","uid":"u","controller":true}]}})");
  EXPECT_EQ(CronJobReconciler::OwnerKey(other), "");
}

}  // namespace
}  // namespace skiff::controllers
