#include "agent/server/agent_server.h"

#include <atomic>
#include <condition_variable>
#include <filesystem>
#include <mutex>
#include <set>
#include <thread>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "agent/server/container_locator.h"
#include "agent/server/cri_log.h"
#include "agent/server/resource_stats.h"
#include "agent/server/serving_cert.h"
#include "http/errors.h"
#include "http/http_server.h"
#include "http/node_proxy.h"
#include "spdlog/spdlog.h"

namespace skiff::agent::server {

namespace {

constexpr absl::Duration kRpcTimeout = absl::Seconds(10);
constexpr absl::Duration kStreamDialTimeout = absl::Seconds(10);
// How long a follower trusts its last "still running" answer before asking CRI again.
constexpr absl::Duration kRunningCheckPeriod = absl::Milliseconds(500);

bool QueryBool(const http::HttpRequest& req, const std::string& name) {
  std::string v = absl::AsciiStrToLower(req.Query(name));
  return v == "true" || v == "1";
}

http::HttpResponse Error(int code, const std::string& reason, const std::string& message) {
  return http::ErrorResponse(api::ToStatus({code, reason, message}));
}

// "http://127.0.0.1:4321/exec/token" -> endpoint + "/exec/token".
absl::Status ParseStreamUrl(const std::string& url, http::UpstreamEndpoint* endpoint, std::string* target) {
  absl::string_view rest = url;
  if (!absl::ConsumePrefix(&rest, "http://")) {
    return absl::UnimplementedError(absl::StrCat("streaming URL ", url, " is not plain http"));
  }
  size_t slash = rest.find('/');
  absl::string_view authority = rest.substr(0, slash);
  *target = slash == absl::string_view::npos ? "/" : std::string(rest.substr(slash));
  size_t colon = authority.rfind(':');
  if (colon == absl::string_view::npos || !absl::SimpleAtoi(authority.substr(colon + 1), &endpoint->port)) {
    return absl::InvalidArgumentError(absl::StrCat("streaming URL ", url, " has no port"));
  }
  absl::string_view host = authority.substr(0, colon);
  absl::ConsumePrefix(&host, "[");
  absl::ConsumeSuffix(&host, "]");
  endpoint->host = std::string(host);
  endpoint->tls = false;
  return absl::OkStatus();
}

}  // namespace

std::optional<AgentRoute> ParseAgentRoute(const std::string& path) {
  std::vector<std::string> parts = absl::StrSplit(path, '/', absl::SkipEmpty());
  if (parts.empty()) return std::nullopt;
  const std::string& kind = parts[0];
  if (kind == "portForward" && parts.size() == 3) return AgentRoute{kind, parts[1], parts[2], ""};
  if ((kind == "containerLogs" || kind == "exec" || kind == "attach") && parts.size() == 4) {
    return AgentRoute{kind, parts[1], parts[2], parts[3]};
  }
  // The kubelet also accepts /exec|attach/{ns}/{pod}/{uid}/{container}.
  if ((kind == "exec" || kind == "attach") && parts.size() == 5)
    return AgentRoute{kind, parts[1], parts[2], parts[4]};
  return std::nullopt;
}

std::optional<http::HttpResponse> RejectCaller(const http::HttpRequest& req,
                                               const std::string& allowed_user) {
  if (!req.peer) return http::ErrorResponse(api::UnauthorizedError());
  if (req.peer->common_name != allowed_user) {
    return http::ErrorResponse(api::ForbiddenError(
        absl::StrCat("Forbidden (user=", req.peer->common_name, ", verb=", absl::AsciiStrToLower(req.method),
                     ", resource=nodes, subresource(s)=[proxy])")));
  }
  return std::nullopt;
}

class AgentServer::Impl {
 public:
  Impl(cri::Runtime* runtime, AgentServerOptions options)
      : runtime_(runtime), options_(std::move(options)), locator_(runtime, options_.data_dir + "/pods") {}

  class LogStream;

