// scheduler_bench: the scheduling figures, measured against a `skiff server --disable-agent`
// that the benchmark starts, with a `skiff sim` child playing the nodes. Subcommands:
//   throughput  M pods created over many connections onto N sim nodes; creation -> bound (spec.nodeName
//               seen on a pod watch) throughput and per-pod latency. --variant plain | anti-affinity |
//               spread (required hostname anti-affinity / zone topology spread, DoNotSchedule maxSkew 1).
//   rollout     a Deployment of R replicas on N sim nodes; apply -> status.availableReplicas == R.
//   in-process  the scheduling cycle alone (no server): see scheduler_inprocess.h.
// Both stop only the two processes they started (by pid) and remove their temp dir unless --keep.
#include <sys/resource.h>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <memory>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include "CLI/CLI.hpp"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "base/json.h"
#include "bench_target.h"
#include "bench_util.h"
#include "benches.h"
#include "cpu_budget.h"
#include "boost/asio/ssl/context.hpp"
#include "io_pool.h"
#include "scheduler_inprocess.h"
#include "sim_process.h"

namespace skiff::bench {
namespace {
namespace asio = boost::asio;

constexpr auto kRequestTimeout = std::chrono::seconds(30);
constexpr int kMaxConsecutiveFailures = 5;

int64_t NowNs() { return std::chrono::nanoseconds(Clock::now().time_since_epoch()).count(); }
double SecondsBetween(int64_t from_ns, int64_t to_ns) { return (to_ns - from_ns) / 1e9; }

void RaiseFileLimit() {
  rlimit limit{};
  if (getrlimit(RLIMIT_NOFILE, &limit) == 0 && limit.rlim_cur < limit.rlim_max) {
    limit.rlim_cur = limit.rlim_max;
    setrlimit(RLIMIT_NOFILE, &limit);
  }
}

struct ClusterOptions {
  std::string skiff_binary = "build/skiff";
  bool keep_files = false;
  int nodes = 5000;
  int zones = 3;
  std::string ready_delay = "1s";
  int sim_workers = 16;
  double node_timeout_seconds = 600;
};

// A started server plus a sim with all its nodes Ready.
struct Cluster {
  std::unique_ptr<BenchTarget> target;
  std::unique_ptr<SimProcess> sim;
  double nodes_ready_seconds = 0;  // sim spawn -> all nodes Ready
  int64_t nodes_ready = 0;

