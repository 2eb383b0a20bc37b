// Conversions from CRI runtime.v1 messages to the runtime-independent PodRuntimeState structs.
// Thread-safety: pure functions. Ownership: values. Never fails (unknown enum values map to
// kUnknown; zero timestamps to InfinitePast).
#ifndef SKIFF_AGENT_PODS_CRI_CONVERT_H_
#define SKIFF_AGENT_PODS_CRI_CONVERT_H_

#include "agent/cri/runtime.h"
#include "agent/pods/runtime_state.h"

namespace skiff::agent::pods {

absl::Time FromUnixNanos(int64_t nanos);
ContainerRunState FromCri(cri::v1::ContainerState state);
// From a ListContainers entry (no exit code or timestamps beyond creation).
ContainerInstance FromCri(const cri::v1::Container& c);
// Fills in the details only ContainerStatus has.
void MergeStatus(const cri::v1::ContainerStatus& status, ContainerInstance* c);
SandboxInstance FromCri(const cri::v1::PodSandbox& s);
// Sandbox addresses from PodSandboxStatus (primary first).
std::vector<std::string> SandboxIps(const cri::v1::PodSandboxStatus& status);

}  // namespace skiff::agent::pods

#endif  // SKIFF_AGENT_PODS_CRI_CONVERT_H_
