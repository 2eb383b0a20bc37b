// Shared vocabulary of persistent volumes: the annotations and finalizers Kubernetes uses, the
// built-in local-path provisioner's names, and the matching rules of the PV controller (which
// PersistentVolume may bind which PersistentVolumeClaim: storageClassName, volumeMode, access
// modes, capacity, selector, claimRef pre-binding and node affinity), used by the PV controller,
// the local-path provisioner and the scheduler's volume binding.
// Thread-safety: pure functions over immutable JSON. Ownership: inputs borrowed; FindBestMatch
// returns one of the given objects. Failure: never fails; malformed fields count as absent (an
// unparsable size or selector matches nothing).
#ifndef SKIFF_CONTROLLERS_VOLUME_VOLUME_UTIL_H_
#define SKIFF_CONTROLLERS_VOLUME_VOLUME_UTIL_H_

#include <string>
#include <vector>

#include "boost/json/value.hpp"
#include "client/client.h"

namespace skiff::controllers::volume {

inline constexpr char kAnnBindCompleted[] = "pv.kubernetes.io/bind-completed";
inline constexpr char kAnnBoundByController[] = "pv.kubernetes.io/bound-by-controller";
inline constexpr char kAnnProvisionedBy[] = "pv.kubernetes.io/provisioned-by";
inline constexpr char kAnnStorageProvisioner[] = "volume.kubernetes.io/storage-provisioner";
inline constexpr char kAnnBetaStorageProvisioner[] = "volume.beta.kubernetes.io/storage-provisioner";
inline constexpr char kAnnSelectedNode[] = "volume.kubernetes.io/selected-node";
inline constexpr char kAnnDefaultClass[] = "storageclass.kubernetes.io/is-default-class";
inline constexpr char kAnnBetaDefaultClass[] = "storageclass.beta.kubernetes.io/is-default-class";
inline constexpr char kPvcProtectionFinalizer[] = "kubernetes.io/pvc-protection";
inline constexpr char kPvProtectionFinalizer[] = "kubernetes.io/pv-protection";
// Provisioners that never provision (static local volumes).
inline constexpr char kNoProvisioner[] = "kubernetes.io/no-provisioner";

// skiff's built-in dynamic provisioner and its default StorageClass.
inline constexpr char kLocalPathProvisioner[] = "skiff.io/local-path";
inline constexpr char kLocalPathClass[] = "local-path";
// On a Node: the directory under which that node's agent keeps local-path volumes.
inline constexpr char kAnnLocalPathRoot[] = "skiff.io/local-path-root";
// Where a node without that annotation (a simulated one) keeps them.
inline constexpr char kDefaultLocalPathRoot[] = "/var/lib/skiff/local-path";
// On a provisioned PV: the node whose agent removes its directory when the PV is deleted (under
// the finalizer below, which that agent removes afterwards).
inline constexpr char kAnnLocalPathNode[] = "skiff.io/local-path-node";
inline constexpr char kLocalPathCleanupFinalizer[] = "skiff.io/local-path-cleanup";

const api::ResourceInfo& Claims();
const api::ResourceInfo& Volumes();
const api::ResourceInfo& StorageClasses();

// A claim's spec.storageClassName ("" when unset or empty).
std::string ClaimClass(const boost::json::value& claim);
// Whether the StorageClass delays binding until a pod uses the claim (WaitForFirstConsumer).
bool DelaysBinding(const boost::json::value* storage_class);
// Whether the PV's spec.claimRef names the claim (namespace and name, and uid when set).
bool VolumeBoundToClaim(const boost::json::value& pv, const boost::json::value& claim);
// Whether the PV's required node affinity admits `node` (true without node affinity).
bool VolumeAdmitsNode(const boost::json::value& pv, const boost::json::value& node);
// Kubernetes' checkVolumeSatisfyClaim: class, volumeMode, access modes and capacity. Returns ""
// when the PV satisfies the claim, else why not.
std::string VolumeSatisfiesClaim(const boost::json::value& pv, const boost::json::value& claim);

// Every PV the claim could bind now: unbound (or pre-bound to it), not being deleted, satisfying
// it and its selector, and (when `node` is given) admitting that node.
std::vector<client::Object> MatchingVolumes(const boost::json::value& claim,
                                            const std::vector<client::Object>& volumes,
                                            const boost::json::value* node);
// Kubernetes' findMatchingVolume: the smallest available PV that satisfies the claim and its
// selector, preferring one pre-bound to it (claimRef); PVs bound to other claims, being deleted,
// or (when `node` is given) not admitting that node are skipped. Null when none fits.
client::Object FindBestMatch(const boost::json::value& claim, const std::vector<client::Object>& volumes,
                             const boost::json::value* node);

// The StorageClass newly created claims without a class get: the newest class annotated as
// default (as DefaultStorageClass admission), null when none is.
client::Object DefaultClass(const std::vector<client::Object>& classes);

// Whether the pod has a volume that uses claim `name` (directly; ephemeral volumes name their
// claim `<pod>-<volume>`).
bool PodUsesClaim(const boost::json::value& pod, const std::string& name);
// The claim names a pod's volumes use.
std::vector<std::string> PodClaimNames(const boost::json::value& pod);

}  // namespace skiff::controllers::volume

#endif  // SKIFF_CONTROLLERS_VOLUME_VOLUME_UTIL_H_
