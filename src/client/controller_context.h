// What every controller of the controller manager (and the scheduler) receives when it is
// constructed, once the manager holds leadership: the client, the shared informers, the event
// recorder and the controller settings from `skiff server` flags.
// Thread-safety: the context's members are safe for concurrent use. Ownership: the manager owns
// the client, informers and recorder, which outlive every controller. Failure: plain data.
#ifndef SKIFF_CLIENT_CONTROLLER_CONTEXT_H_
#define SKIFF_CLIENT_CONTROLLER_CONTEXT_H_

#include <functional>
#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "boost/json/value.hpp"
#include "client/client.h"
#include "client/runnable.h"
#include "client/shared_informers.h"

namespace skiff::client {

class EventRecorder;

// Settings of individual controllers that come from `skiff server` flags (validated there).
struct ControllerOptions {
  std::string cluster_cidr = "10.42.0.0/16";  // pod CIDRs of nodes are carved from it; "" = none
  int node_cidr_mask_size = 0;                // 0 = 24 for an IPv4, 64 for an IPv6 cluster CIDR
  absl::Duration node_monitor_grace_period = absl::Seconds(40);
  std::string root_ca_pem;  // the cluster CA certificate published as kube-root-ca.crt; "" = none
  // The CA the csrsigning controller issues certificates with (PEM files; "" = not signing), and
  // the longest validity it grants (kube-controller-manager's --cluster-signing-* flags).
  std::string cluster_signing_cert_file;
  std::string cluster_signing_key_file;
  absl::Duration cluster_signing_duration = absl::Hours(24 * 365);
};

// A GET of an API path the Client interface does not cover ("/apis/metrics.k8s.io/v1beta1/...",
// paths served through the aggregation layer), with its query: the decoded JSON body of a 2xx
// answer, else the API's error as a Status (client::HttpCode reads its code).
using ApiGet = std::function<absl::StatusOr<boost::json::value>(const std::string& path_and_query)>;

struct ControllerContext {
  Client* client = nullptr;
  SharedInformers* informers = nullptr;
  EventRecorder* recorder = nullptr;  // may be null in tests
  ControllerOptions options;
  // Reads the metrics APIs as the horizontal-pod-autoscaler; unset where there is no API server
  // to ask (tests): the HPA controller then does not run.
  ApiGet metrics_get;
};

}  // namespace skiff::client

#endif  // SKIFF_CLIENT_CONTROLLER_CONTEXT_H_
