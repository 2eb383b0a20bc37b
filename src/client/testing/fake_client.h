// FakeClient: an in-memory Client for controller and scheduler unit tests, faster and more
// controllable than TestApiServer. Writes follow the API server's rules (apiserver/resource_storage.cc):
//   * create: name or generateName (base cut to 58 characters plus 5 characters of Kubernetes'
//     alphabet, deterministic here), uid, creationTimestamp, apiVersion/kind, generation 1 for the
//     kinds that track it; resourceVersion in the body is refused (400), deletionTimestamp dropped;
//   * update: resourceVersion conflicts (409); status kept apart from the main resource for kinds
//     with a status subresource; system metadata (uid, creationTimestamp, deletion*) kept;
//     generation bumped when anything but metadata/status changes; a no-op writes no revision;
//   * patch: JSON, merge and strategic merge, then the update rules;
//   * delete: uid/resourceVersion preconditions (409); Orphan/Foreground add their finalizers;
//     an object with finalizers gets deletionTimestamp and stays until an update removes the last
//     one. Pods are removed at once (there is no kubelet to end a graceful deletion);
//   * list/watch: label selectors, namespaces; watches replay history from a resourceVersion so an
//     informer misses nothing between its list and its watch.
// Not modelled: admission, validation, defaulting, field selectors, subresource objects
// (bindings, evictions), namespace lifecycle, and the create strategies that reset status (a test
// may create an object with its status).
// Watch events are delivered synchronously, in resourceVersion order, by the thread that writes.
// Test controls: Put seeds an object as-is (bypassing the rules, like client-go's object tracker),
// Peek/Objects read the store, Calls records every write that succeeded, Inject makes writes fail.
// Thread-safety: every method is safe from any thread; watch handlers run under the client's lock
// and must not call it. Ownership: watch handles must be destroyed before the FakeClient; a
// borrowed clock must outlive it. Failure: Kubernetes-style errors from api/errors.h (400, 404,
// 409) and the statuses tests inject.
#ifndef SKIFF_CLIENT_TESTING_FAKE_CLIENT_H_
#define SKIFF_CLIENT_TESTING_FAKE_CLIENT_H_

#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <tuple>
#include <vector>

#include "absl/status/status.h"
#include "base/clock.h"
#include "client/client.h"

namespace skiff::client::testing {

class FakeClient : public Client {
 public:
  // A write to fail on purpose. The first `skip` matching writes succeed, the next `times` fail
  // (-1: all that follow).
  struct Fault {
    std::string verb;      // "create", "update", "patch", "delete"; "" = every write
    std::string resource;  // plural
    absl::Status status = absl::InternalError("injected failure");
    int skip = 0;
    int times = -1;
    // The write is stored and then answered with `status` (a server-side timeout).
    bool after_write = false;
  };

  // `clock` (borrowed; null = the real clock) stamps creationTimestamp and deletionTimestamp.
  explicit FakeClient(const base::Clock* clock = nullptr);
  ~FakeClient() override;

  absl::StatusOr<Object> Get(const api::ResourceInfo& r, const std::string& ns,
                             const std::string& name) override;
  absl::StatusOr<ObjectList> List(const api::ResourceInfo& r, const std::string& ns,
                                  const ListOptions& options) override;
  absl::StatusOr<Object> Create(const api::ResourceInfo& r, const std::string& ns, boost::json::value obj,
                                const WriteOptions& options = {}) override;
  absl::StatusOr<Object> Update(const api::ResourceInfo& r, const std::string& ns, boost::json::value obj,
                                const std::string& subresource = "",
                                const WriteOptions& options = {}) override;
  absl::StatusOr<Object> Patch(const api::ResourceInfo& r, const std::string& ns, const std::string& name,
                               PatchType type, const boost::json::value& patch,
                               const PatchOptions& options = {}) override;
  absl::Status Delete(const api::ResourceInfo& r, const std::string& ns, const std::string& name,
                      const DeleteOptions& options = {}) override;
  // Unimplemented: no subresource objects.
  absl::StatusOr<boost::json::value> CreateSubresource(const api::ResourceInfo& r, const std::string& ns,
                                                       const std::string& name,
                                                       const std::string& subresource,
                                                       boost::json::value body) override;
  absl::StatusOr<std::unique_ptr<WatchHandle>> Watch(const api::ResourceInfo& r, const std::string& ns,
                                                     const WatchOptions& options, WatchEventHandler on_event,
                                                     WatchEndHandler on_end) override;

