// Figure (a): ConfigMap create throughput and latency, and the create loop other figures reuse
// (--compare-etcd is in create_etcd_bench.cc).
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <memory>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "base/json.h"
#include "base/process.h"
#include "benches.h"
#include "boost/asio/ssl/context.hpp"
#include "io_pool.h"

namespace skiff::bench {
namespace asio = boost::asio;

namespace {

constexpr auto kRequestTimeout = std::chrono::seconds(10);
// A connection that fails this many requests in a row gives up.
constexpr int kMaxConsecutiveFailures = 5;

struct CreatePlan {
  std::string path;
  std::string name_prefix;
  std::atomic<int64_t> next{0};
  int64_t max_objects = 0;
  Clock::time_point deadline;
};

struct WorkerStats {
  int64_t created = 0;
  int64_t failed = 0;
  Clock::time_point last_done;
  std::vector<int64_t> latencies_ns;
  std::string first_error;
};

std::string ConfigMapJson(std::string_view name, std::string_view payload) {
  return absl::StrCat(R"({"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":")", Av(name),
                      R"("},"data":{"payload":")", Av(payload), R"("}})");
}

asio::awaitable<void> ConnectWorker(HttpsClient* client, WorkerStats* stats) {
  absl::Status status = co_await client->Connect(kRequestTimeout);
  if (!status.ok()) stats->first_error = status.ToString();
}

asio::awaitable<void> CreateWorker(HttpsClient* client, CreatePlan* plan, std::string payload,
                                   WorkerStats* stats) {
  int consecutive_failures = 0;
  while (Clock::now() < plan->deadline) {
    int64_t index = plan->next.fetch_add(1);
    if (index >= plan->max_objects) break;
    std::string body = ConfigMapJson(absl::StrCat(plan->name_prefix, index), payload);
    Clock::time_point sent = Clock::now();
    auto response = co_await client->Send("POST", plan->path, std::move(body), kRequestTimeout);
    Clock::time_point done = Clock::now();
    if (response.ok() && response->status == 201) {
      stats->latencies_ns.push_back(std::chrono::nanoseconds(done - sent).count());
      stats->created++;
      stats->last_done = done;
      consecutive_failures = 0;
      continue;
    }
    stats->failed++;
    if (stats->first_error.empty()) {
      stats->first_error = response.ok()
                               ? absl::StrCat("HTTP ", response->status, ": ", response->body.substr(0, 300))
                               : response.status().ToString();
    }
    if (++consecutive_failures >= kMaxConsecutiveFailures) break;
  }
}

}  // namespace

absl::StatusOr<HttpResponse> SendOnce(const Endpoint& endpoint, std::string_view method,
                                      std::string_view target, std::string body) {
  auto tls = MakeTlsContext(endpoint.ca_file);
  if (!tls.ok()) return tls.status();
  asio::io_context context;
  HttpsClient client(context, *tls, endpoint);
  return RunSync(context, client.Send(method, target, std::move(body), std::chrono::seconds(60)));
}

absl::Status EnsureNamespace(const Endpoint& endpoint, const std::string& ns) {
  auto response =
      SendOnce(endpoint, "POST", "/api/v1/namespaces",
               absl::StrCat(R"({"apiVersion":"v1","kind":"Namespace","metadata":{"name":")", ns, R"("}})"));
  if (!response.ok()) return response.status();
  if (response->status != 201 && response->status != 409) {
    return absl::InternalError(
        absl::StrCat("create namespace ", ns, ": HTTP ", response->status, " ", response->body));
  }
  return absl::OkStatus();
}

absl::StatusOr<int64_t> CountItems(const std::string& list_body) {
  auto parsed = base::ParseJson(list_body);
  if (!parsed.ok()) return parsed.status();
  const boost::json::value* items = base::Find(*parsed, "items");
  if (items == nullptr || !items->is_array()) return absl::InternalError("LIST response has no items array");
  return static_cast<int64_t>(items->as_array().size());
}

