// scale_bench: the 150,000-pod scale figure. Starts a `skiff server --disable-agent` and a
// `skiff sim --nodes N` child, creates P pods as Deployments spread over namespaces, waits until
// every replica is available (Running and Ready), then runs pod churn (creates at a fixed rate, each
// followed by the delete of an older churn pod) and measures, with the conditions they ran under:
//   - server memory: VmRSS sampled throughout, VmHWM at the end;
//   - mutating API latency (p50/p99/max of the churn's POSTs and DELETEs, measured by the client);
//   - node lease health: every few seconds all Leases in kube-node-lease are listed and each one
//     whose renewTime is older than its leaseDurationSeconds (at the moment the list arrived) counts
//     as late; also the oldest renewal seen and Ready nodes at the end.
// It stops only the two processes it started (by pid) and removes its temp dir unless --keep.
#include <sys/resource.h>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "CLI/CLI.hpp"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/clock.h"
#include "base/clock.h"
#include "base/json.h"
#include "bench_target.h"
#include "bench_util.h"
#include "benches.h"
#include "boost/asio/ssl/context.hpp"
#include "boost/asio/steady_timer.hpp"
#include "boost/asio/use_awaitable.hpp"
#include "io_pool.h"
#include "sim_process.h"
#include "skiff_process.h"

