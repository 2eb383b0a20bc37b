// Controller: the reconcile loop of design.md — a WorkQueue of keys fed by informer handlers and N
// workers calling Reconcile(key), which re-reads the whole state from informer caches. A failed
// reconcile is retried with backoff; a requested requeue delay re-adds the key after it.
// Thread-safety: Run/Stop from one thread; Reconcile is called concurrently for different keys,
// never for the same key at once. Ownership: the Controller owns its queue and workers; the
// Reconciler must outlive it.
#ifndef SKIFF_CLIENT_CONTROLLER_H_
#define SKIFF_CLIENT_CONTROLLER_H_

#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "client/informer.h"
#include "client/workqueue.h"

namespace skiff::client {

struct ReconcileResult {
  absl::Status status;                    // non-OK: retried with backoff
  std::optional<absl::Duration> requeue;  // OK with a delay: reconcile again after it
};

class Reconciler {
 public:
  virtual ~Reconciler() = default;
  virtual ReconcileResult Reconcile(const std::string& key) = 0;
};

class Controller {
 public:
  Controller(std::string name, Reconciler* reconciler, int workers, WorkQueue::Options queue_options = {});
  ~Controller();

  WorkQueue& queue() { return queue_; }
  const std::string& name() const { return name_; }
  void Start();
  void Stop();

 private:
  void Work();
  std::string name_;
  Reconciler* reconciler_;
  int workers_;
  WorkQueue queue_;
  std::vector<std::thread> threads_;
};

// Informer handlers that add each object's own key (namespace/name) to `queue` on add, update and
// delete: the wiring of a controller whose keys are the objects it watches.
InformerHandlers EnqueueOwnKey(WorkQueue* queue);

}  // namespace skiff::client

#endif  // SKIFF_CLIENT_CONTROLLER_H_
