#include "apiserver/apiservice_endpoint.h"

#include <mutex>
#include <vector>

#include "absl/random/random.h"
#include "absl/status/status.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "api/resources.h"
#include "apiserver/key_layout.h"
#include "base/json.h"
#include "boost/json.hpp"

namespace skiff::apiserver {
namespace {

namespace json = boost::json;

// The reason travels in the Status payload so callers need not parse messages.
constexpr char kReasonPayload[] = "skiff.io/availability-reason";

absl::Status Unresolvable(const std::string& reason, const std::string& message) {
  absl::Status status = absl::FailedPreconditionError(message);
  status.SetPayload(kReasonPayload, absl::Cord(reason));
  return status;
}

// Ready unless the slice says otherwise (a nil `ready` counts as ready, as in discovery/v1).
bool Ready(const json::value& endpoint) {
  const auto* ready = base::FindPath(endpoint, {"conditions", "ready"});
  return !ready || !ready->is_bool() || ready->get_bool();
}

}  // namespace

bool ApiServiceInfo::SameSpec(const ApiServiceInfo& o) const {
  return name == o.name && group == o.group && version == o.version && local == o.local &&
         service_namespace == o.service_namespace && service_name == o.service_name &&
         service_port == o.service_port && ca_bundle == o.ca_bundle &&
         insecure_skip_tls_verify == o.insecure_skip_tls_verify &&
         group_priority_minimum == o.group_priority_minimum && version_priority == o.version_priority;
}

ApiServiceInfo ParseApiService(const json::value& obj) {
  ApiServiceInfo info;
  info.name = base::GetString(obj, {"metadata", "name"});
  info.group = base::GetString(obj, {"spec", "group"});
  info.version = base::GetString(obj, {"spec", "version"});
  info.group_priority_minimum = base::GetInt(obj, {"spec", "groupPriorityMinimum"});
  info.version_priority = base::GetInt(obj, {"spec", "versionPriority"});
  info.insecure_skip_tls_verify = base::GetBool(obj, {"spec", "insecureSkipTLSVerify"});
  std::string ca_bundle;
  if (absl::Base64Unescape(base::GetString(obj, {"spec", "caBundle"}), &ca_bundle)) info.ca_bundle = ca_bundle;
  if (const auto* service = base::FindPath(obj, {"spec", "service"}); service && service->is_object()) {
    info.local = false;
    info.service_namespace = base::GetString(*service, {"namespace"});
    info.service_name = base::GetString(*service, {"name"});
    if (const auto* port = service->as_object().if_contains("port"); port && port->is_int64())
      info.service_port = static_cast<int>(port->get_int64());
  }
  if (const auto* conditions = base::FindPath(obj, {"status", "conditions"}); conditions && conditions->is_array()) {
    for (const auto& c : conditions->get_array()) {
      if (base::GetString(c, {"type"}) != "Available") continue;
      info.available = base::GetString(c, {"status"}) == "True";
      info.available_reason = base::GetString(c, {"reason"});
    }
  }
  return info;
}

absl::StatusOr<ServiceEndpoint> ResolveServiceEndpoint(ResourceStorage* storage, const std::string& ns,
                                                       const std::string& name, int port) {
  const api::ResourceInfo* services = api::FindResource("", "v1", "services");
  auto service = storage->Get(*services, ns, name);
  if (!service.ok()) {
    if (absl::IsNotFound(service.status()))
      return Unresolvable("ServiceNotFound", absl::StrCat("service/", name, " in \"", ns, "\" is not present"));
    return service.status();
  }
  json::value svc = (*service)->Parse();
  if (base::GetString(svc, {"spec", "type"}) == "ExternalName") {
    return ServiceEndpoint{base::GetString(svc, {"spec", "externalName"}), port};
  }
  const json::value* port_entry = nullptr;
  if (const auto* ports = base::FindPath(svc, {"spec", "ports"}); ports && ports->is_array()) {
    for (const auto& p : ports->get_array()) {
      if (base::GetInt(p, {"port"}) == port) port_entry = &p;
    }
  }
  if (!port_entry) {
    return Unresolvable("ServicePortError",
                        absl::StrCat("service/", name, " in \"", ns, "\" is not listening on port ", port));
  }
  std::string port_name = base::GetString(*port_entry, {"name"});
  std::string prefix = ResourcePrefix("discovery.k8s.io", "endpointslices");
  bool more = false;
  auto slices = storage->cache()->List(prefix, absl::StrCat(prefix, ns, "/"), nullptr, "", 0, &more);
  bool found_slice = false;
  std::vector<ServiceEndpoint> ready;
  for (const auto& object : slices.objects) {
    json::value slice = object->Parse();
    if (base::GetString(slice, {"metadata", "labels", "kubernetes.io/service-name"}) != name) continue;
    found_slice = true;
    int target = 0;
    if (const auto* ports = base::FindPath(slice, {"ports"}); ports && ports->is_array()) {
      for (const auto& p : ports->get_array()) {
        if (base::GetString(p, {"name"}) == port_name) target = static_cast<int>(base::GetInt(p, {"port"}));
      }
    }
    if (target <= 0) continue;
    const auto* endpoints = base::FindPath(slice, {"endpoints"});
    if (!endpoints || !endpoints->is_array()) continue;
    for (const auto& e : endpoints->get_array()) {
      const auto* addresses = base::FindPath(e, {"addresses"});
      if (!Ready(e) || !addresses || !addresses->is_array() || addresses->get_array().empty()) continue;
      const auto& first = addresses->get_array().front();
      if (first.is_string()) ready.push_back({std::string(first.get_string()), target});
    }
  }
  if (!found_slice) {
    return Unresolvable("EndpointsNotFound", absl::StrCat("cannot find endpoints for service/", name, " in \"", ns, "\""));
  }
  if (ready.empty()) {
    return Unresolvable("MissingEndpoints", absl::StrCat("endpoints for service/", name, " in \"", ns,
                                                         "\" have no addresses with port name \"", port_name, "\""));
  }
  static std::mutex gen_mu;
  static absl::BitGen gen;
  std::lock_guard<std::mutex> lock(gen_mu);
  return ready[absl::Uniform<size_t>(gen, 0, ready.size())];
}

std::string ResolutionReason(const absl::Status& status) {
  auto payload = status.GetPayload(kReasonPayload);
  return payload ? std::string(*payload) : "";
}

}  // namespace skiff::apiserver
