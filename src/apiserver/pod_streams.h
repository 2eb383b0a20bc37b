// PodStreams: the pods/log, pods/exec, pods/attach and pods/portforward subresources. Each request
// is checked the way the Kubernetes API server checks it (pod exists, container named or defaulted,
// pod bound to a node, exec/attach not into a completed pod), then forwarded to the agent of the
// pod's node (InternalIP + status.daemonEndpoints.kubeletEndpoint.Port, HTTPS with the API server's
// kubelet-client certificate) on the kubelet's paths (/containerLogs, /exec, /attach, /portForward)
// with the query preserved. Logs are streamed back as they come; upgrades (SPDY, WebSocket) are
// relayed with their 101 and then spliced both ways. Agent errors arrive as Status JSON and are
// passed through.
// Thread-safety: Handle is called concurrently from transport workers. Ownership: borrows the
// storage; owns the NodeProxy that carries the streams (so it must outlive the responses it
// returned — the HTTP server is stopped first). Failure: every error is a Kubernetes Status response.
#ifndef SKIFF_APISERVER_POD_STREAMS_H_
#define SKIFF_APISERVER_POD_STREAMS_H_

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "apiserver/request_info.h"
#include "apiserver/resource_storage.h"
#include "boost/json/value.hpp"
#include "http/http_types.h"
#include "http/node_proxy.h"

namespace skiff::apiserver {

struct PodStreamsOptions {
  // The API server's identity towards agents (pki: kubelet-client).
  std::string client_cert_file;
  std::string client_key_file;
  absl::Duration dial_timeout = absl::Seconds(30);
};

// The container a request addresses: `requested` if the pod has it (containers, init or
// ephemeral), the only container when none is requested; otherwise BadRequest with Kubernetes'
// message. `log` selects the wording of pods/log.
absl::StatusOr<std::string> ResolveContainer(const boost::json::value& pod, const std::string& requested);

// Where the agent of `node` listens: preferred address (InternalIP, ExternalIP, Hostname) and
// status.daemonEndpoints.kubeletEndpoint.Port (10250 when unset). BadRequest when it has none.
absl::StatusOr<http::UpstreamEndpoint> AgentEndpoint(const boost::json::value& node);

// The kubelet path for a subresource: log -> /containerLogs/ns/pod/container, exec ->
// /exec/ns/pod/container, attach -> /attach/ns/pod/container, portforward -> /portForward/ns/pod.
std::string AgentPath(const std::string& subresource, const std::string& ns, const std::string& pod,
                      const std::string& container);

// Checks pods/log query options as Kubernetes validates PodLogOptions (422 Invalid).
absl::Status ValidateLogOptions(const http::HttpRequest& request, const std::string& pod);

class PodStreams {
 public:
  PodStreams(ResourceStorage* storage, PodStreamsOptions options);
  ~PodStreams();

  // `info.subresource` is one of log, exec, attach, portforward.
  http::HttpResponse Handle(const http::HttpRequest& request, const RequestInfo& info);

  static bool Handles(const std::string& subresource) {
    return subresource == "log" || subresource == "exec" || subresource == "attach" ||
           subresource == "portforward";
  }

 private:
  absl::StatusOr<http::HttpResponse> Forward(const http::HttpRequest& request, const RequestInfo& info);

  ResourceStorage* storage_;
  PodStreamsOptions options_;
  http::NodeProxy proxy_;
};

}  // namespace skiff::apiserver

#endif  // SKIFF_APISERVER_POD_STREAMS_H_
