// wrk_create_bench: ConfigMap create throughput and latency from an outside load tool (wrk, 64
// keep-alive HTTPS connections, bearer token, Lua `request` hook for unique names) beside
// apiserver_bench's own create client, each against a fresh `skiff server`, in one run. Prints the
// server's and each client's CPU per create, so that progress shows on a loaded machine too
// (compare CPU per create between runs there; compare rates only between quiet runs).
#include <cstdio>

#include "CLI/CLI.hpp"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "base/json.h"
#include "benches.h"
#include "cpu_budget.h"
#include "wrk_load.h"

namespace skiff::bench {
namespace {

constexpr double kGoalRate = 15000;
constexpr int64_t kGoalP99Us = 10'000;

struct Phase {
  int64_t created = 0;       // 2xx responses the client saw
  int64_t failed = 0;        // error statuses and socket errors
  int64_t stored = -1;       // ConfigMaps the namespace holds afterwards (-1 unknown)
  double seconds = 0;
  int64_t p50_us = 0;
  int64_t p99_us = 0;
  int64_t max_us = 0;
  CpuPerCreate cpu;
};

// ConfigMaps in `ns`, from one LIST with limit=1 (its remainingItemCount plus the item).
int64_t CountStored(const Endpoint& endpoint, const std::string& ns) {
  auto response = SendOnce(endpoint, "GET", absl::StrCat("/api/v1/namespaces/", ns, "/configmaps?limit=1"), "");
  if (!response.ok() || response->status != 200) return -1;
  auto items = CountItems(response->body);
  if (!items.ok()) return -1;
  return *items + FindIntField(response->body, "remainingItemCount").value_or(0);
}

absl::StatusOr<Phase> MeasureWrk(const TargetOptions& target_options, const WrkOptions& options) {
  auto target = BenchTarget::Open(target_options);
  if (!target.ok()) return target.status();
  const Endpoint& endpoint = (*target)->endpoint();
  if (absl::Status s = EnsureNamespace(endpoint, options.ns); !s.ok()) return s;
  double before = ReadProcCpuSeconds((*target)->pid()).value_or(-1);
  auto wrk = RunWrkCreates(endpoint, options);
  double after = ReadProcCpuSeconds((*target)->pid()).value_or(-1);
  if (!wrk.ok()) return wrk.status();
  const WrkSummary& s = wrk->summary;
  Phase phase;
  phase.failed = s.status_errors + s.socket_errors;
  phase.created = s.requests - s.status_errors;
  phase.seconds = s.duration_us / 1e6;
  phase.p50_us = s.p50_us;
  phase.p99_us = s.p99_us;
  phase.max_us = s.max_us;
  phase.stored = CountStored(endpoint, options.ns);
  phase.cpu.skiff_us = MicrosPerCreate(before >= 0 && after >= 0 ? after - before : -1, phase.created);
  phase.cpu.client_us = MicrosPerCreate(wrk->cpu_seconds, phase.created);
  return phase;
}

absl::StatusOr<Phase> MeasureBenchClient(const TargetOptions& target_options, const CreateOptions& options) {
  auto target = BenchTarget::Open(target_options);
  if (!target.ok()) return target.status();
  const Endpoint& endpoint = (*target)->endpoint();
  if (absl::Status s = EnsureNamespace(endpoint, options.ns); !s.ok()) return s;
  CpuSample before = SampleCpu((*target)->pid());
  auto result = RunCreates(endpoint, options);
  CpuSample after = SampleCpu((*target)->pid());
  if (!result.ok()) return result.status();
  LatencySummary latency = Summarize(result->latencies_ns);
  Phase phase;
  phase.created = result->created;
  phase.failed = result->failed;
  phase.seconds = result->seconds;
  phase.p50_us = latency.p50_ns / 1000;
  phase.p99_us = latency.p99_ns / 1000;
  phase.max_us = latency.max_ns / 1000;
  phase.stored = CountStored(endpoint, options.ns);
  double server = before.server_seconds >= 0 && after.server_seconds >= 0
                      ? after.server_seconds - before.server_seconds
                      : -1;
  phase.cpu.skiff_us = MicrosPerCreate(server, phase.created);
  phase.cpu.client_us = MicrosPerCreate(after.client_seconds - before.client_seconds, phase.created);
  return phase;
}

void AddPhase(Report& report, const std::string& who, const Phase& phase, int cpus) {
  double rate = phase.seconds > 0 ? phase.created / phase.seconds : 0;
  report.Add(who + " created", absl::StrFormat("%d in %.2f s (%d failed; %s stored afterwards)", phase.created,
                                               phase.seconds, phase.failed,
                                               phase.stored < 0 ? std::string("unknown")
                                                                : absl::StrCat(phase.stored)));
  report.Add(who + " throughput",
             absl::StrCat(FormatRate(rate), "  ", Verdict(rate >= kGoalRate, ">= 15,000/s")));
  report.Add(who + " latency p50 / p99 / max",
             absl::StrCat(FormatMs(phase.p50_us * 1000), " / ", FormatMs(phase.p99_us * 1000), " / ",
                          FormatMs(phase.max_us * 1000), "  ", Verdict(phase.p99_us <= kGoalP99Us, "p99 <= 10 ms")));
  report.Add(who + " cpu per create", FormatCosts(phase.cpu));
  report.Add(who + " ceiling", FormatCeiling(CeilingRate(cpus, phase.cpu), kGoalRate));
}

int Run(const TargetOptions& target, const WrkOptions& wrk, const CreateOptions& create) {
  MachineInfo machine = ReadMachineInfo();
  auto by_wrk = MeasureWrk(target, wrk);
  if (!by_wrk.ok()) {
    std::fprintf(stderr, "wrk_create_bench (wrk): %s\n", by_wrk.status().ToString().c_str());
    return 1;
  }
  auto by_bench = MeasureBenchClient(target, create);
  if (!by_bench.ok()) {
    std::fprintf(stderr, "wrk_create_bench (bench client): %s\n", by_bench.status().ToString().c_str());
    return 1;
  }
  MachineInfo after = ReadMachineInfo();
  Report report("skiff wrk create bench: ConfigMap creates from wrk and from apiserver_bench's client");
  report.AddMachine(machine);
  report.Section("conditions");
  report.Add("server", absl::StrCat(target.skiff_binary, " server --disable-agent, fresh data dir per phase, SQLite"));
  report.Add("operation", absl::StrCat("POST /api/v1/namespaces/", create.ns, "/configmaps (JSON), cluster-admin token"));
  report.Add("object", absl::StrCat("ConfigMap with a ", create.object_bytes, "-byte data value, unique names"));
  report.Add("wrk", absl::StrCat(wrk.connections, " keep-alive HTTPS connections, ", wrk.threads,
                                 " threads, Lua request hook, ", wrk.seconds, " s (no server certificate check)"));
  report.Add("bench client", absl::StrCat(create.connections, " keep-alive HTTPS connections, ", create.threads,
                                          " io threads, closed loop, ", create.seconds, " s"));
  report.Add("load average after", after.load_average);
  report.Section("results");
  AddPhase(report, "wrk", *by_wrk, machine.cpus);
  AddPhase(report, "bench", *by_bench, machine.cpus);
  report.Print(stdout);
  return 0;
}

}  // namespace
}  // namespace skiff::bench

