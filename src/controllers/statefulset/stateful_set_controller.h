// StatefulSetController: runs StatefulSetReconciler in the controller manager, wired by
// WorkloadController to the shared StatefulSet, Pod, ControllerRevision and
// PersistentVolumeClaim informers.
// Thread-safety, ownership and failure: those of WorkloadController.
#ifndef SKIFF_CONTROLLERS_STATEFULSET_STATEFUL_SET_CONTROLLER_H_
#define SKIFF_CONTROLLERS_STATEFULSET_STATEFUL_SET_CONTROLLER_H_

#include "client/controller_context.h"
#include "controllers/workload/workload_controller.h"

namespace skiff::controllers::statefulset {

class StatefulSetController : public WorkloadController {
 public:
  explicit StatefulSetController(const client::ControllerContext& context, int workers = 2);
};

}  // namespace skiff::controllers::statefulset

#endif  // SKIFF_CONTROLLERS_STATEFULSET_STATEFUL_SET_CONTROLLER_H_
