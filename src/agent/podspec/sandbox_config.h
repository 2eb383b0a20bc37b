// The CRI PodSandboxConfig for a pod, as the kubelet's generatePodSandboxConfig builds it:
// metadata, hostname (hostname/subdomain/setHostnameAsFQDN; none for hostNetwork), log
// directory, DNS per dnsPolicy, labels/annotations, port mappings, and the Linux part (cgroup
// parent by QoS class, namespaces, sysctls, run-as user/group, supplemental groups, seccomp
// RuntimeDefault, pod resources and overhead).
// Thread-safety: pure function. Failure: InvalidArgument for an invalid hostname or a too long
// FQDN (the kubelet's messages).
#ifndef SKIFF_AGENT_PODSPEC_SANDBOX_CONFIG_H_
#define SKIFF_AGENT_PODSPEC_SANDBOX_CONFIG_H_

#include <cstdint>
#include <string>

#include "absl/status/statusor.h"
#include "agent/cri/api.pb.h"
#include "agent/podspec/dns.h"
#include "agent/podspec/qos.h"
#include "boost/json/value.hpp"

namespace skiff::agent::podspec {

inline constexpr char kPodNameLabel[] = "io.kubernetes.pod.name";
inline constexpr char kPodNamespaceLabel[] = "io.kubernetes.pod.namespace";
inline constexpr char kPodUidLabel[] = "io.kubernetes.pod.uid";

struct SandboxOptions {
  std::string pods_dir;  // <agent data dir>/pods; logs go to <pods_dir>/<uid>/logs
  DnsOptions dns;
  std::string cgroup_root = std::string(kDefaultCgroupRoot);
  uint32_t attempt = 0;  // sandbox re-creation count
};

// <pods_dir>/<uid>/logs: the sandbox's log_directory; container logs are <name>/<restarts>.log in it.
std::string PodLogDirectory(const std::string& pods_dir, const std::string& pod_uid);

absl::StatusOr<::runtime::v1::PodSandboxConfig> BuildSandboxConfig(const boost::json::value& pod,
                                                                   const SandboxOptions& options);

// The namespace modes of the pod (hostNetwork/hostPID/hostIPC/shareProcessNamespace).
::runtime::v1::NamespaceOption PodNamespaceOptions(const boost::json::value& pod);

}  // namespace skiff::agent::podspec

#endif  // SKIFF_AGENT_PODSPEC_SANDBOX_CONFIG_H_
