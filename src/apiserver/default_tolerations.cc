#include "apiserver/default_tolerations.h"

#include <string>

#include "base/json.h"

namespace skiff::apiserver {
namespace {

namespace json = boost::json;

constexpr const char* kNotReadyKey = "node.kubernetes.io/not-ready";
constexpr const char* kUnreachableKey = "node.kubernetes.io/unreachable";

// Whether a toleration covers the NoExecute taint `key` the way the Kubernetes plugin checks it:
// the same key or an empty key, and the NoExecute effect or an empty effect.
bool Covers(const json::value& toleration, const std::string& key) {
  std::string k = base::GetString(toleration, {"key"});
  std::string effect = base::GetString(toleration, {"effect"});
  return (k == key || k.empty()) && (effect == "NoExecute" || effect.empty());
}

json::object Toleration(const char* key, int64_t seconds) {
  return json::object{
      {"key", key}, {"operator", "Exists"}, {"effect", "NoExecute"}, {"tolerationSeconds", seconds}};
}

}  // namespace

void AddDefaultTolerations(json::value& pod) {
  json::value* spec = pod.is_object() ? pod.get_object().if_contains("spec") : nullptr;
  if (spec == nullptr || !spec->is_object()) return;
  json::object& s = spec->get_object();
  json::value& list = s["tolerations"];
  if (list.is_null()) list = json::array();
  if (!list.is_array()) return;
  bool not_ready = false;
  bool unreachable = false;
  for (const auto& t : list.get_array()) {
    not_ready = not_ready || Covers(t, kNotReadyKey);
    unreachable = unreachable || Covers(t, kUnreachableKey);
  }
  if (!not_ready) list.get_array().push_back(Toleration(kNotReadyKey, kDefaultNotReadyTolerationSeconds));
  if (!unreachable)
    list.get_array().push_back(Toleration(kUnreachableKey, kDefaultUnreachableTolerationSeconds));
}

}  // namespace skiff::apiserver
