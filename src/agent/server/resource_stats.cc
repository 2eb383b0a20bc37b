#include "agent/server/resource_stats.h"

#include <unistd.h>

#include <thread>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_split.h"
#include "base/clock.h"
#include "base/file.h"
#include "base/json.h"
#include "boost/json/value.hpp"
#include "http/errors.h"

namespace skiff::agent::server {

namespace json = boost::json;

namespace {

const std::string& Label(const cri::v1::ContainerAttributes& a, const std::string& key) {
  static const std::string kEmpty;
  auto it = a.labels().find(key);
  return it == a.labels().end() ? kEmpty : it->second;
}

}  // namespace

uint64_t NanoCoresBetween(uint64_t previous_ns, uint64_t current_ns, absl::Duration elapsed) {
  if (current_ns < previous_ns || elapsed <= absl::ZeroDuration()) return 0;
  double ns = absl::ToDoubleNanoseconds(elapsed);
  return static_cast<uint64_t>(static_cast<double>(current_ns - previous_ns) * 1e9 / ns);
}

absl::StatusOr<uint64_t> ParseProcStatBusyNanos(const std::string& proc_stat, long clock_ticks_per_second) {
  for (absl::string_view line : absl::StrSplit(proc_stat, '\n')) {
    if (!absl::StartsWith(line, "cpu ")) continue;
    std::vector<absl::string_view> f = absl::StrSplit(line, ' ', absl::SkipEmpty());
    uint64_t busy = 0;
    // user nice system idle iowait irq softirq steal (guest time is already inside user/nice).
    for (size_t i = 1; i < f.size() && i <= 8; ++i) {
      if (i == 4 || i == 5) continue;
      uint64_t v = 0;
      if (!absl::SimpleAtoi(f[i], &v)) return absl::InvalidArgumentError("malformed /proc/stat cpu line");
      busy += v;
    }
    if (clock_ticks_per_second <= 0) clock_ticks_per_second = 100;
    return busy * (1000000000ULL / static_cast<uint64_t>(clock_ticks_per_second));
  }
  return absl::InvalidArgumentError("/proc/stat has no cpu line");
}

absl::StatusOr<uint64_t> ParseMeminfoWorkingSet(const std::string& meminfo) {
  uint64_t total = 0, available = 0;
  bool have_total = false, have_available = false;
  for (absl::string_view line : absl::StrSplit(meminfo, '\n')) {
    std::vector<absl::string_view> f = absl::StrSplit(line, ' ', absl::SkipEmpty());
    if (f.size() < 2) continue;
    uint64_t kb = 0;
    if (!absl::SimpleAtoi(f[1], &kb)) continue;
    if (f[0] == "MemTotal:") total = kb * 1024, have_total = true;
    if (f[0] == "MemAvailable:") available = kb * 1024, have_available = true;
  }
  if (!have_total || !have_available)
    return absl::InvalidArgumentError("/proc/meminfo lacks MemTotal/MemAvailable");
  return total > available ? total - available : 0;
}

ResourceStats::ResourceStats(cri::Runtime* runtime, std::string proc_dir, absl::Duration min_interval,
                             absl::Duration first_window)
    : runtime_(runtime),
      proc_dir_(std::move(proc_dir)),
      min_interval_(min_interval),
      first_window_(first_window) {}

absl::StatusOr<ResourceStats::Sample> ResourceStats::Take() {
  Sample s;
  cri::v1::ListContainersRequest list;
  list.mutable_filter()->mutable_state()->set_state(cri::v1::CONTAINER_RUNNING);
  auto running = runtime_->ListContainers(list, absl::Seconds(10));
  if (!running.ok()) return running.status();
  auto stats = runtime_->ListContainerStats(cri::v1::ListContainerStatsRequest(), absl::Seconds(10));
  if (!stats.ok()) return stats.status();
  s.at = absl::Now();
  std::map<std::string, bool> is_running;
  for (const auto& c : running->containers()) is_running[c.id()] = true;
  for (const auto& st : stats->stats()) {
    const auto& a = st.attributes();
    if (!is_running.contains(a.id())) continue;
    ContainerSample c;
    c.pod = Label(a, "io.kubernetes.pod.name");
    c.ns = Label(a, "io.kubernetes.pod.namespace");
    c.uid = Label(a, "io.kubernetes.pod.uid");
    c.name = Label(a, "io.kubernetes.container.name");
    if (c.name.empty()) c.name = a.metadata().name();
    if (c.pod.empty()) continue;  // not a pod container
    c.cpu_ns = st.cpu().usage_core_nano_seconds().value();
    c.working_set = st.memory().working_set_bytes().value();
    s.containers[a.id()] = std::move(c);
  }
  auto cpu = ParseProcStatBusyNanos(base::ReadFile(proc_dir_ + "/stat").value_or(""), sysconf(_SC_CLK_TCK));
  if (cpu.ok()) s.node_cpu_ns = *cpu;
  auto mem = ParseMeminfoWorkingSet(base::ReadFile(proc_dir_ + "/meminfo").value_or(""));
  if (mem.ok()) s.node_memory = *mem;
  return s;
}

absl::StatusOr<std::string> ResourceStats::Summary() {
  std::lock_guard<std::mutex> lock(mu_);
  if (!cached_.empty() && absl::Now() - cached_at_ < min_interval_) return cached_;
  // A rate over a longer window would lag behind the load (the HPA and `kubectl top` read it).
  if (previous_.at == absl::InfinitePast() || absl::Now() - previous_.at > kMaxWindow) {
    auto first = Take();
    if (!first.ok()) return first.status();
    previous_ = std::move(*first);
    std::this_thread::sleep_for(absl::ToChronoNanoseconds(first_window_));
  }
  auto current = Take();
  if (!current.ok()) return current.status();
  absl::Duration elapsed = current->at - previous_.at;
  std::string time = base::FormatRfc3339(current->at);

  std::map<std::string, json::object> pods;  // by uid
  for (const auto& [id, c] : current->containers) {
    auto prev = previous_.containers.find(id);
    uint64_t nanocores =
        prev == previous_.containers.end() ? 0 : NanoCoresBetween(prev->second.cpu_ns, c.cpu_ns, elapsed);
    json::object& pod = pods[c.uid];
    if (pod.empty()) {
      pod["podRef"] = json::object{{"name", c.pod}, {"namespace", c.ns}, {"uid", c.uid}};
      pod["containers"] = json::array();
    }
    pod["containers"].as_array().push_back(json::object{
        {"name", c.name},
        {"cpu",
         json::object{{"time", time}, {"usageNanoCores", nanocores}, {"usageCoreNanoSeconds", c.cpu_ns}}},
        {"memory", json::object{{"time", time}, {"workingSetBytes", c.working_set}}}});
  }
  json::array pod_list;
  for (auto& [uid, pod] : pods) pod_list.push_back(std::move(pod));
  json::object node{{"cpu", json::object{{"time", time},
                                         {"usageNanoCores", NanoCoresBetween(previous_.node_cpu_ns,
                                                                             current->node_cpu_ns, elapsed)},
                                         {"usageCoreNanoSeconds", current->node_cpu_ns}}},
                    {"memory", json::object{{"time", time}, {"workingSetBytes", current->node_memory}}}};
  json::object summary{{"node", std::move(node)},
                       {"pods", std::move(pod_list)},
                       {"windowSeconds", absl::ToDoubleSeconds(elapsed)}};
  cached_ = base::ToJson(summary);
  cached_at_ = current->at;
  previous_ = std::move(*current);
  return cached_;
}

http::HttpResponse ServeStatsSummary(ResourceStats* stats, const http::HttpRequest& request) {
  if (request.method != "GET") {
    return http::ErrorResponse(api::MethodNotAllowedError("/stats/summary is read with GET"));
  }
  absl::StatusOr<std::string> summary = stats->Summary();
  if (!summary.ok()) {
    return http::ErrorResponse(
        api::ToStatus({503, "ServiceUnavailable", std::string(summary.status().message())}));
  }
  return http::HttpResponse{.status = 200, .content_type = "application/json", .body = std::move(*summary)};
}

}  // namespace skiff::agent::server
