// AgentServer: the node agent's HTTPS endpoint (the kubelet's port, 10250 by default), which the API
// server calls for pods/log, pods/exec, pods/attach and pods/portforward:
//   GET  /healthz                                   open
//   GET  /containerLogs/{ns}/{pod}/{container}?...  the CRI log file, streamed (cri_log.h)
//   GET|POST /exec/{ns}/{pod}/{container}?command=..&stdin&stdout&stderr&tty
//   GET|POST /attach/{ns}/{pod}/{container}?stdin&stdout&stderr&tty
//   GET|POST /portForward/{ns}/{pod}
//   GET  /stats/summary, /stats/services            resource usage; Service request rates
// For exec/attach/port-forward it asks CRI for a streaming URL and relays the client's upgrade
// request there (containerd speaks SPDY/3.1 remotecommand v1-v4 and portforward); the 101 comes
// back to the client and the bytes are spliced both ways. WebSocket attempts get containerd's answer
// (a refusal for the protocols kubectl 1.32 offers), so kubectl falls back to SPDY.
// Every path but /healthz needs a client certificate signed by `client_ca_file` whose common name is
// `allowed_user` (the API server's kubelet-client identity). The serving certificate is self-signed
// (DIR/pki/agent-serving.{crt,key}).
//
// Thread-safety: Start/Stop from one thread; Handle runs concurrently on the transport's workers.
// Ownership: borrows the runtime (must outlive the server); owns the transport, the relays and the
// log-streaming threads, all ended by Stop. Failure: Start fails when the port or certificate is
// unusable; request errors are Kubernetes Status responses (400 for containers that have not
// started or have no previous attempt, 404 for pods not on this node, 401/403 for bad callers).
#ifndef SKIFF_AGENT_SERVER_AGENT_SERVER_H_
#define SKIFF_AGENT_SERVER_AGENT_SERVER_H_

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "agent/cri/runtime.h"
#include "http/http_types.h"
#include "http/pki.h"

namespace skiff::agent::server {

// A request path the agent serves.
struct AgentRoute {
  std::string kind;  // "containerLogs", "exec", "attach", "portForward"
  std::string ns;
  std::string pod;
  std::string container;  // empty for portForward
};

// The route of `path`, or nullopt when it is not one of the streaming paths.
std::optional<AgentRoute> ParseAgentRoute(const std::string& path);

// The kubelet's check of a caller: nullopt when `request` carries a verified client certificate
// whose common name is `allowed_user`; else the 401 (no certificate) or 403 response to send.
std::optional<http::HttpResponse> RejectCaller(const http::HttpRequest& request,
                                               const std::string& allowed_user);

struct AgentServerOptions {
  std::string listen_address = "0.0.0.0";
  int port = 10250;            // 0 = any free port (tests)
  std::string data_dir;        // agent DIR: pods/ is read, pki/ holds the serving certificate
  std::string client_ca_file;  // the cluster CA; empty = only /healthz is served
  std::string allowed_user = http::kKubeletClientCommonName;
  std::vector<std::string> serving_hosts;  // SANs of the serving certificate (node IP, name)
  absl::Duration follow_poll = absl::Milliseconds(100);
  // GET /stats/services: requests per second of each Service on this node, as JSON (the API
  // server's custom.metrics.k8s.io reads it). Empty = 404.
  std::function<std::string()> service_stats;
};

class AgentServer {
 public:
  AgentServer(cri::Runtime* runtime, AgentServerOptions options);
  ~AgentServer();
  AgentServer(const AgentServer&) = delete;
  AgentServer& operator=(const AgentServer&) = delete;

  absl::Status Start();
  void Stop();
  int port() const;

  // The request handler (public for tests; the transport calls it).
  http::HttpResponse Handle(const http::HttpRequest& request);

  class Impl;

 private:
  std::unique_ptr<Impl> impl_;
};

}  // namespace skiff::agent::server

#endif  // SKIFF_AGENT_SERVER_AGENT_SERVER_H_
