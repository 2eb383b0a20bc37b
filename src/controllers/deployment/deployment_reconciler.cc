#include "controllers/deployment/deployment_reconciler.h"

#include <algorithm>
#include <cmath>

#include "absl/strings/str_cat.h"
#include "api/json_patch.h"
#include "api/object_meta.h"
#include "api/pod_util.h"
#include "api/resources.h"
#include "base/json.h"
#include "controllers/deployment/deployment_util.h"
#include "controllers/workload/workload_util.h"

namespace skiff::controllers {
namespace {

const api::ResourceInfo& DeploymentsResource() { return *api::FindResource("apps", "v1", "deployments"); }
const api::ResourceInfo& ReplicaSetsResource() { return *api::FindResource("apps", "v1", "replicasets"); }

constexpr char kProgressing[] = "Progressing";

// Available replicas of a ReplicaSet, never more than its spec: right after a scale-down its
// status still counts pods that are being deleted, which must not buy further scale-downs.
int64_t Available(const client::Object& rs) {
  return std::min(SpecReplicas(*rs), base::GetInt(*rs, {"status", "availableReplicas"}));
}

bool OlderFirst(const client::Object& a, const client::Object& b) {
  absl::Time ta = TimeAt(*a, {"metadata", "creationTimestamp"}),
             tb = TimeAt(*b, {"metadata", "creationTimestamp"});
  if (ta != tb) return ta < tb;
  return api::Name(*a) < api::Name(*b);
}

const boost::json::value& StatusOf(const boost::json::value& obj) {
  static const boost::json::value kEmpty = boost::json::object();
  const boost::json::value* s = base::Find(obj, "status");
  return s != nullptr && s->is_object() ? *s : kEmpty;
}

boost::json::object StatusCopy(const boost::json::value& obj) { return StatusOf(obj).as_object(); }

}  // namespace

struct DeploymentReconciler::Sync {
  client::Object d;
  std::string ns;
  std::vector<client::Object> rss;  // every claimed ReplicaSet
  client::Object new_rs;
  std::vector<client::Object> old_rss;