  ~Cluster() {
    if (sim) (void)sim->Stop();  // before the server, so the sim does not retry against a dead one
  }
};

// Counts nodes whose Ready condition is True.
absl::StatusOr<int64_t> CountReadyNodes(const Endpoint& endpoint) {
  auto response = SendOnce(endpoint, "GET", "/api/v1/nodes", "");
  if (!response.ok()) return response.status();
  if (response->status != 200)
    return absl::UnavailableError(absl::StrCat("GET nodes: HTTP ", response->status));
  auto parsed = base::ParseJson(response->body);
  if (!parsed.ok()) return parsed.status();
  const boost::json::value* items = base::Find(*parsed, "items");
  if (items == nullptr || !items->is_array()) return absl::InternalError("node list without items");
  int64_t ready = 0;
  for (const boost::json::value& node : items->as_array()) {
    const boost::json::value* conditions = base::FindPath(node, {"status", "conditions"});
    if (conditions == nullptr || !conditions->is_array()) continue;
    for (const boost::json::value& c : conditions->as_array()) {
      if (base::GetString(c, {"type"}) == "Ready" && base::GetString(c, {"status"}) == "True") ready++;
    }
  }
  return ready;
}

absl::StatusOr<std::unique_ptr<Cluster>> StartCluster(const ClusterOptions& options) {
  auto cluster = std::make_unique<Cluster>();
  TargetOptions target_options;
  target_options.skiff_binary = options.skiff_binary;
  target_options.keep_files = options.keep_files;
  auto target = BenchTarget::Open(target_options);
  if (!target.ok()) return target.status();
  cluster->target = std::move(*target);
  SkiffProcess* server = cluster->target->process();
  std::string root = server->data_dir().substr(0, server->data_dir().rfind('/'));
  cluster->sim = std::make_unique<SimProcess>(
      options.skiff_binary,
      std::vector<std::string>{"--kubeconfig", server->data_dir() + "/admin.kubeconfig", "--nodes",
                               absl::StrCat(options.nodes), "--zones", absl::StrCat(options.zones),
                               "--ready-delay", options.ready_delay, "--workers",
                               absl::StrCat(options.sim_workers)},
      root + "/sim.log");
  Clock::time_point start = Clock::now();
  if (absl::Status started = cluster->sim->Start(); !started.ok()) return started;
  Clock::time_point deadline = start + std::chrono::duration_cast<Clock::duration>(
                                           std::chrono::duration<double>(options.node_timeout_seconds));
  int64_t ready = 0;
  while (Clock::now() < deadline) {
    if (absl::Status running = cluster->sim->CheckRunning(); !running.ok()) return running;
    auto counted = CountReadyNodes(cluster->target->endpoint());
    if (counted.ok()) ready = *counted;
    if (ready >= options.nodes) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(ready * 2 >= options.nodes ? 250 : 1000));
  }
  cluster->nodes_ready = ready;
  cluster->nodes_ready_seconds = std::chrono::duration<double>(Clock::now() - start).count();
  if (ready < options.nodes) {
    return absl::DeadlineExceededError(absl::StrFormat("only %d of %d nodes Ready after %.0f s", ready,
                                                       options.nodes, options.node_timeout_seconds));
  }
  return cluster;
}

void DescribeCluster(const Cluster& cluster, const ClusterOptions& options, Report& report) {
  cluster.target->Describe(report);
  report.Section("simulated nodes");
  report.Add("command", cluster.sim->CommandLine());
  report.Add("sim pid", absl::StrCat(cluster.sim->pid(), " (started by the benchmark)"));
  report.Add("nodes", absl::StrFormat("%d Ready after %.1f s (cpu 4, memory 16Gi, pods 110 each; %d zones)",
                                      cluster.nodes_ready, cluster.nodes_ready_seconds, options.zones));
}

// One pod event from the watch, reduced to what the figures need.
struct PodEvent {
  std::string_view type;
  std::string_view name;
  std::string_view node;  // spec.nodeName, empty until bound
  bool bound = false;     // spec.nodeName set
  bool running = false;   // status.phase Running
  int64_t arrival_ns = 0;
};

// A watch on one namespace's pods on its own io thread; the handler runs on that thread.
class PodWatch {
 public:
  using Handler = std::function<void(const PodEvent&)>;
  PodWatch(const Endpoint& endpoint, std::shared_ptr<asio::ssl::context> tls, std::string ns, Handler handler)
      : pool_(1),
        client_(pool_.Next(), std::move(tls), endpoint),
        ns_(std::move(ns)),
        handler_(std::move(handler)) {}
  ~PodWatch() { Stop(); }

  // Opens the stream; returns once the server answered 200 (or failed).
  absl::Status Open() {
    opened_.Add(1);
    std::string target = absl::StrCat("/api/v1/namespaces/", ns_, "/pods?watch=true&timeoutSeconds=3600");
    Spawn(client_.context(), Run(std::move(target)), &ended_);
    if (!opened_.WaitUntil(Clock::now() + std::chrono::seconds(30)))
      return absl::DeadlineExceededError("watch open");
    if (!is_open_) return absl::UnavailableError(absl::StrCat("watch did not open: ", end_.ToString()));
    return absl::OkStatus();
  }
  void Stop() {
    if (stopped_) return;
    stopped_ = true;
    client_.Cancel();
    ended_.WaitUntil(Clock::now() + std::chrono::seconds(10));
    pool_.Stop();
  }
  int64_t events() const { return events_.load(); }
  int64_t parse_errors() const { return parse_errors_.load(); }

 private:
  asio::awaitable<void> Run(std::string target) {
    auto on_open = [this] {
      is_open_ = true;
      opened_.Done();
    };
    auto on_line = [this](std::string_view line, Clock::time_point arrival) {
      auto parsed = base::ParseJson(line);
      if (!parsed.ok() || !parsed->is_object()) {
        parse_errors_++;
        return;
      }
      const boost::json::value* object = base::Find(*parsed, "object");
      const boost::json::value* type = base::Find(*parsed, "type");
      if (object == nullptr || type == nullptr || !type->is_string()) return;
      const boost::json::value* name = base::FindPath(*object, {"metadata", "name"});
      if (name == nullptr || !name->is_string()) return;
      PodEvent event;
      event.type = std::string_view(type->as_string().data(), type->as_string().size());
      event.name = std::string_view(name->as_string().data(), name->as_string().size());
      const boost::json::value* node = base::FindPath(*object, {"spec", "nodeName"});
      if (node != nullptr && node->is_string() && !node->as_string().empty()) {
        event.node = std::string_view(node->as_string().data(), node->as_string().size());
        event.bound = true;
      }
      event.running = base::GetString(*object, {"status", "phase"}) == "Running";
      event.arrival_ns = std::chrono::nanoseconds(arrival.time_since_epoch()).count();
      events_++;
      handler_(event);
    };
    end_ = co_await client_.Stream(std::move(target), Clock::now() + std::chrono::hours(1), on_open, on_line);
    if (!is_open_) opened_.Done();
  }

