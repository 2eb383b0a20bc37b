// DeploymentController: runs DeploymentReconciler in `skiff server`'s controller manager, wired by
// WorkloadController to the shared Deployment, ReplicaSet and Pod informers: Deployment events
// enqueue their own key, ReplicaSet events and pod deletions the keys DeploymentReconciler's
// On* methods return.
// Thread-safety, ownership and failure: those of WorkloadController.
#ifndef SKIFF_CONTROLLERS_DEPLOYMENT_DEPLOYMENT_CONTROLLER_H_
#define SKIFF_CONTROLLERS_DEPLOYMENT_DEPLOYMENT_CONTROLLER_H_

#include "client/controller_context.h"
#include "controllers/workload/workload_controller.h"

namespace skiff::controllers {

class DeploymentController : public WorkloadController {
 public:
  explicit DeploymentController(const client::ControllerContext& context, int workers = 5);
};

}  // namespace skiff::controllers

#endif  // SKIFF_CONTROLLERS_DEPLOYMENT_DEPLOYMENT_CONTROLLER_H_
