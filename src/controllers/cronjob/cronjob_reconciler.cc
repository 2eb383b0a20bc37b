#include "controllers/cronjob/cronjob_reconciler.h"

#include <algorithm>
#include <set>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "api/object_meta.h"
#include "api/resources.h"
#include "base/json.h"
#include "client/event_recorder.h"
#include "controllers/cronjob/cron_schedule.h"
#include "controllers/cronjob/cronjob_util.h"
#include "controllers/workload/workload_util.h"

namespace skiff::controllers {
namespace {

const api::ResourceInfo& JobsResource() { return *api::FindResource("batch", "v1", "jobs"); }
const api::ResourceInfo& CronJobsResource() { return *api::FindResource("batch", "v1", "cronjobs"); }

boost::json::array& ActiveList(boost::json::value& cronjob) {
  boost::json::object& status = base::EnsureObject(cronjob, {"status"});
  boost::json::value& active = status["active"];
  if (!active.is_array()) active = boost::json::array();
  return active.as_array();
}

const boost::json::array* ActiveListOf(const boost::json::value& cronjob) {
  const boost::json::value* active = base::FindPath(cronjob, {"status", "active"});
  return active != nullptr && active->is_array() ? &active->get_array() : nullptr;
}

bool InActiveList(const boost::json::value& cronjob, const char* field, const std::string& value) {
  const boost::json::array* active = ActiveListOf(cronjob);
  if (active == nullptr) return false;
  return std::any_of(active->begin(), active->end(),
                     [&](const boost::json::value& ref) { return base::GetString(ref, {field}) == value; });
}

void RemoveFromActiveList(boost::json::value& cronjob, const std::string& uid) {
  boost::json::array& active = ActiveList(cronjob);
  active.erase(
      std::remove_if(active.begin(), active.end(),
                     [&](const boost::json::value& ref) { return base::GetString(ref, {"uid"}) == uid; }),
      active.end());
}

// An ObjectReference to a Job, as status.active lists it.
boost::json::object JobReference(const boost::json::value& job) {
  return boost::json::object{{"kind", "Job"},
                             {"namespace", api::Namespace(job)},
                             {"name", api::Name(job)},
                             {"uid", api::Uid(job)},
                             {"apiVersion", "batch/v1"},
                             {"resourceVersion", api::ResourceVersion(job)}};
}

bool ControlledBy(const boost::json::value& job, const boost::json::value& cronjob) {
  const boost::json::value* ref = api::ControllerRef(job);
  return ref != nullptr && base::GetString(boost::json::value(*ref), {"uid"}) == api::Uid(cronjob);
}

int64_t ResourceVersionOf(const boost::json::value& obj) {
  int64_t rv = 0;
  if (!absl::SimpleAtoi(api::ResourceVersion(obj), &rv)) return 0;
  return rv;
}

// Oldest first by status.startTime (Jobs that never started last), then by name.
void SortByStartTime(std::vector<client::Object>& jobs) {
  std::sort(jobs.begin(), jobs.end(), [](const client::Object& a, const client::Object& b) {
    absl::Time ta = TimeAt(*a, {"status", "startTime"});
    absl::Time tb = TimeAt(*b, {"status", "startTime"});
    bool has_a = ta != absl::InfinitePast(), has_b = tb != absl::InfinitePast();
    if (has_a != has_b) return has_a;
    if (ta != tb) return ta < tb;
    return api::Name(*a) < api::Name(*b);
  });
}

// Go's time.RFC1123Z, as Kubernetes prints a missed time: "Mon, 02 Jan 2006 15:04:05 -0700".
std::string Rfc1123z(absl::Time t) {
  return absl::FormatTime("%a, %d %b %Y %H:%M:%S %z", t, absl::UTCTimeZone());
}

}  // namespace

struct CronJobReconciler::Sync {
  std::string key;
  boost::json::value cronjob;  // the working copy whose status is written at the end
  client::Object base;         // the object `cronjob` started from (its status is the one stored)
  std::vector<client::Object> jobs;
  absl::Time now;
};

CronJobReconciler::CronJobReconciler(client::Client* client, const ObjectCache* cronjobs,
                                     const ObjectCache* jobs, Options options)
    : client_(client),
      cronjobs_(cronjobs),
      jobs_(jobs),
      clock_(options.clock != nullptr ? options.clock : &base::RealClock()),
      options_(std::move(options)) {}

std::string CronJobReconciler::OwnerKey(const boost::json::value& job) {
  const boost::json::value* ref = api::ControllerRef(job);
  if (ref == nullptr) return "";
  boost::json::value owner(*ref);
  if (base::GetString(owner, {"kind"}) != "CronJob") return "";
  return client::MakeKey(api::Namespace(job), base::GetString(owner, {"name"}));
}

void CronJobReconciler::Event(const Sync& sync, const char* type, const std::string& reason,
                              const std::string& message) {
  if (!options_.record_event) return;
  const boost::json::value& cronjob = sync.cronjob;
  if (!base::GetString(cronjob, {"kind"}).empty()) {
    options_.record_event(cronjob, type, reason, message);
    return;
  }
  boost::json::value typed = cronjob;  // cached list items may lack kind/apiVersion
  typed.as_object()["kind"] = "CronJob";
  typed.as_object()["apiVersion"] = "batch/v1";
  options_.record_event(typed, type, reason, message);
}

void CronJobReconciler::NoteWritten(const std::string& key, const client::Object& cronjob) {
  std::lock_guard<std::mutex> lock(mu_);
  written_rv_[key] = ResourceVersionOf(*cronjob);
}

bool CronJobReconciler::CacheBehind(const std::string& key, const boost::json::value& cronjob) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = written_rv_.find(key);
  if (it == written_rv_.end()) return false;
  int64_t rv = ResourceVersionOf(cronjob);
  if (rv == 0 || rv >= it->second) {
    written_rv_.erase(it);
    return false;
  }
  return true;
}

