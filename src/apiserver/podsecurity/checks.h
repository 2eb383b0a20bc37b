// The checks of the Pod Security Standards, one function per check and policy version, over a
// pod's (or pod template's) metadata and spec as JSON. Each mirrors the check of the same name in
// k8s.io/pod-security-admission/policy (v1.32), with its reason and detail text, so skiff refuses
// and warns with Kubernetes' words. Baseline: windowsHostProcess, hostNamespaces, privileged,
// capabilities_baseline, hostPathVolumes, hostPorts, appArmorProfile, seLinuxOptions, procMount,
// seccompProfile_baseline, sysctls. Restricted adds: restrictedVolumes, allowPrivilegeEscalation,
// runAsNonRoot, runAsUser, seccompProfile_restricted, capabilities_restricted.
// Thread-safety: pure functions. Never fails: fields of unexpected types count as unset.
#ifndef SKIFF_APISERVER_PODSECURITY_CHECKS_H_
#define SKIFF_APISERVER_PODSECURITY_CHECKS_H_

#include <string>

#include "boost/json/fwd.hpp"

namespace skiff::apiserver::podsecurity {

struct CheckResult {
  bool allowed = true;
  std::string reason;  // "allowPrivilegeEscalation != false"
  std::string detail;  // `container "c" must set securityContext.allowPrivilegeEscalation=false`
};

// `meta` is the pod's metadata object and `spec` its spec; null or non-objects read as empty.
using CheckFn = CheckResult (*)(const boost::json::value& meta, const boost::json::value& spec);

// Baseline.
CheckResult WindowsHostProcess(const boost::json::value& meta, const boost::json::value& spec);
CheckResult HostNamespaces(const boost::json::value& meta, const boost::json::value& spec);
CheckResult Privileged(const boost::json::value& meta, const boost::json::value& spec);
CheckResult CapabilitiesBaseline(const boost::json::value& meta, const boost::json::value& spec);
CheckResult HostPathVolumes(const boost::json::value& meta, const boost::json::value& spec);
CheckResult HostPorts(const boost::json::value& meta, const boost::json::value& spec);
CheckResult AppArmorProfile(const boost::json::value& meta, const boost::json::value& spec);
CheckResult SeLinuxOptions_1_0(const boost::json::value& meta, const boost::json::value& spec);
CheckResult SeLinuxOptions_1_31(const boost::json::value& meta,
                                const boost::json::value& spec);  // + container_engine_t
CheckResult ProcMount(const boost::json::value& meta, const boost::json::value& spec);
// Before 1.19: the seccomp annotations; from 1.19: securityContext.seccompProfile.
CheckResult SeccompProfileBaseline_1_0(const boost::json::value& meta, const boost::json::value& spec);
CheckResult SeccompProfileBaseline_1_19(const boost::json::value& meta, const boost::json::value& spec);
// The allowed ("safe") sysctls grew in 1.27, 1.29 and 1.32.
CheckResult Sysctls_1_0(const boost::json::value& meta, const boost::json::value& spec);
CheckResult Sysctls_1_27(const boost::json::value& meta, const boost::json::value& spec);
CheckResult Sysctls_1_29(const boost::json::value& meta, const boost::json::value& spec);
CheckResult Sysctls_1_32(const boost::json::value& meta, const boost::json::value& spec);

// Restricted. The _1_25 forms exempt pods with spec.os.name=windows.
CheckResult RestrictedVolumes(const boost::json::value& meta, const boost::json::value& spec);
CheckResult AllowPrivilegeEscalation_1_8(const boost::json::value& meta, const boost::json::value& spec);
CheckResult AllowPrivilegeEscalation_1_25(const boost::json::value& meta, const boost::json::value& spec);
CheckResult RunAsNonRoot(const boost::json::value& meta, const boost::json::value& spec);
CheckResult RunAsUser(const boost::json::value& meta, const boost::json::value& spec);
CheckResult SeccompProfileRestricted_1_19(const boost::json::value& meta, const boost::json::value& spec);
CheckResult SeccompProfileRestricted_1_25(const boost::json::value& meta, const boost::json::value& spec);
CheckResult CapabilitiesRestricted_1_22(const boost::json::value& meta, const boost::json::value& spec);
CheckResult CapabilitiesRestricted_1_25(const boost::json::value& meta, const boost::json::value& spec);

}  // namespace skiff::apiserver::podsecurity

#endif  // SKIFF_APISERVER_PODSECURITY_CHECKS_H_
