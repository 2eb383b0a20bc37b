#include "controllers/cronjob/cronjob_util.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "api/object_meta.h"
#include "api/pod_util.h"
#include "base/json.h"
#include "controllers/workload/workload_util.h"

namespace skiff::controllers {
namespace {

// Steps through an irregular schedule at most this often when the interval estimate overshoots.
constexpr int kMaxSteps = 100000;

}  // namespace

ScheduleTimes MostRecentScheduleTime(const boost::json::value& cronjob, absl::Time now,
                                     const CronSchedule& schedule, absl::TimeZone zone,
                                     bool include_deadline) {
  ScheduleTimes out;
  out.earliest = TimeAt(cronjob, {"metadata", "creationTimestamp"});
  absl::Time last = TimeAt(cronjob, {"status", "lastScheduleTime"});
  if (last != absl::InfinitePast()) out.earliest = last;
  if (out.earliest == absl::InfinitePast()) out.earliest = now;
  const boost::json::value* deadline = base::FindPath(cronjob, {"spec", "startingDeadlineSeconds"});
  if (include_deadline && deadline != nullptr && deadline->is_int64()) {
    // Nothing older than the deadline can still start.
    out.earliest = std::max(out.earliest, now - absl::Seconds(deadline->as_int64()));
  }
  std::optional<absl::Time> t1 = schedule.Next(out.earliest, zone);
  if (!t1) {
    out.error = absl::InvalidArgumentError("no time matches the schedule within ten years");
    return out;
  }
  if (now < *t1) return out;
  std::optional<absl::Time> t2 = schedule.Next(*t1, zone);
  if (!t2 || now < *t2) {
    out.most_recent = t1;
    return out;
  }
  int64_t between = absl::ToInt64Seconds(*t2 - *t1 + absl::Milliseconds(500));
  if (between < 1) {
    out.error = absl::InvalidArgumentError("time difference between two schedules is less than 1 second");
    return out;
  }
  // Estimate the count from the first interval (as Kubernetes does) instead of stepping through
  // possibly years of missed times, then step from just before the estimated latest one.
  out.missed = absl::ToInt64Seconds(now - *t1) / between + 1;
  absl::Time from = *t1 + absl::Seconds((out.missed - 2) * between);
  std::optional<absl::Time> next = schedule.Next(from, zone);
  if (!next || *next > now) {
    next = t1;  // an irregular schedule (e.g. "0 0 1,2 * *"): the estimate overshot
  }
  for (int i = 0; next && *next <= now && i < kMaxSteps; ++i) {
    out.most_recent = next;
    next = schedule.Next(*next, zone);
  }
  return out;
}

std::optional<absl::Duration> NextScheduleDelay(const boost::json::value& cronjob, absl::Time now,
                                                const CronSchedule& schedule, absl::TimeZone zone) {
  ScheduleTimes times = MostRecentScheduleTime(cronjob, now, schedule, zone, /*include_deadline=*/false);
  absl::Time base = now;
  if (times.error.ok()) {
    if (times.most_recent) {
      base = *times.most_recent;
    } else if (times.missed == 0) {
      base = times.earliest;
    }
  }
  std::optional<absl::Time> next = schedule.Next(base, zone);
  if (!next) return std::nullopt;
  return std::max(*next + kNextScheduleDelta - now, kNextScheduleDelta);
}

std::string ScheduledJobName(const std::string& cronjob_name, absl::Time scheduled) {
  return absl::StrCat(cronjob_name, "-", absl::ToUnixSeconds(scheduled) / 60);
}

boost::json::value JobFromTemplate(const boost::json::value& cronjob, absl::Time scheduled,
                                   absl::TimeZone zone) {
  boost::json::object meta;
  meta["name"] = ScheduledJobName(api::Name(cronjob), scheduled);
  meta["namespace"] = api::Namespace(cronjob);
  const boost::json::value* tmeta = base::FindPath(cronjob, {"spec", "jobTemplate", "metadata"});
  if (tmeta != nullptr && tmeta->is_object()) {
    if (const boost::json::value* labels = tmeta->get_object().if_contains("labels");
        labels && labels->is_object())
      meta["labels"] = *labels;
  }
  boost::json::object annotations;
  if (tmeta != nullptr && tmeta->is_object()) {
    if (const boost::json::value* a = tmeta->get_object().if_contains("annotations"); a && a->is_object())
      annotations = a->get_object();
  }
  // RFC 3339 as Go prints it: "Z" for UTC, otherwise the zone's offset.
  bool utc = zone.At(scheduled).offset == 0;
  annotations[kCronJobScheduledTimestampAnnotation] =
      absl::FormatTime(utc ? "%Y-%m-%dT%H:%M:%SZ" : "%Y-%m-%dT%H:%M:%S%Ez", scheduled, zone);
  meta["annotations"] = std::move(annotations);
  meta["ownerReferences"] = boost::json::array{MakeControllerRef(cronjob, "batch/v1", "CronJob")};
  const boost::json::value* spec = base::FindPath(cronjob, {"spec", "jobTemplate", "spec"});
  return boost::json::object{{"apiVersion", "batch/v1"},
                             {"kind", "Job"},
                             {"metadata", std::move(meta)},
                             {"spec", spec != nullptr && spec->is_object() ? *spec : boost::json::object()}};
}

bool IsJobFinished(const boost::json::value& job, std::string* type) {
  for (const char* t : {"Complete", "Failed"}) {
    if (api::IsConditionTrue(job, t)) {
      if (type != nullptr) *type = t;
      return true;
    }
  }
  return false;
}

}  // namespace skiff::controllers
