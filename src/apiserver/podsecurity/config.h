// The PodSecurity plug-in's configuration file: Kubernetes' PodSecurityConfiguration
// (pod-security.admission.config.k8s.io/v1, YAML or JSON) with the cluster's default policy and
// the exempt usernames, runtime classes and namespaces, as kube-apiserver reads it from its
// admission configuration:
//   apiVersion: pod-security.admission.config.k8s.io/v1
//   kind: PodSecurityConfiguration
//   defaults: {enforce: baseline, enforce-version: latest, audit: restricted, warn: restricted}
//   exemptions: {usernames: [], runtimeClasses: [], namespaces: [kube-system]}
// Omitted defaults are privileged / latest.
// Thread-safety: pure functions. Failure: unreadable files, bad YAML, another kind or version,
// bad levels or versions and non-string entries -> InvalidArgument saying which field.
#ifndef SKIFF_APISERVER_PODSECURITY_CONFIG_H_
#define SKIFF_APISERVER_PODSECURITY_CONFIG_H_

#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "apiserver/podsecurity/plugin.h"

namespace skiff::apiserver::podsecurity {

absl::StatusOr<Options> ParseConfig(std::string_view text);
absl::StatusOr<Options> LoadConfig(const std::string& path);

}  // namespace skiff::apiserver::podsecurity

#endif  // SKIFF_APISERVER_PODSECURITY_CONFIG_H_
