#include "controllers/endpointslice/endpointslice_controller.h"

#include <algorithm>
#include <utility>

#include "api/object_meta.h"
#include "api/pod_util.h"
#include "base/json.h"
#include "client/informer.h"
#include "controllers/endpoints/service_pods.h"

namespace skiff::controllers::endpointslice {
namespace {

namespace json = boost::json;
using endpoints::ResolvedPort;

const api::ResourceInfo& Services() { return client::Resource("", "v1", "services"); }
const api::ResourceInfo& Pods() { return client::Resource("", "v1", "pods"); }
const api::ResourceInfo& Nodes() { return client::Resource("", "v1", "nodes"); }
const api::ResourceInfo& Slices() { return client::Resource("discovery.k8s.io", "v1", "endpointslices"); }

constexpr char kSliceIndex[] = "endpointslice-service";
constexpr char kNodeIndex[] = "endpointslice-node";
constexpr absl::Duration kStaleRetry = absl::Milliseconds(500);

// The Service key of a slice this controller manages ("" for slices of other managers).
std::string ServiceKeyOf(const json::value& slice) {
  if (api::Label(slice, kManagedByLabel) != kManagedByValue) return "";
  std::string service = api::Label(slice, kServiceNameLabel);
  if (service.empty()) return "";
  return client::MakeKey(api::Namespace(slice), service);
}

std::string ZoneLabel(const client::Object& node) { return node ? api::Label(*node, kZoneLabel) : ""; }

}  // namespace

EndpointSliceController::EndpointSliceController(const client::ControllerContext& context, Options options)
    : context_(context),
      options_(options),
      services_(&context.informers->For(Services())),
      pods_(&context.informers->For(Pods())),
      nodes_(&context.informers->For(Nodes())),
      slices_(&context.informers->For(Slices())) {}

EndpointSliceController::~EndpointSliceController() { Stop(); }

void EndpointSliceController::EnqueueServicesOfNode(const std::string& node_name) {
  for (const client::Object& pod : pods_->ByIndex(kNodeIndex, node_name)) {
    for (const std::string& key : endpoints::ServicesForPod(*services_, *pod)) controller_->queue().Add(key);
  }
}

void EndpointSliceController::Start() {
  if (controller_) return;
  controller_ = std::make_unique<client::Controller>("endpointslice", this, options_.workers);
  endpoints::AddNamespaceIndex(*services_);
  endpoints::AddNamespaceIndex(*pods_);
  pods_->AddIndex(kNodeIndex, client::IndexByField({"spec", "nodeName"}));
  slices_->AddIndex(kSliceIndex, [](const json::value& slice) -> std::vector<std::string> {
    std::string key = ServiceKeyOf(slice);
    if (key.empty()) return {};
    return {key};
  });
  client::WorkQueue* queue = &controller_->queue();
  auto enqueue = [queue](const std::vector<std::string>& keys) {
    for (const std::string& key : keys) queue->Add(key);
  };

  services_->AddHandlers(client::EnqueueOwnKey(queue));

  client::InformerHandlers pod_handlers;
  pod_handlers.on_add = [this, enqueue](const client::Object& pod) {
    enqueue(endpoints::ServicesForPod(*services_, *pod));
  };
  pod_handlers.on_update = [this, enqueue](const client::Object& old_pod, const client::Object& pod) {
    enqueue(endpoints::ServicesForPodUpdate(*services_, *old_pod, *pod));
  };
  pod_handlers.on_delete = [this, enqueue](const client::Object& pod) {
    enqueue(endpoints::ServicesForPod(*services_, *pod));
  };
  pods_->AddHandlers(std::move(pod_handlers));

  // Zones come from nodes: only a node appearing, going or changing its zone matters.
  client::InformerHandlers node_handlers;
  node_handlers.on_add = [this](const client::Object& node) { EnqueueServicesOfNode(api::Name(*node)); };
  node_handlers.on_update = [this](const client::Object& old_node, const client::Object& node) {
    if (ZoneLabel(old_node) != ZoneLabel(node)) EnqueueServicesOfNode(api::Name(*node));
  };
  node_handlers.on_delete = [this](const client::Object& node) { EnqueueServicesOfNode(api::Name(*node)); };
  nodes_->AddHandlers(std::move(node_handlers));

  auto slice_event = [this, queue](const client::Object& slice, bool deleted) {
    std::string key = ServiceKeyOf(*slice);
    if (key.empty()) return;
    tracker_.Observed(key, *slice, deleted);
    queue->Add(key);
  };
  client::InformerHandlers slice_handlers;
  slice_handlers.on_add = [slice_event](const client::Object& s) { slice_event(s, false); };
  slice_handlers.on_update = [slice_event](const client::Object& old_slice, const client::Object& s) {
    // A slice relabelled away from its Service: that Service must notice too.
    if (ServiceKeyOf(*old_slice) != ServiceKeyOf(*s)) slice_event(old_slice, true);
    slice_event(s, false);
  };
  slice_handlers.on_delete = [slice_event](const client::Object& s) { slice_event(s, true); };
  slices_->AddHandlers(std::move(slice_handlers));
  controller_->Start();
}

void EndpointSliceController::Stop() {
  if (controller_) controller_->Stop();
}

DesiredState EndpointSliceController::Desired(const json::value& service) const {
  DesiredState desired;
  std::string name = api::Name(service);
  desired.ns = api::Namespace(service);
  desired.generate_name = name + "-";
  desired.max_endpoints_per_slice = options_.max_endpoints_per_slice;
  if (const json::value* l = api::Labels(service); l != nullptr && l->is_object()) {
    desired.labels = l->get_object();
  }
  for (const char* reserved : {kServiceNameLabel, kManagedByLabel, endpoints::kHeadlessLabel}) {
    desired.labels.erase(reserved);
  }
  if (endpoints::IsHeadless(service)) desired.labels[endpoints::kHeadlessLabel] = "";
  desired.labels[kServiceNameLabel] = name;
  desired.labels[kManagedByLabel] = kManagedByValue;
  desired.owner_references.push_back(json::object{{"apiVersion", "v1"},
                                                  {"kind", "Service"},
                                                  {"name", name},
                                                  {"uid", api::Uid(service)},
                                                  {"controller", true},
                                                  {"blockOwnerDeletion", true}});

  bool publish = base::GetBool(service, {"spec", "publishNotReadyAddresses"});
  for (const client::Object& pod : endpoints::SelectedPods(*pods_, service)) {
    if (!endpoints::ShouldPodBeInEndpoints(*pod, /*include_terminating=*/true)) continue;
    std::string ip = base::GetString(*pod, {"status", "podIP"});
    if (ip.find(':') != std::string::npos) continue;  // IPv4 slices only
    json::array ports;
    for (const ResolvedPort& p : endpoints::ResolvePorts(service, *pod)) {
      json::object port{{"name", p.name}, {"port", p.port}, {"protocol", p.protocol}};
      if (!p.app_protocol.empty()) port["appProtocol"] = p.app_protocol;
      ports.push_back(std::move(port));
    }
    json::value port_list = std::move(ports);
    std::string ports_key = base::ToJson(CanonicalPorts(&port_list));

    bool serving = publish || api::IsPodReady(*pod);
    bool terminating = api::IsBeingDeleted(*pod);
    std::string node_name = api::NodeName(*pod);
    json::object ep{{"addresses", json::array{json::value(ip)}},
                    {"conditions", json::object{{"ready", publish || (serving && !terminating)},
                                                {"serving", serving},
                                                {"terminating", terminating}}},
                    {"hostname", endpoints::PodHostname(service, *pod)},
                    {"targetRef", json::object{{"kind", "Pod"},
                                               {"namespace", api::Namespace(*pod)},
                                               {"name", api::Name(*pod)},
                                               {"uid", api::Uid(*pod)}}},
                    {"nodeName", node_name},
                    {"zone", node_name.empty() ? "" : ZoneLabel(nodes_->Get(node_name))}};
    json::value ep_value = std::move(ep);
    DesiredEndpoint desired_ep{EndpointId(ep_value), CanonicalEndpoint(ep_value)};
    desired.groups[ports_key].push_back(std::move(desired_ep));
  }
  for (auto& [key, eps] : desired.groups) {
    std::sort(eps.begin(), eps.end(),
              [](const DesiredEndpoint& a, const DesiredEndpoint& b) { return a.id < b.id; });
  }
  return desired;
}

client::ReconcileResult EndpointSliceController::Reconcile(const std::string& key) {
  std::string ns, name;
  client::SplitKey(key, &ns, &name);
  if (tracker_.Stale(key, [&](const std::string& n) { return slices_->Get(client::MakeKey(ns, n)); })) {
    return {absl::OkStatus(), kStaleRetry};
  }
  client::Object service = services_->Get(key);
  std::vector<client::Object> existing = slices_->ByIndex(kSliceIndex, key);
  SlicePlan plan;
  if (service == nullptr || !endpoints::HasPodSelector(*service)) {
    for (const client::Object& slice : existing) plan.deletes.push_back(api::Name(*slice));
  } else {
    plan = PlanSlices(Desired(*service), existing);
  }
  client::WriteOptions write_options{.field_manager = "endpointslice-controller"};
  // Creates and updates before deletes, so consumers never see endpoints vanish in between.
  for (json::value& slice : plan.creates) {
    auto created = context_.client->Create(Slices(), ns, std::move(slice), write_options);
    if (!created.ok()) {
      if (client::HttpCode(created.status()) == 403) return {};  // namespace terminating
      return {created.status()};
    }
    tracker_.Wrote(key, **created);
  }
  for (json::value& slice : plan.updates) {
    auto updated = context_.client->Update(Slices(), ns, std::move(slice), "", write_options);
    if (!updated.ok()) return {updated.status()};
    tracker_.Wrote(key, **updated);
  }
  for (const std::string& slice_name : plan.deletes) {
    absl::Status s = context_.client->Delete(Slices(), ns, slice_name);
    if (!s.ok() && client::HttpCode(s) != 404) return {s};
    tracker_.Deleted(key, slice_name);
  }
  return {};
}

std::unique_ptr<client::Runnable> NewEndpointSliceController(const client::ControllerContext& context) {
  return std::make_unique<EndpointSliceController>(context);
}

}  // namespace skiff::controllers::endpointslice
