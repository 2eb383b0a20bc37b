// The PodDisruptionBudget check of the pods/eviction subresource (what makes `kubectl drain`
// respect budgets), as Kubernetes' eviction REST handler does it:
//   * pods already terminating, Pending, Succeeded or Failed are evicted without a check;
//   * no matching budget in the pod's namespace: allowed; more than one: 500 (unsupported);
//   * a budget whose status is older than its spec (observedGeneration < generation) or with
//     status.disruptionsAllowed 0: 429 TooManyRequests "Cannot evict pod as it would violate the
//     pod's disruption budget." with a DisruptionBudget cause;
//   * an unready pod is evicted without charging the budget when unhealthyPodEvictionPolicy is
//     AlwaysAllow or the budget is already healthy enough (IfHealthyBudget, the default);
//   * otherwise the budget's status is updated first: disruptionsAllowed - 1 and the pod recorded
//     in status.disruptedPods (the PDB controller ignores such pods for a while), so concurrent
//     evictions cannot all pass.
// Thread-safety: safe for concurrent calls (the status update is a compare-and-swap with retries).
// Ownership: borrows storage and clock. Failure: Kubernetes API errors as absl::Status (404 when
// the pod is gone, 429, 500, or storage errors).
#ifndef SKIFF_APISERVER_EVICTION_BUDGET_H_
#define SKIFF_APISERVER_EVICTION_BUDGET_H_

#include <string>

#include "absl/status/status.h"
#include "apiserver/resource_storage.h"
#include "base/clock.h"

namespace skiff::apiserver {

// Call before deleting the pod for an eviction; OK means the delete may proceed. With `dry_run`
// nothing is written.
absl::Status ChargeDisruptionBudget(ResourceStorage* storage, const base::Clock& clock, const std::string& ns,
                                    const std::string& pod_name, bool dry_run);

}  // namespace skiff::apiserver

#endif  // SKIFF_APISERVER_EVICTION_BUDGET_H_
