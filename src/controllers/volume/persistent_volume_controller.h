// PersistentVolumeController: kube-controller-manager's persistentvolume-binder. It binds
// PersistentVolumeClaims to PersistentVolumes and keeps both sides' phases true:
//   * an unbound claim gets the smallest Available PV that satisfies it (volume_util.h), or the
//     PV named by its spec.volumeName, or one pre-bound to it by the PV's claimRef; binding writes
//     the PV's claimRef (+ pv.kubernetes.io/bound-by-controller), PV phase Bound, the claim's
//     spec.volumeName (+ pv.kubernetes.io/bind-completed), then claim phase Bound with the PV's
//     capacity and access modes (capacity only as the claim becomes Bound: later the resizer,
//     local_path_resizer.h, owns it, as in kube);
//   * a claim of a WaitForFirstConsumer class waits (event WaitForFirstConsumer) until the
//     scheduler annotates volume.kubernetes.io/selected-node, then binds only PVs whose node
//     affinity admits that node;
//   * with nothing to bind and a class with a provisioner, the claim is annotated
//     volume.kubernetes.io/storage-provisioner for that provisioner (event ExternalProvisioning);
//   * a bound claim whose PV vanished or was bound elsewhere becomes Lost;
//   * a PV without claimRef is Available; one whose claim is gone is Released and reclaimed per
//     persistentVolumeReclaimPolicy: Retain keeps it, Delete deletes provisioned PVs (the
//     provisioner's finalizer cleans up the storage) and fails (phase Failed) for others, Recycle
//     fails (not supported).
// Keys are "claim:<ns>/<name>" and "volume:<name>" in one queue.
// Thread-safety: Start/Stop from one thread; Reconcile runs concurrently for different keys.
// Ownership: borrows the context's client, informers and recorder. Failure: API errors fail the
// reconcile, which the queue retries with backoff; 409 conflicts (a stale cache) the same way.
#ifndef SKIFF_CONTROLLERS_VOLUME_PERSISTENT_VOLUME_CONTROLLER_H_
#define SKIFF_CONTROLLERS_VOLUME_PERSISTENT_VOLUME_CONTROLLER_H_

#include <memory>
#include <map>
#include <mutex>
#include <set>
#include <string>

#include "client/controller.h"
#include "client/controller_context.h"

namespace skiff::controllers::volume {

class PersistentVolumeController : public client::Runnable, public client::Reconciler {
 public:
  explicit PersistentVolumeController(const client::ControllerContext& context, int workers = 4);
  ~PersistentVolumeController() override;

  void Start() override;
  void Stop() override;
  client::ReconcileResult Reconcile(const std::string& key) override;

 private:
  client::ReconcileResult SyncClaim(const std::string& key);
  client::ReconcileResult SyncUnboundClaim(client::Object claim);
  client::ReconcileResult SyncVolume(const std::string& name);
  client::ReconcileResult ReclaimVolume(client::Object pv);
  // Completes whatever part of binding `pv` and `claim` is missing.
  absl::Status Bind(client::Object pv, client::Object claim);
  absl::Status SetClaimPhase(const client::Object& claim, const std::string& phase);
  absl::Status SetVolumePhase(const client::Object& pv, const std::string& phase, const std::string& reason = "",
                              const std::string& message = "");
  absl::Status AnnotateForProvisioner(const client::Object& claim, const std::string& provisioner);
  void Event(const boost::json::value& obj, const std::string& type, const std::string& reason,
             const std::string& message);
  // Events that would repeat on every sync of a waiting claim are recorded once per claim uid.
  bool FirstTime(const std::string& what, const boost::json::value& obj);
  void EnqueueUnboundClaims();

  client::ControllerContext context_;
  int workers_;
  client::Informer* claims_;
  client::Informer* volumes_;
  client::Informer* classes_;
  client::Informer* nodes_;
  std::mutex mu_;
  std::map<std::string, std::set<std::string>> reported_;  // claim uid -> events recorded once
  std::unique_ptr<client::Controller> controller_;
};

std::unique_ptr<client::Runnable> NewPersistentVolumeController(const client::ControllerContext& context);

}  // namespace skiff::controllers::volume

#endif  // SKIFF_CONTROLLERS_VOLUME_PERSISTENT_VOLUME_CONTROLLER_H_
