// The HorizontalPodAutoscaler controller in the controller manager: HorizontalReconciler over the
// shared autoscaling/v2 HPA and Pod informers. An HPA is synced when it is added or its spec
// changes, then every sync period (15 s); pod events enqueue nothing (the periodic sync reads the
// pods again). Scale subresources and the metrics APIs are read through the context's
// metrics_get; without one (no API server to ask) the controller does not run.
// Thread-safety, ownership and failure: those of WorkloadController.
#ifndef SKIFF_CONTROLLERS_PODAUTOSCALER_HPA_CONTROLLER_H_
#define SKIFF_CONTROLLERS_PODAUTOSCALER_HPA_CONTROLLER_H_

#include <memory>

#include "client/controller_context.h"
#include "client/runnable.h"

namespace skiff::controllers::podautoscaler {

// The controller, or null when the context has no metrics_get.
std::unique_ptr<client::Runnable> NewHorizontalController(const client::ControllerContext& context);

}  // namespace skiff::controllers::podautoscaler

#endif  // SKIFF_CONTROLLERS_PODAUTOSCALER_HPA_CONTROLLER_H_
