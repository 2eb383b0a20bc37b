// CronJobController: runs CronJobReconciler in the controller manager, wired by WorkloadController
// to the shared CronJob and Job informers (Job events enqueue the controlling CronJob's key). Each
// sync asks to be requeued at the CronJob's next scheduled time, so no periodic resync is needed.
// Schedules without spec.timeZone use the process's local time zone (absl::LocalTimeZone).
// Thread-safety, ownership and failure: those of WorkloadController.
#ifndef SKIFF_CONTROLLERS_CRONJOB_CRONJOB_CONTROLLER_H_
#define SKIFF_CONTROLLERS_CRONJOB_CRONJOB_CONTROLLER_H_

#include "client/controller_context.h"
#include "controllers/workload/workload_controller.h"

namespace skiff::controllers {

class CronJobController : public WorkloadController {
 public:
  explicit CronJobController(const client::ControllerContext& context, int workers = 5);
};

}  // namespace skiff::controllers

#endif  // SKIFF_CONTROLLERS_CRONJOB_CRONJOB_CONTROLLER_H_
