#include "controllers/statefulset/stateful_set_reconciler.h"

#include <algorithm>
#include <atomic>
#include <cmath>
#include <limits>
#include <map>
#include <mutex>
#include <set>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "api/label_selector.h"
#include "api/object_meta.h"
#include "api/pod_util.h"
#include "api/resources.h"
#include "base/json.h"
#include "controllers/statefulset/stateful_set_util.h"
#include "controllers/workload/batch_writes.h"
#include "controllers/workload/workload_util.h"

namespace skiff::controllers::statefulset {
namespace {

const api::ResourceInfo& PodsResource() { return *api::FindResource("", "v1", "pods"); }
const api::ResourceInfo& ClaimsResource() { return *api::FindResource("", "v1", "persistentvolumeclaims"); }
const api::ResourceInfo& SetsResource() { return *api::FindResource("apps", "v1", "statefulsets"); }
const api::ResourceInfo& RevisionsResource() { return *api::FindResource("apps", "v1", "controllerrevisions"); }

int64_t RevisionNumber(const client::Object& r) { return base::GetInt(*r, {"revision"}, 0); }

void SortRevisions(std::vector<client::Object>& revisions) {
  std::sort(revisions.begin(), revisions.end(), [](const client::Object& a, const client::Object& b) {
    if (RevisionNumber(a) != RevisionNumber(b)) return RevisionNumber(a) < RevisionNumber(b);
    absl::Time ta = TimeAt(*a, {"metadata", "creationTimestamp"}), tb = TimeAt(*b, {"metadata", "creationTimestamp"});
    return ta != tb ? ta < tb : api::Name(*a) < api::Name(*b);
  });
}

const boost::json::value* DataOf(const client::Object& revision) { return base::Find(*revision, "data"); }

bool SameData(const client::Object& revision, const boost::json::value& data) {
  const boost::json::value* d = DataOf(revision);
  return d != nullptr && *d == data;
}

// rollingUpdate.maxUnavailable against `replicas` (percentages round down), at least 1.
int64_t MaxUnavailable(const boost::json::value& v, int64_t replicas) {
  int64_t n = 1;
  if (v.is_int64()) n = v.get_int64();
  if (v.is_string()) {
    std::string text(v.get_string());
    int64_t percent = 0;
    if (!text.empty() && text.back() == '%' && absl::SimpleAtoi(text.substr(0, text.size() - 1), &percent)) {
      n = percent * replicas / 100;
    } else if (!absl::SimpleAtoi(text, &n)) {
      n = 1;
    }
  }
  return std::max<int64_t>(n, 1);
}

// Result of processing one pod: `exit` stops an OrderedReady pass (something to wait for).
struct Step {
  bool exit = false;
  absl::Status error;
};

// Runs fn over [0, n): in order, stopping at the first exit or error (monotonic), or all at once
// in slow-start batches (Parallel). Returns whether the pass must stop here.
Step RunForAll(base::ThreadPool& pool, int n, bool monotonic, const std::function<Step(int)>& fn) {
  if (monotonic) {
    for (int i = 0; i < n; ++i) {
      Step s = fn(i);
      if (s.exit || !s.error.ok()) return {true, s.error};
    }
    return {};
  }
  SlowStartResult r = SlowStartBatch(pool, n, 1, [&](int i) { return fn(i).error; });
  return {!r.error.ok(), r.error};
}

}  // namespace

// One pass of Reconcile over one StatefulSet.
class StatefulSetReconciler::Sync {
 public:
  Sync(StatefulSetReconciler& r, client::Object set) : r_(r), set_(std::move(set)), now_(r.clock_->Now()) {}

