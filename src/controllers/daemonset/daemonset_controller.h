// DaemonSetController: runs DaemonSetReconciler in the controller manager, wired by
// WorkloadController to the shared DaemonSet, Pod, Node and ControllerRevision informers (a node
// change re-syncs every DaemonSet).
// Thread-safety, ownership and failure: those of WorkloadController.
#ifndef SKIFF_CONTROLLERS_DAEMONSET_DAEMONSET_CONTROLLER_H_
#define SKIFF_CONTROLLERS_DAEMONSET_DAEMONSET_CONTROLLER_H_

#include "client/controller_context.h"
#include "controllers/workload/workload_controller.h"

namespace skiff::controllers {

class DaemonSetController : public WorkloadController {
 public:
  explicit DaemonSetController(const client::ControllerContext& context, int workers = 2);
};

}  // namespace skiff::controllers

#endif  // SKIFF_CONTROLLERS_DAEMONSET_DAEMONSET_CONTROLLER_H_
