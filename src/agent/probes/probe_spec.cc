#include "agent/probes/probe_spec.h"

#include "absl/strings/str_cat.h"
#include "base/json.h"

namespace skiff::agent::probes {

namespace json = boost::json;

const char* ProbeKindName(ProbeKind kind) {
  switch (kind) {
    case ProbeKind::kLiveness:
      return "Liveness";
    case ProbeKind::kReadiness:
      return "Readiness";
    case ProbeKind::kStartup:
      return "Startup";
  }
  return "";
}

const char* ProbeFieldName(ProbeKind kind) {
  switch (kind) {
    case ProbeKind::kLiveness:
      return "livenessProbe";
    case ProbeKind::kReadiness:
      return "readinessProbe";
    case ProbeKind::kStartup:
      return "startupProbe";
  }
  return "";
}

namespace {

int64_t IntField(const json::value& o, const char* name, int64_t fallback) {
  const json::value* v = base::Find(o, name);
  if (!v) return fallback;
  if (v->is_int64()) return v->as_int64();
  if (v->is_uint64()) return static_cast<int64_t>(v->as_uint64());
  if (v->is_double()) return static_cast<int64_t>(v->as_double());
  return fallback;
}

// An IntOrString port: a number, or the name of one of the container's ports.
absl::StatusOr<int> ResolvePort(const json::value* port, const json::value& container) {
  if (!port) return absl::InvalidArgumentError("port is required");
  if (port->is_int64()) return static_cast<int>(port->as_int64());
  if (port->is_uint64()) return static_cast<int>(port->as_uint64());
  if (!port->is_string()) return absl::InvalidArgumentError("port must be a number or a name");
  std::string name(port->as_string());
  if (const json::value* ports = base::Find(container, "ports"); ports && ports->is_array()) {
    for (const auto& p : ports->as_array()) {
      if (base::GetString(p, {"name"}) == name) return static_cast<int>(IntField(p, "containerPort", 0));
    }
  }
  // A numeric string is accepted as the number (as intstr does).
  int n = 0;
  bool digits = !name.empty();
  for (char c : name) {
    if (c < '0' || c > '9') digits = false;
    if (digits) n = n * 10 + (c - '0');
  }
  if (digits) return n;
  return absl::InvalidArgumentError(absl::StrCat("couldn't find port: ", name, " in container"));
}

}  // namespace

absl::StatusOr<ProbeHandler> ParseHandler(const json::value& handler, const json::value& container) {
  ProbeHandler h;
  if (const json::value* exec = base::Find(handler, "exec"); exec && exec->is_object()) {
    h.type = HandlerType::kExec;
    if (const json::value* cmd = base::Find(*exec, "command"); cmd && cmd->is_array()) {
      for (const auto& a : cmd->as_array()) {
        if (a.is_string()) h.command.emplace_back(a.as_string());
      }
    }
    if (h.command.empty()) return absl::InvalidArgumentError("exec probe has no command");
    return h;
  }
  if (const json::value* http = base::Find(handler, "httpGet"); http && http->is_object()) {
    h.type = HandlerType::kHttpGet;
    absl::StatusOr<int> port = ResolvePort(base::Find(*http, "port"), container);
    if (!port.ok()) return port.status();
    h.http.port = *port;
    h.http.host = base::GetString(*http, {"host"});
    std::string scheme = base::GetString(*http, {"scheme"});
    if (!scheme.empty()) h.http.scheme = scheme;
    std::string path = base::GetString(*http, {"path"});
    if (!path.empty()) h.http.path = path[0] == '/' ? path : "/" + path;
    if (const json::value* headers = base::Find(*http, "httpHeaders"); headers && headers->is_array()) {
      for (const auto& hd : headers->as_array()) {
        h.http.headers.emplace_back(base::GetString(hd, {"name"}), base::GetString(hd, {"value"}));
      }
    }
    return h;
  }
  if (const json::value* tcp = base::Find(handler, "tcpSocket"); tcp && tcp->is_object()) {
    h.type = HandlerType::kTcpSocket;
    absl::StatusOr<int> port = ResolvePort(base::Find(*tcp, "port"), container);
    if (!port.ok()) return port.status();
    h.port = *port;
    h.host = base::GetString(*tcp, {"host"});
    return h;
  }
  if (const json::value* grpc = base::Find(handler, "grpc"); grpc && grpc->is_object()) {
    h.type = HandlerType::kGrpc;
    h.port = static_cast<int>(IntField(*grpc, "port", 0));
    h.grpc_service = base::GetString(*grpc, {"service"});
    return h;
  }
  return absl::InvalidArgumentError("missing probe handler");
}

absl::StatusOr<ProbeSpec> ParseProbe(const json::value& probe, const json::value& container) {
  absl::StatusOr<ProbeHandler> handler = ParseHandler(probe, container);
  if (!handler.ok()) return handler.status();
  ProbeSpec spec;
  spec.handler = std::move(*handler);
  spec.initial_delay = absl::Seconds(std::max<int64_t>(0, IntField(probe, "initialDelaySeconds", 0)));
  spec.period = absl::Seconds(std::max<int64_t>(1, IntField(probe, "periodSeconds", 10)));
  spec.timeout = absl::Seconds(std::max<int64_t>(1, IntField(probe, "timeoutSeconds", 1)));
  spec.success_threshold = static_cast<int>(std::max<int64_t>(1, IntField(probe, "successThreshold", 1)));
  spec.failure_threshold = static_cast<int>(std::max<int64_t>(1, IntField(probe, "failureThreshold", 3)));
  if (base::Find(probe, "terminationGracePeriodSeconds")) {
    spec.termination_grace_seconds = IntField(probe, "terminationGracePeriodSeconds", 0);
  }
  return spec;
}

}  // namespace skiff::agent::probes
