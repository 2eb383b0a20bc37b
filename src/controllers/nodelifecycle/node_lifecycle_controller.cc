#include "controllers/nodelifecycle/node_lifecycle_controller.h"

#include <algorithm>
#include <iterator>
#include <vector>

#include "absl/strings/str_cat.h"
#include "api/object_meta.h"
#include "api/pod_util.h"
#include "base/json.h"
#include "client/event_recorder.h"
#include "client/informer.h"
#include "controllers/nodelifecycle/taint_eviction.h"
#include "spdlog/spdlog.h"

namespace skiff::controllers {
namespace {

namespace json = boost::json;

constexpr char kNodeNameIndex[] = "lifecycle-node-name";
// Event sources, named as kube-controller-manager names them.
constexpr char kNodeComponent[] = "node-controller";
constexpr char kEvictionComponent[] = "taint-eviction-controller";
constexpr char kCidrComponent[] = "cidrAllocator";
constexpr char kLeaseNamespace[] = "kube-node-lease";
constexpr const char* kConditionTypes[] = {"Ready", "MemoryPressure", "DiskPressure", "PIDPressure"};

void Merge(std::optional<absl::Duration>* next, absl::Duration d) {
  if (!*next || d < **next) *next = d;
}

bool IsOurTaint(const json::value& taint) {
  std::string key = base::GetString(taint, {"key"});
  std::string effect = base::GetString(taint, {"effect"});
  return (key == NodeLifecycleController::kNotReadyTaint ||
          key == NodeLifecycleController::kUnreachableTaint) &&
         (effect == "NoExecute" || effect == "NoSchedule");
}

}  // namespace

NodeLifecycleController::NodeLifecycleController(const client::ControllerContext& context, Options options)
    : context_(context),
      options_(std::move(options)),
      nodes_(&context.informers->For(client::Resource("", "v1", "nodes"))),
      leases_(&context.informers->For(client::Resource("coordination.k8s.io", "v1", "leases"))),
      pods_(&context.informers->For(client::Resource("", "v1", "pods"))) {
  if (options_.clock == nullptr) options_.clock = &base::RealClock();
  if (!options_.cluster_cidr.empty()) {
    auto allocator = CidrAllocator::Create(options_.cluster_cidr, options_.node_cidr_mask_size);
    if (allocator.ok()) {
      cidrs_ = std::move(*allocator);
    } else {
      spdlog::error("nodelifecycle: pod CIDR allocation disabled: {}", allocator.status().ToString());
    }
  }
}

NodeLifecycleController::~NodeLifecycleController() { Stop(); }

void NodeLifecycleController::Start() {
  controller_ = std::make_unique<client::Controller>("nodelifecycle", this, options_.workers);
  pods_->AddIndex(kNodeNameIndex, client::IndexByField({"spec", "nodeName"}));

  client::InformerHandlers node_handlers;
  auto node_seen = [this](const client::Object& node) {
    std::string cidr = base::GetString(*node, {"spec", "podCIDR"});
    if (!cidr.empty()) {
      std::lock_guard<std::mutex> lock(mu_);
      if (cidrs_) cidrs_->Occupy(api::Name(*node), cidr);
    }
    controller_->queue().Add(api::Name(*node));
  };
  node_handlers.on_add = node_seen;
  node_handlers.on_update = [node_seen](const client::Object&, const client::Object& node) {
    node_seen(node);
  };
  node_handlers.on_delete = [this](const client::Object& node) {
    controller_->queue().Add(api::Name(*node));
  };
  nodes_->AddHandlers(std::move(node_handlers));

  client::InformerHandlers lease_handlers;
  auto lease_seen = [this](const client::Object& lease) {
    if (api::Namespace(*lease) == kLeaseNamespace) controller_->queue().Add(api::Name(*lease));
  };
  lease_handlers.on_add = lease_seen;
  lease_handlers.on_update = [lease_seen](const client::Object&, const client::Object& lease) {
    lease_seen(lease);
  };
  leases_->AddHandlers(std::move(lease_handlers));

  // A pod landing on a node with NoExecute taints needs an eviction decision.
  client::InformerHandlers pod_handlers;
  auto pod_seen = [this](const client::Object& pod) {
    std::string node_name = api::NodeName(*pod);
    if (node_name.empty()) return;
    client::Object node = nodes_->Get(node_name);
    if (node && !NoExecuteTaints(*node).empty()) controller_->queue().Add(node_name);
  };
  pod_handlers.on_add = pod_seen;
  pod_handlers.on_update = [pod_seen](const client::Object&, const client::Object& pod) { pod_seen(pod); };
  pods_->AddHandlers(std::move(pod_handlers));
  controller_->Start();
}

void NodeLifecycleController::Stop() {
  if (controller_) controller_->Stop();
}

client::ReconcileResult NodeLifecycleController::Reconcile(const std::string& name) {
  // Allocation needs every existing podCIDR known first.
  if (!nodes_->HasSynced()) return {absl::OkStatus(), absl::Milliseconds(200)};
  client::Object node = nodes_->Get(name);
  if (!node) {
    std::lock_guard<std::mutex> lock(mu_);
    health_.erase(name);
    cidr_not_available_.erase(name);
    if (cidrs_) cidrs_->Release(name);
    ForgetTaints(name, {});
    return {};
  }
  absl::Time now = options_.clock->Now();
  std::optional<absl::Duration> next;
  auto with_cidr = EnsurePodCidr(node);
  if (!with_cidr.ok()) return {with_cidr.status()};
  auto checked = CheckHealth(*with_cidr, now, &next);
  if (!checked.ok()) return {checked.status()};
  auto tainted = SyncTaints(*checked, now);
  if (!tainted.ok()) return {tainted.status()};
  if (auto s = EvictPods(*tainted, now, &next); !s.ok()) return {s};
  if (next) *next += absl::Milliseconds(10);  // land just after the deadline, not before it
  return {absl::OkStatus(), next};
}

absl::StatusOr<client::Object> NodeLifecycleController::EnsurePodCidr(const client::Object& node) {
  if (!base::GetString(*node, {"spec", "podCIDR"}).empty()) return node;
  std::string name = api::Name(*node);
  absl::StatusOr<std::string> cidr;
  bool first_report = false;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (!cidrs_) return node;
    cidr = cidrs_->Allocate(name);
    if (cidr.ok()) {
      cidr_not_available_.erase(name);
    } else {
      first_report = cidr_not_available_.insert(name).second;
    }
  }
  if (!cidr.ok()) {
    // Reported once per node: with the range full, every heartbeat comes back here.
    if (first_report) {
      spdlog::warn("nodelifecycle: node {} gets no podCIDR: {}", name, std::string(cidr.status().message()));
      RecordEvent(kCidrComponent, "Node", *node, client::kEventNormal, "CIDRNotAvailable",
                  absl::StrCat("Node ", name, " status is now: CIDRNotAvailable"));
    }
    return node;
  }
  json::value patch =
      json::object{{"spec", json::object{{"podCIDR", *cidr}, {"podCIDRs", json::array{*cidr}}}}};
  auto patched = context_.client->Patch(nodes_->resource(), "", name, client::PatchType::kMerge, patch,
                                        {.field_manager = "nodelifecycle"});
  if (!patched.ok()) {
    std::lock_guard<std::mutex> lock(mu_);
    if (cidrs_) cidrs_->Release(name);
    return patched.status();
  }
  return *patched;
}

