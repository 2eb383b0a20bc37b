// coldstart_bench: scale to zero's cold start — from a connection to a Service whose Deployment is
// at 0 replicas to the first response byte, through the agent's activator, image present
// (target: p50 <= 400 ms, p99 <= 800 ms over 20 trials).
// It starts `skiff server --disable-agent` and a separate `skiff agent` process, imports the busybox
// test image, and creates a busybox httpd Deployment at 0 replicas, a ClusterIP Service for it and
// an HPA with minReplicas 0 describing the Service (the mark of scale to zero; its scale-up is
// disabled and its scale-down window is an hour, so only the activator and the bench scale). Each
// trial waits until no pod is left and the proxy redirects the Service to the activator, then
// opens a TCP connection to the ClusterIP from the host, sends an HTTP/1.0 GET and times the first
// response byte. Watches on the Deployment, its pods and the Service's EndpointSlices time each
// phase (arrival at the bench, from the connect): scale written, pod created, scheduled, sandbox
// ready, container started, Ready, endpoint in the API; the activator's own log line gives the
// moment the proxy had programmed the endpoint. Then the bench scales back to 0 (scale subresource).
// Traffic goes only to the Service's ClusterIP and the API server on loopback. Everything is
// removed at the end (`skiff agent reset`). Needs root, containerd, runc, the CNI plugins and nft.
// Usage: coldstart_bench [--skiff build/skiff] [--trials 20]
#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <mutex>
#include <regex>
#include <string>
#include <thread>
#include <vector>

#include "CLI/CLI.hpp"
#include "boost/asio/co_spawn.hpp"
#include "boost/asio/io_context.hpp"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "agent_node.h"
#include "base/json.h"
#include "base/process.h"
#include "bench_util.h"
#include "benches.h"
#include "child_process.h"
#include "https_client.h"

#ifndef SKIFF_OCI_IMAGE_PY
#define SKIFF_OCI_IMAGE_PY "scripts/oci_image.py"
#endif

namespace skiff::bench {
namespace {

namespace json = boost::json;

constexpr char kName[] = "coldstart";

// Phase names in the order of a cold start.
const std::vector<std::string> kPhases = {"scale written",    "pod created",         "pod scheduled",
                                          "sandbox ready",    "container started",   "pod Ready",
                                          "endpoint in API",  "endpoint programmed", "first byte"};

bool ContainerRunning(const json::value& pod) {
  const json::value* statuses = base::FindPath(pod, {"status", "containerStatuses"});
  if (!statuses || !statuses->is_array() || statuses->as_array().empty()) return false;
  return base::FindPath(statuses->as_array()[0], {"state", "running"}) != nullptr;
}

bool SliceHasReadyEndpoint(const json::value& slice) {
  const json::value* endpoints = base::Find(slice, "endpoints");
  if (endpoints == nullptr || !endpoints->is_array()) return false;
  for (const json::value& e : endpoints->as_array()) {
    if (base::GetBool(e, {"conditions", "ready"}, true)) return true;
  }
  return false;
}

// The ms of the last "activator: default/coldstart activated: ... endpoint programmed after N ms"
// line of the agent's log (-1 when none).
int64_t ProgrammedAfterMs(const std::string& log_path, size_t* seen_lines) {
  std::ifstream in(log_path);
  std::string line;
  int64_t found = -1;
  size_t n = 0;
  static const std::regex kLine("activator: default/coldstart activated: .* endpoint programmed after ([0-9]+) ms");
  while (std::getline(in, line)) {
    if (++n <= *seen_lines) continue;
    std::smatch m;
    if (std::regex_search(line, m, kLine)) found = std::stoll(m[1].str());
  }
  *seen_lines = n;
  return found;
}

// Connects to ip:port, sends a GET and returns the time the first response byte arrived (after
// reading the whole response), or nullopt.
std::optional<Clock::time_point> FirstByte(const std::string& ip, int port, std::string* response) {
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return std::nullopt;
  timeval tv{.tv_sec = 30, .tv_usec = 0};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  inet_pton(AF_INET, ip.c_str(), &addr.sin_addr);
  std::optional<Clock::time_point> first;
  const std::string request = "GET / HTTP/1.0\r\n\r\n";
  if (connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0 &&
      send(fd, request.data(), request.size(), MSG_NOSIGNAL) == static_cast<ssize_t>(request.size())) {
    char buffer[4096];
    ssize_t n;
    while ((n = recv(fd, buffer, sizeof(buffer), 0)) > 0) {
      if (!first) first = Clock::now();
      response->append(buffer, static_cast<size_t>(n));
    }
  }
  close(fd);
  return first;
}

class Bench {
 public:
  Bench(std::string skiff, int trials) : trials_(trials), node_(std::move(skiff)) {}
  int Run();

