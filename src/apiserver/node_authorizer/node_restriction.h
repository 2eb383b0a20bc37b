// NodeRestriction: the admission plug-in that limits what a node (user system:node:NAME in group
// system:nodes) may write, after the Node authorizer let the request through (Kubernetes'
// plugin/pkg/admission/noderestriction):
//   * pods: create only mirror pods (kubernetes.io/config.mirror) bound to itself that use no
//     Secrets, ConfigMaps, PersistentVolumeClaims or ServiceAccount, owned by nothing but its own
//     Node; update status, delete and evict only pods bound to itself; no other pod updates;
//   * nodes: create, update and delete only its own Node; never set spec.configSource, change its
//     taints, or set labels outside the kubelet's allowed set (node-restriction.kubernetes.io/
//     and other kubernetes.io / k8s.io labels);
//   * leases: only its own, in kube-node-lease;
//   * persistentvolumes: only removing the skiff.io/local-path-cleanup finalizer from local-path
//     PVs annotated skiff.io/local-path-node with its name (after its agent removed the directory);
//   * serviceaccounts/token: only tokens bound (boundObjectRef) to a pod on itself, with that
//     pod's uid.
// Everyone else, and every other resource, passes untouched. Off with
// --disable-admission-plugins NodeRestriction.
// Thread-safety: stateless apart from the borrowed Sources; safe for concurrent use. Ownership:
// borrows the Sources (sources.h; may be null in tests: token requests then find no pods).
// Failure: refusals are 403 Forbidden with Kubernetes' wording
// (`pods "x" is forbidden: node "n1" can only create pods with spec.nodeName set to itself`).
#ifndef SKIFF_APISERVER_NODE_AUTHORIZER_NODE_RESTRICTION_H_
#define SKIFF_APISERVER_NODE_AUTHORIZER_NODE_RESTRICTION_H_

#include <string>

#include "apiserver/admission.h"
#include "apiserver/node_authorizer/sources.h"

namespace skiff::apiserver::node_authorizer {

class NodeRestriction : public AdmissionPlugin {
 public:
  explicit NodeRestriction(const Sources* sources) : sources_(sources) {}
  absl::Status Validate(const AdmissionRequest& request, const boost::json::value* obj,
                        const boost::json::value* old) override;

 private:
  absl::Status AdmitPod(const AdmissionRequest& request, const std::string& node,
                        const boost::json::value* obj, const boost::json::value* old) const;
  absl::Status AdmitNode(const AdmissionRequest& request, const std::string& node,
                         const boost::json::value* obj, const boost::json::value* old) const;
  absl::Status AdmitVolume(const AdmissionRequest& request, const std::string& node,
                           const boost::json::value* obj, const boost::json::value* old) const;
  absl::Status AdmitLease(const AdmissionRequest& request, const std::string& node,
                          const boost::json::value* obj) const;
  absl::Status AdmitTokenRequest(const AdmissionRequest& request, const std::string& node,
                                 const boost::json::value& token_request) const;

  const Sources* sources_;
};

// Whether a node may set the label `key` on its own Node (the kubelet's labels: kubernetes.io/
// hostname, os, arch, zone, region, instance-type, and the kubelet.kubernetes.io/ and
// node.kubernetes.io/ namespaces; any label outside kubernetes.io and k8s.io; never
// node-restriction.kubernetes.io/).
bool NodeMaySetLabel(const std::string& key);

// The local-path provisioner's PV annotation naming the node whose agent cleans the volume up, and
// the finalizer that agent removes (controllers/volume/volume_util.h, which this layer cannot include).
inline constexpr char kLocalPathNodeAnnotation[] = "skiff.io/local-path-node";
inline constexpr char kLocalPathCleanupFinalizer[] = "skiff.io/local-path-cleanup";

}  // namespace skiff::apiserver::node_authorizer

#endif  // SKIFF_APISERVER_NODE_AUTHORIZER_NODE_RESTRICTION_H_
