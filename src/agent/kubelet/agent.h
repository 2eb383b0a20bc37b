// Agent: the node agent (kubelet) composed from its parts. Start(), in order:
//   1. resolves the node name (default: the host name) and IP (default: the default-route
//      interface's address), creates the data dir, turns on net.ipv4.ip_forward;
//   2. starts the ContainerdSupervisor (its own containerd under DIR/containerd) or uses
//      `container_runtime_endpoint`, and waits for CRI to answer;
//   3. imports the pause image archive when the runtime does not have skiff.local/pause:3.10;
//   4. registers the Node (NodeStatusReporter) and starts its status loop and the Lease renewal;
//   5. creates the agent's shared informer set (one informer per resource and selector, whoever
//      uses it: this Node, Services, EndpointSlices, this node's pods); watches the Node for
//      spec.podCIDR and writes DIR/cni/net.d/10-skiff.conflist when it comes;
//   5b. starts the PeerRouter: routes to every other node's podCIDR (host-gw on a shared segment,
//      VXLAN otherwise, or as `flannel_backend` says) and the masquerade of pod traffic leaving
//      `cluster_cidr`; the CNI bridge then does not masquerade itself;
//   6. starts the service proxy (nftables rules for ClusterIPs, NodePorts and load balancer
//      addresses; rejects for unallocated addresses of `service_cidr`) and the cluster DNS server
//      on `cluster_dns`, bound on the dummy interface
//      skiff-dns0 so pods and host processes reach it directly; the NetworkPolicy enforcer
//      (nftables table skiff-netpol policing this node's pods, see agent/netpol/netpol_rules.h);
//      and the ingress controller
//      (haproxy on the ingress ports of the node IP and 127.0.0.1; a node whose ingress cannot
//      start, e.g. port 80 taken, runs without it and logs the error);
//   7. starts the PodManager (pods bound to this node) with the full pod spec translation: volumes
//      (projected ServiceAccount tokens through TokenRequest, refreshed before they expire) and
//      the service environment variables.
// Stop() undoes it in reverse; containers keep running (an agent restart adopts them) and the
// proxy's rules stay in place (a restarted agent re-syncs them without dropping flows).
// The server runs one in-process (InProcessClient, no token); `skiff agent` one over a RestClient.
//
// Thread-safety: Start/Stop from one owner thread; accessors after Start. Ownership: borrows the
// client (must outlive the agent); owns containerd supervision, the CRI client, the shared
// informers and every loop.
// Failure: Start returns the first error that makes the node unusable (containerd or CRI not
// coming up, registration refused) after undoing what it had started; later API and runtime
// errors are logged and retried by the loops.
#ifndef SKIFF_AGENT_KUBELET_AGENT_H_
#define SKIFF_AGENT_KUBELET_AGENT_H_

#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "agent/cri/runtime.h"
#include "agent/proxy/activation_table.h"
#include "agent/proxy/connection_rates.h"
#include "agent/node/local_path_cleaner.h"
#include "agent/node/node_status.h"
#include "base/clock.h"
#include "client/client.h"

namespace skiff::client {
class SharedInformers;
}
namespace skiff::agent::containerd {
class ContainerdSupervisor;
}
namespace skiff::agent::node {
class NodeStatusReporter;
class LeaseRenewer;
class PodCidrWatcher;
class PeerRouter;
}  // namespace skiff::agent::node
namespace skiff::agent::server {
class AgentServer;
}
namespace skiff::agent::proxy {
class Activator;
class ServiceProxy;
}
namespace skiff::agent::dns {
class ClusterDns;
}
namespace skiff::agent::netpol {
class PolicyEnforcer;
}
namespace skiff::agent::ingress {
class IngressProxy;
}
namespace skiff::agent::probes {
class PodProbes;
}
namespace skiff::agent::pods {
class PodManager;
class SpecTranslator;
}  // namespace skiff::agent::pods