absl::StatusOr<client::Object> NodeLifecycleController::CheckHealth(const client::Object& node,
                                                                    absl::Time now,
                                                                    std::optional<absl::Duration>* next) {
  std::string name = api::Name(*node);
  std::string renew;
  if (client::Object lease = leases_->Get(client::MakeKey(kLeaseNamespace, name))) {
    renew = base::GetString(*lease, {"spec", "renewTime"});
  }
  const json::value* ready = api::FindCondition(*node, "Ready");
  std::string heartbeat = ready ? base::GetString(*ready, {"lastHeartbeatTime"}) : "";
  absl::Time probe;
  {
    std::lock_guard<std::mutex> lock(mu_);
    auto [it, inserted] = health_.try_emplace(name, Health{renew, heartbeat, now});
    if (!inserted && (it->second.lease_renew_time != renew || it->second.ready_heartbeat != heartbeat)) {
      it->second = Health{renew, heartbeat, now};
    }
    probe = it->second.probe;
  }
  absl::Time deadline = probe + options_.grace_period;
  if (now < deadline) {
    Merge(next, deadline - now);
    return node;
  }
  // Overdue: every condition the kubelet owns becomes Unknown.
  json::value copy = *node;
  json::object& status = base::EnsureObject(copy, {"status"});
  if (!status["conditions"].is_array()) status["conditions"] = json::array();
  json::array& conditions = status["conditions"].get_array();
  std::string now_text = base::FormatRfc3339(now);
  bool changed = false;
  for (const char* type : kConditionTypes) {
    json::object* found = nullptr;
    for (auto& c : conditions) {
      if (c.is_object() && base::GetString(c, {"type"}) == type) found = &c.get_object();
    }
    if (found == nullptr) {
      conditions.push_back(
          json::object{{"type", type},
                       {"status", "Unknown"},
                       {"lastHeartbeatTime", base::GetString(*node, {"metadata", "creationTimestamp"})},
                       {"lastTransitionTime", now_text},
                       {"reason", "NodeStatusNeverUpdated"},
                       {"message", "Kubelet never posted node status."}});
      changed = true;
    } else if (base::GetString(*found, {"status"}) != "Unknown") {
      (*found)["status"] = "Unknown";
      (*found)["lastTransitionTime"] = now_text;
      (*found)["reason"] = "NodeStatusUnknown";
      (*found)["message"] = "Kubelet stopped posting node status.";
      changed = true;
    }
  }
  if (!changed) return node;
  spdlog::info("nodelifecycle: node {} stopped posting status; conditions set to Unknown", name);
  const json::value* was_ready = api::FindCondition(*node, "Ready");
  if (was_ready == nullptr || base::GetString(*was_ready, {"status"}) == "True") {
    RecordEvent(kNodeComponent, "Node", *node, client::kEventNormal, "NodeNotReady",
                absl::StrCat("Node ", name, " status is now: NodeNotReady"));
  }
  auto updated = context_.client->Update(nodes_->resource(), "", std::move(copy), "status",
                                         {.field_manager = "nodelifecycle"});
  if (!updated.ok()) return updated.status();
  // Our own write changes lastTransitionTime only, not the heartbeat: the probe time stays.
  return *updated;
}

