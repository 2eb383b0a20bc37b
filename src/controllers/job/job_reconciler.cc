#include "controllers/job/job_reconciler.h"

#include <algorithm>
#include <optional>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "api/object_meta.h"
#include "api/pod_util.h"
#include "api/resources.h"
#include "base/json.h"
#include "controllers/workload/workload_util.h"

namespace skiff::controllers {
namespace {

const api::ResourceInfo& PodsResource() { return *api::FindResource("", "v1", "pods"); }
const api::ResourceInfo& JobsResource() { return *api::FindResource("batch", "v1", "jobs"); }

// The completion index of a pod, or -1.
int64_t PodIndex(const boost::json::value& pod) {
  int64_t index = -1;
  std::string text = api::Annotation(pod, kJobCompletionIndexAnnotation);
  if (text.empty() || !absl::SimpleAtoi(text, &index) || index < 0) return -1;
  return index;
}

boost::json::object Condition(const std::string& type, const std::string& reason, const std::string& message,
                              absl::Time now) {
  std::string ts = base::FormatRfc3339(now);
  return boost::json::object{{"type", type},       {"status", "True"},    {"reason", reason},
                             {"message", message}, {"lastProbeTime", ts}, {"lastTransitionTime", ts}};
}

std::set<std::string> UidSet(const boost::json::value& status, const char* which) {
  std::set<std::string> out;
  const boost::json::value* list = base::FindPath(status, {"uncountedTerminatedPods", which});
  if (list == nullptr || !list->is_array()) return out;
  for (const auto& v : list->get_array()) {
    if (v.is_string()) out.insert(std::string(v.get_string()));
  }
  return out;
}

boost::json::array ToArray(const std::set<std::string>& set) {
  boost::json::array out;
  for (const std::string& s : set) out.push_back(boost::json::value(s));
  return out;
}

void AddIndexEnv(boost::json::value& spec, const char* field) {
  boost::json::value* containers = spec.as_object().if_contains(field);
  if (containers == nullptr || !containers->is_array()) return;
  for (auto& c : containers->as_array()) {
    if (!c.is_object()) continue;
    auto& env = c.as_object()["env"];
    if (!env.is_array()) env = boost::json::array();
    bool present = std::any_of(env.as_array().begin(), env.as_array().end(), [](const boost::json::value& e) {
      return base::GetString(e, {"name"}) == "JOB_COMPLETION_INDEX";
    });
    if (present) continue;
    env.as_array().push_back(boost::json::object{
        {"name", "JOB_COMPLETION_INDEX"},
        {"valueFrom",
         {{"fieldRef",
           {{"fieldPath", absl::StrCat("metadata.annotations['", kJobCompletionIndexAnnotation, "']")}}}}}});
  }
}

// A pod from the Job's template; `index` >= 0 for Indexed Jobs.
boost::json::value MakePod(const boost::json::value& job, int64_t index) {
  boost::json::object meta;
  std::string prefix = api::Name(job) + "-" + (index >= 0 ? absl::StrCat(index, "-") : "");
  if (prefix.size() > 58) prefix.resize(58);
  meta["generateName"] = prefix;
  meta["namespace"] = api::Namespace(job);
  const boost::json::value* tmeta = base::FindPath(job, {"spec", "template", "metadata"});
  if (tmeta != nullptr && tmeta->is_object()) {
    for (const char* field : {"labels", "annotations"}) {
      if (const boost::json::value* v = tmeta->get_object().if_contains(field); v && v->is_object())
        meta[field] = *v;
    }
  }
  boost::json::array finalizers{boost::json::value(kJobTrackingFinalizer)};
  if (tmeta != nullptr && tmeta->is_object()) {
    if (const boost::json::value* f = tmeta->get_object().if_contains("finalizers"); f && f->is_array()) {
      for (const auto& v : f->get_array()) finalizers.push_back(v);
    }
  }
  meta["finalizers"] = std::move(finalizers);
  meta["ownerReferences"] = boost::json::array{MakeControllerRef(job, "batch/v1", "Job")};
  const boost::json::value* tspec = base::FindPath(job, {"spec", "template", "spec"});
  boost::json::value spec = tspec != nullptr && tspec->is_object() ? *tspec : boost::json::object();
  if (index >= 0) {
    std::string text = std::to_string(index);
    auto& annotations = meta["annotations"];
    if (!annotations.is_object()) annotations = boost::json::object();
    annotations.as_object()[kJobCompletionIndexAnnotation] = text;
    auto& labels = meta["labels"];
    if (!labels.is_object()) labels = boost::json::object();
    labels.as_object()[kJobCompletionIndexAnnotation] = text;
    spec.as_object()["hostname"] = absl::StrCat(api::Name(job), "-", index);
    AddIndexEnv(spec, "containers");
    AddIndexEnv(spec, "initContainers");
  }
  return boost::json::object{
      {"apiVersion", "v1"}, {"kind", "Pod"}, {"metadata", std::move(meta)}, {"spec", std::move(spec)}};
}

// Newest first (deleted first when there are too many).
void SortNewestFirst(std::vector<client::Object>& pods) {
  std::sort(pods.begin(), pods.end(), [](const client::Object& a, const client::Object& b) {
    absl::Time ta = TimeAt(*a, {"metadata", "creationTimestamp"});
    absl::Time tb = TimeAt(*b, {"metadata", "creationTimestamp"});
    if (ta != tb) return ta > tb;
    return api::Name(*a) > api::Name(*b);
  });
}

}  // namespace

std::set<int64_t> ParseIndexes(const std::string& text) {
  std::set<int64_t> out;
  for (absl::string_view part : absl::StrSplit(text, ',', absl::SkipEmpty())) {
    std::vector<absl::string_view> range = absl::StrSplit(part, '-');
    int64_t lo = 0, hi = 0;
    if (range.size() == 1 && absl::SimpleAtoi(range[0], &lo)) {
      out.insert(lo);
    } else if (range.size() == 2 && absl::SimpleAtoi(range[0], &lo) && absl::SimpleAtoi(range[1], &hi) &&
               lo <= hi && hi - lo < 1000000) {
      for (int64_t i = lo; i <= hi; ++i) out.insert(i);
    }
  }
  return out;
}

std::string FormatIndexes(const std::set<int64_t>& indexes) {
  std::string out;
  for (auto it = indexes.begin(); it != indexes.end();) {
    int64_t lo = *it, hi = *it;
    for (++it; it != indexes.end() && *it == hi + 1; ++it) hi = *it;
    if (!out.empty()) out += ",";
    out += lo == hi ? std::to_string(lo) : absl::StrCat(lo, "-", hi);
  }
  return out;
}

JobReconciler::JobReconciler(client::Client* client, const ObjectCache* jobs, const ObjectCache* pods,
                             Options options)
    : client_(client),
      jobs_(jobs),
      pods_(pods),
      clock_(options.clock != nullptr ? options.clock : &base::RealClock()),
      expectations_(clock_) {}

std::string JobReconciler::OwnerJobKey(const boost::json::value& pod) const {
  const boost::json::value* ref = api::ControllerRef(pod);
  if (ref == nullptr || base::GetString(*ref, {"kind"}) != "Job") return "";
  return client::MakeKey(api::Namespace(pod), std::string(ref->at("name").as_string()));
}

std::vector<std::string> JobReconciler::OnPodAdded(const boost::json::value& pod) {
  return expectations_.PodAdded(OwnerJobKey(pod), pod);
}

std::vector<std::string> JobReconciler::OnPodUpdated(const boost::json::value& old_pod,
                                                     const boost::json::value& pod) {
  return expectations_.PodUpdated(OwnerJobKey(old_pod), OwnerJobKey(pod), pod);
}

std::vector<std::string> JobReconciler::OnPodDeleted(const boost::json::value& pod) {
  return expectations_.PodDeleted(OwnerJobKey(pod), pod);
}

namespace {
// A controller ref naming a batch Job (any version of the group).
bool IsJobRef(const boost::json::value& ref) {
  return base::GetString(ref, {"kind"}) == "Job" &&
         base::GetString(ref, {"apiVersion"}).rfind("batch/", 0) == 0;
}
bool JobFinished(const boost::json::value& job) {
  return api::IsConditionTrue(job, "Complete") || api::IsConditionTrue(job, "Failed");
}
}  // namespace

client::Object JobReconciler::ResolveJob(const boost::json::value& pod) const {
  const boost::json::value* ref = api::ControllerRef(pod);
  if (ref == nullptr || !IsJobRef(*ref)) return nullptr;
  client::Object job = jobs_->Get(client::MakeKey(api::Namespace(pod), base::GetString(*ref, {"name"})));
  if (job == nullptr || api::Uid(*job) != base::GetString(*ref, {"uid"})) return nullptr;
  return job;
}

bool JobReconciler::IsOrphanWithFinalizer(const boost::json::value& pod) const {
  if (!api::HasFinalizer(pod, kJobTrackingFinalizer)) return false;
  const boost::json::value* ref = api::ControllerRef(pod);
  if (ref != nullptr && !IsJobRef(*ref)) return false;  // someone else's pod: not ours to touch
  return ResolveJob(pod) == nullptr;
}

std::vector<std::string> JobReconciler::OnJobDeleted(const boost::json::value& job) const {
  std::vector<std::string> keys;
  for (const client::Object& pod : pods_->ByIndex(kControllerUidIndex, api::Uid(job))) {
    if (api::HasFinalizer(*pod, kJobTrackingFinalizer)) keys.push_back(client::KeyOf(*pod));
  }
  return keys;
}

client::ReconcileResult JobReconciler::SyncOrphanPod(const std::string& pod_key) {
  client::Object pod = pods_->Get(pod_key);
  if (pod == nullptr || !api::HasFinalizer(*pod, kJobTrackingFinalizer)) return {};
  if (const boost::json::value* ref = api::ControllerRef(*pod)) {
    if (!IsJobRef(*ref)) return {};
    client::Object job = ResolveJob(*pod);
    if (job == nullptr) {
      // Not in the cache: make sure the Job is really gone before releasing its pod.
      auto fresh = client_->Get(JobsResource(), api::Namespace(*pod), base::GetString(*ref, {"name"}));
      if (fresh.ok() && api::Uid(**fresh) == base::GetString(*ref, {"uid"})) {
        job = *fresh;
      } else if (!fresh.ok() && !absl::IsNotFound(fresh.status())) {
        return {fresh.status(), std::nullopt};
      }
    }
    if (job != nullptr && !JobFinished(*job)) return {};  // the Job's own sync accounts for it
  }
  return {RemoveFinalizer(*pod), std::nullopt};
}

absl::Status JobReconciler::RemoveFinalizer(const boost::json::value& pod) {
  boost::json::array kept;
  const boost::json::value* list = base::FindPath(pod, {"metadata", "finalizers"});
  if (list != nullptr && list->is_array()) {
    for (const auto& f : list->get_array()) {
      if (!(f.is_string() && f.get_string() == kJobTrackingFinalizer)) kept.push_back(f);
    }
  }
  boost::json::object patch{
      {"metadata",
       {{"finalizers", kept.empty() ? boost::json::value(nullptr) : boost::json::value(std::move(kept))},
        {"resourceVersion", api::ResourceVersion(pod)}}}};
  auto result =
      client_->Patch(PodsResource(), api::Namespace(pod), api::Name(pod), client::PatchType::kMerge, patch);
  if (result.ok() || absl::IsNotFound(result.status())) return absl::OkStatus();
  return result.status();
}

absl::Status JobReconciler::RemoveFinalizers(const std::vector<client::Object>& pods) {
  for (const auto& pod : pods) {
    if (!api::HasFinalizer(*pod, kJobTrackingFinalizer)) continue;
    if (absl::Status s = RemoveFinalizer(*pod); !s.ok()) return s;
  }
  return absl::OkStatus();
}

absl::Status JobReconciler::CreatePods(const boost::json::value& job, const std::string& key,
                                       const std::vector<int64_t>& indexes, int count) {
  if (count <= 0) return absl::OkStatus();
  expectations_.ExpectCreations(key, count);
  for (int i = 0; i < count; ++i) {
    int64_t index = i < static_cast<int>(indexes.size()) ? indexes[i] : -1;
    auto made = client_->Create(PodsResource(), api::Namespace(job), MakePod(job, index));
    if (!made.ok()) {
      for (int j = i; j < count; ++j) expectations_.CreationObserved(key);
      return made.status();
    }
  }
  return absl::OkStatus();
}

absl::Status JobReconciler::DeletePods(const std::string& key, const std::vector<client::Object>& pods) {
  if (pods.empty()) return absl::OkStatus();
  std::set<std::string> keys;
  for (const auto& p : pods) keys.insert(client::KeyOf(*p));
  expectations_.ExpectDeletions(key, keys);
  absl::Status error;
  for (const auto& p : pods) {
    client::DeleteOptions options;
    options.precondition_uid = api::Uid(*p);
    absl::Status s = client_->Delete(PodsResource(), api::Namespace(*p), api::Name(*p), options);
    if (!s.ok()) {
      expectations_.DeletionObserved(key, client::KeyOf(*p));
      if (!absl::IsNotFound(s) && error.ok()) error = s;
    }
  }
  return error;
}

namespace {
int64_t ResourceVersionOf(const boost::json::value& obj) {
  int64_t rv = 0;
  if (!absl::SimpleAtoi(api::ResourceVersion(obj), &rv)) return 0;
  return rv;
}
}  // namespace

void JobReconciler::NoteWritten(const std::string& key, const client::Object& job) {
  std::lock_guard<std::mutex> lock(mu_);
  written_rv_[key] = ResourceVersionOf(*job);
}

bool JobReconciler::CacheBehind(const std::string& key, const boost::json::value& job) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = written_rv_.find(key);
  if (it == written_rv_.end()) return false;
  int64_t rv = ResourceVersionOf(job);
  if (rv == 0 || rv >= it->second) {
    written_rv_.erase(it);
    return false;
  }
  return true;
}

