// DeploymentController: runs DeploymentReconciler in `skiff server`'s controller manager. It
// registers handlers on the shared Deployment, ReplicaSet and Pod informers (with the workload
// indexes of controllers/replicaset/object_cache.h) and feeds a client::Controller with
// Deployment keys.
// Thread-safety: Start/Stop from the manager's thread. Ownership: borrows the context's client,
// informers and recorder (they outlive it). Failure: reconcile errors are retried with backoff.
#ifndef SKIFF_CONTROLLERS_DEPLOYMENT_DEPLOYMENT_CONTROLLER_H_
#define SKIFF_CONTROLLERS_DEPLOYMENT_DEPLOYMENT_CONTROLLER_H_

#include <memory>

#include "client/controller_context.h"

namespace skiff::controllers {

class DeploymentController : public Runnable {
 public:
  explicit DeploymentController(const ControllerContext& context, int workers = 5);
  ~DeploymentController() override;

  void Start() override;
  void Stop() override;

 private:
  // Everything the informer handlers touch, shared with them (handlers cannot be unregistered).
  struct State;

  ControllerContext context_;
  int workers_;
  std::shared_ptr<State> state_;
};

}  // namespace skiff::controllers

#endif  // SKIFF_CONTROLLERS_DEPLOYMENT_DEPLOYMENT_CONTROLLER_H_
