// JobController: runs JobReconciler in the controller manager, fed by the shared Job and Pod
// informers (pod events enqueue the owning Job's key). A second queue of pod keys releases the
// tracking finalizer of pods whose Job is gone (JobReconciler::SyncOrphanPod); it is fed by pod
// events and by Job deletions.
// Thread-safety: Start/Stop from the manager's thread. Ownership: borrows the context's client and
// informers. Failure: reconcile errors are retried with the work queue's backoff.
#ifndef SKIFF_CONTROLLERS_JOB_JOB_CONTROLLER_H_
#define SKIFF_CONTROLLERS_JOB_JOB_CONTROLLER_H_

#include <memory>

#include "client/controller_context.h"

namespace skiff::controllers {

class JobController : public Runnable {
 public:
  explicit JobController(const ControllerContext& context, int workers = 5);
  ~JobController() override;
  void Start() override;
  void Stop() override;

 private:
  struct State;  // shared with informer handlers, which cannot be unregistered
  ControllerContext context_;
  int workers_;
  std::shared_ptr<State> state_;
};

}  // namespace skiff::controllers

#endif  // SKIFF_CONTROLLERS_JOB_JOB_CONTROLLER_H_