  client::ReconcileResult Run() {
    const boost::json::value& set = *set_;
    absl::StatusOr<api::LabelSelector> selector =
        api::LabelSelector::FromJson(base::FindPath(set, {"spec", "selector"}) != nullptr
                                         ? *base::FindPath(set, {"spec", "selector"})
                                         : boost::json::value(),
                                     "spec.selector");
    if (!selector.ok()) {
      Event("Warning", "InvalidSelector", std::string(selector.status().message()));
      return {};  // a spec error: nothing to retry until the set changes
    }
    ClaimTarget target{r_.client_, &PodsResource(), &SetsResource(), "StatefulSet"};
    auto pods = ClaimObjects(target, set, *selector, r_.pods_->ByIndex(kControllerUidIndex, api::Uid(set)),
                             r_.pods_->ByIndex(kOrphanNamespaceIndex, api::Namespace(set)),
                             [&](const boost::json::value& pod) { return IsMemberOf(set, pod); });
    if (!pods.ok()) return {pods.status(), std::nullopt};
    pods_ = *std::move(pods);

    revisions_ = r_.revisions_->ByIndex(kControllerUidIndex, api::Uid(set));
    SortRevisions(revisions_);
    absl::Status error = ChooseRevisions();
    if (error.ok()) {
      error = UpdatePods();
      if (absl::Status s = WriteStatus(); error.ok()) error = s;
    }
    if (absl::Status s = TruncateHistory(); error.ok()) error = s;
    if (!error.ok()) return {error, std::nullopt};
    int64_t min_ready = IntAt(set, {"spec", "minReadySeconds"}, 0);
    if (min_ready > 0 && ready_ != available_) return {absl::OkStatus(), absl::Seconds(1)};
    return {};
  }

 private:
  void Event(const std::string& type, const std::string& reason, const std::string& message) {
    if (r_.options_.record_event) r_.options_.record_event(*set_, type, reason, message);
  }

  // The current and update revisions (k8s getStatefulSetRevisions); may create a revision or
  // renumber an equal older one.
  absl::Status ChooseRevisions() {
    const boost::json::value& set = *set_;
    collision_count_ = base::GetInt(set, {"status", "collisionCount"}, 0);
    boost::json::value data = RevisionData(set);
    int64_t next = revisions_.empty() ? 1 : RevisionNumber(revisions_.back()) + 1;
    client::Object equal;
    for (const auto& r : revisions_) {
      if (SameData(r, data)) equal = r;
    }
    if (equal != nullptr && equal == revisions_.back()) {
      update_ = equal;
    } else if (equal != nullptr) {
      // Back to an older template (rollout undo): that revision becomes the newest.
      auto patched = r_.client_->Patch(RevisionsResource(), api::Namespace(set), api::Name(*equal),
                                       client::PatchType::kMerge, boost::json::object{{"revision", next}});
      if (!patched.ok()) return patched.status();
      update_ = *patched;
    } else {
      for (int attempt = 0; update_ == nullptr; ++attempt) {
        if (attempt > 100) return absl::InternalError("too many ControllerRevision name collisions");
        auto made = r_.client_->Create(RevisionsResource(), api::Namespace(set),
                                       NewRevision(set, data, next, collision_count_));
        if (made.ok()) {
          update_ = *made;
          break;
        }
        if (!IsAlreadyExistsError(made.status())) return made.status();
        std::string name = absl::StrCat(api::Name(set), "-", RevisionHash(data, collision_count_));
        auto existing = r_.client_->Get(RevisionsResource(), api::Namespace(set), name);
        if (!existing.ok()) return existing.status();
        if (SameData(*existing, data)) {
          update_ = *existing;  // our own earlier write that the cache does not show yet
        } else {
          ++collision_count_;
        }
      }
    }
    std::string current_name = base::GetString(set, {"status", "currentRevision"});
    for (const auto& r : revisions_) {
      if (api::Name(*r) == current_name) current_ = r;
    }
    if (current_ == nullptr) current_ = update_;
    current_set_ = ApplyRevision(set, *current_);
    update_set_ = ApplyRevision(set, *update_);
    return absl::OkStatus();
  }

