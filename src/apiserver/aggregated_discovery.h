// Discovery of aggregated APIs: how /apis (legacy APIGroupList and aggregated
// APIGroupDiscoveryList) and /apis/<group> include the group versions extension servers serve
// behind APIServices, as kube-aggregator builds them: groups ordered by their highest
// groupPriorityMinimum (then by name), versions within a group by versionPriority (then by
// Kubernetes version order: GA > beta > alpha, higher numbers first). The aggregated groups
// follow this server's own groups; an aggregated group replaces a built-in group of the same
// name (e.g. metrics.k8s.io served by metrics-server). Aggregated discovery entries are made from
// each extension server's APIResourceList (Stale when its last fetch failed).
// Thread-safety: pure functions. Failure: never fails; a local document that does not parse is
// returned unchanged.
#ifndef SKIFF_APISERVER_AGGREGATED_DISCOVERY_H_
#define SKIFF_APISERVER_AGGREGATED_DISCOVERY_H_

#include <optional>
#include <string>
#include <vector>

#include "apiserver/aggregator.h"

namespace skiff::apiserver {

// True when version `a` sorts before `b` in Kubernetes' order (v2 < v1 < v1beta2 < v1alpha1 < foo).
bool KubeVersionLess(const std::string& a, const std::string& b);

// `local`: this server's legacy APIGroupList; `aggregated`: Aggregator::AggregatedGroupVersions().
std::string MergeApiGroupList(const std::string& local, const std::vector<AggregatedGroupVersion>& aggregated);
// `local`: this server's APIGroupDiscoveryList for /apis. Group versions whose resources were
// never fetched are left out.
std::string MergeAggregatedDiscovery(const std::string& local,
                                     const std::vector<AggregatedGroupVersion>& aggregated);
// The APIGroup of an aggregated group for /apis/<group>; nullopt when no APIService serves it.
std::optional<std::string> AggregatedApiGroup(const std::string& group,
                                              const std::vector<AggregatedGroupVersion>& aggregated);

}  // namespace skiff::apiserver

#endif  // SKIFF_APISERVER_AGGREGATED_DISCOVERY_H_