absl::Status JobReconciler::WriteStatus(const boost::json::value& job, const boost::json::object& status) {
  const boost::json::value* old = base::Find(job, "status");
  if (old != nullptr && *old == boost::json::value(status)) return absl::OkStatus();
  boost::json::value next = job;
  next.as_object()["status"] = status;
  auto written = client_->Update(JobsResource(), api::Namespace(job), std::move(next), "status");
  if (!written.ok()) return written.status();
  NoteWritten(client::KeyOf(job), *written);
  return absl::OkStatus();
}

client::ReconcileResult JobReconciler::Finished(const boost::json::value& job,
                                                const std::vector<client::Object>& pods) {
  if (absl::Status s = RemoveFinalizers(pods); !s.ok()) return {s, std::nullopt};
  const boost::json::value* ttl = base::FindPath(job, {"spec", "ttlSecondsAfterFinished"});
  if (ttl == nullptr || !ttl->is_int64()) return {};
  absl::Time finished = TimeAt(job, {"status", "completionTime"});
  if (finished == absl::InfinitePast()) {
    const boost::json::value* status = base::Find(job, "status");
    for (const char* type : {"Complete", "Failed"}) {
      const boost::json::object* c = status ? FindCondition(*status, type) : nullptr;
      if (c != nullptr) finished = TimeAt(boost::json::value(*c), {"lastTransitionTime"});
    }
  }
  if (finished == absl::InfinitePast()) finished = clock_->Now();
  absl::Time expire = finished + absl::Seconds(ttl->as_int64());
  absl::Time now = clock_->Now();
  if (now < expire) return {absl::OkStatus(), expire - now};
  client::DeleteOptions options;
  options.propagation_policy = "Background";
  options.precondition_uid = api::Uid(job);
  absl::Status s = client_->Delete(JobsResource(), api::Namespace(job), api::Name(job), options);
  if (absl::IsNotFound(s)) s = absl::OkStatus();
  return {s, std::nullopt};
}

