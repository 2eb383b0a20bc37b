#include "controllers/nodelifecycle/taint_eviction.h"

#include <algorithm>

#include "base/json.h"

namespace skiff::controllers {

namespace json = boost::json;

bool ToleratesTaint(const json::value& toleration, const json::value& taint) {
  std::string effect = base::GetString(toleration, {"effect"});
  if (!effect.empty() && effect != base::GetString(taint, {"effect"})) return false;
  std::string key = base::GetString(toleration, {"key"});
  std::string op = base::GetString(toleration, {"operator"}, "Equal");
  if (!key.empty() && key != base::GetString(taint, {"key"})) return false;
  if (op == "Exists") return true;
  if (op == "Equal" || op.empty()) {
    // An empty key only goes with Exists.
    return !key.empty() && base::GetString(toleration, {"value"}) == base::GetString(taint, {"value"});
  }
  return false;
}

std::vector<json::value> NoExecuteTaints(const json::value& node) {
  std::vector<json::value> out;
  const json::value* taints = base::FindPath(node, {"spec", "taints"});
  if (taints == nullptr || !taints->is_array()) return out;
  for (const auto& t : taints->get_array()) {
    if (base::GetString(t, {"effect"}) == "NoExecute") out.push_back(t);
  }
  return out;
}

EvictionDecision DecideEviction(const json::value& pod, const std::vector<json::value>& taints) {
  const json::value* tolerations = base::FindPath(pod, {"spec", "tolerations"});
  const json::array empty;
  const json::array& list = tolerations && tolerations->is_array() ? tolerations->get_array() : empty;
  std::optional<int64_t> min_seconds;
  for (const auto& taint : taints) {
    const json::value* used = nullptr;
    for (const auto& t : list) {
      if (ToleratesTaint(t, taint)) {
        used = &t;
        break;
      }
    }
    if (used == nullptr) return EvictionDecision{false, absl::ZeroDuration()};
    const json::value* seconds = base::FindPath(*used, {"tolerationSeconds"});
    if (seconds != nullptr && seconds->is_number()) {
      int64_t s = std::max<int64_t>(0, base::GetInt(*used, {"tolerationSeconds"}));
      min_seconds = min_seconds ? std::min(*min_seconds, s) : s;
    }
  }
  if (!min_seconds) return EvictionDecision{true, absl::ZeroDuration()};
  return EvictionDecision{false, absl::Seconds(*min_seconds)};
}

}  // namespace skiff::controllers
