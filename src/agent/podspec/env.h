// A container's environment as the kubelet builds it (makeEnvironmentVariables): envFrom
// (ConfigMaps/Secrets with prefix; invalid names skipped and reported), then env (value with
// $(VAR) expansion, valueFrom configMapKeyRef/secretKeyRef/fieldRef/resourceFieldRef), then the
// service variables (from the optional ServiceEnvFunc hook). Also the $(VAR) expansion used for
// command, args and subPathExpr.
// Thread-safety: pure functions apart from the ObjectSource reads. Ownership: borrows its
// arguments for the call. Failure: the kubelet's CreateContainerConfigError causes, as Status
// (NotFound `configmap "x" not found`, InvalidArgument `couldn't find key k in ConfigMap ns/x`,
// errors from the downward API); the pods helper reports them with reason CreateContainerConfigError.
#ifndef SKIFF_AGENT_PODSPEC_ENV_H_
#define SKIFF_AGENT_PODSPEC_ENV_H_

#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "agent/podspec/object_source.h"
#include "agent/podspec/pod_context.h"
#include "boost/json/value.hpp"

namespace skiff::agent::podspec {

struct EnvVar {
  std::string name;
  std::string value;
  bool operator==(const EnvVar&) const = default;
};

// An event the caller should record on the pod (type "Warning" or "Normal").
struct PodEvent {
  std::string type;
  std::string reason;
  std::string message;
};

// Service variables for a pod in `ns` (KUBERNETES_SERVICE_HOST, <SVC>_SERVICE_PORT, ...);
// `service_links` is spec.enableServiceLinks (default true): when false only the master service's.
using ServiceEnvFunc = std::function<std::vector<EnvVar>(const std::string& ns, bool service_links)>;

struct Environment {
  std::vector<EnvVar> vars;      // in declaration order; later definitions replace earlier values
  std::vector<PodEvent> events;  // e.g. InvalidEnvironmentVariableNames
};

// Kubernetes' expansion.Expand: $(NAME) is replaced by lookup(NAME) when it has a value and left
// as is otherwise; $$ is a literal $; any other $ (or an unterminated "$(") is kept.
std::string ExpandVars(std::string_view input,
                       const std::function<std::optional<std::string>(std::string_view)>& lookup);
// ExpandVars over an environment (last definition of a name wins).
std::string ExpandVars(std::string_view input, const std::vector<EnvVar>& env);

// Relaxed env var name rule of Kubernetes 1.32 (RelaxedEnvironmentVariableValidation, on by
// default): non-empty, printable ASCII, no '='.
bool IsValidEnvVarName(std::string_view name);

absl::StatusOr<Environment> MakeEnvironment(const boost::json::value& pod,
                                            const boost::json::value& container, const PodContext& ctx,
                                            ObjectSource& objects,
                                            const ServiceEnvFunc& service_env = nullptr);

// Secret data value (base64 in the object) decoded; stringData honoured when data lacks the key.
std::optional<std::string> SecretValue(const boost::json::value& secret, std::string_view key);
// All keys of a Secret's data (decoded) / a ConfigMap's data, in object order.
std::vector<EnvVar> SecretEntries(const boost::json::value& secret);
std::vector<EnvVar> ConfigMapEntries(const boost::json::value& config_map, bool include_binary);

}  // namespace skiff::agent::podspec

#endif  // SKIFF_AGENT_PODSPEC_ENV_H_
