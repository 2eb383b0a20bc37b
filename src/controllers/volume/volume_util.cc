#include "controllers/volume/volume_util.h"

#include <algorithm>
#include <optional>

#include "api/label_selector.h"
#include "api/object_meta.h"
#include "api/quantity.h"
#include "base/json.h"
#include "controllers/daemonset/daemon_util.h"

namespace skiff::controllers::volume {
namespace {

namespace json = boost::json;

std::optional<api::Quantity> Storage(const json::value& obj, std::initializer_list<std::string_view> path) {
  const json::value* v = base::FindPath(obj, path);
  if (v == nullptr) return std::nullopt;
  auto q = api::Quantity::FromJson(*v);
  if (!q.ok()) return std::nullopt;
  return *q;
}

std::vector<std::string> Strings(const json::value& obj, std::initializer_list<std::string_view> path) {
  std::vector<std::string> out;
  const json::value* v = base::FindPath(obj, path);
  if (v == nullptr || !v->is_array()) return out;
  for (const json::value& s : v->get_array()) {
    if (s.is_string()) out.emplace_back(s.get_string());
  }
  return out;
}

std::string VolumeMode(const json::value& obj) {
  std::string mode = base::GetString(obj, {"spec", "volumeMode"});
  return mode.empty() ? "Filesystem" : mode;
}

bool IsDefaultClass(const json::value& sc) {
  return api::Annotation(sc, kAnnDefaultClass) == "true" || api::Annotation(sc, kAnnBetaDefaultClass) == "true";
}

}  // namespace

const api::ResourceInfo& Claims() { return client::Resource("", "v1", "persistentvolumeclaims"); }
const api::ResourceInfo& Volumes() { return client::Resource("", "v1", "persistentvolumes"); }
const api::ResourceInfo& StorageClasses() { return client::Resource("storage.k8s.io", "v1", "storageclasses"); }

std::string ClaimClass(const json::value& claim) { return base::GetString(claim, {"spec", "storageClassName"}); }

bool DelaysBinding(const json::value* storage_class) {
  return storage_class != nullptr &&
         base::GetString(*storage_class, {"volumeBindingMode"}) == "WaitForFirstConsumer";
}

bool VolumeBoundToClaim(const json::value& pv, const json::value& claim) {
  const json::value* ref = base::FindPath(pv, {"spec", "claimRef"});
  if (ref == nullptr || !ref->is_object()) return false;
  if (base::GetString(*ref, {"name"}) != api::Name(claim) ||
      base::GetString(*ref, {"namespace"}) != api::Namespace(claim)) {
    return false;
  }
  std::string uid = base::GetString(*ref, {"uid"});
  return uid.empty() || uid == api::Uid(claim);
}

bool VolumeAdmitsNode(const json::value& pv, const json::value& node) {
  const json::value* terms = base::FindPath(pv, {"spec", "nodeAffinity", "required", "nodeSelectorTerms"});
  if (terms == nullptr || terms->is_null()) return true;
  return NodeMatchesTerms(node, *terms);
}

std::string VolumeSatisfiesClaim(const json::value& pv, const json::value& claim) {
  if (base::GetString(pv, {"spec", "storageClassName"}) != ClaimClass(claim)) {
    return "storageClassName does not match";
  }
  if (VolumeMode(pv) != VolumeMode(claim)) return "incompatible volumeMode";
  std::vector<std::string> have = Strings(pv, {"spec", "accessModes"});
  for (const std::string& mode : Strings(claim, {"spec", "accessModes"})) {
    if (std::find(have.begin(), have.end(), mode) == have.end()) return "incompatible accessMode";
  }
  auto capacity = Storage(pv, {"spec", "capacity", "storage"});
  auto request = Storage(claim, {"spec", "resources", "requests", "storage"});
  if (!capacity || (request && *capacity < *request)) return "requested PV is too small";
  return "";
}

std::vector<client::Object> MatchingVolumes(const json::value& claim, const std::vector<client::Object>& volumes,
                                            const json::value* node) {
  std::vector<client::Object> out;
  api::LabelSelector selector;  // none: everything
  if (const json::value* s = base::FindPath(claim, {"spec", "selector"}); s != nullptr && !s->is_null()) {
    auto parsed = api::LabelSelector::FromJson(*s, "spec.selector");
    if (!parsed.ok()) return out;
    selector = *std::move(parsed);
  }
  for (const client::Object& pv : volumes) {
    if (api::IsBeingDeleted(*pv)) continue;
    bool pre_bound = VolumeBoundToClaim(*pv, claim);
    const json::value* ref = base::FindPath(*pv, {"spec", "claimRef"});
    if (!pre_bound && ref != nullptr && !ref->is_null()) continue;  // someone else's
    if (!VolumeSatisfiesClaim(*pv, claim).empty()) continue;
    if (node != nullptr && !VolumeAdmitsNode(*pv, *node)) continue;
    if (!pre_bound) {
      std::string phase = base::GetString(*pv, {"status", "phase"});
      if (phase != "Available" && phase != "Pending" && !phase.empty()) continue;
      if (!selector.Matches(api::Labels(*pv))) continue;
    }
    out.push_back(pv);
  }
  return out;
}

client::Object FindBestMatch(const json::value& claim, const std::vector<client::Object>& volumes,
                             const json::value* node) {
  client::Object best;
  std::optional<api::Quantity> best_size;
  for (const client::Object& pv : MatchingVolumes(claim, volumes, node)) {
    if (VolumeBoundToClaim(*pv, claim)) return pv;
    auto size = Storage(*pv, {"spec", "capacity", "storage"});
    if (!best || *size < *best_size) best = pv, best_size = size;
  }
  return best;
}

client::Object DefaultClass(const std::vector<client::Object>& classes) {
  client::Object best;
  for (const client::Object& sc : classes) {
    if (!IsDefaultClass(*sc)) continue;
    if (!best) {
      best = sc;
      continue;
    }
    std::string a = base::GetString(*sc, {"metadata", "creationTimestamp"});
    std::string b = base::GetString(*best, {"metadata", "creationTimestamp"});
    if (a > b || (a == b && api::Name(*sc) < api::Name(*best))) best = sc;
  }
  return best;
}

std::vector<std::string> PodClaimNames(const json::value& pod) {
  std::vector<std::string> names;
  const json::value* volumes = base::FindPath(pod, {"spec", "volumes"});
  if (volumes == nullptr || !volumes->is_array()) return names;
  for (const json::value& v : volumes->get_array()) {
    if (std::string claim = base::GetString(v, {"persistentVolumeClaim", "claimName"}); !claim.empty()) {
      names.push_back(claim);
    } else if (base::FindPath(v, {"ephemeral"}) != nullptr) {
      names.push_back(api::Name(pod) + "-" + base::GetString(v, {"name"}));
    }
  }
  return names;
}

bool PodUsesClaim(const json::value& pod, const std::string& name) {
  std::vector<std::string> names = PodClaimNames(pod);
  return std::find(names.begin(), names.end(), name) != names.end();
}

}  // namespace skiff::controllers::volume