bool CronJobReconciler::DeleteJob(Sync& sync, const boost::json::value& job) {
  client::DeleteOptions options;
  options.propagation_policy = "Background";
  options.precondition_uid = api::Uid(job);
  absl::Status s = client_->Delete(JobsResource(), api::Namespace(job), api::Name(job), options);
  if (!s.ok() && !absl::IsNotFound(s)) {
    Event(sync, client::kEventWarning, "FailedDelete", absl::StrCat("Deleted job: ", s.message()));
    return false;
  }
  RemoveFromActiveList(sync.cronjob, api::Uid(job));
  if (s.ok())
    Event(sync, client::kEventNormal, "SuccessfulDelete", absl::StrCat("Deleted job ", api::Name(job)));
  return true;
}

bool CronJobReconciler::CleanupFinishedJobs(Sync& sync) {
  const boost::json::value* succeeded_limit =
      base::FindPath(sync.cronjob, {"spec", "successfulJobsHistoryLimit"});
  const boost::json::value* failed_limit = base::FindPath(sync.cronjob, {"spec", "failedJobsHistoryLimit"});
  bool has_succeeded_limit = succeeded_limit != nullptr && succeeded_limit->is_int64();
  bool has_failed_limit = failed_limit != nullptr && failed_limit->is_int64();
  if (!has_succeeded_limit && !has_failed_limit) return false;
  std::vector<client::Object> succeeded, failed;
  for (const client::Object& job : sync.jobs) {
    std::string type;
    if (api::IsBeingDeleted(*job) || !IsJobFinished(*job, &type)) continue;  // already going
    (type == "Complete" ? succeeded : failed).push_back(job);
  }
  bool deleted = false;
  auto remove_oldest = [&](std::vector<client::Object>& jobs, int64_t limit) {
    int64_t excess = static_cast<int64_t>(jobs.size()) - limit;
    if (excess <= 0) return;
    SortByStartTime(jobs);
    for (int64_t i = 0; i < excess; ++i) deleted = DeleteJob(sync, *jobs[i]) || deleted;
  };
  if (has_succeeded_limit) remove_oldest(succeeded, succeeded_limit->as_int64());
  if (has_failed_limit) remove_oldest(failed, failed_limit->as_int64());
  return deleted;
}