int main(int argc, char** argv) {
  CLI::App app{"wrk_create_bench: ConfigMap creates from wrk beside apiserver_bench's create client"};
  skiff::bench::TargetOptions target;
  skiff::bench::WrkOptions wrk;
  skiff::bench::CreateOptions create;
  app.add_option("--skiff", target.skiff_binary, "skiff binary to start")->capture_default_str();
  app.add_option("--wrk", wrk.wrk_binary, "wrk binary")->capture_default_str();
  app.add_option("--connections", wrk.connections, "keep-alive connections of each client")->capture_default_str();
  app.add_option("--wrk-threads", wrk.threads, "wrk threads")->capture_default_str();
  app.add_option("--seconds", wrk.seconds, "length of each phase")->capture_default_str();
  app.add_option("--object-bytes", wrk.object_bytes, "bytes of data per ConfigMap")->capture_default_str();
  app.add_flag("--keep", target.keep_files, "keep the temporary data dirs and server logs");
  CLI11_PARSE(app, argc, argv);
  create.connections = wrk.connections;
  create.seconds = wrk.seconds;
  create.object_bytes = wrk.object_bytes;
  wrk.ns = create.ns;
  wrk.name_prefix = absl::StrCat("wrk-", skiff::bench::RunId());
  return skiff::bench::Run(target, wrk, create);
}