absl::StatusOr<CreateResult> RunCreates(const Endpoint& endpoint, const CreateOptions& options) {
  auto tls = MakeTlsContext(endpoint.ca_file);
  if (!tls.ok()) return tls.status();
  CreatePlan plan;
  plan.path = absl::StrCat("/api/v1/namespaces/", options.ns, "/configmaps");
  plan.name_prefix = absl::StrCat("cm-", RunId(), "-");
  plan.max_objects = options.max_objects;

  IoPool pool(options.threads);
  std::vector<std::unique_ptr<HttpsClient>> clients;
  std::vector<WorkerStats> stats(options.connections);
  WaitGroup connected;
  for (int i = 0; i < options.connections; ++i) {
    clients.push_back(std::make_unique<HttpsClient>(pool.Next(), *tls, endpoint));
    Spawn(clients.back()->context(), ConnectWorker(clients.back().get(), &stats[i]), &connected);
  }
  if (!connected.WaitUntil(Clock::now() + std::chrono::seconds(60))) {
    pool.Stop();
    return absl::DeadlineExceededError("connections not established within 60 s");
  }
  for (const WorkerStats& s : stats) {
    if (!s.first_error.empty()) {
      pool.Stop();
      return absl::UnavailableError(absl::StrCat("connect: ", s.first_error));
    }
  }

  WaitGroup finished;
  Clock::time_point start = Clock::now();
  plan.deadline =
      start + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(options.seconds));
  for (int i = 0; i < options.connections; ++i) {
    stats[i].last_done = start;
    Spawn(clients[i]->context(),
          CreateWorker(clients[i].get(), &plan, MakePayload(options.object_bytes, i), &stats[i]), &finished);
  }
  // Each request has its own timeout, so the loops end soon after the deadline.
  bool done = finished.WaitUntil(plan.deadline + kRequestTimeout + std::chrono::seconds(5));
  pool.Stop();
  if (!done) return absl::DeadlineExceededError("create loops did not finish");

  CreateResult result;
  Clock::time_point last = start;
  for (WorkerStats& s : stats) {
    result.created += s.created;
    result.failed += s.failed;
    last = std::max(last, s.last_done);
    result.latencies_ns.insert(result.latencies_ns.end(), s.latencies_ns.begin(), s.latencies_ns.end());
    if (result.first_error.empty()) result.first_error = s.first_error;
  }
  result.seconds = std::chrono::duration<double>(last - start).count();
  return result;
}

namespace {

constexpr char kBenchUser[] = "bench-user";

// Grants kBenchUser create on ConfigMaps in `ns` through a Role and a RoleBinding.
absl::Status BindBenchUser(const Endpoint& admin, const std::string& ns) {
  std::string base = absl::StrCat("/apis/rbac.authorization.k8s.io/v1/namespaces/", ns);
  auto role = SendOnce(admin, "POST", base + "/roles",
                       absl::StrCat(R"({"apiVersion":"rbac.authorization.k8s.io/v1","kind":"Role",)",
                                    R"("metadata":{"name":"configmap-writer"},"rules":[{"apiGroups":[""],)",
                                    R"("resources":["configmaps"],"verbs":["create","get","list"]}]})"));
  if (!role.ok()) return role.status();
  auto binding = SendOnce(
      admin, "POST", base + "/rolebindings",
      absl::StrCat(R"({"apiVersion":"rbac.authorization.k8s.io/v1","kind":"RoleBinding",)",
                   R"("metadata":{"name":"bench-user-writes"},"roleRef":{"apiGroup":"rbac.authorization.k8s.io",)",
                   R"("kind":"Role","name":"configmap-writer"},"subjects":[{"apiGroup":"rbac.authorization.k8s.io",)",
                   R"("kind":"User","name":")", kBenchUser, R"("}]})"));
  if (!binding.ok()) return binding.status();
  for (const auto* r : {&*role, &*binding}) {
    if (r->status != 201 && r->status != 409) {
      return absl::InternalError(absl::StrCat("RBAC setup: HTTP ", r->status, " ", r->body));
    }
  }
  return absl::OkStatus();
}

void AddResults(Report& report, const std::string& who, const CreateResult& result) {
  double rate = result.seconds > 0 ? result.created / result.seconds : 0;
  LatencySummary latency = Summarize(result.latencies_ns);
  report.Add(who + " created", absl::StrFormat("%d objects in %.2f s (%d failed)", result.created, result.seconds,
                                               result.failed));
  if (!result.first_error.empty()) report.Add(who + " first error", result.first_error);
  report.Add(who + " throughput", FormatRate(rate));
  report.Add(who + " latency p50 / p99", absl::StrCat(FormatMs(latency.p50_ns), " / ", FormatMs(latency.p99_ns)));
}

// The admin run and a run as kBenchUser (bound by a RoleBinding) against one server.
int RunCreateBenchWithRbacUser(TargetOptions target_options, CreateOptions options) {
  if (!target_options.server_url.empty()) {
    std::fprintf(stderr, "create --rbac-user: needs a server it starts (it adds a token file)\n");
    return 2;
  }
  MachineInfo machine = ReadMachineInfo();
  std::string user_token = absl::StrCat("bench-", RunId(), "-", getpid());
  std::string token_file = absl::StrCat("/tmp/skiff-bench-tokens-", getpid(), ".csv");
  {
    std::ofstream out(token_file);
    out << user_token << "," << kBenchUser << ",bench-user-uid\n";
    if (!out) {
      std::fprintf(stderr, "create: cannot write %s\n", token_file.c_str());
      return 1;
    }
  }
  target_options.server_args.insert(target_options.server_args.end(), {"--token-auth-file", token_file});
  auto target = BenchTarget::Open(target_options);
  std::remove(token_file.c_str());
  if (!target.ok()) {
    std::fprintf(stderr, "create: %s\n", target.status().ToString().c_str());
    return 1;
  }
  const Endpoint& admin = (*target)->endpoint();
  Endpoint user = admin;
  user.token = user_token;
  CreateOptions user_options = options;
  user_options.ns = options.ns + "-rbac";
  for (const std::string& ns : {options.ns, user_options.ns}) {
    if (absl::Status s = EnsureNamespace(admin, ns); !s.ok()) {
      std::fprintf(stderr, "create: %s\n", s.ToString().c_str());
      return 1;
    }
  }
  if (absl::Status s = BindBenchUser(admin, user_options.ns); !s.ok()) {
    std::fprintf(stderr, "create: %s\n", s.ToString().c_str());
    return 1;
  }
  auto as_admin = RunCreates(admin, options);
  auto as_user = as_admin.ok() ? RunCreates(user, user_options) : as_admin;
  if (!as_user.ok()) {
    std::fprintf(stderr, "create: %s\n", as_user.status().ToString().c_str());
    return 1;
  }
  Report report("skiff apiserver bench: (a) ConfigMap creates, cluster-admin vs a RoleBinding-bound user");
  report.AddMachine(machine);
  (*target)->Describe(report);
  report.Section("conditions");
  report.Add("operation", "POST /api/v1/namespaces/NS/configmaps (JSON), authorization mode RBAC");
  report.Add("object", absl::StrCat("ConfigMap with a ", options.object_bytes, "-byte data value"));
  report.Add("connections", absl::StrCat(options.connections, " keep-alive HTTPS, bearer token, closed loop"));
  report.Add("admin", "client of group system:masters (allowed before any RBAC rule is looked at)");
  report.Add(kBenchUser, "static token user, create on configmaps through a Role + RoleBinding in its namespace");
  report.Add("limits",
             absl::StrFormat("%.1f s or %d objects per run, whichever first", options.seconds, options.max_objects));
  report.Section("results");
  AddResults(report, "admin", *as_admin);
  AddResults(report, kBenchUser, *as_user);
  report.Add("server RSS after", RssText((*target)->pid()));
  report.Print(stdout);
  return 0;
}

}  // namespace

