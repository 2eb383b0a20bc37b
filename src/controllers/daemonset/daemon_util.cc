#include "controllers/daemonset/daemon_util.h"

#include <algorithm>

#include "absl/strings/numbers.h"
#include "api/object_meta.h"
#include "api/pod_util.h"
#include "base/json.h"
#include "controllers/workload/workload_util.h"

namespace skiff::controllers {
namespace {

std::vector<std::string> Values(const boost::json::value& req) {
  std::vector<std::string> out;
  const boost::json::value* values = base::Find(req, "values");
  if (values == nullptr || !values->is_array()) return out;
  for (const auto& v : values->get_array()) {
    if (v.is_string()) out.emplace_back(v.get_string());
  }
  return out;
}

// One NodeSelectorRequirement against a value (null when the label/field is absent).
bool RequirementMatches(const boost::json::value& req, const std::string* value) {
  std::string op = base::GetString(req, {"operator"});
  std::vector<std::string> values = Values(req);
  bool in = value != nullptr && std::find(values.begin(), values.end(), *value) != values.end();
  if (op == "In") return in;
  if (op == "NotIn") return !in;
  if (op == "Exists") return value != nullptr;
  if (op == "DoesNotExist") return value == nullptr;
  if (op == "Gt" || op == "Lt") {
    int64_t have = 0, want = 0;
    if (value == nullptr || values.size() != 1 || !absl::SimpleAtoi(*value, &have) ||
        !absl::SimpleAtoi(values[0], &want))
      return false;
    return op == "Gt" ? have > want : have < want;
  }
  return false;
}

bool TermMatches(const boost::json::value& node, const boost::json::value& term) {
  const boost::json::value* exprs = base::Find(term, "matchExpressions");
  const boost::json::value* fields = base::Find(term, "matchFields");
  bool any = false;
  if (exprs != nullptr && exprs->is_array()) {
    const boost::json::value* labels = api::Labels(node);
    for (const auto& req : exprs->get_array()) {
      any = true;
      std::string key = base::GetString(req, {"key"});
      const boost::json::value* v =
          labels != nullptr && labels->is_object() ? labels->get_object().if_contains(key) : nullptr;
      std::string text = v != nullptr && v->is_string() ? std::string(v->get_string()) : "";
      if (!RequirementMatches(req, v != nullptr ? &text : nullptr)) return false;
    }
  }
  if (fields != nullptr && fields->is_array()) {
    std::string name = api::Name(node);
    for (const auto& req : fields->get_array()) {
      any = true;
      if (base::GetString(req, {"key"}) != "metadata.name" || !RequirementMatches(req, &name)) return false;
    }
  }
  return any;  // an empty term matches nothing
}

boost::json::object Toleration(const char* key, const char* effect) {
  return boost::json::object{{"key", key}, {"operator", "Exists"}, {"effect", effect}};
}

}  // namespace

bool NodeMatchesTerms(const boost::json::value& node, const boost::json::value& terms) {
  if (!terms.is_array()) return false;
  for (const auto& term : terms.get_array()) {
    if (TermMatches(node, term)) return true;
  }
  return false;
}

bool TolerationMatches(const boost::json::value& toleration, const boost::json::value& taint) {
  std::string effect = base::GetString(toleration, {"effect"});
  if (!effect.empty() && effect != base::GetString(taint, {"effect"})) return false;
  std::string key = base::GetString(toleration, {"key"});
  std::string op = base::GetString(toleration, {"operator"});
  if (key.empty()) return op == "Exists";
  if (key != base::GetString(taint, {"key"})) return false;
  if (op == "Exists") return true;
  return base::GetString(toleration, {"value"}) == base::GetString(taint, {"value"});
}

void AddDaemonTolerations(boost::json::value& pod_spec) {
  auto& list = pod_spec.as_object()["tolerations"];
  if (!list.is_array()) list = boost::json::array();
  const std::pair<const char*, const char*> defaults[] = {
      {"node.kubernetes.io/not-ready", "NoExecute"},
      {"node.kubernetes.io/unreachable", "NoExecute"},
      {"node.kubernetes.io/disk-pressure", "NoSchedule"},
      {"node.kubernetes.io/memory-pressure", "NoSchedule"},
      {"node.kubernetes.io/pid-pressure", "NoSchedule"},
      {"node.kubernetes.io/unschedulable", "NoSchedule"}};
  for (const auto& [key, effect] : defaults) {
    bool present =
        std::any_of(list.as_array().begin(), list.as_array().end(), [&](const boost::json::value& t) {
          return base::GetString(t, {"key"}) == key && base::GetString(t, {"effect"}) == effect;
        });
    if (!present) list.as_array().push_back(Toleration(key, effect));
  }
}

NodeFit FitsNode(const boost::json::value& template_spec, const boost::json::value& node) {
  NodeFit fit;
  const boost::json::value* selector = base::Find(template_spec, "nodeSelector");
  if (selector != nullptr && selector->is_object()) {
    const boost::json::value* labels = api::Labels(node);
    for (const auto& [k, v] : selector->get_object()) {
      const boost::json::value* have =
          labels != nullptr && labels->is_object() ? labels->get_object().if_contains(k) : nullptr;
      if (have == nullptr || *have != v) return fit;
    }
  }
  const boost::json::value* terms = base::FindPath(
      template_spec,
      {"affinity", "nodeAffinity", "requiredDuringSchedulingIgnoredDuringExecution", "nodeSelectorTerms"});
  if (terms != nullptr && !NodeMatchesTerms(node, *terms)) return fit;
  boost::json::value spec = template_spec.is_object() ? template_spec : boost::json::object();
  AddDaemonTolerations(spec);
  const boost::json::array& tolerations = spec.at("tolerations").as_array();
  fit.should_run = fit.should_continue = true;
  const boost::json::value* taints = base::FindPath(node, {"spec", "taints"});
  if (taints == nullptr || !taints->is_array()) return fit;
  for (const auto& taint : taints->get_array()) {
    std::string effect = base::GetString(taint, {"effect"});
    if (effect != "NoSchedule" && effect != "NoExecute") continue;
    bool tolerated = std::any_of(tolerations.begin(), tolerations.end(),
                                 [&](const boost::json::value& t) { return TolerationMatches(t, taint); });
    if (tolerated) continue;
    fit.should_run = false;
    if (effect == "NoExecute") fit.should_continue = false;
  }
  return fit;
}

std::string DaemonPodNode(const boost::json::value& pod) {
  std::string node = api::NodeName(pod);
  if (!node.empty()) return node;
  const boost::json::value* terms =
      base::FindPath(pod, {"spec", "affinity", "nodeAffinity",
                           "requiredDuringSchedulingIgnoredDuringExecution", "nodeSelectorTerms"});
  if (terms == nullptr || !terms->is_array()) return "";
  for (const auto& term : terms->get_array()) {
    const boost::json::value* fields = base::Find(term, "matchFields");
    if (fields == nullptr || !fields->is_array()) continue;
    for (const auto& req : fields->get_array()) {
      std::vector<std::string> values = Values(req);
      if (base::GetString(req, {"key"}) == "metadata.name" && base::GetString(req, {"operator"}) == "In" &&
          values.size() == 1)
        return values[0];
    }
  }
  return "";
}

boost::json::value MakeDaemonPod(const boost::json::value& ds, const std::string& node,
                                 const std::string& hash) {
  boost::json::object meta;
  std::string prefix = api::Name(ds) + "-";
  if (prefix.size() > 58) prefix.resize(58);
  meta["generateName"] = prefix;
  meta["namespace"] = api::Namespace(ds);
  const boost::json::value* tmeta = base::FindPath(ds, {"spec", "template", "metadata"});
  if (tmeta != nullptr && tmeta->is_object()) {
    for (const char* field : {"labels", "annotations", "finalizers"}) {
      if (const boost::json::value* v = tmeta->get_object().if_contains(field); v && !v->is_null())
        meta[field] = *v;
    }
  }
  auto& labels = meta["labels"];
  if (!labels.is_object()) labels = boost::json::object();
  labels.as_object()[kControllerRevisionHashLabel] = hash;
  labels.as_object()["pod-template-generation"] =
      std::to_string(base::GetInt(ds, {"metadata", "generation"}, 1));
  meta["ownerReferences"] = boost::json::array{MakeControllerRef(ds, "apps/v1", "DaemonSet")};
  const boost::json::value* tspec = base::FindPath(ds, {"spec", "template", "spec"});
  boost::json::value spec = tspec != nullptr && tspec->is_object() ? *tspec : boost::json::object();
  // Pin to the node (k8s ReplaceDaemonSetPodNodeNameNodeAffinity): the node already passed the
  // template's affinity, so the required terms become just this node.
  boost::json::object term{{"matchFields", boost::json::array{boost::json::object{
                                               {"key", "metadata.name"},
                                               {"operator", "In"},
                                               {"values", boost::json::array{boost::json::value(node)}}}}}};
  auto& affinity = spec.as_object()["affinity"];
  if (!affinity.is_object()) affinity = boost::json::object();
  auto& node_affinity = affinity.as_object()["nodeAffinity"];
  if (!node_affinity.is_object()) node_affinity = boost::json::object();
  node_affinity.as_object()["requiredDuringSchedulingIgnoredDuringExecution"] =
      boost::json::object{{"nodeSelectorTerms", boost::json::array{std::move(term)}}};
  AddDaemonTolerations(spec);
  return boost::json::object{
      {"apiVersion", "v1"}, {"kind", "Pod"}, {"metadata", std::move(meta)}, {"spec", std::move(spec)}};
}

std::string TemplateHash(const boost::json::value& ds) {
  const boost::json::value* tmpl = base::FindPath(ds, {"spec", "template"});
  std::string text = tmpl != nullptr ? base::ToJson(*tmpl) : "";
  uint64_t h = 1469598103934665603ull;  // FNV-1a
  for (unsigned char c : text) {
    h ^= c;
    h *= 1099511628211ull;
  }
  static constexpr char kAlphabet[] = "bcdfghjklmnpqrstvwxz2456789";  // k8s SafeEncodeString's
  std::string out;
  for (int i = 0; i < 10; ++i) {
    out += kAlphabet[h % 27];
    h /= 27;
  }
  return out;
}

}  // namespace skiff::controllers
