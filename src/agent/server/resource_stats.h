// ResourceStats: the agent's resource-usage summary for the API server's metrics.k8s.io
// (`kubectl top`), served at GET /stats/summary as a subset of the kubelet's Summary API:
//   {"node":{"cpu":{"time","usageNanoCores"},"memory":{"time","workingSetBytes"}},
//    "pods":[{"podRef":{"name","namespace","uid"},"containers":[{"name","cpu":{...},"memory":{...}}]}],
//    "windowSeconds":N}
// CPU is a rate: the difference of two cumulative samples (CRI usage_core_nano_seconds per
// running container, /proc/stat busy time for the node) over the time between them. Samples are
// taken on demand and reused for `min_interval` (5 s: fresh enough for the HPA to react within
// about 20 s of a load change). The first request, and one whose previous sample is older than
// kMaxWindow, takes two samples `first_window` apart, so a rate never covers more than kMaxWindow
// (the HPA's metric window: at most 15 s). Memory is the CRI working set per container and
// MemTotal - MemAvailable from /proc/meminfo for the node.
// Thread-safety: Summary may be called concurrently (serialized inside). Ownership: borrows the
// runtime. Failure: Summary returns the runtime's error when CRI cannot list stats.
#ifndef SKIFF_AGENT_SERVER_RESOURCE_STATS_H_
#define SKIFF_AGENT_SERVER_RESOURCE_STATS_H_

#include <cstdint>
#include <map>
#include <mutex>
#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "agent/cri/runtime.h"
#include "http/http_types.h"

namespace skiff::agent::server {

// CPU usage rate in nanocores between two cumulative readings (ns of CPU time) taken `elapsed`
// apart; 0 when the counter went backwards (a restarted container) or no time passed.
uint64_t NanoCoresBetween(uint64_t previous_ns, uint64_t current_ns, absl::Duration elapsed);

// Busy CPU time of the machine in ns from the "cpu " line of /proc/stat (all but idle and iowait).
absl::StatusOr<uint64_t> ParseProcStatBusyNanos(const std::string& proc_stat, long clock_ticks_per_second);
// MemTotal - MemAvailable in bytes from /proc/meminfo.
absl::StatusOr<uint64_t> ParseMeminfoWorkingSet(const std::string& meminfo);

// The longest time a CPU rate is computed over.
inline constexpr absl::Duration kMaxWindow = absl::Seconds(15);

class ResourceStats {
 public:
  explicit ResourceStats(cri::Runtime* runtime, std::string proc_dir = "/proc",
                         absl::Duration min_interval = absl::Seconds(5),
                         absl::Duration first_window = absl::Seconds(1));

  // The summary JSON (see above).
  absl::StatusOr<std::string> Summary();

 private:
  struct ContainerSample {
    std::string pod, ns, uid, name;
    uint64_t cpu_ns = 0;
    uint64_t working_set = 0;
  };
  struct Sample {
    absl::Time at = absl::InfinitePast();
    uint64_t node_cpu_ns = 0;
    uint64_t node_memory = 0;
    std::map<std::string, ContainerSample> containers;  // by container id
  };
  absl::StatusOr<Sample> Take();

  cri::Runtime* runtime_;
  std::string proc_dir_;
  absl::Duration min_interval_;
  absl::Duration first_window_;
  std::mutex mu_;
  Sample previous_;
  std::string cached_;
  absl::Time cached_at_ = absl::InfinitePast();
};

// GET /stats/summary: 200 with the summary JSON, 405 for other methods, 503 when CRI fails.
http::HttpResponse ServeStatsSummary(ResourceStats* stats, const http::HttpRequest& request);

}  // namespace skiff::agent::server

#endif  // SKIFF_AGENT_SERVER_RESOURCE_STATS_H_
