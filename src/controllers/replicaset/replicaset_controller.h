// ReplicaSetController: runs ReplicaSetReconciler in `skiff server`'s controller manager. It
// registers handlers on the shared owner (ReplicaSet, or ReplicationController for the
// replication controller) and Pod informers (plus the workload indexes of object_cache.h) and
// feeds a client::Controller work queue with owner keys.
// Thread-safety: Start/Stop from the manager's thread. Ownership: borrows the context's client and
// informers (they outlive it). Failure: reconcile errors are retried with the queue's backoff.
#ifndef SKIFF_CONTROLLERS_REPLICASET_REPLICASET_CONTROLLER_H_
#define SKIFF_CONTROLLERS_REPLICASET_REPLICASET_CONTROLLER_H_

#include <memory>

#include "client/controller.h"
#include "client/controller_context.h"
#include "controllers/replicaset/object_cache.h"
#include "controllers/replicaset/replicaset_reconciler.h"

namespace skiff::controllers {

class ReplicaSetController : public Runnable {
 public:
  // `owner` must outlive the controller (ReplicaSetOwner() and ReplicationControllerOwner() do).
  explicit ReplicaSetController(const ControllerContext& context, int workers = 5,
                                const ReplicaOwner& owner = ReplicaSetOwner());
  ~ReplicaSetController() override;

  void Start() override;
  void Stop() override;

 private:
  // Everything the informer handlers touch, shared with them: handlers cannot be unregistered,
  // so they keep this alive after the controller is gone (its queue is shut down by then).
  struct State;

  ControllerContext context_;
  int workers_;
  const ReplicaOwner& owner_;
  std::shared_ptr<State> state_;
};

}  // namespace skiff::controllers

#endif  // SKIFF_CONTROLLERS_REPLICASET_REPLICASET_CONTROLLER_H_