  bool Monotonic() const {
    return base::GetString(*set_, {"spec", "podManagementPolicy"}, "OrderedReady") != "Parallel";
  }
  int64_t MinReady() const { return IntAt(*set_, {"spec", "minReadySeconds"}, 0); }
  client::Object Replica(int64_t index) const {
    auto it = existing_.find(index);
    return it == existing_.end() ? nullptr : it->second;
  }
  bool Unavailable(const client::Object& pod) const {
    return IsUnavailable(pod ? pod.get() : nullptr, MinReady(), now_);
  }

  void CountStatus() {
    replicas_ = ready_ = available_ = current_replicas_ = updated_replicas_ = 0;
    for (const auto& pod : pods_) {
      ++replicas_;
      if (IsRunningAndReady(*pod)) {
        ++ready_;
        if (IsRunningAndAvailable(*pod, MinReady(), now_)) ++available_;
      }
      if (IsTerminating(*pod)) continue;
      std::string revision = api::Label(*pod, kRevisionLabel);
      if (revision == api::Name(*current_)) ++current_replicas_;
      if (revision == api::Name(*update_)) ++updated_replicas_;
    }
  }

  // The pods of the ordinals in range (existing_) and the rest (condemned_, highest first).
  void Partition() {
    const boost::json::value& set = *set_;
    int64_t start = StartOrdinal(set), count = Replicas(set);
    count_ = std::min<int64_t>(count, std::numeric_limits<int32_t>::max());
    for (const auto& pod : pods_) {
      int64_t ordinal = OrdinalOf(*pod);
      if (InOrdinalRange(ordinal, set)) {
        existing_[ordinal - start] = pod;
      } else if (ordinal >= 0) {
        condemned_.push_back(pod);
      }
    }
    std::sort(condemned_.begin(), condemned_.end(),
              [](const client::Object& a, const client::Object& b) { return OrdinalOf(*a) > OrdinalOf(*b); });
    // The first unavailable replica; a missing one counts, though it is no pod to compare with.
    int64_t expected = 0;
    for (const auto& [index, pod] : existing_) {
      if (index != expected) break;  // a gap: a replica still to create comes first
      if (Unavailable(pod)) {
        first_unavailable_ = pod;
        break;
      }
      ++expected;
    }
    if (expected == count_) {
      for (auto it = condemned_.rbegin(); it != condemned_.rend(); ++it) {
        if (Unavailable(*it)) {
          first_unavailable_ = *it;
          break;
        }
      }
    }
  }

  absl::Status DeletePod(const client::Object& pod) {
    client::DeleteOptions options;
    options.precondition_uid = api::Uid(*pod);
    absl::Status s = r_.client_->Delete(PodsResource(), api::Namespace(*pod), api::Name(*pod), options);
    if (absl::IsNotFound(s)) return absl::OkStatus();
    if (!s.ok()) {
      Event("Warning", "FailedDelete",
            absl::StrCat("delete Pod ", api::Name(*pod), " in StatefulSet ", api::Name(*set_), " failed error: ",
                         s.message()));
      return s;
    }
    Event("Normal", "SuccessfulDelete",
          absl::StrCat("delete Pod ", api::Name(*pod), " in StatefulSet ", api::Name(*set_), " successful"));
    return absl::OkStatus();
  }

  // Creates the claims of `ordinal` that do not exist (with their retention ownerReferences); an
  // existing claim being deleted blocks the pod (k8s: "pvc is being deleted").
  absl::Status CreateClaims(const boost::json::value& set, int64_t ordinal) {
    boost::json::value pod_ref = boost::json::object{
        {"metadata", boost::json::object{{"name", PodName(set, ordinal)}, {"namespace", api::Namespace(set)}}}};
    for (boost::json::value& claim : NewClaims(set, ordinal)) {
      std::string name = api::Name(claim);
      client::Object cached = r_.claims_->Get(client::MakeKey(api::Namespace(set), name));
      if (cached != nullptr) {
        if (api::IsBeingDeleted(*cached)) return absl::FailedPreconditionError(absl::StrCat("pvc ", name, " is being deleted"));
        continue;
      }
      if (WantedClaimOwners(set, pod_ref).set) {
        base::EnsureObject(claim, {"metadata"})["ownerReferences"] =
            boost::json::array{MakeControllerRef(set, "apps/v1", "StatefulSet")};
      }
      auto made = r_.client_->Create(ClaimsResource(), api::Namespace(set), std::move(claim));
      if (!made.ok() && IsAlreadyExistsError(made.status())) continue;
      std::string message = absl::StrCat("create Claim ", name, " Pod ", PodName(set, ordinal), " in StatefulSet ",
                                         api::Name(set));
      if (!made.ok()) {
        Event("Warning", "FailedCreate", absl::StrCat(message, " failed error: ", made.status().message()));
        return made.status();
      }
      Event("Normal", "SuccessfulCreate", absl::StrCat(message, " success"));
    }
    return absl::OkStatus();
  }

