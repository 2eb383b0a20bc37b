#include "agent/pods/pod_actions.h"

namespace skiff::agent::pods {

namespace {

bool Stale(const ContainerInstance* c) {
  return c && (c->state == ContainerRunState::kCreated || c->state == ContainerRunState::kUnknown);
}

// App containers to start in a fresh sandbox: all, except those that already succeeded under
// OnFailure (and, under Never, those that already ran).
std::vector<std::string> AppContainersForNewSandbox(const PodView& pod, const PodRuntimeState& state) {
  std::vector<std::string> out;
  for (const auto& c : pod.containers) {
    const ContainerInstance* latest = state.Latest(c.name);
    bool exited = latest && latest->state == ContainerRunState::kExited;
    if (exited && pod.restart_policy == RestartPolicy::kOnFailure && latest->exit_code == 0) continue;
    if (exited && pod.restart_policy == RestartPolicy::kNever) continue;
    out.push_back(c.name);
  }
  return out;
}

}  // namespace

bool ShouldRestart(const PodView& pod, const ContainerInstance* latest) {
  if (pod.deleting) return false;
  if (!latest) return true;
  switch (latest->state) {
    case ContainerRunState::kRunning:
      return false;
    case ContainerRunState::kCreated:
    case ContainerRunState::kUnknown:
      return true;
    case ContainerRunState::kExited:
      if (pod.restart_policy == RestartPolicy::kNever) return false;
      if (pod.restart_policy == RestartPolicy::kOnFailure && latest->exit_code == 0) return false;
      return true;
  }
  return true;
}

bool AnyAppContainerCreated(const PodView& pod, const PodRuntimeState& state) {
  for (const auto& c : pod.containers) {
    if (state.Latest(c.name)) return true;
  }
  return false;
}

PodActions ComputePodActions(const PodView& pod, const PodRuntimeState& state) {
  PodActions a;
  const SandboxInstance* sandbox = state.LatestSandbox();
  bool sandbox_changed = !sandbox || !sandbox->ready || (!pod.host_network && sandbox->ips.empty());
  if (sandbox_changed) {
    // A Never pod whose sandbox went away after its containers ran is not started again.
    if (sandbox && pod.restart_policy == RestartPolicy::kNever && !state.containers.empty()) {
      a.kill_pod = sandbox->ready || state.AnyRunning();
      a.pod_done = true;
      return a;
    }
    std::vector<std::string> app = AppContainersForNewSandbox(pod, state);
    bool initialized = AnyAppContainerCreated(pod, state);
    if (initialized && app.empty()) {  // everything already succeeded
      a.kill_pod = sandbox && (sandbox->ready || state.AnyRunning());
      a.pod_done = true;
      return a;
    }
    a.kill_pod = sandbox != nullptr;
    a.create_sandbox = true;
    a.sandbox_attempt = sandbox ? sandbox->attempt + 1 : 0;
    if (!initialized && !pod.init_containers.empty()) {
      a.start.push_back(pod.init_containers.front().name);
    } else {
      a.start = std::move(app);
    }
    return a;
  }
  a.sandbox_id = sandbox->id;

  if (!AnyAppContainerCreated(pod, state)) {
    for (const auto& c : pod.init_containers) {
      const ContainerInstance* latest = state.Latest(c.name);
      if (c.sidecar) {
        if (latest && latest->state == ContainerRunState::kRunning) continue;
        if (Stale(latest)) a.kill_ids.push_back(latest->id);
        a.start.push_back(c.name);
        return a;  // the next init container waits until the sidecar runs
      }
      if (!latest) {
        a.start.push_back(c.name);
        return a;
      }
      if (latest->state == ContainerRunState::kRunning) return a;  // wait for it to finish
      if (latest->state == ContainerRunState::kExited) {
        if (latest->exit_code == 0) continue;
        if (pod.restart_policy == RestartPolicy::kNever) {
          a.init_failed = true;
          a.pod_done = true;
          a.kill_pod = true;
          return a;
        }
      } else {
        a.kill_ids.push_back(latest->id);
      }
      a.start.push_back(c.name);  // retry the failed (or stale) init container
      return a;
    }
  } else {
    // Initialized: sidecars are kept running.
    for (const auto& c : pod.init_containers) {
      if (!c.sidecar) continue;
      const ContainerInstance* latest = state.Latest(c.name);
      if (latest && latest->state == ContainerRunState::kRunning) continue;
      if (pod.deleting) continue;
      if (Stale(latest)) a.kill_ids.push_back(latest->id);
      a.start.push_back(c.name);
    }
  }

  int keep = 0;
  std::vector<std::string> app_start;
  for (const auto& c : pod.containers) {
    const ContainerInstance* latest = state.Latest(c.name);
    if (latest && latest->state == ContainerRunState::kRunning) {
      ++keep;
      continue;
    }
    if (!ShouldRestart(pod, latest)) continue;
    if (Stale(latest)) a.kill_ids.push_back(latest->id);
    app_start.push_back(c.name);
  }
  if (keep == 0 && app_start.empty()) {
    // Every app container has finished for good: stop sidecars and the sandbox.
    a.start.clear();
    a.kill_ids.clear();
    a.kill_pod = true;
    a.pod_done = true;
    return a;
  }
  a.start.insert(a.start.end(), app_start.begin(), app_start.end());
  return a;
}

}  // namespace skiff::agent::pods
