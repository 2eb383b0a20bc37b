#include "controllers/clusterroleaggregation/cluster_role_aggregation_controller.h"

#include <algorithm>

#include "api/label_selector.h"
#include "base/json.h"
#include "boost/json.hpp"
#include "client/informer.h"

namespace skiff::controllers {
namespace {

namespace json = boost::json;

const api::ResourceInfo& ClusterRoles() { return client::Resource("rbac.authorization.k8s.io", "v1", "clusterroles"); }

const json::value* Selectors(const json::value& role) {
  const json::value* s = base::FindPath(role, {"aggregationRule", "clusterRoleSelectors"});
  return s && s->is_array() ? s : nullptr;
}

}  // namespace

json::value AggregatedRules(const json::value& role, const std::vector<client::Object>& all) {
  const json::value* selectors = Selectors(role);
  if (!selectors) return nullptr;
  std::vector<api::LabelSelector> parsed;
  for (const auto& s : selectors->get_array()) {
    auto selector = api::LabelSelector::FromJson(s);
    if (selector.ok()) parsed.push_back(std::move(*selector));
  }
  std::string self = base::GetString(role, {"metadata", "name"});
  std::vector<const json::value*> matching;
  for (const auto& other : all) {
    if (!other || base::GetString(*other, {"metadata", "name"}) == self) continue;
    const json::value* labels = base::FindPath(*other, {"metadata", "labels"});
    for (const auto& selector : parsed) {
      if (selector.Matches(labels)) {
        matching.push_back(&*other);
        break;
      }
    }
  }
  std::sort(matching.begin(), matching.end(), [](const json::value* a, const json::value* b) {
    return base::GetString(*a, {"metadata", "name"}) < base::GetString(*b, {"metadata", "name"});
  });
  json::array rules;
  for (const json::value* m : matching) {
    const json::value* r = base::FindPath(*m, {"rules"});
    if (!r || !r->is_array()) continue;
    for (const auto& rule : r->get_array()) {
      if (std::find(rules.begin(), rules.end(), rule) == rules.end()) rules.push_back(rule);
    }
  }
  return rules;
}

ClusterRoleAggregationController::ClusterRoleAggregationController(const client::ControllerContext& context)
    : context_(context), cluster_roles_(&context.informers->For(ClusterRoles())) {}

ClusterRoleAggregationController::~ClusterRoleAggregationController() { Stop(); }

void ClusterRoleAggregationController::Start() {
  controller_ = std::make_unique<client::Controller>("clusterrole-aggregation", this, 1);
  client::InformerHandlers handlers;
  handlers.on_add = [this](const client::Object&) { EnqueueAggregated(); };
  handlers.on_update = [this](const client::Object&, const client::Object&) { EnqueueAggregated(); };
  handlers.on_delete = [this](const client::Object&) { EnqueueAggregated(); };
  cluster_roles_->AddHandlers(std::move(handlers));
  controller_->Start();
}

void ClusterRoleAggregationController::Stop() {
  if (controller_) controller_->Stop();
}

void ClusterRoleAggregationController::EnqueueAggregated() {
  for (const auto& role : cluster_roles_->List()) {
    if (role && Selectors(*role)) controller_->queue().Add(base::GetString(*role, {"metadata", "name"}));
  }
}

client::ReconcileResult ClusterRoleAggregationController::Reconcile(const std::string& name) {
  client::Object role = cluster_roles_->Get(name);
  if (!role) return {};
  json::value rules = AggregatedRules(*role, cluster_roles_->List());
  if (rules.is_null()) return {};
  const json::value* current = base::FindPath(*role, {"rules"});
  if (current ? *current == rules : rules.get_array().empty()) return {};
  json::value next = *role;
  next.as_object()["rules"] = std::move(rules);
  auto updated = context_.client->Update(ClusterRoles(), "", std::move(next), "",
                                         {.field_manager = "clusterrole-aggregation-controller"});
  if (updated.ok()) return {};
  int code = client::HttpCode(updated.status());
  if (code == 404) return {};
  return {updated.status()};  // 409: the informer lags; the retry reads the newer role
}

std::unique_ptr<client::Runnable> NewClusterRoleAggregationController(const client::ControllerContext& context) {
  return std::make_unique<ClusterRoleAggregationController>(context);
}

}  // namespace skiff::controllers