  http::HttpResponse Handle(const http::HttpRequest& req);
  http::HttpResponse Logs(const http::HttpRequest& req, const AgentRoute& route);
  http::HttpResponse Stream(const http::HttpRequest& req, const AgentRoute& route);

  // Log streams register while their thread runs, so Stop can end them before the runtime goes.
  bool Register(LogStream* stream);
  void Unregister(LogStream* stream);
  void StopLogStreams();

  cri::Runtime* runtime_;
  AgentServerOptions options_;
  ContainerLocator locator_;
  ResourceStats stats_{runtime_};  // GET /stats/summary (metrics.k8s.io, kubectl top)
  http::NodeProxy proxy_;
  std::unique_ptr<http::HttpServer> http_;

  std::mutex mu_;
  std::condition_variable cv_;
  std::set<LogStream*> streams_;
  bool stopping_ = false;
};

// Streams one log file on its own thread.
class AgentServer::Impl::LogStream : public http::StreamSource,
                                     public std::enable_shared_from_this<LogStream> {
 public:
  LogStream(Impl* server, std::string path, LogOptions options, std::string container_id)
      : server_(server), path_(std::move(path)), options_(options), container_id_(std::move(container_id)) {}

  void Start(std::shared_ptr<http::StreamSink> sink) override {
    if (!server_->Register(this)) {
      sink->Close();
      return;
    }
    std::thread([self = shared_from_this(), sink] { self->Run(sink); }).detach();
  }

  void Stop() override { stop_ = true; }

 private:
  void Run(const std::shared_ptr<http::StreamSink>& sink) {
    absl::Time checked = absl::InfinitePast();
    bool running = !container_id_.empty();
    auto still_running = [&] {
      if (!running) return false;
      if (absl::Now() - checked >= kRunningCheckPeriod) {
        running = server_->locator_.IsRunning(container_id_);
        checked = absl::Now();
      }
      return running;
    };
    absl::Status s = StreamLog(
        path_, options_,
        [&](std::string_view data) { return sink->Write(std::make_shared<const std::string>(data)); },
        still_running, &stop_, server_->options_.follow_poll);
    if (!s.ok()) spdlog::warn("agent: streaming {}: {}", path_, s.ToString());
    sink->Close();
    server_->Unregister(this);
  }

  Impl* server_;
  std::string path_;
  LogOptions options_;
  std::string container_id_;
  std::atomic<bool> stop_{false};

  friend class Impl;
};

bool AgentServer::Impl::Register(LogStream* stream) {
  std::lock_guard<std::mutex> lock(mu_);
  if (stopping_) return false;
  streams_.insert(stream);
  return true;
}

void AgentServer::Impl::Unregister(LogStream* stream) {
  std::lock_guard<std::mutex> lock(mu_);
  streams_.erase(stream);
  cv_.notify_all();
}

void AgentServer::Impl::StopLogStreams() {
  std::unique_lock<std::mutex> lock(mu_);
  stopping_ = true;
  for (LogStream* s : streams_) s->Stop();
  cv_.wait(lock, [this] { return streams_.empty(); });
}

http::HttpResponse AgentServer::Impl::Handle(const http::HttpRequest& req) {
  if (req.path == "/healthz") {
    return http::HttpResponse{.status = 200, .content_type = "text/plain; charset=utf-8", .body = "ok"};
  }
  if (std::optional<http::HttpResponse> rejected = RejectCaller(req, options_.allowed_user)) return *rejected;
  if (req.path == "/stats/summary") return ServeStatsSummary(&stats_, req);
  if (req.path == "/stats/services" && options_.service_stats) {
    return http::HttpResponse{.status = 200, .content_type = "application/json", .body = options_.service_stats()};
  }
  std::optional<AgentRoute> route = ParseAgentRoute(req.path);
  if (!route) return Error(404, "NotFound", absl::StrCat("the agent does not serve ", req.path));
  if (route->kind == "containerLogs") {
    if (req.method != "GET") return http::ErrorResponse(api::MethodNotAllowedError("logs are read with GET"));
    return Logs(req, *route);
  }
  if (req.method != "GET" && req.method != "POST") {
    return http::ErrorResponse(api::MethodNotAllowedError(absl::StrCat(route->kind, " takes GET or POST")));
  }
  return Stream(req, *route);
}

http::HttpResponse AgentServer::Impl::Logs(const http::HttpRequest& req, const AgentRoute& route) {
  absl::StatusOr<LogOptions> options = ParseLogOptions(
      [&req](const std::string& name) -> std::optional<std::string> {
        if (!req.HasQuery(name)) return std::nullopt;
        return req.Query(name);
      },
      absl::Now());
  if (!options.ok()) return Error(400, "BadRequest", std::string(options.status().message()));
  absl::StatusOr<PodRef> pod = locator_.FindPod(route.ns, route.pod);
  if (!pod.ok()) return http::ErrorResponse(pod.status());
  absl::StatusOr<std::vector<ContainerRef>> containers = locator_.FindContainers(*pod, route.container);
  if (!containers.ok()) return http::ErrorResponse(containers.status());
  std::string dir = locator_.LogDirectory(*pod, route.container);
  std::vector<uint32_t> attempts = LogAttempts(dir);
  std::string waiting = absl::StrCat("container \"", route.container, "\" in pod \"", route.pod,
                                     "\" is waiting to start: ContainerCreating");
  std::optional<uint32_t> current;
  if (!containers->empty()) {
    current = containers->back().attempt;
  } else if (!attempts.empty()) {
    current = attempts.back();
  }
  if (!current) return Error(400, "BadRequest", waiting);
  uint32_t attempt = *current;
  std::string running_id;
  if (options->previous) {
    std::optional<uint32_t> previous;
    for (uint32_t a : attempts) {
      if (a < *current) previous = a;
    }
    if (!previous) {
      return Error(400, "BadRequest",
                   absl::StrCat("previous terminated container \"", route.container, "\" in pod \"",
                                route.pod, "\" not found"));
    }
    attempt = *previous;  // no longer written: a follow ends at its end
  } else if (!containers->empty() && containers->back().running) {
    running_id = containers->back().id;
  }
  std::string path = absl::StrCat(dir, "/", attempt, ".log");
  std::error_code ec;
  if (!std::filesystem::exists(path, ec)) return Error(400, "BadRequest", waiting);
  http::HttpResponse resp;
  resp.content_type = "text/plain";
  resp.stream = std::make_shared<LogStream>(this, path, *options, running_id);
  return resp;
}

http::HttpResponse AgentServer::Impl::Stream(const http::HttpRequest& req, const AgentRoute& route) {
  absl::StatusOr<PodRef> pod = locator_.FindPod(route.ns, route.pod);
  if (!pod.ok()) return http::ErrorResponse(pod.status());
  std::string url;
  if (route.kind == "portForward") {
    cri::v1::PortForwardRequest request;
    request.set_pod_sandbox_id(pod->sandbox_id);
    auto [first, last] = req.query.equal_range("port");
    for (auto it = first; it != last; ++it) {
      int32_t port = 0;
      if (!absl::SimpleAtoi(it->second, &port) || port <= 0 || port > 65535) {
        return Error(400, "BadRequest", absl::StrCat("invalid port \"", it->second, "\""));
      }
      request.add_port(port);
    }
    absl::StatusOr<cri::v1::PortForwardResponse> response = runtime_->PortForward(request, kRpcTimeout);
    if (!response.ok()) return Error(500, "InternalError", std::string(response.status().message()));
    url = response->url();
  } else {
    absl::StatusOr<std::vector<ContainerRef>> containers = locator_.FindContainers(*pod, route.container);
    if (!containers.ok()) return http::ErrorResponse(containers.status());
    std::string id;
    for (const auto& c : *containers) {
      if (c.running) id = c.id;
    }
    if (id.empty())
      return Error(400, "BadRequest", absl::StrCat("container not found (\"", route.container, "\")"));
    if (route.kind == "exec") {
      cri::v1::ExecRequest request;
      request.set_container_id(id);
      auto [first, last] = req.query.equal_range("command");
      for (auto it = first; it != last; ++it) request.add_cmd(it->second);
      request.set_tty(QueryBool(req, "tty"));
      request.set_stdin(QueryBool(req, "stdin"));
      request.set_stdout(QueryBool(req, "stdout"));
      request.set_stderr(QueryBool(req, "stderr"));
      absl::StatusOr<cri::v1::ExecResponse> response = runtime_->Exec(request, kRpcTimeout);
      if (!response.ok()) return Error(500, "InternalError", std::string(response.status().message()));
      url = response->url();
    } else {
      cri::v1::AttachRequest request;
      request.set_container_id(id);
      request.set_tty(QueryBool(req, "tty"));
      request.set_stdin(QueryBool(req, "stdin"));
      request.set_stdout(QueryBool(req, "stdout"));
      request.set_stderr(QueryBool(req, "stderr"));
      absl::StatusOr<cri::v1::AttachResponse> response = runtime_->Attach(request, kRpcTimeout);
      if (!response.ok()) return Error(500, "InternalError", std::string(response.status().message()));
      url = response->url();
    }
  }
  http::UpstreamEndpoint endpoint;
  http::UpstreamRequest upstream;
  if (absl::Status s = ParseStreamUrl(url, &endpoint, &upstream.target); !s.ok()) {
    return Error(500, "InternalError", std::string(s.message()));
  }
  upstream.method = req.method;
  upstream.headers = http::StreamingRequestHeaders(req);
  absl::StatusOr<http::HttpResponse> response = proxy_.Forward(endpoint, upstream, kStreamDialTimeout);
  if (!response.ok()) return Error(500, "InternalError", std::string(response.status().message()));
  return *std::move(response);
}

AgentServer::AgentServer(cri::Runtime* runtime, AgentServerOptions options)
    : impl_(std::make_unique<Impl>(runtime, std::move(options))) {}

AgentServer::~AgentServer() { Stop(); }

absl::Status AgentServer::Start() {
  const AgentServerOptions& o = impl_->options_;
  {
    std::lock_guard<std::mutex> lock(impl_->mu_);
    impl_->stopping_ = false;
  }
  std::string cert = o.data_dir + "/pki/agent-serving.crt";
  std::string key = o.data_dir + "/pki/agent-serving.key";
  if (absl::Status s = EnsureSelfSignedCertificate(cert, key, o.serving_hosts); !s.ok()) return s;
  if (o.client_ca_file.empty()) {
    spdlog::warn("agent: no client CA given; the agent endpoint serves only /healthz");
  }
  http::HttpServerOptions http;
  http.listen_address = o.listen_address;
  http.port = o.port;
  http.cert_file = cert;
  http.key_file = key;
  http.client_ca_file = o.client_ca_file;
  http.io_threads = 1;
  http.worker_threads = 8;
  http.max_body_bytes = 64 * 1024;
  Impl* impl = impl_.get();
  impl_->http_ = std::make_unique<http::HttpServer>(
      http, [impl](http::HttpRequest& req) { return impl->Handle(req); },
      [](int code, const std::string& message) {
        return http::ErrorResponse(http::TransportError(code, message));
      });
  if (absl::Status s = impl_->http_->Start(); !s.ok()) {
    impl_->http_.reset();
    return s;
  }
  spdlog::info("agent: serving logs/exec/attach/port-forward on {}:{}", o.listen_address,
               impl_->http_->port());
  return absl::OkStatus();
}

void AgentServer::Stop() {
  if (impl_->http_) impl_->http_->Stop();
  // Also without a transport (tests call Handle directly): no log thread may outlive the runtime.
  impl_->StopLogStreams();
  impl_->http_.reset();
}

int AgentServer::port() const { return impl_->http_ ? impl_->http_->port() : 0; }

http::HttpResponse AgentServer::Handle(const http::HttpRequest& request) { return impl_->Handle(request); }

}  // namespace skiff::agent::server
