#include "scheduler_inprocess.h"

#include <chrono>
#include <cstdio>
#include <deque>
#include <memory>
#include <unordered_map>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "base/json.h"
#include "bench_util.h"
#include "scheduler/algorithm.h"
#include "scheduler/cache.h"

namespace skiff::bench {
namespace {

using SteadyClock = std::chrono::steady_clock;

int64_t NsSince(SteadyClock::time_point from) {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(SteadyClock::now() - from).count();
}

client::Object NodeObject(int i, int zones) {
  std::string name = absl::StrCat("sim-", i);
  auto parsed = base::ParseJson(
      absl::StrCat(R"({"apiVersion":"v1","kind":"Node","metadata":{"name":")", name,
                   R"(","labels":{"kubernetes.io/hostname":")", name, R"(","kubernetes.io/os":"linux",)",
                   R"("topology.kubernetes.io/zone":"zone-)", i % zones,
                   R"("}},"spec":{},"status":{"allocatable":{"cpu":"4","memory":"16Gi","pods":"110"}}})"));
  return std::make_shared<const boost::json::value>(std::move(*parsed));
}

// The same pod text as the API benchmark's, with uid and (once bound) nodeName.
client::Object PodObject(const InProcessOptions& options, int64_t index, int64_t group_size,
                         const std::string& node) {
  std::string group = absl::StrCat("g", index / group_size);
  std::string extra;
  if (options.variant == "anti-affinity") {
    extra = absl::StrCat(
        R"(,"affinity":{"podAntiAffinity":{"requiredDuringSchedulingIgnoredDuringExecution":[{"labelSelector":)",
        R"({"matchLabels":{"group":")", group, R"("}},"topologyKey":"kubernetes.io/hostname"}]}})");
  } else if (options.variant == "spread") {
    extra = R"(,"topologySpreadConstraints":[{"maxSkew":1,"topologyKey":"topology.kubernetes.io/zone",)"
            R"("whenUnsatisfiable":"DoNotSchedule","labelSelector":{"matchLabels":{"app":"sched-bench"}}}])";
  }
  if (!node.empty()) extra += absl::StrCat(R"(,"nodeName":")", node, "\"");
  auto parsed = base::ParseJson(absl::StrCat(
      R"({"apiVersion":"v1","kind":"Pod","metadata":{"name":"p-)", index,
      R"(","namespace":"bench","uid":"u-)", index, R"(","labels":{"app":"sched-bench","group":")", group,
      R"("}},"spec":{"schedulerName":"default-scheduler","containers":[{"name":"c",)",
      R"("image":"registry.k8s.io/pause:3.9","resources":{"requests":{"cpu":"10m","memory":"16Mi"}}}])",
      extra, "}}"));
  return std::make_shared<const boost::json::value>(std::move(*parsed));
}

}  // namespace

