// VolumeManager: materialises a pod's volumes on the host under
// <pods_dir>/<pod uid>/volumes/<plugin>/<volume name> (plugin = kubernetes.io~empty-dir,
// ~configmap, ~secret, ~downward-api, ~projected), as the kubelet's volume plugins do:
//   emptyDir (a 0777 directory; medium Memory -> tmpfs sized by sizeLimit, else the pod's memory
//   limit, else node allocatable), hostPath (type checks; DirectoryOrCreate/FileOrCreate create),
//   configMap / secret / downwardAPI / projected (items, modes, optional; written with
//   AtomicWriter so Update replaces content in place), persistentVolumeClaim (PVC -> bound PV ->
//   hostPath or local path).
// Thread-safety: calls for different pods may run concurrently; calls for one pod must be
// serialised by the caller (the pod worker). Ownership: borrows the ObjectSource, which must
// outlive the manager. Failure: the kubelet's messages wrapped as
// `MountVolume.SetUp failed for volume "<name>" : <cause>` keeping the cause's status code
// (NotFound for a missing ConfigMap/Secret/PVC, FailedPrecondition for hostPath type checks and
// unbound claims, InvalidArgument for unsupported volume kinds, Internal/PermissionDenied for the
// filesystem and mounts).
#ifndef SKIFF_AGENT_PODSPEC_VOLUMES_H_
#define SKIFF_AGENT_PODSPEC_VOLUMES_H_

#include <functional>
#include <map>
#include <string>

#include "absl/status/statusor.h"
#include "agent/podspec/atomic_writer.h"
#include "agent/podspec/object_source.h"
#include "agent/podspec/pod_context.h"
#include "boost/json/value.hpp"

namespace skiff::agent::podspec {

// A token for a projected serviceAccountToken source (e.g. from the TokenRequest API); without
// the hook the file holds an empty placeholder.
using ServiceAccountTokenFunc = std::function<absl::StatusOr<std::string>(
    const boost::json::value& pod, const std::string& audience, int64_t expiration_seconds)>;

struct VolumeManagerOptions {
  std::string pods_dir;  // <agent data dir>/pods
  ServiceAccountTokenFunc service_account_token;
};

// A materialised volume, what a volumeMount binds.
struct VolumeInfo {
  std::string host_path;   // the directory (or file, for hostPath/PV) to bind
  std::string plugin;      // "kubernetes.io~empty-dir", ..., "kubernetes.io~host-path", "kubernetes.io~pvc"
  bool read_only = false;  // configMap/secret/downwardAPI/projected and readOnly claims
};

using VolumeMap = std::map<std::string, VolumeInfo>;

class VolumeManager {
 public:
  VolumeManager(VolumeManagerOptions options, ObjectSource* objects)
      : options_(std::move(options)), objects_(objects) {}

  // <pods_dir>/<uid> and <pods_dir>/<uid>/volumes.
  std::string PodDir(const std::string& pod_uid) const;
  std::string VolumesDir(const std::string& pod_uid) const;

  // Materialises every volume of spec.volumes; idempotent (a second call only refreshes content).
  absl::StatusOr<VolumeMap> Setup(const boost::json::value& pod, const PodContext& ctx);

  // Rewrites configMap/secret/downwardAPI/projected volumes from the current objects (call when
  // those objects or the pod's labels/annotations change). Returns the names of the volumes whose
  // content changed. Keeps going after an error and returns the first one.
  absl::StatusOr<std::vector<std::string>> Update(const boost::json::value& pod, const PodContext& ctx);

  // Unmounts everything below the pod's volumes directory and removes it.
  absl::Status CleanupVolumes(const std::string& pod_uid);
  // Unmounts everything below the pod directory and removes it (volumes, logs, etc-hosts...).
  absl::Status RemovePodDir(const std::string& pod_uid);

  // The payload a configMap/secret/downwardAPI/projected volume would hold now (exposed for tests).
  absl::StatusOr<Payload> AtomicPayload(const boost::json::value& pod, const boost::json::value& volume,
                                        const PodContext& ctx);

 private:
  absl::StatusOr<VolumeInfo> SetupOne(const boost::json::value& pod, const boost::json::value& volume,
                                      const PodContext& ctx);
  std::string PluginDir(const std::string& pod_uid, const std::string& plugin, const std::string& name) const;

  VolumeManagerOptions options_;
  ObjectSource* objects_;
};

// "kubernetes.io~configmap" etc. for volumes written by AtomicWriter; "" for other kinds.
std::string AtomicPluginName(const boost::json::value& volume);

}  // namespace skiff::agent::podspec

#endif  // SKIFF_AGENT_PODSPEC_VOLUMES_H_