  // A claim of this ordinal still refers to an earlier pod of the name (whenScaled: Delete): the
  // garbage collector is deleting it, so the pod must wait.
  bool ClaimsStale(const boost::json::value& set, int64_t ordinal) {
    if (base::GetString(set, {"spec", "persistentVolumeClaimRetentionPolicy", "whenScaled"}) != "Delete") return false;
    boost::json::value pod_ref = boost::json::object{{"metadata", boost::json::object{{"name", PodName(set, ordinal)}}}};
    for (const boost::json::value& claim : NewClaims(set, ordinal)) {
      client::Object cached = r_.claims_->Get(client::MakeKey(api::Namespace(set), api::Name(claim)));
      if (cached != nullptr && ClaimIsStale(*cached, pod_ref)) return true;
    }
    return false;
  }

  // Brings the ownerReferences of `pod`'s existing claims in line with the retention policy.
  absl::Status FixClaimOwners(const boost::json::value& pod) {
    const boost::json::value& set = update_set_;
    for (const boost::json::value& claim : NewClaims(set, OrdinalOf(pod))) {
      client::Object cached = r_.claims_->Get(client::MakeKey(api::Namespace(set), api::Name(claim)));
      if (cached == nullptr || api::IsBeingDeleted(*cached)) continue;
      std::optional<boost::json::array> refs = RetentionOwnerRefs(set, pod, *cached);
      if (!refs) continue;
      boost::json::value next = *cached;
      base::EnsureObject(next, {"metadata"})["ownerReferences"] = std::move(*refs);
      auto written = r_.client_->Update(ClaimsResource(), api::Namespace(set), std::move(next));
      if (!written.ok() && !absl::IsNotFound(written.status())) return written.status();
    }
    return absl::OkStatus();
  }

  // k8s processReplica.
  Step ProcessReplica(int i) {
    client::Object pod = Replica(i);
    int64_t ordinal = StartOrdinal(*set_) + i;
    bool monotonic = Monotonic();
    if (pod != nullptr && (api::PodPhase(*pod) == "Failed" || api::PodPhase(*pod) == "Succeeded")) {
      // Recreated on a later pass, once the deletion shows.
      if (!IsTerminating(*pod)) return {true, DeletePod(pod)};
      return {true, absl::OkStatus()};
    }
    if (pod == nullptr) {
      if (ClaimsStale(*set_, ordinal)) return {true, absl::OkStatus()};
      return {monotonic, CreatePod(ordinal)};
    }
    if (api::PodPhase(*pod).empty() || api::PodPhase(*pod) == "Pending") {
      const boost::json::value& at_revision =
          api::Label(*pod, kRevisionLabel) == api::Name(*current_) ? current_set_ : update_set_;
      if (absl::Status s = CreateClaims(at_revision, ordinal); !s.ok()) return {true, s};
    }
    if (monotonic && (IsTerminating(*pod) || !IsRunningAndReady(*pod) ||
                      !IsRunningAndAvailable(*pod, MinReady(), now_)))
      return {true, absl::OkStatus()};
    if (std::optional<boost::json::object> patch = IdentityLabelPatch(*set_, *pod)) {
      auto patched =
          r_.client_->Patch(PodsResource(), api::Namespace(*pod), api::Name(*pod), client::PatchType::kMerge, *patch);
      if (!patched.ok() && !absl::IsNotFound(patched.status())) return {true, patched.status()};
    }
    if (!StorageMatches(update_set_, *pod)) {
      // A pod's volumes cannot change; its missing claims can at least be made.
      if (absl::Status s = CreateClaims(update_set_, ordinal); !s.ok()) return {true, s};
    }
    return {false, FixClaimOwners(*pod)};
  }

