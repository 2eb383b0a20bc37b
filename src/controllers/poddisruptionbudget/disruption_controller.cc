#include "controllers/poddisruptionbudget/disruption_controller.h"

#include <cmath>
#include <map>
#include <optional>
#include <set>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "api/label_selector.h"
#include "api/object_meta.h"
#include "api/pod_util.h"
#include "base/json.h"
#include "client/informer.h"

namespace skiff::controllers {
namespace {

namespace json = boost::json;

constexpr char kNamespaceIndex[] = "lifecycle-namespace";

absl::StatusOr<api::LabelSelector> SelectorOf(const json::value& pdb) {
  const json::value* selector = base::FindPath(pdb, {"spec", "selector"});
  return api::LabelSelector::FromJson(selector ? *selector : json::value(nullptr), "spec.selector");
}

// An IntOrString of the budget against `total`: numbers as they are, "N%" rounded up.
absl::StatusOr<int64_t> Scaled(const json::value& v, int64_t total) {
  if (v.is_int64()) return v.get_int64();
  if (v.is_uint64()) return static_cast<int64_t>(v.get_uint64());
  if (v.is_string()) {
    std::string s(v.get_string());
    int64_t percent = 0;
    if (!s.empty() && s.back() == '%' && absl::SimpleAtoi(s.substr(0, s.size() - 1), &percent)) {
      return static_cast<int64_t>(
          std::ceil(static_cast<double>(percent) * static_cast<double>(total) / 100.0));
    }
    if (absl::SimpleAtoi(s, &percent)) return percent;
  }
  return absl::InvalidArgumentError(absl::StrCat("invalid value for IntOrString: ", base::ToJson(v)));
}

json::object Condition(const json::value& old_status, bool allowed, const std::string& reason,
                       const std::string& message, int64_t generation, const std::string& now) {
  std::string status = allowed ? "True" : "False";
  std::string since = now;
  if (const json::value* conditions = base::FindPath(old_status, {"conditions"});
      conditions && conditions->is_array()) {
    for (const auto& c : conditions->get_array()) {
      if (base::GetString(c, {"type"}) == "DisruptionAllowed" && base::GetString(c, {"status"}) == status) {
        since = base::GetString(c, {"lastTransitionTime"}, now);
      }
    }
  }
  return json::object{{"type", "DisruptionAllowed"},
                      {"status", status},
                      {"reason", reason},
                      {"message", message},
                      {"lastTransitionTime", since},
                      {"observedGeneration", generation}};
}

}  // namespace

DisruptionController::DisruptionController(const client::ControllerContext& context, Options options)
    : context_(context),
      options_(options),
      budgets_(&context.informers->For(client::Resource("policy", "v1", "poddisruptionbudgets"))),
      pods_(&context.informers->For(client::Resource("", "v1", "pods"))),
      replica_sets_(&context.informers->For(client::Resource("apps", "v1", "replicasets"))),
      deployments_(&context.informers->For(client::Resource("apps", "v1", "deployments"))),
      stateful_sets_(&context.informers->For(client::Resource("apps", "v1", "statefulsets"))),
      replication_controllers_(
          &context.informers->For(client::Resource("", "v1", "replicationcontrollers"))) {
  if (options_.clock == nullptr) options_.clock = &base::RealClock();
}

DisruptionController::~DisruptionController() { Stop(); }

void DisruptionController::Start() {
  controller_ = std::make_unique<client::Controller>("disruption", this, options_.workers);
  budgets_->AddIndex(kNamespaceIndex, client::IndexByNamespace());
  pods_->AddIndex(kNamespaceIndex, client::IndexByNamespace());

  client::InformerHandlers budget_handlers;
  auto add_budget = [this](const client::Object& pdb) { controller_->queue().Add(client::KeyOf(*pdb)); };
  budget_handlers.on_add = add_budget;
  budget_handlers.on_update = [add_budget](const client::Object&, const client::Object& pdb) {
    add_budget(pdb);
  };
  budgets_->AddHandlers(std::move(budget_handlers));

  client::InformerHandlers pod_handlers;
  auto pod_changed = [this](const client::Object& pod) {
    for (const auto& key : BudgetsFor(*pod)) controller_->queue().Add(key);
  };
  pod_handlers.on_add = pod_changed;
  pod_handlers.on_update = [pod_changed](const client::Object& old_pod, const client::Object& pod) {
    pod_changed(old_pod);
    pod_changed(pod);
  };
  pod_handlers.on_delete = pod_changed;
  pods_->AddHandlers(std::move(pod_handlers));

  // A scale change of a pod controller changes expectedPods of the namespace's budgets.
  for (client::Informer* workload : {replica_sets_, deployments_, stateful_sets_, replication_controllers_}) {
    client::InformerHandlers handlers;
    handlers.on_update = [this](const client::Object& old_obj, const client::Object& obj) {
      if (base::GetInt(*old_obj, {"spec", "replicas"}, 1) != base::GetInt(*obj, {"spec", "replicas"}, 1)) {
        EnqueueNamespace(api::Namespace(*obj));
      }
    };
    handlers.on_add = [this](const client::Object& obj) { EnqueueNamespace(api::Namespace(*obj)); };
    handlers.on_delete = [this](const client::Object& obj) { EnqueueNamespace(api::Namespace(*obj)); };
    workload->AddHandlers(std::move(handlers));
  }
  controller_->Start();
}

void DisruptionController::Stop() {
  if (controller_) controller_->Stop();
}

std::vector<std::string> DisruptionController::BudgetsFor(const json::value& pod) const {
  std::vector<std::string> out;
  const json::value* labels = api::Labels(pod);
  for (const auto& pdb : budgets_->ByIndex(kNamespaceIndex, api::Namespace(pod))) {
    auto selector = SelectorOf(*pdb);
    if (selector.ok() && selector->Matches(labels)) out.push_back(client::KeyOf(*pdb));
  }
  return out;
}

void DisruptionController::EnqueueNamespace(const std::string& ns) {
  for (const auto& pdb : budgets_->ByIndex(kNamespaceIndex, ns))
    controller_->queue().Add(client::KeyOf(*pdb));
}

absl::StatusOr<int64_t> DisruptionController::ExpectedScale(const std::vector<client::Object>& pods) const {
  std::map<std::string, int64_t> scales;  // controller uid -> replicas
  for (const auto& pod : pods) {
    const json::value* ref = api::ControllerRef(*pod);
    if (ref == nullptr)
      return absl::FailedPreconditionError(
          absl::StrCat("found no controller ref for pod \"", api::Name(*pod), "\""));
    std::string kind = base::GetString(*ref, {"kind"});
    std::string key = client::MakeKey(api::Namespace(*pod), base::GetString(*ref, {"name"}));
    std::string uid = base::GetString(*ref, {"uid"});
    client::Object owner;
    if (kind == "ReplicaSet") {
      owner = replica_sets_->Get(key);
      // A Deployment's ReplicaSets share the Deployment's scale.
      if (const json::value* up = owner ? api::ControllerRef(*owner) : nullptr;
          up && base::GetString(*up, {"kind"}) == "Deployment") {
        if (auto d =
                deployments_->Get(client::MakeKey(api::Namespace(*pod), base::GetString(*up, {"name"})))) {
          owner = d;
          uid = base::GetString(*up, {"uid"});
        }
      }
    } else if (kind == "StatefulSet") {
      owner = stateful_sets_->Get(key);
    } else if (kind == "ReplicationController") {
      owner = replication_controllers_->Get(key);
    } else if (kind == "Deployment") {
      owner = deployments_->Get(key);
    }
    if (!owner)
      return absl::FailedPreconditionError(
          absl::StrCat("found no controllers for pod \"", api::Name(*pod), "\""));
    scales[uid] = base::GetInt(*owner, {"spec", "replicas"}, 1);
  }
  int64_t total = 0;
  for (const auto& [uid, replicas] : scales) total += replicas;
  return total;
}

client::ReconcileResult DisruptionController::Reconcile(const std::string& key) {
  client::Object pdb = budgets_->Get(key);
  if (!pdb) return {};
  const json::value empty_status = json::object();
  const json::value* old_status_ptr = base::FindPath(*pdb, {"status"});
  const json::value& old_status = old_status_ptr ? *old_status_ptr : empty_status;
  int64_t generation = api::Generation(*pdb);
  absl::Time now = options_.clock->Now();
  std::string now_text = base::FormatRfc3339(now);

  json::object status = old_status.is_object() ? old_status.get_object() : json::object();
  std::optional<absl::Duration> requeue;
  absl::Status failure;
  auto selector = SelectorOf(*pdb);
  std::vector<client::Object> pods;
  if (!selector.ok()) {
    failure = selector.status();
  } else {
    for (auto& pod : pods_->ByIndex(kNamespaceIndex, api::Namespace(*pdb))) {
      if (selector->Matches(api::Labels(*pod))) pods.push_back(std::move(pod));
    }
  }

  int64_t expected = 0;
  int64_t desired = 0;
  if (failure.ok()) {
    const json::value* max_unavailable = base::FindPath(*pdb, {"spec", "maxUnavailable"});
    const json::value* min_available = base::FindPath(*pdb, {"spec", "minAvailable"});
    if (max_unavailable && !max_unavailable->is_null()) {
      auto scale = ExpectedScale(pods);
      auto unavailable = scale.ok() ? Scaled(*max_unavailable, *scale) : scale.status();
      if (unavailable.ok()) {
        expected = *scale;
        desired = std::max<int64_t>(0, expected - *unavailable);
      } else {
        failure = unavailable.status();
      }
    } else if (min_available && !min_available->is_null()) {
      if (min_available->is_string()) {
        auto scale = ExpectedScale(pods);
        auto minimum = scale.ok() ? Scaled(*min_available, *scale) : scale.status();
        if (minimum.ok()) {
          expected = *scale;
          desired = *minimum;
        } else {
          failure = minimum.status();
        }
      } else {
        auto minimum = Scaled(*min_available, 0);
        if (minimum.ok()) {
          expected = static_cast<int64_t>(pods.size());
          desired = *minimum;
        } else {
          failure = minimum.status();
        }
      }
    }
  }

  if (!failure.ok()) {
    status["disruptionsAllowed"] = 0;
    status["conditions"] = json::array{
        Condition(old_status, false, "SyncFailed", std::string(failure.message()), generation, now_text)};
  } else {
    // Recently evicted pods that have not started terminating yet do not count as healthy.
    json::object disrupted;
    std::set<std::string> live;
    for (const auto& pod : pods) {
      if (!api::IsBeingDeleted(*pod)) live.insert(api::Name(*pod));
    }
    if (const json::value* old = base::FindPath(old_status, {"disruptedPods"}); old && old->is_object()) {
      for (const auto& kv : old->get_object()) {
        absl::Time at;
        if (!kv.value().is_string() || !base::ParseRfc3339(std::string(kv.value().get_string()), &at))
          continue;
        if (!live.count(std::string(kv.key()))) continue;
        absl::Time expires = at + options_.disrupted_pod_timeout;
        if (expires <= now) continue;
        disrupted[kv.key()] = kv.value();
        absl::Duration left = expires - now;
        if (!requeue || left < *requeue) requeue = left;
      }
    }
    int64_t healthy = 0;
    for (const auto& pod : pods) {
      if (!api::IsBeingDeleted(*pod) && !disrupted.contains(api::Name(*pod)) && api::IsPodReady(*pod))
        ++healthy;
    }
    int64_t allowed = healthy - desired;
    if (expected <= 0 || allowed < 0) allowed = 0;
    status["observedGeneration"] = generation;
    status["disruptionsAllowed"] = allowed;
    status["currentHealthy"] = healthy;
    status["desiredHealthy"] = desired;
    status["expectedPods"] = expected;
    if (disrupted.empty()) {
      status.erase("disruptedPods");
    } else {
      status["disruptedPods"] = std::move(disrupted);
    }
    status["conditions"] =
        json::array{Condition(old_status, allowed > 0, allowed > 0 ? "SufficientPods" : "InsufficientPods",
                              "", generation, now_text)};
  }

  if (json::value(status) != old_status) {
    json::value copy = *pdb;
    copy.as_object()["status"] = std::move(status);
    auto updated = context_.client->Update(budgets_->resource(), api::Namespace(*pdb), std::move(copy),
                                           "status", {.field_manager = "disruption-controller"});
    if (!updated.ok() && client::HttpCode(updated.status()) != 404) return {updated.status()};
  }
  if (requeue) *requeue += absl::Milliseconds(10);
  return {absl::OkStatus(), requeue};
}

std::unique_ptr<client::Runnable> NewDisruptionController(const client::ControllerContext& context) {
  return std::make_unique<DisruptionController>(context, DisruptionController::Options{});
}

}  // namespace skiff::controllers