absl::StatusOr<client::Object> NodeLifecycleController::SyncTaints(const client::Object& node,
                                                                   absl::Time now) {
  const json::value* ready = api::FindCondition(*node, "Ready");
  std::string ready_status = ready ? base::GetString(*ready, {"status"}) : "";
  std::string wanted_key;
  if (ready_status == "False") wanted_key = kNotReadyTaint;
  if (ready_status == "Unknown") wanted_key = kUnreachableTaint;

  const json::value* taints = base::FindPath(*node, {"spec", "taints"});
  json::array current = taints && taints->is_array() ? taints->get_array() : json::array();
  json::array next;
  bool has_no_execute = false;
  bool has_no_schedule = false;
  for (const auto& t : current) {
    if (!IsOurTaint(t)) {
      next.push_back(t);
    } else if (base::GetString(t, {"key"}) == wanted_key) {
      next.push_back(t);
      (base::GetString(t, {"effect"}) == "NoExecute" ? has_no_execute : has_no_schedule) = true;
    }
  }
  if (!wanted_key.empty() && !has_no_schedule) {
    next.push_back(json::object{{"key", wanted_key}, {"effect", "NoSchedule"}});
  }
  if (!wanted_key.empty() && !has_no_execute) {
    next.push_back(
        json::object{{"key", wanted_key}, {"effect", "NoExecute"}, {"timeAdded", base::FormatRfc3339(now)}});
  }
  if (next == current) return node;
  json::value copy = *node;
  json::object& spec = base::EnsureObject(copy, {"spec"});
  if (next.empty()) {
    spec.erase("taints");
  } else {
    spec["taints"] = std::move(next);
  }
  spdlog::info("nodelifecycle: node {} Ready={}: taints updated", api::Name(*node), ready_status);
  return context_.client->Update(nodes_->resource(), "", std::move(copy), "",
                                 {.field_manager = "nodelifecycle"});
}

