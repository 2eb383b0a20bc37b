// GarbageCollector: deletes objects whose owners are gone, following metadata.ownerReferences
// across every stored resource, with Kubernetes' three propagation policies:
//   * Background: the owner is deleted at once; its dependents, now dangling, are deleted here
//     (each after a live GET confirms the owner is really gone or replaced by another uid);
//   * Foreground: the API server marks the owner with the `foregroundDeletion` finalizer; its
//     dependents are deleted, and the finalizer is removed once no dependent with
//     blockOwnerDeletion=true remains (the API server then deletes the owner);
//   * Orphan: the owner carries the `orphan` finalizer; the owner's reference is removed from
//     every dependent, then the finalizer.
// A dependent that still has another live owner is not deleted; only the references to gone
// owners (or owners waiting in foreground deletion) are removed from it.
//
// Custom resources are followed too: every change of a CustomResourceDefinition makes the collector
// look for resources it does not track yet (the catalogue gains them once a CRD is Established).
//
// Keys are "<group>/<plural>|<namespace>/<name>" (core group spelt "core"). Every object is
// reconciled both as a possible dependent and as a possible owner under deletion.
// Thread-safety: Start/Stop from one thread; Reconcile runs concurrently for different keys.
// Ownership: borrows the context's client and informers (which must outlive it).
// Failure: API errors fail the reconcile, which is retried with backoff; owners whose kind is
// not served are treated as alive (their dependents are kept).
#ifndef SKIFF_CONTROLLERS_GARBAGECOLLECTOR_GARBAGE_COLLECTOR_H_
#define SKIFF_CONTROLLERS_GARBAGECOLLECTOR_GARBAGE_COLLECTOR_H_

#include <map>
#include <memory>
#include <shared_mutex>
#include <string>
#include <vector>

#include "client/controller.h"
#include "client/controller_context.h"

namespace skiff::controllers {

class GarbageCollector : public client::Runnable, public client::Reconciler {
 public:
  struct Options {
    int workers = 2;
  };

  GarbageCollector(const client::ControllerContext& context, Options options);
  ~GarbageCollector() override;

  void Start() override;
  void Stop() override;
  client::ReconcileResult Reconcile(const std::string& key) override;

  // The queue key of an object of resource `r`.
  static std::string KeyOf(const api::ResourceInfo& r, const std::string& ns, const std::string& name);
  // Resources the collector watches: stored, listable, watchable, deletable; one version each.
  static std::vector<const api::ResourceInfo*> WatchedResources();

 private:
  enum class OwnerState { kSolid, kDangling, kWaiting };
  struct Tracked {
    const api::ResourceInfo* resource;
    client::Informer* informer;
  };
  struct Dependent {
    const Tracked* tracked;
    client::Object object;
  };

  // Registers the collector's index and handlers on a tracked resource's informer.
  void Watch(const Tracked* tracked);
  // Starts tracking served resources not tracked yet (those of newly Established CRDs).
  void TrackNewResources();

  const Tracked* Find(const std::string& group, const std::string& plural) const;
  // The tracked resource an ownerReference points at, or nullptr for kinds not served.
  const Tracked* ResolveOwner(const boost::json::value& ref) const;
  absl::StatusOr<OwnerState> ClassifyOwner(const Tracked& owner, const std::string& ns,
                                           const boost::json::value& ref);
  std::vector<Dependent> DependentsOf(const boost::json::value& owner) const;
  void EnqueueDependents(const boost::json::value& owner);
  void EnqueueOwners(const boost::json::value& dependent);

  absl::Status ProcessAsDependent(const Tracked& t, const client::Object& obj);
  absl::Status ProcessAsOwner(const Tracked& t, const client::Object& obj);
  absl::Status RemoveOwnerRefs(const Tracked& t, const client::Object& obj,
                               const std::vector<std::string>& uids);
  absl::Status RemoveFinalizer(const Tracked& t, const client::Object& obj, const std::string& finalizer);

  client::ControllerContext context_;
  Options options_;
  // By "<group>/<plural>". Entries are only ever added (map nodes are stable, so Tracked
  // pointers stay valid); readers hold tracked_mu_ shared while they look or iterate.
  mutable std::shared_mutex tracked_mu_;
  std::map<std::string, Tracked> tracked_;
  bool started_ = false;  // guarded by tracked_mu_
  std::unique_ptr<client::Controller> controller_;
};

std::unique_ptr<client::Runnable> NewGarbageCollector(const client::ControllerContext& context);

}  // namespace skiff::controllers

#endif  // SKIFF_CONTROLLERS_GARBAGECOLLECTOR_GARBAGE_COLLECTOR_H_
