// Which checks a level and version runs, and how their verdicts read: the check registry of
// k8s.io/pod-security-admission/policy. Baseline runs the baseline checks; restricted runs the
// restricted checks plus the baseline checks they do not replace (restrictedVolumes replaces
// hostPathVolumes, capabilities_restricted replaces capabilities_baseline from v1.22,
// seccompProfile_restricted replaces seccompProfile_baseline from v1.19). Each check runs in the
// form of the newest version not newer than the requested one; "latest" and versions past v1.32
// mean v1.32. Checks run in the order of their ids, baseline first, which is the order of the
// reasons in messages.
// Thread-safety: pure functions over an immutable table. Never fails.
#ifndef SKIFF_APISERVER_PODSECURITY_EVALUATOR_H_
#define SKIFF_APISERVER_PODSECURITY_EVALUATOR_H_

#include <string>
#include <vector>

#include "apiserver/podsecurity/checks.h"
#include "apiserver/podsecurity/policy.h"
#include "boost/json/fwd.hpp"

namespace skiff::apiserver::podsecurity {

// The newest policy version whose checks skiff knows (Kubernetes 1.32).
inline constexpr int kNewestMinor = 32;

// The verdicts of every check `policy` runs (none for privileged).
std::vector<CheckResult> EvaluatePod(const LevelVersion& policy, const boost::json::value& meta,
                                     const boost::json::value& spec);

// The failed checks of one evaluation (policy.AggregateCheckResult).
struct Violations {
  std::vector<std::string> reasons;
  std::vector<std::string> details;  // "" where a check gave none

  bool empty() const { return reasons.empty(); }
  // "allowPrivilegeEscalation != false, unrestricted capabilities"
  std::string Reasons() const;
  // `allowPrivilegeEscalation != false (container "c" must set ...), unrestricted capabilities (...)`
  std::string Details() const;
};
Violations Aggregate(const std::vector<CheckResult>& results);

}  // namespace skiff::apiserver::podsecurity

#endif  // SKIFF_APISERVER_PODSECURITY_EVALUATOR_H_
