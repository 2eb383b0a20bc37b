// JobController: runs JobReconciler in the controller manager, wired by WorkloadController to the
// shared Job and Pod informers (pod events enqueue the owning Job's key). A second queue of pod keys
// releases the tracking finalizer of pods whose Job is gone (JobReconciler::SyncOrphanPod); it is
// fed by pod events and by Job deletions.
// Thread-safety, ownership and failure: those of WorkloadController.
#ifndef SKIFF_CONTROLLERS_JOB_JOB_CONTROLLER_H_
#define SKIFF_CONTROLLERS_JOB_JOB_CONTROLLER_H_

#include "client/controller_context.h"
#include "controllers/workload/workload_controller.h"

namespace skiff::controllers {

class JobController : public WorkloadController {
 public:
  explicit JobController(const client::ControllerContext& context, int workers = 5);
};

}  // namespace skiff::controllers

#endif  // SKIFF_CONTROLLERS_JOB_JOB_CONTROLLER_H_
