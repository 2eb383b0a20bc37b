// Taint-based eviction rules (Kubernetes' NoExecute taint manager): whether a pod tolerates a
// node's NoExecute taints, and for how long.
// Thread-safety: pure functions. Ownership: none. Never fails: malformed fields count as absent.
#ifndef SKIFF_CONTROLLERS_NODELIFECYCLE_TAINT_EVICTION_H_
#define SKIFF_CONTROLLERS_NODELIFECYCLE_TAINT_EVICTION_H_

#include <optional>
#include <vector>

#include "absl/time/time.h"
#include "boost/json/value.hpp"

namespace skiff::controllers {

// corev1 Toleration.ToleratesTaint: effect empty or equal; key empty (with Exists) or equal;
// operator Exists, or Equal (the default) with an equal value.
bool ToleratesTaint(const boost::json::value& toleration, const boost::json::value& taint);

// The NoExecute taints of a node (spec.taints).
std::vector<boost::json::value> NoExecuteTaints(const boost::json::value& node);

struct EvictionDecision {
  bool tolerated_forever = false;  // no eviction
  // How long after the taints appeared the pod may stay (zero: evict now). Meaningful when not
  // tolerated forever.
  absl::Duration delay = absl::ZeroDuration();
};

// For a pod on a node with the given NoExecute taints (non-empty): a taint no toleration covers
// evicts at once; otherwise the smallest tolerationSeconds among the tolerations used (the first
// one covering each taint) applies, and none with tolerationSeconds means forever.
EvictionDecision DecideEviction(const boost::json::value& pod, const std::vector<boost::json::value>& taints);

}  // namespace skiff::controllers

#endif  // SKIFF_CONTROLLERS_NODELIFECYCLE_TAINT_EVICTION_H_
