// CrdController: kube-apiserver's CustomResourceDefinition controllers (naming, establishing,
// finalizer) inside the API server, so custom resources are served before any controller manager
// holds its lease. Level-triggered: every change of any CRD (a watch on the watch cache) re-reads
// all CRDs and
//   * computes each CRD's accepted names and NamesAccepted/Established conditions
//     (apiserver/crd/crd_status.h; earlier CRDs keep contested names),
//   * installs the served versions of every Established CRD into the resource catalogue
//     (api::SetCustomResources) before writing Established=True, so a client that sees the
//     condition can use the resource,
//   * for a CRD being deleted (finalizer customresourcecleanup.apiextensions.k8s.io), sets
//     Terminating, deletes all its objects, and removes the finalizer once none is left; the
//     resource disappears from the catalogue with the CRD.
// Thread-safety: Start/Stop from one thread; the work runs on one thread of its own.
// Ownership: borrows the storage (and its cache) and clock, which must outlive it.
// Failure: a failed reconcile (a write conflict, objects still finalizing) is retried after a
// short delay; Start fails only when the cache cannot be watched.
#ifndef SKIFF_APISERVER_CRD_CONTROLLER_H_
#define SKIFF_APISERVER_CRD_CONTROLLER_H_

#include <condition_variable>
#include <memory>
#include <mutex>
#include <thread>

#include "absl/status/status.h"
#include "apiserver/resource_storage.h"
#include "base/clock.h"

namespace skiff::apiserver {

class CrdController {
 public:
  CrdController(ResourceStorage* storage, base::Clock* clock);
  ~CrdController();

  // Installs the resources of the stored CRDs (synchronously), then follows CRD changes.
  absl::Status Start();
  void Stop();

 private:
  class Listener;
  void Run();
  void Wake();
  // One pass over all CRDs; false when something is left to retry.
  bool Reconcile();

  ResourceStorage* storage_;
  base::Clock* clock_;
  std::shared_ptr<Listener> listener_;
  int64_t watch_id_ = 0;
  std::mutex mu_;
  std::condition_variable cv_;
  bool dirty_ = false;
  bool stopping_ = false;
  std::thread worker_;
};

}  // namespace skiff::apiserver

#endif  // SKIFF_APISERVER_CRD_CONTROLLER_H_
