// WorkloadController: the wiring every workload controller (ReplicaSet/ReplicationController, Job,
// DaemonSet, Deployment, CronJob) shares. A controller describes itself in a setup function that
// Start calls once with a Wiring: it takes the shared informers of its owner kind and of what it
// watches (owned pods, ReplicaSets, Jobs, nodes ...) as ObjectCaches (with the workload indexes of
// object_cache.h), builds its reconciler over them, adds work queues (client::Controller) and
// says which keys each watched resource's events enqueue: OwnKeys() for the owner kind, the
// owner's key found by controllerRef (KeysBy) or the reconciler's own event methods (MemberKeys)
// for owned objects.
// Thread-safety: Start/Stop from the manager's thread; key functions run on informer threads, one
// event at a time per informer. Ownership: borrows the context's client, informers and recorder
// (they outlive it); everything the setup creates (reconcilers, queues) is shared with the
// informer handlers, which cannot be unregistered and so keep it alive after the controller is
// gone (its queues are stopped by then). Failure: reconcile errors are retried with the queue's
// backoff; setup cannot fail.
#ifndef SKIFF_CONTROLLERS_WORKLOAD_WORKLOAD_CONTROLLER_H_
#define SKIFF_CONTROLLERS_WORKLOAD_WORKLOAD_CONTROLLER_H_

#include <functional>
#include <memory>
#include <string>
#include <type_traits>
#include <vector>

#include "api/resources.h"
#include "boost/json/value.hpp"
#include "client/controller.h"
#include "client/controller_context.h"
#include "controllers/workload/object_cache.h"

namespace skiff::controllers {

// The keys one watched resource's events enqueue; an unset function ignores that event.
struct EventKeys {
  std::function<std::vector<std::string>(const boost::json::value& obj)> added;
  std::function<std::vector<std::string>(const boost::json::value& old_obj, const boost::json::value& obj)>
      updated;
  std::function<std::vector<std::string>(const boost::json::value& obj)> deleted;  // last known state
};

// Every event enqueues the object's own key (client::KeyOf): the owner kind's wiring.
EventKeys OwnKeys();
// Every event enqueues key_of(obj) unless empty; an update also key_of(old) when it differs (an
// owned object that changed owner), e.g. key_of = the controllerRef owner's key.
EventKeys KeysBy(std::function<std::string(const boost::json::value& obj)> key_of);
// Events handled by methods of `r` (member function pointers, or nullptr to ignore that event):
// added(obj), updated(old_obj, obj), deleted(obj), each returning the keys to enqueue.
template <typename R, typename Added, typename Updated, typename Deleted>
EventKeys MemberKeys(R* r, Added added, Updated updated, Deleted deleted);

// The `record_event` option of the workload reconcilers: events recorded as `component` by the
// context's recorder, or an unset function when there is none (tests).
std::function<void(const boost::json::value& obj, const std::string& type, const std::string& reason,
                   const std::string& message)>
RecordEventAs(const client::ControllerContext& context, std::string component);

// What a setup function builds with. Valid only during the setup call; the pointers it returns
// stay valid as long as the controller's handlers (i.e. for the process's informers' lifetime).
class Wiring {
 public:
  const client::ControllerContext& context() const { return context_; }
  client::Client* client() const { return context_.client; }

  // The shared informer of `resource` (workload indexes added unless `workload_indexes` is false).
  client::Informer& Informer(const api::ResourceInfo& resource, bool workload_indexes = true);
  // The same informer as a cache a reconciler reads from.
  ObjectCache* Cache(const api::ResourceInfo& resource, bool workload_indexes = true);
  // Keeps `part` (a reconciler, ...) alive with the handlers; returns it.
  template <typename T>
  T* Own(std::unique_ptr<T> part) {
    T* raw = part.get();
    Keep(std::shared_ptr<void>(std::move(part)));
    return raw;
  }
  // A work queue whose `workers` call `reconciler` (which must be owned, see Own); started by
  // WorkloadController::Start in the order added.
  client::WorkQueue* AddQueue(std::string name, client::Reconciler* reconciler, int workers);
  // The same with a reconcile function.
  client::WorkQueue* AddQueue(std::string name,
                              std::function<client::ReconcileResult(const std::string&)> reconcile,
                              int workers);
  // Handlers on `resource`'s informer that add the keys `keys` maps its events to into `queue`.
  void Enqueue(const api::ResourceInfo& resource, client::WorkQueue* queue, EventKeys keys);

 private:
  friend class WorkloadController;
  struct Parts;  // what the handlers share: owned parts and the queues' controllers
  Wiring(const client::ControllerContext& context, std::shared_ptr<Parts> parts)
      : context_(context), parts_(std::move(parts)) {}
  void Keep(std::shared_ptr<void> part);

  const client::ControllerContext& context_;
  std::shared_ptr<Parts> parts_;
};

class WorkloadController : public client::Runnable {
 public:
  using Setup = std::function<void(Wiring& wiring)>;
  WorkloadController(const client::ControllerContext& context, Setup setup);
  ~WorkloadController() override;

  // Runs the setup once (registers indexes and handlers), then starts every queue's workers.
  void Start() override;
  void Stop() override;

 private:
  client::ControllerContext context_;
  Setup setup_;
  std::shared_ptr<Wiring::Parts> parts_;
};

template <typename R, typename Added, typename Updated, typename Deleted>
EventKeys MemberKeys(R* r, Added added, Updated updated, Deleted deleted) {
  EventKeys keys;
  if constexpr (!std::is_null_pointer_v<Added>) {
    keys.added = [r, added](const boost::json::value& obj) { return (r->*added)(obj); };
  }
  if constexpr (!std::is_null_pointer_v<Updated>) {
    keys.updated = [r, updated](const boost::json::value& old_obj, const boost::json::value& obj) {
      return (r->*updated)(old_obj, obj);
    };
  }
  if constexpr (!std::is_null_pointer_v<Deleted>) {
    keys.deleted = [r, deleted](const boost::json::value& obj) { return (r->*deleted)(obj); };
  }
  return keys;
}

}  // namespace skiff::controllers

#endif  // SKIFF_CONTROLLERS_WORKLOAD_WORKLOAD_CONTROLLER_H_
