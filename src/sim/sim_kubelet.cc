#include "sim/sim_kubelet.h"

#include <stdlib.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "agent/server/agent_server.h"
#include "agent/server/cri_log.h"
#include "agent/server/serving_cert.h"
#include "http/errors.h"
#include "http/http_server.h"
#include "sim/sim_objects.h"
#include "spdlog/spdlog.h"

namespace skiff::sim {

namespace fs = std::filesystem;

namespace {

http::HttpResponse Error(int code, const std::string& reason, const std::string& message) {
  return http::ErrorResponse(api::ToStatus({code, reason, message}));
}

std::string CriTime(absl::Time t) { return absl::FormatTime("%Y-%m-%dT%H:%M:%E9SZ", t, absl::UTCTimeZone()); }

// Removes a directory tree when it goes out of scope.
struct TempDir {
  fs::path path;
  ~TempDir() {
    std::error_code ec;
    if (!path.empty()) fs::remove_all(path, ec);
  }
};

}  // namespace

std::vector<std::string> SimContainerLog(const std::string& ns, const std::string& pod,
                                         const std::string& container, const SimPod& state) {
  const std::string at = CriTime(state.started_at);
  auto line = [&](const std::string& text) { return absl::StrCat(at, " stdout F ", text); };
  std::vector<std::string> lines = {
      line(absl::StrCat("skiff sim: container \"", container, "\" of pod ", ns, "/", pod,
                        " started on simulated node ", state.node_name)),
      line("skiff sim: no process runs in a simulated container; this log is generated"),
      line("skiff sim: exec, attach and port-forward are not available on simulated nodes"),
  };
  if (state.finished) lines.push_back(line("skiff sim: the container has terminated"));
  return lines;
}

SimKubelet::SimKubelet(SimKubeletOptions options, SimPodLookup lookup)
    : options_(std::move(options)), lookup_(std::move(lookup)) {}

SimKubelet::~SimKubelet() { Stop(); }

absl::Status SimKubelet::Start() {
  if (http_) return absl::FailedPreconditionError("sim kubelet endpoint already started");
  // The transport reads its certificates from files, once, while starting.
  std::string pattern = (fs::temp_directory_path() / "skiff-sim-kubelet-XXXXXX").string();
  if (mkdtemp(pattern.data()) == nullptr) {
    return absl::ErrnoToStatus(errno, absl::StrCat("creating a temporary directory like ", pattern));
  }
  TempDir dir{pattern};
  const std::string cert = (dir.path / "serving.crt").string();
  const std::string key = (dir.path / "serving.key").string();
  if (absl::Status s = agent::server::EnsureSelfSignedCertificate(cert, key, {"skiff-sim", "localhost"});
      !s.ok()) {
    return s;
  }
  http::HttpServerOptions http;
  http.listen_address = "0.0.0.0";
  http.port = options_.port;
  http.bind_device = "lo";  // local connections only, to any 127/8 address
  http.cert_file = cert;
  http.key_file = key;
  if (!options_.client_ca_pem.empty()) {
    http.client_ca_file = (dir.path / "ca.crt").string();
    std::ofstream out(http.client_ca_file);
    out << options_.client_ca_pem;
    out.close();
    if (!out) return absl::InternalError(absl::StrCat("writing ", http.client_ca_file));
  } else {
    spdlog::warn(
        "sim: no cluster CA given (kubeconfig); the simulated kubelet endpoint serves only /healthz");
  }
  http.io_threads = 1;
  http.worker_threads = 4;
  http.max_body_bytes = 64 * 1024;
  auto server = std::make_unique<http::HttpServer>(
      http, [this](http::HttpRequest& req) { return Handle(req); },
      [](int code, const std::string& message) {
        return http::ErrorResponse(http::TransportError(code, message));
      });
  if (absl::Status s = server->Start(); !s.ok()) return s;
  http_ = std::move(server);
  spdlog::info("sim: kubelet endpoint of the simulated nodes on 127.64.0.0/10 port {}", http_->port());
  return absl::OkStatus();
}

void SimKubelet::Stop() {
  if (http_) http_->Stop();
  http_.reset();
}

int SimKubelet::port() const { return http_ ? http_->port() : 0; }

http::HttpResponse SimKubelet::Handle(const http::HttpRequest& req) {
  if (req.path == "/healthz") {
    return http::HttpResponse{.status = 200, .content_type = "text/plain; charset=utf-8", .body = "ok"};
  }
  if (auto rejected = agent::server::RejectCaller(req, options_.allowed_user)) return *rejected;
  const std::string host = req.Header("host");
  const int node = NodeIndexOfAddress(host);
  if (node < 0) return Error(404, "NotFound", absl::StrCat("no simulated node has the address ", host));
  if (req.path == "/stats/summary") {
    return Error(404, "NotFound", "simulated nodes report no resource usage");
  }
  std::optional<agent::server::AgentRoute> route = agent::server::ParseAgentRoute(req.path);
  if (!route) return Error(404, "NotFound", absl::StrCat("the simulated kubelet does not serve ", req.path));
  std::optional<SimPod> pod = lookup_(route->ns, route->pod);
  if (!pod || pod->node != node) {
    return Error(
        404, "NotFound",
        absl::StrCat("pod \"", route->pod, "\" in namespace \"", route->ns, "\" is not on this node"));
  }
  if (route->kind == "containerLogs") {
    if (req.method != "GET") return http::ErrorResponse(api::MethodNotAllowedError("logs are read with GET"));
    return Logs(req, route->ns, route->pod, route->container, *pod);
  }
  const char* what = route->kind == "exec"     ? "exec into"
                     : route->kind == "attach" ? "attach to"
                                               : "port-forward to";
  return Error(
      400, "BadRequest",
      absl::StrCat("cannot ", what, " pod ", route->ns, "/", route->pod, ": it runs on simulated node ",
                   pod->node_name, ", where no container process exists (skiff sim)"));
}

http::HttpResponse SimKubelet::Logs(const http::HttpRequest& req, const std::string& ns,
                                    const std::string& pod, const std::string& container,
                                    const SimPod& state) {
  absl::StatusOr<agent::server::LogOptions> options = agent::server::ParseLogOptions(
      [&req](const std::string& name) -> std::optional<std::string> {
        if (!req.HasQuery(name)) return std::nullopt;
        return req.Query(name);
      },
      absl::Now());
  if (!options.ok()) return Error(400, "BadRequest", std::string(options.status().message()));
  if (!state.started) {
    return Error(400, "BadRequest",
                 absl::StrCat("container \"", container, "\" in pod \"", pod,
                              "\" is waiting to start: ContainerCreating"));
  }
  if (options->previous) {  // simulated containers never restart
    return Error(
        400, "BadRequest",
        absl::StrCat("previous terminated container \"", container, "\" in pod \"", pod, "\" not found"));
  }
  std::vector<std::string> lines = SimContainerLog(ns, pod, container, state);
  size_t first = 0;
  if (options->tail_lines && static_cast<uint64_t>(*options->tail_lines) < lines.size()) {
    first = lines.size() - static_cast<size_t>(*options->tail_lines);
  }
  agent::server::LogFormatter formatter(*options);
  http::HttpResponse resp{.status = 200, .content_type = "text/plain"};
  for (size_t i = first; i < lines.size() && formatter.AddLine(lines[i], &resp.body); ++i) {
  }
  return resp;
}

}  // namespace skiff::sim
