// CronJobReconciler: the reconcile logic of the CronJob controller (Kubernetes' cronjob
// controller v2). For one CronJob key it (1) deletes the oldest finished Jobs beyond
// successfulJobsHistoryLimit / failedJobsHistoryLimit, (2) reconciles status.active with the
// Jobs it controls (finished ones leave with SawCompletedJob, vanished ones with MissingJob,
// unknown running ones get UnexpectedJob — e.g. `kubectl create job --from=cronjob/x`, which
// Kubernetes does not list as active either) and status.lastSuccessfulTime, then (3) unless the
// CronJob is being deleted, has an unknown spec.timeZone (UnknownTimeZone), is suspended or has an
// unparseable schedule (UnparseableSchedule), starts the Job for the most recent due scheduled
// time: too late for startingDeadlineSeconds -> MissSchedule; concurrencyPolicy Forbid with an
// active Job -> JobAlreadyActive; Replace -> the active Jobs are deleted first (Background). The
// Job is named <cronjob>-<minutes since epoch> (a lock against double starts), and status.active
// and lastScheduleTime are written through the status subresource. The result asks to be
// requeued at the next scheduled time.
// Time zone: spec.timeZone, else a TZ=/CRON_TZ= prefix of the schedule, else Options::zone.
// Thread-safety: Reconcile runs concurrently for different keys. Ownership: borrows the client
// and caches (they must outlive it). Failure: API errors return a non-OK result (retried with
// backoff); user errors in the spec are events, not errors.
#ifndef SKIFF_CONTROLLERS_CRONJOB_CRONJOB_RECONCILER_H_
#define SKIFF_CONTROLLERS_CRONJOB_CRONJOB_RECONCILER_H_

#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <vector>

#include "absl/time/time.h"
#include "base/clock.h"
#include "client/client.h"
#include "client/controller.h"
#include "controllers/workload/object_cache.h"

namespace skiff::controllers {

class CronJobReconciler : public client::Reconciler {
 public:
  using RecordEvent = std::function<void(const boost::json::value& object, const std::string& type,
                                         const std::string& reason, const std::string& message)>;
  struct Options {
    const base::Clock* clock = nullptr;         // null = real clock
    RecordEvent record_event;                   // may be empty
    absl::TimeZone zone = absl::UTCTimeZone();  // for schedules without spec.timeZone
  };
  // `jobs` needs the workload indexes (object_cache.h); `cronjobs` is read by key only.
  CronJobReconciler(client::Client* client, const ObjectCache* cronjobs, const ObjectCache* jobs,
                    Options options);

  client::ReconcileResult Reconcile(const std::string& key) override;

  // The key of the CronJob controlling `job` ("" when none).
  static std::string OwnerKey(const boost::json::value& job);

 private:
  struct Sync;  // the state of one reconcile
  bool CleanupFinishedJobs(Sync& sync);
  absl::Status ReconcileActive(Sync& sync);
  client::ReconcileResult StartDueJob(Sync& sync);
  bool DeleteJob(Sync& sync, const boost::json::value& job);
  void Event(const Sync& sync, const char* type, const std::string& reason, const std::string& message);

  void NoteWritten(const std::string& key, const client::Object& cronjob);
  bool CacheBehind(const std::string& key, const boost::json::value& cronjob);

  client::Client* client_;
  const ObjectCache* cronjobs_;
  const ObjectCache* jobs_;
  const base::Clock* clock_;
  Options options_;
  // The resourceVersion of each CronJob's last status write: a cache older than it would start
  // the same scheduled run again, so such a sync waits for the cache's update event.
  std::mutex mu_;
  std::map<std::string, int64_t> written_rv_;
};

}  // namespace skiff::controllers

#endif  // SKIFF_CONTROLLERS_CRONJOB_CRONJOB_RECONCILER_H_