namespace skiff::bench {
namespace {
namespace asio = boost::asio;

constexpr auto kRequestTimeout = std::chrono::seconds(30);

struct ScaleOptions {
  std::string skiff_binary = "build/skiff";
  bool keep_files = false;
  int nodes = 5000;
  int node_pods = 110;  // sim --pods: pod capacity per node
  int zones = 3;
  int sim_workers = 16;
  std::string ready_delay = "1s";
  std::string lease_interval = "10s";
  int64_t pods = 150000;
  int namespaces = 20;
  int deployments = 100;  // spread round-robin over the namespaces
  double churn_seconds = 60;
  double churn_rate = 50;  // pod creates per second
  int churn_keep = 250;    // each create deletes the churn pod created this many creates earlier
  int churn_connections = 32;
  double sample_seconds = 5;  // lease and RSS sampling period
  double node_timeout_seconds = 900;
  double rollout_timeout_seconds = 3600;
  double stall_seconds = 180;         // stop waiting for the pods when availability has not grown this long
  std::string cluster_cidr = "auto";  // "auto": 10.0.0.0/8 when the server has --cluster-cidr; "": none
  int node_cidr_mask_size = 24;
};

double Seconds(Clock::duration d) { return std::chrono::duration<double>(d).count(); }
Clock::duration FromSeconds(double s) {
  return std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(s));
}

void RaiseFileLimit() {
  rlimit limit{};
  if (getrlimit(RLIMIT_NOFILE, &limit) == 0 && limit.rlim_cur < limit.rlim_max) {
    limit.rlim_cur = limit.rlim_max;
    setrlimit(RLIMIT_NOFILE, &limit);
  }
}

// True when `skiff server --help` lists `flag`.
bool ServerHasFlag(const std::string& binary, const std::string& flag) {
  std::string command = absl::StrCat("'", binary, "' server --help 2>&1");
  FILE* pipe = popen(command.c_str(), "r");
  if (pipe == nullptr) return false;
  std::string out;
  char buf[4096];
  size_t n;
  while ((n = fread(buf, 1, sizeof(buf), pipe)) > 0) out.append(buf, n);
  pclose(pipe);
  return out.find(flag) != std::string::npos;
}

absl::StatusOr<boost::json::value> GetJson(const Endpoint& endpoint, const std::string& path) {
  auto response = SendOnce(endpoint, "GET", path, "");
  if (!response.ok()) return response.status();
  if (response->status != 200) {
    return absl::UnavailableError(absl::StrCat("GET ", path, ": HTTP ", response->status));
  }
  return base::ParseJson(response->body);
}

const boost::json::array* Items(const boost::json::value& list) {
  const boost::json::value* items = base::Find(list, "items");
  return items != nullptr && items->is_array() ? &items->as_array() : nullptr;
}

absl::StatusOr<int64_t> CountReadyNodes(const Endpoint& endpoint) {
  auto list = GetJson(endpoint, "/api/v1/nodes");
  if (!list.ok()) return list.status();
  const boost::json::array* items = Items(*list);
  if (items == nullptr) return absl::InternalError("node list without items");
  int64_t ready = 0;
  for (const boost::json::value& node : *items) {
    const boost::json::value* conditions = base::FindPath(node, {"status", "conditions"});
    if (conditions == nullptr || !conditions->is_array()) continue;
    for (const boost::json::value& c : conditions->as_array()) {
      if (base::GetString(c, {"type"}) == "Ready" && base::GetString(c, {"status"}) == "True") ready++;
    }
  }
  return ready;
}

// ---------------------------------------------------------------------------------------------
// Background sampling: node leases and server memory.

struct LeaseSample {
  int64_t leases = 0;
  int64_t late = 0;           // renewTime + leaseDurationSeconds before the list arrived
  double oldest_seconds = 0;  // oldest renewal at that moment
};

struct PhaseHealth {
  int samples = 0;
  int failed_samples = 0;
  int64_t min_leases = -1;
  int64_t late = 0;  // sum over samples
  int samples_with_late = 0;
  double oldest_seconds = 0;  // max over samples
  int64_t max_rss_bytes = 0;
};

absl::StatusOr<LeaseSample> SampleLeases(const Endpoint& endpoint) {
  auto list = GetJson(endpoint, "/apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases");
  absl::Time arrived = absl::Now();
  if (!list.ok()) return list.status();
  const boost::json::array* items = Items(*list);
  if (items == nullptr) return absl::InternalError("lease list without items");
  LeaseSample sample;
  for (const boost::json::value& lease : *items) {
    sample.leases++;
    absl::Time renewed;
    if (!base::ParseRfc3339(base::GetString(lease, {"spec", "renewTime"}), &renewed)) {
      sample.late++;
      continue;
    }
    int64_t duration = base::GetInt(lease, {"spec", "leaseDurationSeconds"}, 40);
    double age = absl::ToDoubleSeconds(arrived - renewed);
    sample.oldest_seconds = std::max(sample.oldest_seconds, age);
    if (age > static_cast<double>(duration)) sample.late++;
  }
  return sample;
}

// Samples leases and RSS every period on its own thread, into the phase named by set_phase.
class Sampler {
 public:
  Sampler(Endpoint endpoint, pid_t server_pid, double period_seconds)
      : endpoint_(std::move(endpoint)), server_pid_(server_pid), period_(FromSeconds(period_seconds)) {}
  ~Sampler() { Stop(); }

  void Start(int phase) {
    phase_ = phase;
    thread_ = std::thread([this] { Run(); });
  }
  void set_phase(int phase) { phase_ = phase; }
  void Stop() {
    {
      std::lock_guard<std::mutex> lock(mu_);
      stop_ = true;
    }
    cv_.notify_all();
    if (thread_.joinable()) thread_.join();
  }
  PhaseHealth health(int phase) {
    std::lock_guard<std::mutex> lock(mu_);
    return health_[phase];
  }

 private:
  void Run() {
    std::unique_lock<std::mutex> lock(mu_);
    while (!stop_) {
      Clock::time_point next = Clock::now() + period_;
      int phase = phase_;
      lock.unlock();
      auto leases = SampleLeases(endpoint_);
      auto rss = RssBytes(server_pid_);
      lock.lock();
      PhaseHealth& h = health_[phase];
      h.samples++;
      if (rss.ok()) h.max_rss_bytes = std::max(h.max_rss_bytes, *rss);
      if (!leases.ok()) {
        h.failed_samples++;
      } else {
        h.min_leases = h.min_leases < 0 ? leases->leases : std::min(h.min_leases, leases->leases);
        h.late += leases->late;
        if (leases->late > 0) h.samples_with_late++;
        h.oldest_seconds = std::max(h.oldest_seconds, leases->oldest_seconds);
      }
      cv_.wait_until(lock, next, [this] { return stop_; });
    }
  }

