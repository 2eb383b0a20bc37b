#include "controllers/statefulset/stateful_set_util.h"

#include <algorithm>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "api/object_meta.h"
#include "api/pod_util.h"
#include "base/json.h"
#include "controllers/workload/workload_util.h"

namespace skiff::controllers::statefulset {
namespace {

const boost::json::object* ObjectAt(const boost::json::value& v, std::initializer_list<std::string_view> path) {
  const boost::json::value* found = base::FindPath(v, path);
  return found != nullptr && found->is_object() ? &found->get_object() : nullptr;
}

const boost::json::array* ArrayAt(const boost::json::value& v, std::initializer_list<std::string_view> path) {
  const boost::json::value* found = base::FindPath(v, path);
  return found != nullptr && found->is_array() ? &found->get_array() : nullptr;
}

// An ownerReference to `owner` of `kind` with controller and blockOwnerDeletion true.
boost::json::object OwnerRef(const boost::json::value& owner, const char* api_version, const char* kind) {
  return MakeControllerRef(owner, api_version, kind);
}

bool RefersTo(const boost::json::value& ref, const char* kind, const boost::json::value& owner) {
  return base::GetString(ref, {"kind"}) == kind && base::GetString(ref, {"name"}) == api::Name(owner) && base::GetString(ref, {"uid"}) == api::Uid(owner);
}

bool IsControllerRef(const boost::json::value& ref) {
  const boost::json::value* c = base::Find(ref, "controller");
  return c != nullptr && c->is_bool() && c->get_bool();
}

}  // namespace

std::pair<std::string, int64_t> ParentAndOrdinal(const std::string& pod_name) {
  size_t dash = pod_name.rfind('-');
  if (dash == std::string::npos || dash + 1 == pod_name.size()) return {"", -1};
  std::string digits = pod_name.substr(dash + 1);
  if (!std::all_of(digits.begin(), digits.end(), [](char c) { return absl::ascii_isdigit(c); })) return {"", -1};
  int32_t ordinal = 0;
  if (!absl::SimpleAtoi(digits, &ordinal)) return {"", -1};
  return {pod_name.substr(0, dash), ordinal};
}

int64_t OrdinalOf(const boost::json::value& pod) { return ParentAndOrdinal(api::Name(pod)).second; }

int64_t StartOrdinal(const boost::json::value& set) {
  return std::max<int64_t>(base::GetInt(set, {"spec", "ordinals", "start"}, 0), 0);
}

int64_t Replicas(const boost::json::value& set) {
  return std::max<int64_t>(IntAt(set, {"spec", "replicas"}, 1), 0);
}

bool InOrdinalRange(int64_t ordinal, const boost::json::value& set) {
  int64_t start = StartOrdinal(set);
  return ordinal >= start && ordinal < start + Replicas(set);
}

std::string PodName(const boost::json::value& set, int64_t ordinal) {
  return absl::StrCat(api::Name(set), "-", ordinal);
}

std::string ClaimName(const std::string& template_name, const std::string& set_name, int64_t ordinal) {
  return absl::StrCat(template_name, "-", set_name, "-", ordinal);
}

bool IsMemberOf(const boost::json::value& set, const boost::json::value& pod) {
  return ParentAndOrdinal(api::Name(pod)).first == api::Name(set);
}

bool IdentityMatches(const boost::json::value& set, const boost::json::value& pod) {
  auto [parent, ordinal] = ParentAndOrdinal(api::Name(pod));
  return ordinal >= 0 && parent == api::Name(set) && api::Namespace(pod) == api::Namespace(set) &&
         api::Label(pod, kPodNameLabel) == api::Name(pod) &&
         api::Label(pod, kPodIndexLabel) == std::to_string(ordinal);
}

bool StorageMatches(const boost::json::value& set, const boost::json::value& pod) {
  int64_t ordinal = OrdinalOf(pod);
  if (ordinal < 0) return false;
  const boost::json::array* templates = ArrayAt(set, {"spec", "volumeClaimTemplates"});
  if (templates == nullptr) return true;
  const boost::json::array* volumes = ArrayAt(pod, {"spec", "volumes"});
  for (const auto& t : *templates) {
    std::string name = base::GetString(t, {"metadata", "name"});
    bool found = false;
    if (volumes != nullptr) {
      for (const auto& v : *volumes) {
        if (base::GetString(v, {"name"}) != name) continue;
        found = base::GetString(v, {"persistentVolumeClaim", "claimName"}) ==
                ClaimName(name, api::Name(set), ordinal);
        break;
      }
    }
    if (!found) return false;
  }
  return true;
}

std::optional<boost::json::object> IdentityLabelPatch(const boost::json::value& set,
                                                       const boost::json::value& pod) {
  if (IdentityMatches(set, pod)) return std::nullopt;
  int64_t ordinal = OrdinalOf(pod);
  boost::json::object labels{{kPodNameLabel, api::Name(pod)}, {kPodIndexLabel, std::to_string(ordinal)}};
  return boost::json::object{{"metadata", boost::json::object{{"labels", std::move(labels)}}}};
}

boost::json::value NewPod(const boost::json::value& set, int64_t ordinal, const std::string& revision) {
  std::string name = PodName(set, ordinal);
  boost::json::object meta{{"name", name}, {"namespace", api::Namespace(set)}};
  if (const boost::json::object* tmeta = ObjectAt(set, {"spec", "template", "metadata"})) {
    for (const char* field : {"labels", "annotations", "finalizers"}) {
      if (const boost::json::value* v = tmeta->if_contains(field); v != nullptr && !v->is_null()) meta[field] = *v;
    }
  }
  boost::json::value& labels = meta["labels"];
  if (!labels.is_object()) labels = boost::json::object();
  labels.as_object()[kPodNameLabel] = name;
  labels.as_object()[kPodIndexLabel] = std::to_string(ordinal);
  labels.as_object()[kRevisionLabel] = revision;
  meta["ownerReferences"] = boost::json::array{OwnerRef(set, "apps/v1", "StatefulSet")};

  const boost::json::object* tspec = ObjectAt(set, {"spec", "template", "spec"});
  boost::json::object spec = tspec != nullptr ? *tspec : boost::json::object();
  spec["hostname"] = name;
  std::string service = base::GetString(set, {"spec", "serviceName"});
  if (!service.empty()) spec["subdomain"] = service;
  // Volumes: one per claim template (replacing a template volume of the same name), then the rest.
  boost::json::array volumes;
  std::vector<std::string> claim_volumes;
  if (const boost::json::array* templates = ArrayAt(set, {"spec", "volumeClaimTemplates"})) {
    for (const auto& t : *templates) {
      std::string claim = base::GetString(t, {"metadata", "name"});
      claim_volumes.push_back(claim);
      volumes.push_back(boost::json::object{
          {"name", claim},
          {"persistentVolumeClaim",
           boost::json::object{{"claimName", ClaimName(claim, api::Name(set), ordinal)}}}});
    }
  }
  if (const boost::json::value* old = spec.if_contains("volumes"); old != nullptr && old->is_array()) {
    for (const auto& v : old->get_array()) {
      if (std::find(claim_volumes.begin(), claim_volumes.end(), base::GetString(v, {"name"})) == claim_volumes.end())
        volumes.push_back(v);
    }
  }
  if (!volumes.empty()) spec["volumes"] = std::move(volumes);
  return boost::json::object{
      {"apiVersion", "v1"}, {"kind", "Pod"}, {"metadata", std::move(meta)}, {"spec", std::move(spec)}};
}

std::vector<boost::json::value> NewClaims(const boost::json::value& set, int64_t ordinal) {
  std::vector<boost::json::value> claims;
  const boost::json::array* templates = ArrayAt(set, {"spec", "volumeClaimTemplates"});
  if (templates == nullptr) return claims;
  const boost::json::object* match_labels = ObjectAt(set, {"spec", "selector", "matchLabels"});
  for (const auto& t : *templates) {
    boost::json::value claim = t.is_object() ? t : boost::json::object();
    boost::json::object& obj = claim.as_object();
    obj["apiVersion"] = "v1";
    obj["kind"] = "PersistentVolumeClaim";
    obj.erase("status");
    boost::json::object& meta = base::EnsureObject(claim, {"metadata"});
    std::string template_name = api::Name(claim);
    meta["name"] = ClaimName(template_name, api::Name(set), ordinal);
    meta["namespace"] = api::Namespace(set);
    for (const char* field : {"uid", "resourceVersion", "creationTimestamp", "generation", "ownerReferences"})
      meta.erase(field);
    boost::json::value& labels = meta["labels"];
    if (!labels.is_object()) labels = boost::json::object();
    if (match_labels != nullptr) {
      for (const auto& [k, v] : *match_labels) labels.as_object()[k] = v;
    }
    claims.push_back(std::move(claim));
  }
  return claims;
}

bool IsTerminating(const boost::json::value& pod) { return api::IsBeingDeleted(pod); }

bool IsRunningAndReady(const boost::json::value& pod) {
  return api::PodPhase(pod) == "Running" && api::IsPodReady(pod);
}

bool IsRunningAndAvailable(const boost::json::value& pod, int64_t min_ready_seconds, absl::Time now) {
  return api::PodPhase(pod) == "Running" && api::IsPodAvailable(pod, min_ready_seconds, now);
}

bool IsUnavailable(const boost::json::value* pod, int64_t min_ready_seconds, absl::Time now) {
  return pod == nullptr || IsTerminating(*pod) || !IsRunningAndReady(*pod) ||
         !IsRunningAndAvailable(*pod, min_ready_seconds, now);
}

boost::json::value RevisionData(const boost::json::value& set) {
  const boost::json::object* tmpl = ObjectAt(set, {"spec", "template"});
  boost::json::object t = tmpl != nullptr ? *tmpl : boost::json::object();
  t["$patch"] = "replace";
  return boost::json::object{{"spec", boost::json::object{{"template", std::move(t)}}}};
}

std::string RevisionHash(const boost::json::value& data, int64_t collision_count) {
  std::string text = base::ToJson(data);
  if (collision_count > 0) text += std::to_string(collision_count);
  uint32_t h = 2166136261u;  // FNV-1, 32 bit
  for (unsigned char c : text) {
    h *= 16777619u;
    h ^= c;
  }
  // rand.SafeEncodeString of the decimal form: no vowels, no look-alike characters.
  static constexpr char kAlphabet[] = "bcdfghjklmnpqrstvwxz2456789";
  std::string out;
  for (char c : std::to_string(h)) out += kAlphabet[static_cast<unsigned char>(c) % 27];
  return out;
}

boost::json::value NewRevision(const boost::json::value& set, const boost::json::value& data, int64_t revision,
                               int64_t collision_count) {
  std::string hash = RevisionHash(data, collision_count);
  boost::json::object labels;
  if (const boost::json::object* tl = ObjectAt(set, {"spec", "template", "metadata", "labels"})) labels = *tl;
  labels[kRevisionLabel] = hash;
  std::string prefix = api::Name(set);
  if (prefix.size() > 223) prefix.resize(223);
  boost::json::object meta{{"name", absl::StrCat(prefix, "-", hash)},
                           {"namespace", api::Namespace(set)},
                           {"labels", std::move(labels)},
                           {"ownerReferences", boost::json::array{OwnerRef(set, "apps/v1", "StatefulSet")}}};
  // The set's annotations (kubernetes.io/change-cause is what `kubectl rollout history` shows).
  if (const boost::json::object* annotations = ObjectAt(set, {"metadata", "annotations"}))
    meta["annotations"] = *annotations;
  return boost::json::object{{"apiVersion", "apps/v1"},
                             {"kind", "ControllerRevision"},
                             {"metadata", std::move(meta)},
                             {"data", data},
                             {"revision", revision}};
}

boost::json::value ApplyRevision(const boost::json::value& set, const boost::json::value& revision) {
  boost::json::value out = set;
  const boost::json::object* tmpl = ObjectAt(revision, {"data", "spec", "template"});
  if (tmpl == nullptr) return out;
  boost::json::object t = *tmpl;
  t.erase("$patch");
  base::EnsureObject(out, {"spec"})["template"] = std::move(t);
  return out;
}

ClaimOwners WantedClaimOwners(const boost::json::value& set, const boost::json::value& pod) {
  bool delete_when_deleted =
      base::GetString(set, {"spec", "persistentVolumeClaimRetentionPolicy", "whenDeleted"}) == "Delete";
  bool delete_when_scaled =
      base::GetString(set, {"spec", "persistentVolumeClaimRetentionPolicy", "whenScaled"}) == "Delete";
  bool scaled_down = !InOrdinalRange(OrdinalOf(pod), set);
  ClaimOwners owners;
  owners.pod = delete_when_scaled && scaled_down;
  owners.set = delete_when_deleted && !owners.pod;
  return owners;
}

bool ClaimIsStale(const boost::json::value& claim, const boost::json::value& pod) {
  const boost::json::array* refs = api::OwnerReferences(claim);
  if (refs == nullptr) return false;
  for (const auto& ref : *refs) {
    if (base::GetString(ref, {"kind"}) == "Pod" && base::GetString(ref, {"name"}) == api::Name(pod) && base::GetString(ref, {"uid"}) != api::Uid(pod))
      return true;
  }
  return false;
}

std::optional<boost::json::array> RetentionOwnerRefs(const boost::json::value& set, const boost::json::value& pod,
                                                     const boost::json::value& claim) {
  const boost::json::array* current = api::OwnerReferences(claim);
  boost::json::array refs = current != nullptr ? *current : boost::json::array();
  bool has_set = false, has_pod = false, foreign_controller = false;
  for (const auto& ref : refs) {
    bool is_set = RefersTo(ref, "StatefulSet", set), is_pod = RefersTo(ref, "Pod", pod);
    // A reference to an earlier owner of the same name: the garbage collector decides.
    if (!is_set && base::GetString(ref, {"kind"}) == "StatefulSet" && base::GetString(ref, {"name"}) == api::Name(set)) return std::nullopt;
    if (!is_pod && base::GetString(ref, {"kind"}) == "Pod" && base::GetString(ref, {"name"}) == api::Name(pod) && !api::Uid(pod).empty())
      return std::nullopt;
    has_set = has_set || (is_set && IsControllerRef(ref));
    has_pod = has_pod || (is_pod && IsControllerRef(ref));
    if (!is_set && !is_pod && IsControllerRef(ref)) foreign_controller = true;
  }
  ClaimOwners want = WantedClaimOwners(set, pod);
  if (foreign_controller) want = ClaimOwners{};  // another controller manages it: only drop our refs
  if (want.pod && api::Uid(pod).empty()) want.pod = has_pod;
  bool stray = std::any_of(refs.begin(), refs.end(), [&](const boost::json::value& ref) {
    return (RefersTo(ref, "StatefulSet", set) || RefersTo(ref, "Pod", pod)) && !IsControllerRef(ref);
  });
  if (want.set == has_set && want.pod == has_pod && !stray) return std::nullopt;
  boost::json::array next;
  for (const auto& ref : refs) {
    if (RefersTo(ref, "StatefulSet", set) || RefersTo(ref, "Pod", pod)) continue;
    next.push_back(ref);
  }
  if (want.set) next.push_back(OwnerRef(set, "apps/v1", "StatefulSet"));
  if (want.pod) next.push_back(OwnerRef(pod, "v1", "Pod"));
  return next;
}

}  // namespace skiff::controllers::statefulset
