#include "agent/podspec/resources.h"

#include <algorithm>

#include "agent/podspec/qos.h"
#include "api/object_meta.h"
#include "base/json.h"

namespace skiff::agent::podspec {

namespace {

constexpr int64_t kSystemCriticalPriority = 2000000000;

const boost::json::array* ContainerList(const boost::json::value& pod, const char* field) {
  const boost::json::value* list = base::FindPath(pod, {"spec", field});
  return list != nullptr && list->is_array() ? &list->as_array() : nullptr;
}

ResourceMap ResourceList(const boost::json::value& obj, std::initializer_list<std::string_view> path) {
  ResourceMap out;
  const boost::json::value* list = base::FindPath(obj, path);
  if (list == nullptr || !list->is_object()) return out;
  for (const auto& [name, value] : list->as_object()) {
    auto q = api::Quantity::FromJson(value);
    if (q.ok()) out.emplace(std::string(name), *q);
  }
  return out;
}

void AddInto(ResourceMap& sum, const ResourceMap& add) {
  for (const auto& [name, q] : add) {
    auto [it, inserted] = sum.try_emplace(name, q);
    if (!inserted) (void)it->second.Add(q);
  }
}

void MaxInto(ResourceMap& target, const ResourceMap& other) {
  for (const auto& [name, q] : other) {
    auto [it, inserted] = target.try_emplace(name, q);
    if (!inserted && it->second < q) it->second = q;
  }
}

// resourcehelper's aggregation over app containers, sidecars and init containers.
ResourceMap Aggregate(const boost::json::value& pod, const char* kind, bool include_overhead) {
  ResourceMap total;
  if (const auto* containers = ContainerList(pod, "containers")) {
    for (const auto& c : *containers) AddInto(total, ResourceList(c, {"resources", kind}));
  }
  ResourceMap sidecars;   // sidecars started so far
  ResourceMap init_peak;  // the largest init phase
  if (const auto* inits = ContainerList(pod, "initContainers")) {
    for (const auto& c : *inits) {
      ResourceMap own = ResourceList(c, {"resources", kind});
      if (IsSidecar(c)) {
        AddInto(total, own);
        AddInto(sidecars, own);
        MaxInto(init_peak, sidecars);
      } else {
        AddInto(own, sidecars);
        MaxInto(init_peak, own);
      }
    }
  }
  MaxInto(total, init_peak);
  if (include_overhead) AddInto(total, ResourceList(pod, {"spec", "overhead"}));
  return total;
}

std::optional<api::Quantity> Lookup(const ResourceMap& map, const std::string& name) {
  auto it = map.find(name);
  if (it == map.end()) return std::nullopt;
  return it->second;
}

bool IsNodeCriticalPod(const boost::json::value& pod) {
  if (base::GetString(pod, {"spec", "priorityClassName"}) != "system-node-critical") return false;
  const boost::json::value* annotations = api::Annotations(pod);
  bool static_or_mirror = false;
  if (annotations != nullptr && annotations->is_object()) {
    const auto& a = annotations->as_object();
    static_or_mirror = a.contains("kubernetes.io/config.mirror") ||
                       (a.contains("kubernetes.io/config.source") &&
                        base::GetString(*annotations, {"kubernetes.io/config.source"}) != "api");
  }
  return static_or_mirror || base::GetInt(pod, {"spec", "priority"}) >= kSystemCriticalPriority;
}

int64_t MemoryRequestBytes(const boost::json::value& container) {
  auto q = ContainerResource(container, "requests", "memory");
  return q ? q->Value() : 0;
}

// True when every app container and sidecar sets limits.<name>.
bool AllLimit(const boost::json::value& pod, std::string_view name) {
  bool any = false;
  for (const char* field : {"containers", "initContainers"}) {
    const auto* list = ContainerList(pod, field);
    if (list == nullptr) continue;
    for (const auto& c : *list) {
      if (std::string_view(field) == "initContainers" && !IsSidecar(c)) continue;
      if (!ContainerResource(c, "limits", name)) return false;
      any = true;
    }
  }
  return any;
}

}  // namespace

int64_t MilliCpuToShares(int64_t milli_cpu) {
  if (milli_cpu == 0) return kMinCpuShares;
  int64_t shares = milli_cpu * 1024 / 1000;
  return std::clamp(shares, kMinCpuShares, kMaxCpuShares);
}

int64_t MilliCpuToQuota(int64_t milli_cpu, int64_t period_us) {
  if (milli_cpu == 0) return 0;
  return std::max(milli_cpu * period_us / 1000, kMinCpuQuotaUs);
}

LinuxResources CalculateLinuxResources(const std::optional<api::Quantity>& cpu_request,
                                       const std::optional<api::Quantity>& cpu_limit,
                                       const std::optional<api::Quantity>& memory_limit) {
  LinuxResources r;
  if (!cpu_request && cpu_limit) {
    r.cpu_shares = MilliCpuToShares(cpu_limit->MilliValue());
  } else {
    r.cpu_shares = MilliCpuToShares(cpu_request ? cpu_request->MilliValue() : 0);
  }
  if (memory_limit) r.memory_limit_in_bytes = memory_limit->Value();
  r.cpu_period = kCpuQuotaPeriodUs;
  r.cpu_quota = MilliCpuToQuota(cpu_limit ? cpu_limit->MilliValue() : 0, kCpuQuotaPeriodUs);
  return r;
}

std::optional<api::Quantity> ContainerResource(const boost::json::value& container, std::string_view kind,
                                               std::string_view name) {
  const boost::json::value* v = base::FindPath(container, {"resources", kind, name});
  if (v == nullptr) return std::nullopt;
  auto q = api::Quantity::FromJson(*v);
  if (!q.ok()) return std::nullopt;
  return *q;
}

bool IsSidecar(const boost::json::value& container) {
  return base::GetString(container, {"restartPolicy"}) == "Always";
}

bool IsSidecarOf(const boost::json::value& pod, const boost::json::value& container) {
  const auto* inits = ContainerList(pod, "initContainers");
  if (inits == nullptr || !IsSidecar(container)) return false;
  std::string name = base::GetString(container, {"name"});
  return std::any_of(inits->begin(), inits->end(),
                     [&](const boost::json::value& c) { return base::GetString(c, {"name"}) == name; });
}

int64_t OomScoreAdj(const boost::json::value& pod, const boost::json::value& container,
                    int64_t memory_capacity_bytes) {
  if (IsNodeCriticalPod(pod)) return kGuaranteedOomScoreAdj;
  switch (PodQosClass(pod)) {
    case QosClass::kGuaranteed:
      return kGuaranteedOomScoreAdj;
    case QosClass::kBestEffort:
      return kBestEffortOomScoreAdj;
    case QosClass::kBurstable:
      break;
  }
  if (memory_capacity_bytes <= 0) return kBestEffortOomScoreAdj - 1;
  auto score = [&](int64_t request) {
    return 1000 - static_cast<int64_t>(static_cast<__int128>(1000) * request / memory_capacity_bytes);
  };
  int64_t adj = score(MemoryRequestBytes(container));
  if (IsSidecarOf(pod, container)) {
    // A sidecar must not outlive the app containers it serves under memory pressure.
    std::optional<int64_t> min_request;
    if (const auto* containers = ContainerList(pod, "containers")) {
      for (const auto& c : *containers) {
        int64_t r = MemoryRequestBytes(c);
        if (!min_request || r < *min_request) min_request = r;
      }
    }
    if (min_request) adj = std::min(adj, score(*min_request));
  }
  if (adj < 1000 + kGuaranteedOomScoreAdj) return 1000 + kGuaranteedOomScoreAdj;
  if (adj == kBestEffortOomScoreAdj) return adj - 1;
  return adj;
}

LinuxResources ContainerLinuxResources(const boost::json::value& pod, const boost::json::value& container,
                                       int64_t memory_capacity_bytes) {
  LinuxResources r = CalculateLinuxResources(ContainerResource(container, "requests", "cpu"),
                                             ContainerResource(container, "limits", "cpu"),
                                             ContainerResource(container, "limits", "memory"));
  r.oom_score_adj = OomScoreAdj(pod, container, memory_capacity_bytes);
  return r;
}

ResourceMap PodRequests(const boost::json::value& pod, bool include_overhead) {
  return Aggregate(pod, "requests", include_overhead);
}

ResourceMap PodLimits(const boost::json::value& pod, bool include_overhead) {
  return Aggregate(pod, "limits", include_overhead);
}

LinuxResources PodLinuxResources(const boost::json::value& pod) {
  ResourceMap requests = PodRequests(pod, false);
  ResourceMap limits = PodLimits(pod, false);
  std::optional<api::Quantity> cpu_limit = AllLimit(pod, "cpu") ? Lookup(limits, "cpu") : std::nullopt;
  std::optional<api::Quantity> memory_limit =
      AllLimit(pod, "memory") ? Lookup(limits, "memory") : std::nullopt;
  return CalculateLinuxResources(Lookup(requests, "cpu"), cpu_limit, memory_limit);
}

std::optional<LinuxResources> PodOverheadLinuxResources(const boost::json::value& pod) {
  ResourceMap overhead = ResourceList(pod, {"spec", "overhead"});
  if (overhead.empty()) return std::nullopt;
  std::optional<api::Quantity> cpu = Lookup(overhead, "cpu");
  return CalculateLinuxResources(cpu, cpu, Lookup(overhead, "memory"));
}

}  // namespace skiff::agent::podspec
