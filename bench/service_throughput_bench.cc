// service_throughput_bench: download throughput through a ClusterIP against the same pod's IP
// (target: "Throughput through a ClusterIP within 10% of direct pod-IP throughput").
// It starts `skiff server --disable-agent` and a separate `skiff agent` process (whose nftables
// service proxy programs ClusterIPs on the host), imports the busybox test image, creates one pod
// running busybox httpd that serves a --file-mib file, and a ClusterIP Service (port 80 -> 8080)
// selecting it. Once the pod is Ready and the proxy has the Service's endpoint, the host downloads
// the file with plain TCP sockets (HTTP/1.0 GET, read to EOF), alternating direct pod-IP:8080 and
// ClusterIP:80 rounds (after one unmeasured warm-up each), --connections downloads in parallel per
// round. Reports MB/s per path (median and best of --rounds) and the ratio ClusterIP/direct.
// Traffic goes only to the pod's and the Service's addresses (and the API server on loopback).
// Everything (pod, Service, containerd, mounts, bridge, nftables table, DNS interface) is removed
// at the end with `skiff agent reset`, also after a failure. Needs root, containerd, runc, the CNI
// plugins and nft. Usage:
//   service_throughput_bench [--skiff build/skiff] [--rounds 5] [--connections 1] [--file-mib 256]
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <barrier>
#include <cctype>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include "CLI/CLI.hpp"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "agent_node.h"
#include "base/json.h"
#include "bench_util.h"
#include "benches.h"
#include "child_process.h"
#include "https_client.h"
#include "skiff_process.h"

#ifndef SKIFF_OCI_IMAGE_PY
#define SKIFF_OCI_IMAGE_PY "scripts/oci_image.py"
#endif

namespace skiff::bench {
namespace {

namespace json = boost::json;

constexpr char kPodName[] = "tput-server";
constexpr char kServiceName[] = "tput";
constexpr char kProxyTable[] = "skiff-proxy";  // ProxyOptions::table
constexpr uint16_t kPodPort = 8080, kServicePort = 80;

// A socket fd closed on scope exit.
class Fd {
 public:
  explicit Fd(int fd) : fd_(fd) {}
  ~Fd() {
    if (fd_ >= 0) close(fd_);
  }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  int get() const { return fd_; }

