#include "controllers/endpoints/endpoints_controller.h"

#include <algorithm>
#include <map>
#include <utility>

#include "api/object_meta.h"
#include "api/pod_util.h"
#include "base/json.h"
#include "client/informer.h"
#include "controllers/endpoints/service_pods.h"

namespace skiff::controllers::endpoints {
namespace {

namespace json = boost::json;

const api::ResourceInfo& Services() { return client::Resource("", "v1", "services"); }
const api::ResourceInfo& Pods() { return client::Resource("", "v1", "pods"); }
const api::ResourceInfo& EndpointsResource() { return client::Resource("", "v1", "endpoints"); }

constexpr absl::Duration kStaleRetry = absl::Milliseconds(500);

void SetIfNotEmpty(json::object& obj, const char* key, std::string value) {
  if (!value.empty()) obj[key] = std::move(value);
}

// The canonical form of an EndpointAddress (known fields only, empty ones left out).
json::object CanonicalAddress(const json::value& address) {
  json::object out;
  out["ip"] = base::GetString(address, {"ip"});
  SetIfNotEmpty(out, "hostname", base::GetString(address, {"hostname"}));
  SetIfNotEmpty(out, "nodeName", base::GetString(address, {"nodeName"}));
  if (const json::value* ref = base::Find(address, "targetRef"); ref != nullptr && ref->is_object()) {
    json::object r;
    for (const char* field : {"kind", "namespace", "name", "uid"})
      SetIfNotEmpty(r, field, base::GetString(*ref, {field}));
    out["targetRef"] = std::move(r);
  }
  return out;
}

json::object CanonicalPort(const json::value& port) {
  json::object out;
  SetIfNotEmpty(out, "name", base::GetString(port, {"name"}));
  out["port"] = base::GetInt(port, {"port"});
  std::string protocol = base::GetString(port, {"protocol"});
  out["protocol"] = protocol.empty() ? "TCP" : protocol;
  SetIfNotEmpty(out, "appProtocol", base::GetString(port, {"appProtocol"}));
  return out;
}

json::array CanonicalList(const json::value& subset, const char* field,
                          json::object (*canonical)(const json::value&)) {
  json::array out;
  const json::value* list = base::Find(subset, field);
  if (list == nullptr || !list->is_array()) return out;
  for (const json::value& item : list->get_array()) out.push_back(canonical(item));
  return out;
}

json::object MakeSubset(json::array addresses, json::array not_ready, json::array ports) {
  json::object out;
  if (!addresses.empty()) out["addresses"] = std::move(addresses);
  if (!not_ready.empty()) out["notReadyAddresses"] = std::move(not_ready);
  if (!ports.empty()) out["ports"] = std::move(ports);
  return out;
}

// Existing subsets in the form DesiredSubsets produces, for comparison.
json::array CanonicalSubsets(const json::value& endpoints) {
  json::array out;
  const json::value* subsets = base::Find(endpoints, "subsets");
  if (subsets == nullptr || !subsets->is_array()) return out;
  for (const json::value& s : subsets->get_array()) {
    out.push_back(MakeSubset(CanonicalList(s, "addresses", CanonicalAddress),
                             CanonicalList(s, "notReadyAddresses", CanonicalAddress),
                             CanonicalList(s, "ports", CanonicalPort)));
  }
  return out;
}

json::object DesiredLabels(const json::value& service) {
  json::object labels;
  if (const json::value* l = api::Labels(service); l != nullptr && l->is_object()) {
    labels = l->get_object();
  }
  labels.erase(kHeadlessLabel);
  if (IsHeadless(service)) labels[kHeadlessLabel] = "";
  labels[kManagedByLabel] = kManagedByValue;
  return labels;
}

bool IsOurs(const json::value& endpoints) {
  return api::Label(endpoints, kManagedByLabel) == kManagedByValue;
}

struct Address {
  std::string ip;
  std::string uid;
  json::object value;
};

bool AddressLess(const Address& a, const Address& b) { return std::tie(a.ip, a.uid) < std::tie(b.ip, b.uid); }

json::array ToArray(std::vector<Address>& addresses) {
  std::sort(addresses.begin(), addresses.end(), AddressLess);
  json::array out;
  for (Address& a : addresses) out.push_back(std::move(a.value));
  return out;
}

}  // namespace

json::array DesiredSubsets(const json::value& service, const std::vector<client::Object>& pods) {
  bool publish = base::GetBool(service, {"spec", "publishNotReadyAddresses"});
  const json::value* service_ports = base::FindPath(service, {"spec", "ports"});
  bool has_ports =
      service_ports != nullptr && service_ports->is_array() && !service_ports->get_array().empty();
  // Headless services may have no ports: their pods are listed without any.
  if (!has_ports && !IsHeadless(service)) return {};
  struct Group {
    std::vector<Address> ready, not_ready;
  };
  std::map<std::vector<ResolvedPort>, Group> groups;
  for (const client::Object& pod : pods) {
    if (!ShouldPodBeInEndpoints(*pod, publish)) continue;
    std::vector<ResolvedPort> ports = ResolvePorts(service, *pod);
    if (has_ports && ports.empty()) continue;
    Address a;
    a.ip = base::GetString(*pod, {"status", "podIP"});
    a.uid = api::Uid(*pod);
    a.value["ip"] = a.ip;
    SetIfNotEmpty(a.value, "hostname", PodHostname(service, *pod));
    SetIfNotEmpty(a.value, "nodeName", api::NodeName(*pod));
    json::object ref{{"kind", "Pod"}};
    SetIfNotEmpty(ref, "namespace", api::Namespace(*pod));
    SetIfNotEmpty(ref, "name", api::Name(*pod));
    SetIfNotEmpty(ref, "uid", a.uid);
    a.value["targetRef"] = std::move(ref);
    Group& g = groups[std::move(ports)];
    (publish || api::IsPodReady(*pod) ? g.ready : g.not_ready).push_back(std::move(a));
  }
  json::array subsets;
  for (auto& [ports, group] : groups) {
    json::array port_list;
    for (const ResolvedPort& p : ports) {
      json::object port;
      SetIfNotEmpty(port, "name", p.name);
      port["port"] = p.port;
      port["protocol"] = p.protocol;
      SetIfNotEmpty(port, "appProtocol", p.app_protocol);
      port_list.push_back(std::move(port));
    }
    subsets.push_back(MakeSubset(ToArray(group.ready), ToArray(group.not_ready), std::move(port_list)));
  }
  return subsets;
}

EndpointsController::EndpointsController(const client::ControllerContext& context, int workers)
    : context_(context),
      workers_(workers),
      services_(&context.informers->For(Services())),
      pods_(&context.informers->For(Pods())),
      endpoints_(&context.informers->For(EndpointsResource())) {}

EndpointsController::~EndpointsController() { Stop(); }

void EndpointsController::Start() {
  if (controller_) return;
  controller_ = std::make_unique<client::Controller>("endpoints", this, workers_);
  AddNamespaceIndex(*services_);
  AddNamespaceIndex(*pods_);
  client::WorkQueue* queue = &controller_->queue();
  auto enqueue = [queue](const std::vector<std::string>& keys) {
    for (const std::string& key : keys) queue->Add(key);
  };

  services_->AddHandlers(client::EnqueueOwnKey(queue));

  client::InformerHandlers pod_handlers;
  pod_handlers.on_add = [this, enqueue](const client::Object& pod) {
    enqueue(ServicesForPod(*services_, *pod));
  };
  pod_handlers.on_update = [this, enqueue](const client::Object& old_pod, const client::Object& pod) {
    enqueue(ServicesForPodUpdate(*services_, *old_pod, *pod));
  };
  pod_handlers.on_delete = [this, enqueue](const client::Object& pod) {
    enqueue(ServicesForPod(*services_, *pod));
  };
  pods_->AddHandlers(std::move(pod_handlers));

  // Someone else changing or deleting an Endpoints object: repair it (if it is ours to keep).
  client::InformerHandlers endpoints_handlers;
  endpoints_handlers.on_add = [this, queue](const client::Object& ep) {
    tracker_.Observed(client::KeyOf(*ep), *ep, false);
    queue->Add(client::KeyOf(*ep));
  };
  endpoints_handlers.on_update = [this, queue](const client::Object&, const client::Object& ep) {
    tracker_.Observed(client::KeyOf(*ep), *ep, false);
    queue->Add(client::KeyOf(*ep));
  };
  endpoints_handlers.on_delete = [this, queue](const client::Object& ep) {
    tracker_.Observed(client::KeyOf(*ep), *ep, true);
    queue->Add(client::KeyOf(*ep));
  };
  endpoints_->AddHandlers(std::move(endpoints_handlers));
  controller_->Start();
}

void EndpointsController::Stop() {
  if (controller_) controller_->Stop();
}

client::ReconcileResult EndpointsController::DeleteIfOurs(const std::string& key,
                                                          const client::Object& existing) {
  if (existing == nullptr || !IsOurs(*existing)) return {};
  client::DeleteOptions options;
  options.precondition_uid = api::Uid(*existing);
  std::string ns, name;
  client::SplitKey(key, &ns, &name);
  absl::Status s = context_.client->Delete(EndpointsResource(), ns, name, options);
  if (!s.ok() && client::HttpCode(s) != 404) return {s};
  tracker_.Deleted(key, name);
  return {};
}

client::ReconcileResult EndpointsController::Reconcile(const std::string& key) {
  std::string ns, name;
  client::SplitKey(key, &ns, &name);
  if (tracker_.Stale(key, [&](const std::string& n) { return endpoints_->Get(client::MakeKey(ns, n)); })) {
    return {absl::OkStatus(), kStaleRetry};
  }
  client::Object service = services_->Get(key);
  client::Object existing = endpoints_->Get(key);
  if (service == nullptr || !HasPodSelector(*service)) return DeleteIfOurs(key, existing);

  json::array subsets = DesiredSubsets(*service, SelectedPods(*pods_, *service));
  json::object labels = DesiredLabels(*service);
  absl::StatusOr<client::Object> written;
  client::WriteOptions write_options{.field_manager = "endpoint-controller"};
  if (existing != nullptr) {
    const json::value* current_labels = api::Labels(*existing);
    bool labels_equal =
        current_labels != nullptr && current_labels->is_object() && current_labels->get_object() == labels;
    if (labels_equal && CanonicalSubsets(*existing) == subsets) return {};
    json::value next = *existing;  // keeps annotations and the resourceVersion precondition
    base::EnsureObject(next, {"metadata"})["labels"] = std::move(labels);
    next.as_object()["subsets"] = std::move(subsets);
    written = context_.client->Update(EndpointsResource(), ns, std::move(next), "", write_options);
  } else {
    json::value obj =
        json::object{{"apiVersion", "v1"},
                     {"kind", "Endpoints"},
                     {"metadata", json::object{{"name", name}, {"namespace", ns}, {"labels", labels}}},
                     {"subsets", std::move(subsets)}};
    written = context_.client->Create(EndpointsResource(), ns, std::move(obj), write_options);
  }
  if (!written.ok()) {
    // 403 on create: the namespace is terminating; its deletion removes the Service too.
    if (existing == nullptr && client::HttpCode(written.status()) == 403) return {};
    return {written.status()};
  }
  tracker_.Wrote(key, **written);
  return {};
}

std::unique_ptr<client::Runnable> NewEndpointsController(const client::ControllerContext& context) {
  return std::make_unique<EndpointsController>(context);
}

}  // namespace skiff::controllers::endpoints
