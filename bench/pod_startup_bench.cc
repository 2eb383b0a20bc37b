// pod_startup_bench: pod start-up latency and the node agent's footprint with real containers.
// It starts `skiff server --disable-agent` and a separate `skiff agent` process (so the agent's RSS
// and CPU are its own), imports the busybox test image, then:
//   1. creates --pods pods at once (one thread per create) and follows them with a watch: per pod,
//      creation -> scheduled (spec.nodeName), sandbox ready (PodReadyToStartContainers), container
//      started (state.running), Running+Ready observed; p50/p99 of each;
//   2. reports the agent's, the server's and containerd's RSS;
//   3. tops up to --idle-pods running pods and measures the agent's CPU over --idle-seconds.
// Everything (pods, containerd, mounts, bridge) is removed at the end with `skiff agent reset`.
// Needs root, containerd, runc and the CNI plugins. Usage:
//   pod_startup_bench [--skiff build/skiff] [--pods 50] [--idle-pods 100] [--idle-seconds 30]
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "CLI/CLI.hpp"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "agent_node.h"
#include "base/json.h"
#include "bench_util.h"
#include "benches.h"
#include "child_process.h"
#include "https_client.h"
#include "io_pool.h"
#include "skiff_process.h"

#ifndef SKIFF_OCI_IMAGE_PY
#define SKIFF_OCI_IMAGE_PY "scripts/oci_image.py"
#endif

