#include "apiserver/webhook_sources.h"

#include "absl/random/random.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "apiserver/key_layout.h"
#include "base/json.h"
#include "boost/json.hpp"

namespace skiff::apiserver {
namespace {

namespace json = boost::json;

std::string ConfigurationPrefix(bool mutating) {
  return ResourcePrefix("admissionregistration.k8s.io",
                        mutating ? "mutatingwebhookconfigurations" : "validatingwebhookconfigurations");
}

std::string HostPort(const std::string& ip, int64_t port) {
  return absl::StrContains(ip, ':') ? absl::StrCat("[", ip, "]:", port) : absl::StrCat(ip, ":", port);
}

// Ready addresses (with their port) of the EndpointSlices of Service `name` for the port named `port_name`.
std::vector<std::string> FromSlices(const WatchCache* cache, const std::string& ns, const std::string& name,
                                    const std::string& port_name, bool* any_slice) {
  static const std::string prefix = ResourcePrefix("discovery.k8s.io", "endpointslices");
  bool more = false;
  auto list = cache->List(
      prefix, absl::StrCat(prefix, ns, "/"),
      [&](const CachedObject& o) {
        return o.labels.is_object() && base::GetString(o.labels, {"kubernetes.io/service-name"}) == name;
      },
      "", 0, &more);
  std::vector<std::string> out;
  for (const auto& object : list.objects) {
    *any_slice = true;
    json::value slice = object->Parse();
    int64_t port = 0;
    if (const auto* ports = base::Find(slice, "ports"); ports && ports->is_array()) {
      for (const auto& p : ports->get_array()) {
        if (base::GetString(p, {"name"}) == port_name) port = base::GetInt(p, {"port"}, 0);
      }
    }
    if (port == 0) continue;
    const auto* endpoints = base::Find(slice, "endpoints");
    if (!endpoints || !endpoints->is_array()) continue;
    for (const auto& e : endpoints->get_array()) {
      const auto* ready = base::FindPath(e, {"conditions", "ready"});
      if (ready && ready->is_bool() && !ready->get_bool()) continue;  // unset means ready
      if (const auto* addrs = base::Find(e, "addresses"); addrs && addrs->is_array() && !addrs->get_array().empty()) {
        const auto& first = addrs->get_array()[0];
        if (first.is_string()) out.push_back(HostPort(std::string(first.get_string()), port));
      }
    }
  }
  return out;
}

// The same from the Service's Endpoints object (ready addresses only).
std::vector<std::string> FromEndpoints(const WatchCache* cache, const std::string& ns, const std::string& name,
                                       const std::string& port_name) {
  static const std::string prefix = ResourcePrefix("", "endpoints");
  std::vector<std::string> out;
  ObjectPtr object = cache->Get(prefix, ObjectKey(prefix, ns, name));
  if (!object) return out;
  json::value endpoints = object->Parse();
  const auto* subsets = base::Find(endpoints, "subsets");
  if (!subsets || !subsets->is_array()) return out;
  for (const auto& subset : subsets->get_array()) {
    int64_t port = 0;
    if (const auto* ports = base::Find(subset, "ports"); ports && ports->is_array()) {
      for (const auto& p : ports->get_array()) {
        if (base::GetString(p, {"name"}) == port_name) port = base::GetInt(p, {"port"}, 0);
      }
    }
    if (port == 0) continue;
    if (const auto* addrs = base::Find(subset, "addresses"); addrs && addrs->is_array()) {
      for (const auto& a : addrs->get_array()) out.push_back(HostPort(base::GetString(a, {"ip"}), port));
    }
  }
  return out;
}

}  // namespace

int64_t WebhookSources::ConfigurationRevision(bool mutating) const {
  return cache_->ResourceRevision(ConfigurationPrefix(mutating));
}

std::vector<json::value> WebhookSources::Configurations(bool mutating) const {
  std::string prefix = ConfigurationPrefix(mutating);
  bool more = false;
  auto list = cache_->List(prefix, prefix, nullptr, "", 0, &more);
  std::vector<json::value> out;
  out.reserve(list.objects.size());
  for (const auto& object : list.objects) out.push_back(object->Parse());
  return out;
}

absl::StatusOr<json::value> WebhookSources::NamespaceLabels(std::string_view ns) const {
  static const std::string prefix = ResourcePrefix("", "namespaces");
  ObjectPtr object = cache_->Get(prefix, ObjectKey(prefix, "", std::string(ns)));
  if (!object) return absl::NotFoundError(absl::StrCat("namespace \"", std::string(ns), "\" not found"));
  return object->labels;
}

absl::StatusOr<std::string> WebhookSources::ServiceEndpoint(std::string_view ns_view, std::string_view name_view,
                                                            int port) const {
  static const std::string prefix = ResourcePrefix("", "services");
  std::string ns(ns_view), name(name_view);
  ObjectPtr object = cache_->Get(prefix, ObjectKey(prefix, ns, name));
  if (!object) return absl::NotFoundError(absl::StrCat("service \"", name, "\" not found"));
  json::value svc = object->Parse();
  const json::value* service_port = nullptr;
  if (const auto* ports = base::FindPath(svc, {"spec", "ports"}); ports && ports->is_array()) {
    for (const auto& p : ports->get_array()) {
      if (base::GetInt(p, {"port"}, 0) == port) service_port = &p;
    }
  }
  if (!service_port) {
    return absl::NotFoundError(absl::StrCat("no service port ", port, " found for service \"", name, "\""));
  }
  std::string port_name = base::GetString(*service_port, {"name"});
  bool any_slice = false;
  std::vector<std::string> ready = FromSlices(cache_, ns, name, port_name, &any_slice);
  if (!any_slice) ready = FromEndpoints(cache_, ns, name, port_name);
  if (ready.empty()) return absl::UnavailableError(absl::StrCat("no endpoints available for service \"", name, "\""));
  thread_local absl::BitGen gen;
  return ready[absl::Uniform<size_t>(gen, 0, ready.size())];
}

}  // namespace skiff::apiserver