  Endpoint endpoint_;
  pid_t server_pid_;
  Clock::duration period_;
  std::atomic<int> phase_{0};
  std::mutex mu_;
  std::condition_variable cv_;
  bool stop_ = false;
  PhaseHealth health_[2];
  std::thread thread_;
};

// ---------------------------------------------------------------------------------------------
// Workload.

std::string PodSpecJson() {
  return R"("spec":{"containers":[{"name":"c","image":"registry.k8s.io/pause:3.9",)"
         R"("resources":{"requests":{"cpu":"10m","memory":"16Mi"}}}]})";
}

// Labelled scale-run=<run> so the poll lists only this run's Deployments.
std::string DeploymentJson(const std::string& name, int64_t replicas, const std::string& run) {
  return absl::StrCat(R"({"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":")", name,
                      R"(","labels":{"scale-run":")", run, R"("}},"spec":{"replicas":)", replicas,
                      R"(,"selector":{"matchLabels":{"app":")", name,
                      R"("}},"template":{"metadata":{"labels":{"app":")", name, R"("}},)", PodSpecJson(),
                      "}}}");
}

std::string ChurnPodJson(int64_t index) {
  return absl::StrCat(R"({"apiVersion":"v1","kind":"Pod","metadata":{"name":"churn-)", index,
                      R"(","labels":{"app":"churn"}},)", PodSpecJson(), "}");
}

struct RolloutTotals {
  int64_t replicas = 0;   // status.replicas summed
  int64_t available = 0;  // status.availableReplicas summed
};

absl::StatusOr<RolloutTotals> SumDeployments(const Endpoint& endpoint, const std::string& label) {
  auto list = GetJson(endpoint, absl::StrCat("/apis/apps/v1/deployments?labelSelector=", label));
  if (!list.ok()) return list.status();
  const boost::json::array* items = Items(*list);
  if (items == nullptr) return absl::InternalError("deployment list without items");
  RolloutTotals totals;
  for (const boost::json::value& d : *items) {
    totals.replicas += base::GetInt(d, {"status", "replicas"});
    totals.available += base::GetInt(d, {"status", "availableReplicas"});
  }
  return totals;
}

// Open-loop churn: request i is due at start + i / rate, whichever connection is free takes it.
struct ChurnPlan {
  std::string pods_path;  // /api/v1/namespaces/NS/pods
  int64_t total = 0;
  int keep = 0;
  Clock::duration period{};
  Clock::time_point start;
  std::atomic<int64_t> next{0};
};

struct ChurnStats {
  std::vector<int64_t> create_ns;
  std::vector<int64_t> delete_ns;
  int64_t create_failed = 0;
  int64_t delete_failed = 0;
  int64_t max_start_lag_ns = 0;  // how far behind schedule a request started
  std::string first_error;
};

void NoteError(ChurnStats* stats, const absl::StatusOr<HttpResponse>& response) {
  if (!stats->first_error.empty()) return;
  stats->first_error = response.ok()
                           ? absl::StrCat("HTTP ", response->status, ": ", response->body.substr(0, 300))
                           : response.status().ToString();
}

asio::awaitable<void> ConnectOnly(HttpsClient* client, ChurnStats* stats) {
  absl::Status status = co_await client->Connect(kRequestTimeout);
  if (!status.ok()) stats->first_error = status.ToString();
}