namespace skiff::agent::kubelet {

inline constexpr char kDefaultAgentDataDir[] = "/var/lib/skiff/agent";
// The dummy interface that carries the cluster DNS address on every node.
inline constexpr char kClusterDnsInterface[] = "skiff-dns0";

struct AgentOptions {
  std::string data_dir = kDefaultAgentDataDir;
  std::string node_name;  // "" = the host name, lower-cased
  std::string node_ip;    // "" = the address of the default-route interface
  // "unix:///run/containerd/containerd.sock" to use a running CRI runtime; "" = start our own
  // containerd under data_dir/containerd.
  std::string container_runtime_endpoint;
  // The pause image archive (skiff.local/pause:3.10) imported at start; "" = skip.
  std::string pause_image_archive;
  int kubelet_port = 10250;  // daemonEndpoints.kubeletEndpoint.Port
  // The cluster CA: the agent endpoint (logs/exec/attach/port-forward on kubelet_port) accepts
  // only the API server's kubelet-client certificate signed by it. "" = only /healthz is served.
  std::string client_ca_file;
  int max_pods = 110;
  // Services on this node: the nftables service proxy and the cluster DNS server.
  bool enable_service_proxy = true;
  bool enable_cluster_dns = true;
  bool enable_network_policy = true;  // enforce NetworkPolicies on this node's pods
  // Scale to zero (with the service proxy): how long the activator holds a connection to a Service
  // scaled to zero for its first ready endpoint, and how many it holds at once.
  absl::Duration activator_timeout = absl::Seconds(30);
  int activator_max_held = 1024;
  std::string cluster_dns = "10.43.0.10";  // the kube-dns Service's ClusterIP
  // The ingress controller (IngressClass skiff: haproxy under data_dir/ingress) listens on these
  // ports of node_ip and 127.0.0.1; 0 = that listener off; both 0 = no ingress controller.
  int ingress_http_port = 80;
  int ingress_https_port = 443;
  // True for the server's in-process agent: custom resources (the Gateway API CRDs) are found in
  // this process's api catalogue, which the server keeps; a separate agent addresses them by name.
  bool api_catalogue_has_custom_resources = false;
  // The API server's --service-cidr: the proxy rejects traffic to its unallocated addresses
  // (ProxyOptions::service_cidrs). "" = no such rejection.
  std::string service_cidr = "10.43.0.0/16";
  std::string cluster_domain = "cluster.local";
  // The pod network of the whole cluster (the API server's node CIDR allocator range): traffic
  // from it to anything outside it is masqueraded. "" = the CNI bridge masquerades instead.
  std::string cluster_cidr = "10.42.0.0/16";
  // Cross-node pod routes: "auto" (host-gw for peers on a shared subnet, VXLAN for the others),
  // "host-gw", "vxlan", or "none" (no routes to other nodes: a single-node cluster).
  std::string flannel_backend = "auto";
  // The host's resolver: upstreams of the cluster DNS, pods with dnsPolicy Default, host search
  // domains under ClusterFirst.
  std::string resolv_conf = "/etc/resolv.conf";
  absl::Duration status_update_period = absl::Seconds(10);
  absl::Duration status_report_period = absl::Minutes(5);  // kubelet nodeStatusReportFrequency
  absl::Duration lease_renew_interval = absl::Seconds(10);
  absl::Duration runtime_start_timeout = absl::Seconds(60);
  bool enable_ip_forwarding = true;
  bool start_pod_manager = true;       // false: node only (tests)
  const base::Clock* clock = nullptr;  // null = real clock
};

// <data_dir>/ingress, absolute: the ingress controller's haproxy files.
std::string IngressDir(const std::string& data_dir);

// The node's RuntimeState (version, readiness, images) from CRI Version, Status and ListImages.
node::RuntimeState QueryRuntimeState(cri::Runtime* runtime);

class Agent {
 public:
  Agent(client::Client* client, AgentOptions options);
  ~Agent();
  Agent(const Agent&) = delete;
  Agent& operator=(const Agent&) = delete;

  absl::Status Start();
  void Stop();

  // Valid after Start: the resolved options (node name and IP filled in).
  const AgentOptions& options() const { return options_; }
  cri::Runtime* runtime() const { return runtime_.get(); }
  node::NodeStatusReporter* node_status() const { return reporter_.get(); }
  pods::PodManager* pod_manager() const { return pod_manager_.get(); }
  // The CRI endpoint in use ("unix://...").
  std::string runtime_endpoint() const;
  // The hook for an ingress proxy on this node: its HTTP requests per second per Service are
  // added to the service proxy's new connections per second in /stats/services (what
  // custom.metrics.k8s.io reports as requests-per-second). Any thread; `source` is called from the
  // agent endpoint's workers.
  void AddRequestRateSource(proxy::RateSource source);
  // The hook for an ingress proxy's scale-to-zero backends (ActivationTable::ActivationAddress);
  // empty entries without the service proxy.
  const proxy::ActivationTable& activations() const { return activations_; }

 private:
  std::string ServiceStats();  // GET /stats/services
  // <data dir>/storage/local-path, absolute: where this node's local-path volumes live.
  std::string LocalPathRoot() const;
  absl::Status ResolveIdentity();
  absl::Status StartRuntime();
  absl::Status EnsurePauseImage();
  void OnPodCidr(const std::string& cidr);
  absl::Status StartPeerRouter();
  absl::Status StartServices();

  client::Client* client_;
  AgentOptions options_;
  std::unique_ptr<containerd::ContainerdSupervisor> supervisor_;
  std::unique_ptr<cri::Runtime> runtime_;
  std::unique_ptr<node::NodeStatusReporter> reporter_;
  std::unique_ptr<node::LeaseRenewer> lease_;
  // Watches shared by the podCIDR watcher, the proxy, the DNS server and the pod manager
  // (declared before them: it outlives them).
  std::unique_ptr<client::SharedInformers> informers_;
  std::unique_ptr<node::PodCidrWatcher> cidr_watcher_;
  std::unique_ptr<node::LocalPathCleaner> local_path_cleaner_;
  std::unique_ptr<node::PeerRouter> peer_router_;
  std::unique_ptr<pods::SpecTranslator> translator_;
  std::unique_ptr<pods::PodManager> pod_manager_;
  proxy::ActivationTable activations_;  // the proxy writes it, the activator reads it
  std::unique_ptr<proxy::Activator> activator_;
  std::mutex rate_sources_mu_;
  std::vector<proxy::RateSource> rate_sources_;
  std::unique_ptr<proxy::ServiceProxy> proxy_;
  std::unique_ptr<dns::ClusterDns> dns_;
  std::unique_ptr<netpol::PolicyEnforcer> netpol_;
  std::unique_ptr<ingress::IngressProxy> ingress_;
  std::unique_ptr<probes::PodProbes> probes_;  // liveness/readiness/startup probes, httpGet hooks
  std::unique_ptr<server::AgentServer> server_;
};

}  // namespace skiff::agent::kubelet

#endif  // SKIFF_AGENT_KUBELET_AGENT_H_
