// DaemonSetReconciler: the reconcile logic of the DaemonSet controller (k8s pkg/controller/daemon,
// simplified). For one DaemonSet key it keeps exactly one pod on every eligible node (daemon_util.h)
// and none elsewhere, replaces failed pods, records the template in a ControllerRevision named
// <ds>-<hash> (pods carry the controller-revision-hash label; old unused revisions beyond
// revisionHistoryLimit are deleted), rolls pods to the current template (RollingUpdate:
// maxUnavailable and maxSurge, ints or percentages of the desired count; OnDelete: never), and
// writes status (desired/current/updated NumberScheduled, numberReady, numberAvailable with
// minReadySeconds, numberUnavailable, numberMisscheduled, observedGeneration).
// Thread-safety: Reconcile runs concurrently for different keys; the On* hooks may run alongside.
// Ownership: borrows the client and caches. Failure: API errors return a non-OK ReconcileResult.
#ifndef SKIFF_CONTROLLERS_DAEMONSET_DAEMONSET_RECONCILER_H_
#define SKIFF_CONTROLLERS_DAEMONSET_DAEMONSET_RECONCILER_H_

#include <string>
#include <vector>

#include "base/clock.h"
#include "client/client.h"
#include "client/controller.h"
#include "controllers/workload/expectations.h"
#include "controllers/workload/object_cache.h"

namespace skiff::controllers {

class DaemonSetReconciler : public client::Reconciler {
 public:
  struct Options {
    const base::Clock* clock = nullptr;  // null = real clock
  };
  // Caches need the workload indexes (object_cache.h); nodes are read via kNamespaceIndex "".
  DaemonSetReconciler(client::Client* client, const ObjectCache* daemonsets, const ObjectCache* pods,
                      const ObjectCache* nodes, const ObjectCache* revisions, Options options);

  client::ReconcileResult Reconcile(const std::string& key) override;

  std::vector<std::string> OnPodAdded(const boost::json::value& pod);
  std::vector<std::string> OnPodUpdated(const boost::json::value& old_pod, const boost::json::value& pod);
  std::vector<std::string> OnPodDeleted(const boost::json::value& pod);

 private:
  std::string OwnerKey(const boost::json::value& pod) const;
  absl::Status SyncRevisions(const boost::json::value& ds, const std::string& hash,
                             const std::vector<client::Object>& pods);

  client::Client* client_;
  const ObjectCache* daemonsets_;
  const ObjectCache* pods_;
  const ObjectCache* nodes_;
  const ObjectCache* revisions_;
  const base::Clock* clock_;
  Expectations expectations_;
};

}  // namespace skiff::controllers

#endif  // SKIFF_CONTROLLERS_DAEMONSET_DAEMONSET_RECONCILER_H_
