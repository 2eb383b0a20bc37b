#include "apiserver/podsecurity/evaluator.h"

#include <algorithm>
#include <set>
#include <string_view>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "boost/json/value.hpp"

namespace skiff::apiserver::podsecurity {

namespace {

struct VersionedCheck {
  int minimum_minor;  // v1.<minimum_minor>
  CheckFn check;
  std::vector<std::string_view> overrides;  // baseline check ids this form replaces (restricted only)
};

struct Check {
  std::string_view id;
  Level level;
  std::vector<VersionedCheck> versions;  // oldest first
};

// Sorted by level, then id (Go's byte order), which is the order checks run and report in.
const std::vector<Check>& Registry() {
  static const std::vector<Check> checks = [] {
    std::vector<Check> c = {
        {"appArmorProfile", Level::kBaseline, {{0, AppArmorProfile, {}}}},
        {"capabilities_baseline", Level::kBaseline, {{0, CapabilitiesBaseline, {}}}},
        {"hostNamespaces", Level::kBaseline, {{0, HostNamespaces, {}}}},
        {"hostPathVolumes", Level::kBaseline, {{0, HostPathVolumes, {}}}},
        {"hostPorts", Level::kBaseline, {{0, HostPorts, {}}}},
        {"privileged", Level::kBaseline, {{0, Privileged, {}}}},
        {"procMount", Level::kBaseline, {{0, ProcMount, {}}}},
        {"seLinuxOptions", Level::kBaseline, {{0, SeLinuxOptions_1_0, {}}, {31, SeLinuxOptions_1_31, {}}}},
        {"seccompProfile_baseline",
         Level::kBaseline,
         {{0, SeccompProfileBaseline_1_0, {}}, {19, SeccompProfileBaseline_1_19, {}}}},
        {"sysctls",
         Level::kBaseline,
         {{0, Sysctls_1_0, {}}, {27, Sysctls_1_27, {}}, {29, Sysctls_1_29, {}}, {32, Sysctls_1_32, {}}}},
        {"windowsHostProcess", Level::kBaseline, {{0, WindowsHostProcess, {}}}},
        {"allowPrivilegeEscalation",
         Level::kRestricted,
         {{8, AllowPrivilegeEscalation_1_8, {}}, {25, AllowPrivilegeEscalation_1_25, {}}}},
        {"capabilities_restricted",
         Level::kRestricted,
         {{22, CapabilitiesRestricted_1_22, {"capabilities_baseline"}},
          {25, CapabilitiesRestricted_1_25, {"capabilities_baseline"}}}},
        {"restrictedVolumes", Level::kRestricted, {{0, RestrictedVolumes, {"hostPathVolumes"}}}},
        {"runAsNonRoot", Level::kRestricted, {{0, RunAsNonRoot, {}}}},
        {"runAsUser", Level::kRestricted, {{23, RunAsUser, {}}}},
        {"seccompProfile_restricted",
         Level::kRestricted,
         {{19, SeccompProfileRestricted_1_19, {"seccompProfile_baseline"}},
          {25, SeccompProfileRestricted_1_25, {"seccompProfile_baseline"}}}},
    };
    std::stable_sort(c.begin(), c.end(), [](const Check& a, const Check& b) {
      return a.level != b.level ? a.level < b.level : a.id < b.id;
    });
    return c;
  }();
  return checks;
}

// The form of `check` that version v1.`minor` runs, or null when the check is newer.
const VersionedCheck* FormAt(const Check& check, int minor) {
  const VersionedCheck* form = nullptr;
  for (const auto& v : check.versions) {
    if (v.minimum_minor <= minor) form = &v;
  }
  return form;
}

}  // namespace

std::vector<CheckResult> EvaluatePod(const LevelVersion& policy, const boost::json::value& meta,
                                     const boost::json::value& spec) {
  std::vector<CheckResult> results;
  if (policy.level == Level::kPrivileged) return results;
  int minor = policy.version.latest ? kNewestMinor : std::min(policy.version.minor, kNewestMinor);
  std::set<std::string_view> overridden;
  if (policy.level == Level::kRestricted) {
    for (const auto& check : Registry()) {
      const VersionedCheck* form = check.level == Level::kRestricted ? FormAt(check, minor) : nullptr;
      if (form) overridden.insert(form->overrides.begin(), form->overrides.end());
    }
  }
  for (const auto& check : Registry()) {
    if (check.level > policy.level || overridden.contains(check.id)) continue;
    if (const VersionedCheck* form = FormAt(check, minor)) results.push_back(form->check(meta, spec));
  }
  return results;
}

std::string Violations::Reasons() const { return absl::StrJoin(reasons, ", "); }

std::string Violations::Details() const {
  std::vector<std::string> parts;
  for (size_t i = 0; i < reasons.size(); ++i) {
    parts.push_back(details[i].empty() ? reasons[i] : absl::StrCat(reasons[i], " (", details[i], ")"));
  }
  return absl::StrJoin(parts, ", ");
}

Violations Aggregate(const std::vector<CheckResult>& results) {
  Violations v;
  for (const auto& result : results) {
    if (result.allowed) continue;
    v.reasons.push_back(result.reason.empty() ? "unknown forbidden reason" : result.reason);
    v.details.push_back(result.detail);
  }
  return v;
}

}  // namespace skiff::apiserver::podsecurity