absl::StatusOr<CreateFigures> MeasureCreates(const TargetOptions& target_options,
                                             const CreateOptions& options, const MachineInfo& machine,
                                             const std::string& title, pid_t store_pid) {
  auto target = BenchTarget::Open(target_options);
  if (!target.ok()) return target.status();
  const Endpoint& endpoint = (*target)->endpoint();
  if (absl::Status ns = EnsureNamespace(endpoint, options.ns); !ns.ok()) return ns;
  // The store's CPU is read right beside the server's, so that both cover the same creates.
  auto store_before = store_pid > 0 ? ReadProcCpuSeconds(store_pid) : absl::StatusOr<double>(-1.0);
  CpuSample cpu_before = SampleCpu((*target)->pid());
  auto result = RunCreates(endpoint, options);
  CpuSample cpu_after = SampleCpu((*target)->pid());
  auto store_after = store_pid > 0 ? ReadProcCpuSeconds(store_pid) : absl::StatusOr<double>(-1.0);
  if (!result.ok()) return result.status();
  CreateFigures figures;
  figures.rate = result->seconds > 0 ? result->created / result->seconds : 0;
  figures.latency = Summarize(result->latencies_ns);
  figures.created = result->created;
  if (cpu_before.server_seconds >= 0 && cpu_after.server_seconds >= 0)
    figures.server_cpu_seconds = cpu_after.server_seconds - cpu_before.server_seconds;
  figures.client_cpu_seconds = cpu_after.client_seconds - cpu_before.client_seconds;
  if (store_pid > 0 && store_before.ok() && store_after.ok())
    figures.store_cpu_seconds = *store_after - *store_before;
  const LatencySummary& latency = figures.latency;

  Report report(title);
  report.AddMachine(machine);
  (*target)->Describe(report);
  report.Section("conditions");
  report.Add("operation", absl::StrCat("POST /api/v1/namespaces/", options.ns, "/configmaps (JSON)"));
  report.Add("object", absl::StrCat("ConfigMap with a ", options.object_bytes, "-byte data value"));
  report.Add("connections",
             absl::StrCat(options.connections, " keep-alive HTTPS, bearer token, closed loop"));
  report.Add("client threads", absl::StrCat(options.threads));
  report.Add("limits",
             absl::StrFormat("%.1f s or %d objects, whichever first", options.seconds, options.max_objects));
  report.Add("audit log",
             target_options.audit_log ? "DATA_DIR/audit.log, Metadata level for every request" : "off");
  report.Section("results");
  report.Add("created", absl::StrFormat("%d objects in %.2f s (%d failed)", result->created, result->seconds,
                                        result->failed));
  if (!result->first_error.empty()) report.Add("first error", result->first_error);
  report.Add("throughput",
             absl::StrCat(FormatRate(figures.rate), "  ", Verdict(figures.rate >= 20000, ">= 20,000/s")));
  report.Add("latency p50", FormatMs(latency.p50_ns));
  report.Add("latency p99",
             absl::StrCat(FormatMs(latency.p99_ns), "  ", Verdict(latency.p99_ns <= 10'000'000, "<= 10 ms")));
  report.Add("latency max", FormatMs(latency.max_ns));
  report.Add("latency mean", FormatMs(latency.mean_ns));
  report.Add("cpu used", DescribeCpu(cpu_before, cpu_after));
  if (store_pid > 0) {
    report.Add("store cpu used", figures.store_cpu_seconds >= 0
                                     ? absl::StrFormat("etcd %.2f s", figures.store_cpu_seconds)
                                     : std::string("unknown"));
  }
  report.Add("server RSS after", RssText((*target)->pid()));
  if (target_options.audit_log && (*target)->process()) {
    std::string log = (*target)->process()->data_dir() + "/audit.log";
    std::ifstream in(log, std::ios::binary);
    int64_t lines = 0;
    int64_t bytes = 0;
    for (std::string line; std::getline(in, line);) {
      ++lines;
      bytes += static_cast<int64_t>(line.size()) + 1;
    }
    report.Add("audit log written",
               absl::StrFormat("%d lines, %s (read after the run)", lines, FormatMib(bytes)));
  }
  report.Print(stdout);
  return figures;
}