absl::Status CronJobReconciler::ReconcileActive(Sync& sync) {
  std::set<std::string> children;
  for (const client::Object& job : sync.jobs) {
    std::string uid = api::Uid(*job);
    children.insert(uid);
    bool found = InActiveList(sync.cronjob, "uid", uid);
    std::string finished_type;
    bool finished = IsJobFinished(*job, &finished_type);
    if (!found && !finished) {
      // Our cache may predate the status write that listed this Job: ask the server.
      auto fresh = client_->Get(CronJobsResource(), api::Namespace(sync.cronjob), api::Name(sync.cronjob));
      if (!fresh.ok()) return fresh.status();
      if (InActiveList(**fresh, "uid", uid)) {
        sync.cronjob = **fresh;
        sync.base = *fresh;
        continue;
      }
      Event(sync, client::kEventWarning, "UnexpectedJob",
            absl::StrCat("Saw a job that the controller did not create or forgot: ", api::Name(*job)));
    } else if (finished) {
      if (found) {
        RemoveFromActiveList(sync.cronjob, uid);
        Event(sync, client::kEventNormal, "SawCompletedJob",
              absl::StrCat("Saw completed job: ", api::Name(*job), ", condition: ", finished_type));
      }
      if (finished_type == "Complete") {
        // Any successful Job counts, listed as active or not (a manual run too).
        absl::Time completed = TimeAt(*job, {"status", "completionTime"});
        absl::Time last = TimeAt(sync.cronjob, {"status", "lastSuccessfulTime"});
        if (completed != absl::InfinitePast() && completed > last) {
          base::EnsureObject(sync.cronjob, {"status"})["lastSuccessfulTime"] = base::FormatRfc3339(completed);
        }
      }
    }
  }
  // Drop references to Jobs that no longer exist (checked with the server: the Job cache may lag).
  const boost::json::array* active = ActiveListOf(sync.cronjob);
  std::vector<boost::json::value> refs = active
                                             ? std::vector<boost::json::value>(active->begin(), active->end())
                                             : std::vector<boost::json::value>();
  for (const boost::json::value& ref : refs) {
    std::string uid = base::GetString(ref, {"uid"});
    if (children.count(uid)) continue;
    std::string name = base::GetString(ref, {"name"});
    auto job = client_->Get(JobsResource(), api::Namespace(sync.cronjob), name);
    if (absl::IsNotFound(job.status())) {
      Event(sync, client::kEventNormal, "MissingJob", absl::StrCat("Active job went missing: ", name));
      RemoveFromActiveList(sync.cronjob, uid);
    } else if (!job.ok()) {
      return job.status();
    }
  }
  return absl::OkStatus();
}

client::ReconcileResult CronJobReconciler::StartDueJob(Sync& sync) {
  const boost::json::value& cronjob = sync.cronjob;
  if (api::IsBeingDeleted(cronjob)) return {};
  absl::TimeZone zone = options_.zone;
  absl::TimeZone annotation_zone = absl::UTCTimeZone();  // Kubernetes: spec.timeZone, else UTC
  const boost::json::value* tz_field = base::FindPath(cronjob, {"spec", "timeZone"});
  bool has_tz = tz_field != nullptr && tz_field->is_string();
  if (has_tz) {
    std::string name(tz_field->get_string());
    if (!name.empty() && !absl::LoadTimeZone(name, &zone)) {
      Event(sync, client::kEventWarning, "UnknownTimeZone",
            absl::StrFormat("invalid timeZone: %s: unknown time zone %s", base::ToJson(*tz_field), name));
      return {};
    }
    if (name.empty()) zone = absl::UTCTimeZone();
    annotation_zone = zone;
  }
  if (base::GetBool(cronjob, {"spec", "suspend"})) return {};

  std::string spec = base::GetString(cronjob, {"spec", "schedule"});
  absl::StatusOr<CronSchedule> schedule = CronSchedule::Parse(spec);
  if (schedule.ok() && !schedule->prefix_zone().empty()) {
    if (has_tz) {
      Event(sync, client::kEventWarning, "UnsupportedSchedule",
            absl::StrFormat(
                "CRON_TZ or TZ used in schedule %s is not officially supported, see "
                "https://kubernetes.io/docs/concepts/workloads/controllers/cron-jobs/ for more details",
                base::ToJson(boost::json::value(spec))));
    } else if (!absl::LoadTimeZone(schedule->prefix_zone(), &zone)) {
      schedule = absl::InvalidArgumentError(absl::StrCat("provided bad location ", schedule->prefix_zone(),
                                                         ": unknown time zone ", schedule->prefix_zone()));
    }
  }
  if (!schedule.ok()) {
    Event(sync, client::kEventWarning, "UnparseableSchedule",
          absl::StrFormat("unparseable schedule: %s : %s", base::ToJson(boost::json::value(spec)),
                          schedule.status().message()));
    return {};
  }
  auto requeue = [&]() -> client::ReconcileResult {
    return {absl::OkStatus(), NextScheduleDelay(sync.cronjob, sync.now, *schedule, zone)};
  };

  ScheduleTimes times = MostRecentScheduleTime(cronjob, sync.now, *schedule, zone, /*include_deadline=*/true);
  if (!times.error.ok()) {
    Event(sync, client::kEventWarning, "InvalidSchedule",
          absl::StrCat("invalid schedule: ", spec, " : ", times.error.message()));
    return {};
  }
  if (!times.most_recent) {
    // A run that only the startingDeadlineSeconds window excluded was missed: say so.
    ScheduleTimes unbounded = MostRecentScheduleTime(cronjob, sync.now, *schedule, zone, false);
    if (unbounded.error.ok() && unbounded.most_recent) {
      Event(sync, client::kEventWarning, "MissSchedule",
            absl::StrCat("Missed scheduled time to start a job: ", Rfc1123z(*unbounded.most_recent)));
    }
    return requeue();
  }
  if (times.missed > kTooManyMissed) {
    Event(sync, client::kEventWarning, "TooManyMissedTimes",
          "too many missed start times. Set or decrease .spec.startingDeadlineSeconds or check clock skew");
  }
  absl::Time scheduled = *times.most_recent;
  const boost::json::value* deadline = base::FindPath(cronjob, {"spec", "startingDeadlineSeconds"});
  if (deadline != nullptr && deadline->is_int64() &&
      scheduled + absl::Seconds(deadline->as_int64()) < sync.now) {
    Event(sync, client::kEventWarning, "MissSchedule",
          absl::StrCat("Missed scheduled time to start a job: ", Rfc1123z(scheduled)));
    return requeue();
  }
  std::string job_name = ScheduledJobName(api::Name(cronjob), scheduled);
  if (InActiveList(cronjob, "name", job_name) ||
      TimeAt(cronjob, {"status", "lastScheduleTime"}) == scheduled) {
    return requeue();  // this scheduled time was already started
  }
  std::string policy = base::GetString(cronjob, {"spec", "concurrencyPolicy"}, "Allow");
  const boost::json::array* active = ActiveListOf(cronjob);
  if (policy == "Forbid" && active != nullptr && !active->empty()) {
    Event(sync, client::kEventNormal, "JobAlreadyActive",
          "Not starting job because prior execution is running and concurrency policy is Forbid");
    return requeue();
  }
  if (policy == "Replace" && active != nullptr) {
    std::vector<boost::json::value> refs(active->begin(), active->end());
    for (const boost::json::value& ref : refs) {
      auto job = client_->Get(JobsResource(), api::Namespace(cronjob), base::GetString(ref, {"name"}));
      if (!job.ok()) {
        Event(sync, client::kEventWarning, "FailedGet", absl::StrCat("Get job: ", job.status().message()));
        return {job.status(), std::nullopt};
      }
      if (!DeleteJob(sync, **job)) {
        return {absl::UnavailableError(absl::StrCat("could not replace job ", client::KeyOf(**job))),
                std::nullopt};
      }
    }
  }

  auto created = client_->Create(JobsResource(), api::Namespace(cronjob),
                                 JobFromTemplate(cronjob, scheduled, annotation_zone));
  bool already_existed = false;
  if (!created.ok() && IsAlreadyExistsError(created.status())) {
    // Created by an earlier sync whose status write was lost, or by someone else.
    created = client_->Get(JobsResource(), api::Namespace(cronjob), job_name);
    if (!created.ok()) return {created.status(), std::nullopt};
    if (!ControlledBy(**created, cronjob) || InActiveList(cronjob, "uid", api::Uid(**created)))
      return requeue();
    already_existed = true;
  } else if (!created.ok()) {
    Event(sync, client::kEventWarning, "FailedCreate",
          absl::StrCat("Error creating job: ", created.status().message()));
    return {created.status(), std::nullopt};
  }
  if (!already_existed) {
    Event(sync, client::kEventNormal, "SuccessfulCreate", absl::StrCat("Created job ", api::Name(**created)));
  }
  ActiveList(sync.cronjob).push_back(JobReference(**created));
  base::EnsureObject(sync.cronjob, {"status"})["lastScheduleTime"] = base::FormatRfc3339(scheduled);
  return requeue();
}

