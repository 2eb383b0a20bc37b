// PvcProtectionController: kube-controller-manager's pvc-protection. A PersistentVolumeClaim
// being deleted keeps its kubernetes.io/pvc-protection finalizer (added at creation by admission)
// while any pod that is not Succeeded or Failed uses it; once none does, the finalizer goes and
// the claim is deleted. Before removing, the namespace's pods are listed from the server, so a pod
// the cache has not seen yet still protects the claim. Keys are claim keys (namespace/name).
// Thread-safety: Start/Stop from one thread; Reconcile runs concurrently for different keys.
// Ownership: borrows the context's client and informers. Failure: API errors fail the reconcile,
// which the queue retries with backoff.
#ifndef SKIFF_CONTROLLERS_VOLUME_PVC_PROTECTION_CONTROLLER_H_
#define SKIFF_CONTROLLERS_VOLUME_PVC_PROTECTION_CONTROLLER_H_

#include <memory>
#include <string>

#include "client/controller.h"
#include "client/controller_context.h"

namespace skiff::controllers::volume {

class PvcProtectionController : public client::Runnable, public client::Reconciler {
 public:
  explicit PvcProtectionController(const client::ControllerContext& context, int workers = 2);
  ~PvcProtectionController() override;

  void Start() override;
  void Stop() override;
  client::ReconcileResult Reconcile(const std::string& key) override;

 private:
  client::ControllerContext context_;
  int workers_;
  client::Informer* claims_;
  client::Informer* pods_;
  std::unique_ptr<client::Controller> controller_;
};

std::unique_ptr<client::Runnable> NewPvcProtectionController(const client::ControllerContext& context);

}  // namespace skiff::controllers::volume

#endif  // SKIFF_CONTROLLERS_VOLUME_PVC_PROTECTION_CONTROLLER_H_