asio::awaitable<void> ChurnWorker(HttpsClient* client, ChurnPlan* plan, ChurnStats* stats) {
  asio::steady_timer timer(client->context());
  for (;;) {
    int64_t i = plan->next.fetch_add(1);
    if (i >= plan->total) break;
    Clock::time_point due = plan->start + plan->period * i;
    if (Clock::now() < due) {
      timer.expires_at(due);
      co_await timer.async_wait(asio::use_awaitable);
    }
    Clock::time_point sent = Clock::now();
    stats->max_start_lag_ns =
        std::max<int64_t>(stats->max_start_lag_ns, std::chrono::nanoseconds(sent - due).count());
    auto created = co_await client->Send("POST", plan->pods_path, ChurnPodJson(i), kRequestTimeout);
    if (created.ok() && created->status == 201) {
      stats->create_ns.push_back(std::chrono::nanoseconds(Clock::now() - sent).count());
    } else {
      stats->create_failed++;
      NoteError(stats, created);
    }
    if (i < plan->keep) continue;
    sent = Clock::now();
    auto deleted = co_await client->Send("DELETE", absl::StrCat(plan->pods_path, "/churn-", i - plan->keep),
                                         "", kRequestTimeout);
    if (deleted.ok() && (deleted->status == 200 || deleted->status == 202)) {
      stats->delete_ns.push_back(std::chrono::nanoseconds(Clock::now() - sent).count());
    } else {
      stats->delete_failed++;
      NoteError(stats, deleted);
    }
  }
}

std::string DescribeLatency(const LatencySummary& s) {
  return absl::StrCat(s.count, " requests: p50 ", FormatMs(s.p50_ns), ", p99 ", FormatMs(s.p99_ns), ", max ",
                      FormatMs(s.max_ns));
}

std::string DescribeHealth(const PhaseHealth& h, int nodes) {
  return absl::StrFormat(
             "%d samples (%d failed), >= %d leases each; %d late lease readings in %d samples; oldest "
             "renewal "
             "%.1f s",
             h.samples, h.failed_samples, h.min_leases, h.late, h.samples_with_late, h.oldest_seconds) +
         (h.min_leases >= 0 && h.min_leases < nodes ? absl::StrFormat(" (expected %d leases)", nodes) : "");
}

int Fail(const std::string& what, const absl::Status& status) {
  std::fprintf(stderr, "scale: %s: %s\n", what.c_str(), status.ToString().c_str());
  return 1;
}

