#include "controllers/endpoints/service_pods.h"

#include <algorithm>

#include "api/object_meta.h"
#include "api/pod_util.h"
#include "base/json.h"

namespace skiff::controllers::endpoints {
namespace {

namespace json = boost::json;

const json::object* SelectorOf(const json::value& service) {
  const json::value* selector = base::FindPath(service, {"spec", "selector"});
  if (selector == nullptr || !selector->is_object() || selector->get_object().empty()) return nullptr;
  return &selector->get_object();
}

std::string ProtocolOr(const json::value& port) {
  std::string protocol = base::GetString(port, {"protocol"});
  return protocol.empty() ? "TCP" : protocol;
}

// containerPort of the port called `name` with `protocol` among containers[].ports[], if any.
std::optional<int64_t> FindNamedPort(const json::value* containers, const std::string& name,
                                     const std::string& protocol, bool sidecars_only) {
  if (containers == nullptr || !containers->is_array()) return std::nullopt;
  for (const json::value& container : containers->get_array()) {
    if (sidecars_only && base::GetString(container, {"restartPolicy"}) != "Always") continue;
    const json::value* ports = base::Find(container, "ports");
    if (ports == nullptr || !ports->is_array()) continue;
    for (const json::value& port : ports->get_array()) {
      if (base::GetString(port, {"name"}) == name && ProtocolOr(port) == protocol) {
        int64_t number = base::GetInt(port, {"containerPort"});
        if (number > 0) return number;
      }
    }
  }
  return std::nullopt;
}

void Append(std::vector<std::string>& keys, std::vector<std::string> more) {
  for (std::string& key : more) {
    if (std::find(keys.begin(), keys.end(), key) == keys.end()) keys.push_back(std::move(key));
  }
}

}  // namespace

void AddNamespaceIndex(client::Informer& informer) {
  informer.AddIndex(kNamespaceIndex, client::IndexByNamespace());
}

bool HasPodSelector(const json::value& service) {
  return SelectorOf(service) != nullptr && base::GetString(service, {"spec", "type"}) != "ExternalName";
}

bool IsHeadless(const json::value& service) {
  return base::GetString(service, {"spec", "clusterIP"}) == "None";
}

bool SelectorMatches(const json::value& service, const json::value& pod) {
  const json::object* selector = SelectorOf(service);
  if (selector == nullptr) return false;
  const json::value* labels = api::Labels(pod);
  if (labels == nullptr || !labels->is_object()) return false;
  for (const auto& [key, want] : *selector) {
    const json::value* have = labels->get_object().if_contains(key);
    if (have == nullptr || *have != want) return false;
  }
  return true;
}

bool ShouldPodBeInEndpoints(const json::value& pod, bool include_terminating) {
  if (api::IsTerminal(pod)) return false;
  if (base::GetString(pod, {"status", "podIP"}).empty()) return false;
  return include_terminating || !api::IsBeingDeleted(pod);
}

std::optional<ResolvedPort> ResolvePort(const json::value& pod, const json::value& service_port) {
  ResolvedPort out;
  out.name = base::GetString(service_port, {"name"});
  out.protocol = ProtocolOr(service_port);
  out.app_protocol = base::GetString(service_port, {"appProtocol"});
  const json::value* target = base::Find(service_port, "targetPort");
  if (target != nullptr && target->is_string() && !target->get_string().empty()) {
    std::string name(target->get_string());
    std::optional<int64_t> number =
        FindNamedPort(base::FindPath(pod, {"spec", "containers"}), name, out.protocol, false);
    if (!number)
      number = FindNamedPort(base::FindPath(pod, {"spec", "initContainers"}), name, out.protocol, true);
    if (!number) return std::nullopt;
    out.port = *number;
  } else if (target != nullptr && target->is_int64() && target->get_int64() > 0) {
    out.port = target->get_int64();
  } else if (target != nullptr && target->is_uint64() && target->get_uint64() > 0) {
    out.port = static_cast<int64_t>(target->get_uint64());
  } else {
    out.port = base::GetInt(service_port, {"port"});
  }
  if (out.port <= 0 || out.port > 65535) return std::nullopt;
  return out;
}

std::vector<ResolvedPort> ResolvePorts(const json::value& service, const json::value& pod) {
  std::vector<ResolvedPort> out;
  const json::value* ports = base::FindPath(service, {"spec", "ports"});
  if (ports == nullptr || !ports->is_array()) return out;
  for (const json::value& port : ports->get_array()) {
    if (auto resolved = ResolvePort(pod, port)) out.push_back(std::move(*resolved));
  }
  return out;
}

std::string PodHostname(const json::value& service, const json::value& pod) {
  std::string hostname = base::GetString(pod, {"spec", "hostname"});
  if (hostname.empty()) return "";
  if (base::GetString(pod, {"spec", "subdomain"}) != api::Name(service)) return "";
  if (api::Namespace(pod) != api::Namespace(service)) {
    return "";
  }
  return hostname;
}

std::vector<client::Object> SelectedPods(const client::Informer& pods, const json::value& service) {
  std::vector<client::Object> out;
  if (SelectorOf(service) == nullptr) return out;
  for (client::Object& pod : pods.ByIndex(kNamespaceIndex, api::Namespace(service))) {
    if (SelectorMatches(service, *pod)) out.push_back(std::move(pod));
  }
  return out;
}

std::vector<std::string> ServicesForPod(const client::Informer& services, const json::value& pod) {
  std::vector<std::string> keys;
  for (const client::Object& service : services.ByIndex(kNamespaceIndex, api::Namespace(pod))) {
    if (SelectorMatches(*service, pod)) keys.push_back(client::KeyOf(*service));
  }
  return keys;
}

std::vector<std::string> ServicesForPodUpdate(const client::Informer& services, const json::value& old_pod,
                                              const json::value& new_pod) {
  std::vector<std::string> keys = ServicesForPod(services, new_pod);
  const json::value* old_labels = api::Labels(old_pod);
  const json::value* new_labels = api::Labels(new_pod);
  bool same_labels = (old_labels == nullptr && new_labels == nullptr) ||
                     (old_labels != nullptr && new_labels != nullptr && *old_labels == *new_labels);
  if (!same_labels) Append(keys, ServicesForPod(services, old_pod));
  return keys;
}

}  // namespace skiff::controllers::endpoints