client::ReconcileResult CronJobReconciler::Reconcile(const std::string& key) {
  client::Object cached = cronjobs_->Get(key);
  if (cached == nullptr) {
    std::lock_guard<std::mutex> lock(mu_);
    written_rv_.erase(key);
    return {};
  }
  if (CacheBehind(key, *cached)) return {};  // the cache's update event re-queues the key
  Sync sync{key, *cached, cached, jobs_->ByIndex(kControllerUidIndex, api::Uid(*cached)), clock_->Now()};

  CleanupFinishedJobs(sync);
  client::ReconcileResult result;
  if (absl::Status s = ReconcileActive(sync); s.ok()) {
    result = StartDueJob(sync);
  } else {
    result = {s, std::nullopt};
  }

  boost::json::object& status = base::EnsureObject(sync.cronjob, {"status"});
  if (const boost::json::value* active = status.if_contains("active");
      active && active->is_array() && active->get_array().empty()) {
    status.erase("active");
  }
  const boost::json::value* before = base::Find(*sync.base, "status");
  boost::json::value empty = boost::json::object();
  if (sync.cronjob.as_object()["status"] != (before != nullptr ? *before : empty)) {
    auto written = client_->Update(CronJobsResource(), api::Namespace(sync.cronjob), sync.cronjob, "status");
    if (!written.ok()) return {written.status(), std::nullopt};
    NoteWritten(key, *written);
  }
  return result;
}

}  // namespace skiff::controllers