  absl::Status CreatePod(int64_t ordinal) {
    const boost::json::value& set = *set_;
    // k8s newVersionedStatefulSetPod: below the partition pods stay at the current revision.
    bool at_current = base::GetString(set, {"spec", "updateStrategy", "type"}, "RollingUpdate") == "RollingUpdate" &&
                      ordinal < StartOrdinal(set) + IntAt(set, {"spec", "updateStrategy", "rollingUpdate", "partition"}, 0);
    const boost::json::value& source = at_current ? current_set_ : update_set_;
    const client::Object& revision = at_current ? current_ : update_;
    if (absl::Status s = CreateClaims(source, ordinal); !s.ok()) {
      Event("Warning", "FailedCreate",
            absl::StrCat("create Pod ", PodName(set, ordinal), " in StatefulSet ", api::Name(set),
                         " failed error: ", s.message()));
      return s;
    }
    auto made = r_.client_->Create(PodsResource(), api::Namespace(set), NewPod(source, ordinal, api::Name(*revision)));
    if (!made.ok()) {
      // Already there: our own earlier creation that the cache does not show yet; its event requeues.
      if (IsAlreadyExistsError(made.status())) return absl::OkStatus();
      Event("Warning", "FailedCreate",
            absl::StrCat("create Pod ", PodName(set, ordinal), " in StatefulSet ", api::Name(set),
                         " failed error: ", made.status().message()));
      return made.status();
    }
    Event("Normal", "SuccessfulCreate",
          absl::StrCat("create Pod ", PodName(set, ordinal), " in StatefulSet ", api::Name(set), " successful"));
    return absl::OkStatus();
  }

  // k8s processCondemned.
  Step ProcessCondemned(int i) {
    const client::Object& pod = condemned_[i];
    bool monotonic = Monotonic();
    if (IsTerminating(*pod)) return {monotonic, absl::OkStatus()};
    if (monotonic && pod != first_unavailable_ && Unavailable(pod)) return {true, absl::OkStatus()};
    return {true, DeletePod(pod)};
  }

  absl::Status UpdatePods() {
    CountStatus();
    Partition();
    if (api::IsBeingDeleted(*set_)) return absl::OkStatus();
    bool monotonic = Monotonic();
    Step step = RunForAll(*r_.pool_, static_cast<int>(count_), monotonic,
                          [&](int i) { return ProcessReplica(i); });
    if (step.exit || !step.error.ok()) return step.error;
    step = RunForAll(*r_.pool_, static_cast<int>(condemned_.size()), monotonic, [&](int i) {
      return Step{false, FixClaimOwners(*condemned_[i])};
    });
    if (step.exit || !step.error.ok()) return step.error;
    step = RunForAll(*r_.pool_, static_cast<int>(condemned_.size()), monotonic,
                     [&](int i) { return ProcessCondemned(i); });
    if (step.exit || !step.error.ok()) return step.error;

    const boost::json::value& set = *set_;
    if (base::GetString(set, {"spec", "updateStrategy", "type"}, "RollingUpdate") != "RollingUpdate")
      return absl::OkStatus();  // OnDelete: pods change only when someone deletes them
    int64_t partition = IntAt(set, {"spec", "updateStrategy", "rollingUpdate", "partition"}, 0);
    const boost::json::value* max_unavailable =
        base::FindPath(set, {"spec", "updateStrategy", "rollingUpdate", "maxUnavailable"});
    std::string update_name = api::Name(*update_);
    auto outdated = [&](const client::Object& pod) {
      return pod != nullptr && api::Label(*pod, kRevisionLabel) != update_name && !IsTerminating(*pod);
    };
    int64_t count = count_;
    if (max_unavailable == nullptr || max_unavailable->is_null()) {
      // One pod at a time, highest ordinal first, each available before the next.
      for (int64_t target = count - 1; target >= partition; --target) {
        client::Object pod = Replica(target);
        if (outdated(pod)) {
          --current_replicas_;
          return DeletePod(pod);
        }
        if (Unavailable(pod)) return absl::OkStatus();
      }
      return absl::OkStatus();
    }
    int64_t allowed = MaxUnavailable(*max_unavailable, count);
    int64_t unavailable = count - static_cast<int64_t>(existing_.size());  // not created yet
    for (const auto& [index, pod] : existing_) unavailable += Unavailable(pod) ? 1 : 0;
    if (unavailable > allowed) return absl::OkStatus();
    int64_t budget = allowed - unavailable;
    for (int64_t target = count - 1; target >= partition && budget > 0; --target) {
      client::Object pod = Replica(target);
      if (!outdated(pod)) continue;
      if (absl::Status s = DeletePod(pod); !s.ok()) return s;
      --budget;
      --current_replicas_;
    }
    return absl::OkStatus();
  }

