#include "agent/pods/pod_status.h"

#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "agent/pods/pod_actions.h"
#include "base/clock.h"
#include "base/json.h"

namespace skiff::agent::pods {
namespace json = boost::json;

namespace {

constexpr char kContainerIdPrefix[] = "containerd://";

std::string Time(absl::Time t) { return base::FormatRfc3339(t); }

json::object Terminated(const ContainerInstance& c) {
  json::object t{{"exitCode", c.exit_code}};
  if (!c.reason.empty()) t["reason"] = c.reason;
  if (!c.message.empty()) t["message"] = c.message;
  if (c.started_at != absl::InfinitePast()) t["startedAt"] = Time(c.started_at);
  if (c.finished_at != absl::InfinitePast()) t["finishedAt"] = Time(c.finished_at);
  t["containerID"] = kContainerIdPrefix + c.id;
  return t;
}

json::object Waiting(const std::string& reason, const std::string& message = "") {
  json::object w;
  if (!reason.empty()) w["reason"] = reason;
  if (!message.empty()) w["message"] = message;
  return w;
}

// One entry of containerStatuses / initContainerStatuses (kubelet's convertToAPIContainerStatuses).
json::object ContainerStatus(const StatusInputs& in, const ContainerView& c,
                             const std::string& default_reason) {
  const PodRuntimeState& state = *in.state;
  const ContainerInstance* latest = state.Latest(c.name);
  const ContainerInstance* previous = state.Previous(c.name);
  json::object state_json, last_state;
  bool ready = false, started = false;
  if (!latest) {
    state_json["waiting"] = Waiting(default_reason);
  } else {
    switch (latest->state) {
      case ContainerRunState::kRunning: {
        json::object running;
        if (latest->started_at != absl::InfinitePast()) running["startedAt"] = Time(latest->started_at);
        state_json["running"] = std::move(running);
        auto st = in.health.started.find(c.name);
        started = !c.has_startup_probe || (st != in.health.started.end() && st->second);
        auto rd = in.health.ready.find(c.name);
        ready = started && (!c.has_readiness_probe || (rd != in.health.ready.end() && rd->second));
        break;
      }
      case ContainerRunState::kExited:
        state_json["terminated"] = Terminated(*latest);
        break;
      case ContainerRunState::kCreated:
      case ContainerRunState::kUnknown:
        state_json["waiting"] = Waiting("ContainerCreating");
        break;
    }
    if (previous && previous->state == ContainerRunState::kExited)
      last_state["terminated"] = Terminated(*previous);
  }
  // A container that will be started again shows why it is waiting (kubelet's reasonCache).
  bool restarts = c.sidecar ? !in.pod->deleting && (!latest || latest->state != ContainerRunState::kRunning)
                            : ShouldRestart(*in.pod, latest);
  if (auto it = in.waiting.find(c.name); it != in.waiting.end() && restarts) {
    if (latest && latest->state == ContainerRunState::kExited)
      last_state = {{"terminated", Terminated(*latest)}};
    state_json = {{"waiting", Waiting(it->second.reason, it->second.message)}};
  }
  json::object s{{"name", c.name},
                 {"state", std::move(state_json)},
                 {"lastState", std::move(last_state)},
                 {"ready", ready},
                 {"restartCount", latest ? static_cast<int64_t>(latest->attempt) : 0},
                 {"image", latest && !latest->image.empty() ? latest->image : c.image},
                 {"imageID", latest ? latest->image_ref : ""}};
  if (latest) s["containerID"] = kContainerIdPrefix + latest->id;
  s["started"] = started;
  return s;
}

const json::object* FindStatus(const json::array& statuses, const std::string& name) {
  for (const auto& s : statuses) {
    if (s.is_object() && base::GetString(s, {"name"}) == name) return &s.as_object();
  }
  return nullptr;
}

bool Has(const json::object& s, const char* state) { return base::FindPath(s, {"state", state}) != nullptr; }
bool HasLastTerminated(const json::object& s) {
  return base::FindPath(s, {"lastState", "terminated"}) != nullptr;
}
int64_t ExitCode(const json::object& s, const char* where) {
  return base::GetInt(s, {where, "terminated", "exitCode"});
}

bool AnyAppContainerStarted(const PodView& pod, const json::array& statuses) {
  for (const auto& c : pod.containers) {
    const json::object* s = FindStatus(statuses, c.name);
    if (s && (Has(*s, "running") || Has(*s, "terminated") || HasLastTerminated(*s))) return true;
  }
  return false;
}

json::object Condition(const std::string& type, bool status, const std::string& reason,
                       const std::string& message, const StatusInputs& in) {
  std::string value = status ? "True" : "False";
  std::string transition = Time(in.now);
  if (in.old_status) {
    if (const json::value* old = base::Find(*in.old_status, "conditions"); old && old->is_array()) {
      for (const auto& c : old->as_array()) {
        if (base::GetString(c, {"type"}) == type && base::GetString(c, {"status"}) == value) {
          std::string kept = base::GetString(c, {"lastTransitionTime"});
          if (!kept.empty()) transition = kept;
        }
      }
    }
  }
  json::object c{{"type", type}, {"status", value}, {"lastTransitionTime", transition}};
  if (!reason.empty()) c["reason"] = reason;
  if (!message.empty()) c["message"] = message;
  return c;
}

std::string List(const std::vector<std::string>& names) { return "[" + absl::StrJoin(names, " ") + "]"; }

bool IsKubeletCondition(const std::string& type) {
  return type == "PodReadyToStartContainers" || type == "Initialized" || type == "Ready" ||
         type == "ContainersReady";
}

}  // namespace

std::string ComputePhase(const PodView& pod, const json::array& init_statuses, const json::array& statuses,
                         bool terminal) {
  int pending_init = 0, failed_init = 0;
  for (const auto& c : pod.init_containers) {
    if (c.sidecar) continue;
    const json::object* s = FindStatus(init_statuses, c.name);
    if (!s) {
      ++pending_init;
    } else if (Has(*s, "running")) {
      ++pending_init;
    } else if (Has(*s, "terminated")) {
      if (ExitCode(*s, "state") != 0) ++failed_init;
    } else if (Has(*s, "waiting")) {
      if (HasLastTerminated(*s)) {
        if (ExitCode(*s, "lastState") != 0) ++failed_init;
      } else {
        ++pending_init;
      }
    } else {
      ++pending_init;
    }
  }
  int unknown = 0, running = 0, waiting = 0, stopped = 0, succeeded = 0;
  for (const auto& c : pod.init_containers) {
    if (!c.sidecar) continue;
    const json::object* s = FindStatus(init_statuses, c.name);
    if (!s) {
      ++unknown;
    } else if (Has(*s, "running")) {
      ++running;
    } else if (Has(*s, "terminated")) {
      ++stopped;  // a stopped sidecar neither fails nor succeeds the pod
      ++succeeded;
    } else if (Has(*s, "waiting")) {
      HasLastTerminated(*s) ? (++stopped, ++succeeded) : ++waiting;
    } else {
      ++unknown;
    }
  }
  for (const auto& c : pod.containers) {
    const json::object* s = FindStatus(statuses, c.name);
    if (!s) {
      ++unknown;
    } else if (Has(*s, "running")) {
      ++running;
    } else if (Has(*s, "terminated")) {
      ++stopped;
      if (ExitCode(*s, "state") == 0) ++succeeded;
    } else if (Has(*s, "waiting")) {
      HasLastTerminated(*s) ? ++stopped : ++waiting;
    } else {
      ++unknown;
    }
  }
  if (failed_init > 0 && pod.restart_policy == RestartPolicy::kNever) return "Failed";
  if ((pending_init > 0 && !AnyAppContainerStarted(pod, statuses)) || waiting > 0) return "Pending";
  if (running > 0 && unknown == 0) return "Running";
  if (running == 0 && stopped > 0 && unknown == 0) {
    if (terminal) return stopped == succeeded ? "Succeeded" : "Failed";
    if (pod.restart_policy == RestartPolicy::kAlways) return "Running";
    if (stopped == succeeded) return "Succeeded";
    if (pod.restart_policy == RestartPolicy::kNever) return "Failed";
    return "Running";
  }
  return "Pending";
}

json::object BuildPodStatus(const StatusInputs& in) {
  const PodView& pod = *in.pod;
  const PodRuntimeState& state = *in.state;
  bool initialized_before = AnyAppContainerCreated(pod, state);

  json::array init_statuses, statuses;
  for (const auto& c : pod.init_containers)
    init_statuses.push_back(ContainerStatus(in, c, "PodInitializing"));
  std::string app_default =
      !pod.init_containers.empty() && !initialized_before ? "PodInitializing" : "ContainerCreating";
  for (const auto& c : pod.containers) statuses.push_back(ContainerStatus(in, c, app_default));
  std::string phase = ComputePhase(pod, init_statuses, statuses, in.terminal);

  // Conditions.
  const SandboxInstance* sandbox = state.LatestSandbox();
  bool sandbox_ready = sandbox && sandbox->ready && (pod.host_network || !sandbox->ips.empty());
  json::array conditions;
  conditions.push_back(Condition("PodReadyToStartContainers", sandbox_ready, "", "", in));

  std::vector<std::string> incomplete;
  for (const auto& c : pod.init_containers) {
    const json::object* s = FindStatus(init_statuses, c.name);
    bool done = c.sidecar ? s && base::GetBool(*s, {"started"})
                          : s && Has(*s, "terminated") && ExitCode(*s, "state") == 0;
    if (!done) incomplete.push_back(c.name);
  }
  bool initialized = incomplete.empty() || AnyAppContainerStarted(pod, statuses);
  conditions.push_back(Condition("Initialized", initialized, initialized ? "" : "ContainersNotInitialized",
                                 initialized ? "" : "containers with incomplete status: " + List(incomplete),
                                 in));

  std::vector<std::string> unready;
  for (const auto& c : pod.init_containers) {
    const json::object* s = FindStatus(init_statuses, c.name);
    if (c.sidecar && !(s && base::GetBool(*s, {"ready"}))) unready.push_back(c.name);
  }
  for (const auto& c : pod.containers) {
    const json::object* s = FindStatus(statuses, c.name);
    if (!(s && base::GetBool(*s, {"ready"}))) unready.push_back(c.name);
  }
  std::string reason, message;
  bool containers_ready = unready.empty();
  if (phase == "Succeeded") {
    containers_ready = false;
    reason = "PodCompleted";
  } else if (!containers_ready) {
    reason = "ContainersNotReady";
    message = "containers with unready status: " + List(unready);
  }
  bool ready = containers_ready;
  std::string ready_reason = reason, ready_message = message;
  if (ready && !pod.readiness_gates.empty()) {
    for (const auto& gate : pod.readiness_gates) {
      std::string gate_status;
      if (in.old_status) {
        if (const json::value* old = base::Find(*in.old_status, "conditions"); old && old->is_array()) {
          for (const auto& c : old->as_array()) {
            if (base::GetString(c, {"type"}) == gate) gate_status = base::GetString(c, {"status"});
          }
        }
      }
      if (gate_status == "True") continue;
      ready = false;
      ready_reason = "ReadinessGatesNotReady";
      ready_message = gate_status.empty() ? absl::StrCat("corresponding condition of pod readiness gate \"",
                                                         gate, "\" does not exist.")
                                          : absl::StrCat("the status of pod readiness gate \"", gate,
                                                         "\" is not \"True\", but ", gate_status);
      break;
    }
  }
  conditions.push_back(Condition("Ready", ready, ready_reason, ready_message, in));
  conditions.push_back(Condition("ContainersReady", containers_ready, reason, message, in));
  if (in.old_status) {
    if (const json::value* old = base::Find(*in.old_status, "conditions"); old && old->is_array()) {
      for (const auto& c : old->as_array()) {
        if (!IsKubeletCondition(base::GetString(c, {"type"}))) conditions.push_back(c);
      }
    }
  }

  // Addresses.
  std::vector<std::string> ips;
  if (pod.host_network) {
    if (!in.host_ip.empty()) ips.push_back(in.host_ip);
  } else if (sandbox && !sandbox->ips.empty()) {
    ips = sandbox->ips;
  } else if (in.old_status) {
    if (const json::value* old = base::Find(*in.old_status, "podIPs"); old && old->is_array()) {
      for (const auto& ip : old->as_array()) ips.push_back(base::GetString(ip, {"ip"}));
    }
  }

  json::object status;
  status["phase"] = phase;
  status["conditions"] = std::move(conditions);
  if (!in.host_ip.empty()) {
    status["hostIP"] = in.host_ip;
    status["hostIPs"] = json::array{json::object{{"ip", in.host_ip}}};
  }
  if (!ips.empty()) {
    status["podIP"] = ips.front();
    json::array pod_ips;
    for (const auto& ip : ips) pod_ips.push_back(json::object{{"ip", ip}});
    status["podIPs"] = std::move(pod_ips);
  }
  std::string start_time = in.old_status ? base::GetString(*in.old_status, {"startTime"}) : "";
  status["startTime"] = start_time.empty() ? Time(in.now) : start_time;
  if (!init_statuses.empty()) status["initContainerStatuses"] = std::move(init_statuses);
  status["containerStatuses"] = std::move(statuses);
  if (!in.qos_class.empty()) status["qosClass"] = in.qos_class;
  return status;
}

}  // namespace skiff::agent::pods
