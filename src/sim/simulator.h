// Simulator: plays N kubelets through one Client, for scale tests and capacity planning
// (`skiff sim`). It registers the nodes, renews each node's Lease every lease_interval, rewrites
// node status when it is unhealthy or wrong (and as a heartbeat every status_interval), and acts
// as kubelet for the pods bound to its nodes: after ready_delay a pod becomes Running and Ready with
// an IP from its node's spec.podCIDR (or a fallback /24), and a pod being deleted is finalised
// with a DELETE (gracePeriodSeconds=0). One SimKubelet (sim_kubelet.h) answers the API server's
// logs/exec/attach/port-forward calls for every node, at the nodes' loopback InternalIPs.
//
// Addresses: nothing that reaches a simulated node leaves this machine (node addresses are
// loopback). Pod IPs stay in the node's pod CIDR, as Kubernetes expects (EndpointSlices may not
// hold loopback addresses): the API server never connects to pod IPs, and a cluster of simulated
// nodes has no agent that would. A real agent in the same cluster would, though: its service proxy
// DNATs to every endpoint, and a simulated pod's IP is not routed on its node, so that traffic
// would follow its default route. Do not mix simulated nodes with real ones in a cluster whose
// Services select simulated pods.
//
// Built for 5,000 nodes and 150,000 pods in one process: no per-node or per-pod threads. One
// timer thread holds every future action in a heap and hands due ones to a small worker pool
// whose writes run concurrently over the client's keep-alive connections; two client::Reflectors
// (list+watch without a cache: all bound pods via `spec.nodeName!=`, and nodes) feed it. Per pod only a small summary is kept.
//
// Thread-safety: Start/Stop from one thread; everything else is internal. Ownership: borrows the
// Client (must outlive the Simulator) and the Clock. Failure: Start fails if the kubelet endpoint
// cannot listen or a node cannot be registered; later API errors are logged and retried (pods after 1 s,
// leases on their next turn).
#ifndef SKIFF_SIM_SIMULATOR_H_
#define SKIFF_SIM_SIMULATOR_H_

#include <atomic>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <queue>
#include <string>
#include <thread>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/status/status.h"
#include "base/clock.h"
#include "base/thread_pool.h"
#include "client/client.h"
#include "client/reflector.h"
#include "sim/sim_kubelet.h"
#include "sim/sim_objects.h"

namespace skiff::sim {

class Simulator {
 public:
  struct Stats {
    int64_t nodes_registered = 0;
    int64_t lease_renewals = 0;
    int64_t node_status_updates = 0;
    int64_t pods_started = 0;
    int64_t pods_finished = 0;
    int64_t pods_deleted = 0;
    int64_t write_errors = 0;
  };

  Simulator(client::Client* client, SimOptions options, const base::Clock* clock = &base::RealClock());
  ~Simulator();
  Simulator(const Simulator&) = delete;
  Simulator& operator=(const Simulator&) = delete;

  // Registers every node (blocking), then starts leases, heartbeats and the pod loop.
  absl::Status Start();
  void Stop();

  Stats stats() const;
  const SimOptions& options() const { return options_; }
  // The port of the nodes' kubelet endpoint (after Start).
  int kubelet_port() const;
  // What the kubelet endpoint knows of pod ns/name (a scan of the tracked pods: rare requests).
  std::optional<SimPod> FindPod(const std::string& ns, const std::string& name) const;

 private:
  struct NodeState {
    NodeIdentity id;
    std::string uid;
    absl::Time since;  // conditions' lastTransitionTime
    PodIpPool ips;
    bool cidr_from_spec = false;
    bool status_pending = false;  // an urgent status write is queued
    absl::Time last_urgent = absl::InfinitePast();
    absl::flat_hash_set<std::string> pods;  // uids of the pods tracked on this node
  };
  struct PodState {
    std::string ns;
    std::string name;
    int node = 0;
    PodSpecSummary summary;
    std::string ip;
    absl::Time started;
    bool start_queued = false;
    bool running = false;
    bool finished = false;
    bool deleting = false;
  };
  struct Timed {
    absl::Time due;
    uint64_t seq;
    std::function<void()> task;
    bool operator>(const Timed& o) const { return due != o.due ? due > o.due : seq > o.seq; }
  };

  // Runs `task` on a worker at `due` (now or in the past: as soon as possible).
  void At(absl::Time due, std::function<void()> task);
  void TimerLoop();

  absl::Status RegisterNode(int index);
  void RenewLease(int index);
  void WriteNodeStatus(int index, bool urgent);
  void StartPod(const std::string& uid);
  void FinishPod(const std::string& uid);
  void DeletePod(const std::string& uid);
  void LogStats();

  void OnPodList(const std::vector<client::Object>& items);
  void OnPodEvent(const client::WatchEvent& event);
  void HandlePodLocked(const boost::json::value& pod, bool deleted);
  void ForgetPodLocked(const std::string& uid);
  void OnNodeList(const std::vector<client::Object>& items);
  void OnNodeEvent(const client::WatchEvent& event);
  void HandleNodeLocked(const boost::json::value& node, bool deleted);
  void CountError(const char* what, const std::string& name, const absl::Status& status);

  client::Client* client_;
  const SimOptions options_;
  const base::Clock* clock_;
  const api::ResourceInfo& nodes_;
  const api::ResourceInfo& pods_;
  const api::ResourceInfo& leases_;

  mutable std::mutex mu_;
  std::vector<NodeState> node_states_;
  absl::flat_hash_map<std::string, int> node_index_;
  absl::flat_hash_map<std::string, PodState> pod_states_;  // by uid

  std::mutex timer_mu_;
  std::condition_variable timer_cv_;
  std::priority_queue<Timed, std::vector<Timed>, std::greater<Timed>> timers_;
  uint64_t timer_seq_ = 0;
  bool timer_stopping_ = false;
  std::thread timer_thread_;

  std::atomic<bool> stopping_{false};
  std::unique_ptr<SimKubelet> kubelet_;
  std::unique_ptr<base::ThreadPool> workers_;
  std::unique_ptr<client::Reflector> node_watcher_;
  std::unique_ptr<client::Reflector> pod_watcher_;

  std::atomic<int64_t> nodes_registered_{0}, lease_renewals_{0}, node_status_updates_{0}, pods_started_{0},
      pods_finished_{0}, pods_deleted_{0}, write_errors_{0};
};

}  // namespace skiff::sim

#endif  // SKIFF_SIM_SIMULATOR_H_
