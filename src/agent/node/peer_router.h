// PeerRouter: keeps this node's kernel routes to every other node's pods in line with the Nodes
// the API server has (flannel's job). It watches all Nodes; on every change it plans
// (peer_routes.h) and, when the plan differs from the last one applied, applies (peer_network.h)
// the routes, neighbour and FDB entries; every `resync_period` it re-applies everything as a
// safety net (repairing what someone else removed). Unless the backend is host-gw it also creates the VXLAN
// device once the node has a podCIDR, and publishes the node's backend type, public IP and vtep MAC as
// flannel's Node annotations (peers read the MAC from there). It installs the masquerade table
// for the cluster CIDR at Start (pod_masquerade.h) and re-asserts it with every full resync.
// Stop() leaves routes and device in place: a restarted agent takes them over without cutting
// flows; `skiff agent reset` removes them (RemovePeerNetwork).
// Thread-safety: Start/Stop from one owner thread; the work runs on the router's own thread.
// Ownership: borrows the client and the informer set (both must outlive the router).
// Failure: Start fails with InvalidArgument for a bad cluster CIDR and with the nftables error when
// the masquerade table cannot be installed; kernel and API errors later are logged and retried
// (after 5 s).
#ifndef SKIFF_AGENT_NODE_PEER_ROUTER_H_
#define SKIFF_AGENT_NODE_PEER_ROUTER_H_

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "agent/node/peer_routes.h"
#include "agent/node/periodic_task.h"
#include "client/client.h"
#include "client/informer.h"
#include "client/shared_informers.h"

namespace skiff::agent::node {

struct PeerRouterOptions {
  std::string node_name;
  std::string node_ip;
  Backend backend = Backend::kAuto;
  std::string cluster_cidr = "10.42.0.0/16";  // "" = no masquerade table
  // Interfaces whose subnets never count as a shared segment (the pod bridge, the DNS dummy).
  std::vector<std::string> local_devices;
  absl::Duration resync_period = absl::Seconds(30);
};

class PeerRouter {
 public:
  PeerRouter(client::Client* client, client::SharedInformers* informers, PeerRouterOptions options);
  ~PeerRouter();
  PeerRouter(const PeerRouter&) = delete;
  PeerRouter& operator=(const PeerRouter&) = delete;

  absl::Status Start();
  void Stop();

 private:
  // One pass; returns the delay before the next.
  absl::Duration Sync();
  absl::Status EnsureOwnVtep(const client::Object& self, bool full);
  absl::Status PublishAnnotations(const client::Object& self);

  client::Client* client_;
  PeerRouterOptions options_;
  client::Informer* nodes_;
  client::Informer::HandlerId handlers_ = 0;
  PeriodicTask task_;
  // Only the router's thread touches these.
  std::string vtep_pod_cidr_;  // the podCIDR the VXLAN device was set up for
  std::string vtep_mac_;
  RoutePlan applied_;
  bool applied_once_ = false;
  std::chrono::steady_clock::time_point next_full_sync_;
};

}  // namespace skiff::agent::node

#endif  // SKIFF_AGENT_NODE_PEER_ROUTER_H_
