// ReplicaSetController: runs ReplicaSetReconciler in `skiff server`'s controller manager, wired by
// WorkloadController to the shared owner (ReplicaSet, or ReplicationController for the
// replication controller) and Pod informers: owner events enqueue the owner's key, pod events the
// keys ReplicaSetReconciler::OnPod* returns.
// Thread-safety, ownership and failure: those of WorkloadController.
#ifndef SKIFF_CONTROLLERS_REPLICASET_REPLICASET_CONTROLLER_H_
#define SKIFF_CONTROLLERS_REPLICASET_REPLICASET_CONTROLLER_H_

#include "client/controller_context.h"
#include "controllers/replicaset/replicaset_reconciler.h"
#include "controllers/workload/workload_controller.h"

namespace skiff::controllers {

class ReplicaSetController : public WorkloadController {
 public:
  // `owner` must outlive the controller (ReplicaSetOwner() and ReplicationControllerOwner() do).
  explicit ReplicaSetController(const client::ControllerContext& context, int workers = 5,
                                const ReplicaOwner& owner = ReplicaSetOwner());
};

}  // namespace skiff::controllers

#endif  // SKIFF_CONTROLLERS_REPLICASET_REPLICASET_CONTROLLER_H_
