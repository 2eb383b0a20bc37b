// Node eligibility for DaemonSet pods (k8s NodeShouldRunDaemonPod): nodeSelector, required node
// affinity (matchExpressions on labels, matchFields on metadata.name) and taints against the
// template's tolerations plus the standard DaemonSet tolerations; and the pod a DaemonSet makes
// for one node (affinity pinned to the node with matchFields metadata.name, the scheduler binds).
// Thread-safety: pure functions. Ownership: inputs borrowed. Never fails: malformed fields count
// as absent (a malformed affinity term matches nothing).
#ifndef SKIFF_CONTROLLERS_DAEMONSET_DAEMON_UTIL_H_
#define SKIFF_CONTROLLERS_DAEMONSET_DAEMON_UTIL_H_

#include <string>

#include "boost/json/value.hpp"

namespace skiff::controllers {

inline constexpr char kControllerRevisionHashLabel[] = "controller-revision-hash";

struct NodeFit {
  bool should_run = false;       // a new pod may be placed
  bool should_continue = false;  // an existing pod may stay (NoSchedule taints do not evict)
};

// Whether a node satisfies a nodeSelectorTerms list (ORed terms, ANDed requirements).
bool NodeMatchesTerms(const boost::json::value& node, const boost::json::value& terms);
// corev1 Toleration.ToleratesTaint.
bool TolerationMatches(const boost::json::value& toleration, const boost::json::value& taint);
// Adds the tolerations every DaemonSet pod carries (not-ready/unreachable NoExecute, memory-,
// disk-, pid-pressure and unschedulable NoSchedule) unless an equal key/effect is present.
void AddDaemonTolerations(boost::json::value& pod_spec);
NodeFit FitsNode(const boost::json::value& template_spec, const boost::json::value& node);

// The node a daemon pod is for: spec.nodeName, else its matchFields metadata.name pin.
std::string DaemonPodNode(const boost::json::value& pod);
// A pod for `node` from the DaemonSet's template, labelled with the revision hash.
boost::json::value MakeDaemonPod(const boost::json::value& ds, const std::string& node,
                                 const std::string& hash);
// A short stable hash of spec.template (the controller-revision-hash).
std::string TemplateHash(const boost::json::value& ds);

}  // namespace skiff::controllers

#endif  // SKIFF_CONTROLLERS_DAEMONSET_DAEMON_UTIL_H_