  absl::Status WriteStatus() {
    const boost::json::value& set = *set_;
    std::string current_name = api::Name(*current_), update_name = api::Name(*update_);
    int64_t current_replicas = current_replicas_;
    // k8s completeRollingUpdate: every pod updated and ready makes the update revision current.
    if (base::GetString(set, {"spec", "updateStrategy", "type"}, "RollingUpdate") == "RollingUpdate" &&
        updated_replicas_ == replicas_ && ready_ == replicas_) {
      current_replicas = updated_replicas_;
      current_name = update_name;
    }
    boost::json::object status{{"observedGeneration", api::Generation(set)},
                               {"replicas", replicas_},
                               {"readyReplicas", ready_},
                               {"availableReplicas", available_},
                               {"currentReplicas", current_replicas},
                               {"updatedReplicas", updated_replicas_},
                               {"currentRevision", current_name},
                               {"updateRevision", update_name},
                               {"collisionCount", collision_count_}};
    const boost::json::value* old = base::Find(set, "status");
    bool same = old != nullptr && old->is_object() &&
                std::all_of(status.begin(), status.end(), [&](const boost::json::key_value_pair& kv) {
                  const boost::json::value* v = old->get_object().if_contains(kv.key());
                  return v != nullptr && *v == kv.value();
                });
    if (same) return absl::OkStatus();
    client::PatchOptions options;
    options.subresource = "status";
    auto written = r_.client_->Patch(SetsResource(), api::Namespace(set), api::Name(set), client::PatchType::kMerge,
                                     boost::json::object{{"status", std::move(status)}}, options);
    if (!written.ok() && !absl::IsNotFound(written.status())) return written.status();
    return absl::OkStatus();
  }

  // Deletes unused revisions beyond revisionHistoryLimit, oldest first.
  absl::Status TruncateHistory() {
    const boost::json::value& set = *set_;
    std::set<std::string> live;
    if (current_ != nullptr) live.insert(api::Name(*current_));
    if (update_ != nullptr) live.insert(api::Name(*update_));
    for (const auto& pod : pods_) live.insert(api::Label(*pod, kRevisionLabel));
    std::vector<client::Object> history;
    for (const auto& r : revisions_) {
      if (!live.count(api::Name(*r))) history.push_back(r);
    }
    int64_t limit = IntAt(set, {"spec", "revisionHistoryLimit"}, 10);
    if (limit < 0) return absl::OkStatus();
    for (size_t i = 0; static_cast<int64_t>(history.size() - i) > limit; ++i) {
      absl::Status s = r_.client_->Delete(RevisionsResource(), api::Namespace(*history[i]), api::Name(*history[i]));
      if (!s.ok() && !absl::IsNotFound(s)) return s;
    }
    return absl::OkStatus();
  }