namespace skiff::bench {
namespace {

namespace json = boost::json;

struct PodTimes {
  Clock::time_point created{}, scheduled{}, sandbox{}, started{}, ready{};
};

int64_t Ns(Clock::time_point from, Clock::time_point to) {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(to - from).count();
}

bool ContainerRunning(const json::value& pod) {
  const json::value* statuses = base::FindPath(pod, {"status", "containerStatuses"});
  if (!statuses || !statuses->is_array() || statuses->as_array().empty()) return false;
  return base::FindPath(statuses->as_array()[0], {"state", "running"}) != nullptr;
}

// The pid of the containerd whose command line mentions `config`.
pid_t FindContainerd(const std::string& config) {
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator("/proc", ec)) {
    std::string name = entry.path().filename().string();
    if (name.empty() || !std::all_of(name.begin(), name.end(), ::isdigit)) continue;
    std::ifstream in(entry.path() / "cmdline");
    std::string cmdline((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    std::replace(cmdline.begin(), cmdline.end(), '\0', ' ');
    if (cmdline.rfind("containerd ", 0) == 0 && cmdline.find(config) != std::string::npos) {
      return static_cast<pid_t>(std::stol(name));
    }
  }
  return 0;
}

std::string RssText(pid_t pid) {
  if (pid == 0) return "unknown";
  auto kb = ReadProcStatusKb(pid, "VmRSS");
  return kb.ok() ? FormatMib(*kb * 1024) : "unknown";
}

class Bench {
 public:
  Bench(std::string skiff, int pods, int idle_pods, int idle_seconds)
      : pods_(pods), idle_pods_(idle_pods), idle_seconds_(idle_seconds), node_(std::move(skiff)) {}

  int Run();

 private:
  absl::Status Setup();
  void Teardown();
  void StartWatch();
  void OnLine(std::string_view line, Clock::time_point arrival);
  // Creates pods [from, to) at once; returns how many creates failed.
  int CreatePods(int from, int to);
  bool WaitReady(int count, std::chrono::seconds timeout);

  int pods_, idle_pods_, idle_seconds_;
  AgentNode node_;
  std::string ns_ = "default";

  std::mutex mu_;
  std::map<std::string, PodTimes> times_;
  std::thread watch_thread_;
  std::unique_ptr<boost::asio::io_context> watch_context_;
  std::unique_ptr<HttpsClient> watch_client_;
};

absl::Status Bench::Setup() { return node_.Start(SKIFF_OCI_IMAGE_PY); }

void Bench::OnLine(std::string_view line, Clock::time_point arrival) {
  auto event = base::ParseJson(line);
  if (!event.ok()) return;
  const json::value* pod = base::Find(*event, "object");
  if (!pod) return;
  std::string name = base::GetString(*pod, {"metadata", "name"});
  std::lock_guard<std::mutex> lock(mu_);
  auto it = times_.find(name);
  if (it == times_.end()) return;
  PodTimes& t = it->second;
  auto mark = [&](Clock::time_point& at, bool now) {
    if (now && at == Clock::time_point{}) at = arrival;
  };
  mark(t.scheduled, !base::GetString(*pod, {"spec", "nodeName"}).empty());
  mark(t.sandbox, ConditionTrue(*pod, "PodReadyToStartContainers"));
  mark(t.started, ContainerRunning(*pod));
  mark(t.ready, ConditionTrue(*pod, "Ready") && base::GetString(*pod, {"status", "phase"}) == "Running");
}

void Bench::StartWatch() {
  auto tls = MakeTlsContext(node_.server()->endpoint().ca_file);
  if (!tls.ok()) return;
  watch_context_ = std::make_unique<boost::asio::io_context>();
  watch_client_ = std::make_unique<HttpsClient>(*watch_context_, *tls, node_.server()->endpoint());
  std::string target =
      absl::StrCat("/api/v1/namespaces/", ns_, "/pods?watch=true&labelSelector=bench%3Dstartup");
  boost::asio::co_spawn(*watch_context_,
                        watch_client_->Stream(
                            target, Clock::now() + std::chrono::hours(1), [] {},
                            [this](std::string_view line, Clock::time_point at) { OnLine(line, at); }),
                        [](std::exception_ptr, absl::Status) {});
  watch_thread_ = std::thread([this] { watch_context_->run(); });
  std::this_thread::sleep_for(std::chrono::milliseconds(500));  // the watch is open before creates
}

int Bench::CreatePods(int from, int to) {
  std::atomic<int> failed{0};
  std::vector<std::thread> threads;
  for (int i = from; i < to; ++i) {
    std::string name = absl::StrCat("startup-", i);
    {
      std::lock_guard<std::mutex> lock(mu_);
      times_[name] = {};
    }
    threads.emplace_back([this, name, &failed] {
      std::string body = absl::StrCat(
          R"({"apiVersion":"v1","kind":"Pod","metadata":{"name":")", name,
          R"(","labels":{"bench":"startup"}},"spec":{"terminationGracePeriodSeconds":1,"containers":[{"name":"main",)",
          R"("image":"skiff.local/busybox:1.35","imagePullPolicy":"Never","command":["sleep","3600"]}]}})");
      Clock::time_point sent = Clock::now();
      {
        std::lock_guard<std::mutex> lock(mu_);
        times_[name].created = sent;
      }
      auto r = SendOnce(node_.server()->endpoint(), "POST", absl::StrCat("/api/v1/namespaces/", ns_, "/pods"),
                        body);
      if (!r.ok() || r->status != 201) failed++;
    });
  }
  for (auto& t : threads) t.join();
  return failed.load();
}

bool Bench::WaitReady(int count, std::chrono::seconds timeout) {
  Clock::time_point deadline = Clock::now() + timeout;
  while (Clock::now() < deadline) {
    int ready = 0;
    {
      std::lock_guard<std::mutex> lock(mu_);
      for (const auto& [name, t] : times_) ready += t.ready != Clock::time_point{};
    }
    if (ready >= count) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  return false;
}

void Bench::Teardown() {
  if (node_.server()) {
    (void)SendOnce(node_.server()->endpoint(), "DELETE",
                   absl::StrCat("/api/v1/namespaces/", ns_, "/pods?labelSelector=bench%3Dstartup"), "");
  }
  if (watch_client_) watch_client_->Cancel();
  if (watch_context_) watch_context_->stop();
  if (watch_thread_.joinable()) watch_thread_.join();
  watch_client_.reset();
  node_.Stop();
}

int Bench::Run() {
  MachineInfo machine = ReadMachineInfo();
  if (absl::Status s = Setup(); !s.ok()) {
    std::fprintf(stderr, "pod_startup_bench: %s\n", s.ToString().c_str());
    Teardown();
    return 1;
  }
  pid_t containerd = FindContainerd(node_.agent_dir() + "/containerd/config.toml");
  std::string agent_rss_idle = RssText(node_.agent_pid()), server_rss_idle = RssText(node_.server()->pid());
  std::string containerd_rss_idle = RssText(containerd);
  StartWatch();
  Clock::time_point t0 = Clock::now();
  int failed = CreatePods(0, pods_);
  bool all_ready = WaitReady(pods_, std::chrono::seconds(180));
  double wall = std::chrono::duration<double>(Clock::now() - t0).count();

  std::vector<int64_t> sched, sandbox, started, ready, status_lag;
  {
    std::lock_guard<std::mutex> lock(mu_);
    for (const auto& [name, t] : times_) {
      if (t.ready == Clock::time_point{}) continue;
      if (t.scheduled != Clock::time_point{}) sched.push_back(Ns(t.created, t.scheduled));
      if (t.sandbox != Clock::time_point{}) sandbox.push_back(Ns(t.created, t.sandbox));
      if (t.started != Clock::time_point{}) started.push_back(Ns(t.created, t.started));
      ready.push_back(Ns(t.created, t.ready));
    }
  }
  auto line = [](const char* what, std::vector<int64_t> v) {
    LatencySummary s = Summarize(std::move(v));
    std::printf("  %-38s p50 %s  p99 %s  max %s  (n=%zu)\n", what, FormatMs(s.p50_ns).c_str(),
                FormatMs(s.p99_ns).c_str(), FormatMs(s.max_ns).c_str(), s.count);
  };
  std::printf("pod_startup_bench: %d busybox pods created at once on one node (image present)\n", pods_);
  std::printf(
      "  machine: %d CPUs (%s), %lld MiB RAM, load %s; Debug/Release as built; containerd + runc, CNI "
      "bridge\n",
      machine.cpus, machine.cpu_model.c_str(), static_cast<long long>(machine.mem_total_kb / 1024),
      machine.load_average.c_str());
  std::printf("  create failures: %d; all Running+Ready: %s; wall time %.2f s\n", failed,
              all_ready ? "yes" : "NO", wall);
  std::printf(" latency from the create request (watch arrival at the client):\n");
  line("scheduled (spec.nodeName)", sched);
  line("sandbox ready (PodReadyToStartContainers)", sandbox);
  line("container started (state.running)", started);
  LatencySummary total = Summarize(ready);
  line("Running+Ready observed", ready);
  std::printf("  p50 %s; p99 %s\n", Verdict(total.p50_ns <= 300'000'000, "300 ms").c_str(),
              Verdict(total.p99_ns <= 1'000'000'000, "1 s").c_str());
  auto agent_kb = ReadProcStatusKb(node_.agent_pid(), "VmRSS");
  std::printf(" memory (RSS): agent (separate `skiff agent` process) idle %s, with %d pods %s; %s\n",
              agent_rss_idle.c_str(), pods_, RssText(node_.agent_pid()).c_str(),
              Verdict(agent_kb.ok() && *agent_kb <= 20 * 1024, "<= 20 MB").c_str());
  std::printf("  server (--disable-agent) idle %s, now %s; containerd idle %s, now %s\n",
              server_rss_idle.c_str(), RssText(node_.server()->pid()).c_str(), containerd_rss_idle.c_str(),
              RssText(containerd).c_str());

  if (idle_pods_ > pods_) {
    int more_failed = CreatePods(pods_, idle_pods_);
    bool ok = WaitReady(idle_pods_, std::chrono::seconds(300));
    std::printf(" idle with %d pods running (%s, %d create failures):\n", idle_pods_,
                ok ? "all Ready" : "NOT all Ready", more_failed);
    std::this_thread::sleep_for(std::chrono::seconds(5));  // let the last status writes settle
    auto a0 = ReadProcCpuSeconds(node_.agent_pid()), c0 = ReadProcCpuSeconds(containerd);
    auto s0 = ReadProcCpuSeconds(node_.server()->pid());
    std::this_thread::sleep_for(std::chrono::seconds(idle_seconds_));
    auto a1 = ReadProcCpuSeconds(node_.agent_pid()), c1 = ReadProcCpuSeconds(containerd);
    auto s1 = ReadProcCpuSeconds(node_.server()->pid());
    auto pct = [&](const absl::StatusOr<double>& x0, const absl::StatusOr<double>& x1) {
      return (x0.ok() && x1.ok()) ? absl::StrFormat("%.2f%% of a core", (*x1 - *x0) / idle_seconds_ * 100.0)
                                  : std::string("unknown");
    };
    std::printf("  CPU over %d s: agent %s, containerd %s, server %s\n", idle_seconds_, pct(a0, a1).c_str(),
                pct(c0, c1).c_str(), pct(s0, s1).c_str());
    std::printf("  RSS: agent %s, containerd %s, server %s\n", RssText(node_.agent_pid()).c_str(),
                RssText(containerd).c_str(), RssText(node_.server()->pid()).c_str());
  }
  Teardown();
  return all_ready && failed == 0 ? 0 : 1;
}

}  // namespace
}  // namespace skiff::bench

int main(int argc, char** argv) {
  CLI::App app("pod start-up latency and node agent footprint with real containers");
  std::string skiff = "build/skiff";
  int pods = 50, idle_pods = 100, idle_seconds = 30;
  app.add_option("--skiff", skiff, "skiff binary")->capture_default_str();
  app.add_option("--pods", pods, "pods created at once")->capture_default_str();
  app.add_option("--idle-pods", idle_pods, "running pods for the idle CPU figure (0: skip)")
      ->capture_default_str();
  app.add_option("--idle-seconds", idle_seconds, "idle CPU measurement time")->capture_default_str();
  CLI11_PARSE(app, argc, argv);
  if (geteuid() != 0) {
    std::fprintf(stderr, "pod_startup_bench: needs root (containers)\n");
    return 1;
  }
  skiff = std::filesystem::absolute(skiff).string();
  signal(SIGPIPE, SIG_IGN);
  return skiff::bench::Bench(skiff, pods, idle_pods, idle_seconds).Run();
}
