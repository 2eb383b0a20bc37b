#include "api/quota/pod_resources.h"

#include "base/json.h"
#include "boost/json.hpp"

namespace skiff::api::quota {
namespace {

namespace json = boost::json;

// list[name] = max(list[name], other[name]) for every name of other.
void MaxInto(ResourceList& list, const ResourceList& other) {
  for (const auto& [name, q] : other) {
    auto it = list.find(name);
    if (it == list.end()) {
      list.emplace(name, q);
    } else if (q.Compare(it->second) > 0) {
      it->second = q;
    }
  }
}

bool IsSidecar(const json::value& container) {
  return base::GetString(container, {"restartPolicy"}) == "Always";
}

ResourceList Aggregate(const json::value& pod, ResourceList (*of)(const json::value&)) {
  ResourceList total;
  if (const auto* cs = base::FindPath(pod, {"spec", "containers"}); cs && cs->is_array()) {
    for (const auto& c : cs->get_array()) AddTo(total, of(c));
  }
  ResourceList sidecars;  // the restartable init containers started so far
  ResourceList init_peak;
  if (const auto* cs = base::FindPath(pod, {"spec", "initContainers"}); cs && cs->is_array()) {
    for (const auto& c : cs->get_array()) {
      ResourceList own = of(c);
      if (IsSidecar(c)) {
        AddTo(total, own);
        AddTo(sidecars, own);
        MaxInto(init_peak, sidecars);
      } else {
        MaxInto(init_peak, Add(own, sidecars));
      }
    }
  }
  MaxInto(total, init_peak);
  return total;
}

}  // namespace

ResourceList ContainerRequests(const json::value& container) {
  return FromJson(base::FindPath(container, {"resources", "requests"}));
}

ResourceList ContainerLimits(const json::value& container) {
  return FromJson(base::FindPath(container, {"resources", "limits"}));
}

ResourceList PodRequests(const json::value& pod, bool with_overhead) {
  ResourceList requests = Aggregate(pod, &ContainerRequests);
  if (with_overhead) AddTo(requests, FromJson(base::FindPath(pod, {"spec", "overhead"})));
  return requests;
}

ResourceList PodLimits(const json::value& pod, bool with_overhead) {
  ResourceList limits = Aggregate(pod, &ContainerLimits);
  if (!with_overhead) return limits;
  ResourceList overhead = FromJson(base::FindPath(pod, {"spec", "overhead"}));
  for (auto& [name, q] : limits) {
    if (auto it = overhead.find(name); it != overhead.end()) (void)q.Add(it->second);
  }
  return limits;
}

}  // namespace skiff::api::quota