  StatefulSetReconciler& r_;
  client::Object set_;
  absl::Time now_;
  std::vector<client::Object> pods_;
  std::vector<client::Object> revisions_;
  client::Object current_, update_;
  boost::json::value current_set_, update_set_;
  int64_t collision_count_ = 0;
  // The pods in range by index (ordinal - start) out of count_; a missing index is not created yet.
  // (A map, not a vector of count_ slots: spec.replicas may be huge.)
  std::map<int64_t, client::Object> existing_;
  int64_t count_ = 0;
  std::vector<client::Object> condemned_;       // highest ordinal first
  client::Object first_unavailable_;
  int64_t replicas_ = 0, ready_ = 0, available_ = 0, current_replicas_ = 0, updated_replicas_ = 0;
};

StatefulSetReconciler::StatefulSetReconciler(client::Client* client, const ObjectCache* sets,
                                             const ObjectCache* pods, const ObjectCache* revisions,
                                             const ObjectCache* claims, Options options)
    : client_(client),
      sets_(sets),
      pods_(pods),
      revisions_(revisions),
      claims_(claims),
      options_(std::move(options)),
      clock_(options_.clock != nullptr ? options_.clock : &base::RealClock()),
      pool_(std::make_unique<base::ThreadPool>(std::max(1, options_.write_parallelism))) {}

StatefulSetReconciler::~StatefulSetReconciler() = default;

client::ReconcileResult StatefulSetReconciler::Reconcile(const std::string& key) {
  client::Object set = sets_->Get(key);
  if (set == nullptr) return {};
  return Sync(*this, std::move(set)).Run();
}

std::vector<std::string> StatefulSetReconciler::KeysFor(const boost::json::value& pod) const {
  const boost::json::value* ref = api::ControllerRef(pod);
  if (ref != nullptr) {
    if (base::GetString(*ref, {"kind"}) != "StatefulSet") return {};
    return {client::MakeKey(api::Namespace(pod), base::GetString(*ref, {"name"}))};
  }
  std::vector<std::string> keys;
  for (const auto& set : sets_->ByIndex(kNamespaceIndex, api::Namespace(pod))) {
    const boost::json::value* sel = base::FindPath(*set, {"spec", "selector"});
    if (sel == nullptr || !IsMemberOf(*set, pod)) continue;
    auto selector = api::LabelSelector::FromJson(*sel);
    if (selector.ok() && !selector->Empty() && selector->Matches(api::Labels(pod)))
      keys.push_back(client::KeyOf(*set));
  }
  return keys;
}

std::vector<std::string> StatefulSetReconciler::OnPodAdded(const boost::json::value& pod) { return KeysFor(pod); }

std::vector<std::string> StatefulSetReconciler::OnPodUpdated(const boost::json::value& old_pod,
                                                             const boost::json::value& pod) {
  std::vector<std::string> keys = KeysFor(pod);
  for (std::string& k : KeysFor(old_pod)) {
    if (std::find(keys.begin(), keys.end(), k) == keys.end()) keys.push_back(std::move(k));
  }
  return keys;
}

std::vector<std::string> StatefulSetReconciler::OnPodDeleted(const boost::json::value& pod) { return KeysFor(pod); }

std::vector<std::string> StatefulSetReconciler::OnClaimChanged(const boost::json::value& claim) {
  std::vector<std::string> keys;
  const boost::json::array* refs = api::OwnerReferences(claim);
  if (refs == nullptr) return keys;
  for (const auto& ref : *refs) {
    std::string kind = base::GetString(ref, {"kind"}), name = base::GetString(ref, {"name"});
    if (kind == "StatefulSet") keys.push_back(client::MakeKey(api::Namespace(claim), name));
    if (kind == "Pod") {
      std::string parent = ParentAndOrdinal(name).first;
      if (!parent.empty()) keys.push_back(client::MakeKey(api::Namespace(claim), parent));
    }
  }
  return keys;
}

}  // namespace skiff::controllers::statefulset
