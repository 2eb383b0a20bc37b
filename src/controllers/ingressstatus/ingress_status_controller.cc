#include "controllers/ingressstatus/ingress_status_controller.h"

#include <algorithm>
#include <utility>

#include "api/pod_util.h"
#include "base/json.h"
#include "client/informer.h"

namespace skiff::controllers::ingressstatus {
namespace {

namespace json = boost::json;

const api::ResourceInfo& Ingresses() { return client::Resource("networking.k8s.io", "v1", "ingresses"); }
const api::ResourceInfo& IngressClasses() { return client::Resource("networking.k8s.io", "v1", "ingressclasses"); }
const api::ResourceInfo& Nodes() { return client::Resource("", "v1", "nodes"); }

constexpr absl::Duration kStaleRetry = absl::Milliseconds(500);
constexpr char kTlsKeyPrefix[] = "tls:";  // work queue keys "tls:<namespace>"

const api::ResourceInfo& Roles() { return client::Resource("rbac.authorization.k8s.io", "v1", "roles"); }
const api::ResourceInfo& RoleBindings() { return client::Resource("rbac.authorization.k8s.io", "v1", "rolebindings"); }

json::object ManagedMetadata(const std::string& ns) {
  return json::object{{"name", kTlsReaderRole},
                      {"namespace", ns},
                      {"labels", json::object{{"app.kubernetes.io/managed-by", "skiff-ingress"}}}};
}

json::array DesiredRules(const std::set<std::string>& secrets) {
  json::array names;
  for (const std::string& name : secrets) names.push_back(json::string(name));
  return json::array{json::object{
      {"apiGroups", json::array{""}}, {"resources", json::array{"secrets"}}, {"verbs", json::array{"get"}},
      {"resourceNames", std::move(names)}}};
}

json::object DesiredStatus(const std::vector<client::Object>& nodes) {
  std::set<std::string> ips;
  for (const client::Object& node : nodes) {
    for (std::string& ip : NodeIngressAddresses(*node)) ips.insert(std::move(ip));
  }
  json::array ingress;
  for (const std::string& ip : ips) ingress.push_back(json::object{{"ip", ip}});
  json::object status;
  if (!ingress.empty()) status["ingress"] = std::move(ingress);
  return status;
}

// status.loadBalancer as an object ({} when absent or with an empty ingress list).
json::object CurrentStatus(const json::value& ingress) {
  const json::value* lb = base::FindPath(ingress, {"status", "loadBalancer"});
  if (lb == nullptr || !lb->is_object()) return {};
  json::object out = lb->get_object();
  if (const json::value* list = out.if_contains("ingress");
      list != nullptr && (!list->is_array() || list->get_array().empty())) {
    out.erase("ingress");
  }
  return out;
}

}  // namespace

std::vector<std::string> NodeIngressAddresses(const json::value& node) {
  if (!api::IsConditionTrue(node, "Ready")) return {};
  std::vector<std::string> out;
  if (const json::value* a = base::FindPath(node, {"status", "addresses"}); a != nullptr && a->is_array()) {
    for (const json::value& address : a->get_array()) {
      std::string ip = base::GetString(address, {"address"});
      if (!ip.empty() && base::GetString(address, {"type"}) == "InternalIP") out.push_back(std::move(ip));
    }
  }
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

bool IsSkiffIngress(const json::value& ingress, const std::set<std::string>& classes) {
  auto ours = [&](const std::string& name) { return name == kIngressClass || classes.count(name) > 0; };
  if (const json::value* name = base::FindPath(ingress, {"spec", "ingressClassName"}); name && name->is_string()) {
    return ours(std::string(name->as_string()));
  }
  const json::value* annotation = base::FindPath(ingress, {"metadata", "annotations", "kubernetes.io/ingress.class"});
  if (annotation && annotation->is_string()) return ours(std::string(annotation->as_string()));
  return true;
}

std::set<std::string> TlsSecretNames(const std::vector<client::Object>& ingresses, const std::string& ns,
                                     const std::set<std::string>& classes) {
  std::set<std::string> names;
  for (const client::Object& ingress : ingresses) {
    if (base::GetString(*ingress, {"metadata", "namespace"}) != ns || !IsSkiffIngress(*ingress, classes)) continue;
    if (const json::value* tls = base::FindPath(*ingress, {"spec", "tls"}); tls && tls->is_array()) {
      for (const json::value& entry : tls->get_array()) {
        std::string name = base::GetString(entry, {"secretName"});
        if (!name.empty()) names.insert(std::move(name));
      }
    }
  }
  return names;
}

IngressStatusController::IngressStatusController(const client::ControllerContext& context, int workers)
    : context_(context),
      workers_(workers),
      ingresses_(&context.informers->For(Ingresses())),
      classes_(&context.informers->For(IngressClasses())),
      nodes_(&context.informers->For(Nodes())) {}

IngressStatusController::~IngressStatusController() { Stop(); }

void IngressStatusController::EnqueueAll() {
  for (const client::Object& ingress : ingresses_->List()) {
    controller_->queue().Add(client::KeyOf(*ingress));
    controller_->queue().Add(kTlsKeyPrefix + base::GetString(*ingress, {"metadata", "namespace"}));
  }
}

std::set<std::string> IngressStatusController::OurClasses() const {
  std::set<std::string> names;
  for (const client::Object& ingress_class : classes_->List()) {
    if (base::GetString(*ingress_class, {"spec", "controller"}) == kIngressController) {
      names.insert(base::GetString(*ingress_class, {"metadata", "name"}));
    }
  }
  return names;
}

void IngressStatusController::Start() {
  if (controller_) return;
  controller_ = std::make_unique<client::Controller>("ingressstatus", this, workers_);
  client::WorkQueue* queue = &controller_->queue();
  auto ingress_event = [this, queue](const client::Object& ingress) {
    tracker_.Observed(client::KeyOf(*ingress), *ingress, false);
    queue->Add(client::KeyOf(*ingress));
    queue->Add(kTlsKeyPrefix + base::GetString(*ingress, {"metadata", "namespace"}));
  };
  client::InformerHandlers ingress_handlers;
  ingress_handlers.on_add = ingress_event;
  ingress_handlers.on_update = [ingress_event](const client::Object&, const client::Object& i) { ingress_event(i); };
  ingress_handlers.on_delete = [this, queue](const client::Object& i) {
    tracker_.Forget(client::KeyOf(*i));
    queue->Add(kTlsKeyPrefix + base::GetString(*i, {"metadata", "namespace"}));
  };
  ingresses_->AddHandlers(std::move(ingress_handlers));

  client::InformerHandlers class_handlers;
  class_handlers.on_add = [this](const client::Object&) { EnqueueAll(); };
  class_handlers.on_update = [this](const client::Object&, const client::Object&) { EnqueueAll(); };
  class_handlers.on_delete = [this](const client::Object&) { EnqueueAll(); };
  classes_->AddHandlers(std::move(class_handlers));

  // Node heartbeats are frequent: only a change of what a node contributes matters.
  client::InformerHandlers node_handlers;
  node_handlers.on_add = [this](const client::Object& node) {
    if (!NodeIngressAddresses(*node).empty()) EnqueueAll();
  };
  node_handlers.on_update = [this](const client::Object& old_node, const client::Object& node) {
    if (NodeIngressAddresses(*old_node) != NodeIngressAddresses(*node)) EnqueueAll();
  };
  node_handlers.on_delete = [this](const client::Object& node) {
    if (!NodeIngressAddresses(*node).empty()) EnqueueAll();
  };
  nodes_->AddHandlers(std::move(node_handlers));
  controller_->Start();
}

void IngressStatusController::Stop() {
  if (controller_) controller_->Stop();
}

client::ReconcileResult IngressStatusController::ReconcileTlsAccess(const std::string& ns) {
  const std::set<std::string> secrets = TlsSecretNames(ingresses_->List(), ns, OurClasses());
  auto role = context_.client->Get(Roles(), ns, kTlsReaderRole);
  if (!role.ok() && client::HttpCode(role.status()) != 404) return {role.status()};
  if (secrets.empty()) {
    if (role.ok()) {
      absl::Status deleted = context_.client->Delete(RoleBindings(), ns, kTlsReaderRole);
      if (!deleted.ok() && client::HttpCode(deleted) != 404) return {deleted};
      deleted = context_.client->Delete(Roles(), ns, kTlsReaderRole);
      if (!deleted.ok() && client::HttpCode(deleted) != 404) return {deleted};
    }
    return {};
  }
  const json::array rules = DesiredRules(secrets);
  if (!role.ok()) {
    json::object desired{{"apiVersion", "rbac.authorization.k8s.io/v1"}, {"kind", "Role"},
                         {"metadata", ManagedMetadata(ns)}, {"rules", rules}};
    auto created = context_.client->Create(Roles(), ns, std::move(desired), {.field_manager = "ingress-status-controller"});
    if (!created.ok() && client::ErrorReason(created.status()) != "AlreadyExists") return {created.status()};
  } else if (const json::value* current = base::FindPath(**role, {"rules"}); !current || *current != json::value(rules)) {
    json::value next = **role;
    next.as_object()["rules"] = rules;
    auto updated = context_.client->Update(Roles(), ns, std::move(next), "", {.field_manager = "ingress-status-controller"});
    if (!updated.ok()) return {updated.status()};
  }
  auto binding = context_.client->Get(RoleBindings(), ns, kTlsReaderRole);
  if (binding.ok()) return {};
  if (client::HttpCode(binding.status()) != 404) return {binding.status()};
  json::object desired{
      {"apiVersion", "rbac.authorization.k8s.io/v1"},
      {"kind", "RoleBinding"},
      {"metadata", ManagedMetadata(ns)},
      {"roleRef", json::object{{"apiGroup", "rbac.authorization.k8s.io"}, {"kind", "Role"}, {"name", kTlsReaderRole}}},
      {"subjects", json::array{json::object{
                       {"apiGroup", "rbac.authorization.k8s.io"}, {"kind", "Group"}, {"name", "system:nodes"}}}}};
  auto created =
      context_.client->Create(RoleBindings(), ns, std::move(desired), {.field_manager = "ingress-status-controller"});
  if (!created.ok() && client::ErrorReason(created.status()) != "AlreadyExists") return {created.status()};
  return {};
}

client::ReconcileResult IngressStatusController::Reconcile(const std::string& key) {
  if (key.rfind(kTlsKeyPrefix, 0) == 0) return ReconcileTlsAccess(key.substr(sizeof(kTlsKeyPrefix) - 1));
  std::string ns, name;
  client::SplitKey(key, &ns, &name);
  if (tracker_.Stale(key, [&](const std::string&) { return ingresses_->Get(key); })) {
    return {absl::OkStatus(), kStaleRetry};
  }
  client::Object ingress = ingresses_->Get(key);
  if (ingress == nullptr || !IsSkiffIngress(*ingress, OurClasses())) return {};
  json::object desired = DesiredStatus(nodes_->List());
  if (CurrentStatus(*ingress) == desired) return {};
  json::value next = *ingress;
  base::EnsureObject(next, {"status"})["loadBalancer"] = std::move(desired);
  auto updated = context_.client->Update(Ingresses(), ns, std::move(next), "status",
                                         {.field_manager = "ingress-status-controller"});
  if (!updated.ok()) {
    if (client::HttpCode(updated.status()) == 404) return {};
    return {updated.status()};
  }
  tracker_.Wrote(key, **updated);
  return {};
}

std::unique_ptr<client::Runnable> NewIngressStatusController(const client::ControllerContext& context) {
  return std::make_unique<IngressStatusController>(context);
}

}  // namespace skiff::controllers::ingressstatus
