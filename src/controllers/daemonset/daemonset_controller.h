// DaemonSetController: runs DaemonSetReconciler in the controller manager, fed by the shared
// DaemonSet, Pod, Node and ControllerRevision informers (a node change re-syncs every DaemonSet).
// Thread-safety: Start/Stop from the manager's thread. Ownership: borrows the context's client and
// informers. Failure: reconcile errors are retried with the work queue's backoff.
#ifndef SKIFF_CONTROLLERS_DAEMONSET_DAEMONSET_CONTROLLER_H_
#define SKIFF_CONTROLLERS_DAEMONSET_DAEMONSET_CONTROLLER_H_

#include <memory>

#include "client/controller_context.h"

namespace skiff::controllers {

class DaemonSetController : public Runnable {
 public:
  explicit DaemonSetController(const ControllerContext& context, int workers = 2);
  ~DaemonSetController() override;
  void Start() override;
  void Stop() override;

 private:
  struct State;  // shared with informer handlers, which cannot be unregistered
  ControllerContext context_;
  int workers_;
  std::shared_ptr<State> state_;
};

}  // namespace skiff::controllers

#endif  // SKIFF_CONTROLLERS_DAEMONSET_DAEMONSET_CONTROLLER_H_
