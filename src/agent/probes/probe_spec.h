// ProbeSpec: one probe (livenessProbe, readinessProbe, startupProbe) or lifecycle handler of a
// container, parsed from the Pod JSON into a plain struct with Kubernetes' defaults applied
// (periodSeconds 10, timeoutSeconds 1, successThreshold 1, failureThreshold 3, httpGet scheme
// HTTP and path "/"). Named ports are resolved against the container's ports.
// Thread-safety: values; functions are pure. Ownership: copies what it needs.
// Failure: ParseProbe returns InvalidArgument for a probe without a usable handler or a named port
// the container does not declare (the kubelet then fails the probe with that message).
#ifndef SKIFF_AGENT_PROBES_PROBE_SPEC_H_
#define SKIFF_AGENT_PROBES_PROBE_SPEC_H_

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "boost/json/value.hpp"

namespace skiff::agent::probes {

enum class ProbeKind { kLiveness, kReadiness, kStartup };

// "Liveness", "Readiness", "Startup" (the kubelet's event wording).
const char* ProbeKindName(ProbeKind kind);
// "livenessProbe", "readinessProbe", "startupProbe".
const char* ProbeFieldName(ProbeKind kind);

enum class HandlerType { kExec, kHttpGet, kTcpSocket, kGrpc };

struct HttpGetAction {
  std::string scheme = "HTTP";  // HTTP or HTTPS
  std::string host;             // empty: the pod IP
  int port = 0;
  std::string path = "/";
  std::vector<std::pair<std::string, std::string>> headers;
};

struct ProbeHandler {
  HandlerType type = HandlerType::kExec;
  std::vector<std::string> command;  // exec
  HttpGetAction http;                // httpGet
  std::string host;                  // tcpSocket (empty: the pod IP)
  int port = 0;                      // tcpSocket, grpc
  std::string grpc_service;          // grpc
};

struct ProbeSpec {
  ProbeHandler handler;
  absl::Duration initial_delay = absl::ZeroDuration();
  absl::Duration period = absl::Seconds(10);
  absl::Duration timeout = absl::Seconds(1);
  int success_threshold = 1;
  int failure_threshold = 3;
  std::optional<int64_t> termination_grace_seconds;  // probe-level terminationGracePeriodSeconds
};

// The handler of a probe or lifecycle hook object (exec/httpGet/tcpSocket/grpc); `container` is
// the container JSON (for named ports).
absl::StatusOr<ProbeHandler> ParseHandler(const boost::json::value& handler,
                                          const boost::json::value& container);
absl::StatusOr<ProbeSpec> ParseProbe(const boost::json::value& probe, const boost::json::value& container);

}  // namespace skiff::agent::probes

#endif  // SKIFF_AGENT_PROBES_PROBE_SPEC_H_
