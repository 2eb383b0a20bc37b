// Pod Security levels, policy versions and the per-namespace policy read from the namespace's
// labels (pod-security.kubernetes.io/enforce|audit|warn and their -version labels), as
// k8s.io/pod-security-admission/api resolves them.
// Thread-safety: plain values and pure functions. Failure: ParseLevel/ParseVersion return
// InvalidArgument with Kubernetes' text; PolicyFromLabels returns every bad label as a field cause
// and still a usable policy (bad enforce levels fall back to restricted, bad audit/warn levels to
// privileged, bad versions to latest).
#ifndef SKIFF_APISERVER_PODSECURITY_POLICY_H_
#define SKIFF_APISERVER_PODSECURITY_POLICY_H_

#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "api/errors.h"
#include "boost/json/fwd.hpp"

namespace skiff::apiserver::podsecurity {

enum class Level { kPrivileged, kBaseline, kRestricted };  // in order of strictness

const char* LevelName(Level level);
// "privileged", "baseline" or "restricted".
absl::StatusOr<Level> ParseLevel(std::string_view text);

// A policy version: "latest" or "v1.<minor>" (Pod Security has no other major version).
struct Version {
  int minor = 0;
  bool latest = true;

  static Version Latest() { return {}; }
  static Version V1(int minor) { return {minor, false}; }
  bool Older(const Version& other) const {
    if (latest) return false;
    return other.latest || minor < other.minor;
  }
  bool operator==(const Version&) const = default;
  std::string String() const;
};
// "latest" or "v1.x" (x without leading zeros).
absl::StatusOr<Version> ParseVersion(std::string_view text);

struct LevelVersion {
  Level level = Level::kPrivileged;
  Version version;

  bool operator==(const LevelVersion&) const = default;
  std::string String() const;  // "restricted:latest", "baseline:v1.30"
};

struct Policy {
  LevelVersion enforce, audit, warn;

  bool FullyPrivileged() const {
    return enforce.level == Level::kPrivileged && audit.level == Level::kPrivileged &&
           warn.level == Level::kPrivileged;
  }
};

inline constexpr std::string_view kEnforceLabel = "pod-security.kubernetes.io/enforce";
inline constexpr std::string_view kEnforceVersionLabel = "pod-security.kubernetes.io/enforce-version";
inline constexpr std::string_view kAuditLabel = "pod-security.kubernetes.io/audit";
inline constexpr std::string_view kAuditVersionLabel = "pod-security.kubernetes.io/audit-version";
inline constexpr std::string_view kWarnLabel = "pod-security.kubernetes.io/warn";
inline constexpr std::string_view kWarnVersionLabel = "pod-security.kubernetes.io/warn-version";

// The policy of a namespace with `labels` (a JSON object of strings, or null), unset modes taken
// from `defaults`. As Kubernetes, warn follows an explicitly stricter enforce level unless warn is
// labelled itself. Bad label values are appended to `errors` (FieldValueInvalid causes on
// metadata.labels[...]).
Policy PolicyFromLabels(const boost::json::value& labels, const Policy& defaults,
                        std::vector<api::StatusCause>* errors);

}  // namespace skiff::apiserver::podsecurity

#endif  // SKIFF_APISERVER_PODSECURITY_POLICY_H_