 private:
  int fd_;
};

struct HttpResult {
  int status = 0;
  int64_t body_bytes = 0;
};

// GET `path` over HTTP/1.0 on a fresh TCP connection and read to EOF, counting the body's bytes
// (nothing is kept). `timeout` bounds the connect and each read.
absl::StatusOr<HttpResult> HttpGet(const std::string& ip, uint16_t port, const std::string& path,
                                   std::chrono::seconds timeout) {
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  if (inet_pton(AF_INET, ip.c_str(), &addr.sin_addr) != 1) return absl::InvalidArgumentError("bad IP " + ip);
  Fd fd(socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (fd.get() < 0) return absl::InternalError(absl::StrCat("socket: ", std::strerror(errno)));
  timeval tv{static_cast<time_t>(timeout.count()), 0};
  setsockopt(fd.get(), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
  setsockopt(fd.get(), SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));  // also bounds connect() on Linux
  std::string where = absl::StrCat(ip, ":", port);
  if (connect(fd.get(), reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0)
    return absl::UnavailableError(absl::StrCat("connect ", where, ": ", std::strerror(errno)));
  std::string request = absl::StrCat("GET ", path, " HTTP/1.0\r\nHost: ", where, "\r\n\r\n");
  for (size_t sent = 0; sent < request.size();) {
    ssize_t n = send(fd.get(), request.data() + sent, request.size() - sent, MSG_NOSIGNAL);
    if (n <= 0) return absl::UnavailableError(absl::StrCat("send ", where, ": ", std::strerror(errno)));
    sent += static_cast<size_t>(n);
  }
  HttpResult result;
  std::string header;  // until the blank line
  bool in_body = false;
  std::vector<char> buffer(256 * 1024);
  while (true) {
    ssize_t n = recv(fd.get(), buffer.data(), buffer.size(), 0);
    if (n == 0) break;
    if (n < 0) {
      if (errno == EINTR) continue;
      return absl::UnavailableError(absl::StrCat("recv ", where, ": ", std::strerror(errno)));
    }
    if (in_body) {
      result.body_bytes += n;
      continue;
    }
    header.append(buffer.data(), static_cast<size_t>(n));
    size_t end = header.find("\r\n\r\n");
    if (end == std::string::npos) {
      if (header.size() > 64 * 1024) return absl::DataLossError("no end of the HTTP header from " + where);
      continue;
    }
    in_body = true;
    result.body_bytes = static_cast<int64_t>(header.size() - end - 4);
    // "HTTP/1.x NNN ..."
    if (header.size() < 12 || !absl::StartsWith(Av(header), "HTTP/1.") ||
        !std::isdigit(static_cast<unsigned char>(header[9])))
      return absl::DataLossError("not an HTTP response from " + where);
    result.status = std::atoi(header.c_str() + 9);
  }
  if (!in_body) return absl::DataLossError("connection closed before the HTTP header from " + where);
  return result;
}

struct Path {
  std::string name;  // "direct pod IP" / "ClusterIP"
  std::string ip;
  uint16_t port = 0;
  std::vector<double> mb_per_s;  // per measured round
};

class Bench {
 public:
  Bench(std::string skiff, int rounds, int connections, int file_mib)
      : rounds_(rounds), connections_(connections), file_mib_(file_mib), node_(std::move(skiff)) {}

  int Run();

 private:
  absl::Status Setup();
  absl::Status CreateObjects();
  absl::Status WaitPodReady(std::chrono::seconds timeout);
  absl::Status WaitServiceProgrammed(std::chrono::seconds timeout);
  // One round on `path`: `connections_` parallel downloads of the file; total MB/s over the round.
  absl::StatusOr<double> MeasureRound(const Path& path);
  void Teardown();

  int rounds_, connections_, file_mib_;
  AgentNode node_;
  std::string ns_ = "default";
  std::string pod_ip_, cluster_ip_;
};

absl::Status Bench::Setup() { return node_.Start(SKIFF_OCI_IMAGE_PY); }

absl::Status Bench::CreateObjects() {
  // The file is written before httpd starts; the readiness probe holds the endpoint back until then.
  std::string script = absl::StrCat("mkdir -p /www && dd if=/dev/zero of=/www/blob bs=1M count=", file_mib_,
                                    " 2>/dev/null && exec httpd -f -p ", kPodPort, " -h /www");
  json::value pod = {
      {"apiVersion", "v1"},
      {"kind", "Pod"},
      {"metadata", {{"name", kPodName}, {"labels", {{"bench", "throughput"}}}}},
      {"spec",
       {{"terminationGracePeriodSeconds", 1},
        {"containers", json::array{json::object{
                           {"name", "httpd"},
                           {"image", "skiff.local/busybox:1.35"},
                           {"imagePullPolicy", "Never"},
                           {"command", json::array{"sh", "-c", script}},
                           {"ports", json::array{json::object{{"containerPort", kPodPort}}}},
                           {"readinessProbe", {{"tcpSocket", {{"port", kPodPort}}}, {"periodSeconds", 1}}},
                       }}}}}};
  auto r = SendOnce(node_.server()->endpoint(), "POST", absl::StrCat("/api/v1/namespaces/", ns_, "/pods"),
                    base::ToJson(pod));
  if (!r.ok()) return r.status();
  if (r->status != 201)
    return absl::InternalError(absl::StrCat("pod create: HTTP ", r->status, ": ", r->body));
  json::value service = {
      {"apiVersion", "v1"},
      {"kind", "Service"},
      {"metadata", {{"name", kServiceName}}},
      {"spec",
       {{"type", "ClusterIP"},
        {"selector", {{"bench", "throughput"}}},
        {"ports",
         json::array{json::object{
             {"name", "http"}, {"protocol", "TCP"}, {"port", kServicePort}, {"targetPort", kPodPort}}}}}}};
  r = SendOnce(node_.server()->endpoint(), "POST", absl::StrCat("/api/v1/namespaces/", ns_, "/services"),
               base::ToJson(service));
  if (!r.ok()) return r.status();
  if (r->status != 201)
    return absl::InternalError(absl::StrCat("service create: HTTP ", r->status, ": ", r->body));
  auto created = base::ParseJson(r->body);
  if (created.ok()) cluster_ip_ = base::GetString(*created, {"spec", "clusterIP"});
  if (cluster_ip_.empty() || cluster_ip_ == "None")
    return absl::InternalError("the Service got no ClusterIP: " + r->body);
  return absl::OkStatus();
}

absl::Status Bench::WaitPodReady(std::chrono::seconds timeout) {
  Clock::time_point deadline = Clock::now() + timeout;
  std::string last;
  while (Clock::now() < deadline) {
    auto r = SendOnce(node_.server()->endpoint(), "GET",
                      absl::StrCat("/api/v1/namespaces/", ns_, "/pods/", kPodName), "");
    if (r.ok() && r->status == 200) {
      last = r->body;
      auto pod = base::ParseJson(r->body);
      if (pod.ok() && ConditionTrue(*pod, "Ready") && !base::GetString(*pod, {"status", "podIP"}).empty()) {
        pod_ip_ = base::GetString(*pod, {"status", "podIP"});
        return absl::OkStatus();
      }
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(500));
  }
  return absl::DeadlineExceededError("pod " + std::string(kPodName) + " did not become Ready; last: " + last);
}

// Until the proxy's service map sends the ClusterIP to an endpoint, a connection to it would
// follow the host's routes off the machine; so no packet goes to the ClusterIP before that.
absl::Status Bench::WaitServiceProgrammed(std::chrono::seconds timeout) {
  std::string element = absl::StrCat(cluster_ip_, " . tcp . ", kServicePort, " :");
  std::string out = node_.root() + "/nft.out";
  Clock::time_point deadline = Clock::now() + timeout;
  while (Clock::now() < deadline) {
    std::filesystem::remove(out);
    if (RunLogged({"/usr/sbin/nft", "list", "map", "ip", kProxyTable, "service-ips"}, out) == 0 &&
        FileTail(out, 1 << 20).find(element) != std::string::npos) {
      auto probe = HttpGet(cluster_ip_, kServicePort, "/", std::chrono::seconds(5));
      if (probe.ok()) return absl::OkStatus();  // any HTTP answer (busybox httpd: 404 for "/")
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(500));
  }
  return absl::DeadlineExceededError(absl::StrCat("the ClusterIP ", cluster_ip_, ":", kServicePort,
                                                  " did not answer; nft: ", FileTail(out, 2000)));
}

absl::StatusOr<double> Bench::MeasureRound(const Path& path) {
  const int64_t expected = int64_t{file_mib_} << 20;
  std::vector<absl::StatusOr<HttpResult>> results(connections_, absl::UnknownError("not run"));
  std::barrier start(connections_ + 1);
  std::vector<std::thread> threads;
  for (int i = 0; i < connections_; ++i) {
    threads.emplace_back([&, i] {
      start.arrive_and_wait();
      results[i] = HttpGet(path.ip, path.port, "/blob", std::chrono::seconds(30));
    });
  }
  start.arrive_and_wait();
  Clock::time_point t0 = Clock::now();
  for (auto& t : threads) t.join();
  double seconds = std::chrono::duration<double>(Clock::now() - t0).count();
  int64_t total = 0;
  for (const auto& r : results) {
    if (!r.ok()) return r.status();
    if (r->status != 200 || r->body_bytes != expected)
      return absl::DataLossError(absl::StrCat(path.name, ": HTTP ", r->status, ", ", r->body_bytes,
                                              " body bytes (expected ", expected, ")"));
    total += r->body_bytes;
  }
  return total / seconds / 1e6;
}

void Bench::Teardown() {
  if (node_.server()) {
    (void)SendOnce(node_.server()->endpoint(), "DELETE",
                   absl::StrCat("/api/v1/namespaces/", ns_, "/services/", kServiceName), "");
    (void)SendOnce(node_.server()->endpoint(), "DELETE",
                   absl::StrCat("/api/v1/namespaces/", ns_, "/pods/", kPodName), "");
  }
  node_.Stop();
}

int Bench::Run() {
  MachineInfo machine = ReadMachineInfo();
  auto fail = [&](const absl::Status& s) {
    std::fprintf(stderr, "service_throughput_bench: %s\n", s.ToString().c_str());
    if (!node_.agent_log().empty())
      std::fprintf(stderr, "--- agent log tail ---\n%s\n", FileTail(node_.agent_log(), 3000).c_str());
    Teardown();
    return 1;
  };
  if (absl::Status s = Setup(); !s.ok()) return fail(s);
  if (absl::Status s = CreateObjects(); !s.ok()) return fail(s);
  if (absl::Status s = WaitPodReady(std::chrono::seconds(180)); !s.ok()) return fail(s);
  if (absl::Status s = WaitServiceProgrammed(std::chrono::seconds(60)); !s.ok()) return fail(s);

  std::vector<Path> paths = {{"direct pod IP", pod_ip_, kPodPort, {}},
                             {"ClusterIP", cluster_ip_, kServicePort, {}}};
  for (const Path& p : paths) {  // warm-up: page cache, conntrack, TCP metrics
    if (auto r = MeasureRound(p); !r.ok()) return fail(r.status());
  }
  for (int round = 0; round < rounds_; ++round) {
    for (int k = 0; k < 2; ++k) {
      Path& p = paths[(round + k) % 2];  // alternate which path goes first
      auto r = MeasureRound(p);
      if (!r.ok()) return fail(r.status());
      p.mb_per_s.push_back(*r);
    }
  }

  auto median = [](std::vector<double> v) {
    std::sort(v.begin(), v.end());
    size_t n = v.size();
    return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
  };
  std::printf("service_throughput_bench: HTTP/1.0 download of a %d MiB file from one busybox httpd pod\n",
              file_mib_);
  std::printf(
      "  machine: %d CPUs (%s), %lld MiB RAM, load %s; containerd + runc, CNI bridge skiff0, nftables "
      "proxy\n",
      machine.cpus, machine.cpu_model.c_str(), static_cast<long long>(machine.mem_total_kb / 1024),
      machine.load_average.c_str());
  std::printf(
      "  client: host process, plain TCP sockets, %d parallel connection(s) per round (each the whole "
      "file),\n"
      "  %d measured rounds per path after one warm-up, paths alternating; MB = 10^6 bytes\n",
      connections_, rounds_);
  double medians[2];
  for (int i = 0; i < 2; ++i) {
    const Path& p = paths[i];
    medians[i] = median(p.mb_per_s);
    std::string all;
    for (double v : p.mb_per_s) absl::StrAppend(&all, all.empty() ? "" : " ", absl::StrFormat("%.0f", v));
    std::printf("  %-14s %s:%u  median %8.1f MB/s  best %8.1f MB/s  (rounds: %s)\n", p.name.c_str(),
                p.ip.c_str(), p.port, medians[i], *std::max_element(p.mb_per_s.begin(), p.mb_per_s.end()),
                all.c_str());
  }
  double ratio = medians[0] > 0 ? medians[1] / medians[0] : 0;
  std::printf("  ratio ClusterIP/direct (medians): %.3f; %s\n", ratio,
              Verdict(ratio >= 0.9, "within 10% of direct").c_str());
  std::printf("  load after: %s\n", ReadMachineInfo().load_average.c_str());
  Teardown();
  return 0;
}

}  // namespace
}  // namespace skiff::bench

int main(int argc, char** argv) {
  CLI::App app("throughput through a ClusterIP against direct pod-IP throughput, with a real container");
  std::string skiff = "build/skiff";
  int rounds = 5, connections = 1, file_mib = 256;
  app.add_option("--skiff", skiff, "skiff binary")->capture_default_str();
  app.add_option("--rounds", rounds, "measured rounds per path")
      ->capture_default_str()
      ->check(CLI::Range(1, 1000));
  app.add_option("--connections", connections, "parallel downloads per round")
      ->capture_default_str()
      ->check(CLI::Range(1, 64));
  app.add_option("--file-mib", file_mib, "size of the served file (MiB)")
      ->capture_default_str()
      ->check(CLI::Range(1, 4096));
  CLI11_PARSE(app, argc, argv);
  if (geteuid() != 0) {
    std::fprintf(stderr, "service_throughput_bench: needs root (containers, nftables)\n");
    return 1;
  }
  skiff = std::filesystem::absolute(skiff).string();
  signal(SIGPIPE, SIG_IGN);
  return skiff::bench::Bench(skiff, rounds, connections, file_mib).Run();
}
