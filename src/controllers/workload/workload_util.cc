#include "controllers/workload/workload_util.h"

#include <algorithm>
#include <map>
#include <tuple>

#include "api/object_meta.h"
#include "api/pod_util.h"
#include "base/clock.h"
#include "base/json.h"

namespace skiff::controllers {

boost::json::object MakeControllerRef(const boost::json::value& owner, const std::string& api_version,
                                      const std::string& kind) {
  boost::json::object ref;
  ref["apiVersion"] = api_version;
  ref["kind"] = kind;
  ref["name"] = api::Name(owner);
  ref["uid"] = api::Uid(owner);
  ref["controller"] = true;
  ref["blockOwnerDeletion"] = true;
  return ref;
}

absl::Time TimeAt(const boost::json::value& obj, std::initializer_list<std::string_view> path) {
  absl::Time t;
  std::string text = base::GetString(obj, path);
  if (text.empty() || !base::ParseRfc3339(text, &t)) return absl::InfinitePast();
  return t;
}

int64_t IntAt(const boost::json::value& obj, std::initializer_list<std::string_view> path, int64_t fallback) {
  const boost::json::value* v = base::FindPath(obj, path);
  if (v == nullptr || v->is_null()) return fallback;
  return base::GetInt(obj, path, fallback);
}

bool IsAlreadyExistsError(const absl::Status& status) {
  return absl::IsAlreadyExists(status) || client::ErrorReason(status) == "AlreadyExists";
}

bool IsConflictError(const absl::Status& status) {
  return absl::IsAborted(status) && client::ErrorReason(status) != "AlreadyExists";
}

bool IsTimeoutError(const absl::Status& status) {
  return absl::IsDeadlineExceeded(status) || client::HttpCode(status) == 504;
}

bool IsPodActive(const boost::json::value& pod) { return !api::IsTerminal(pod) && !api::IsBeingDeleted(pod); }

namespace {

int PhaseOrder(const boost::json::value& pod) {
  std::string phase = api::PodPhase(pod);
  if (phase == "Pending" || phase.empty()) return 0;
  if (phase == "Unknown") return 1;
  if (phase == "Running") return 2;
  return 3;
}

int64_t DeletionCost(const boost::json::value& pod) {
  std::string text = api::Annotation(pod, "controller.kubernetes.io/pod-deletion-cost");
  if (text.empty()) return 0;
  try {
    return std::stoll(text);
  } catch (...) {
    return 0;
  }
}

// A merge patch setting the pod's ownerReferences, guarded by its resourceVersion and uid.
boost::json::value OwnerRefPatch(const boost::json::value& pod, boost::json::array refs) {
  boost::json::object meta;
  meta["resourceVersion"] = api::ResourceVersion(pod);
  meta["uid"] = api::Uid(pod);
  if (refs.empty()) {
    meta["ownerReferences"] = nullptr;
  } else {
    meta["ownerReferences"] = std::move(refs);
  }
  return boost::json::object{{"metadata", std::move(meta)}};
}

boost::json::array OtherOwnerRefs(const boost::json::value& pod, const std::string& drop_uid) {
  boost::json::array out;
  const boost::json::array* refs = api::OwnerReferences(pod);
  if (refs == nullptr) return out;
  for (const boost::json::value& r : *refs) {
    if (base::GetString(r, {"uid"}) != drop_uid) out.push_back(r);
  }
  return out;
}

}  // namespace

int64_t MaxContainerRestarts(const boost::json::value& pod) {
  int64_t max = 0;
  const boost::json::value* statuses = base::FindPath(pod, {"status", "containerStatuses"});
  if (statuses == nullptr || !statuses->is_array()) return 0;
  for (const boost::json::value& s : statuses->get_array()) {
    max = std::max(max, base::GetInt(s, {"restartCount"}));
  }
  return max;
}

bool DeleteBefore(const boost::json::value& a, int rank_a, const boost::json::value& b, int rank_b) {
  bool a_scheduled = !api::NodeName(a).empty();
  bool b_scheduled = !api::NodeName(b).empty();
  if (a_scheduled != b_scheduled) return !a_scheduled;
  int a_phase = PhaseOrder(a), b_phase = PhaseOrder(b);
  if (a_phase != b_phase) return a_phase < b_phase;
  bool a_ready = api::IsPodReady(a), b_ready = api::IsPodReady(b);
  if (a_ready != b_ready) return !a_ready;
  int64_t a_cost = DeletionCost(a), b_cost = DeletionCost(b);
  if (a_cost != b_cost) return a_cost < b_cost;
  if (rank_a != rank_b) return rank_a > rank_b;
  if (a_ready) {
    absl::Time a_since = api::PodReadySince(a), b_since = api::PodReadySince(b);
    if (a_since != b_since) return a_since > b_since;  // ready for less time goes first
  }
  int64_t a_restarts = MaxContainerRestarts(a), b_restarts = MaxContainerRestarts(b);
  if (a_restarts != b_restarts) return a_restarts > b_restarts;
  absl::Time a_created = TimeAt(a, {"metadata", "creationTimestamp"});
  absl::Time b_created = TimeAt(b, {"metadata", "creationTimestamp"});
  if (a_created != b_created) return a_created > b_created;
  return api::Name(a) < api::Name(b);
}

std::vector<client::Object> PodsToDelete(const std::vector<client::Object>& pods,
                                         const std::vector<client::Object>& related, size_t count) {
  if (count >= pods.size()) return pods;
  std::map<std::string, int> per_node;
  for (const client::Object& p : related) {
    std::string node = api::NodeName(*p);
    if (!node.empty() && IsPodActive(*p)) ++per_node[node];
  }
  std::vector<std::pair<client::Object, int>> ranked;
  ranked.reserve(pods.size());
  for (const client::Object& p : pods) {
    std::string node = api::NodeName(*p);
    ranked.emplace_back(p, node.empty() ? 0 : per_node[node]);
  }
  std::sort(ranked.begin(), ranked.end(), [](const auto& x, const auto& y) {
    return DeleteBefore(*x.first, x.second, *y.first, y.second);
  });
  std::vector<client::Object> out;
  for (size_t i = 0; i < count; ++i) out.push_back(ranked[i].first);
  return out;
}

const boost::json::object* FindCondition(const boost::json::value& status, const std::string& type) {
  const boost::json::value* c = api::FindStatusCondition(status, type);
  return c == nullptr ? nullptr : &c->get_object();
}

void SetCondition(boost::json::object& status, boost::json::object condition) {
  std::string type = base::GetString(condition, {"type"});
  boost::json::value* conds = status.if_contains("conditions");
  if (conds == nullptr || !conds->is_array()) {
    status["conditions"] = boost::json::array();
    conds = status.if_contains("conditions");
  }
  boost::json::array& list = conds->get_array();
  for (boost::json::value& c : list) {
    if (!c.is_object() || base::GetString(c, {"type"}) != type) continue;
    std::string old_status = base::GetString(c, {"status"});
    if (old_status == base::GetString(condition, {"status"}) &&
        base::GetString(c, {"reason"}) == base::GetString(condition, {"reason"})) {
      return;
    }
    if (old_status == base::GetString(condition, {"status"})) {
      if (const boost::json::value* t = c.get_object().if_contains("lastTransitionTime")) {
        condition["lastTransitionTime"] = *t;
      }
    }
    c = std::move(condition);
    return;
  }
  list.push_back(std::move(condition));
}

void RemoveCondition(boost::json::object& status, const std::string& type) {
  boost::json::value* conds = status.if_contains("conditions");
  if (conds == nullptr || !conds->is_array()) return;
  boost::json::array kept;
  for (const boost::json::value& c : conds->get_array()) {
    if (!c.is_object() || base::GetString(c, {"type"}) != type) kept.push_back(c);
  }
  if (kept.empty()) {
    status.erase("conditions");
  } else {
    *conds = std::move(kept);
  }
}

absl::StatusOr<std::vector<client::Object>> ClaimObjects(
    const ClaimTarget& target, const boost::json::value& owner, const api::LabelSelector& selector,
    const std::vector<client::Object>& owned, const std::vector<client::Object>& orphans,
    const std::function<bool(const boost::json::value&)>& eligible) {
  const std::string uid = api::Uid(owner);
  const std::string ns = api::Namespace(owner);
  const bool owner_deleting = api::IsBeingDeleted(owner);
  std::vector<client::Object> claimed;
  absl::Status first_error;
  for (const client::Object& obj : owned) {
    if (!eligible(*obj) || api::Namespace(*obj) != ns) continue;
    if (selector.Matches(api::Labels(*obj))) {
      claimed.push_back(obj);
      continue;
    }
    if (owner_deleting) continue;
    auto patched = target.client->Patch(*target.dependents, ns, api::Name(*obj), client::PatchType::kMerge,
                                        OwnerRefPatch(*obj, OtherOwnerRefs(*obj, uid)));
    if (!patched.ok() && !absl::IsNotFound(patched.status()) && first_error.ok())
      first_error = patched.status();
  }
  if (!owner_deleting && !selector.Empty()) {
    bool checked_owner = false;
    for (const client::Object& obj : orphans) {
      if (!eligible(*obj) || api::IsBeingDeleted(*obj) || !selector.Matches(api::Labels(*obj))) {
        continue;
      }
      if (!checked_owner) {
        // Adopt only if the owner really still exists (a fresh read, not the cache).
        auto fresh = target.client->Get(*target.owner_resource, ns, api::Name(owner));
        if (!fresh.ok()) return fresh.status();
        if (api::Uid(**fresh) != uid || api::IsBeingDeleted(**fresh)) break;
        checked_owner = true;
      }
      boost::json::array refs = OtherOwnerRefs(*obj, uid);
      refs.push_back(MakeControllerRef(owner, target.owner_resource->GroupVersion(), target.owner_kind));
      auto patched = target.client->Patch(*target.dependents, ns, api::Name(*obj), client::PatchType::kMerge,
                                          OwnerRefPatch(*obj, std::move(refs)));
      if (patched.ok()) {
        claimed.push_back(*patched);
      } else if (!absl::IsNotFound(patched.status()) && first_error.ok()) {
        first_error = patched.status();
      }
    }
  }
  if (!first_error.ok()) return first_error;
  return claimed;
}

}  // namespace skiff::controllers