  IoPool pool_;
  HttpsClient client_;
  std::string ns_;
  Handler handler_;
  WaitGroup opened_;
  WaitGroup ended_;
  std::atomic<bool> is_open_{false};
  bool stopped_ = false;
  absl::Status end_;
  std::atomic<int64_t> events_{0};
  std::atomic<int64_t> parse_errors_{0};
};

// ---------------------------------------------------------------------------------------------
// throughput

struct ThroughputOptions {
  ClusterOptions cluster;
  int64_t pods = 10000;
  std::string variant = "plain";  // plain | anti-affinity | spread
  int connections = 64;
  int threads = 2;
  int64_t group_size = 0;  // anti-affinity: pods per label group (0: the node count)
  std::string cpu_request = "10m";
  std::string memory_request = "16Mi";
  double bind_timeout_seconds = 300;
};

std::string PodJson(const ThroughputOptions& options, int64_t index, int64_t group_size) {
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
  return absl::StrCat(R"({"apiVersion":"v1","kind":"Pod","metadata":{"name":"p-)", index,
                      R"(","labels":{"app":"sched-bench","group":")", group,
                      R"("}},"spec":{"containers":[{"name":"c","image":"registry.k8s.io/pause:3.9",)",
                      R"("resources":{"requests":{"cpu":")", options.cpu_request, R"(","memory":")",
                      options.memory_request, R"("}}}])", extra, "}}");
}

struct PodCreatePlan {
  const ThroughputOptions* options = nullptr;
  std::string path;
  int64_t group_size = 1;
  std::atomic<int64_t> next{0};
  std::vector<int64_t>* sent_ns = nullptr;     // per pod, written by the creating worker
  std::vector<int64_t>* created_ns = nullptr;  // per pod: 201 received
};

struct CreateStats {
  int64_t created = 0;
  int64_t failed = 0;
  std::string first_error;
};

asio::awaitable<void> ConnectOnly(HttpsClient* client, CreateStats* stats) {
  absl::Status status = co_await client->Connect(kRequestTimeout);
  if (!status.ok()) stats->first_error = status.ToString();
}

asio::awaitable<void> PodCreateWorker(HttpsClient* client, PodCreatePlan* plan, CreateStats* stats) {
  int consecutive_failures = 0;
  for (;;) {
    int64_t index = plan->next.fetch_add(1);
    if (index >= plan->options->pods) break;
    std::string body = PodJson(*plan->options, index, plan->group_size);
    (*plan->sent_ns)[index] = NowNs();
    auto response = co_await client->Send("POST", plan->path, std::move(body), kRequestTimeout);
    if (response.ok() && response->status == 201) {
      (*plan->created_ns)[index] = NowNs();
      stats->created++;
      consecutive_failures = 0;
      continue;
    }
    (*plan->sent_ns)[index] = 0;
    stats->failed++;
    if (stats->first_error.empty()) {
      stats->first_error = response.ok()
                               ? absl::StrCat("HTTP ", response->status, ": ", response->body.substr(0, 300))
                               : response.status().ToString();
    }
    if (++consecutive_failures >= kMaxConsecutiveFailures) break;
  }
}

int64_t PodIndex(std::string_view name) {
  if (name.size() < 3 || name.substr(0, 2) != "p-") return -1;
  int64_t index = 0;
  if (!absl::SimpleAtoi(Av(name.substr(2)), &index)) return -1;
  return index;
}

