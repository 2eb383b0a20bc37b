// DefaultTolerationSeconds admission (as Kubernetes' plugin of that name): every pod created gets
// NoExecute tolerations for node.kubernetes.io/not-ready and node.kubernetes.io/unreachable with
// tolerationSeconds 300, unless it already tolerates those taints, so taint-based eviction keeps
// pods on a briefly lost node for five minutes before replacing them.
// Applied on create only (SchemaAdmission calls it before validation).
// Thread-safety: pure function. Ownership: edits the caller's object in place. Never fails: a pod
// whose spec or tolerations have the wrong JSON type is left alone (validation reports it).
#ifndef SKIFF_APISERVER_DEFAULT_TOLERATIONS_H_
#define SKIFF_APISERVER_DEFAULT_TOLERATIONS_H_

#include <cstdint>

#include "boost/json/value.hpp"

namespace skiff::apiserver {

inline constexpr int64_t kDefaultNotReadyTolerationSeconds = 300;
inline constexpr int64_t kDefaultUnreachableTolerationSeconds = 300;

void AddDefaultTolerations(boost::json::value& pod);

}  // namespace skiff::apiserver

#endif  // SKIFF_APISERVER_DEFAULT_TOLERATIONS_H_
