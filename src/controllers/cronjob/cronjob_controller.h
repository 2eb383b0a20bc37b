// CronJobController: runs CronJobReconciler in the controller manager, fed by the shared CronJob
// and Job informers (Job events enqueue the controlling CronJob's key). Each sync asks to be
// requeued at the CronJob's next scheduled time, so no periodic resync is needed.
// Schedules without spec.timeZone use the process's local time zone (absl::LocalTimeZone).
// Thread-safety: Start/Stop from the manager's thread. Ownership: borrows the context's client,
// informers and recorder. Failure: reconcile errors are retried with the work queue's backoff.
#ifndef SKIFF_CONTROLLERS_CRONJOB_CRONJOB_CONTROLLER_H_
#define SKIFF_CONTROLLERS_CRONJOB_CRONJOB_CONTROLLER_H_

#include <memory>

#include "client/controller_context.h"

namespace skiff::controllers {

class CronJobController : public Runnable {
 public:
  explicit CronJobController(const ControllerContext& context, int workers = 5);
  ~CronJobController() override;
  void Start() override;
  void Stop() override;

 private:
  struct State;  // shared with informer handlers, which cannot be unregistered
  ControllerContext context_;
  int workers_;
  std::shared_ptr<State> state_;
};

}  // namespace skiff::controllers

#endif  // SKIFF_CONTROLLERS_CRONJOB_CRONJOB_CONTROLLER_H_
