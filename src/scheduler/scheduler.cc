#include "scheduler/scheduler.h"

#include <set>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "api/object_meta.h"
#include "api/pod_util.h"
#include "base/json.h"
#include "client/event_recorder.h"
#include "client/informer.h"
#include "scheduler/preemption.h"
#include "spdlog/spdlog.h"

namespace skiff::scheduler {
namespace {

namespace json = boost::json;

const api::ResourceInfo& Pods() { return client::Resource("", "v1", "pods"); }

// How long a pod waits for its WaitForFirstConsumer claims to be bound before it is bound itself
// and goes back to the queue (kube-scheduler's bindTimeoutSeconds is 600). A local-path volume
// takes well under a second; the wait holds one of the writer threads, so it stays short.
constexpr absl::Duration kVolumeBindTimeout = absl::Seconds(30);

// Whether the parts of a node that filters read changed (status heartbeats do not count).
bool NodeSchedulingChanged(const json::value& a, const json::value& b) {
  auto part = [](const json::value& v, std::initializer_list<std::string_view> path) {
    const json::value* p = base::FindPath(v, path);
    return p != nullptr ? *p : json::value();
  };
  return part(a, {"metadata", "labels"}) != part(b, {"metadata", "labels"}) ||
         part(a, {"spec", "taints"}) != part(b, {"spec", "taints"}) ||
         part(a, {"spec", "unschedulable"}) != part(b, {"spec", "unschedulable"}) ||
         part(a, {"status", "allocatable"}) != part(b, {"status", "allocatable"});
}

// Whether anything but status and bookkeeping metadata differs (our own status writes must not
// make an unschedulable pod retry).
bool SpecOrLabelsChanged(const json::value& a, const json::value& b) {
  auto strip = [](json::value v) {
    if (auto* o = v.if_object()) {
      o->erase("status");
      if (auto* m = o->if_contains("metadata"); m != nullptr && m->is_object()) {
        m->as_object().erase("resourceVersion");
        m->as_object().erase("managedFields");
      }
    }
    return v;
  };
  return strip(a) != strip(b);
}

// The pod's current PodScheduled=False condition message, if any.
std::string CurrentUnschedulableMessage(const json::value& pod) {
  const json::value* conds = base::FindPath(pod, {"status", "conditions"});
  if (conds == nullptr || !conds->is_array()) return "";
  for (const auto& c : conds->as_array()) {
    if (base::GetString(c, {"type"}) == "PodScheduled" && base::GetString(c, {"status"}) == "False") {
      return base::GetString(c, {"message"});
    }
  }
  return "";
}

}  // namespace

Scheduler::Scheduler(const client::ControllerContext& context, SchedulerOptions options)
    : context_(context),
      options_(std::move(options)),
      clock_(options_.clock != nullptr ? options_.clock : &base::RealClock()),
      queue_([&] {
        SchedulingQueue::Options q = options_.queue;
        if (q.clock == nullptr) q.clock = clock_;
        return q;
      }()),
      algorithm_(AlgorithmOptions{options_.percentage_of_nodes_to_score, options_.parallelism}),
      writer_(options_.write_threads) {}

Scheduler::~Scheduler() { Stop(); }

void Scheduler::Start() {
  if (context_.informers != nullptr) {
    auto& informers = *context_.informers;
    informers.For(client::Resource("scheduling.k8s.io", "v1", "priorityclasses"))
        .AddHandlers({[this](const client::Object& o) { OnPriorityClass(o, false); },
                      [this](const client::Object&, const client::Object& o) { OnPriorityClass(o, false); },
                      [this](const client::Object& o) { OnPriorityClass(o, true); }});
    informers.For(client::Resource("", "v1", "namespaces"))
        .AddHandlers({[this](const client::Object& o) { OnNamespace(o, false); },
                      [this](const client::Object&, const client::Object& o) { OnNamespace(o, false); },
                      [this](const client::Object& o) { OnNamespace(o, true); }});
    informers.For(client::Resource("", "v1", "nodes"))
        .AddHandlers({[this](const client::Object& o) { OnNodeAdd(o); },
                      [this](const client::Object& a, const client::Object& b) { OnNodeUpdate(a, b); },
                      [this](const client::Object& o) { OnNodeDelete(o); }});
    volume_binding_ = std::make_unique<VolumeBinding>(context_.informers);
    auto volume_event = [this](const client::Object&) { queue_.OnClusterEvent(ClusterEvent::kVolumeChange); };
    client::InformerHandlers volume_handlers{
        volume_event, [volume_event](const client::Object&, const client::Object& o) { volume_event(o); }, nullptr};
    for (client::Informer* informer :
         {&volume_binding_->claims(), &volume_binding_->volumes(), &volume_binding_->classes()}) {
      informer->AddHandlers(volume_handlers);
    }
    informers.For(Pods()).AddHandlers(
        {[this](const client::Object& o) { OnPodAdd(o); },
         [this](const client::Object& a, const client::Object& b) { OnPodUpdate(a, b); },
         [this](const client::Object& o) { OnPodDelete(o); }});
  }
  stopping_ = false;
  loop_ = std::thread([this] { Loop(); });
}

void Scheduler::Stop() {
  stopping_ = true;
  queue_.Close();
  if (loop_.joinable()) loop_.join();
}

void Scheduler::Loop() {
  if (context_.informers != nullptr) {
    // Scheduling against a half-listed cluster would write misleading "0/N nodes" statuses.
    while (!stopping_ && !context_.informers->WaitForSync(absl::Milliseconds(200))) {
    }
  }
  absl::Time last_cleanup = clock_->Now();
  while (!stopping_) {
    ScheduleOne(absl::Milliseconds(200));
    if (clock_->Now() - last_cleanup > absl::Seconds(5)) {
      last_cleanup = clock_->Now();
      cache_.CleanupExpiredAssumedPods(last_cleanup);
    }
  }
}

bool Scheduler::Responsible(const PodInfo& pod) const {
  return pod.node_name.empty() &&
         (pod.scheduler_name.empty() || pod.scheduler_name == options_.scheduler_name);
}

PodInfoPtr Scheduler::Parse(const client::Object& pod) {
  return MakePodInfo(pod, [this](const std::string& name) {
    std::lock_guard<std::mutex> lock(priorities_mu_);
    if (name.empty()) return default_priority_;
    auto it = class_priorities_.find(name);
    return it == class_priorities_.end() ? 0 : it->second;
  });
}

void Scheduler::OnPriorityClass(const client::Object& pc, bool deleted) {
  std::string name = api::Name(*pc);
  int32_t value = static_cast<int32_t>(base::GetInt(*pc, {"value"}));
  std::lock_guard<std::mutex> lock(priorities_mu_);
  if (deleted) {
    class_priorities_.erase(name);
    if (default_class_ == name) default_class_.clear(), default_priority_ = 0;
    return;
  }
  class_priorities_[name] = value;
  if (base::GetBool(*pc, {"globalDefault"})) {
    default_class_ = name;
    default_priority_ = value;
  } else if (default_class_ == name) {
    default_class_.clear();
    default_priority_ = 0;
  }
}

void Scheduler::OnNamespace(const client::Object& ns, bool deleted) {
  std::string name = api::Name(*ns);
  if (deleted) {
    cache_.RemoveNamespace(name);
    return;
  }
  const json::value* labels = api::Labels(*ns);
  cache_.SetNamespace(name, labels != nullptr ? *labels : json::value());
}

void Scheduler::OnNodeAdd(const client::Object& node) {
  cache_.AddOrUpdateNode(node);
  queue_.OnClusterEvent(ClusterEvent::kNodeAdd);
}

void Scheduler::OnNodeUpdate(const client::Object& old_node, const client::Object& node) {
  cache_.AddOrUpdateNode(node);
  if (old_node == nullptr || NodeSchedulingChanged(*old_node, *node))
    queue_.OnClusterEvent(ClusterEvent::kNodeUpdate);
}

void Scheduler::OnNodeDelete(const client::Object& node) { cache_.RemoveNode(api::Name(*node)); }

void Scheduler::OnPodAdd(const client::Object& pod) {
  PodInfoPtr info = Parse(pod);
  if (!info->node_name.empty()) {
    cache_.AddOrUpdatePod(info);
    queue_.OnClusterEvent(ClusterEvent::kAssignedPodAdd);
    return;
  }
  if (Responsible(*info) && !info->terminating) queue_.Add(std::move(info));
}

void Scheduler::OnPodUpdate(const client::Object& old_pod, const client::Object& pod) {
  PodInfoPtr info = Parse(pod);
  if (!info->node_name.empty()) {
    bool was_assigned = old_pod != nullptr && !api::NodeName(*old_pod).empty();
    // Only the phase matters here: no need to parse the whole old version.
    std::string old_phase = old_pod == nullptr ? "" : api::PodPhase(*old_pod);
    bool was_active = old_pod == nullptr || (old_phase != "Succeeded" && old_phase != "Failed");
    cache_.AddOrUpdatePod(info);
    if (!was_assigned) {
      queue_.Delete(info->key);  // bound (by us or someone else)
      queue_.OnClusterEvent(ClusterEvent::kAssignedPodAdd);
    } else if (was_active && !PodActive(*info)) {
      queue_.OnClusterEvent(ClusterEvent::kAssignedPodDelete);  // finished pods free their node
    } else if (api::Labels(*old_pod) == nullptr || *api::Labels(*old_pod) != info->labels) {
      queue_.OnClusterEvent(ClusterEvent::kAssignedPodUpdate);
    }
    return;
  }
  if (!Responsible(*info) || info->terminating) {
    queue_.Delete(info->key);
    return;
  }
  if (cache_.IsAssumed(info->key)) return;  // binding in flight: its confirmation is coming
  queue_.Update(std::move(info), old_pod == nullptr || SpecOrLabelsChanged(*old_pod, *pod));
}

void Scheduler::OnPodDelete(const client::Object& pod) {
  std::string key = client::KeyOf(*pod);
  queue_.Delete(key);
  bool assigned = !api::NodeName(*pod).empty() || cache_.IsAssumed(key);
  cache_.RemovePod(key);
  if (assigned) queue_.OnClusterEvent(ClusterEvent::kAssignedPodDelete);
}

bool Scheduler::ScheduleOne(absl::Duration wait) {
  QueuedPod queued;
  if (!queue_.Pop(&queued, wait)) return false;
  cache_.UpdateSnapshot(&snapshot_);
  PodInfoPtr candidate = queued.info;
  VolumeBinding::Decision volumes;
  if (volume_binding_ != nullptr) {
    volumes = volume_binding_->Check(*candidate);
    if (!volumes.unschedulable.empty()) {
      ScheduleResult result;
      result.message =
          absl::StrCat("0/", snapshot_.nodes.size(), " nodes are available: ", volumes.unschedulable, ".");
      HandleUnschedulable(std::move(queued), result, snapshot_);
      return true;
    }
    if (!volumes.constraints.empty()) {
      auto constrained = std::make_shared<PodInfo>(*candidate);
      constrained->volume_constraints = std::move(volumes.constraints);
      candidate = std::move(constrained);
    }
  }
  ScheduleResult result = algorithm_.Schedule(*candidate, snapshot_);
  if (result.node.empty()) {
    HandleUnschedulable(std::move(queued), result, snapshot_);
    return true;
  }
  auto assumed = std::make_shared<PodInfo>(*queued.info);
  assumed->node_name = result.node;
  if (absl::Status s = cache_.AssumePod(assumed); !s.ok()) {
    spdlog::warn("scheduler: cannot assume {}: {}", queued.info->key, std::string(s.message()));
    queue_.AddBackoff(std::move(queued));
    return true;
  }
  queue_.Done(queued.info->key);
  Bind(std::move(queued), std::move(assumed), std::move(volumes.claims_to_place));
  return true;
}

void Scheduler::Bind(QueuedPod queued, PodInfoPtr assumed, std::vector<std::string> claims) {
  writer_.Submit([this, queued = std::move(queued), assumed = std::move(assumed), claims = std::move(claims)]() mutable {
    const PodInfo& pod = *assumed;
    if (!claims.empty()) {
      absl::Status selected = volume_binding_->SelectNode(context_.client, pod.ns, claims, pod.node_name);
      if (selected.ok()) {
        selected = volume_binding_->WaitForBinding(pod.ns, claims, kVolumeBindTimeout, &stopping_);
        if (!selected.ok()) RecordEvent(pod, "Warning", "FailedScheduling",
                                        absl::StrCat("binding volumes: ", selected.message()));
      }
      if (!selected.ok()) {
        cache_.ForgetPod(pod.key);
        spdlog::info("scheduler: selecting node {} for the claims of {} failed: {}", pod.node_name, pod.key,
                     std::string(selected.message()));
        queue_.AddBackoff(std::move(queued));
        return;
      }
    }
    json::value body = {{"apiVersion", "v1"},
                        {"kind", "Binding"},
                        {"metadata", {{"name", pod.name}, {"namespace", pod.ns}, {"uid", pod.uid}}},
                        {"target", {{"apiVersion", "v1"}, {"kind", "Node"}, {"name", pod.node_name}}}};
    auto bound = context_.client->CreateSubresource(Pods(), pod.ns, pod.name, "binding", std::move(body));
    if (bound.ok()) {
      cache_.FinishBinding(pod.key, clock_->Now());
      if (options_.record_scheduled_events) {
        RecordEvent(pod, "Normal", "Scheduled",
                    absl::StrCat("Successfully assigned ", pod.ns, "/", pod.name, " to ", pod.node_name));
      }
      return;
    }
    cache_.ForgetPod(pod.key);
    int code = client::HttpCode(bound.status());
    if (code == 404) return;  // the pod is gone
    spdlog::info("scheduler: binding {} to {} failed: {}", pod.key, pod.node_name,
                 std::string(bound.status().message()));
    RecordEvent(pod, "Warning", "FailedScheduling",
                absl::StrCat("Binding rejected: ", bound.status().message()));
    if (code != 409) queue_.AddBackoff(std::move(queued));  // 409: already bound elsewhere
  });
}

void Scheduler::HandleUnschedulable(QueuedPod queued, const ScheduleResult& result,
                                    const Snapshot& snapshot) {
  queued.failed_plugins.clear();
  for (const auto& [idx, why] : result.failures) queued.failed_plugins.insert(why.plugin);
  std::string message = result.message;
  std::string nominated;
  if (options_.preemption && !result.failures.empty()) {
    PreemptionResult preemption = FindPreemption(*queued.info, snapshot, result);
    if (!preemption.node.empty()) {
      nominated = preemption.node;
      for (const PodInfoPtr& victim : preemption.victims) {
        PodInfoPtr preemptor = queued.info;
        writer_.Submit([this, victim, preemptor, node = preemption.node] {
          RecordEvent(*victim, "Normal", "Preempted",
                      absl::StrCat("Preempted by pod ", preemptor->uid, " on node ", node));
          client::DeleteOptions options;
          options.precondition_uid = victim->uid;
          absl::Status s = context_.client->Delete(Pods(), victim->ns, victim->name, options);
          if (!s.ok() && client::HttpCode(s) != 404) {
            spdlog::warn("scheduler: evicting {} failed: {}", victim->key, std::string(s.message()));
          }
        });
      }
    } else if (!preemption.message.empty()) {
      message = absl::StrCat(message, " ", preemption.message);
    }
  }
  PodInfoPtr info = queued.info;
  queue_.AddUnschedulable(std::move(queued));
  ReportUnschedulable(info, message, nominated);
}

void Scheduler::ReportUnschedulable(const PodInfoPtr& pod, const std::string& message,
                                    const std::string& nominated) {
  bool same = CurrentUnschedulableMessage(*pod->pod) == message &&
              base::GetString(*pod->pod, {"status", "nominatedNodeName"}) == nominated;
  // The recorder aggregates repeats; without one, only a changed verdict is worth an Event.
  if (context_.recorder != nullptr) RecordEvent(*pod, "Warning", "FailedScheduling", message);
  if (same) return;  // nothing new to write into the status
  writer_.Submit([this, pod, message, nominated] {
    if (context_.recorder == nullptr) RecordEvent(*pod, "Warning", "FailedScheduling", message);
    json::value status = {
        {"conditions", json::array{json::value{{"type", "PodScheduled"},
                                               {"status", "False"},
                                               {"reason", "Unschedulable"},
                                               {"message", message},
                                               {"lastProbeTime", nullptr},
                                               {"lastTransitionTime", base::FormatRfc3339(clock_->Now())}}}}};
    if (!nominated.empty()) status.as_object()["nominatedNodeName"] = nominated;
    client::PatchOptions options;
    options.subresource = "status";
    auto patched = context_.client->Patch(Pods(), pod->ns, pod->name, client::PatchType::kStrategicMerge,
                                          json::value{{"status", std::move(status)}}, options);
    if (!patched.ok() && client::HttpCode(patched.status()) != 404) {
      spdlog::warn("scheduler: updating the status of {} failed: {}", pod->key,
                   std::string(patched.status().message()));
    }
  });
}

void Scheduler::RecordEvent(const PodInfo& pod, const std::string& type, const std::string& reason,
                            const std::string& message) {
  if (context_.recorder != nullptr) {
    context_.recorder->EventAs(options_.scheduler_name, *pod.pod, type, reason, message);
    return;
  }
  std::string now = base::FormatRfc3339(clock_->Now());
  json::value event = {
      {"apiVersion", "v1"},
      {"kind", "Event"},
      {"metadata",
       {{"name", absl::StrFormat("%s.%x", pod.name, absl::ToUnixNanos(clock_->Now()))},
        {"namespace", pod.ns}}},
      {"involvedObject",
       {{"apiVersion", "v1"}, {"kind", "Pod"}, {"name", pod.name}, {"namespace", pod.ns}, {"uid", pod.uid}}},
      {"reason", reason},
      {"message", message},
      {"type", type},
      {"source", {{"component", options_.scheduler_name}}},
      {"reportingComponent", options_.scheduler_name},
      {"firstTimestamp", now},
      {"lastTimestamp", now},
      {"count", 1}};
  auto created = context_.client->Create(client::Resource("", "v1", "events"), pod.ns, std::move(event));
  if (!created.ok() && client::HttpCode(created.status()) != 404) {
    spdlog::debug("scheduler: event for {} not recorded: {}", pod.key,
                  std::string(created.status().message()));
  }
}

}  // namespace skiff::scheduler
