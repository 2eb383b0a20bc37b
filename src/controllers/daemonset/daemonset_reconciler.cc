#include "controllers/daemonset/daemonset_reconciler.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <set>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "api/object_meta.h"
#include "api/pod_util.h"
#include "api/resources.h"
#include "base/json.h"
#include "controllers/daemonset/daemon_util.h"
#include "controllers/workload/workload_util.h"

namespace skiff::controllers {
namespace {

const api::ResourceInfo& PodsResource() { return *api::FindResource("", "v1", "pods"); }
const api::ResourceInfo& DaemonSetsResource() { return *api::FindResource("apps", "v1", "daemonsets"); }
const api::ResourceInfo& RevisionsResource() {
  return *api::FindResource("apps", "v1", "controllerrevisions");
}

// An IntOrString against `total`, percentages rounded up (k8s GetScaledValueFromIntOrPercent).
int64_t Scaled(const boost::json::value* v, int64_t total, int64_t fallback) {
  if (v == nullptr || v->is_null()) return fallback;
  if (v->is_int64()) return v->as_int64();
  if (v->is_string()) {
    std::string text(v->get_string());
    int64_t percent = 0;
    if (!text.empty() && text.back() == '%' && absl::SimpleAtoi(text.substr(0, text.size() - 1), &percent))
      return static_cast<int64_t>(std::ceil(static_cast<double>(percent) * total / 100.0));
    if (absl::SimpleAtoi(text, &percent)) return percent;
  }
  return fallback;
}

struct NodePods {
  std::vector<client::Object> current;  // active, current template
  std::vector<client::Object> old;      // active, older template
};

void OldestFirst(std::vector<client::Object>& pods) {
  std::sort(pods.begin(), pods.end(), [](const client::Object& a, const client::Object& b) {
    absl::Time ta = TimeAt(*a, {"metadata", "creationTimestamp"}),
               tb = TimeAt(*b, {"metadata", "creationTimestamp"});
    return ta != tb ? ta < tb : api::Name(*a) < api::Name(*b);
  });
}

}  // namespace

DaemonSetReconciler::DaemonSetReconciler(client::Client* client, const ObjectCache* daemonsets,
                                         const ObjectCache* pods, const ObjectCache* nodes,
                                         const ObjectCache* revisions, Options options)
    : client_(client),
      daemonsets_(daemonsets),
      pods_(pods),
      nodes_(nodes),
      revisions_(revisions),
      clock_(options.clock != nullptr ? options.clock : &base::RealClock()),
      expectations_(clock_) {}

std::string DaemonSetReconciler::OwnerKey(const boost::json::value& pod) const {
  const boost::json::value* ref = api::ControllerRef(pod);
  if (ref == nullptr || base::GetString(boost::json::value(*ref), {"kind"}) != "DaemonSet") return "";
  return client::MakeKey(api::Namespace(pod), base::GetString(boost::json::value(*ref), {"name"}));
}

std::vector<std::string> DaemonSetReconciler::OnPodAdded(const boost::json::value& pod) {
  return expectations_.PodAdded(OwnerKey(pod), pod);
}

std::vector<std::string> DaemonSetReconciler::OnPodUpdated(const boost::json::value& old_pod,
                                                           const boost::json::value& pod) {
  return expectations_.PodUpdated(OwnerKey(old_pod), OwnerKey(pod), pod);
}

std::vector<std::string> DaemonSetReconciler::OnPodDeleted(const boost::json::value& pod) {
  return expectations_.PodDeleted(OwnerKey(pod), pod);
}

absl::Status DaemonSetReconciler::SyncRevisions(const boost::json::value& ds, const std::string& hash,
                                                const std::vector<client::Object>& pods) {
  std::vector<client::Object> revisions = revisions_->ByIndex(kControllerUidIndex, api::Uid(ds));
  int64_t max_revision = 0;
  client::Object current;
  for (const auto& r : revisions) {
    max_revision = std::max(max_revision, base::GetInt(*r, {"revision"}, 0));
    if (api::Label(*r, kControllerRevisionHashLabel) == hash) current = r;
  }
  if (current == nullptr) {
    boost::json::object meta{
        {"name", absl::StrCat(api::Name(ds), "-", hash)},
        {"namespace", api::Namespace(ds)},
        {"labels", boost::json::object{{kControllerRevisionHashLabel, hash}}},
        {"ownerReferences", boost::json::array{MakeControllerRef(ds, "apps/v1", "DaemonSet")}}};
    const boost::json::value* tmpl = base::FindPath(ds, {"spec", "template"});
    boost::json::object data{{"spec", boost::json::object{{"template", tmpl ? *tmpl : boost::json::object()},
                                                          {"$patch", "replace"}}}};
    boost::json::object rev{{"apiVersion", "apps/v1"},
                            {"kind", "ControllerRevision"},
                            {"metadata", std::move(meta)},
                            {"data", std::move(data)},
                            {"revision", max_revision + 1}};
    auto made = client_->Create(RevisionsResource(), api::Namespace(ds), std::move(rev));
    if (!made.ok() && !IsAlreadyExistsError(made.status())) return made.status();
  } else if (base::GetInt(*current, {"revision"}, 0) < max_revision) {
    // Rolled back to an older template: it becomes the newest revision.
    boost::json::object patch{{"revision", max_revision + 1}};
    auto patched = client_->Patch(RevisionsResource(), api::Namespace(ds), api::Name(*current),
                                  client::PatchType::kMerge, patch);
    if (!patched.ok()) return patched.status();
  }
  // History: keep the newest revisionHistoryLimit revisions not in use.
  int64_t limit = IntAt(ds, {"spec", "revisionHistoryLimit"}, 10);
  std::set<std::string> live{hash};
  for (const auto& p : pods) live.insert(api::Label(*p, kControllerRevisionHashLabel));
  std::vector<client::Object> unused;
  for (const auto& r : revisions) {
    if (!live.count(api::Label(*r, kControllerRevisionHashLabel))) unused.push_back(r);
  }
  std::sort(unused.begin(), unused.end(), [](const client::Object& a, const client::Object& b) {
    return base::GetInt(*a, {"revision"}, 0) < base::GetInt(*b, {"revision"}, 0);
  });
  for (size_t i = 0; static_cast<int64_t>(unused.size() - i) > limit; ++i) {
    absl::Status s = client_->Delete(RevisionsResource(), api::Namespace(*unused[i]), api::Name(*unused[i]));
    if (!s.ok() && !absl::IsNotFound(s)) return s;
  }
  return absl::OkStatus();
}

client::ReconcileResult DaemonSetReconciler::Reconcile(const std::string& key) {
  client::Object cached = daemonsets_->Get(key);
  if (cached == nullptr) {
    expectations_.Delete(key);
    return {};
  }
  const boost::json::value& ds = *cached;
  if (api::IsBeingDeleted(ds)) return {};
  absl::Time now = clock_->Now();
  std::string hash = TemplateHash(ds);
  std::vector<client::Object> all_pods = pods_->ByIndex(kControllerUidIndex, api::Uid(ds));
  if (absl::Status s = SyncRevisions(ds, hash, all_pods); !s.ok()) return {s, std::nullopt};

  const boost::json::value* tspec = base::FindPath(ds, {"spec", "template", "spec"});
  boost::json::value template_spec = tspec != nullptr ? *tspec : boost::json::object();
  int64_t min_ready = IntAt(ds, {"spec", "minReadySeconds"}, 0);

  std::map<std::string, NodePods> by_node;
  std::vector<client::Object> to_delete;
  for (const auto& pod : all_pods) {
    if (api::IsBeingDeleted(*pod)) continue;
    std::string phase = api::PodPhase(*pod);
    if (phase == "Failed") {
      to_delete.push_back(pod);  // replaced by a new pod (k8s does the same)
      continue;
    }
    if (phase == "Succeeded") continue;
    auto& slot = by_node[DaemonPodNode(*pod)];
    if (api::Label(*pod, kControllerRevisionHashLabel) == hash) {
      slot.current.push_back(pod);
    } else {
      slot.old.push_back(pod);
    }
  }

  std::vector<std::string> to_create;
  int64_t desired = 0, scheduled = 0, misscheduled = 0, ready = 0, available = 0, updated = 0;
  std::vector<std::string> eligible;
  std::set<std::string> node_names;
  for (const auto& node : nodes_->ByIndex(kNamespaceIndex, "")) {
    std::string name = api::Name(*node);
    node_names.insert(name);
    NodeFit fit = FitsNode(template_spec, *node);
    auto it = by_node.find(name);
    NodePods pods = it != by_node.end() ? it->second : NodePods{};
    size_t count = pods.current.size() + pods.old.size();
    if (fit.should_run) ++desired;
    if (count > 0 && fit.should_run) ++scheduled;
    if (count > 0 && !fit.should_run) ++misscheduled;
    if (!fit.should_continue) {
      for (const auto& p : pods.current) to_delete.push_back(p);
      for (const auto& p : pods.old) to_delete.push_back(p);
      continue;
    }
    if (!fit.should_run) continue;
    eligible.push_back(name);
    if (count == 0) {
      to_create.push_back(name);
      continue;
    }
    // Duplicates: keep the oldest current pod (or, with none, the oldest old pod).
    OldestFirst(pods.current);
    OldestFirst(pods.old);
    if (pods.current.size() > 1) {
      to_delete.insert(to_delete.end(), pods.current.begin() + 1, pods.current.end());
      pods.current.resize(1);
    }
    if (pods.old.size() > 1) {
      to_delete.insert(to_delete.end(), pods.old.begin() + 1, pods.old.end());
      pods.old.resize(1);
    }
    by_node[name] = pods;
    const client::Object& shown = !pods.current.empty() ? pods.current[0] : pods.old[0];
    if (api::IsPodReady(*shown)) ++ready;
    if (api::IsPodAvailable(*shown, min_ready, now)) ++available;
    if (!pods.current.empty()) ++updated;
  }
  // Pods on nodes that no longer exist.
  for (const auto& [node, pods] : by_node) {
    if (node.empty() || node_names.count(node)) continue;
    to_delete.insert(to_delete.end(), pods.current.begin(), pods.current.end());
    to_delete.insert(to_delete.end(), pods.old.begin(), pods.old.end());
  }

  // Rolling update over eligible nodes that run an old pod.
  std::string strategy = base::GetString(ds, {"spec", "updateStrategy", "type"}, "RollingUpdate");
  if (strategy == "RollingUpdate") {
    const boost::json::value* ru = base::FindPath(ds, {"spec", "updateStrategy", "rollingUpdate"});
    int64_t max_surge = Scaled(ru ? base::Find(*ru, "maxSurge") : nullptr, desired, 0);
    int64_t max_unavailable = Scaled(ru ? base::Find(*ru, "maxUnavailable") : nullptr, desired, 1);
    if (max_surge == 0 && max_unavailable == 0) max_unavailable = 1;
    if (max_surge == 0) {
      int64_t unavailable = 0;
      for (const std::string& name : eligible) {
        const NodePods& p = by_node[name];
        const client::Object& pod = !p.current.empty() ? p.current[0] : p.old.empty() ? nullptr : p.old[0];
        if (pod == nullptr || !api::IsPodAvailable(*pod, min_ready, now)) ++unavailable;
      }
      for (const std::string& name : eligible) {
        const NodePods& p = by_node[name];
        if (p.old.empty()) continue;
        if (!p.current.empty()) {
          to_delete.push_back(p.old[0]);  // a new pod already runs here
        } else if (!api::IsPodAvailable(*p.old[0], min_ready, now)) {
          to_delete.push_back(p.old[0]);  // already unavailable: replacing costs nothing
        } else if (unavailable < max_unavailable) {
          to_delete.push_back(p.old[0]);
          ++unavailable;
        }
      }
    } else {
      int64_t surging = 0;
      for (const std::string& name : eligible) {
        const NodePods& p = by_node[name];
        if (!p.old.empty() && !p.current.empty() && !api::IsPodAvailable(*p.current[0], min_ready, now))
          ++surging;
      }
      for (const std::string& name : eligible) {
        const NodePods& p = by_node[name];
        if (p.old.empty()) continue;
        if (!p.current.empty()) {
          if (api::IsPodAvailable(*p.current[0], min_ready, now)) to_delete.push_back(p.old[0]);
        } else if (!api::IsPodAvailable(*p.old[0], min_ready, now) || surging < max_surge) {
          to_create.push_back(name);
          if (api::IsPodAvailable(*p.old[0], min_ready, now)) ++surging;
        }
      }
    }
  }

  absl::Status error;
  if (expectations_.Satisfied(key)) {
    std::set<std::string> doomed;
    for (const auto& p : to_delete) doomed.insert(client::KeyOf(*p));
    if (!doomed.empty()) expectations_.ExpectDeletions(key, doomed);
    std::set<std::string> done;
    for (const auto& p : to_delete) {
      if (!done.insert(api::Uid(*p)).second) continue;
      client::DeleteOptions options;
      options.precondition_uid = api::Uid(*p);
      absl::Status s = client_->Delete(PodsResource(), api::Namespace(*p), api::Name(*p), options);
      if (!s.ok()) {
        expectations_.DeletionObserved(key, client::KeyOf(*p));
        if (!absl::IsNotFound(s) && error.ok()) error = s;
      }
    }
    if (!to_create.empty()) {
      // Creations and deletions share one record: count creations after deletions are observed.
      if (doomed.empty()) expectations_.ExpectCreations(key, static_cast<int>(to_create.size()));
      for (size_t i = 0; i < to_create.size(); ++i) {
        auto made =
            client_->Create(PodsResource(), api::Namespace(ds), MakeDaemonPod(ds, to_create[i], hash));
        if (!made.ok()) {
          if (doomed.empty()) {
            for (size_t j = i; j < to_create.size(); ++j) expectations_.CreationObserved(key);
          }
          if (error.ok()) error = made.status();
          break;
        }
      }
    }
  }

  boost::json::object status;
  const boost::json::value* old_status = base::Find(ds, "status");
  if (old_status != nullptr && old_status->is_object()) status = old_status->get_object();
  status["desiredNumberScheduled"] = desired;
  status["currentNumberScheduled"] = scheduled;
  status["numberMisscheduled"] = misscheduled;
  status["numberReady"] = ready;
  status["numberAvailable"] = available;
  status["numberUnavailable"] = std::max<int64_t>(desired - available, 0);
  status["updatedNumberScheduled"] = updated;
  status["observedGeneration"] = base::GetInt(ds, {"metadata", "generation"}, 0);
  if (old_status == nullptr || *old_status != boost::json::value(status)) {
    boost::json::value next = ds;
    next.as_object()["status"] = std::move(status);
    auto written = client_->Update(DaemonSetsResource(), api::Namespace(ds), std::move(next), "status");
    if (!written.ok() && error.ok()) error = written.status();
  }
  if (!error.ok()) return {error, std::nullopt};
  // Availability changes with time alone when minReadySeconds is set.
  if (min_ready > 0 && available < desired) return {absl::OkStatus(), absl::Seconds(1)};
  return {};
}

}  // namespace skiff::controllers
