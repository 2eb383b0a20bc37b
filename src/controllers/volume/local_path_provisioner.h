// LocalPathProvisioner: skiff's built-in dynamic provisioner (provisioner name skiff.io/local-path,
// like rancher's local-path-provisioner without helper pods). For a claim the PV controller handed
// to it (volume.kubernetes.io/storage-provisioner) and the scheduler placed
// (volume.kubernetes.io/selected-node), it creates PV "pvc-<claim uid>": hostPath
// <root>/pvc-<uid>_<namespace>_<name> of type DirectoryOrCreate (the node's agent creates the
// directory when it first mounts it), node affinity to that node (its kubernetes.io/hostname
// label, else metadata.name), the claim's size, access modes and volumeMode, the class's
// reclaimPolicy (default Delete) and mountOptions, and claimRef pre-bound to the claim; the PV
// controller completes the binding. <root> is the node's skiff.io/local-path-root annotation,
// published by its agent; such PVs carry the skiff.io/local-path-cleanup finalizer, which that
// agent removes after deleting the directory (the Delete reclaim). Nodes without an agent (sim
// nodes) get kDefaultLocalPathRoot and no finalizer; a PV whose node is gone loses the finalizer
// here, since no agent is left to clean up. Keys are "claim:<ns>/<name>" and "volume:<name>".
// Thread-safety: Start/Stop from one thread; Reconcile runs concurrently for different keys.
// Ownership: borrows the context's client, informers and recorder. Failure: API errors fail the
// reconcile (retried with backoff); a claim that cannot be provisioned gets a ProvisioningFailed
// event and waits for a change.
#ifndef SKIFF_CONTROLLERS_VOLUME_LOCAL_PATH_PROVISIONER_H_
#define SKIFF_CONTROLLERS_VOLUME_LOCAL_PATH_PROVISIONER_H_

#include <memory>
#include <string>

#include "boost/json/value.hpp"
#include "client/controller.h"
#include "client/controller_context.h"

namespace skiff::controllers::volume {

// The PV the provisioner creates for `claim` of `storage_class` on `node`; InvalidArgument when
// the claim requests no storage.
absl::StatusOr<boost::json::value> LocalPathVolume(const boost::json::value& claim,
                                                   const boost::json::value& storage_class,
                                                   const boost::json::value& node);

class LocalPathProvisioner : public client::Runnable, public client::Reconciler {
 public:
  explicit LocalPathProvisioner(const client::ControllerContext& context, int workers = 4);
  ~LocalPathProvisioner() override;

  void Start() override;
  void Stop() override;
  client::ReconcileResult Reconcile(const std::string& key) override;

 private:
  client::ReconcileResult Provision(const std::string& key);
  client::ReconcileResult ReleaseOrphan(const std::string& name);

  client::ControllerContext context_;
  int workers_;
  client::Informer* claims_;
  client::Informer* volumes_;
  client::Informer* classes_;
  client::Informer* nodes_;
  std::unique_ptr<client::Controller> controller_;
};

std::unique_ptr<client::Runnable> NewLocalPathProvisioner(const client::ControllerContext& context);

}  // namespace skiff::controllers::volume

#endif  // SKIFF_CONTROLLERS_VOLUME_LOCAL_PATH_PROVISIONER_H_