 private:
  absl::Status Setup();
  absl::Status Create(const std::string& path, const std::string& body);
  void StartWatches();
  void OnEvent(const std::string& kind, std::string_view line, Clock::time_point arrival);
  void Mark(const std::string& phase, Clock::time_point at);  // first arrival in the trial wins
  absl::Status ScaleTo(int replicas);
  bool WaitNoPods(std::chrono::seconds timeout);
  bool WaitActivateRules(std::chrono::seconds timeout);
  void Teardown();

  int trials_;
  AgentNode node_;
  std::string cluster_ip_;

  std::mutex mu_;
  bool in_trial_ = false;
  std::map<std::string, Clock::time_point> marks_;
  std::thread watch_thread_;
  std::unique_ptr<boost::asio::io_context> context_;
  std::vector<std::unique_ptr<HttpsClient>> watchers_;
};

absl::Status Bench::Create(const std::string& path, const std::string& body) {
  auto r = SendOnce(node_.server()->endpoint(), "POST", path, body);
  if (!r.ok()) return r.status();
  if (r->status != 201) return absl::InternalError(absl::StrCat("POST ", path, ": ", r->status, " ", r->body));
  if (absl::StrContains(path, "/services")) {
    auto created = base::ParseJson(r->body);
    if (created.ok()) cluster_ip_ = base::GetString(*created, {"spec", "clusterIP"});
  }
  return absl::OkStatus();
}

absl::Status Bench::Setup() {
  if (absl::Status s = node_.Start(SKIFF_OCI_IMAGE_PY); !s.ok()) return s;
  absl::Status s = Create("/apis/apps/v1/namespaces/default/deployments", R"({"apiVersion":"apps/v1",
      "kind":"Deployment","metadata":{"name":"coldstart"},"spec":{"replicas":0,
      "selector":{"matchLabels":{"app":"coldstart"}},"template":{"metadata":{"labels":{"app":"coldstart"}},
      "spec":{"terminationGracePeriodSeconds":0,"containers":[{"name":"httpd","image":"skiff.local/busybox:1.35",
      "imagePullPolicy":"Never","command":["sh","-c","mkdir -p /www && echo ok > /www/index.html && exec httpd -f -p 8080 -h /www"],
      "ports":[{"name":"http","containerPort":8080}]}]}}}})");
  if (s.ok()) {
    s = Create("/api/v1/namespaces/default/services", R"({"apiVersion":"v1","kind":"Service",
        "metadata":{"name":"coldstart"},"spec":{"selector":{"app":"coldstart"},
        "ports":[{"name":"http","port":80,"targetPort":"http"}]}})");
  }
  if (s.ok()) {
    s = Create("/apis/autoscaling/v2/namespaces/default/horizontalpodautoscalers", R"({"apiVersion":"autoscaling/v2",
        "kind":"HorizontalPodAutoscaler","metadata":{"name":"coldstart"},"spec":{
        "scaleTargetRef":{"apiVersion":"apps/v1","kind":"Deployment","name":"coldstart"},
        "minReplicas":0,"maxReplicas":1,"metrics":[{"type":"Object","object":{
          "describedObject":{"apiVersion":"v1","kind":"Service","name":"coldstart"},
          "metric":{"name":"requests-per-second"},"target":{"type":"AverageValue","averageValue":"1"}}}],
        "behavior":{"scaleUp":{"selectPolicy":"Disabled"},"scaleDown":{"stabilizationWindowSeconds":3600}}}})");
  }
  return s;
}

void Bench::Mark(const std::string& phase, Clock::time_point at) {
  if (in_trial_ && !marks_.contains(phase)) marks_[phase] = at;
}