  // Test setup: stores `obj` as given (status, deletionTimestamp, generation and all; its
  // metadata.namespace places it), replacing any object of that name; fills in uid and
  // creationTimestamp when missing, sets a new resourceVersion and tells watchers. Not recorded
  // in Calls.
  Object Put(const api::ResourceInfo& r, boost::json::value obj);
  // The stored object, or null.
  Object Peek(const api::ResourceInfo& r, const std::string& ns, const std::string& name);
  // The stored objects of `r` (in `ns`, or all when empty), by namespace/name.
  std::vector<Object> Objects(const api::ResourceInfo& r, const std::string& ns = "");

  // Every write that succeeded, in order: "create pods default/a", "update-status nodes n1",
  // "patch-status pods default/a", "delete jobs default/j Background" (policy when given).
  std::vector<std::string> Calls();
  // Calls() and forgets them.
  std::vector<std::string> TakeCalls();
  // How many recorded calls start with `prefix` (e.g. "create pods ").
  int CountCalls(const std::string& prefix);

  // Adds a fault; one for the same verb and resource is replaced. Faults apply in the order added.
  void Inject(Fault fault);
  void ClearFaults();
  // Writes refused (or stored and then answered with an error) by injected faults so far.
  int Injected();

 private:
  struct Watcher;
  class Handle;
  using Store = std::map<std::string, Object>;  // namespace/name -> object

  // What an injected fault does to one write: refuse it (after_write false) or store it and then
  // answer `status`. OK: no fault.
  struct Injection {
    absl::Status status;
    bool after_write = false;
  };

  // Each *Locked method expects mu_ held.
  Injection FaultLocked(const std::string& verb, const api::ResourceInfo& r);
  absl::StatusOr<Object> CreateLocked(const api::ResourceInfo& r, const std::string& ns,
                                      boost::json::value obj);
  absl::StatusOr<Object> UpdateLocked(const api::ResourceInfo& r, const std::string& ns,
                                      const std::string& name, boost::json::value obj,
                                      const std::string& subresource);
  absl::Status DeleteLocked(const api::ResourceInfo& r, const std::string& ns, const std::string& name,
                            const DeleteOptions& options);
  // Stores `obj` under a new resourceVersion and tells watchers.
  Object StoreLocked(const api::ResourceInfo& r, const std::string& key, boost::json::value obj,
                     WatchEventType type);
  // Removes the object and tells watchers; returns its last state.
  Object RemoveLocked(const api::ResourceInfo& r, const std::string& key, boost::json::value last);
  void EmitLocked(const api::ResourceInfo& r, WatchEvent event);
  void RecordLocked(std::string call) { calls_.push_back(std::move(call)); }
  std::string NextGeneratedName(const std::string& base);

  const base::Clock* clock_;
  std::mutex mu_;
  int64_t revision_ = 0;
  int generated_ = 0;
  std::map<std::string, Store> stores_;                                // group/plural -> objects
  std::vector<std::tuple<int64_t, std::string, WatchEvent>> history_;  // revision, group/plural, event
  std::vector<std::shared_ptr<Watcher>> watchers_;
  std::vector<Fault> faults_;
  int injected_ = 0;
  std::vector<std::string> calls_;
};

}  // namespace skiff::client::testing

#endif  // SKIFF_CLIENT_TESTING_FAKE_CLIENT_H_
