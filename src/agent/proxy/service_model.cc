#include "agent/proxy/service_model.h"

#include <arpa/inet.h>

#include <algorithm>
#include <tuple>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "api/object_meta.h"
#include "base/json.h"

namespace skiff::agent::proxy {
namespace {

const boost::json::array* FindArray(const boost::json::value& v,
                                    std::initializer_list<std::string_view> path) {
  const boost::json::value* found = base::FindPath(v, path);
  return found != nullptr ? found->if_array() : nullptr;
}

// "TCP" (or unset) -> "tcp"; "" for protocols nftables rules cannot name.
std::string NftProtocol(const boost::json::value& port) {
  std::string p = base::GetString(port, {"protocol"}, "TCP");
  if (p == "TCP" || p == "UDP" || p == "SCTP") return absl::AsciiStrToLower(p);
  return "";
}

bool ValidPort(int64_t port) { return port > 0 && port <= 65535; }

}  // namespace

bool IsIpv4(const std::string& ip) {
  in_addr addr;
  return ip.size() <= 15 && inet_pton(AF_INET, ip.c_str(), &addr) == 1;
}

std::optional<ServiceModel> ParseService(const boost::json::value& service) {
  if (!service.is_object()) return std::nullopt;
  const std::string type = base::GetString(service, {"spec", "type"}, "ClusterIP");
  if (type == "ExternalName") return std::nullopt;
  ServiceModel model;
  model.ns = api::Namespace(service);
  model.name = api::Name(service);
  model.cluster_ip = base::GetString(service, {"spec", "clusterIP"});
  if (model.name.empty() || !IsIpv4(model.cluster_ip)) return std::nullopt;  // headless ("None") or IPv6

  const bool has_node_ports = type == "NodePort" || type == "LoadBalancer";
  if (const auto* ports = FindArray(service, {"spec", "ports"})) {
    for (const auto& p : *ports) {
      ServicePortModel port;
      port.name = base::GetString(p, {"name"});
      port.protocol = NftProtocol(p);
      const int64_t number = base::GetInt(p, {"port"});
      if (port.protocol.empty() || !ValidPort(number)) continue;
      port.port = static_cast<int>(number);
      const int64_t node_port = base::GetInt(p, {"nodePort"});
      if (has_node_ports && ValidPort(node_port)) port.node_port = static_cast<int>(node_port);
      model.ports.push_back(std::move(port));
    }
  }
  if (model.ports.empty()) return std::nullopt;

  if (const auto* ips = FindArray(service, {"spec", "externalIPs"})) {
    for (const auto& ip : *ips) {
      if (ip.is_string() && IsIpv4(std::string(ip.as_string())))
        model.external_ips.emplace_back(ip.as_string());
    }
  }
  if (type == "LoadBalancer") {
    if (const auto* ingress = FindArray(service, {"status", "loadBalancer", "ingress"})) {
      for (const auto& entry : *ingress) {
        std::string ip = base::GetString(entry, {"ip"});
        if (IsIpv4(ip)) model.external_ips.push_back(std::move(ip));
      }
    }
  }
  std::sort(model.external_ips.begin(), model.external_ips.end());
  model.external_ips.erase(std::unique(model.external_ips.begin(), model.external_ips.end()),
                           model.external_ips.end());
  std::erase(model.external_ips, model.cluster_ip);

  model.external_local = base::GetString(service, {"spec", "externalTrafficPolicy"}) == "Local";
  model.internal_local = base::GetString(service, {"spec", "internalTrafficPolicy"}) == "Local";
  if (base::GetString(service, {"spec", "sessionAffinity"}) == "ClientIP") {
    int64_t timeout =
        base::GetInt(service, {"spec", "sessionAffinityConfig", "clientIP", "timeoutSeconds"}, 10800);
    // The API allows 1..86400; anything else falls back to the default.
    model.affinity_timeout_seconds = timeout > 0 && timeout <= 86400 ? static_cast<int>(timeout) : 10800;
  }
  return model;
}

std::optional<ActivationMark> ParseActivationMark(const boost::json::value& hpa) {
  const boost::json::value* min = base::FindPath(hpa, {"spec", "minReplicas"});
  if (min == nullptr || !min->is_number() || min->to_number<int64_t>() != 0) return std::nullopt;
  ActivationMark mark;
  mark.target = {base::GetString(hpa, {"spec", "scaleTargetRef", "apiVersion"}),
                 base::GetString(hpa, {"spec", "scaleTargetRef", "kind"}),
                 base::GetString(hpa, {"spec", "scaleTargetRef", "name"})};
  if (mark.target.kind.empty() || mark.target.name.empty()) return std::nullopt;
  const auto* metrics = FindArray(hpa, {"spec", "metrics"});
  if (metrics == nullptr) return std::nullopt;
  for (const auto& m : *metrics) {
    if (base::GetString(m, {"type"}) != "Object") continue;
    const boost::json::value* described = base::FindPath(m, {"object", "describedObject"});
    if (described == nullptr || base::GetString(*described, {"kind"}) != "Service") continue;
    const std::string api_version = base::GetString(*described, {"apiVersion"}, "v1");
    const std::string name = base::GetString(*described, {"name"});
    if (api_version != "v1" || name.empty()) continue;
    mark.service_key = absl::StrCat(api::Namespace(hpa), "/", name);
    return mark;
  }
  return std::nullopt;
}

EndpointsByPort ParseEndpointSlices(const std::vector<const boost::json::value*>& slices,
                                    const ServiceModel& service) {
  EndpointsByPort result;
  for (const ServicePortModel& port : service.ports) {
    std::vector<EndpointModel>& out = result[port.name];
    for (const boost::json::value* slice : slices) {
      if (slice == nullptr || base::GetString(*slice, {"addressType"}) != "IPv4") continue;
      int target = 0;
      if (const auto* ports = FindArray(*slice, {"ports"})) {
        for (const auto& p : *ports) {
          const int64_t number = base::GetInt(p, {"port"});
          if (base::GetString(p, {"name"}) == port.name && NftProtocol(p) == port.protocol &&
              ValidPort(number)) {
            target = static_cast<int>(number);
            break;
          }
        }
      }
      if (target == 0) continue;
      const auto* endpoints = FindArray(*slice, {"endpoints"});
      if (endpoints == nullptr) continue;
      for (const auto& e : *endpoints) {
        const auto* addresses = FindArray(e, {"addresses"});
        // Like kube-proxy, only the first address of an endpoint is used.
        if (addresses == nullptr || addresses->empty() || !(*addresses)[0].is_string()) continue;
        EndpointModel ep;
        ep.ip = std::string((*addresses)[0].as_string());
        if (!IsIpv4(ep.ip)) continue;
        ep.port = target;
        ep.node_name = base::GetString(e, {"nodeName"});
        ep.ready = base::GetBool(e, {"conditions", "ready"}, true);
        ep.serving = base::GetBool(e, {"conditions", "serving"}, ep.ready);
        ep.terminating = base::GetBool(e, {"conditions", "terminating"}, false);
        out.push_back(std::move(ep));
      }
    }
    std::sort(out.begin(), out.end(), [](const EndpointModel& a, const EndpointModel& b) {
      // Ready copies first, so that the de-duplication below keeps them.
      return std::tie(a.ip, a.port, b.ready) < std::tie(b.ip, b.port, a.ready);
    });
    out.erase(std::unique(out.begin(), out.end(),
                          [](const EndpointModel& a, const EndpointModel& b) {
                            return a.ip == b.ip && a.port == b.port;
                          }),
              out.end());
  }
  return result;
}

}  // namespace skiff::agent::proxy
