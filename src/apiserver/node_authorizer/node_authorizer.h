// NodeAuthorizer: Kubernetes' Node authorization mode. For a node (user system:node:NAME in group
// system:nodes) it allows reading the Secrets, ConfigMaps, PersistentVolumeClaims,
// PersistentVolumes and Pods its own pods use (NodeGraph), TokenRequests for its pods' service
// accounts, its own Lease in kube-node-lease, its own Node (get/list/watch by name; writes are left
// to NodeRestriction admission), list/watch of pods with `spec.nodeName=NAME`, pod status,
// mirror-pod create/delete and evictions (NodeRestriction narrows those to its own pods), and
// whatever the system:node ClusterRole lists for resources it does not subdivide (events, CSRs,
// services, token and access reviews ...). Everything else — and every non-node user — gets no
// opinion, and the next authorizer (RBAC) decides.
// NodeAndRbacAuthorizer chains it to the next authorizer (RBAC under --authorization-mode
// Node,RBAC); a denial carries the node authorizer's reason, as kube-apiserver's union authorizer
// reports it.
// The graph follows pods and PersistentVolumes through watches on the cluster's Sources (sources.h;
// the API server serves them from its watch cache, whose watches deliver everything stored before
// Start returns); a lookup that finds no path first waits briefly for the graph to catch up with the
// Sources, so a node reading a Secret right after its pod was bound is not refused.
// Thread-safety: Decide/Authorize may be called concurrently after Start. Ownership: borrows the
// Sources (and the next authorizer), which must outlive it; call Stop or destroy it first.
// Failure: Start fails if a watch cannot start; denials are 403 Statuses.
#ifndef SKIFF_APISERVER_NODE_AUTHORIZER_NODE_AUTHORIZER_H_
#define SKIFF_APISERVER_NODE_AUTHORIZER_NODE_AUTHORIZER_H_

#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "apiserver/auth.h"
#include "apiserver/node_authorizer/node_graph.h"
#include "apiserver/node_authorizer/sources.h"
#include "apiserver/rbac/policy_rule.h"

namespace skiff::apiserver::node_authorizer {

struct NodeDecision {
  bool allowed = false;
  std::string reason;  // why there is no opinion ("" when none is given)
};

class NodeAuthorizer {
 public:
  // Without Sources, the graph is fed only by graph() (tests).
  explicit NodeAuthorizer(Sources* sources);
  ~NodeAuthorizer();

  // Loads every pod and PersistentVolume and follows their changes.
  absl::Status Start();
  void Stop();

  NodeDecision Decide(const User& user, const RequestInfo& request) const;

  NodeGraph& graph() { return *graph_; }
  const NodeGraph& graph() const { return *graph_; }

 private:
  class Listener;
  NodeDecision DecideForNode(const std::string& node, const RequestInfo& request) const;
  NodeDecision Reach(const std::string& node, ObjectType type, const RequestInfo& request,
                     const std::string& name) const;
  // Waits (up to `timeout`) until the graph holds every pod and volume change the Sources hold.
  void WaitForSync(absl::Duration timeout) const;

  Sources* sources_;
  // Shared with the listeners: a delivery already under way when Stop returns still finds it.
  std::shared_ptr<NodeGraph> graph_ = std::make_shared<NodeGraph>();
  std::vector<rbac::PolicyRule> node_rules_;  // the system:node ClusterRole
  std::vector<std::pair<std::shared_ptr<Listener>, std::unique_ptr<Sources::Subscription>>> watches_;
};

// --authorization-mode Node,RBAC: the node authorizer, then `next` (the RBAC authorizer; any
// Authorizer) for what the node authorizer does not allow. RulesReview is the next authorizer's.
class NodeAndRbacAuthorizer : public Authorizer {
 public:
  NodeAndRbacAuthorizer(const NodeAuthorizer* node, const Authorizer* next) : node_(node), next_(next) {}
  absl::Status Authorize(const User& user, const RequestInfo& request,
                         std::string* reason = nullptr) const override;
  boost::json::object RulesReview(const User& user, const std::string& namespace_name) const override;

 private:
  const NodeAuthorizer* node_;
  const Authorizer* next_;
};

}  // namespace skiff::apiserver::node_authorizer

#endif  // SKIFF_APISERVER_NODE_AUTHORIZER_NODE_AUTHORIZER_H_
