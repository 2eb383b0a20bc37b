// The API objects a simulated node writes, built as pure functions so they can be tested alone:
// the Node it registers, its Lease in kube-node-lease, the heartbeat status patch, and the pod
// status a kubelet would report for a running (or finished) pod. Also the small address arithmetic
// for node addresses and pod IPs (PodIpPool).
// Thread-safety: free functions are pure; a PodIpPool is not synchronized (its owner locks).
// Ownership: values. Failure: PodIpPool::Allocate returns ResourceExhausted when the range is full.
#ifndef SKIFF_SIM_SIM_OBJECTS_H_
#define SKIFF_SIM_SIM_OBJECTS_H_

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "base/ipv4.h"
#include "boost/json/value.hpp"

namespace skiff::sim {

struct SimOptions {
  std::string kubeconfig;
  int nodes = 1;
  std::string cpu = "4";
  std::string memory = "16Gi";
  int pods = 110;
  std::string ephemeral_storage = "100Gi";
  int zones = 3;
  std::string name_prefix = "sim-";
  absl::Duration ready_delay = absl::Seconds(1);
  std::vector<std::pair<std::string, std::string>> labels;  // extra node labels
  absl::Duration lease_interval = absl::Seconds(10);
  absl::Duration status_interval = absl::Minutes(1);
  int lease_duration_seconds = 40;
  int workers = 16;  // concurrent API writes (and connections)
  // The simulated nodes' kubelet endpoint (sim_kubelet.h): its port (0 = any free port) and the
  // cluster CA that signs the API server's kubelet-client certificate ("" = only /healthz).
  int kubelet_port = 0;
  std::string kubelet_client_ca_pem;
};

// Everything about one simulated node that its objects are built from.
struct NodeIdentity {
  int index = 0;
  std::string name;
  std::string zone;
  std::string internal_ip;  // NodeAddress(index)
  std::string boot_id;
  int kubelet_port = 10250;  // status.daemonEndpoints.kubeletEndpoint.Port (the sim's endpoint)
};

// A simulated node's InternalIP: a loopback address, so whatever connects to a node (the API
// server for logs/exec/port-forward, metrics) stays on this machine and reaches the sim's kubelet
// endpoint (sim_kubelet.h). Node i gets 127.64.0.0 + 1 + i (sim-0 127.64.0.1, sim-255
// 127.64.1.0, ...): inside 127.64.0.0/10, far from 127.0.0.1 and the other addresses hosts use
// (127.0.0.53, 127.0.1.1).
inline constexpr uint32_t kNodeAddressBase = 127u << 24 | 64u << 16;
inline constexpr int kMaxNodes = (1 << 22) - 1;  // 127.64.0.1 .. 127.127.255.255
std::string NodeAddress(int index);
// The node index of a NodeAddress (an IPv4 address, or "host:port" as in an HTTP Host header), or
// -1 when it is none.
int NodeIndexOfAddress(const std::string& address);

NodeIdentity MakeNodeIdentity(const SimOptions& options, int index, const std::string& boot_id);

// The Node to register (labels, capacity = allocatable, addresses, nodeInfo, healthy conditions
// whose lastTransitionTime is `since`).
boost::json::value NodeObject(const SimOptions& options, const NodeIdentity& node, absl::Time now,
                              absl::Time since);
// The four healthy conditions (MemoryPressure, DiskPressure, PIDPressure False; Ready True).
boost::json::value NodeConditions(absl::Time heartbeat, absl::Time since);
// True when the node's reported status needs rewriting: a condition is not in its healthy state
// or capacity/allocatable differ from what the sim reports.
bool NodeStatusNeedsUpdate(const SimOptions& options, const boost::json::value& node);

// The node's Lease (owner: the node, when its uid is known).
boost::json::value LeaseObject(const SimOptions& options, const std::string& node_name,
                               const std::string& node_uid, absl::Time now);
// The merge patch that renews a lease.
boost::json::value LeaseRenewPatch(const SimOptions& options, const std::string& node_name, absl::Time now);

// What of a pod the sim keeps to report its status later (not the whole object: 150,000 pods).
struct PodSpecSummary {
  struct Container {
    std::string name;
    std::string image;
    bool sidecar = false;  // init container with restartPolicy Always
  };
  std::vector<Container> containers;
  std::vector<Container> init_containers;
  std::string scheduled_since;  // PodScheduled lastTransitionTime, when present
  // Optional: annotation sim.skiff.dev/exit-after ("5s") ends the pod after it ran that long, with
  // sim.skiff.dev/exit-code (default 0 -> Succeeded, else Failed).
  absl::Duration exit_after = absl::InfiniteDuration();
  int exit_code = 0;
};

absl::StatusOr<PodSpecSummary> SummarizePod(const boost::json::value& pod);

// The merge patch for pods/status that makes the pod Running and Ready with `pod_ip`.
boost::json::value RunningPodStatusPatch(const PodSpecSummary& pod, const std::string& uid,
                                         const std::string& host_ip, const std::string& pod_ip,
                                         absl::Time started);
// The merge patch that ends a pod (all containers terminated with `exit_code`).
boost::json::value FinishedPodStatusPatch(const PodSpecSummary& pod, const std::string& uid,
                                          const std::string& pod_ip, absl::Time started, absl::Time finished);

// Deterministic fake identifiers ("containerd://<64 hex>", "sha256:<64 hex>"), stable per input.
std::string FakeHex(const std::string& seed, size_t length);

// ---- IPv4 helpers ----

// The /24 a node uses when its spec.podCIDR is unset: 10.244.0.0/16 split by node index (indexes
// past 255 continue into the following /16s).
base::Ipv4Cidr FallbackPodCidr(int node_index);

// Pod addresses of one node: hands out free addresses in turn (like host-local IPAM, so a released
// address is not reused at once), skipping the network address, the gateway (.1) and the broadcast
// address. Ranges beyond 65,536 addresses are capped there.
class PodIpPool {
 public:
  PodIpPool() = default;
  explicit PodIpPool(base::Ipv4Cidr cidr);
  const base::Ipv4Cidr& cidr() const { return cidr_; }
  absl::StatusOr<std::string> Allocate();
  // Marks an address used (a pod that already runs); false when outside the range.
  bool Reserve(const std::string& ip);
  void Release(const std::string& ip);
  int used() const { return used_count_; }

 private:
  bool Index(const std::string& ip, size_t* index) const;

  base::Ipv4Cidr cidr_;
  std::vector<bool> used_;
  size_t next_ = 2;
  int used_count_ = 0;
};

}  // namespace skiff::sim

#endif  // SKIFF_SIM_SIM_OBJECTS_H_