void Bench::OnEvent(const std::string& kind, std::string_view line, Clock::time_point arrival) {
  auto event = base::ParseJson(line);
  if (!event.ok()) return;
  const json::value* obj = base::Find(*event, "object");
  if (obj == nullptr) return;
  const std::string type = base::GetString(*event, {"type"});
  std::lock_guard lock(mu_);
  if (kind == "deployment") {
    if (base::GetInt(*obj, {"spec", "replicas"}, 0) >= 1) Mark("scale written", arrival);
  } else if (kind == "pod") {
    if (type == "DELETED" || base::FindPath(*obj, {"metadata", "deletionTimestamp"}) != nullptr) return;
    Mark("pod created", arrival);
    if (!base::GetString(*obj, {"spec", "nodeName"}).empty()) Mark("pod scheduled", arrival);
    if (ConditionTrue(*obj, "PodReadyToStartContainers")) Mark("sandbox ready", arrival);
    if (ContainerRunning(*obj)) Mark("container started", arrival);
    if (ConditionTrue(*obj, "Ready")) Mark("pod Ready", arrival);
  } else if (kind == "slice" && SliceHasReadyEndpoint(*obj)) {
    Mark("endpoint in API", arrival);
  }
}

void Bench::StartWatches() {
  auto tls = MakeTlsContext(node_.server()->endpoint().ca_file);
  if (!tls.ok()) return;
  context_ = std::make_unique<boost::asio::io_context>();
  const std::vector<std::pair<std::string, std::string>> watches = {
      {"deployment", "/apis/apps/v1/namespaces/default/deployments?watch=true&fieldSelector=metadata.name%3Dcoldstart"},
      {"pod", "/api/v1/namespaces/default/pods?watch=true&labelSelector=app%3Dcoldstart"},
      {"slice", "/apis/discovery.k8s.io/v1/namespaces/default/endpointslices?watch=true&labelSelector="
                "kubernetes.io%2Fservice-name%3Dcoldstart"}};
  for (const auto& [kind, target] : watches) {
    auto& client = watchers_.emplace_back(std::make_unique<HttpsClient>(*context_, *tls, node_.server()->endpoint()));
    boost::asio::co_spawn(*context_,
                          client->Stream(
                              target, Clock::now() + std::chrono::hours(2), [] {},
                              [this, kind](std::string_view line, Clock::time_point at) { OnEvent(kind, line, at); }),
                          [](std::exception_ptr, absl::Status) {});
  }
  watch_thread_ = std::thread([this] { context_->run(); });
  std::this_thread::sleep_for(std::chrono::milliseconds(500));  // the watches are open
}

absl::Status Bench::ScaleTo(int replicas) {
  auto r = SendOnce(node_.server()->endpoint(), "PUT", "/apis/apps/v1/namespaces/default/deployments/coldstart/scale",
                    absl::StrCat(R"({"apiVersion":"autoscaling/v1","kind":"Scale","metadata":{"name":"coldstart",)",
                                 R"("namespace":"default"},"spec":{"replicas":)", replicas, "}}"));
  if (!r.ok()) return r.status();
  return r->status == 200 ? absl::OkStatus() : absl::InternalError(absl::StrCat("scale: ", r->status, " ", r->body));
}

