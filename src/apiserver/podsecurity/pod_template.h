// Where a pod's metadata and spec sit in the objects Pod Security evaluates: pods themselves and
// the workloads that embed a pod template (ReplicationControllers, PodTemplates, ReplicaSets,
// Deployments, StatefulSets, DaemonSets, Jobs, CronJobs), as Kubernetes' DefaultPodSpecExtractor.
// Thread-safety: pure functions. Ownership: results point into the object passed in.
// Failure: none; an object without a template gives empty results.
#ifndef SKIFF_APISERVER_PODSECURITY_POD_TEMPLATE_H_
#define SKIFF_APISERVER_PODSECURITY_POD_TEMPLATE_H_

#include "api/resources.h"
#include "boost/json/fwd.hpp"

namespace skiff::apiserver::podsecurity {

bool IsPods(const api::ResourceInfo& resource);
// Pods, or a workload that embeds a pod template.
bool HasPodSpec(const api::ResourceInfo& resource);

struct PodParts {
  const boost::json::value* meta = nullptr;  // null when absent
  const boost::json::value* spec = nullptr;
  bool found = false;  // false: the object carries no pod template (a ReplicationController may not)
};
// The pod metadata and spec of `obj`, an object of a resource HasPodSpec accepts.
PodParts ExtractPod(const api::ResourceInfo& resource, const boost::json::value& obj);

}  // namespace skiff::apiserver::podsecurity

#endif  // SKIFF_APISERVER_PODSECURITY_POD_TEMPLATE_H_
