// Subresource and patch semantics shared by the HTTP handler and the in-process client: the
// autoscaling/v1 Scale view and its updates, pods/binding, pods/eviction, namespaces/finalize, and
// turning a patch (JSON, merge, strategic merge, server-side apply) into the next object. Keeping
// them here means both paths answer with the same objects and the same errors.
// Thread-safety: pure functions, or calls into ResourceStorage (itself thread-safe).
// Ownership: borrows the storage; returns values. Failure: Kubernetes API errors (errors.h).
#ifndef SKIFF_APISERVER_SUBRESOURCES_H_
#define SKIFF_APISERVER_SUBRESOURCES_H_

#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "api/patch_meta.h"
#include "api/resources.h"
#include "apiserver/resource_storage.h"
#include "base/clock.h"
#include "boost/json/value.hpp"

namespace skiff::apiserver {

// The four patch media types.
inline constexpr char kJsonPatch[] = "application/json-patch+json";
inline constexpr char kMergePatch[] = "application/merge-patch+json";
inline constexpr char kStrategicMergePatch[] = "application/strategic-merge-patch+json";
inline constexpr char kApplyPatch[] = "application/apply-patch+yaml";

// The object after applying `patch` (of media type `type`) to `live` (in r's version; null only
// for an apply that creates). `ns`/`name` name the object; `manager`, `force` and `now` serve
// server-side apply.
absl::StatusOr<boost::json::value> ComputePatch(const api::ResourceInfo& r, const std::string& ns,
                                                const std::string& name, const boost::json::value* live,
                                                const std::string& type, const boost::json::value& patch,
                                                const std::string& manager, bool force,
                                                const std::string& now);

// autoscaling/v1 Scale view of a scalable object.
boost::json::value ScaleOf(const api::ResourceInfo& r, const ObjectPtr& obj);

// The object after a scale write: `update` replaces the Scale with `body`, otherwise `body` is a
// patch of media type `type` against the Scale view. Only spec.replicas changes.
absl::StatusOr<boost::json::value> ApplyScale(const api::ResourceInfo& r, const ObjectPtr& current,
                                              const std::string& name, bool update, const std::string& type,
                                              const boost::json::value& body);

// Binds a pod to `node` (pods/binding): sets spec.nodeName and the PodScheduled condition (no
// managedFields entry and no schema admission of the pod, as kube's BindingREST).
// 409 when already bound or being deleted.
absl::StatusOr<ObjectPtr> BindPod(ResourceStorage* storage, const std::string& ns, const std::string& pod,
                                  const std::string& node, absl::Time now, WriteOptions options);

// Evicts a pod (pods/eviction) as described by the policy/v1 Eviction `body`, after charging its
// PodDisruptionBudget (eviction_budget.h: 429 when the budget allows no disruption). `user` (who
// evicts; null for the server's own writes) is what the pod's deletion is admitted as.
absl::StatusOr<ObjectPtr> EvictPod(ResourceStorage* storage, const base::Clock& clock,
                                   const api::ResourceInfo& pods, const std::string& ns,
                                   const std::string& name, const boost::json::value& body, bool dry_run,
                                   const User* user = nullptr);

// namespaces/finalize: the current namespace with spec.finalizers taken from `body`.
boost::json::value FinalizeNamespace(const ObjectPtr& current, const boost::json::value& body);

}  // namespace skiff::apiserver

#endif  // SKIFF_APISERVER_SUBRESOURCES_H_