// "skiff 990 + client 96 = 1086 us, sim 77 us -> ceiling 1725/s (goal 5000/s: out of reach)": the CPU
// each process spent per bound pod over the run (creates, bindings, the status writes that fell in
// it) and the pod rate the machine's cores allow at those costs (cpu_budget.h).
std::string DescribeCpuPerPod(const CpuSample& from, const CpuSample& to, double sim_seconds, int64_t pods,
                              int cpus, double goal) {
  CpuPerCreate costs;
  costs.skiff_us = MicrosPerCreate(
      from.server_seconds < 0 || to.server_seconds < 0 ? -1 : to.server_seconds - from.server_seconds, pods);
  costs.client_us = MicrosPerCreate(to.client_seconds - from.client_seconds, pods);
  double sim_us = MicrosPerCreate(sim_seconds, pods);
  CpuPerCreate with_sim = costs;
  with_sim.client_us = costs.known() && sim_us >= 0 ? costs.client_us + sim_us : -1;
  std::string sim = sim_us < 0 ? std::string("unknown") : absl::StrFormat("%.0f", sim_us);
  return absl::StrCat(FormatCosts(costs), ", sim ", sim, " us -> ceiling ",
                      FormatCeiling(CeilingRate(cpus, with_sim), goal));
}

int RunThroughput(const ThroughputOptions& options) {
  if (options.variant != "plain" && options.variant != "anti-affinity" && options.variant != "spread") {
    std::fprintf(stderr, "throughput: --variant must be plain, anti-affinity or spread\n");
    return 1;
  }
  MachineInfo machine = ReadMachineInfo();
  auto cluster = StartCluster(options.cluster);
  if (!cluster.ok()) {
    std::fprintf(stderr, "throughput: %s\n", cluster.status().ToString().c_str());
    return 1;
  }
  const Endpoint& endpoint = (*cluster)->target->endpoint();
  std::string ns = absl::StrCat("sched-", RunId());
  if (absl::Status created = EnsureNamespace(endpoint, ns); !created.ok()) {
    std::fprintf(stderr, "throughput: %s\n", created.ToString().c_str());
    return 1;
  }
  auto tls = MakeTlsContext(endpoint.ca_file);
  if (!tls.ok()) {
    std::fprintf(stderr, "throughput: %s\n", tls.status().ToString().c_str());
    return 1;
  }
  const int64_t pods = options.pods;
  std::vector<int64_t> sent_ns(pods, 0);
  std::vector<int64_t> created_ns(pods, 0);
  std::vector<int64_t> bound_ns(pods, 0);  // watch thread only, read after Stop
  std::vector<std::string> node_of(pods);  // likewise
  std::atomic<int64_t> bound_count{0};
  PodWatch watch(endpoint, *tls, ns, [&](const PodEvent& event) {
    if (!event.bound) return;
    int64_t index = PodIndex(event.name);
    if (index < 0 || index >= pods || bound_ns[index] != 0) return;
    bound_ns[index] = event.arrival_ns;
    node_of[index] = std::string(event.node);
    bound_count++;
  });
  if (absl::Status opened = watch.Open(); !opened.ok()) {
    std::fprintf(stderr, "throughput: %s\n", opened.ToString().c_str());
    return 1;
  }

  PodCreatePlan plan;
  plan.options = &options;
  plan.path = absl::StrCat("/api/v1/namespaces/", ns, "/pods");
  plan.group_size = options.group_size > 0 ? options.group_size : options.cluster.nodes;
  plan.sent_ns = &sent_ns;
  plan.created_ns = &created_ns;
  IoPool pool(options.threads);
  std::vector<std::unique_ptr<HttpsClient>> clients;
  std::vector<CreateStats> stats(options.connections);
  WaitGroup connected;
  for (int i = 0; i < options.connections; ++i) {
    clients.push_back(std::make_unique<HttpsClient>(pool.Next(), *tls, endpoint));
    Spawn(clients.back()->context(), ConnectOnly(clients.back().get(), &stats[i]), &connected);
  }
  if (!connected.WaitUntil(Clock::now() + std::chrono::seconds(60))) {
    std::fprintf(stderr, "throughput: connections not established within 60 s\n");
    return 1;
  }
  pid_t server_pid = (*cluster)->target->pid();
  pid_t sim_pid = (*cluster)->sim->pid();
  auto sim_cpu_before = ReadProcCpuSeconds(sim_pid);
  CpuSample cpu_before = SampleCpu(server_pid);
  WaitGroup finished;
  for (int i = 0; i < options.connections; ++i) {
    Spawn(clients[i]->context(), PodCreateWorker(clients[i].get(), &plan, &stats[i]), &finished);
  }
  Clock::time_point deadline =
      Clock::now() + std::chrono::duration_cast<Clock::duration>(
                         std::chrono::duration<double>(options.bind_timeout_seconds));
  bool creates_done = finished.WaitUntil(deadline);
  CreateStats total;
  for (const CreateStats& s : stats) {
    total.created += s.created;
    total.failed += s.failed;
    if (total.first_error.empty()) total.first_error = s.first_error;
  }
  // Wait for the bindings of every created pod (or the timeout / no progress for 30 s).
  int64_t last_count = -1;
  Clock::time_point last_progress = Clock::now();
  while (Clock::now() < deadline && bound_count.load() < total.created) {
    int64_t now_count = bound_count.load();
    if (now_count != last_count) {
      last_count = now_count;
      last_progress = Clock::now();
    } else if (Clock::now() - last_progress > std::chrono::seconds(30)) {
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  CpuSample cpu_after = SampleCpu(server_pid);
  auto sim_cpu_after = ReadProcCpuSeconds(sim_pid);
  auto rss = RssBytes(server_pid);
  watch.Stop();
  pool.Stop();

  std::vector<int64_t> latencies;
  std::vector<int64_t> create_latencies;
  int64_t first_sent = 0;
  int64_t last_bound = 0;
  int64_t last_created = 0;
  for (int64_t i = 0; i < pods; ++i) {
    if (sent_ns[i] == 0) continue;
    first_sent = first_sent == 0 ? sent_ns[i] : std::min(first_sent, sent_ns[i]);
    if (created_ns[i] != 0) {
      create_latencies.push_back(created_ns[i] - sent_ns[i]);
      last_created = std::max(last_created, created_ns[i]);
    }
    if (bound_ns[i] != 0) {
      latencies.push_back(bound_ns[i] - sent_ns[i]);
      last_bound = std::max(last_bound, bound_ns[i]);
    }
  }
  int64_t bound = static_cast<int64_t>(latencies.size());
  double bind_seconds = bound > 0 ? SecondsBetween(first_sent, last_bound) : 0;
  double create_seconds = last_created > 0 ? SecondsBetween(first_sent, last_created) : 0;
  double rate = bind_seconds > 0 ? bound / bind_seconds : 0;
  LatencySummary latency = Summarize(latencies);
  LatencySummary create_latency = Summarize(create_latencies);
  double target_rate = options.variant == "plain" ? 10000 : 3000;
  // Placement check: pods per node, and (anti-affinity) two pods of one group on one node.
  std::unordered_map<std::string, int64_t> per_node;
  std::unordered_map<std::string, int64_t> per_group_node;
  int64_t violations = 0;
  for (int64_t i = 0; i < pods; ++i) {
    if (node_of[i].empty()) continue;
    per_node[node_of[i]]++;
    if (++per_group_node[absl::StrCat(i / plan.group_size, "/", node_of[i])] > 1) violations++;
  }
  int64_t max_per_node = 0;
  for (const auto& [node, count] : per_node) max_per_node = std::max(max_per_node, count);

  Report report(absl::StrCat("skiff scheduler bench: throughput (", options.variant, ")"));
  report.AddMachine(machine);
  DescribeCluster(**cluster, options.cluster, report);
  report.Section("conditions");
  report.Add("pods", absl::StrFormat("%d in namespace %s, 1 container, requests cpu %s memory %s", pods, ns,
                                     options.cpu_request, options.memory_request));
  if (options.variant == "anti-affinity") {
    report.Add("variant", absl::StrFormat("required podAntiAffinity on kubernetes.io/hostname within label "
                                          "groups of %d pods (group=g<index/%d>)",
                                          plan.group_size, plan.group_size));
  } else if (options.variant == "spread") {
    report.Add("variant",
               "topologySpreadConstraints zone, maxSkew 1, DoNotSchedule, all pods app=sched-bench");
  } else {
    report.Add("variant", "plain (no affinity, no spread)");
  }
  report.Add("creates",
             absl::StrFormat("POST pods as fast as possible over %d keep-alive HTTPS connections, %d "
                             "client io threads",
                             options.connections, options.threads));
  report.Add("bound", "first watch event with spec.nodeName set (binding stored and delivered)");
  report.Add("scheduler", "server defaults (in-process scheduler under leader election)");
  report.Section("results");
  report.Add("created", absl::StrFormat("%d pods (%d failed) in %.3f s = %s%s", total.created, total.failed,
                                        create_seconds,
                                        FormatRate(create_seconds > 0 ? total.created / create_seconds : 0),
                                        creates_done ? "" : " (create loops timed out)"));
  if (!total.first_error.empty()) report.Add("first create error", total.first_error);
  report.Add("create latency",
             absl::StrCat("p50 ", FormatMs(create_latency.p50_ns), ", p99 ", FormatMs(create_latency.p99_ns),
                          ", mean ", FormatMs(create_latency.mean_ns)));
  report.Add("bound", absl::StrFormat("%d of %d created pods, first create -> last binding %.3f s", bound,
                                      total.created, bind_seconds));
  report.Add("throughput",
             absl::StrCat(FormatRate(rate), " created -> bound  ",
                          Verdict(rate >= target_rate && bound == pods,
                                  absl::StrFormat(">= %s/s (target, 5,000 nodes x 10,000 pods)",
                                                  target_rate == 10000 ? "10,000" : "3,000"))));
  report.Add("latency mean", FormatMs(latency.mean_ns));
  report.Add("latency p50", FormatMs(latency.p50_ns));
  report.Add("latency p99", FormatMs(latency.p99_ns));
  report.Add("latency max", FormatMs(latency.max_ns));
  report.Add("placement",
             absl::StrFormat("%d nodes used, at most %d pods on one node", per_node.size(), max_per_node));
  if (options.variant == "anti-affinity") {
    report.Add("anti-affinity check",
               absl::StrFormat("%d pods share a node with a pod of their group (must be 0)", violations));
  }
  report.Add("watch events", absl::StrFormat("%d (%d unparsable)", watch.events(), watch.parse_errors()));
  report.Add("cpu used", DescribeCpu(cpu_before, cpu_after));
  if (sim_cpu_before.ok() && sim_cpu_after.ok()) {
    report.Add("sim cpu", absl::StrFormat("%.2f s", *sim_cpu_after - *sim_cpu_before));
  }
  double sim_seconds = sim_cpu_before.ok() && sim_cpu_after.ok() ? *sim_cpu_after - *sim_cpu_before : -1;
  report.Add("cpu per pod", DescribeCpuPerPod(cpu_before, cpu_after, sim_seconds, bound,
                                              machine.cpus, options.variant == "plain" ? 5000 : 2500));
  report.Add("server RSS after", rss.ok() ? FormatMib(*rss) : std::string("n/a"));
  report.Print(stdout);
  return 0;
}

// ---------------------------------------------------------------------------------------------
// rollout

struct RolloutOptions {
  ClusterOptions cluster;
  int64_t replicas = 10000;
  double timeout_seconds = 300;
  double poll_ms = 20;
};

std::string DeploymentJson(int64_t replicas) {
  return absl::StrCat(
      R"({"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":"rollout"},"spec":{"replicas":)",
      replicas,
      R"(,"selector":{"matchLabels":{"app":"rollout"}},"template":{"metadata":{"labels":{"app":"rollout"}},)",
      R"("spec":{"containers":[{"name":"c","image":"registry.k8s.io/pause:3.9",)",
      R"("resources":{"requests":{"cpu":"10m","memory":"16Mi"}}}]}}}})");
}

int RunRollout(const RolloutOptions& options) {
  MachineInfo machine = ReadMachineInfo();
  auto cluster = StartCluster(options.cluster);
  if (!cluster.ok()) {
    std::fprintf(stderr, "rollout: %s\n", cluster.status().ToString().c_str());
    return 1;
  }
  const Endpoint& endpoint = (*cluster)->target->endpoint();
  std::string ns = absl::StrCat("rollout-", RunId());
  if (absl::Status created = EnsureNamespace(endpoint, ns); !created.ok()) {
    std::fprintf(stderr, "rollout: %s\n", created.ToString().c_str());
    return 1;
  }
  auto tls = MakeTlsContext(endpoint.ca_file);
  if (!tls.ok()) {
    std::fprintf(stderr, "rollout: %s\n", tls.status().ToString().c_str());
    return 1;
  }
  const int64_t replicas = options.replicas;
  // Watch-thread state: per pod name, bit 1 bound, bit 2 running.
  std::unordered_map<std::string, int> seen;
  std::atomic<int64_t> created_count{0}, bound_count{0}, running_count{0};
  std::atomic<int64_t> all_created_ns{0}, all_bound_ns{0}, all_running_ns{0};
  PodWatch watch(endpoint, *tls, ns, [&](const PodEvent& event) {
    auto [it, inserted] = seen.try_emplace(std::string(event.name), 0);
    if (inserted && ++created_count == replicas) all_created_ns = event.arrival_ns;
    if (event.bound && !(it->second & 1)) {
      it->second |= 1;
      if (++bound_count == replicas) all_bound_ns = event.arrival_ns;
    }
    if (event.running && !(it->second & 2)) {
      it->second |= 2;
      if (++running_count == replicas) all_running_ns = event.arrival_ns;
    }
  });
  if (absl::Status opened = watch.Open(); !opened.ok()) {
    std::fprintf(stderr, "rollout: %s\n", opened.ToString().c_str());
    return 1;
  }
  pid_t server_pid = (*cluster)->target->pid();
  CpuSample cpu_before = SampleCpu(server_pid);
  auto sim_cpu_before = ReadProcCpuSeconds((*cluster)->sim->pid());

  asio::io_context context;
  HttpsClient client(context, *tls, endpoint);
  std::string deploy_path = absl::StrCat("/apis/apps/v1/namespaces/", ns, "/deployments");
  int64_t start_ns = NowNs();
  auto response =
      RunSync(context, client.Send("POST", deploy_path, DeploymentJson(replicas), kRequestTimeout));
  int64_t applied_ns = NowNs();
  if (!response.ok() || response->status != 201) {
    std::fprintf(stderr, "rollout: create deployment: %s\n",
                 response.ok() ? absl::StrCat("HTTP ", response->status, " ", response->body).c_str()
                               : response.status().ToString().c_str());
    return 1;
  }
  int64_t available = 0, ready = 0, updated = 0;
  int64_t available_ns = 0;
  int polls = 0;
  Clock::time_point deadline = Clock::now() + std::chrono::duration_cast<Clock::duration>(
                                                  std::chrono::duration<double>(options.timeout_seconds));
  std::string get_path = deploy_path + "/rollout";
  while (Clock::now() < deadline) {
    auto got = RunSync(context, client.Send("GET", get_path, "", kRequestTimeout));
    polls++;
    if (got.ok() && got->status == 200) {
      auto parsed = base::ParseJson(got->body);
      if (parsed.ok()) {
        available = base::GetInt(*parsed, {"status", "availableReplicas"});
        ready = base::GetInt(*parsed, {"status", "readyReplicas"});
        updated = base::GetInt(*parsed, {"status", "updatedReplicas"});
        if (available >= replicas) {
          available_ns = NowNs();
          break;
        }
      }
    }
    if (absl::Status running = (*cluster)->sim->CheckRunning(); !running.ok()) {
      std::fprintf(stderr, "rollout: %s\n", running.ToString().c_str());
      break;
    }
    std::this_thread::sleep_for(std::chrono::microseconds(static_cast<int64_t>(options.poll_ms * 1000)));
  }
  CpuSample cpu_after = SampleCpu(server_pid);
  auto sim_cpu_after = ReadProcCpuSeconds((*cluster)->sim->pid());
  auto rss = RssBytes(server_pid);
  watch.Stop();

  auto since_start = [&](int64_t at_ns) {
    return at_ns == 0 ? std::string("not reached")
                      : absl::StrFormat("%.3f s", SecondsBetween(start_ns, at_ns));
  };
  double total_seconds = available_ns > 0 ? SecondsBetween(start_ns, available_ns) : 0;
  Report report("skiff scheduler bench: Deployment rollout");
  report.AddMachine(machine);
  DescribeCluster(**cluster, options.cluster, report);
  report.Section("conditions");
  report.Add("deployment", absl::StrFormat("%d replicas, 1 container, requests cpu 10m memory 16Mi, default "
                                           "RollingUpdate; POST then GET every %.0f ms",
                                           replicas, options.poll_ms));
  report.Add("pod ready delay", absl::StrCat(options.cluster.ready_delay, " (sim --ready-delay)"));
  report.Section("results (from the POST)");
  report.Add("deployment created", absl::StrFormat("%.3f s", SecondsBetween(start_ns, applied_ns)));
  report.Add("all pods created", since_start(all_created_ns.load()));
  report.Add("all pods bound", since_start(all_bound_ns.load()));
  report.Add("all pods Running", since_start(all_running_ns.load()));
  report.Add("availableReplicas", absl::StrFormat("%d of %d (ready %d, updated %d) after %d polls", available,
                                                  replicas, ready, updated, polls));
  report.Add(
      "apply -> available",
      absl::StrCat(available_ns > 0 ? absl::StrFormat("%.3f s", total_seconds) : std::string("not reached"),
                   "  ", Verdict(available_ns > 0 && total_seconds <= 10, "<= 10 s (target)")));
  report.Add("pods seen",
             absl::StrFormat("%d created, %d bound, %d Running (watch, %d events)", created_count.load(),
                             bound_count.load(), running_count.load(), watch.events()));
  report.Add("cpu used", DescribeCpu(cpu_before, cpu_after));
  if (sim_cpu_before.ok() && sim_cpu_after.ok()) {
    report.Add("sim cpu", absl::StrFormat("%.2f s", *sim_cpu_after - *sim_cpu_before));
  }
  report.Add("server RSS after", rss.ok() ? FormatMib(*rss) : std::string("n/a"));
  report.Print(stdout);
  return 0;
}

void AddClusterOptions(CLI::App* app, ClusterOptions* cluster) {
  app->add_option("--skiff", cluster->skiff_binary, "skiff binary (server and sim)")->capture_default_str();
  app->add_option("--nodes", cluster->nodes, "simulated nodes")->capture_default_str();
  app->add_option("--zones", cluster->zones, "zones the sim spreads nodes over")->capture_default_str();
  app->add_option("--ready-delay", cluster->ready_delay, "sim delay before a bound pod runs")
      ->capture_default_str();
  app->add_option("--sim-workers", cluster->sim_workers, "sim concurrent API writes")->capture_default_str();
  app->add_option("--node-timeout", cluster->node_timeout_seconds,
                  "seconds to wait for the nodes to be Ready")
      ->capture_default_str();
  app->add_flag("--keep", cluster->keep_files, "keep the temporary data dir and logs");
}

}  // namespace
}  // namespace skiff::bench

