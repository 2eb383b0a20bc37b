// Table printers for Pods and PodTemplates: the READY/STATUS/RESTARTS summary `kubectl get pods`
// shows, computed from container statuses the way Kubernetes' printPod does.
#include <string>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_cat.h"
#include "api/object_meta.h"
#include "api/table_internal.h"
#include "base/clock.h"
#include "base/json.h"
#include "base/strings.h"
#include "boost/json.hpp"

namespace skiff::api::table_internal {
namespace {

namespace json = boost::json;
using base::FindPath;
using base::GetBool;
using base::GetInt;
using base::GetString;

bool HasCondition(const json::value& pod, std::string_view type) {
  if (const auto* conds = Array(pod, {"status", "conditions"})) {
    for (const auto& c : *conds) {
      if (GetString(c, {"type"}) == type) return GetString(c, {"status"}) == "True";
    }
  }
  return false;
}

// Reason text for a terminated container without a reason: "Signal:9" / "ExitCode:1".
std::string TerminatedCode(const json::value& terminated, std::string_view prefix) {
  if (int64_t signal = GetInt(terminated, {"signal"}); signal != 0)
    return absl::StrCat(base::Av(prefix), "Signal:", signal);
  return absl::StrCat(base::Av(prefix), "ExitCode:", GetInt(terminated, {"exitCode"}));
}

// Tracks the most recent lastState.terminated.finishedAt of the containers seen.
void NoteLastRestart(const json::value& status, absl::Time* latest) {
  absl::Time finished;
  if (base::ParseRfc3339(GetString(status, {"lastState", "terminated", "finishedAt"}), &finished) &&
      finished > *latest) {
    *latest = finished;
  }
}

struct PodSummary {
  int64_t ready = 0;
  int64_t total = 0;
  std::string reason;
  int64_t restarts = 0;
  absl::Time last_restart = absl::InfinitePast();
};

PodSummary Summarize(const json::value& o) {
  PodSummary s;
  s.total = Count(o, {"spec", "containers"});
  std::string phase = GetString(o, {"status", "phase"});
  s.reason = GetString(o, {"status", "reason"}, phase);
  if (const auto* conds = Array(o, {"status", "conditions"})) {
    for (const auto& c : *conds) {
      if (GetString(c, {"type"}) == "PodScheduled" && GetString(c, {"reason"}) == "SchedulingGated") {
        s.reason = "SchedulingGated";
      }
    }
  }
  // Sidecars (init containers with restartPolicy Always) count as containers of the pod.
  absl::flat_hash_set<std::string> sidecars;
  const auto* init_specs = Array(o, {"spec", "initContainers"});
  if (init_specs) {
    for (const auto& c : *init_specs) {
      if (GetString(c, {"restartPolicy"}) == "Always") sidecars.insert(GetString(c, {"name"}));
    }
  }
  s.total += static_cast<int64_t>(sidecars.size());

  int64_t sidecar_restarts = 0;
  absl::Time sidecar_last_restart = absl::InfinitePast();
  bool initializing = false;
  if (const auto* inits = Array(o, {"status", "initContainerStatuses"})) {
    for (size_t i = 0; i < inits->size(); ++i) {
      const json::value& cs = (*inits)[i];
      bool sidecar = sidecars.contains(GetString(cs, {"name"}));
      s.restarts += GetInt(cs, {"restartCount"});
      NoteLastRestart(cs, &s.last_restart);
      if (sidecar) {
        sidecar_restarts += GetInt(cs, {"restartCount"});
        NoteLastRestart(cs, &sidecar_last_restart);
      }
      const json::value* terminated = FindPath(cs, {"state", "terminated"});
      std::string waiting = GetString(cs, {"state", "waiting", "reason"});
      if (terminated && GetInt(*terminated, {"exitCode"}) == 0) continue;
      if (sidecar && GetBool(cs, {"started"})) {
        if (GetBool(cs, {"ready"})) ++s.ready;
        continue;
      }
      if (terminated) {
        std::string why = GetString(*terminated, {"reason"});
        s.reason = why.empty() ? TerminatedCode(*terminated, "Init:") : "Init:" + why;
      } else if (!waiting.empty() && waiting != "PodInitializing") {
        s.reason = "Init:" + waiting;
      } else {
        s.reason = absl::StrCat("Init:", i, "/", init_specs ? init_specs->size() : 0);
      }
      initializing = true;
      break;
    }
  }

  if (!initializing || HasCondition(o, "Initialized")) {
    s.restarts = sidecar_restarts;
    s.last_restart = sidecar_last_restart;
    bool has_running = false;
    if (const auto* statuses = Array(o, {"status", "containerStatuses"})) {
      for (auto it = statuses->rbegin(); it != statuses->rend(); ++it) {
        const json::value& cs = *it;
        s.restarts += GetInt(cs, {"restartCount"});
        NoteLastRestart(cs, &s.last_restart);
        const json::value* terminated = FindPath(cs, {"state", "terminated"});
        std::string waiting = GetString(cs, {"state", "waiting", "reason"});
        if (!waiting.empty()) {
          s.reason = waiting;
        } else if (terminated && !GetString(*terminated, {"reason"}).empty()) {
          s.reason = GetString(*terminated, {"reason"});
        } else if (terminated) {
          s.reason = TerminatedCode(*terminated, "");
        } else if (GetBool(cs, {"ready"}) && FindPath(cs, {"state", "running"})) {
          has_running = true;
          ++s.ready;
        }
      }
    }
    if (s.reason == "Completed" && has_running) s.reason = HasCondition(o, "Ready") ? "Running" : "NotReady";
  }

  if (IsBeingDeleted(o)) {
    if (GetString(o, {"status", "reason"}) == "NodeLost") {
      s.reason = "Unknown";
    } else if (phase != "Succeeded" && phase != "Failed") {
      s.reason = "Terminating";
    }
  }
  return s;
}

std::string ReadinessGates(const json::value& o) {
  const auto* gates = Array(o, {"spec", "readinessGates"});
  if (!gates || gates->empty()) return "<none>";
  int64_t satisfied = 0;
  for (const auto& gate : *gates) {
    if (HasCondition(o, GetString(gate, {"conditionType"}))) ++satisfied;
  }
  return absl::StrCat(satisfied, "/", gates->size());
}

std::string PodIp(const json::value& o) {
  if (const auto* ips = Array(o, {"status", "podIPs"}); ips && !ips->empty()) {
    return OrNone(GetString((*ips)[0], {"ip"}));
  }
  return OrNone(GetString(o, {"status", "podIP"}));
}

}  // namespace

Printer PodPrinter() {
  return {{NameColumn(),
           {"Ready", "string", 0, "The aggregate readiness state of this pod for accepting traffic."},
           {"Status", "string", 0, "The aggregate status of the containers in this pod."},
           {"Restarts", "string", 0, "Container restarts, and when the last one happened."},
           AgeColumn(),
           {"IP", "string", 1, "The pod's IP address."},
           {"Node", "string", 1, "The node the pod is bound to."},
           {"Nominated Node", "string", 1, "The node preemption nominated for the pod."},
           {"Readiness Gates", "string", 1, "Satisfied readiness gates / all readiness gates."}},
          [](const json::value& o, absl::Time now) {
            PodSummary s = Summarize(o);
            std::string restarts = std::to_string(s.restarts);
            if (s.restarts != 0 && s.last_restart != absl::InfinitePast()) {
              absl::StrAppend(&restarts, " (", base::HumanDuration(now - s.last_restart), " ago)");
            }
            return json::array{Name(o),
                               absl::StrCat(s.ready, "/", s.total),
                               s.reason,
                               restarts,
                               Age(o, now),
                               PodIp(o),
                               OrNone(GetString(o, {"spec", "nodeName"})),
                               OrNone(GetString(o, {"status", "nominatedNodeName"})),
                               ReadinessGates(o)};
          }};
}

Printer PodTemplatePrinter() {
  return {
      {NameColumn(),
       {"Containers", "string", 0, "Names of each container in the template."},
       {"Images", "string", 0, "Images referenced by each container in the template."},
       {"Pod Labels", "string", 0, "The labels for the pod template."}},
      [](const json::value& o, absl::Time) {
        auto [names, images] = ContainerCells(o, {"template", "spec", "containers"});
        return json::array{Name(o), names, images, FormatLabels(o, {"template", "metadata", "labels"})};
      }};
}

}  // namespace skiff::api::table_internal
