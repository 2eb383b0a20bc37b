// LocalPathCleaner: the node agent's half of the local-path provisioner's Delete reclaim. When a
// PersistentVolume provisioned for this node (annotation skiff.io/local-path-node = this node)
// is being deleted and still carries the skiff.io/local-path-cleanup finalizer, it removes the
// volume's hostPath directory, which must lie directly under this node's local-path root, and
// then the finalizer, so the PV object goes. The directory itself is created by the pod volume
// setup (hostPath type DirectoryOrCreate) when a pod first mounts the volume.
// Thread-safety: Start/Stop from one thread; Reconcile runs on the controller's worker.
// Ownership: borrows the client and informers (they outlive it). Failure: a path outside the
// root is refused (logged, finalizer kept for an administrator); removal and API errors are
// retried with backoff.
#ifndef SKIFF_AGENT_NODE_LOCAL_PATH_CLEANER_H_
#define SKIFF_AGENT_NODE_LOCAL_PATH_CLEANER_H_

#include <memory>
#include <string>

#include "client/controller.h"
#include "client/shared_informers.h"

namespace skiff::agent::node {

inline constexpr char kLocalPathNodeAnnotation[] = "skiff.io/local-path-node";
inline constexpr char kLocalPathCleanupFinalizer[] = "skiff.io/local-path-cleanup";

// Whether `path` names a volume directory directly under `root` ("<root>/pvc-...", no "..").
bool IsLocalPathVolumeDir(const std::string& root, const std::string& path);

class LocalPathCleaner : public client::Reconciler {
 public:
  LocalPathCleaner(client::Client* client, client::SharedInformers* informers, std::string node_name,
                   std::string root);
  ~LocalPathCleaner() override;

  void Start();
  void Stop();
  client::ReconcileResult Reconcile(const std::string& key) override;

 private:
  client::Client* client_;
  client::Informer* volumes_;
  std::string node_name_;
  std::string root_;
  std::unique_ptr<client::Controller> controller_;
};

}  // namespace skiff::agent::node

#endif  // SKIFF_AGENT_NODE_LOCAL_PATH_CLEANER_H_