  std::vector<client::Object> All() const {
    std::vector<client::Object> all = old_rss;
    if (new_rs) all.push_back(new_rs);
    return all;
  }
  // Records a written ReplicaSet everywhere it is referenced.
  void Replace(const client::Object& rs) {
    const std::string uid = api::Uid(*rs);
    bool found = false;
    for (auto* list : {&rss, &old_rss}) {
      for (client::Object& o : *list) {
        if (api::Uid(*o) == uid) {
          o = rs;
          found = found || list == &rss;
        }
      }
    }
    if (!found) rss.push_back(rs);
    if (new_rs && api::Uid(*new_rs) == uid) new_rs = rs;
  }
  void Remove(const client::Object& rs) {
    const std::string uid = api::Uid(*rs);
    for (auto* list : {&rss, &old_rss}) {
      list->erase(std::remove_if(list->begin(), list->end(),
                                 [&](const client::Object& o) { return api::Uid(*o) == uid; }),
                  list->end());
    }
  }
};

DeploymentReconciler::DeploymentReconciler(client::Client* client, const ObjectCache* deployments,
                                           const ObjectCache* replicasets, const ObjectCache* pods,
                                           Options options)
    : client_(client),
      deployments_(deployments),
      replicasets_(replicasets),
      pods_(pods),
      options_(std::move(options)),
      clock_(options_.clock != nullptr ? options_.clock : &base::RealClock()) {}

void DeploymentReconciler::Event(const boost::json::value& obj, const std::string& type,
                                 const std::string& reason, const std::string& message) {
  if (options_.record_event) options_.record_event(obj, type, reason, message);
}

// --- informer hooks ---

client::Object DeploymentReconciler::OwnerOf(const boost::json::value& rs) const {
  const boost::json::value* ref = api::ControllerRef(rs);
  if (ref == nullptr || base::GetString(*ref, {"kind"}) != "Deployment") return nullptr;
  client::Object d = deployments_->Get(client::MakeKey(api::Namespace(rs), base::GetString(*ref, {"name"})));
  if (d == nullptr || api::Uid(*d) != base::GetString(*ref, {"uid"})) return nullptr;
  return d;
}

std::vector<std::string> DeploymentReconciler::MatchingDeployments(const boost::json::value& rs) const {
  std::vector<std::string> keys;
  for (const client::Object& d : deployments_->ByIndex(kNamespaceIndex, api::Namespace(rs))) {
    const boost::json::value* sel = base::FindPath(*d, {"spec", "selector"});
    if (sel == nullptr) continue;
    auto selector = api::LabelSelector::FromJson(*sel);
    if (!selector.ok() || selector->Empty()) continue;
    if (selector->Matches(api::Labels(rs))) keys.push_back(client::KeyOf(*d));
  }
  return keys;
}

std::vector<std::string> DeploymentReconciler::OnReplicaSetAdded(const boost::json::value& rs) const {
  if (api::IsBeingDeleted(rs)) return OnReplicaSetDeleted(rs);
  if (api::ControllerRef(rs) != nullptr) {
    client::Object d = OwnerOf(rs);
    return d ? std::vector<std::string>{client::KeyOf(*d)} : std::vector<std::string>{};
  }
  return MatchingDeployments(rs);
}

std::vector<std::string> DeploymentReconciler::OnReplicaSetUpdated(const boost::json::value& old_rs,
                                                                   const boost::json::value& rs) const {
  std::vector<std::string> keys;
  const boost::json::value* old_ref = api::ControllerRef(old_rs);
  const boost::json::value* new_ref = api::ControllerRef(rs);
  bool ref_changed =
      (old_ref == nullptr) != (new_ref == nullptr) ||
      (old_ref != nullptr && base::GetString(*old_ref, {"uid"}) != base::GetString(*new_ref, {"uid"}));
  if (ref_changed && old_ref != nullptr) {
    if (client::Object d = OwnerOf(old_rs)) keys.push_back(client::KeyOf(*d));
  }
  if (new_ref != nullptr) {
    if (client::Object d = OwnerOf(rs)) keys.push_back(client::KeyOf(*d));
    return keys;
  }
  const boost::json::value* old_labels = api::Labels(old_rs);
  const boost::json::value* new_labels = api::Labels(rs);
  bool labels_changed = (old_labels == nullptr) != (new_labels == nullptr) ||
                        (old_labels != nullptr && !api::JsonEqual(*old_labels, *new_labels));
  if (labels_changed || ref_changed) {
    for (std::string& k : MatchingDeployments(rs)) keys.push_back(std::move(k));
  }
  return keys;
}

std::vector<std::string> DeploymentReconciler::OnReplicaSetDeleted(const boost::json::value& rs) const {
  client::Object d = OwnerOf(rs);
  return d ? std::vector<std::string>{client::KeyOf(*d)} : std::vector<std::string>{};
}

std::vector<std::string> DeploymentReconciler::OnPodDeleted(const boost::json::value& pod) const {
  // Only Recreate waits for pods (old pods must be gone before new ones start).
  const boost::json::value* ref = api::ControllerRef(pod);
  if (ref == nullptr || base::GetString(*ref, {"kind"}) != "ReplicaSet") return {};
  client::Object rs =
      replicasets_->Get(client::MakeKey(api::Namespace(pod), base::GetString(*ref, {"name"})));
  if (rs == nullptr) return {};
  client::Object d = OwnerOf(*rs);
  if (d == nullptr || IsRollingUpdate(*d)) return {};
  return {client::KeyOf(*d)};
}

// --- reconcile ---

client::ReconcileResult DeploymentReconciler::Reconcile(const std::string& key) {
  client::Object d = deployments_->Get(key);
  if (d == nullptr) return {};
  Sync s;
  s.d = d;
  s.ns = api::Namespace(*d);
  const boost::json::value* sel = base::FindPath(*d, {"spec", "selector"});
  auto selector =
      api::LabelSelector::FromJson(sel != nullptr ? *sel : boost::json::value(nullptr), "spec.selector");
  if (!selector.ok()) {
    Event(*d, "Warning", "InvalidSelector", std::string(selector.status().message()));
    return {};
  }
  if (selector->Empty()) {
    Event(*d, "Warning", "SelectingAll",
          "This deployment is selecting all pods. A non-empty selector is required.");
    if (base::GetInt(StatusOf(*d), {"observedGeneration"}) < IntAt(*d, {"metadata", "generation"}, 1)) {
      boost::json::object status = StatusCopy(*d);
      status["observedGeneration"] = IntAt(*d, {"metadata", "generation"}, 1);
      return {WriteStatus(s, std::move(status))};
    }
    return {};
  }
  if (absl::Status st = ClaimReplicaSets(s, *selector); !st.ok()) return {st};
  if (api::IsBeingDeleted(*d)) {
    if (absl::Status st = GetAllReplicaSetsAndSyncRevision(s, false); !st.ok()) return {st};
    return {SyncDeploymentStatus(s)};
  }
  if (absl::Status st = CheckPausedConditions(s); !st.ok()) return {st};
  if (base::GetBool(*s.d, {"spec", "paused"})) return {SyncOnly(s)};
  auto scaling = IsScalingEvent(s);
  if (!scaling.ok()) return {scaling.status()};
  if (*scaling) return {SyncOnly(s)};
  return IsRollingUpdate(*s.d) ? RolloutRolling(s) : RolloutRecreate(s);
}

absl::Status DeploymentReconciler::ClaimReplicaSets(Sync& s, const api::LabelSelector& selector) {
  ClaimTarget target{client_, &ReplicaSetsResource(), &DeploymentsResource(), "Deployment"};
  auto claimed = ClaimObjects(
      target, *s.d, selector, replicasets_->ByIndex(kControllerUidIndex, api::Uid(*s.d)),
      replicasets_->ByIndex(kOrphanNamespaceIndex, s.ns), [](const boost::json::value&) { return true; });
  if (!claimed.ok()) return claimed.status();
  s.rss = std::move(*claimed);
  return absl::OkStatus();
}

absl::Status DeploymentReconciler::GetAllReplicaSetsAndSyncRevision(Sync& s, bool create) {
  std::vector<client::Object> sorted = s.rss;
  std::sort(sorted.begin(), sorted.end(), OlderFirst);
  const boost::json::value* tmpl = base::FindPath(*s.d, {"spec", "template"});
  s.new_rs = nullptr;
  s.old_rss.clear();
  for (const client::Object& rs : sorted) {
    const boost::json::value* rs_tmpl = base::FindPath(*rs, {"spec", "template"});
    if (s.new_rs == nullptr && tmpl != nullptr && rs_tmpl != nullptr &&
        TemplatesEqualIgnoringHash(*tmpl, *rs_tmpl)) {
      s.new_rs = rs;
    } else {
      s.old_rss.push_back(rs);
    }
  }
  return GetNewReplicaSet(s, create);
}

int64_t DeploymentReconciler::NewReplicaSetReplicas(const Sync& s, int64_t new_spec) const {
  const int64_t desired = DesiredReplicas(*s.d);
  if (!IsRollingUpdate(*s.d)) return desired;
  const int64_t current = SumSpecReplicas(s.All()) + (s.new_rs ? 0 : new_spec);
  const int64_t max_total = desired + MaxSurge(*s.d);
  if (current >= max_total) return new_spec;
  return new_spec + std::min(max_total - current, desired - new_spec);
}

absl::Status DeploymentReconciler::GetNewReplicaSet(Sync& s, bool create) {
  int64_t max_old = 0;
  for (const client::Object& rs : s.old_rss) max_old = std::max(max_old, Revision(*rs));
  const std::string new_revision = std::to_string(max_old + 1);
  const int64_t min_ready = IntAt(*s.d, {"spec", "minReadySeconds"}, 0);
  bool created = false;

  if (s.new_rs != nullptr) {
    boost::json::value copy = *s.new_rs;
    bool changed = SetNewReplicaSetAnnotations(*s.d, copy, new_revision, true);
    if (IntAt(copy, {"spec", "minReadySeconds"}, 0) != min_ready) {
      copy.as_object()["spec"].as_object()["minReadySeconds"] = min_ready;
      changed = true;
    }
    if (changed) {
      auto updated = client_->Update(ReplicaSetsResource(), s.ns, std::move(copy));
      if (!updated.ok()) return updated.status();
      s.Replace(*updated);
    }
  } else if (create) {
    const int64_t collisions = base::GetInt(StatusOf(*s.d), {"collisionCount"});
    boost::json::value tmpl = *base::FindPath(*s.d, {"spec", "template"});
    const std::string hash = PodTemplateHash(tmpl, collisions);
    base::EnsureObject(tmpl, {"metadata", "labels"})[kPodTemplateHashLabel] = hash;
    boost::json::value selector = *base::FindPath(*s.d, {"spec", "selector"});
    base::EnsureObject(selector, {"matchLabels"})[kPodTemplateHashLabel] = hash;
    boost::json::value rs = boost::json::object{{"apiVersion", "apps/v1"}, {"kind", "ReplicaSet"}};
    boost::json::object& meta = base::EnsureObject(rs, {"metadata"});
    meta["name"] = api::Name(*s.d) + "-" + hash;
    meta["namespace"] = s.ns;
    meta["labels"] = *api::Labels(tmpl);
    meta["ownerReferences"] = boost::json::array{MakeControllerRef(*s.d, "apps/v1", "Deployment")};
    const int64_t replicas = NewReplicaSetReplicas(s, 0);
    rs.as_object()["spec"] = boost::json::object{
        {"replicas", replicas}, {"minReadySeconds", min_ready}, {"selector", selector}, {"template", tmpl}};
    SetNewReplicaSetAnnotations(*s.d, rs, new_revision, false);
    auto made = client_->Create(ReplicaSetsResource(), s.ns, rs);
    if (!made.ok() && IsAlreadyExistsError(made.status())) {
      // Either our cache has not seen our own ReplicaSet yet, or a different template hashes alike.
      auto existing = client_->Get(ReplicaSetsResource(), s.ns, api::Name(rs));
      if (!existing.ok()) return existing.status();
      const boost::json::value* ref = api::ControllerRef(**existing);
      const boost::json::value* existing_tmpl = base::FindPath(**existing, {"spec", "template"});
      if (ref != nullptr && base::GetString(*ref, {"uid"}) == api::Uid(*s.d) && existing_tmpl != nullptr &&
          TemplatesEqualIgnoringHash(*existing_tmpl, *base::FindPath(*s.d, {"spec", "template"}))) {
        s.new_rs = *existing;
        s.Replace(*existing);
      } else {
        boost::json::object status = StatusCopy(*s.d);
        status["collisionCount"] = collisions + 1;
        if (absl::Status st = WriteStatus(s, std::move(status)); !st.ok()) return st;
        return absl::AbortedError(
            absl::StrCat("hash collision for ReplicaSet ", api::Name(rs), "; retrying"));
      }
    } else if (!made.ok()) {
      if (HasProgressDeadline(*s.d)) {
        boost::json::object status = StatusCopy(*s.d);
        SetCondition(status, MakeCondition(kProgressing, "False", "ReplicaSetCreateError",
                                           absl::StrCat("Failed to create new replica set \"", api::Name(rs),
                                                        "\": ", made.status().message()),
                                           clock_->Now()));
        (void)WriteStatus(s, std::move(status));
      }
      Event(*s.d, "Warning", "FailedCreate", std::string(made.status().message()));
      return made.status();
    } else {
      created = true;
      s.new_rs = *made;
      s.rss.push_back(*made);
      if (replicas > 0) {
        Event(*s.d, "Normal", "ScalingReplicaSet",
              absl::StrCat("Scaled up replica set ", api::Name(rs), " from 0 to ", replicas));
      }
    }
  }
  if (s.new_rs == nullptr) return absl::OkStatus();

  // The Deployment carries its current revision.
  const std::string revision = api::Annotation(*s.new_rs, kRevisionAnnotation);
  if (!revision.empty() && api::Annotation(*s.d, kRevisionAnnotation) != revision) {
    boost::json::value patch = {{"metadata", {{"annotations", {{kRevisionAnnotation, revision}}}}}};
    auto patched =
        client_->Patch(DeploymentsResource(), s.ns, api::Name(*s.d), client::PatchType::kMerge, patch);
    if (!patched.ok()) return patched.status();
    s.d = *patched;
  }
  if (HasProgressDeadline(*s.d)) {
    const boost::json::object* cond = FindCondition(StatusOf(*s.d), kProgressing);
    if (created) {
      boost::json::object status = StatusCopy(*s.d);
      SetCondition(status,
                   MakeCondition(kProgressing, "True", "NewReplicaSetCreated",
                                 absl::StrCat("Created new replica set \"", api::Name(*s.new_rs), "\""),
                                 clock_->Now()));
      return WriteStatus(s, std::move(status));
    }
    if (cond == nullptr) {
      boost::json::object status = StatusCopy(*s.d);
      SetCondition(status, MakeCondition(kProgressing, "True", "FoundNewReplicaSet",
                                         absl::StrCat("Found new replica set \"", api::Name(*s.new_rs), "\""),
                                         clock_->Now()));
      return WriteStatus(s, std::move(status));
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<bool> DeploymentReconciler::ScaleReplicaSet(Sync& s, const client::Object& rs,
                                                           int64_t replicas) {
  const int64_t current = SpecReplicas(*rs);
  const int64_t desired = DesiredReplicas(*s.d);
  boost::json::value copy = *rs;
  bool annotations_changed = SetReplicasAnnotations(copy, desired, desired + MaxSurge(*s.d));
  if (current == replicas && !annotations_changed) return false;
  copy.as_object()["spec"].as_object()["replicas"] = replicas;
  auto updated = client_->Update(ReplicaSetsResource(), s.ns, std::move(copy));
  if (!updated.ok()) return updated.status();
  s.Replace(*updated);
  if (current != replicas) {
    Event(*s.d, "Normal", "ScalingReplicaSet",
          absl::StrCat("Scaled ", replicas > current ? "up" : "down", " replica set ", api::Name(*rs),
                       " from ", current, " to ", replicas));
  }
  return current != replicas;
}

absl::StatusOr<bool> DeploymentReconciler::IsScalingEvent(Sync& s) {
  if (absl::Status st = GetAllReplicaSetsAndSyncRevision(s, false); !st.ok()) return st;
  const int64_t desired = DesiredReplicas(*s.d);
  for (const client::Object& rs : ActiveReplicaSets(s.All())) {
    bool found = false;
    int64_t annotated = AnnotationInt(*rs, kDesiredReplicasAnnotation, &found);
    if (found && annotated != desired) return true;
  }
  return false;
}

absl::Status DeploymentReconciler::Scale(Sync& s) {
  const int64_t desired = DesiredReplicas(*s.d);
  // One active (or only the latest) ReplicaSet: it simply takes the Deployment's size.
  client::Object only;
  std::vector<client::Object> active = ActiveReplicaSets(s.All());
  if (active.size() == 1) {
    only = active[0];
  } else if (active.empty()) {
    if (s.new_rs) {
      only = s.new_rs;
    } else if (!s.old_rss.empty()) {
      only = *std::max_element(s.old_rss.begin(), s.old_rss.end(), OlderFirst);
    }
  }
  if (only != nullptr || active.empty()) {
    if (only == nullptr || SpecReplicas(*only) == desired) return absl::OkStatus();
    return ScaleReplicaSet(s, only, desired).status();
  }
  // Saturated new ReplicaSet: retire the old ones.
  if (s.new_rs && AnnotationInt(*s.new_rs, kDesiredReplicasAnnotation, nullptr) == desired &&
      SpecReplicas(*s.new_rs) == desired &&
      base::GetInt(*s.new_rs, {"status", "availableReplicas"}) == desired) {
    for (const client::Object& rs : ActiveReplicaSets(s.old_rss)) {
      if (auto r = ScaleReplicaSet(s, rs, 0); !r.ok()) return r.status();
    }
    return absl::OkStatus();
  }
  if (!IsRollingUpdate(*s.d)) return absl::OkStatus();
  // Proportional scaling: spread the change over active ReplicaSets by their share.
  const int64_t total = SumSpecReplicas(active);
  const int64_t allowed = desired > 0 ? desired + MaxSurge(*s.d) : 0;
  const int64_t to_add = allowed - total;
  std::sort(active.begin(), active.end(), [to_add](const client::Object& a, const client::Object& b) {
    int64_t ra = SpecReplicas(*a), rb = SpecReplicas(*b);
    if (ra != rb) return ra > rb;
    return to_add > 0 ? !OlderFirst(a, b) : OlderFirst(a, b);  // ties: newer first when growing
  });
  std::vector<int64_t> sizes;
  int64_t added = 0;
  for (const client::Object& rs : active) {
    int64_t replicas = SpecReplicas(*rs);
    int64_t proportion = 0;
    if (to_add != 0 && replicas != 0 && added != to_add) {
      int64_t fraction;
      if (desired == 0) {
        fraction = -replicas;
      } else {
        bool found = false;
        int64_t annotated = AnnotationInt(*rs, kMaxReplicasAnnotation, &found);
        if (!found || annotated == 0) annotated = base::GetInt(StatusOf(*s.d), {"replicas"});
        double target = annotated > 0 ? static_cast<double>(replicas * (desired + MaxSurge(*s.d))) / annotated
                                      : static_cast<double>(replicas);
        fraction = static_cast<int64_t>(std::llround(target)) - replicas;
      }
      int64_t left = to_add - added;
      proportion = to_add > 0 ? std::min(fraction, left) : std::max(fraction, left);
    }
    sizes.push_back(replicas + proportion);
    added += proportion;
  }
  if (to_add != 0 && !sizes.empty()) {
    sizes[0] += to_add - added;  // leftovers go to the largest
    if (sizes[0] < 0) sizes[0] = 0;
  }
  for (size_t i = 0; i < active.size(); ++i) {
    if (auto r = ScaleReplicaSet(s, active[i], sizes[i]); !r.ok()) return r.status();
  }
  return absl::OkStatus();
}

absl::Status DeploymentReconciler::SyncOnly(Sync& s) {
  if (absl::Status st = GetAllReplicaSetsAndSyncRevision(s, false); !st.ok()) return st;
  if (absl::Status st = Scale(s); !st.ok()) return st;
  if (base::GetBool(*s.d, {"spec", "paused"})) {
    if (absl::Status st = CleanupDeployment(s); !st.ok()) return st;
  }
  return SyncDeploymentStatus(s);
}

absl::StatusOr<bool> DeploymentReconciler::ReconcileNewReplicaSet(Sync& s) {
  if (s.new_rs == nullptr) return false;
  const int64_t desired = DesiredReplicas(*s.d);
  const int64_t current = SpecReplicas(*s.new_rs);
  if (current == desired) return false;
  if (current > desired) return ScaleReplicaSet(s, s.new_rs, desired);
  return ScaleReplicaSet(s, s.new_rs, NewReplicaSetReplicas(s, current));
}

absl::StatusOr<bool> DeploymentReconciler::ReconcileOldReplicaSets(Sync& s) {
  if (SumSpecReplicas(s.old_rss) == 0) return false;
  const int64_t all = SumSpecReplicas(s.All());
  const int64_t min_available = DesiredReplicas(*s.d) - MaxUnavailable(*s.d);
  const int64_t new_unavailable = s.new_rs ? SpecReplicas(*s.new_rs) - Available(s.new_rs) : 0;
  const int64_t max_scaled_down = all - min_available - new_unavailable;
  if (max_scaled_down <= 0) return false;

  // First drop old replicas that are not available anyway: they count for nothing.
  std::vector<client::Object> olds = s.old_rss;
  std::sort(olds.begin(), olds.end(), OlderFirst);
  int64_t cleaned = 0;
  for (const client::Object& rs : olds) {
    if (cleaned >= max_scaled_down) break;
    const int64_t spec = SpecReplicas(*rs);
    const int64_t available = Available(rs);
    if (spec == 0 || spec <= available) continue;
    const int64_t down = std::min(max_scaled_down - cleaned, spec - available);
    if (auto r = ScaleReplicaSet(s, rs, spec - down); !r.ok()) return r.status();
    cleaned += down;
  }
  // Then scale down available old replicas while availability stays above the minimum.
  int64_t scaled = 0;
  int64_t available = 0;
  for (const client::Object& rs : s.All()) available += Available(rs);
  if (available > min_available) {
    const int64_t budget = available - min_available;
    olds = s.old_rss;
    std::sort(olds.begin(), olds.end(), OlderFirst);
    for (const client::Object& rs : olds) {
      if (scaled >= budget) break;
      const int64_t spec = SpecReplicas(*rs);
      if (spec == 0) continue;
      const int64_t down = std::min(spec, budget - scaled);
      if (auto r = ScaleReplicaSet(s, rs, spec - down); !r.ok()) return r.status();
      scaled += down;
    }
  }
  return cleaned + scaled > 0;
}

client::ReconcileResult DeploymentReconciler::RolloutRolling(Sync& s) {
  if (absl::Status st = GetAllReplicaSetsAndSyncRevision(s, true); !st.ok()) return {st};
  auto up = ReconcileNewReplicaSet(s);
  if (!up.ok()) return {up.status()};
  if (*up) return SyncRolloutStatus(s);
  auto down = ReconcileOldReplicaSets(s);
  if (!down.ok()) return {down.status()};
  if (*down) return SyncRolloutStatus(s);
  if (DeploymentComplete(*s.d, StatusOf(*s.d))) {
    if (absl::Status st = CleanupDeployment(s); !st.ok()) return {st};
  }
  return SyncRolloutStatus(s);
}

client::ReconcileResult DeploymentReconciler::RolloutRecreate(Sync& s) {
  if (absl::Status st = GetAllReplicaSetsAndSyncRevision(s, false); !st.ok()) return {st};
  bool scaled_down = false;
  for (const client::Object& rs : ActiveReplicaSets(s.old_rss)) {
    auto r = ScaleReplicaSet(s, rs, 0);
    if (!r.ok()) return {r.status()};
    scaled_down = scaled_down || *r;
  }
  if (scaled_down) return SyncRolloutStatus(s);
  // Old pods must be gone (not merely scaled to zero) before new ones start.
  bool old_running = SumStatus(s.old_rss, "replicas") > 0;
  for (const client::Object& rs : s.old_rss) {
    if (old_running) break;
    for (const client::Object& pod : pods_->ByIndex(kControllerUidIndex, api::Uid(*rs))) {
      if (!api::IsTerminal(*pod)) {
        old_running = true;
        break;
      }
    }
  }
  if (old_running) return SyncRolloutStatus(s);
  if (s.new_rs == nullptr) {
    if (absl::Status st = GetAllReplicaSetsAndSyncRevision(s, true); !st.ok()) return {st};
  }
  if (s.new_rs != nullptr) {
    if (auto r = ScaleReplicaSet(s, s.new_rs, DesiredReplicas(*s.d)); !r.ok()) return {r.status()};
  }
  if (DeploymentComplete(*s.d, StatusOf(*s.d))) {
    if (absl::Status st = CleanupDeployment(s); !st.ok()) return {st};
  }
  return SyncRolloutStatus(s);
}

absl::Status DeploymentReconciler::CleanupDeployment(Sync& s) {
  const boost::json::value* limit_value = base::FindPath(*s.d, {"spec", "revisionHistoryLimit"});
  if (limit_value == nullptr || limit_value->is_null()) return absl::OkStatus();
  const int64_t limit = base::GetInt(*s.d, {"spec", "revisionHistoryLimit"});
  std::vector<client::Object> cleanable;
  for (const client::Object& rs : s.old_rss) {
    if (!api::IsBeingDeleted(*rs)) cleanable.push_back(rs);
  }
  const int64_t diff = static_cast<int64_t>(cleanable.size()) - limit;
  if (diff <= 0) return absl::OkStatus();
  std::sort(cleanable.begin(), cleanable.end(), [](const client::Object& a, const client::Object& b) {
    int64_t ra = Revision(*a), rb = Revision(*b);
    return ra != rb ? ra < rb : OlderFirst(a, b);
  });
  for (int64_t i = 0; i < diff; ++i) {
    const client::Object& rs = cleanable[i];
    if (base::GetInt(*rs, {"status", "replicas"}) != 0 || SpecReplicas(*rs) != 0 ||
        base::GetInt(*rs, {"status", "observedGeneration"}) < IntAt(*rs, {"metadata", "generation"}, 1)) {
      continue;
    }
    client::DeleteOptions options;
    options.precondition_uid = api::Uid(*rs);
    absl::Status st = client_->Delete(ReplicaSetsResource(), s.ns, api::Name(*rs), options);
    if (!st.ok() && !absl::IsNotFound(st)) return st;
    s.Remove(rs);
  }
  return absl::OkStatus();
}

absl::Status DeploymentReconciler::CheckPausedConditions(Sync& s) {
  if (!HasProgressDeadline(*s.d)) return absl::OkStatus();
  const boost::json::object* cond = FindCondition(StatusOf(*s.d), kProgressing);
  if (cond != nullptr && base::GetString(*cond, {"reason"}) == "ProgressDeadlineExceeded")
    return absl::OkStatus();
  const bool paused = base::GetBool(*s.d, {"spec", "paused"});
  const bool paused_condition = cond != nullptr && base::GetString(*cond, {"reason"}) == "DeploymentPaused";
  boost::json::object status = StatusCopy(*s.d);
  if (paused && !paused_condition) {
    SetCondition(status, MakeCondition(kProgressing, "Unknown", "DeploymentPaused", "Deployment is paused",
                                       clock_->Now()));
  } else if (!paused && paused_condition) {
    SetCondition(status, MakeCondition(kProgressing, "Unknown", "DeploymentResumed", "Deployment is resumed",
                                       clock_->Now()));
  } else {
    return absl::OkStatus();
  }
  return WriteStatus(s, std::move(status));
}

boost::json::object DeploymentReconciler::CalculateStatus(const Sync& s) const {
  const std::vector<client::Object> all = s.All();
  const int64_t desired = DesiredReplicas(*s.d);
  const int64_t available = SumStatus(all, "availableReplicas");
  boost::json::object status;
  status["observedGeneration"] = IntAt(*s.d, {"metadata", "generation"}, 1);
  status["replicas"] = SumStatus(all, "replicas");
  status["updatedReplicas"] = s.new_rs ? base::GetInt(*s.new_rs, {"status", "replicas"}) : 0;
  status["readyReplicas"] = SumStatus(all, "readyReplicas");
  status["availableReplicas"] = available;
  status["unavailableReplicas"] = std::max<int64_t>(0, desired - available);
  const boost::json::value& old = StatusOf(*s.d);
  if (const boost::json::value* c = base::Find(old, "collisionCount")) status["collisionCount"] = *c;
  if (const boost::json::value* c = base::Find(old, "conditions");
      c && c->is_array() && !c->get_array().empty()) {
    status["conditions"] = *c;
  }
  if (available >= desired - MaxUnavailable(*s.d)) {
    SetCondition(status, MakeCondition("Available", "True", "MinimumReplicasAvailable",
                                       "Deployment has minimum availability.", clock_->Now()));
  } else {
    SetCondition(status, MakeCondition("Available", "False", "MinimumReplicasUnavailable",
                                       "Deployment does not have minimum availability.", clock_->Now()));
  }
  return status;
}

absl::Status DeploymentReconciler::WriteStatus(Sync& s, boost::json::object status) {
  if (api::JsonEqual(StatusOf(*s.d), status)) return absl::OkStatus();
  boost::json::value copy = *s.d;
  copy.as_object()["status"] = std::move(status);
  auto updated = client_->Update(DeploymentsResource(), s.ns, std::move(copy), "status");
  if (!updated.ok()) return updated.status();
  s.d = *updated;
  return absl::OkStatus();
}

absl::Status DeploymentReconciler::SyncDeploymentStatus(Sync& s) {
  return WriteStatus(s, CalculateStatus(s));
}

client::ReconcileResult DeploymentReconciler::SyncRolloutStatus(Sync& s) {
  const boost::json::value& d = *s.d;
  const absl::Time now = clock_->Now();
  boost::json::object status = CalculateStatus(s);
  const bool deadline = HasProgressDeadline(d);
  if (!deadline) RemoveCondition(status, kProgressing);
  const boost::json::value status_value = status;
  const boost::json::object* cur = FindCondition(status_value, kProgressing);
  const bool complete =
      base::GetInt(status_value, {"replicas"}) == base::GetInt(status_value, {"updatedReplicas"}) &&
      cur != nullptr && base::GetString(*cur, {"reason"}) == "NewReplicaSetAvailable";
  const std::string subject = s.new_rs ? absl::StrCat("ReplicaSet \"", api::Name(*s.new_rs), "\"")
                                       : absl::StrCat("Deployment \"", api::Name(d), "\"");
  if (deadline && !complete) {
    if (DeploymentComplete(d, status_value)) {
      SetCondition(status, MakeCondition(kProgressing, "True", "NewReplicaSetAvailable",
                                         subject + " has successfully progressed.", now));
    } else if (DeploymentProgressing(d, status_value)) {
      boost::json::object cond =
          MakeCondition(kProgressing, "True", "ReplicaSetUpdated", subject + " is progressing.", now);
      if (cur != nullptr && base::GetString(*cur, {"status"}) == "True") {
        if (const boost::json::value* t = cur->if_contains("lastTransitionTime"))
          cond["lastTransitionTime"] = *t;
      }
      RemoveCondition(status, kProgressing);
      SetCondition(status, std::move(cond));
    } else if (DeploymentTimedOut(d, status_value, now)) {
      SetCondition(status, MakeCondition(kProgressing, "False", "ProgressDeadlineExceeded",
                                         subject + " has timed out progressing.", now));
      Event(d, "Warning", "ProgressDeadlineExceeded", subject + " has timed out progressing.");
    }
  }
  // Surface a ReplicaSet's ReplicaFailure (new ReplicaSet first).
  std::vector<client::Object> candidates;
  if (s.new_rs) candidates.push_back(s.new_rs);
  for (const auto& rs : s.old_rss) candidates.push_back(rs);
  const boost::json::object* failure = nullptr;
  for (const auto& rs : candidates) {
    if ((failure = FindCondition(StatusOf(*rs), "ReplicaFailure")) != nullptr) break;
  }
  if (failure != nullptr) {
    SetCondition(status, MakeCondition("ReplicaFailure", base::GetString(*failure, {"status"}),
                                       base::GetString(*failure, {"reason"}),
                                       base::GetString(*failure, {"message"}), now));
  } else {
    RemoveCondition(status, "ReplicaFailure");
  }
  if (absl::Status st = WriteStatus(s, std::move(status)); !st.ok()) return {st};
  // Come back when the progress deadline would pass, so a stuck rollout is reported.
  const boost::json::object* cond = FindCondition(StatusOf(*s.d), kProgressing);
  if (deadline && cond != nullptr && !DeploymentComplete(*s.d, StatusOf(*s.d)) &&
      base::GetString(*cond, {"reason"}) != "ProgressDeadlineExceeded") {
    absl::Duration after = TimeAt(*cond, {"lastUpdateTime"}) +
                           absl::Seconds(base::GetInt(*s.d, {"spec", "progressDeadlineSeconds"})) - now;
    return {absl::OkStatus(), std::max(after, absl::ZeroDuration()) + absl::Seconds(1)};
  }
  return {};
}

}  // namespace skiff::controllers