absl::Status NodeLifecycleController::EvictPods(const client::Object& node, absl::Time now,
                                                std::optional<absl::Duration>* next) {
  std::vector<json::value> taints = NoExecuteTaints(*node);
  std::string name = api::Name(*node);
  if (taints.empty()) {
    std::lock_guard<std::mutex> lock(mu_);
    ForgetTaints(name, {});
    return absl::OkStatus();
  }
  // The taints' start: when this controller first saw the latest of them (as Kubernetes' taint
  // manager, which times evictions from when it observes a taint; timeAdded has only second
  // precision). Forgotten once the taint is gone, so a returning taint starts afresh.
  absl::Time since = absl::InfinitePast();
  {
    std::lock_guard<std::mutex> lock(mu_);
    std::string prefix = name + "/";
    std::set<std::string> present;
    for (const auto& taint : taints) {
      std::string id =
          absl::StrCat(prefix, base::GetString(taint, {"key"}), "=", base::GetString(taint, {"value"}));
      present.insert(id);
      since = std::max(since, taint_first_seen_.try_emplace(id, now).first->second);
    }
    ForgetTaints(name, present);
  }
  const json::value* ready = api::FindCondition(*node, "Ready");
  bool unreachable = ready && base::GetString(*ready, {"status"}) == "Unknown";
  absl::Status result;
  for (const auto& pod : pods_->ByIndex(kNodeNameIndex, name)) {
    if (api::IsBeingDeleted(*pod)) continue;
    if (api::IsTerminal(*pod)) continue;
    std::string ns = api::Namespace(*pod);
    EvictionDecision decision = DecideEviction(*pod, taints);
    if (decision.tolerated_forever || now < since + decision.delay) {
      if (!decision.tolerated_forever) Merge(next, since + decision.delay - now);
      // Kubelet cannot report from an unreachable node: its pods are no longer Ready.
      if (unreachable && api::IsPodReady(*pod)) {
        json::value copy = *pod;
        for (auto& c : copy.as_object()["status"].as_object()["conditions"].as_array()) {
          if (base::GetString(c, {"type"}) == "Ready") {
            c.as_object()["status"] = "False";
            c.as_object()["lastTransitionTime"] = base::FormatRfc3339(now);
          }
        }
        auto updated = context_.client->Update(pods_->resource(), ns, std::move(copy), "status",
                                               {.field_manager = "nodelifecycle"});
        if (updated.ok()) {
          RecordEvent(kNodeComponent, "Pod", *pod, client::kEventWarning, "NodeNotReady",
                      "Node is not ready");
        } else if (client::HttpCode(updated.status()) != 404) {
          result = updated.status();
        }
      }
      continue;
    }
    spdlog::info("nodelifecycle: evicting pod {}/{} from node {} (NoExecute taint)", ns, api::Name(*pod),
                 name);
    client::DeleteOptions options;
    options.precondition_uid = api::Uid(*pod);
    absl::Status s = context_.client->Delete(pods_->resource(), ns, api::Name(*pod), options);
    if (s.ok()) {
      RecordEvent(kEvictionComponent, "Pod", *pod, client::kEventNormal, "TaintManagerEviction",
                  absl::StrCat("Marking for deletion Pod ", ns, "/", api::Name(*pod)));
    }
    int code = client::HttpCode(s);
    if (!s.ok() && code != 404 && code != 409) result = s;
  }
  return result;
}

void NodeLifecycleController::ForgetTaints(const std::string& node, const std::set<std::string>& keep) {
  std::string prefix = node + "/";
  for (auto it = taint_first_seen_.lower_bound(prefix);
       it != taint_first_seen_.end() && it->first.compare(0, prefix.size(), prefix) == 0;) {
    it = keep.count(it->first) ? std::next(it) : taint_first_seen_.erase(it);
  }
}

void NodeLifecycleController::RecordEvent(const std::string& component, const std::string& kind,
                                          const json::value& obj, const std::string& type,
                                          const std::string& reason, const std::string& message) {
  if (context_.recorder == nullptr) return;
  // Informer copies may lack kind/apiVersion; the event's involvedObject needs them.
  json::value ref = json::object{{"kind", kind}, {"apiVersion", "v1"}};
  json::object& metadata = base::EnsureObject(ref, {"metadata"});
  for (const char* field : {"name", "namespace", "uid", "resourceVersion"}) {
    std::string value = base::GetString(obj, {"metadata", field});
    if (!value.empty()) metadata[field] = value;
  }
  context_.recorder->EventAs(component, ref, type, reason, message);
}

std::unique_ptr<client::Runnable> NewNodeLifecycleController(const client::ControllerContext& context) {
  NodeLifecycleController::Options options;
  options.grace_period = context.options.node_monitor_grace_period;
  options.cluster_cidr = context.options.cluster_cidr;
  options.node_cidr_mask_size = context.options.node_cidr_mask_size;
  return std::make_unique<NodeLifecycleController>(context, options);
}

}  // namespace skiff::controllers
