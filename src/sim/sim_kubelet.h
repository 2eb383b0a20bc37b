// SimKubelet: the kubelet endpoint of every simulated node, on one listening socket. Simulated
// nodes advertise loopback InternalIPs (NodeAddress in sim_objects.h) and this endpoint's port as
// status.daemonEndpoints.kubeletEndpoint.Port, so the API server's pods/log|exec|attach|portforward
// (and metrics) connections to a simulated node stay on this machine and land here:
//   GET  /healthz                                   open
//   GET  /containerLogs/{ns}/{pod}/{container}?...  a generated log of a few lines naming the
//        container, pod and node (kubelet options: tailLines, timestamps, sinceSeconds|sinceTime,
//        limitBytes; follow ends at once, previous=true finds no previous container)
//   /exec, /attach, /portForward                    400 with a message saying no process runs
//   /stats/summary                                  404: simulated nodes report no usage
// The node a request addresses is read from its Host header (the address the API server dialled);
// a pod that is not on that node is 404, a pod not started yet 400 (as the kubelet answers).
// Callers must present a client certificate signed by `client_ca_pem` with the common name
// `allowed_user` (the API server's kubelet-client identity); without a CA only /healthz is served.
//
// The socket: 0.0.0.0:<port> bound to the loopback device (SO_BINDTODEVICE "lo"): it accepts
// connections to any 127/8 address, which only this machine can originate, and none that arrive
// on another interface (nor to addresses of other interfaces); one socket serves any number of nodes.
// HttpServer has no option for the device, so it is set on the listening socket right after it is opened (a
// remote connection could only slip in during those microseconds, and could not authenticate). The serving
// certificate is self-signed (the API server does not verify kubelets) and lives in a temporary directory
// only while starting.
//
// Thread-safety: Start/Stop from one thread; Handle runs concurrently on the transport's workers
// and calls `lookup` from them. Ownership: the lookup (and what it reads) must outlive the server.
// Failure: Start fails when the port, the certificate or the loopback binding is unusable; every
// request error is a Kubernetes Status response.
#ifndef SKIFF_SIM_SIM_KUBELET_H_
#define SKIFF_SIM_SIM_KUBELET_H_

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "http/http_types.h"
#include "http/pki.h"

namespace skiff::http {
class HttpServer;
}

namespace skiff::sim {

// What the endpoint needs to know of a pod the simulator tracks.
struct SimPod {
  int node = 0;  // node index
  std::string node_name;
  bool started = false;  // its containers "run" (or ran): there is a log
  bool finished = false;
  absl::Time started_at;
};
// The pod ns/name if the simulator tracks it.
using SimPodLookup = std::function<std::optional<SimPod>(const std::string& ns, const std::string& name)>;

struct SimKubeletOptions {
  int port = 0;               // 0 = any free port
  std::string client_ca_pem;  // the cluster CA; "" = only /healthz is served
  std::string allowed_user = http::kKubeletClientCommonName;
};

// The generated log of `container`, as CRI log lines ("<RFC 3339> stdout F <text>").
std::vector<std::string> SimContainerLog(const std::string& ns, const std::string& pod,
                                         const std::string& container, const SimPod& state);

class SimKubelet {
 public:
  SimKubelet(SimKubeletOptions options, SimPodLookup lookup);
  ~SimKubelet();
  SimKubelet(const SimKubelet&) = delete;
  SimKubelet& operator=(const SimKubelet&) = delete;

  absl::Status Start();
  void Stop();
  int port() const;

  // The request handler (public for tests; the transport calls it).
  http::HttpResponse Handle(const http::HttpRequest& request);

 private:
  http::HttpResponse Logs(const http::HttpRequest& request, const std::string& ns, const std::string& pod,
                          const std::string& container, const SimPod& state);

  SimKubeletOptions options_;
  SimPodLookup lookup_;
  std::unique_ptr<http::HttpServer> http_;
};

}  // namespace skiff::sim

#endif  // SKIFF_SIM_SIM_KUBELET_H_
