// Probers: run one probe handler once and say whether it succeeded, with the kubelet's failure
// messages (they become the "Unhealthy" events):
//   httpGet   GET scheme://host:port/path (HTTPS without certificate verification), headers from
//             the spec plus User-Agent kube-probe/1.32 and Accept */*; 200-399 succeeds; redirects
//             to the same host are followed (up to 10), a redirect elsewhere counts as success;
//             failure "HTTP probe failed with statuscode: 500" or the transport error.
//   tcpSocket connect within the timeout.
//   grpc      grpc.health.v1.Health/Check{service} must answer SERVING.
//   exec      CRI ExecSync with the probe's timeout; exit code 0 succeeds (the output is the message).
// Thread-safety: all functions and RealProber are safe to call concurrently; each run uses its own
// sockets. Ownership: RealProber borrows the runtime. Failure: never returns an error — every
// problem is a failed outcome with a message (a timed-out run is a failure).
#ifndef SKIFF_AGENT_PROBES_PROBERS_H_
#define SKIFF_AGENT_PROBES_PROBERS_H_

#include <string>
#include <vector>

#include "absl/time/time.h"
#include "agent/cri/runtime.h"
#include "agent/probes/probe_spec.h"

namespace skiff::agent::probes {

struct ProbeOutcome {
  bool success = false;
  std::string message;  // why it failed (empty on plain success)
};

// Where a probe runs: the pod's IP (default host) and the container (exec).
struct ProbeTarget {
  std::string pod_ip;
  std::string container_id;
};

ProbeOutcome HttpProbe(const HttpGetAction& action, const std::string& default_host, absl::Duration timeout);
ProbeOutcome TcpProbe(const std::string& host, int port, absl::Duration timeout);
ProbeOutcome GrpcProbe(const std::string& host, int port, const std::string& service, absl::Duration timeout);
ProbeOutcome ExecProbe(cri::Runtime* runtime, const std::string& container_id,
                       const std::vector<std::string>& command, absl::Duration timeout);

class Prober {
 public:
  virtual ~Prober() = default;
  virtual ProbeOutcome Run(const ProbeHandler& handler, const ProbeTarget& target,
                           absl::Duration timeout) = 0;
};

class RealProber : public Prober {
 public:
  explicit RealProber(cri::Runtime* runtime) : runtime_(runtime) {}
  ProbeOutcome Run(const ProbeHandler& handler, const ProbeTarget& target, absl::Duration timeout) override;

 private:
  cri::Runtime* runtime_;
};

}  // namespace skiff::agent::probes

#endif  // SKIFF_AGENT_PROBES_PROBERS_H_
