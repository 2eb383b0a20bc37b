// Pure helpers of the CronJob controller, after Kubernetes' pkg/controller/cronjob/utils.go:
// which scheduled time (if any) is due now, how long to sleep until the next one, the
// deterministic name of the Job for a scheduled time, and the Job built from the jobTemplate.
// Thread-safety: pure functions. Ownership: inputs borrowed, results by value.
// Failure: MostRecentScheduleTime reports a schedule that never fires (or fires more than once
// a second) as InvalidArgument; the rest never fail.
#ifndef SKIFF_CONTROLLERS_CRONJOB_CRONJOB_UTIL_H_
#define SKIFF_CONTROLLERS_CRONJOB_CRONJOB_UTIL_H_

#include <optional>
#include <string>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "boost/json/value.hpp"
#include "controllers/cronjob/cron_schedule.h"

namespace skiff::controllers {

inline constexpr char kCronJobScheduledTimestampAnnotation[] =
    "batch.kubernetes.io/cronjob-scheduled-timestamp";
// More missed start times than this since the last run is reported as TooManyMissedTimes.
inline constexpr int64_t kTooManyMissed = 100;
// Requeues aim this far past a scheduled time so the sync sees it as due (clock skew margin).
inline constexpr absl::Duration kNextScheduleDelta = absl::Milliseconds(100);

struct ScheduleTimes {
  absl::Time earliest;                    // lastScheduleTime, creationTimestamp or the deadline bound
  std::optional<absl::Time> most_recent;  // the latest scheduled time in (earliest, now], if any
  int64_t missed = 0;                     // how many scheduled times fell in (earliest, now] (estimate)
  absl::Status error;                     // the schedule never fires / fires too often
};

// The schedule's times between the CronJob's last schedule (or creation) and `now`. With
// `include_deadline`, times older than now - startingDeadlineSeconds are not considered.
ScheduleTimes MostRecentScheduleTime(const boost::json::value& cronjob, absl::Time now,
                                     const CronSchedule& schedule, absl::TimeZone zone,
                                     bool include_deadline);

// How long until the next scheduled time after the most recent one (plus kNextScheduleDelta);
// nullopt when the schedule never fires again.
std::optional<absl::Duration> NextScheduleDelay(const boost::json::value& cronjob, absl::Time now,
                                                const CronSchedule& schedule, absl::TimeZone zone);

// "<cronjob>-<scheduled time in minutes since the epoch>".
std::string ScheduledJobName(const std::string& cronjob_name, absl::Time scheduled);

// The Job for `scheduled`: jobTemplate labels, annotations (+ the scheduled-timestamp annotation
// in RFC 3339 in `zone`) and spec, and a controller ownerReference to the CronJob.
boost::json::value JobFromTemplate(const boost::json::value& cronjob, absl::Time scheduled,
                                   absl::TimeZone zone);

// Whether a Job has a True Complete or Failed condition; `type` receives which.
bool IsJobFinished(const boost::json::value& job, std::string* type = nullptr);

}  // namespace skiff::controllers

#endif  // SKIFF_CONTROLLERS_CRONJOB_CRONJOB_UTIL_H_