int RunCreateBench(const TargetOptions& target_options, const CreateOptions& options) {
  if (options.compare_rbac_user) return RunCreateBenchWithRbacUser(target_options, options);
  if (options.compare_etcd) return RunCreateBenchComparingEtcd(target_options, options);
  MachineInfo machine = ReadMachineInfo();
  if (!options.compare_audit) {
    auto figures =
        MeasureCreates(target_options, options, machine, "skiff apiserver bench: (a) ConfigMap creates");
    if (!figures.ok()) {
      std::fprintf(stderr, "create: %s\n", figures.status().ToString().c_str());
      return 1;
    }
    return 0;
  }
  if (!target_options.server_url.empty()) {
    std::fprintf(stderr, "create: --compare-audit starts its own servers; drop --server\n");
    return 1;
  }
  TargetOptions plain = target_options;
  plain.audit_log = false;
  TargetOptions audited = target_options;
  audited.audit_log = true;
  auto without =
      MeasureCreates(plain, options, machine, "skiff apiserver bench: (a) ConfigMap creates, no audit log");
  if (!without.ok()) {
    std::fprintf(stderr, "create: %s\n", without.status().ToString().c_str());
    return 1;
  }
  auto with = MeasureCreates(audited, options, machine,
                             "skiff apiserver bench: (a) ConfigMap creates, audit log at Metadata level");
  if (!with.ok()) {
    std::fprintf(stderr, "create (audited): %s\n", with.status().ToString().c_str());
    return 1;
  }
  Report report("skiff apiserver bench: audit log cost (same run, fresh server each)");
  report.Section("results");
  report.Add(
      "throughput",
      absl::StrFormat("%s without, %s with (%+.1f%%)", FormatRate(without->rate), FormatRate(with->rate),
                      without->rate > 0 ? 100.0 * (with->rate / without->rate - 1) : 0.0));
  report.Add("latency p50", absl::StrCat(FormatMs(without->latency.p50_ns), " without, ",
                                         FormatMs(with->latency.p50_ns), " with"));
  report.Add("latency p99", absl::StrCat(FormatMs(without->latency.p99_ns), " without, ",
                                         FormatMs(with->latency.p99_ns), " with"));
  report.Print(stdout);
  return 0;
}

}  // namespace skiff::bench
