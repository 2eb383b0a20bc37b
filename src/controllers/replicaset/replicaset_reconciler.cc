#include "controllers/replicaset/replicaset_reconciler.h"

#include <algorithm>
#include <mutex>
#include <set>

#include "absl/strings/str_cat.h"
#include "api/json_patch.h"
#include "api/object_meta.h"
#include "api/pod_util.h"
#include "api/resources.h"
#include "base/json.h"
#include "base/strings.h"
#include "controllers/workload/batch_writes.h"
#include "controllers/workload/workload_util.h"

namespace skiff::controllers {
namespace {

const api::ResourceInfo& PodsResource() { return *api::FindResource("", "v1", "pods"); }

constexpr int kSlowStartInitialBatch = 1;
constexpr size_t kMaxGenerateNamePrefix = 58;  // 63 minus the 5 random characters

boost::json::value MakePod(const boost::json::value& rs, const ReplicaOwner& owner) {
  boost::json::object pod;
  pod["apiVersion"] = "v1";
  pod["kind"] = "Pod";
  boost::json::object meta;
  std::string prefix = api::Name(rs) + "-";
  if (prefix.size() > kMaxGenerateNamePrefix) prefix.resize(kMaxGenerateNamePrefix);
  meta["generateName"] = prefix;
  meta["namespace"] = api::Namespace(rs);
  const boost::json::value* tmeta = base::FindPath(rs, {"spec", "template", "metadata"});
  if (tmeta != nullptr && tmeta->is_object()) {
    for (const char* field : {"labels", "annotations", "finalizers"}) {
      if (const boost::json::value* v = tmeta->get_object().if_contains(field); v && !v->is_null())
        meta[field] = *v;
    }
  }
  meta["ownerReferences"] =
      boost::json::array{MakeControllerRef(rs, owner.resource->GroupVersion(), owner.kind)};
  pod["metadata"] = std::move(meta);
  const boost::json::value* spec = base::FindPath(rs, {"spec", "template", "spec"});
  pod["spec"] = spec != nullptr ? *spec : boost::json::object();
  return pod;
}

// Every label of the template is on the pod with the same value.
bool FullyLabeled(const boost::json::value& pod, const boost::json::value& rs) {
  const boost::json::value* want = base::FindPath(rs, {"spec", "template", "metadata", "labels"});
  if (want == nullptr || !want->is_object()) return true;
  const boost::json::value* have = api::Labels(pod);
  for (const auto& [k, v] : want->get_object()) {
    if (have == nullptr || !have->is_object()) return false;
    const boost::json::value* mine = have->get_object().if_contains(k);
    if (mine == nullptr || *mine != v) return false;
  }
  return true;
}

}  // namespace

absl::StatusOr<api::LabelSelector> ReplicaOwner::Selector(const boost::json::value& owner) const {
  const boost::json::value* sel = base::FindPath(owner, {"spec", "selector"});
  if (sel == nullptr || sel->is_null()) return api::LabelSelector::Nothing();
  if (!map_selector) return api::LabelSelector::FromJson(*sel, "spec.selector");
  // A label map is a metav1.LabelSelector's matchLabels (k8s' RC adapter converts it so).
  return api::LabelSelector::FromJson(boost::json::object{{"matchLabels", *sel}}, "spec.selector");
}

const ReplicaOwner& ReplicaSetOwner() {
  static const auto* owner = new ReplicaOwner{api::FindResource("apps", "v1", "replicasets"), "ReplicaSet",
                                              false, "replicaset", "replicaset-controller"};
  return *owner;
}

const ReplicaOwner& ReplicationControllerOwner() {
  static const auto* owner =
      new ReplicaOwner{api::FindResource("", "v1", "replicationcontrollers"), "ReplicationController", true,
                       "replicationcontroller", "replication-controller"};
  return *owner;
}

ReplicaSetReconciler::ReplicaSetReconciler(client::Client* client, const ObjectCache* replicasets,
                                           const ObjectCache* pods, Options options)
    : client_(client),
      replicasets_(replicasets),
      pods_(pods),
      options_(std::move(options)),
      owner_(options_.owner != nullptr ? *options_.owner : ReplicaSetOwner()),
      clock_(options_.clock != nullptr ? options_.clock : &base::RealClock()),
      expectations_(clock_),
      pool_(std::make_unique<base::ThreadPool>(std::max(1, options_.write_parallelism))) {}

ReplicaSetReconciler::~ReplicaSetReconciler() = default;

void ReplicaSetReconciler::Event(const boost::json::value& obj, const std::string& type,
                                 const std::string& reason, const std::string& message) {
  if (options_.record_event) options_.record_event(obj, type, reason, message);
}

client::Object ReplicaSetReconciler::ResolveOwner(const boost::json::value& pod) const {
  const boost::json::value* ref = api::ControllerRef(pod);
  if (ref == nullptr || base::GetString(*ref, {"kind"}) != owner_.kind) return nullptr;
  client::Object rs =
      replicasets_->Get(client::MakeKey(api::Namespace(pod), base::GetString(*ref, {"name"})));
  if (rs == nullptr || api::Uid(*rs) != base::GetString(*ref, {"uid"})) return nullptr;
  return rs;
}

std::vector<std::string> ReplicaSetReconciler::MatchingReplicaSets(const boost::json::value& pod) const {
  std::vector<std::string> keys;
  for (const client::Object& rs : replicasets_->ByIndex(kNamespaceIndex, api::Namespace(pod))) {
    auto selector = owner_.Selector(*rs);
    if (!selector.ok() || selector->Empty()) continue;
    if (selector->Matches(api::Labels(pod))) keys.push_back(client::KeyOf(*rs));
  }
  return keys;
}

std::vector<std::string> ReplicaSetReconciler::OnPodAdded(const boost::json::value& pod) {
  if (api::IsBeingDeleted(pod)) return OnPodDeleted(pod);
  if (api::ControllerRef(pod) != nullptr) {
    client::Object rs = ResolveOwner(pod);
    if (rs == nullptr) return {};
    std::string key = client::KeyOf(*rs);
    expectations_.CreationObserved(key);
    return {key};
  }
  return MatchingReplicaSets(pod);
}

std::vector<std::string> ReplicaSetReconciler::OnPodUpdated(const boost::json::value& old_pod,
                                                            const boost::json::value& new_pod) {
  if (api::ResourceVersion(old_pod) == api::ResourceVersion(new_pod)) {
    return {};  // a resync: nothing changed
  }
  const boost::json::value* old_labels = api::Labels(old_pod);
  const boost::json::value* new_labels = api::Labels(new_pod);
  bool labels_changed = (old_labels == nullptr) != (new_labels == nullptr) ||
                        (old_labels != nullptr && !api::JsonEqual(*old_labels, *new_labels));
  std::vector<std::string> keys;
  if (api::IsBeingDeleted(new_pod)) {
    keys = OnPodDeleted(new_pod);
    if (labels_changed) {
      for (std::string& k : OnPodDeleted(old_pod)) keys.push_back(std::move(k));
    }
    return keys;
  }
  const boost::json::value* old_ref = api::ControllerRef(old_pod);
  const boost::json::value* new_ref = api::ControllerRef(new_pod);
  bool ref_changed =
      (old_ref == nullptr) != (new_ref == nullptr) ||
      (old_ref != nullptr && base::GetString(*old_ref, {"uid"}) != base::GetString(*new_ref, {"uid"}));
  if (ref_changed && old_ref != nullptr) {
    if (client::Object rs = ResolveOwner(old_pod)) keys.push_back(client::KeyOf(*rs));
  }
  if (new_ref != nullptr) {
    if (client::Object rs = ResolveOwner(new_pod)) keys.push_back(client::KeyOf(*rs));
    return keys;
  }
  if (labels_changed || ref_changed) {
    for (std::string& k : MatchingReplicaSets(new_pod)) keys.push_back(std::move(k));
  }
  return keys;
}

std::vector<std::string> ReplicaSetReconciler::OnPodDeleted(const boost::json::value& pod) {
  client::Object rs = ResolveOwner(pod);
  if (rs == nullptr) return {};
  std::string key = client::KeyOf(*rs);
  expectations_.DeletionObserved(key, client::KeyOf(pod));
  return {key};
}

absl::StatusOr<std::vector<client::Object>> ReplicaSetReconciler::ClaimPods(
    const boost::json::value& rs, const api::LabelSelector& selector) {
  ClaimTarget target{client_, &PodsResource(), owner_.resource, owner_.kind};
  return ClaimObjects(target, rs, selector, pods_->ByIndex(kControllerUidIndex, api::Uid(rs)),
                      pods_->ByIndex(kOrphanNamespaceIndex, api::Namespace(rs)),
                      [](const boost::json::value& pod) { return IsPodActive(pod); });
}

std::vector<client::Object> ReplicaSetReconciler::RelatedPods(const boost::json::value& rs) const {
  const boost::json::value* ref = api::ControllerRef(rs);
  if (ref == nullptr) return pods_->ByIndex(kControllerUidIndex, api::Uid(rs));
  std::vector<client::Object> out;
  for (const client::Object& sibling :
       replicasets_->ByIndex(kControllerUidIndex, base::GetString(*ref, {"uid"}))) {
    for (client::Object& p : pods_->ByIndex(kControllerUidIndex, api::Uid(*sibling)))
      out.push_back(std::move(p));
  }
  return out;
}

absl::Status ReplicaSetReconciler::ManageReplicas(const std::vector<client::Object>& pods,
                                                  const boost::json::value& rs, const std::string& key) {
  const int64_t want = IntAt(rs, {"spec", "replicas"}, 1);
  const int64_t diff = static_cast<int64_t>(pods.size()) - want;
  const std::string ns = api::Namespace(rs);
  if (diff < 0) {
    const int count = static_cast<int>(std::min<int64_t>(-diff, options_.burst_replicas));
    expectations_.ExpectCreations(key, count);
    const boost::json::value pod = MakePod(rs, owner_);
    // Slow start: batches of 1, 2, 4, ... so a failing template costs one call, not hundreds;
    // each batch is issued at once so its creates land in the same storage group commits.
    SlowStartResult made = SlowStartBatch(*pool_, count, kSlowStartInitialBatch, [&](int) {
      auto created = client_->Create(PodsResource(), ns, pod);
      // A create that timed out may still be stored: keep expecting it (k8s does the same); the
      // informer observes it or the expectation expires.
      if (!created.ok() && IsTimeoutError(created.status())) return absl::OkStatus();
      return created.status();
    });
    const int successes = made.successes;
    const absl::Status error = made.error;
    for (int i = successes; i < count; ++i) expectations_.CreationObserved(key);
    if (successes > 0) {
      Event(rs, "Normal", "SuccessfulCreate", absl::StrCat("Created ", successes, " pod(s)"));
    }
    if (!error.ok()) {
      Event(rs, "Warning", "FailedCreate", absl::StrCat("Error creating: ", error.message()));
    }
    return error;
  }
  if (diff > 0) {
    const size_t count = static_cast<size_t>(std::min<int64_t>(diff, options_.burst_replicas));
    std::vector<client::Object> victims = PodsToDelete(pods, RelatedPods(rs), count);
    std::set<std::string> victim_keys;
    for (const client::Object& p : victims) victim_keys.insert(client::KeyOf(*p));
    expectations_.ExpectDeletions(key, victim_keys);
    std::mutex mu;
    absl::Status error;
    int deleted = 0;
    RunParallel(*pool_, static_cast<int>(victims.size()), [&](int i) {
      const boost::json::value& p = *victims[i];
      client::DeleteOptions opts;
      opts.precondition_uid = api::Uid(p);
      absl::Status st = client_->Delete(PodsResource(), ns, api::Name(p), opts);
      std::lock_guard<std::mutex> lock(mu);
      if (st.ok()) {
        ++deleted;
        return;
      }
      expectations_.DeletionObserved(key, client::KeyOf(p));
      if (!absl::IsNotFound(st) && error.ok()) error = st;
    });
    if (deleted > 0) Event(rs, "Normal", "SuccessfulDelete", absl::StrCat("Deleted ", deleted, " pod(s)"));
    if (!error.ok()) Event(rs, "Warning", "FailedDelete", absl::StrCat("Error deleting: ", error.message()));
    return error;
  }
  return absl::OkStatus();
}

boost::json::object ReplicaSetReconciler::CalculateStatus(const boost::json::value& rs,
                                                          const std::vector<client::Object>& pods,
                                                          const absl::Status& manage_error) const {
  const int64_t min_ready = IntAt(rs, {"spec", "minReadySeconds"}, 0);
  const absl::Time now = clock_->Now();
  int64_t labeled = 0, ready = 0, available = 0;
  for (const client::Object& p : pods) {
    if (FullyLabeled(*p, rs)) ++labeled;
    if (api::IsPodReady(*p)) {
      ++ready;
      if (api::IsPodAvailable(*p, min_ready, now)) ++available;
    }
  }
  boost::json::object status;
  status["replicas"] = static_cast<int64_t>(pods.size());
  if (labeled > 0) status["fullyLabeledReplicas"] = labeled;
  if (ready > 0) status["readyReplicas"] = ready;
  if (available > 0) status["availableReplicas"] = available;
  status["observedGeneration"] = IntAt(rs, {"metadata", "generation"}, 1);
  if (const boost::json::value* conds = base::FindPath(rs, {"status", "conditions"});
      conds && conds->is_array() && !conds->get_array().empty()) {
    status["conditions"] = *conds;
  }
  const boost::json::value* old_status = base::Find(rs, "status");
  const boost::json::object* failure =
      old_status == nullptr ? nullptr : FindCondition(*old_status, "ReplicaFailure");
  if (!manage_error.ok() && failure == nullptr) {
    const int64_t diff = static_cast<int64_t>(pods.size()) - IntAt(rs, {"spec", "replicas"}, 1);
    boost::json::object cond;
    cond["type"] = "ReplicaFailure";
    cond["status"] = "True";
    cond["lastTransitionTime"] = base::FormatRfc3339(now);
    cond["reason"] = diff < 0 ? "FailedCreate" : "FailedDelete";
    cond["message"] = std::string(manage_error.message());
    SetCondition(status, std::move(cond));
  } else if (manage_error.ok() && failure != nullptr) {
    RemoveCondition(status, "ReplicaFailure");
  }
  return status;
}

absl::Status ReplicaSetReconciler::UpdateStatus(const boost::json::value& rs,
                                                const boost::json::object& status) {
  const boost::json::value* old = base::Find(rs, "status");
  if (old != nullptr && api::JsonEqual(*old, status)) return absl::OkStatus();
  boost::json::value copy = rs;
  copy.as_object()["status"] = status;
  auto updated = client_->Update(*owner_.resource, api::Namespace(rs), copy, "status");
  if (updated.ok()) return absl::OkStatus();
  if (!IsConflictError(updated.status())) return updated.status();
  // Conflict: the cache was behind. Retry once on the stored object, keeping its generation
  // check honest (observedGeneration only advances to what we actually saw).
  auto fresh = client_->Get(*owner_.resource, api::Namespace(rs), api::Name(rs));
  if (!fresh.ok()) return fresh.status();
  if (api::Uid(**fresh) != api::Uid(rs)) return absl::OkStatus();
  copy = **fresh;
  copy.as_object()["status"] = status;
  updated = client_->Update(*owner_.resource, api::Namespace(rs), copy, "status");
  return updated.ok() ? absl::OkStatus() : updated.status();
}

client::ReconcileResult ReplicaSetReconciler::Reconcile(const std::string& key) {
  client::Object rs = replicasets_->Get(key);
  if (rs == nullptr) {
    expectations_.Delete(key);
    return {};
  }
  const bool needs_sync = expectations_.Satisfied(key);
  auto selector = owner_.Selector(*rs);
  if (!selector.ok()) {
    Event(*rs, "Warning", "InvalidSelector", std::string(selector.status().message()));
    return {};  // retrying cannot fix the object
  }
  auto pods = ClaimPods(*rs, *selector);
  if (!pods.ok()) return {pods.status()};
  absl::Status manage_error;
  if (needs_sync && !api::IsBeingDeleted(*rs)) manage_error = ManageReplicas(*pods, *rs, key);
  boost::json::object status = CalculateStatus(*rs, *pods, manage_error);
  absl::Status status_error = UpdateStatus(*rs, status);
  if (!manage_error.ok()) return {manage_error};
  if (!status_error.ok()) return {status_error};
  // A ready pod becomes available minReadySeconds after it turned ready: look again then.
  const int64_t min_ready = IntAt(*rs, {"spec", "minReadySeconds"}, 0);
  if (min_ready > 0) {
    const absl::Time now = clock_->Now();
    absl::Duration wait = absl::InfiniteDuration();
    for (const client::Object& p : *pods) {
      if (!api::IsPodReady(*p) || api::IsPodAvailable(*p, min_ready, now)) continue;
      absl::Time since = api::PodReadySince(*p);
      absl::Duration left =
          since == absl::InfinitePast() ? absl::Seconds(min_ready) : since + absl::Seconds(min_ready) - now;
      wait = std::min(wait, left);
    }
    if (wait != absl::InfiniteDuration()) {
      return {absl::OkStatus(), std::max(wait, absl::ZeroDuration()) + absl::Milliseconds(100)};
    }
  }
  return {};
}

}  // namespace skiff::controllers
