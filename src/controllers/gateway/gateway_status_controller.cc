#include "controllers/gateway/gateway_status_controller.h"

#include <algorithm>
#include <map>
#include <set>
#include <string>

#include "absl/strings/str_cat.h"
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

// The Role (and RoleBinding to group system:nodes) in each namespace whose Gateways name
// certificate Secrets: get on exactly those Secrets, so the node agents can serve them (the Node
// authorizer grants a node no other Secret).
constexpr char kTlsReaderRole[] = "skiff:gateway-tls";
constexpr char kManagedLabel[] = "app.kubernetes.io/managed-by";
constexpr char kManagedValue[] = "skiff-gateway";

const api::ResourceInfo& Roles() { return client::Resource("rbac.authorization.k8s.io", "v1", "roles"); }
const api::ResourceInfo& RoleBindings() { return client::Resource("rbac.authorization.k8s.io", "v1", "rolebindings"); }

json::object ManagedMetadata(const std::string& ns) {
  return json::object{{"name", kTlsReaderRole}, {"namespace", ns}, {"labels", json::object{{kManagedLabel, kManagedValue}}}};
}

absl::Status IgnoreNotFound(absl::Status s) { return absl::IsNotFound(s) ? absl::OkStatus() : s; }

absl::Status EnsureTlsAccess(client::Client* client, const std::string& ns, const std::set<std::string>& secrets) {
  json::array names;
  for (const std::string& name : secrets) names.push_back(json::string(name));
  const json::array rules{json::object{{"apiGroups", json::array{""}}, {"resources", json::array{"secrets"}},
                                       {"verbs", json::array{"get"}}, {"resourceNames", std::move(names)}}};
  auto role = client->Get(Roles(), ns, kTlsReaderRole);
  if (!role.ok() && !absl::IsNotFound(role.status())) return role.status();
  if (!role.ok()) {
    json::object desired{{"apiVersion", "rbac.authorization.k8s.io/v1"}, {"kind", "Role"},
                         {"metadata", ManagedMetadata(ns)}, {"rules", rules}};
    auto created = client->Create(Roles(), ns, std::move(desired), {.field_manager = kFieldManager});
    if (!created.ok() && !absl::IsAlreadyExists(created.status())) return created.status();
  } else if (const json::value* current = base::Find(**role, "rules"); !current || *current != json::value(rules)) {
    json::value next = **role;
    next.as_object()["rules"] = rules;
    auto updated = client->Update(Roles(), ns, std::move(next), "", {.field_manager = kFieldManager});
    if (!updated.ok()) return updated.status();
  }
  auto binding = client->Get(RoleBindings(), ns, kTlsReaderRole);
  if (binding.ok()) return absl::OkStatus();
  if (!absl::IsNotFound(binding.status())) return binding.status();
  json::object desired{
      {"apiVersion", "rbac.authorization.k8s.io/v1"},
      {"kind", "RoleBinding"},
      {"metadata", ManagedMetadata(ns)},
      {"roleRef", json::object{{"apiGroup", "rbac.authorization.k8s.io"}, {"kind", "Role"}, {"name", kTlsReaderRole}}},
      {"subjects", json::array{json::object{
                       {"apiGroup", "rbac.authorization.k8s.io"}, {"kind", "Group"}, {"name", "system:nodes"}}}}};
  auto created = client->Create(RoleBindings(), ns, std::move(desired), {.field_manager = kFieldManager});
  if (!created.ok() && !absl::IsAlreadyExists(created.status())) return created.status();
  return absl::OkStatus();
}

// Keeps the Roles for `wanted` (namespace -> Secret names) and removes the ones no longer needed.
absl::Status SyncTlsAccess(client::Client* client, const std::map<std::string, std::set<std::string>>& wanted) {
  auto existing = client->List(Roles(), "", {.label_selector = absl::StrCat(kManagedLabel, "=", kManagedValue)});
  if (!existing.ok()) return existing.status();
  for (const client::Object& role : existing->items) {
    const std::string ns = base::GetString(*role, {"metadata", "namespace"});
    if (base::GetString(*role, {"metadata", "name"}) != kTlsReaderRole || wanted.count(ns)) continue;
    if (absl::Status s = IgnoreNotFound(client->Delete(RoleBindings(), ns, kTlsReaderRole)); !s.ok()) return s;
    if (absl::Status s = IgnoreNotFound(client->Delete(Roles(), ns, kTlsReaderRole)); !s.ok()) return s;
  }
  for (const auto& [ns, secrets] : wanted) {
    if (absl::Status s = EnsureTlsAccess(client, ns, secrets); !s.ok()) return s;
  }
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
  for (client::Informer* informer : {services_, namespaces_}) {
    handlers_.emplace_back(informer, informer->AddHandlers(any));
    informer->Start();
  }
  // Node heartbeats are frequent: only a change of the addresses a node contributes matters.
  handlers_.emplace_back(
      nodes_, nodes_->AddHandlers({
                  .on_add = [this](const client::Object&) { MarkDirty(); },
                  .on_update =
                      [this](const client::Object& old_node, const client::Object& node) {
                        if (ingressstatus::NodeIngressAddresses(*old_node) != ingressstatus::NodeIngressAddresses(*node)) {
                          MarkDirty();
                        }
                      },
                  .on_delete = [this](const client::Object&) { MarkDirty(); },
              }));
  nodes_->Start();
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
  // The listeners' certificate Secrets: which exist (for ResolvedRefs), and the nodes' access.
  std::set<std::string> certificates;
  std::map<std::string, std::set<std::string>> certificate_names;
  for (const std::string& key : GatewayCertificateSecrets(attachments.gateways)) {
    std::string ns, name;
    client::SplitKey(key, &ns, &name);
    certificate_names[ns].insert(name);
    auto secret = context_.client->Get(client::Resource("", "v1", "secrets"), ns, name);
    if (secret.ok() && base::GetString(**secret, {"type"}) == "kubernetes.io/tls") certificates.insert(key);
    if (!secret.ok() && !absl::IsNotFound(secret.status())) return secret.status();
  }
  absl::Status result = SyncTlsAccess(context_.client, certificate_names);
  const std::string now = Now();
  auto keep = [&](absl::Status s) {
    if (!s.ok() && result.ok()) result = s;
  };
  for (const client::Object& c : objects.classes) {
    if (attachments.classes.count(base::GetString(*c, {"metadata", "name"}))) {
      keep(WriteStatus(context_.client, gateway_informers_[0]->resource(), c, GatewayClassStatus(*c, now)));
    }
  }
  for (const client::Object& g : attachments.gateways) {
    keep(WriteStatus(context_.client, gateway_informers_[1]->resource(), g, GatewayStatus(*g, attachments, addresses, certificates, now)));
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