int RunScale(const ScaleOptions& options) {
  MachineInfo machine = ReadMachineInfo();
  auto server = SkiffProcess::Create(options.skiff_binary, options.keep_files);
  if (!server.ok()) return Fail("server", server.status());
  std::string cidr_note;
  std::string cidr = options.cluster_cidr;
  bool has_cidr_flag = ServerHasFlag(options.skiff_binary, "--cluster-cidr");
  if (cidr == "auto") cidr = has_cidr_flag ? "10.0.0.0/8" : "";
  if (!cidr.empty()) {
    (*server)->set_extra_args(
        {"--cluster-cidr", cidr, "--node-cidr-mask-size", absl::StrCat(options.node_cidr_mask_size)});
    cidr_note = absl::StrCat("--cluster-cidr ", cidr, " --node-cidr-mask-size ", options.node_cidr_mask_size);
  } else {
    cidr_note =
        has_cidr_flag ? "server default" : "server default (this skiff server has no --cluster-cidr flag)";
  }
  auto started = (*server)->Start(std::chrono::seconds(60));
  if (!started.ok()) return Fail("server start", started.status());
  const Endpoint& endpoint = (*server)->endpoint();
  const pid_t server_pid = (*server)->pid();
  std::string root = (*server)->data_dir().substr(0, (*server)->data_dir().rfind('/'));

  SimProcess sim(options.skiff_binary,
                 {"--kubeconfig", (*server)->data_dir() + "/admin.kubeconfig", "--nodes",
                  absl::StrCat(options.nodes), "--pods", absl::StrCat(options.node_pods), "--zones",
                  absl::StrCat(options.zones), "--ready-delay", options.ready_delay, "--lease-interval",
                  options.lease_interval, "--workers", absl::StrCat(options.sim_workers)},
                 root + "/sim.log");
  Clock::time_point sim_start = Clock::now();
  if (absl::Status s = sim.Start(); !s.ok()) return Fail("sim start", s);
  int64_t ready_nodes = 0;
  while (Clock::now() < sim_start + FromSeconds(options.node_timeout_seconds)) {
    if (absl::Status s = sim.CheckRunning(); !s.ok()) return Fail("sim", s);
    auto counted = CountReadyNodes(endpoint);
    if (counted.ok()) ready_nodes = *counted;
    if (ready_nodes >= options.nodes) break;
    std::this_thread::sleep_for(std::chrono::seconds(1));
  }
  double nodes_seconds = Seconds(Clock::now() - sim_start);
  if (ready_nodes < options.nodes) {
    return Fail("nodes",
                absl::DeadlineExceededError(absl::StrFormat("only %d of %d nodes Ready after %.0f s",
                                                            ready_nodes, options.nodes, nodes_seconds)));
  }

  // Phase 0: bring-up of the pods. Phase 1: churn.
  Sampler sampler(endpoint, server_pid, options.sample_seconds);
  sampler.Start(0);
  std::string run = RunId();
  std::string label = absl::StrCat("scale-run%3D", run);
  const int namespaces = std::max(1, options.namespaces);
  const int deployments = std::max(1, options.deployments);
  for (int n = 0; n < namespaces; ++n) {
    if (absl::Status s = EnsureNamespace(endpoint, absl::StrCat("scale-", run, "-", n)); !s.ok()) {
      return Fail("namespace", s);
    }
  }
  CpuSample cpu_before = SampleCpu(server_pid);
  Clock::time_point rollout_start = Clock::now();
  for (int d = 0; d < deployments; ++d) {
    int64_t replicas = options.pods / deployments + (d < options.pods % deployments ? 1 : 0);
    std::string name = absl::StrCat("scale-", d);
    std::string body = DeploymentJson(name, replicas, run);
    auto response =
        SendOnce(endpoint, "POST",
                 absl::StrCat("/apis/apps/v1/namespaces/scale-", run, "-", d % namespaces, "/deployments"),
                 std::move(body));
    if (!response.ok() || response->status != 201) {
      return Fail("create deployment", response.ok() ? absl::InternalError(absl::StrCat(
                                                           "HTTP ", response->status, " ", response->body))
                                                     : response.status());
    }
  }
  RolloutTotals totals;
  double all_created_seconds = 0, available_seconds = 0;
  Clock::time_point rollout_deadline = rollout_start + FromSeconds(options.rollout_timeout_seconds);
  Clock::time_point last_print = Clock::now();
  Clock::time_point last_progress = Clock::now();
  int64_t last_available = -1;
  bool stalled = false;
  while (Clock::now() < rollout_deadline) {
    if (absl::Status s = sim.CheckRunning(); !s.ok()) return Fail("sim", s);
    auto summed = SumDeployments(endpoint, label);
    if (summed.ok()) totals = *summed;
    if (all_created_seconds == 0 && totals.replicas >= options.pods) {
      all_created_seconds = Seconds(Clock::now() - rollout_start);
    }
    if (totals.available >= options.pods) {
      available_seconds = Seconds(Clock::now() - rollout_start);
      break;
    }
    if (totals.available != last_available) {
      last_available = totals.available;
      last_progress = Clock::now();
    } else if (Clock::now() - last_progress > FromSeconds(options.stall_seconds)) {
      stalled = true;
      break;
    }
    if (Clock::now() - last_print > std::chrono::seconds(30)) {
      last_print = Clock::now();
      std::fprintf(stderr, "scale: %.0f s: %ld pods created, %ld available\n",
                   Seconds(Clock::now() - rollout_start), static_cast<long>(totals.replicas),
                   static_cast<long>(totals.available));
    }
    std::this_thread::sleep_for(std::chrono::seconds(2));
  }
  CpuSample cpu_rolled = SampleCpu(server_pid);
  auto rss_after_rollout = RssBytes(server_pid);
  if (available_seconds == 0) {
    std::fprintf(stderr, "scale: only %ld of %ld pods available after %.0f s%s; measuring churn anyway\n",
                 static_cast<long>(totals.available), static_cast<long>(options.pods),
                 Seconds(Clock::now() - rollout_start), stalled ? " (no progress, gave up)" : "");
  }

  // Churn.
  sampler.set_phase(1);
  std::string churn_ns = absl::StrCat("scale-", run, "-churn");
  if (absl::Status s = EnsureNamespace(endpoint, churn_ns); !s.ok()) return Fail("namespace", s);
  auto tls = MakeTlsContext(endpoint.ca_file);
  if (!tls.ok()) return Fail("tls", tls.status());
  IoPool pool(2);
  std::vector<std::unique_ptr<HttpsClient>> clients;
  std::vector<ChurnStats> stats(options.churn_connections);
  WaitGroup connected;
  for (int i = 0; i < options.churn_connections; ++i) {
    clients.push_back(std::make_unique<HttpsClient>(pool.Next(), *tls, endpoint));
    Spawn(clients.back()->context(), ConnectOnly(clients.back().get(), &stats[i]), &connected);
  }
  if (!connected.WaitUntil(Clock::now() + std::chrono::seconds(60))) {
    return Fail("churn", absl::DeadlineExceededError("connections not established within 60 s"));
  }
  ChurnPlan plan;
  plan.pods_path = absl::StrCat("/api/v1/namespaces/", churn_ns, "/pods");
  plan.total = static_cast<int64_t>(options.churn_seconds * options.churn_rate);
  plan.keep = options.churn_keep;
  plan.period = FromSeconds(1.0 / options.churn_rate);
  plan.start = Clock::now() + std::chrono::milliseconds(100);
  CpuSample cpu_churn_before = SampleCpu(server_pid);
  WaitGroup finished;
  for (int i = 0; i < options.churn_connections; ++i) {
    Spawn(clients[i]->context(), ChurnWorker(clients[i].get(), &plan, &stats[i]), &finished);
  }
  bool churn_done = finished.WaitUntil(plan.start + FromSeconds(options.churn_seconds + 120));
  double churn_seconds = Seconds(Clock::now() - plan.start);
  CpuSample cpu_churn_after = SampleCpu(server_pid);
  sampler.Stop();
  pool.Stop();
  clients.clear();

  ChurnStats total;
  for (ChurnStats& s : stats) {
    total.create_ns.insert(total.create_ns.end(), s.create_ns.begin(), s.create_ns.end());
    total.delete_ns.insert(total.delete_ns.end(), s.delete_ns.begin(), s.delete_ns.end());
    total.create_failed += s.create_failed;
    total.delete_failed += s.delete_failed;
    total.max_start_lag_ns = std::max(total.max_start_lag_ns, s.max_start_lag_ns);
    if (total.first_error.empty()) total.first_error = s.first_error;
  }
  std::vector<int64_t> mutating = total.create_ns;
  mutating.insert(mutating.end(), total.delete_ns.begin(), total.delete_ns.end());
  LatencySummary creates = Summarize(total.create_ns);
  LatencySummary deletes = Summarize(total.delete_ns);
  LatencySummary all = Summarize(mutating);
  auto rss_end = RssBytes(server_pid);
  auto hwm_kb = ReadProcStatusKb(server_pid, "VmHWM");
  auto ready_end = CountReadyNodes(endpoint);
  PhaseHealth bringup = sampler.health(0);
  PhaseHealth churn = sampler.health(1);
  int64_t late_total = bringup.late + churn.late;
  int64_t max_rss = std::max({bringup.max_rss_bytes, churn.max_rss_bytes, rss_end.ok() ? *rss_end : 0});
  int64_t hwm = hwm_kb.ok() ? *hwm_kb * 1024 : 0;
  constexpr int64_t kRssTarget = 4LL * 1000 * 1000 * 1000;

  Report report("skiff scale bench: 150,000 pods on simulated nodes");
  report.AddMachine(machine);
  report.Section("server");
  report.Add("process", absl::StrCat(options.skiff_binary, " server --disable-agent (pid ", server_pid,
                                     ", started by the benchmark)"));
  report.Add("data dir", absl::StrCat((*server)->data_dir(),
                                      options.keep_files ? " (kept)" : " (fresh; removed at exit)"));
  report.Add("start to /readyz", absl::StrFormat("%.3f s", Seconds(*started)));
  report.Add("pod CIDRs", cidr_note);
  report.Section("simulated nodes");
  report.Add("command", sim.CommandLine());
  report.Add("nodes", absl::StrFormat("%d Ready after %.1f s (cpu 4, memory 16Gi, pods %d each; %d zones)",
                                      ready_nodes, nodes_seconds, options.node_pods, options.zones));
  report.Section("conditions");
  report.Add("pods", absl::StrFormat("%d in %d Deployments over %d namespaces (%.1f per node), 1 container, "
                                     "requests cpu 10m memory 16Mi",
                                     options.pods, deployments, namespaces,
                                     static_cast<double>(options.pods) / options.nodes));
  report.Add("churn", absl::StrFormat("%.0f s at %.0f pod creates/s (open loop over %d connections); each "
                                      "create also deletes the churn pod made %d creates earlier",
                                      options.churn_seconds, options.churn_rate, options.churn_connections,
                                      options.churn_keep));
  report.Add("sampling",
             absl::StrFormat("every %.0f s: all Leases of kube-node-lease (late = renewTime older "
                             "than leaseDurationSeconds when the list arrived) and server VmRSS",
                             options.sample_seconds));
  report.Section("results: bring-up");
  report.Add("all pods created", all_created_seconds > 0 ? absl::StrFormat("%.1f s", all_created_seconds)
                                                         : std::string("not reached"));
  report.Add(
      "all pods available",
      available_seconds > 0
          ? absl::StrFormat("%.1f s (%s)", available_seconds, FormatRate(options.pods / available_seconds))
          : absl::StrFormat("not reached: %d of %d after %.0f s%s", totals.available, options.pods,
                            Seconds(Clock::now() - rollout_start),
                            stalled ? absl::StrFormat(" (no progress for %.0f s)", options.stall_seconds)
                                    : std::string()));
  report.Add("cpu used", DescribeCpu(cpu_before, cpu_rolled));
  report.Add("RSS after bring-up",
             rss_after_rollout.ok() ? FormatMib(*rss_after_rollout) : std::string("n/a"));
  report.Add("leases", DescribeHealth(bringup, options.nodes));
  report.Section("results: churn");
  report.Add("ran", absl::StrFormat("%.1f s%s; started at most %s behind schedule", churn_seconds,
                                    churn_done ? "" : " (timed out)", FormatMs(total.max_start_lag_ns)));
  report.Add("creates", absl::StrCat(DescribeLatency(creates), " (", total.create_failed, " failed)"));
  report.Add("deletes", absl::StrCat(DescribeLatency(deletes), " (", total.delete_failed, " failed)"));
  if (!total.first_error.empty()) report.Add("first error", total.first_error);
  report.Add("mutating p50", FormatMs(all.p50_ns));
  report.Add("mutating p99", absl::StrCat(FormatMs(all.p99_ns), "  ",
                                          Verdict(all.count > 0 && all.p99_ns <= 1000000000LL &&
                                                      total.create_failed + total.delete_failed == 0,
                                                  "<= 1 s (target)")));
  report.Add("cpu used", DescribeCpu(cpu_churn_before, cpu_churn_after));
  report.Add("leases", DescribeHealth(churn, options.nodes));
  report.Section("results: overall");
  report.Add("server RSS", absl::StrCat("max sampled ", FormatMib(max_rss), ", at end ",
                                        rss_end.ok() ? FormatMib(*rss_end) : std::string("n/a")));
  report.Add("server VmHWM", absl::StrCat(hwm > 0 ? FormatMib(hwm) : std::string("n/a"), "  ",
                                          Verdict(hwm > 0 && hwm <= kRssTarget, "<= 4 GB (target)")));
  report.Add("lease renewals",
             absl::StrCat(late_total, " late readings over ", bringup.samples + churn.samples, " samples  ",
                          Verdict(late_total == 0 && bringup.failed_samples + churn.failed_samples == 0 &&
                                      bringup.samples + churn.samples > 0,
                                  "all on time (target)")));
  report.Add("Ready nodes at end", ready_end.ok() ? absl::StrFormat("%d of %d", *ready_end, options.nodes)
                                                  : ready_end.status().ToString());
  auto sim_cpu = ReadProcCpuSeconds(sim.pid());
  if (sim_cpu.ok()) report.Add("sim cpu", absl::StrFormat("%.1f s in total", *sim_cpu));
  report.Print(stdout);
  (void)sim.Stop();  // before the server, so the sim does not retry against a dead one
  return 0;
}

}  // namespace
}  // namespace skiff::bench