bool Bench::WaitNoPods(std::chrono::seconds timeout) {
  for (auto deadline = Clock::now() + timeout; Clock::now() < deadline;) {
    auto r = SendOnce(node_.server()->endpoint(), "GET", "/api/v1/namespaces/default/pods?labelSelector=app%3Dcoldstart", "");
    if (r.ok() && r->status == 200) {
      auto list = base::ParseJson(r->body);
      const json::value* items = list.ok() ? base::Find(*list, "items") : nullptr;
      if (items != nullptr && items->is_array() && items->as_array().empty()) return true;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  return false;
}

bool Bench::WaitActivateRules(std::chrono::seconds timeout) {
  for (auto deadline = Clock::now() + timeout; Clock::now() < deadline;) {
    absl::StatusOr<base::CommandResult> table =
        base::RunCommand({"nft", "list", "table", "ip", "skiff-proxy"}, absl::Seconds(10));
    if (table.ok() && absl::StrContains(table->output, "activate-") &&
        absl::StrContains(table->output, "default/coldstart")) {
      return true;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  return false;
}

void Bench::Teardown() {
  for (auto& w : watchers_) w->Cancel();
  if (context_) context_->stop();
  if (watch_thread_.joinable()) watch_thread_.join();
  watchers_.clear();
  node_.Stop();
}

int Bench::Run() {
  MachineInfo machine = ReadMachineInfo();
  if (absl::Status s = Setup(); !s.ok()) {
    std::fprintf(stderr, "coldstart_bench: %s\n", s.ToString().c_str());
    Teardown();
    return 1;
  }
  StartWatches();
  std::map<std::string, std::vector<int64_t>> phases;
  size_t log_lines = 0;
  int failed = 0;
  for (int trial = 0; trial < trials_; ++trial) {
    if (!WaitNoPods(std::chrono::seconds(60)) || !WaitActivateRules(std::chrono::seconds(30))) {
      std::fprintf(stderr, "coldstart_bench: trial %d: the Service did not return to zero\n", trial);
      ++failed;
      break;
    }
    ProgrammedAfterMs(node_.agent_log(), &log_lines);  // skip earlier lines
    {
      std::lock_guard lock(mu_);
      marks_.clear();
      in_trial_ = true;
    }
    const Clock::time_point t0 = Clock::now();
    std::string response;
    std::optional<Clock::time_point> first = FirstByte(cluster_ip_, 80, &response);
    if (!first || !absl::StrContains(response, " 200 ")) {
      std::fprintf(stderr, "coldstart_bench: trial %d: no answer (%s)\n", trial, response.substr(0, 80).c_str());
      ++failed;
    } else {
      phases["first byte"].push_back(std::chrono::duration_cast<std::chrono::nanoseconds>(*first - t0).count());
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(500));  // late watch events of this trial
    {
      std::lock_guard lock(mu_);
      in_trial_ = false;
      for (const auto& [phase, at] : marks_) {
        phases[phase].push_back(std::chrono::duration_cast<std::chrono::nanoseconds>(at - t0).count());
      }
    }
    if (int64_t ms = ProgrammedAfterMs(node_.agent_log(), &log_lines); ms >= 0) {
      phases["endpoint programmed"].push_back(ms * 1'000'000);
    }
    if (absl::Status s = ScaleTo(0); !s.ok()) {
      std::fprintf(stderr, "coldstart_bench: %s\n", s.ToString().c_str());
      ++failed;
      break;
    }
  }
  std::printf("coldstart_bench: %d trials, 0 replicas -> first response byte through the activator (image present)\n",
              trials_);
  std::printf("  machine: %d CPUs (%s), %lld MiB RAM, load %s; separate `skiff agent`, containerd + runc, CNI bridge\n",
              machine.cpus, machine.cpu_model.c_str(), static_cast<long long>(machine.mem_total_kb / 1024),
              machine.load_average.c_str());
  std::printf("  failed trials: %d\n", failed);
  std::printf(" time from the client's connect (watch arrival at the bench; 'programmed' from the activator's log):\n");
  for (const std::string& phase : kPhases) {
    LatencySummary s = Summarize(phases[phase]);
    std::printf("  %-20s p50 %s  p99 %s  max %s  (n=%zu)\n", phase.c_str(), FormatMs(s.p50_ns).c_str(),
                FormatMs(s.p99_ns).c_str(), FormatMs(s.max_ns).c_str(), s.count);
  }
  LatencySummary total = Summarize(phases["first byte"]);
  std::printf("  first byte: p50 %s; p99 %s\n", Verdict(total.count > 0 && total.p50_ns <= 400'000'000, "400 ms").c_str(),
              Verdict(total.count > 0 && total.p99_ns <= 800'000'000, "800 ms").c_str());
  Teardown();
  return failed == 0 ? 0 : 1;
}

}  // namespace
}  // namespace skiff::bench

int main(int argc, char** argv) {
  CLI::App app("scale to zero: cold start through the activator");
  std::string skiff = "build/skiff";
  int trials = 20;
  app.add_option("--skiff", skiff, "skiff binary")->capture_default_str();
  app.add_option("--trials", trials, "cold starts to time")->capture_default_str()->check(CLI::Range(1, 1000));
  CLI11_PARSE(app, argc, argv);
  if (geteuid() != 0) {
    std::fprintf(stderr, "coldstart_bench: needs root (containers, nftables)\n");
    return 1;
  }
  skiff = std::filesystem::absolute(skiff).string();
  signal(SIGPIPE, SIG_IGN);
  return skiff::bench::Bench(skiff, trials).Run();
}
