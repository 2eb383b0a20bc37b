#include "agent/pods/pod_view.h"

#include <map>
#include <set>

#include "api/object_meta.h"
#include "api/pod_util.h"
#include "api/quantity.h"
#include "base/clock.h"
#include "base/json.h"

namespace skiff::agent::pods {
namespace json = boost::json;

namespace {

PullPolicy ParsePullPolicy(const std::string& text, const std::string& image) {
  if (text == "Always") return PullPolicy::kAlways;
  if (text == "IfNotPresent") return PullPolicy::kIfNotPresent;
  if (text == "Never") return PullPolicy::kNever;
  return DefaultPullPolicy(image);
}

std::vector<ContainerView> ParseContainers(const json::value& pod, const char* field, bool init) {
  std::vector<ContainerView> out;
  const json::value* list = base::FindPath(pod, {"spec", field});
  if (!list || !list->is_array()) return out;
  for (const json::value& c : list->as_array()) {
    ContainerView v;
    v.name = base::GetString(c, {"name"});
    v.image = base::GetString(c, {"image"});
    v.pull_policy = ParsePullPolicy(base::GetString(c, {"imagePullPolicy"}), v.image);
    v.sidecar = init && base::GetString(c, {"restartPolicy"}) == "Always";
    v.has_readiness_probe = base::Find(c, "readinessProbe") && base::Find(c, "readinessProbe")->is_object();
    v.has_startup_probe = base::Find(c, "startupProbe") && base::Find(c, "startupProbe")->is_object();
    if (const json::value* cmd = base::FindPath(c, {"lifecycle", "preStop", "exec", "command"});
        cmd && cmd->is_array()) {
      for (const json::value& part : cmd->as_array()) {
        if (part.is_string()) v.pre_stop_exec.emplace_back(part.as_string());
      }
    }
    v.has_pre_stop_http = base::FindPath(c, {"lifecycle", "preStop", "httpGet"}) != nullptr;
    out.push_back(std::move(v));
  }
  return out;
}

}  // namespace

const ContainerView* PodView::Find(const std::string& container) const {
  for (const auto& c : init_containers) {
    if (c.name == container) return &c;
  }
  for (const auto& c : containers) {
    if (c.name == container) return &c;
  }
  return nullptr;
}

std::string PodView::Describe() const { return name + "_" + ns + "(" + uid + ")"; }

PodView ParsePod(const json::value& pod) {
  PodView v;
  v.uid = api::Uid(pod);
  v.name = api::Name(pod);
  v.ns = api::Namespace(pod);
  std::string policy = base::GetString(pod, {"spec", "restartPolicy"}, "Always");
  v.restart_policy = policy == "Never"       ? RestartPolicy::kNever
                     : policy == "OnFailure" ? RestartPolicy::kOnFailure
                                             : RestartPolicy::kAlways;
  v.init_containers = ParseContainers(pod, "initContainers", true);
  v.containers = ParseContainers(pod, "containers", false);
  v.host_network = base::GetBool(pod, {"spec", "hostNetwork"});
  if (const json::value* gates = base::FindPath(pod, {"spec", "readinessGates"});
      gates && gates->is_array()) {
    for (const json::value& g : gates->as_array())
      v.readiness_gates.push_back(base::GetString(g, {"conditionType"}));
  }
  v.termination_grace_seconds = base::GetInt(pod, {"spec", "terminationGracePeriodSeconds"}, 30);
  if (const json::value* ts = base::FindPath(pod, {"metadata", "deletionTimestamp"}); ts && ts->is_string()) {
    v.deleting = true;
    absl::Time t;
    if (base::ParseRfc3339(std::string(ts->as_string()), &t)) v.deletion_time = t;
  }
  if (const json::value* g = base::FindPath(pod, {"metadata", "deletionGracePeriodSeconds"});
      g && g->is_int64()) {
    v.deletion_grace_seconds = g->as_int64();
  }
  v.phase = api::PodPhase(pod);
  return v;
}

PullPolicy DefaultPullPolicy(const std::string& image) {
  std::string ref = image;
  if (auto at = ref.find('@'); at != std::string::npos) return PullPolicy::kIfNotPresent;  // by digest
  size_t slash = ref.rfind('/');
  size_t colon = ref.rfind(':');
  if (colon == std::string::npos || (slash != std::string::npos && colon < slash)) return PullPolicy::kAlways;
  return ref.substr(colon + 1) == "latest" ? PullPolicy::kAlways : PullPolicy::kIfNotPresent;
}

std::string QosClass(const json::value& pod) {
  std::map<std::string, api::Quantity> requests, limits;
  bool guaranteed = true;
  auto visit = [&](const json::value& c) {
    std::set<std::string> limits_found;
    const json::value* lim = base::FindPath(c, {"resources", "limits"});
    const json::value* req = base::FindPath(c, {"resources", "requests"});
    for (const char* name : {"cpu", "memory"}) {
      std::optional<api::Quantity> l, r;
      if (lim && lim->is_object()) {
        if (const json::value* q = base::Find(*lim, name)) {
          if (auto parsed = api::Quantity::FromJson(*q); parsed.ok()) l = *parsed;
        }
      }
      if (req && req->is_object()) {
        if (const json::value* q = base::Find(*req, name)) {
          if (auto parsed = api::Quantity::FromJson(*q); parsed.ok()) r = *parsed;
        }
      }
      if (!r && l) r = l;  // API defaulting: requests default to limits
      if (r && r->Sign() > 0) (void)requests[name].Add(*r);
      if (l) {
        limits_found.insert(name);
        if (l->Sign() > 0) (void)limits[name].Add(*l);
      }
    }
    if (limits_found.size() != 2) guaranteed = false;
  };
  for (const char* field : {"containers", "initContainers"}) {
    const json::value* list = base::FindPath(pod, {"spec", field});
    if (!list || !list->is_array()) continue;
    for (const json::value& c : list->as_array()) visit(c);
  }
  if (requests.empty() && limits.empty()) return "BestEffort";
  if (guaranteed) {
    for (const auto& [name, r] : requests) {
      auto it = limits.find(name);
      if (it == limits.end() || it->second != r) guaranteed = false;
    }
  }
  return guaranteed && requests.size() == limits.size() ? "Guaranteed" : "Burstable";
}

}  // namespace skiff::agent::pods
