// LocalPathResizer: the expansion of local-path volumes, in the part kube's external-resizer
// plays for a CSI driver. A local-path volume is a directory on its node's filesystem with no
// size of its own, so expanding it is bookkeeping: nothing on the node has to grow, and the claim
// never needs FileSystemResizePending (that condition waits for the kubelet to grow a filesystem
// a driver enlarged; there is none here, so the node step is skipped as for a CSI driver without
// node expansion). For a Bound claim whose PV skiff.io/local-path provisioned and whose
// spec.resources.requests.storage exceeds status.capacity:
//   1. claim status: condition Resizing=True, allocatedResources.storage = the request,
//      allocatedResourceStatuses.storage = ControllerResizeInProgress; event Resizing;
//   2. the PV's spec.capacity.storage = the request;
//   3. claim status: capacity.storage = the request, Resizing and allocatedResourceStatuses
//      .storage dropped; event VolumeResizeSuccessful.
// Each step is skipped when already done, so a restart between them finishes the job. Keys are
// "<ns>/<name>" of claims.
// Thread-safety: Start/Stop from one thread; Reconcile runs concurrently for different keys.
// Ownership: borrows the context's client, informers and recorder. Failure: API errors fail the
// reconcile, which the queue retries with backoff (409 from a stale cache the same way).
#ifndef SKIFF_CONTROLLERS_VOLUME_LOCAL_PATH_RESIZER_H_
#define SKIFF_CONTROLLERS_VOLUME_LOCAL_PATH_RESIZER_H_

#include <memory>
#include <string>

#include "absl/time/time.h"
#include "boost/json/value.hpp"
#include "client/controller.h"
#include "client/controller_context.h"

namespace skiff::controllers::volume {

// The claim with step 1's status (Resizing since `now`, allocated `size`).
boost::json::value MarkResizeInProgress(const boost::json::value& claim, const boost::json::value& size,
                                        absl::Time now);
// The claim with step 3's status (capacity `size`, resize bookkeeping dropped).
boost::json::value MarkResizeFinished(const boost::json::value& claim, const boost::json::value& size);

class LocalPathResizer : public client::Runnable, public client::Reconciler {
 public:
  explicit LocalPathResizer(const client::ControllerContext& context, int workers = 2);
  ~LocalPathResizer() override;

  void Start() override;
  void Stop() override;
  client::ReconcileResult Reconcile(const std::string& key) override;

 private:
  void Event(const boost::json::value& claim, const std::string& reason, const std::string& message);

  client::ControllerContext context_;
  int workers_;
  client::Informer* claims_;
  client::Informer* volumes_;
  std::unique_ptr<client::Controller> controller_;
};

std::unique_ptr<client::Runnable> NewLocalPathResizer(const client::ControllerContext& context);

}  // namespace skiff::controllers::volume

#endif  // SKIFF_CONTROLLERS_VOLUME_LOCAL_PATH_RESIZER_H_
