#include "apiserver/podsecurity/plugin.h"

#include <algorithm>
#include <map>
#include <optional>
#include <set>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "api/errors.h"
#include "api/go_format.h"
#include "apiserver/auth.h"
#include "apiserver/podsecurity/evaluator.h"
#include "apiserver/podsecurity/pod_template.h"
#include "base/json.h"
#include "base/strings.h"

namespace skiff::apiserver::podsecurity {

namespace json = boost::json;

namespace {

// Kubernetes checks at most this many pods when a namespace's enforce level rises.
constexpr size_t kNamespaceMaxPodsToCheck = 3000;

// Pod subresources whose writes cannot change what Pod Security looks at.
bool IgnoredPodSubresource(std::string_view subresource) {
  for (std::string_view s :
       {"exec", "attach", "binding", "eviction", "log", "portforward", "proxy", "status"}) {
    if (subresource == s) return true;
  }
  return false;
}

bool Contains(const std::vector<std::string>& list, std::string_view value) {
  return !value.empty() && std::find(list.begin(), list.end(), value) != list.end();
}

const json::value& Labels(const json::value& obj) {
  static const json::value kNone;
  const auto* labels = base::FindPath(obj, {"metadata", "labels"});
  return labels ? *labels : kNone;
}

bool SameCauses(const std::vector<api::StatusCause>& a, const std::vector<api::StatusCause>& b) {
  return std::equal(a.begin(), a.end(), b.begin(), b.end(),
                    [](const api::StatusCause& x, const api::StatusCause& y) {
                      return x.reason == y.reason && x.message == y.message && x.field == y.field;
                    });
}

std::string Image(const json::value& container) { return base::GetString(container, {"image"}); }

const json::array* Containers(const json::value& pod, std::string_view list) {
  const auto* v = base::FindPath(pod, {"spec", list});
  return v ? v->if_array() : nullptr;
}

// Only container images (and added ephemeral containers) can change what the checks see in a
// running pod, so other updates are not evaluated (Kubernetes' isSignificantPodUpdate).
bool SignificantPodUpdate(const json::value& pod, const json::value& old) {
  for (std::string_view list : {"containers", "initContainers"}) {
    const json::array* now = Containers(pod, list);
    const json::array* before = Containers(old, list);
    size_t n = now ? now->size() : 0;
    if (n != (before ? before->size() : 0)) return true;
    for (size_t i = 0; i < n; ++i) {
      if (Image((*now)[i]) != Image((*before)[i])) return true;
    }
  }
  static const json::array kNone;
  const json::array* now = Containers(pod, "ephemeralContainers");
  const json::array* before = Containers(old, "ephemeralContainers");
  for (const auto& c : now ? *now : kNone) {
    std::string name = base::GetString(c, {"name"});
    const json::value* previous = nullptr;
    for (const auto& o : before ? *before : kNone) {
      if (base::GetString(o, {"name"}) == name) {
        previous = &o;
        break;
      }
    }
    if (!previous || Image(c) != Image(*previous)) return true;
  }
  return false;
}

// Labels of `labels` (a JSON object) that are set.
bool HasLabel(const json::value& labels, std::string_view key) {
  const auto* object = labels.if_object();
  return object && object->contains(key);
}

bool Equivalent(const LevelVersion& a, const LevelVersion& b) {
  return (a.level == Level::kPrivileged && b.level == Level::kPrivileged) || a == b;
}

// The UID of the pod's controller (ownerReferences[].controller=true), or "".
std::string ControllerUid(const json::value& pod) {
  const auto* refs = base::FindPath(pod, {"metadata", "ownerReferences"});
  if (!refs || !refs->is_array()) return "";
  for (const auto& ref : refs->get_array()) {
    if (base::GetBool(ref, {"controller"})) return base::GetString(ref, {"uid"});
  }
  return "";
}

}  // namespace

PodSecurityPlugin::PodSecurityPlugin(const Sources* sources, Options options)
    : sources_(sources), options_(std::move(options)) {}

absl::Status PodSecurityPlugin::Validate(const AdmissionRequest& request, const json::value* obj,
                                         const json::value* old) {
  if (request.operation == AdmissionOperation::kDelete || !obj || !request.resource) return absl::OkStatus();
  const api::ResourceInfo& r = *request.resource;
  if (r.group.empty() && r.plural == "namespaces") return ValidateNamespace(request, *obj, old);
  if (IsPods(r)) return ValidatePod(request, *obj, old);
  if (HasPodSpec(r)) return ValidatePodController(request, *obj);
  return absl::OkStatus();
}

absl::Status PodSecurityPlugin::ValidateNamespace(const AdmissionRequest& request, const json::value& obj,
                                                  const json::value* old) const {
  if (!request.subresource.empty()) return absl::OkStatus();
  std::string name = base::GetString(obj, {"metadata", "name"});
  const json::value& labels = Labels(obj);
  std::vector<api::StatusCause> errors;
  Policy policy = PolicyFromLabels(labels, options_.defaults, &errors);
  if (request.operation == AdmissionOperation::kCreate || !old) {
    if (!errors.empty()) return api::InvalidError("", "Namespace", name, errors);
    if (ExemptNamespace(name)) {
      if (auto warning = ExemptNamespaceWarning(name, policy, labels); !warning.empty())
        request.Warn(warning);
    }
    return absl::OkStatus();
  }
  std::vector<api::StatusCause> old_errors;
  Policy old_policy = PolicyFromLabels(Labels(*old), options_.defaults, &old_errors);
  // Bad labels a namespace already had do not block unrelated updates.
  if (!errors.empty() && (old_errors.empty() || !SameCauses(errors, old_errors))) {
    return api::InvalidError("", "Namespace", name, errors);
  }
  // Existing pods are dry-run only when the enforce policy became stricter or changed version.
  if (policy.enforce == old_policy.enforce || policy.enforce.level == Level::kPrivileged)
    return absl::OkStatus();
  if (policy.enforce.version == old_policy.enforce.version &&
      policy.enforce.level <= old_policy.enforce.level) {
    return absl::OkStatus();
  }
  if (ExemptNamespace(name)) {
    if (auto warning = ExemptNamespaceWarning(name, policy, labels); !warning.empty()) request.Warn(warning);
    return absl::OkStatus();
  }
  for (auto& warning : EvaluatePodsInNamespace(name, policy.enforce)) request.Warn(std::move(warning));
  return absl::OkStatus();
}

absl::Status PodSecurityPlugin::ValidatePod(const AdmissionRequest& request, const json::value& obj,
                                            const json::value* old) const {
  if (IgnoredPodSubresource(std::string_view(request.subresource.data(), request.subresource.size()))) {
    return absl::OkStatus();
  }
  std::string ns(request.ns);
  if (Exempt(request)) return absl::OkStatus();
  auto labels = sources_->NamespaceLabels(ns);
  if (!labels.ok()) {
    return api::ToStatus(
        {500, "InternalError",
         absl::StrCat("Internal error occurred: failed to lookup namespace ", api::GoQuote(ns))});
  }
  std::vector<api::StatusCause> errors;
  Policy policy = PolicyFromLabels(*labels, options_.defaults, &errors);
  if (errors.empty() && policy.FullyPrivileged()) {
    request.AddAuditAnnotation(std::string(kEnforcePolicyAnnotation), "privileged:latest");
    return absl::OkStatus();
  }
  if (request.operation == AdmissionOperation::kUpdate && old && !SignificantPodUpdate(obj, *old)) {
    return absl::OkStatus();
  }
  PodParts pod = ExtractPod(*request.resource, obj);
  return EvaluatePod(request, policy, pod.meta, pod.spec, /*enforce=*/true);
}

absl::Status PodSecurityPlugin::ValidatePodController(const AdmissionRequest& request,
                                                      const json::value& obj) const {
  if (!request.subresource.empty()) return absl::OkStatus();
  std::string ns(request.ns);
  if (Exempt(request)) return absl::OkStatus();
  // Workloads are never refused: a namespace that cannot be read only means no warnings.
  auto labels = sources_->NamespaceLabels(ns);
  if (!labels.ok()) return absl::OkStatus();
  std::vector<api::StatusCause> errors;
  Policy policy = PolicyFromLabels(*labels, options_.defaults, &errors);
  if (errors.empty() && policy.warn.level == Level::kPrivileged && policy.audit.level == Level::kPrivileged) {
    return absl::OkStatus();
  }
  PodParts pod = ExtractPod(*request.resource, obj);
  if (!pod.found) return absl::OkStatus();
  return EvaluatePod(request, policy, pod.meta, pod.spec, /*enforce=*/false);
}

absl::Status PodSecurityPlugin::EvaluatePod(const AdmissionRequest& request, const Policy& policy,
                                            const json::value* meta, const json::value* spec,
                                            bool enforce) const {
  static const json::value kEmpty = json::object();
  const json::value& m = meta ? *meta : kEmpty;
  const json::value& s = spec ? *spec : kEmpty;
  if (ExemptRuntimeClass(spec)) {
    request.AddAuditAnnotation(std::string(kExemptAnnotation), "runtimeClass");
    return absl::OkStatus();
  }
  // As the real plug-in: the enforce result is reused for audit and warn at the same level and
  // version; audit violations are recorded even when the write is refused.
  std::optional<Violations> enforced;
  if (enforce) {
    request.AddAuditAnnotation(std::string(kEnforcePolicyAnnotation), policy.enforce.String());
    enforced = Aggregate(podsecurity::EvaluatePod(policy.enforce, m, s));
  }
  auto evaluate = [&](const LevelVersion& level) {
    return enforced && level == policy.enforce ? *enforced : Aggregate(podsecurity::EvaluatePod(level, m, s));
  };
  if (Violations audit = evaluate(policy.audit); !audit.empty()) {
    request.AddAuditAnnotation(std::string(kAuditViolationsAnnotation),
                               absl::StrCat("would violate PodSecurity ", api::GoQuote(policy.audit.String()),
                                            ": ", audit.Details()));
  }
  if (enforced && !enforced->empty()) {
    const api::ResourceInfo& r = *request.resource;
    std::string name(request.name);
    std::string subject =
        name.empty() ? r.QualifiedPlural() : absl::StrCat(r.QualifiedPlural(), " ", api::GoQuote(name));
    api::ApiError e{403,
                    "Forbidden",
                    absl::StrCat(subject, " is forbidden: violates PodSecurity ",
                                 api::GoQuote(policy.enforce.String()), ": ", enforced->Details()),
                    name,
                    r.group,
                    r.plural};
    return api::ToStatus(e);
  }
  Violations warn = evaluate(policy.warn);
  if (!warn.empty()) {
    request.Warn(
        absl::StrCat("would violate PodSecurity ", api::GoQuote(policy.warn.String()), ": ", warn.Details()));
  }
  return absl::OkStatus();
}

std::vector<std::string> PodSecurityPlugin::EvaluatePodsInNamespace(const std::string& ns,
                                                                    const LevelVersion& enforce) const {
  std::vector<json::value> all = sources_->Pods(ns);
  // One pod per controller first: replicas of one template mostly say the same.
  std::vector<const json::value*> pods, duplicates;
  std::set<std::string> controllers;
  for (const auto& pod : all) {
    if (ExemptRuntimeClass(base::Find(pod, "spec"))) continue;
    std::string uid = ControllerUid(pod);
    if (!uid.empty() && !controllers.insert(uid).second) {
      duplicates.push_back(&pod);
    } else {
      pods.push_back(&pod);
    }
  }
  pods.insert(pods.end(), duplicates.begin(), duplicates.end());
  size_t total = pods.size();
  if (pods.size() > kNamespaceMaxPodsToCheck) pods.resize(kNamespaceMaxPodsToCheck);

  struct Seen {
    std::string first_pod;  // the lexically first pod name with these reasons
    int count = 0;
  };
  std::vector<std::string> reasons_in_order;
  std::map<std::string, Seen> seen;
  static const json::value kEmpty = json::object();
  for (const json::value* pod : pods) {
    const json::value* meta = base::Find(*pod, "metadata");
    const json::value* spec = base::Find(*pod, "spec");
    Violations v = Aggregate(podsecurity::EvaluatePod(enforce, meta ? *meta : kEmpty, spec ? *spec : kEmpty));
    if (v.empty()) continue;
    std::string reasons = v.Reasons();
    std::string name = base::GetString(*pod, {"metadata", "name"});
    auto [it, added] = seen.try_emplace(reasons, Seen{name, 0});
    if (added) reasons_in_order.push_back(reasons);
    if (name < it->second.first_pod) it->second.first_pod = name;
    ++it->second.count;
  }
  std::vector<std::string> warnings;
  if (pods.size() < total) {
    warnings.push_back(absl::StrCat("new PodSecurity enforce level only checked against the first ",
                                    pods.size(), " of ", total, " existing pods"));
  }
  if (reasons_in_order.empty()) return warnings;
  warnings.push_back(absl::StrCat("existing pods in namespace ", api::GoQuote(ns),
                                  " violate the new PodSecurity enforce level ",
                                  api::GoQuote(enforce.String())));
  std::vector<std::string> pod_warnings;
  for (const auto& reasons : reasons_in_order) {
    const Seen& s = seen[reasons];
    std::string who = s.first_pod;
    if (s.count == 2) who += " (and 1 other pod)";
    if (s.count > 2) who += absl::StrCat(" (and ", s.count - 1, " other pods)");
    pod_warnings.push_back(absl::StrCat(who, ": ", reasons));
  }
  std::sort(pod_warnings.begin(), pod_warnings.end());
  warnings.insert(warnings.end(), pod_warnings.begin(), pod_warnings.end());
  return warnings;
}

bool PodSecurityPlugin::Exempt(const AdmissionRequest& request) const {
  const char* why = ExemptNamespace(std::string_view(request.ns.data(), request.ns.size())) ? "namespace"
                    : ExemptUser(request)                                                   ? "user"
                                                                                            : nullptr;
  if (why) request.AddAuditAnnotation(std::string(kExemptAnnotation), why);
  return why != nullptr;
}

bool PodSecurityPlugin::ExemptNamespace(std::string_view ns) const {
  return Contains(options_.exempt_namespaces, ns);
}

bool PodSecurityPlugin::ExemptUser(const AdmissionRequest& request) const {
  return request.user && Contains(options_.exempt_usernames, request.user->name);
}

bool PodSecurityPlugin::ExemptRuntimeClass(const json::value* spec) const {
  return spec && Contains(options_.exempt_runtime_classes, base::GetString(*spec, {"runtimeClassName"}));
}

std::string PodSecurityPlugin::ExemptNamespaceWarning(std::string_view ns, const Policy& policy,
                                                      const json::value& labels) const {
  const Policy& d = options_.defaults;
  if (policy.FullyPrivileged() || (Equivalent(policy.enforce, d.enforce) &&
                                   Equivalent(policy.audit, d.audit) && Equivalent(policy.warn, d.warn))) {
    return "";
  }
  // Only the non-privileged modes the namespace sets itself.
  std::vector<std::string> modes;
  auto add = [&](const char* mode, const LevelVersion& lv, std::string_view label,
                 std::string_view version_label) {
    if (lv.level != Level::kPrivileged && (HasLabel(labels, label) || HasLabel(labels, version_label))) {
      modes.push_back(absl::StrCat(mode, "=", lv.String()));
    }
  };
  add("enforce", policy.enforce, kEnforceLabel, kEnforceVersionLabel);
  add("audit", policy.audit, kAuditLabel, kAuditVersionLabel);
  add("warn", policy.warn, kWarnLabel, kWarnVersionLabel);
  return absl::StrCat("namespace ", api::GoQuote(ns), " is exempt from Pod Security, and the policy (",
                      absl::StrJoin(modes, ", "), ") will be ignored");
}

}  // namespace skiff::apiserver::podsecurity