int RunInProcess(const InProcessOptions& options) {
  if (options.variant != "plain" && options.variant != "anti-affinity" && options.variant != "spread") {
    std::fprintf(stderr, "in-process: --variant must be plain, anti-affinity or spread\n");
    return 1;
  }
  MachineInfo machine = ReadMachineInfo();
  const int64_t group_size = options.group_size > 0 ? options.group_size : options.nodes;
  scheduler::SchedulerCache cache;
  cache.SetNamespace("bench", boost::json::value());
  for (int i = 0; i < options.nodes; ++i) cache.AddOrUpdateNode(NodeObject(i, options.zones));
  scheduler::Snapshot snapshot;
  scheduler::Algorithm algorithm(scheduler::AlgorithmOptions{0, options.parallelism});

  std::vector<client::Object> pending;  // created up front: the informer's objects
  pending.reserve(options.pods);
  for (int64_t i = 0; i < options.pods; ++i) pending.push_back(PodObject(options, i, group_size, ""));

  std::vector<int64_t> cycle_ns;
  cycle_ns.reserve(options.pods);
  std::vector<std::string> node_of(options.pods);
  std::deque<int64_t> unconfirmed;
  int64_t unschedulable = 0, parse_ns = 0, confirm_ns = 0;
  auto confirm = [&](int64_t index) {
    auto start = SteadyClock::now();
    cache.AddOrUpdatePod(scheduler::MakePodInfo(PodObject(options, index, group_size, node_of[index])));
    confirm_ns += NsSince(start);
  };
  auto begin = SteadyClock::now();
  for (int64_t i = 0; i < options.pods; ++i) {
    auto start = SteadyClock::now();
    scheduler::PodInfoPtr info = scheduler::MakePodInfo(pending[i]);
    parse_ns += NsSince(start);
    auto cycle_start = SteadyClock::now();
    cache.UpdateSnapshot(&snapshot);
    scheduler::ScheduleResult result = algorithm.Schedule(*info, snapshot);
    if (result.node.empty()) {
      unschedulable++;
      cycle_ns.push_back(NsSince(cycle_start));
      continue;
    }
    auto assumed = std::make_shared<scheduler::PodInfo>(*info);
    assumed->node_name = result.node;
    (void)cache.AssumePod(assumed);
    cycle_ns.push_back(NsSince(cycle_start));
    node_of[i] = result.node;
    unconfirmed.push_back(i);
    if (static_cast<int>(unconfirmed.size()) > options.confirm_lag) {
      confirm(unconfirmed.front());
      unconfirmed.pop_front();
    }
  }
  double seconds = NsSince(begin) / 1e9;
  while (!unconfirmed.empty()) {
    confirm(unconfirmed.front());
    unconfirmed.pop_front();
  }

  int64_t violations = 0;
  std::unordered_map<std::string, int64_t> per_group_node, per_zone;
  for (int64_t i = 0; i < options.pods; ++i) {
    if (node_of[i].empty()) continue;
    if (++per_group_node[absl::StrCat(i / group_size, "/", node_of[i])] > 1) violations++;
    per_zone[base::GetString(*snapshot.nodes[snapshot.index.at(node_of[i])]->node(),
                             {"metadata", "labels", "topology.kubernetes.io/zone"})]++;
  }
  int64_t zone_min = options.pods, zone_max = 0;
  for (const auto& [zone, count] : per_zone) {
    zone_min = std::min(zone_min, count);
    zone_max = std::max(zone_max, count);
  }
  LatencySummary cycle = Summarize(cycle_ns);
  double rate = seconds > 0 ? static_cast<double>(options.pods) / seconds : 0;

  Report report(absl::StrCat("skiff scheduler bench: in-process scheduling (", options.variant, ")"));
  report.AddMachine(machine);
  report.Section("conditions");
  report.Add("cluster",
             absl::StrFormat("%d nodes in a SchedulerCache (cpu 4, memory 16Gi, pods 110; %d zones); "
                             "no API server, no storage",
                             options.nodes, options.zones));
  report.Add("pods", absl::StrFormat("%d, requests cpu 10m memory 16Mi, the same spec as `throughput`",
                                     options.pods));
  report.Add("cycle", absl::StrFormat("MakePodInfo, UpdateSnapshot, Schedule (filter %d threads, adaptive "
                                      "sampling, score), AssumePod; informer confirmation %d pods later",
                                      options.parallelism, options.confirm_lag));
  report.Section("results");
  report.Add("throughput", absl::StrCat(FormatRate(rate), " (", absl::StrFormat("%.3f s", seconds), ")"));
  report.Add("cycle latency",
             absl::StrCat("p50 ", FormatMs(cycle.p50_ns), ", p99 ", FormatMs(cycle.p99_ns), ", mean ",
                          FormatMs(cycle.mean_ns), ", max ", FormatMs(cycle.max_ns)));
  report.Add("pod parse", FormatMs(options.pods > 0 ? parse_ns / options.pods : 0) + " per pod");
  report.Add("confirmation",
             FormatMs(options.pods > 0 ? confirm_ns / options.pods : 0) + " per pod (parse + cache)");
  report.Add("unschedulable", absl::StrCat(unschedulable));
  if (options.variant == "anti-affinity") {
    report.Add("anti-affinity check",
               absl::StrFormat("%d pods share a node with their group (must be 0)", violations));
  }
  if (options.variant == "spread") {
    report.Add("zone spread", absl::StrFormat("%d..%d pods per zone", zone_min, zone_max));
  }
  report.Print(stdout);
  return unschedulable == 0 ? 0 : 1;
}

}  // namespace skiff::bench
