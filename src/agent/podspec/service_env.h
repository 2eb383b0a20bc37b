// The service environment variables the kubelet gives every container (getServiceEnvVarMap and
// envvars.FromServices): for each Service with a ClusterIP, <NAME>_SERVICE_HOST, <NAME>_SERVICE_PORT,
// <NAME>_SERVICE_PORT_<PORT NAME> for named ports, and the Docker link variables <NAME>_PORT,
// <NAME>_PORT_<port>_<PROTO>{,_PROTO,_PORT,_ADDR}. The Services are default/kubernetes (always) and,
// when spec.enableServiceLinks is not false, those of the pod's own namespace.
// Thread-safety: a pure function. Ownership: borrows its arguments for the call. Failure: none
// (Services without a ClusterIP or without ports are skipped).
#ifndef SKIFF_AGENT_PODSPEC_SERVICE_ENV_H_
#define SKIFF_AGENT_PODSPEC_SERVICE_ENV_H_

#include <string>
#include <vector>

#include "agent/podspec/env.h"
#include "client/client.h"

namespace skiff::agent::podspec {

// The variables for a pod in `ns`, from every Service of the cluster (any order). Sorted by
// Service name, each Service's variables in the kubelet's order; a name is never repeated.
std::vector<EnvVar> ServiceEnvironment(const std::vector<client::Object>& services, const std::string& ns,
                                       bool service_links);

}  // namespace skiff::agent::podspec

#endif  // SKIFF_AGENT_PODSPEC_SERVICE_ENV_H_