int main(int argc, char** argv) {
  using namespace skiff::bench;  // NOLINT(build/namespaces): main only wires the flags
  ScaleOptions o;
  CLI::App app{"scale_bench: server memory, mutating latency and lease health with many pods on sim nodes"};
  app.add_option("--skiff", o.skiff_binary, "skiff binary (server and sim)")->capture_default_str();
  app.add_option("--nodes", o.nodes, "simulated nodes")->capture_default_str();
  app.add_option("--node-pods", o.node_pods, "pod capacity per node (sim --pods)")->capture_default_str();
  app.add_option("--zones", o.zones, "zones the sim spreads nodes over")->capture_default_str();
  app.add_option("--sim-workers", o.sim_workers, "sim concurrent API writes")->capture_default_str();
  app.add_option("--ready-delay", o.ready_delay, "sim delay before a bound pod runs")->capture_default_str();
  app.add_option("--lease-interval", o.lease_interval, "sim lease renewal period")->capture_default_str();
  app.add_option("--pods", o.pods, "pods to create (as Deployments)")->capture_default_str();
  app.add_option("--namespaces", o.namespaces, "namespaces the Deployments are spread over")
      ->capture_default_str();
  app.add_option("--deployments", o.deployments, "Deployments")->capture_default_str();
  app.add_option("--churn-seconds", o.churn_seconds, "churn duration")->capture_default_str();
  app.add_option("--churn-rate", o.churn_rate, "churn pod creates per second")->capture_default_str();
  app.add_option("--churn-keep", o.churn_keep, "churn pods alive at once (delete lag in creates)")
      ->capture_default_str();
  app.add_option("--churn-connections", o.churn_connections, "churn connections")->capture_default_str();
  app.add_option("--sample-seconds", o.sample_seconds, "lease and RSS sampling period")
      ->capture_default_str();
  app.add_option("--node-timeout", o.node_timeout_seconds, "seconds to wait for the nodes")
      ->capture_default_str();
  app.add_option("--rollout-timeout", o.rollout_timeout_seconds, "seconds to wait for all pods")
      ->capture_default_str();
  app.add_option("--stall-timeout", o.stall_seconds, "give up waiting when availability stalls this long")
      ->capture_default_str();
  app.add_option("--cluster-cidr", o.cluster_cidr,
                 "server --cluster-cidr (auto: 10.0.0.0/8 when the server has the flag; empty: none)")
      ->capture_default_str();
  app.add_option("--node-cidr-mask-size", o.node_cidr_mask_size, "server --node-cidr-mask-size")
      ->capture_default_str();
  app.add_flag("--keep", o.keep_files, "keep the temporary data dir and logs");
  CLI11_PARSE(app, argc, argv);
  RaiseFileLimit();
  return RunScale(o);
}
