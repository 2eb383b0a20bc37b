// PvProtectionController: kube-controller-manager's pv-protection. A PersistentVolume being
// deleted keeps its kubernetes.io/pv-protection finalizer (added at creation by admission) while
// it is Bound to a claim; once it is not, the finalizer goes. Keys are PV names.
// Thread-safety: Start/Stop from one thread; Reconcile runs concurrently for different keys.
// Ownership: borrows the context's client and informers. Failure: API errors fail the reconcile,
// which the queue retries with backoff.
#ifndef SKIFF_CONTROLLERS_VOLUME_PV_PROTECTION_CONTROLLER_H_
#define SKIFF_CONTROLLERS_VOLUME_PV_PROTECTION_CONTROLLER_H_

#include <memory>
#include <string>

#include "client/controller.h"
#include "client/controller_context.h"

namespace skiff::controllers::volume {

class PvProtectionController : public client::Runnable, public client::Reconciler {
 public:
  explicit PvProtectionController(const client::ControllerContext& context, int workers = 1);
  ~PvProtectionController() override;

  void Start() override;
  void Stop() override;
  client::ReconcileResult Reconcile(const std::string& key) override;

 private:
  client::ControllerContext context_;
  int workers_;
  client::Informer* volumes_;
  std::unique_ptr<client::Controller> controller_;
};

std::unique_ptr<client::Runnable> NewPvProtectionController(const client::ControllerContext& context);

}  // namespace skiff::controllers::volume

#endif  // SKIFF_CONTROLLERS_VOLUME_PV_PROTECTION_CONTROLLER_H_
