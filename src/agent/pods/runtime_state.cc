#include "agent/pods/runtime_state.h"

#include <algorithm>
#include <tuple>

namespace skiff::agent::pods {

const ContainerInstance* PodRuntimeState::Latest(const std::string& name) const {
  for (const auto& c : containers) {
    if (c.name == name) return &c;
  }
  return nullptr;
}

const ContainerInstance* PodRuntimeState::Previous(const std::string& name) const {
  bool seen = false;
  for (const auto& c : containers) {
    if (c.name != name) continue;
    if (seen) return &c;
    seen = true;
  }
  return nullptr;
}

bool PodRuntimeState::AnyRunning() const {
  return std::any_of(containers.begin(), containers.end(),
                     [](const ContainerInstance& c) { return c.state == ContainerRunState::kRunning; });
}

void PodRuntimeState::Normalize() {
  std::stable_sort(sandboxes.begin(), sandboxes.end(),
                   [](const SandboxInstance& a, const SandboxInstance& b) {
                     return std::tie(a.attempt, a.created_at) > std::tie(b.attempt, b.created_at);
                   });
  std::stable_sort(containers.begin(), containers.end(),
                   [](const ContainerInstance& a, const ContainerInstance& b) {
                     return std::tie(a.attempt, a.created_at) > std::tie(b.attempt, b.created_at);
                   });
}

}  // namespace skiff::agent::pods
