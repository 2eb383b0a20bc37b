// NodeLifecycleController: node health from heartbeats, condition-based taints, taint-based
// eviction and pod CIDR allocation (the node-lifecycle, taint-eviction and node-ipam controllers
// of kube-controller-manager):
//   * health: a node is alive while its Lease kube-node-lease/<node> (spec.renewTime) or its Ready
//     condition's lastHeartbeatTime keeps changing; when neither changed for `grace_period`
//     (measured on this controller's clock from when it last saw a change, so clock skew does not
//     matter), Ready, MemoryPressure, DiskPressure and PIDPressure become Unknown
//     (NodeStatusUnknown, "Kubelet stopped posting node status.");
//   * taints: Ready=False adds node.kubernetes.io/not-ready, Ready=Unknown
//     node.kubernetes.io/unreachable, both as NoExecute (with timeAdded) and NoSchedule; they are
//     removed when the node is Ready again;
//   * eviction: pods on a node with NoExecute taints they do not tolerate are deleted at once;
//     pods whose tolerations have tolerationSeconds are deleted that long after this controller
//     first saw the taint (pods get 300 s tolerations at admission); pods on an unreachable node
//     are marked Ready=False first;
//   * podCIDR: nodes without spec.podCIDR get the next free subnet of the cluster CIDR
//     (spec.podCIDR and spec.podCIDRs); subnets already on nodes are re-read at start.
// Events, as Kubernetes writes them: NodeNotReady on the node (Normal) and on its pods (Warning)
// when it goes silent, TaintManagerEviction on each evicted pod, CIDRNotAvailable on a node that
// finds the cluster CIDR full (once per node until it gets one).
// Keys are node names; each reconcile asks to be re-run when the next deadline passes.
// Thread-safety: Start/Stop from one thread; Reconcile runs concurrently for different nodes
// (shared state is behind a mutex). Ownership: borrows the context's client, informers and clock.
// Failure: API errors fail the reconcile (retried with backoff); an exhausted cluster CIDR is
// logged and reported as an event, and the node gets no podCIDR until a subnet frees up; a
// malformed cluster CIDR (the binary validates it first) disables allocation.
#ifndef SKIFF_CONTROLLERS_NODELIFECYCLE_NODE_LIFECYCLE_CONTROLLER_H_
#define SKIFF_CONTROLLERS_NODELIFECYCLE_NODE_LIFECYCLE_CONTROLLER_H_

#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>

#include "base/clock.h"
#include "client/controller.h"
#include "client/controller_context.h"
#include "controllers/nodelifecycle/cidr_allocator.h"

namespace skiff::controllers {

class NodeLifecycleController : public client::Runnable, public client::Reconciler {
 public:
  struct Options {
    int workers = 2;
    absl::Duration grace_period = absl::Seconds(40);
    std::string cluster_cidr = "10.42.0.0/16";  // "" disables podCIDR allocation
    int node_cidr_mask_size = 0;                // 0 = 24 (IPv4) / 64 (IPv6)
    const base::Clock* clock = nullptr;         // null = real clock
  };

  inline static constexpr char kNotReadyTaint[] = "node.kubernetes.io/not-ready";
  inline static constexpr char kUnreachableTaint[] = "node.kubernetes.io/unreachable";

  NodeLifecycleController(const client::ControllerContext& context, Options options);
  ~NodeLifecycleController() override;

  void Start() override;
  void Stop() override;
  client::ReconcileResult Reconcile(const std::string& node) override;

 private:
  struct Health {
    std::string lease_renew_time;
    std::string ready_heartbeat;
    absl::Time probe;  // when we last saw either change
  };

  absl::StatusOr<client::Object> EnsurePodCidr(const client::Object& node);
  // Marks the conditions Unknown when the heartbeat is overdue; sets `*next` to when to look again.
  absl::StatusOr<client::Object> CheckHealth(const client::Object& node, absl::Time now,
                                             std::optional<absl::Duration>* next);
  absl::StatusOr<client::Object> SyncTaints(const client::Object& node, absl::Time now);
  absl::Status EvictPods(const client::Object& node, absl::Time now, std::optional<absl::Duration>* next);
  // Drops first-seen times of the node's taints not in `keep`. Caller holds mu_.
  void ForgetTaints(const std::string& node, const std::set<std::string>& keep);
  void RecordEvent(const std::string& component, const std::string& kind, const boost::json::value& obj,
                   const std::string& type, const std::string& reason, const std::string& message);

  client::ControllerContext context_;
  Options options_;
  client::Informer* nodes_;
  client::Informer* leases_;
  client::Informer* pods_;
  std::unique_ptr<client::Controller> controller_;

  std::mutex mu_;
  std::map<std::string, Health> health_;
  std::optional<CidrAllocator> cidrs_;
  std::map<std::string, absl::Time> taint_first_seen_;  // "<node>/<key>=<value>" of NoExecute taints
  std::set<std::string> cidr_not_available_;            // nodes told so by an event
};

std::unique_ptr<client::Runnable> NewNodeLifecycleController(const client::ControllerContext& context);

}  // namespace skiff::controllers

#endif  // SKIFF_CONTROLLERS_NODELIFECYCLE_NODE_LIFECYCLE_CONTROLLER_H_
