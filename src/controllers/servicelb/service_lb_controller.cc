#include "controllers/servicelb/service_lb_controller.h"

#include <algorithm>
#include <set>
#include <utility>

#include "api/pod_util.h"
#include "base/json.h"
#include "client/informer.h"

namespace skiff::controllers::servicelb {
namespace {

namespace json = boost::json;

const api::ResourceInfo& Services() { return client::Resource("", "v1", "services"); }
const api::ResourceInfo& Nodes() { return client::Resource("", "v1", "nodes"); }

constexpr char kTypeIndex[] = "servicelb-type";
constexpr absl::Duration kStaleRetry = absl::Milliseconds(500);

bool IsOurLoadBalancer(const json::value& service) {
  return base::GetString(service, {"spec", "type"}) == "LoadBalancer" &&
         base::GetString(service, {"spec", "loadBalancerClass"}).empty();
}

std::string Family(const std::string& ip) { return ip.find(':') == std::string::npos ? "IPv4" : "IPv6"; }

json::object DesiredStatus(const json::value& service, const std::vector<client::Object>& nodes) {
  std::set<std::string> families;
  if (const json::value* f = base::FindPath(service, {"spec", "ipFamilies"}); f != nullptr && f->is_array()) {
    for (const json::value& family : f->get_array()) {
      if (family.is_string()) families.insert(std::string(family.get_string()));
    }
  }
  std::set<std::string> ips;
  for (const client::Object& node : nodes) {
    for (std::string& ip : NodeIngressAddresses(*node)) {
      if (families.empty() || families.count(Family(ip))) ips.insert(std::move(ip));
    }
  }
  json::array ingress;
  for (const std::string& ip : ips) ingress.push_back(json::object{{"ip", ip}, {"ipMode", "VIP"}});
  json::object status;
  if (!ingress.empty()) status["ingress"] = std::move(ingress);
  return status;
}

// status.loadBalancer as an object ({} when absent), for comparison.
json::object CurrentStatus(const json::value& service) {
  const json::value* lb = base::FindPath(service, {"status", "loadBalancer"});
  if (lb == nullptr || !lb->is_object()) return {};
  json::object out = lb->get_object();
  // An empty ingress list means the same as none.
  if (const json::value* ingress = out.if_contains("ingress");
      ingress != nullptr && (!ingress->is_array() || ingress->get_array().empty())) {
    out.erase("ingress");
  }
  return out;
}

}  // namespace

std::vector<std::string> NodeIngressAddresses(const json::value& node) {
  if (!api::IsConditionTrue(node, "Ready") || base::GetBool(node, {"spec", "unschedulable"})) return {};
  std::vector<std::string> external, internal;
  if (const json::value* a = base::FindPath(node, {"status", "addresses"}); a != nullptr && a->is_array()) {
    for (const json::value& address : a->get_array()) {
      std::string type = base::GetString(address, {"type"});
      std::string ip = base::GetString(address, {"address"});
      if (ip.empty()) continue;
      if (type == "ExternalIP") external.push_back(ip);
      if (type == "InternalIP") internal.push_back(ip);
    }
  }
  std::vector<std::string> out = external.empty() ? internal : external;
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

ServiceLbController::ServiceLbController(const client::ControllerContext& context, int workers)
    : context_(context),
      workers_(workers),
      services_(&context.informers->For(Services())),
      nodes_(&context.informers->For(Nodes())) {}

ServiceLbController::~ServiceLbController() { Stop(); }

void ServiceLbController::EnqueueLoadBalancers() {
  for (const client::Object& service : services_->ByIndex(kTypeIndex, "LoadBalancer")) {
    controller_->queue().Add(client::KeyOf(*service));
  }
}

void ServiceLbController::Start() {
  if (controller_) return;
  controller_ = std::make_unique<client::Controller>("servicelb", this, workers_);
  services_->AddIndex(kTypeIndex, client::IndexByField({"spec", "type"}));
  client::WorkQueue* queue = &controller_->queue();
  auto service_event = [this, queue](const client::Object& svc) {
    tracker_.Observed(client::KeyOf(*svc), *svc, false);
    queue->Add(client::KeyOf(*svc));
  };
  client::InformerHandlers service_handlers;
  service_handlers.on_add = service_event;
  service_handlers.on_update = [service_event](const client::Object&, const client::Object& svc) {
    service_event(svc);
  };
  service_handlers.on_delete = [this](const client::Object& svc) { tracker_.Forget(client::KeyOf(*svc)); };
  services_->AddHandlers(std::move(service_handlers));

  // Node heartbeats are frequent: only a change of what a node contributes matters.
  client::InformerHandlers node_handlers;
  node_handlers.on_add = [this](const client::Object& node) {
    if (!NodeIngressAddresses(*node).empty()) EnqueueLoadBalancers();
  };
  node_handlers.on_update = [this](const client::Object& old_node, const client::Object& node) {
    if (NodeIngressAddresses(*old_node) != NodeIngressAddresses(*node)) EnqueueLoadBalancers();
  };
  node_handlers.on_delete = [this](const client::Object& node) {
    if (!NodeIngressAddresses(*node).empty()) EnqueueLoadBalancers();
  };
  nodes_->AddHandlers(std::move(node_handlers));
  controller_->Start();
}

void ServiceLbController::Stop() {
  if (controller_) controller_->Stop();
}

client::ReconcileResult ServiceLbController::Reconcile(const std::string& key) {
  std::string ns, name;
  client::SplitKey(key, &ns, &name);
  // The one object tracked per key is the Service itself (its status write).
  if (tracker_.Stale(key, [&](const std::string&) { return services_->Get(key); })) {
    return {absl::OkStatus(), kStaleRetry};
  }
  client::Object service = services_->Get(key);
  if (service == nullptr) return {};
  json::object current = CurrentStatus(*service);
  json::object desired;
  if (IsOurLoadBalancer(*service)) {
    desired = DesiredStatus(*service, nodes_->List());
  } else if (base::GetString(*service, {"spec", "type"}) == "LoadBalancer" || current.empty()) {
    return {};  // another implementation's load balancer, or nothing to clear
  }
  if (current == desired) return {};
  json::value next = *service;
  base::EnsureObject(next, {"status"})["loadBalancer"] = std::move(desired);
  auto updated = context_.client->Update(Services(), ns, std::move(next), "status",
                                         {.field_manager = "servicelb-controller"});
  if (!updated.ok()) {
    if (client::HttpCode(updated.status()) == 404) return {};
    return {updated.status()};
  }
  tracker_.Wrote(key, **updated);
  return {};
}

std::unique_ptr<client::Runnable> NewServiceLbController(const client::ControllerContext& context) {
  return std::make_unique<ServiceLbController>(context);
}

}  // namespace skiff::controllers::servicelb
