// The StatefulSet rules that need no API calls (k8s pkg/controller/statefulset stateful_set_utils.go,
// history): pod identity (<set>-<ordinal>, hostname/subdomain, the pod-name and pod-index labels),
// ordinals and spec.ordinals.start, the pods and PersistentVolumeClaims a set makes for one
// ordinal, ControllerRevisions (the {"spec":{"template":...,"$patch":"replace"}} data that `kubectl
// rollout history|undo` read, its hash, applying it back), and which ownerReferences a claim needs
// under persistentVolumeClaimRetentionPolicy.
// Thread-safety: pure functions. Ownership: inputs borrowed, results by value. Never fails:
// malformed fields read as absent (a pod name without an ordinal has ordinal -1).
#ifndef SKIFF_CONTROLLERS_STATEFULSET_STATEFUL_SET_UTIL_H_
#define SKIFF_CONTROLLERS_STATEFULSET_STATEFUL_SET_UTIL_H_

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/time/time.h"
#include "boost/json/object.hpp"
#include "boost/json/value.hpp"

namespace skiff::controllers::statefulset {

inline constexpr char kRevisionLabel[] = "controller-revision-hash";
inline constexpr char kPodNameLabel[] = "statefulset.kubernetes.io/pod-name";
inline constexpr char kPodIndexLabel[] = "apps.kubernetes.io/pod-index";

// "web-12" -> {"web", 12}; {"", -1} when the name does not end in -<digits> (or overflows int32).
std::pair<std::string, int64_t> ParentAndOrdinal(const std::string& pod_name);
int64_t OrdinalOf(const boost::json::value& pod);
// spec.ordinals.start (0 when absent) and spec.replicas (1 when absent); the set's ordinals are
// [start, start + replicas).
int64_t StartOrdinal(const boost::json::value& set);
int64_t Replicas(const boost::json::value& set);
bool InOrdinalRange(int64_t ordinal, const boost::json::value& set);
std::string PodName(const boost::json::value& set, int64_t ordinal);
std::string ClaimName(const std::string& template_name, const std::string& set_name, int64_t ordinal);
bool IsMemberOf(const boost::json::value& set, const boost::json::value& pod);

// The pod's name, namespace and identity labels are those of its ordinal in `set`.
bool IdentityMatches(const boost::json::value& set, const boost::json::value& pod);
// Every volumeClaimTemplate has a volume of its name on `pod` using the ordinal's claim.
bool StorageMatches(const boost::json::value& set, const boost::json::value& pod);
// A merge patch of metadata.labels that restores the identity labels (null when they match).
std::optional<boost::json::object> IdentityLabelPatch(const boost::json::value& set,
                                                       const boost::json::value& pod);

// The pod for `ordinal` from `set`'s template (set already at the wanted revision), labelled with
// `revision`; its controller ownerReference points to `set`.
boost::json::value NewPod(const boost::json::value& set, int64_t ordinal, const std::string& revision);
// The claims of `ordinal`, one per volumeClaimTemplate: named <claim>-<set>-<ordinal>, labels from
// the template plus the selector's matchLabels.
std::vector<boost::json::value> NewClaims(const boost::json::value& set, int64_t ordinal);

// Pod states as the StatefulSet controller sees them.
bool IsTerminating(const boost::json::value& pod);
bool IsRunningAndReady(const boost::json::value& pod);
bool IsRunningAndAvailable(const boost::json::value& pod, int64_t min_ready_seconds, absl::Time now);
// Not (running, ready, available and not terminating); a pod not yet created is unavailable.
bool IsUnavailable(const boost::json::value* pod, int64_t min_ready_seconds, absl::Time now);

// ControllerRevision data for `set`: its pod template, to be applied as a strategic merge patch.
boost::json::value RevisionData(const boost::json::value& set);
// k8s HashControllerRevision: FNV-32 of the data (and the collision count), safe-encoded.
std::string RevisionHash(const boost::json::value& data, int64_t collision_count);
// The ControllerRevision <set>-<hash> holding `data` as revision number `revision`.
boost::json::value NewRevision(const boost::json::value& set, const boost::json::value& data, int64_t revision,
                               int64_t collision_count);
// `set` with spec.template taken from `revision`'s data (ApplyRevision).
boost::json::value ApplyRevision(const boost::json::value& set, const boost::json::value& revision);

// Which of the set's and the pod's ownerReferences a claim of `pod` should carry (retention policy
// whenDeleted/whenScaled; a pod outside the ordinal range is scaled down).
struct ClaimOwners {
  bool set = false;
  bool pod = false;
};
ClaimOwners WantedClaimOwners(const boost::json::value& set, const boost::json::value& pod);
// The claim's ownerReferences brought in line with the retention policy, or nullopt when they
// already are or must not be touched (refs to an earlier set or pod of the same name, which the
// garbage collector is about to act on; another controller owns it). `pod` needs a uid for a
// pod reference to be added.
std::optional<boost::json::array> RetentionOwnerRefs(const boost::json::value& set, const boost::json::value& pod,
                                                     const boost::json::value& claim);
// The claim has a reference to a pod named like `pod` but with another uid (or `pod` has none yet):
// it belongs to a deleted pod and the garbage collector will delete it.
bool ClaimIsStale(const boost::json::value& claim, const boost::json::value& pod);

}  // namespace skiff::controllers::statefulset

#endif  // SKIFF_CONTROLLERS_STATEFULSET_STATEFUL_SET_UTIL_H_
