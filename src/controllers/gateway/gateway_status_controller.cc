#include "controllers/gateway/gateway_status_controller.h"

#include <algorithm>
#include <set>
#include <string>

#include "api/resources.h"
#include "base/clock.h"
#include "base/json.h"
#include "boost/json.hpp"
#include "controllers/gateway/attachment.h"
#include "controllers/gateway/status.h"
#include "controllers/ingressstatus/ingress_status_controller.h"
#include "spdlog/spdlog.h"

namespace skiff::controllers::gateway {
namespace {

namespace json = boost::json;

constexpr char kFieldManager[] = "gateway-status-controller";

// Writes `status` when it differs from the object's.
absl::Status WriteStatus(client::Client* client, const api::ResourceInfo& resource, const client::Object& object,
                         json::value status) {
  const json::value* current = base::Find(*object, "status");
  if (current && *current == status) return absl::OkStatus();
  json::value next = *object;
  next.as_object()["status"] = std::move(status);
  auto updated = client->Update(resource, base::GetString(*object, {"metadata", "namespace"}), std::move(next), "status",
                                {.field_manager = kFieldManager});
  if (!updated.ok() && !absl::IsNotFound(updated.status())) return updated.status();
  return absl::OkStatus();
}

// Status writes carry a fresh lastTransitionTime only for conditions that changed, so a pass that
// changes nothing writes nothing.
std::string Now() { return base::FormatRfc3339(absl::Now()); }

}  // namespace

GatewayStatusController::GatewayStatusController(const client::ControllerContext& context, absl::Duration probe_period)
    : context_(context),
      probe_period_(probe_period),
      services_(&context.informers->For(client::Resource("", "v1", "services"))),
      nodes_(&context.informers->For(client::Resource("", "v1", "nodes"))),
      namespaces_(&context.informers->For(client::Resource("", "v1", "namespaces"))) {}

GatewayStatusController::~GatewayStatusController() { Stop(); }

void GatewayStatusController::Start() {
  if (thread_.joinable()) return;
  auto any = client::InformerHandlers{
      .on_add = [this](const client::Object&) { MarkDirty(); },
      .on_update = [this](const client::Object&, const client::Object&) { MarkDirty(); },
      .on_delete = [this](const client::Object&) { MarkDirty(); },
  };
  for (client::Informer* informer : {services_, nodes_, namespaces_}) {
    handlers_.emplace_back(informer, informer->AddHandlers(any));
    informer->Start();
  }
  {
    std::lock_guard lock(mu_);
    stop_ = false;
    dirty_ = true;
  }
  thread_ = std::thread([this] { Loop(); });
}

void GatewayStatusController::Stop() {
  {
    std::lock_guard lock(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
  for (auto& [informer, id] : handlers_) informer->RemoveHandlers(id);
  handlers_.clear();
  gateway_informers_.clear();
}

void GatewayStatusController::MarkDirty() {
  {
    std::lock_guard lock(mu_);
    dirty_ = true;
  }
  cv_.notify_all();
}

bool GatewayStatusController::StartGatewayInformers() {
  std::vector<const api::ResourceInfo*> resources = {api::FindResource(kGroup, "v1", "gatewayclasses"),
                                                     api::FindResource(kGroup, "v1", "gateways"),
                                                     api::FindResource(kGroup, "v1", "httproutes"),
                                                     api::FindResource(kGroup, "v1beta1", "referencegrants")};
  if (std::find(resources.begin(), resources.end(), nullptr) != resources.end()) return false;
  auto any = client::InformerHandlers{
      .on_add = [this](const client::Object&) { MarkDirty(); },
      .on_update = [this](const client::Object&, const client::Object&) { MarkDirty(); },
      .on_delete = [this](const client::Object&) { MarkDirty(); },
  };
  for (const api::ResourceInfo* resource : resources) {
    client::Informer* informer = &context_.informers->For(*resource);
    handlers_.emplace_back(informer, informer->AddHandlers(any));
    informer->Start();
    gateway_informers_.push_back(informer);
  }
  return true;
}

void GatewayStatusController::Loop() {
  std::unique_lock lock(mu_);
  absl::Duration backoff = absl::ZeroDuration();
  while (!stop_) {
    cv_.wait_for(lock, absl::ToChronoNanoseconds(std::max(probe_period_, backoff)), [&] { return stop_ || dirty_; });
    if (stop_) break;
    // Coalesce bursts of events into one pass.
    cv_.wait_for(lock, std::chrono::milliseconds(50), [&] { return stop_; });
    if (stop_) break;
    dirty_ = false;
    lock.unlock();
    absl::Status status = absl::OkStatus();
    if (gateway_informers_.empty()) StartGatewayInformers();
    bool synced = !gateway_informers_.empty();
    for (client::Informer* informer : gateway_informers_) synced = synced && informer->WaitForSync(absl::Seconds(1));
    for (client::Informer* informer : {services_, nodes_, namespaces_}) {
      synced = synced && informer->WaitForSync(absl::Seconds(1));
    }
    if (synced) status = Pass();
    lock.lock();
    if (!status.ok()) {
      spdlog::warn("gateway status: {}", status.ToString());
      backoff = std::min(absl::Seconds(30), std::max(absl::Milliseconds(500), backoff * 2));
      dirty_ = true;
    } else {
      backoff = absl::ZeroDuration();
      if (!synced && !gateway_informers_.empty()) dirty_ = true;
    }
  }
}

absl::Status GatewayStatusController::Pass() {
  GatewayObjects objects{.classes = gateway_informers_[0]->List(),
                         .gateways = gateway_informers_[1]->List(),
                         .routes = gateway_informers_[2]->List(),
                         .namespaces = namespaces_->List()};
  const std::vector<client::Object> grants = gateway_informers_[3]->List();
  const Attachments attachments = Attach(objects);
  std::set<std::string> services;
  for (const client::Object& s : services_->List()) services.insert(client::KeyOf(*s));
  std::set<std::string> address_set;
  for (const client::Object& node : nodes_->List()) {
    for (const std::string& a : ingressstatus::NodeIngressAddresses(*node)) address_set.insert(a);
  }
  const std::vector<std::string> addresses(address_set.begin(), address_set.end());
  const std::string now = Now();
  absl::Status result = absl::OkStatus();
  auto keep = [&](absl::Status s) {
    if (!s.ok() && result.ok()) result = s;
  };
  for (const client::Object& c : objects.classes) {
    if (attachments.classes.count(base::GetString(*c, {"metadata", "name"}))) {
      keep(WriteStatus(context_.client, gateway_informers_[0]->resource(), c, GatewayClassStatus(*c, now)));
    }
  }
  for (const client::Object& g : attachments.gateways) {
    keep(WriteStatus(context_.client, gateway_informers_[1]->resource(), g, GatewayStatus(*g, attachments, addresses, now)));
  }
  for (const RouteAttachment& r : attachments.routes) {
    keep(WriteStatus(context_.client, gateway_informers_[2]->resource(), r.route, HttpRouteStatus(r, services, grants, now)));
  }
  return result;
}

std::unique_ptr<client::Runnable> NewGatewayStatusController(const client::ControllerContext& context) {
  return std::make_unique<GatewayStatusController>(context);
}

}  // namespace skiff::controllers::gateway
