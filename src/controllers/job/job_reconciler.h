// JobReconciler: the reconcile logic of the Job controller (k8s pkg/controller/job, simplified).
// For one Job key it runs up to spec.parallelism pods until spec.completions succeed (NonIndexed)
// or every index in [0, completions) has a succeeded pod (Indexed: annotation and label
// batch.kubernetes.io/job-completion-index, env JOB_COMPLETION_INDEX, hostname <job>-<index>).
// Terminated pods are counted exactly once with the finalizer batch.kubernetes.io/job-tracking:
// their uids go to status.uncountedTerminatedPods first, then the finalizer is removed, then they
// move into status.succeeded/failed. backoffLimit (failed > limit) and activeDeadlineSeconds end
// the Job with FailureTarget then Failed (reasons BackoffLimitExceeded / DeadlineExceeded);
// success sets SuccessCriteriaMet then Complete (as Kubernetes 1.32). A finished Job with
// ttlSecondsAfterFinished is deleted (propagation Background) once the TTL passes.
// Orphan pods (k8s syncOrphanPod): a pod that still carries the tracking finalizer but whose Job
// is gone (deleted, or its controller ref names a Job uid that no longer exists), or has
// finished, loses the finalizer through SyncOrphanPod, so deleting a Job never leaves its pods
// Terminating. Pods controlled by something other than a batch Job are never touched.
// Thread-safety: Reconcile runs concurrently for different keys; the On* hooks may run alongside.
// Ownership: borrows the client and caches (they must outlive it).
// Failure: API errors return a non-OK ReconcileResult (retried with backoff).
#ifndef SKIFF_CONTROLLERS_JOB_JOB_RECONCILER_H_
#define SKIFF_CONTROLLERS_JOB_JOB_RECONCILER_H_

#include <map>
#include <mutex>
#include <set>
#include <string>
#include <vector>

#include "base/clock.h"
#include "client/client.h"
#include "client/controller.h"
#include "controllers/workload/expectations.h"
#include "controllers/workload/object_cache.h"

namespace skiff::controllers {

inline constexpr char kJobTrackingFinalizer[] = "batch.kubernetes.io/job-tracking";
inline constexpr char kJobCompletionIndexAnnotation[] = "batch.kubernetes.io/job-completion-index";

// "0-2,4" <-> {0,1,2,4} (status.completedIndexes). Malformed parts are skipped.
std::set<int64_t> ParseIndexes(const std::string& text);
std::string FormatIndexes(const std::set<int64_t>& indexes);

class JobReconciler : public client::Reconciler {
 public:
  struct Options {
    const base::Clock* clock = nullptr;  // null = real clock
  };
  // `jobs` and `pods` need the workload indexes (object_cache.h).
  JobReconciler(client::Client* client, const ObjectCache* jobs, const ObjectCache* pods, Options options);

  client::ReconcileResult Reconcile(const std::string& key) override;

  // Pod informer events: record expectations; return the Job key to enqueue (or none).
  std::vector<std::string> OnPodAdded(const boost::json::value& pod);
  std::vector<std::string> OnPodUpdated(const boost::json::value& old_pod, const boost::json::value& pod);
  std::vector<std::string> OnPodDeleted(const boost::json::value& pod);

  // Orphan pods. Keys are pod keys (namespace/name), kept in their own queue.
  // True when `pod` has the tracking finalizer and no Job in the cache controls it (no
  // controller ref, or a Job ref whose name/uid is not cached): SyncOrphanPod should look at it.
  bool IsOrphanWithFinalizer(const boost::json::value& pod) const;
  // The keys of the cached pods that `job` (just deleted) controls and that keep the finalizer.
  std::vector<std::string> OnJobDeleted(const boost::json::value& job) const;
  // Removes the tracking finalizer from the pod if it is still an orphan or its Job has finished.
  // A Job missing from the cache is confirmed gone with a live read first (the cache may lag).
  client::ReconcileResult SyncOrphanPod(const std::string& pod_key);

 private:
  std::string OwnerJobKey(const boost::json::value& pod) const;
  // The cached Job the pod's controller ref names (kind Job, group batch, same uid), or null.
  client::Object ResolveJob(const boost::json::value& pod) const;
  client::ReconcileResult Finished(const boost::json::value& job, const std::vector<client::Object>& pods);
  absl::Status RemoveFinalizer(const boost::json::value& pod);
  absl::Status RemoveFinalizers(const std::vector<client::Object>& pods);  // of those that have it
  absl::Status CreatePods(const boost::json::value& job, const std::string& key,
                          const std::vector<int64_t>& indexes, int count);
  absl::Status DeletePods(const std::string& key, const std::vector<client::Object>& pods);
  absl::Status WriteStatus(const boost::json::value& job, const boost::json::object& status);

  client::Client* client_;
  const ObjectCache* jobs_;
  const ObjectCache* pods_;
  const base::Clock* clock_;
  Expectations expectations_;
  // The resourceVersion of each Job's last status write: a cache still older than it would make
  // decisions on counts we already changed, so such a sync waits for the cache's update event.
  void NoteWritten(const std::string& key, const client::Object& job);
  bool CacheBehind(const std::string& key, const boost::json::value& job);
  std::mutex mu_;
  std::map<std::string, int64_t> written_rv_;
};

}  // namespace skiff::controllers

#endif  // SKIFF_CONTROLLERS_JOB_JOB_RECONCILER_H_
