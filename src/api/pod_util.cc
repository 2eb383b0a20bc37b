#include "api/pod_util.h"

#include "base/clock.h"
#include "base/json.h"

namespace skiff::api {

namespace json = boost::json;

namespace {

const json::array* ArrayAt(const json::value& obj, std::initializer_list<std::string_view> path) {
  const json::value* v = base::FindPath(obj, path);
  return v != nullptr && v->is_array() ? &v->get_array() : nullptr;
}

}  // namespace

std::string PodPhase(const json::value& pod) { return base::GetString(pod, {"status", "phase"}); }

bool IsTerminal(const json::value& pod) {
  std::string phase = PodPhase(pod);
  return phase == "Succeeded" || phase == "Failed";
}

std::string NodeName(const json::value& pod) { return base::GetString(pod, {"spec", "nodeName"}); }

const json::value* FindStatusCondition(const json::value& status, std::string_view type) {
  const json::array* conditions = ArrayAt(status, {"conditions"});
  if (conditions == nullptr) return nullptr;
  for (const json::value& c : *conditions) {
    if (c.is_object() && base::GetString(c, {"type"}) == type) return &c;
  }
  return nullptr;
}

bool IsStatusConditionTrue(const json::value& status, std::string_view type) {
  const json::value* c = FindStatusCondition(status, type);
  return c != nullptr && base::GetString(*c, {"status"}) == "True";
}

const json::value* FindCondition(const json::value& obj, std::string_view type) {
  const json::value* status = base::Find(obj, "status");
  return status == nullptr ? nullptr : FindStatusCondition(*status, type);
}

bool IsConditionTrue(const json::value& obj, std::string_view type) {
  const json::value* status = base::Find(obj, "status");
  return status != nullptr && IsStatusConditionTrue(*status, type);
}

bool IsPodReady(const json::value& pod) { return IsConditionTrue(pod, "Ready"); }

absl::Time PodReadySince(const json::value& pod) {
  const json::value* c = FindCondition(pod, "Ready");
  absl::Time t;
  if (c == nullptr) return absl::InfinitePast();
  std::string text = base::GetString(*c, {"lastTransitionTime"});
  if (text.empty() || !base::ParseRfc3339(text, &t)) return absl::InfinitePast();
  return t;
}

bool IsPodAvailable(const json::value& pod, int64_t min_ready_seconds, absl::Time now) {
  if (!IsPodReady(pod)) return false;
  if (min_ready_seconds <= 0) return true;
  absl::Time since = PodReadySince(pod);
  return since != absl::InfinitePast() && since + absl::Seconds(min_ready_seconds) < now;
}

const json::array* Containers(const json::value& pod) { return ArrayAt(pod, {"spec", "containers"}); }
const json::array* InitContainers(const json::value& pod) { return ArrayAt(pod, {"spec", "initContainers"}); }

}  // namespace skiff::api