int main(int argc, char** argv) {
  using namespace skiff::bench;  // NOLINT(build/namespaces): main only wires the subcommands
  CLI::App app{"scheduler_bench: scheduling throughput and Deployment rollout on simulated nodes"};
  app.require_subcommand(1);

  ThroughputOptions throughput;
  auto* throughput_cmd = app.add_subcommand("throughput", "creation -> bound throughput and latency");
  AddClusterOptions(throughput_cmd, &throughput.cluster);
  throughput_cmd->add_option("--pods", throughput.pods, "pods to create")->capture_default_str();
  throughput_cmd->add_option("--variant", throughput.variant, "plain | anti-affinity | spread")
      ->capture_default_str();
  throughput_cmd->add_option("--connections", throughput.connections, "create connections")
      ->capture_default_str();
  throughput_cmd->add_option("--threads", throughput.threads, "client io threads")->capture_default_str();
  throughput_cmd
      ->add_option("--group-size", throughput.group_size,
                   "anti-affinity: pods per label group (0: the node count)")
      ->capture_default_str();
  throughput_cmd->add_option("--timeout", throughput.bind_timeout_seconds, "seconds to wait for bindings")
      ->capture_default_str();

  RolloutOptions rollout;
  rollout.cluster.nodes = 1000;
  auto* rollout_cmd = app.add_subcommand("rollout", "Deployment apply -> all replicas available");
  AddClusterOptions(rollout_cmd, &rollout.cluster);
  rollout_cmd->add_option("--replicas", rollout.replicas, "Deployment replicas")->capture_default_str();
  rollout_cmd->add_option("--timeout", rollout.timeout_seconds, "seconds to wait")->capture_default_str();

  InProcessOptions in_process;
  auto* in_process_cmd = app.add_subcommand(
      "in-process", "the scheduling cycle alone: cache, filter, score, assume (no server)");
  in_process_cmd->add_option("--nodes", in_process.nodes, "nodes")->capture_default_str();
  in_process_cmd->add_option("--zones", in_process.zones, "zones")->capture_default_str();
  in_process_cmd->add_option("--pods", in_process.pods, "pods")->capture_default_str();
  in_process_cmd->add_option("--variant", in_process.variant, "plain | anti-affinity | spread")
      ->capture_default_str();
  in_process_cmd
      ->add_option("--group-size", in_process.group_size, "anti-affinity: pods per group (0: nodes)")
      ->capture_default_str();
  in_process_cmd->add_option("--parallelism", in_process.parallelism, "filter threads")
      ->capture_default_str();
  in_process_cmd->add_option("--confirm-lag", in_process.confirm_lag, "pods between assume and confirmation")
      ->capture_default_str();

  CLI11_PARSE(app, argc, argv);
  RaiseFileLimit();
  if (throughput_cmd->parsed()) {
    if (throughput.variant == "spread" && throughput.cluster.zones == 3) throughput.cluster.zones = 10;
    return RunThroughput(throughput);
  }
  if (rollout_cmd->parsed()) return RunRollout(rollout);
  if (in_process_cmd->parsed()) return RunInProcess(in_process);
  return 2;
}
