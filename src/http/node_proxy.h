// NodeProxy: forwards one HTTP request to an upstream HTTP(S) server (a node agent, or the container
// runtime's streaming server) and turns the upstream's answer into an HttpResponse for our transport:
//   - 101 Switching Protocols: the same head, plus a Tunnel that splices the client's connection
//     and the upstream connection byte for byte (exec/attach/port-forward over SPDY or WebSocket);
//   - anything else: the same status, content type and headers; a short body with a length is
//     returned whole, any other body (chunked, until-EOF: `kubectl logs -f`) is streamed as it comes.
// Used by the API server for pods/log|exec|attach|portforward and for aggregated APIs (APIServices),
// and by the agent towards containerd.
//
// Thread-safety: Forward may be called concurrently from any thread; it blocks the caller until
// the upstream's response head has arrived (or `timeout`), the relaying afterwards runs on the
// proxy's own I/O thread. Ownership: the proxy owns its I/O thread and every upstream connection;
// it must outlive the responses it returned (destroying it closes them).
// Failure: Unavailable when the upstream cannot be reached, the TLS handshake fails or the answer
// is not HTTP; DeadlineExceeded when no response head arrives within `timeout`.
#ifndef SKIFF_HTTP_NODE_PROXY_H_
#define SKIFF_HTTP_NODE_PROXY_H_

#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "http/http_types.h"

namespace skiff::http {

struct UpstreamEndpoint {
  std::string host;  // IP address or DNS name
  int port = 0;
  bool tls = false;
  // Client identity presented to a TLS upstream (PEM files); empty = none.
  std::string client_cert_file;
  std::string client_key_file;
  // CA that must have signed the upstream's certificate, as a file or as PEM text; both empty =
  // not verified (kubelet serving certificates are self-signed, and Kubernetes does not verify
  // them by default either) unless `system_roots` is set.
  std::string ca_file;
  std::string ca_pem;
  bool system_roots = false;  // verify against the system's trusted CAs (when no CA is given)
  // The name the upstream's certificate must carry (and the TLS server name sent); empty = the
  // host when it is a DNS name, and no name check. Aggregated API servers are named
  // <service>.<namespace>.svc while they are dialled at an endpoint's IP address.
  std::string server_name;
};

struct UpstreamRequest {
  std::string method = "GET";
  std::string target;  // origin form: "/path?encoded=query"
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
};

// The query string of `query`, percent-encoded ("a=1&b=x%20y"), keys in map order.
std::string EncodeQuery(const std::multimap<std::string, std::string>& query);

// The headers of `request` that an upgrade or streaming request needs upstream: Upgrade,
// Connection, X-Stream-Protocol-Version (one header per offered protocol, since Go servers
// negotiate on separate header lines), Sec-WebSocket-*, Origin, Accept, Content-Type, User-Agent.
// Credentials (Authorization, Cookie) and Host are never forwarded.
std::vector<std::pair<std::string, std::string>> StreamingRequestHeaders(const HttpRequest& request);

class NodeProxy {
 public:
  NodeProxy();
  ~NodeProxy();
  NodeProxy(const NodeProxy&) = delete;
  NodeProxy& operator=(const NodeProxy&) = delete;

  absl::StatusOr<HttpResponse> Forward(const UpstreamEndpoint& endpoint, const UpstreamRequest& request,
                                       absl::Duration timeout);

  class Impl;

 private:
  std::unique_ptr<Impl> impl_;
};

}  // namespace skiff::http

#endif  // SKIFF_HTTP_NODE_PROXY_H_
