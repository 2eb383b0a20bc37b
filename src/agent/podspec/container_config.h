// The CRI ContainerConfig for one container of a pod, as the kubelet's generateContainerConfig
// builds it: metadata, image, command/args with $(VAR) expansion, working dir, environment
// (env.h), mounts from volumeMounts (subPath/subPathExpr, readOnly, propagation) plus the
// kubelet-managed /etc/hosts and termination-message file, labels and annotations the pods helper
// recovers state from, log path, stdin/tty, Linux resources by QoS and the effective security
// context (pod-level merged with container-level).
// Thread-safety: safe to call concurrently for different pods; writes files under
// <pods_dir>/<uid>/ (etc-hosts, containers/<name>/<attempt>). Ownership: borrows its arguments.
// Failure: every error is a CreateContainerConfigError for the pods helper: NotFound
// (`configmap "x" not found`), InvalidArgument (missing key, unknown volume, bad subPath),
// FailedPrecondition (subPath escaping its volume), Internal (files).
#ifndef SKIFF_AGENT_PODSPEC_CONTAINER_CONFIG_H_
#define SKIFF_AGENT_PODSPEC_CONTAINER_CONFIG_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "agent/cri/api.pb.h"
#include "agent/podspec/env.h"
#include "agent/podspec/object_source.h"
#include "agent/podspec/pod_context.h"
#include "agent/podspec/volumes.h"
#include "boost/json/value.hpp"

namespace skiff::agent::podspec {

inline constexpr char kCreateContainerConfigError[] = "CreateContainerConfigError";

inline constexpr char kContainerNameLabel[] = "io.kubernetes.container.name";
inline constexpr char kContainerHashAnnotation[] = "io.kubernetes.container.hash";
inline constexpr char kContainerRestartCountAnnotation[] = "io.kubernetes.container.restartCount";
inline constexpr char kTerminationMessagePathAnnotation[] = "io.kubernetes.container.terminationMessagePath";
inline constexpr char kTerminationMessagePolicyAnnotation[] =
    "io.kubernetes.container.terminationMessagePolicy";
inline constexpr char kTerminationGracePeriodAnnotation[] = "io.kubernetes.pod.terminationGracePeriod";
inline constexpr char kContainerPortsAnnotation[] = "io.kubernetes.container.ports";
inline constexpr char kPreStopHandlerAnnotation[] = "io.kubernetes.container.preStopHandler";

struct ContainerOptions {
  std::string pods_dir;        // <agent data dir>/pods
  uint32_t attempt = 0;        // the container's restart count (CRI metadata.attempt, log file name)
  PodContext ctx;              // pod IPs (after the sandbox is up), node IPs and resources
  ServiceEnvFunc service_env;  // Kubernetes service variables; none when empty
  std::string cluster_domain = "cluster.local";
  std::string host_etc_hosts = "/etc/hosts";              // copied for hostNetwork pods
  std::string seccomp_root = "/var/lib/kubelet/seccomp";  // base of Localhost seccomp profiles
};

struct ContainerConfigResult {
  ::runtime::v1::ContainerConfig config;
  std::vector<PodEvent> events;               // record these on the pod (e.g. invalid env names)
  std::string termination_message_host_path;  // "" when terminationMessagePath is empty
};

// FNV-1a (32 bit, hex) of the container's JSON: changes when the spec of the container changes.
std::string ContainerHash(const boost::json::value& container);

// The kubelet-managed hosts file content ("# Kubernetes-managed hosts file.", localhost lines,
// the pod's IPs with hostname[.domain], hostAliases).
std::string ManagedHostsFile(const std::vector<std::string>& pod_ips, const std::string& hostname,
                             const std::string& domain, const boost::json::value* host_aliases);

// `volumes` comes from VolumeManager::Setup for the same pod.
absl::StatusOr<ContainerConfigResult> BuildContainerConfig(const boost::json::value& pod,
                                                           const boost::json::value& container,
                                                           const VolumeMap& volumes, ObjectSource& objects,
                                                           const ContainerOptions& options);

// The LinuxContainerSecurityContext of `container` (pod-level securityContext merged in).
::runtime::v1::LinuxContainerSecurityContext ContainerSecurityContext(const boost::json::value& pod,
                                                                      const boost::json::value& container,
                                                                      const std::string& seccomp_root);

}  // namespace skiff::agent::podspec

#endif  // SKIFF_AGENT_PODSPEC_CONTAINER_CONFIG_H_