client::ReconcileResult JobReconciler::Reconcile(const std::string& key) {
  client::Object cached = jobs_->Get(key);
  if (cached == nullptr) {
    expectations_.Delete(key);
    std::lock_guard<std::mutex> lock(mu_);
    written_rv_.erase(key);
    return {};
  }
  const boost::json::value& job = *cached;
  if (CacheBehind(key, job)) return {};  // the informer's update event re-queues the key
  std::vector<client::Object> pods = pods_->ByIndex(kControllerUidIndex, api::Uid(job));
  if (api::IsBeingDeleted(job)) return {RemoveFinalizers(pods), std::nullopt};
  if (JobFinished(job)) return Finished(job, pods);

  absl::Time now = clock_->Now();
  const boost::json::value* old_status = base::Find(job, "status");
  boost::json::object status =
      old_status != nullptr && old_status->is_object() ? old_status->get_object() : boost::json::object();
  const boost::json::value status_value = status;
  bool indexed = base::GetString(job, {"spec", "completionMode"}) == "Indexed";
  const boost::json::value* completions_field = base::FindPath(job, {"spec", "completions"});
  std::optional<int64_t> completions;
  if (completions_field != nullptr && completions_field->is_int64())
    completions = completions_field->as_int64();
  int64_t parallelism = IntAt(job, {"spec", "parallelism"}, 1);
  int64_t backoff_limit = IntAt(job, {"spec", "backoffLimit"}, 6);
  bool suspend = base::GetBool(job, {"spec", "suspend"});

  // 1. Record newly terminated pods as uncounted (persisted before their finalizers go).
  std::set<std::string> uncounted_ok = UidSet(status_value, "succeeded");
  std::set<std::string> uncounted_failed = UidSet(status_value, "failed");
  std::set<int64_t> completed = ParseIndexes(base::GetString(status_value, {"completedIndexes"}));
  bool recorded = false;
  for (const auto& pod : pods) {
    if (!api::HasFinalizer(*pod, kJobTrackingFinalizer)) continue;
    std::string uid = api::Uid(*pod);
    if (uncounted_ok.count(uid) || uncounted_failed.count(uid)) continue;
    std::string phase = api::PodPhase(*pod);
    if (phase == "Succeeded") {
      uncounted_ok.insert(uid);
      int64_t index = PodIndex(*pod);
      if (indexed && index >= 0 && (!completions || index < *completions)) completed.insert(index);
      recorded = true;
    } else if (phase == "Failed" || api::IsBeingDeleted(*pod)) {
      uncounted_failed.insert(uid);
      recorded = true;
    }
  }
  auto set_uncounted = [&] {
    status["uncountedTerminatedPods"] =
        boost::json::object{{"succeeded", ToArray(uncounted_ok)}, {"failed", ToArray(uncounted_failed)}};
    if (indexed) status["completedIndexes"] = FormatIndexes(completed);
  };
  client::Object latest = cached;  // the Job as last written (its resourceVersion guards the next write)
  if (recorded) {
    set_uncounted();
    boost::json::value next = job;
    next.as_object()["status"] = status;
    auto written = client_->Update(JobsResource(), api::Namespace(job), std::move(next), "status");
    if (!written.ok()) return {written.status(), std::nullopt};
    latest = *written;
    NoteWritten(key, latest);
  }
  const boost::json::value& current = *latest;

  // 2. Remove the finalizers of uncounted pods; fold those done into the counters.
  int64_t succeeded = IntAt(status_value, {"succeeded"}, 0);
  int64_t failed = IntAt(status_value, {"failed"}, 0);
  absl::Status finalizer_error;
  auto fold = [&](std::set<std::string>& uids, int64_t& counter) {
    for (auto it = uids.begin(); it != uids.end();) {
      auto pod = std::find_if(pods.begin(), pods.end(),
                              [&](const client::Object& p) { return api::Uid(*p) == *it; });
      if (pod != pods.end() && api::HasFinalizer(**pod, kJobTrackingFinalizer)) {
        if (absl::Status s = RemoveFinalizer(**pod); !s.ok()) {
          if (finalizer_error.ok()) finalizer_error = s;
          ++it;
          continue;
        }
      }
      ++counter;
      it = uids.erase(it);
    }
  };
  fold(uncounted_ok, succeeded);
  fold(uncounted_failed, failed);
  set_uncounted();
  status["succeeded"] = succeeded;
  status["failed"] = failed;

  // 3. Decide: failed, succeeded, or keep running pods.
  std::vector<client::Object> active;
  for (const auto& pod : pods) {
    if (IsPodActive(*pod)) active.push_back(pod);
  }
  if (!suspend && !status.contains("startTime")) status["startTime"] = base::FormatRfc3339(now);
  absl::Time start = TimeAt(boost::json::value(status), {"startTime"});
  const boost::json::value* deadline = base::FindPath(job, {"spec", "activeDeadlineSeconds"});
  std::optional<absl::Duration> requeue;
  std::string fail_reason, fail_message;
  const boost::json::value status_now = status;
  const boost::json::object* target = FindCondition(status_now, "FailureTarget");
  if (target != nullptr) {
    fail_reason = base::GetString(boost::json::value(*target), {"reason"});
    fail_message = base::GetString(boost::json::value(*target), {"message"});
  } else if (failed > backoff_limit) {
    fail_reason = "BackoffLimitExceeded";
    fail_message = "Job has reached the specified backoff limit";
  } else if (deadline != nullptr && deadline->is_int64() && !suspend && start != absl::InfinitePast()) {
    absl::Time end = start + absl::Seconds(deadline->as_int64());
    if (now >= end) {
      fail_reason = "DeadlineExceeded";
      fail_message = "Job was active longer than specified deadline";
    } else {
      requeue = end - now;
    }
  }
  bool success = FindCondition(status_now, "SuccessCriteriaMet") != nullptr;
  if (!success && fail_reason.empty()) {
    if (indexed) {
      success = completions && static_cast<int64_t>(completed.size()) >= *completions;
    } else if (completions) {
      success = succeeded >= *completions;
    } else {
      success = succeeded > 0 && active.empty();
    }
  }
  bool uncounted_left = !uncounted_ok.empty() || !uncounted_failed.empty();
  absl::Status manage_error;
  int64_t active_delta = 0;  // pods created minus deleted by this sync
  if (!fail_reason.empty() || success) {
    if (!fail_reason.empty()) {
      SetCondition(status, Condition("FailureTarget", fail_reason, fail_message, now));
    } else {
      SetCondition(status, Condition("SuccessCriteriaMet", "CompletionsReached",
                                     "Reached expected number of succeeded pods", now));
    }
    manage_error = DeletePods(key, active);
    if (active.empty() && !uncounted_left) {
      if (!fail_reason.empty()) {
        SetCondition(status, Condition("Failed", fail_reason, fail_message, now));
      } else {
        SetCondition(status, Condition("Complete", "CompletionsReached",
                                       "Reached expected number of succeeded pods", now));
        status["completionTime"] = base::FormatRfc3339(now);
      }
      active.clear();
    }
  } else if (suspend) {
    manage_error = DeletePods(key, active);
    SetCondition(status, Condition("Suspended", "JobSuspended", "Job suspended", now));
  } else {
    RemoveCondition(status, "Suspended");
    if (expectations_.Satisfied(key)) {
      if (indexed) {
        int64_t n = completions.value_or(0);
        std::set<int64_t> running;
        std::vector<client::Object> extra;
        for (const auto& pod : active) {
          int64_t index = PodIndex(*pod);
          if (index < 0 || index >= n || completed.count(index) || !running.insert(index).second)
            extra.push_back(pod);
        }
        int64_t room = parallelism - static_cast<int64_t>(running.size());
        std::vector<int64_t> todo;
        for (int64_t i = 0; i < n && static_cast<int64_t>(todo.size()) < room; ++i) {
          if (!completed.count(i) && !running.count(i)) todo.push_back(i);
        }
        manage_error = DeletePods(key, extra);
        if (manage_error.ok()) manage_error = CreatePods(job, key, todo, static_cast<int>(todo.size()));
        if (manage_error.ok())
          active_delta = static_cast<int64_t>(todo.size()) - static_cast<int64_t>(extra.size());
      } else {
        int64_t want = parallelism;
        if (completions) want = std::min(parallelism, *completions - succeeded);
        if (!completions && succeeded > 0) want = std::min<int64_t>(parallelism, active.size());
        want = std::max<int64_t>(want, 0);
        int64_t have = active.size();
        if (have < want) {
          manage_error = CreatePods(job, key, {}, static_cast<int>(want - have));
          if (manage_error.ok()) active_delta = want - have;
        } else if (have > want) {
          SortNewestFirst(active);
          manage_error =
              DeletePods(key, std::vector<client::Object>(active.begin(), active.begin() + (have - want)));
          if (manage_error.ok()) active_delta = want - have;
        }
      }
    }
  }
  int64_t ready = 0;
  for (const auto& pod : active) ready += api::IsPodReady(*pod) ? 1 : 0;
  status["active"] = static_cast<int64_t>(active.size()) + active_delta;
  status["ready"] = ready;
  if (absl::Status s = WriteStatus(current, status); !s.ok()) return {s, std::nullopt};
  if (!finalizer_error.ok()) return {finalizer_error, std::nullopt};
  if (!manage_error.ok()) return {manage_error, std::nullopt};
  return {absl::OkStatus(), requeue};
}

}  // namespace skiff::controllers
