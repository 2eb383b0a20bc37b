// Helpers shared by the workload controllers (ReplicaSet, Deployment, Job, DaemonSet, CronJob):
// making controller ownerReferences and claiming dependents, Kubernetes' pod deletion preference,
// status condition updates, and replica-count reads that tolerate missing fields. Reading object
// metadata and pod readiness is api/object_meta.h and api/pod_util.h.
// Thread-safety: pure functions. Ownership: inputs borrowed, results by value. Never fails:
// malformed fields read as absent.
#ifndef SKIFF_CONTROLLERS_WORKLOAD_WORKLOAD_UTIL_H_
#define SKIFF_CONTROLLERS_WORKLOAD_WORKLOAD_UTIL_H_

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "api/label_selector.h"
#include "api/object_meta.h"
#include "api/resources.h"
#include "boost/json/object.hpp"
#include "boost/json/value.hpp"
#include "client/client.h"

namespace skiff::controllers {

// An ownerReference to `owner` with controller and blockOwnerDeletion true.
boost::json::object MakeControllerRef(const boost::json::value& owner, const std::string& api_version,
                                      const std::string& kind);

// RFC 3339 timestamp at `path`, or absl::InfinitePast() when absent or malformed.
absl::Time TimeAt(const boost::json::value& obj, std::initializer_list<std::string_view> path);

// Not Succeeded/Failed and not being deleted (k8s FilterActivePods).
bool IsPodActive(const boost::json::value& pod);
int64_t MaxContainerRestarts(const boost::json::value& pod);

// True when `a` should be deleted before `b` (k8s ActivePodsWithRanks): unscheduled before
// scheduled; Pending < Unknown < Running; not ready before ready; lower pod-deletion-cost first;
// more co-located siblings (`rank`) first; shorter ready time first; more restarts first; newer
// first; then by name for a total order.
bool DeleteBefore(const boost::json::value& a, int rank_a, const boost::json::value& b, int rank_b);

// The `count` pods of `pods` to delete first. `related` are the pods of every ReplicaSet with the
// same controller (including these); a pod's rank is how many related pods share its node.
std::vector<client::Object> PodsToDelete(const std::vector<client::Object>& pods,
                                         const std::vector<client::Object>& related, size_t count);

// Error classes of Client calls (AlreadyExists and Conflict are both HTTP 409 / kAborted).
bool IsAlreadyExistsError(const absl::Status& status);
bool IsConflictError(const absl::Status& status);
// A server-side timeout (504 / DeadlineExceeded): the write may or may not have been stored.
bool IsTimeoutError(const absl::Status& status);

// Claims dependents for `owner` like k8s' ControllerRefManager: `owned` (controlled by owner) that
// still match `selector` are kept, those that stopped matching are released (ownerReference
// removed, unless the owner is being deleted); `orphans` that match are adopted (a controller
// ownerReference added, after a fresh read confirms the owner still exists). Only objects for
// which `eligible` is true are considered. Writes are merge patches guarded by resourceVersion.
struct ClaimTarget {
  client::Client* client = nullptr;
  const api::ResourceInfo* dependents = nullptr;      // e.g. pods
  const api::ResourceInfo* owner_resource = nullptr;  // e.g. replicasets
  std::string owner_kind;                             // e.g. "ReplicaSet"
};
absl::StatusOr<std::vector<client::Object>> ClaimObjects(
    const ClaimTarget& target, const boost::json::value& owner, const api::LabelSelector& selector,
    const std::vector<client::Object>& owned, const std::vector<client::Object>& orphans,
    const std::function<bool(const boost::json::value&)>& eligible);

// Integer field with a fallback when absent.
int64_t IntAt(const boost::json::value& obj, std::initializer_list<std::string_view> path, int64_t fallback);

// status.conditions helpers. A condition is an object with at least type/status/reason/message.
const boost::json::object* FindCondition(const boost::json::value& status, const std::string& type);
// Replaces the condition of the same type; keeps lastTransitionTime when status is unchanged
// and does nothing when status and reason are both unchanged (k8s SetDeploymentCondition).
void SetCondition(boost::json::object& status, boost::json::object condition);
void RemoveCondition(boost::json::object& status, const std::string& type);

}  // namespace skiff::controllers

#endif  // SKIFF_CONTROLLERS_WORKLOAD_WORKLOAD_UTIL_H_
