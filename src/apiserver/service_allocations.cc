#include "apiserver/service_allocations.h"

#include <arpa/inet.h>

#include <algorithm>
#include <set>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "api/object_meta.h"
#include "api/validation.h"
#include "apiserver/schema_admission.h"
#include "base/json.h"
#include "boost/json.hpp"
#include "spdlog/spdlog.h"

namespace skiff::apiserver {
namespace {

namespace json = boost::json;

// Kubernetes' static bands: ClusterIPs min(max(16, size/16), 256), NodePorts min(max(16, size/32), 128).
uint64_t IpStaticBand(uint64_t size) { return std::min<uint64_t>(std::max<uint64_t>(16, size / 16), 256); }
uint64_t PortStaticBand(uint64_t size) { return std::min<uint64_t>(std::max<uint64_t>(16, size / 32), 128); }

bool WantsNodePorts(const json::object& spec, const std::string& type) {
  if (type == "NodePort") return true;
  if (type != "LoadBalancer") return false;
  const auto* allocate = spec.if_contains("allocateLoadBalancerNodePorts");
  return !(allocate && allocate->is_bool() && !allocate->as_bool());
}

std::string TypeOf(const json::value& svc) {
  std::string type = base::GetString(svc, {"spec", "type"});
  return type.empty() ? "ClusterIP" : type;
}

// The clusterIP of a Service as written ("" when unset; clusterIPs[0] when only that is set).
std::string ClusterIpOf(const json::value& svc) {
  std::string ip = base::GetString(svc, {"spec", "clusterIP"});
  if (!ip.empty()) return ip;
  const auto* ips = base::FindPath(svc, {"spec", "clusterIPs"});
  if (ips && ips->is_array() && !ips->get_array().empty() && ips->get_array()[0].is_string()) {
    return std::string(ips->get_array()[0].get_string());
  }
  return "";
}

struct Held {
  std::vector<uint32_t> ips;
  std::vector<uint32_t> ports;
};

// What a stored Service holds: its IPv4 clusterIPs and its node ports.
Held HeldBy(const json::value& svc) {
  Held held;
  if (TypeOf(svc) != "ExternalName") {
    if (const auto* ips = base::FindPath(svc, {"spec", "clusterIPs"}); ips && ips->is_array()) {
      for (const auto& v : ips->get_array()) {
        uint32_t ip = 0;
        if (v.is_string() && base::ParseIpv4(std::string(v.get_string()), &ip)) held.ips.push_back(ip);
      }
    }
    uint32_t ip = 0;
    if (held.ips.empty() && base::ParseIpv4(base::GetString(svc, {"spec", "clusterIP"}), &ip))
      held.ips.push_back(ip);
  }
  if (const auto* ports = base::FindPath(svc, {"spec", "ports"}); ports && ports->is_array()) {
    for (const auto& p : ports->get_array()) {
      int64_t np = base::GetInt(p, {"nodePort"});
      if (np > 0 && np <= 65535) held.ports.push_back(static_cast<uint32_t>(np));
    }
  }
  int64_t hc = base::GetInt(svc, {"spec", "healthCheckNodePort"});
  if (hc > 0 && hc <= 65535) held.ports.push_back(static_cast<uint32_t>(hc));
  return held;
}

bool Contains(const std::vector<uint32_t>& values, uint32_t v) {
  return std::find(values.begin(), values.end(), v) != values.end();
}

api::FieldError Invalid(std::string field, json::value bad, std::string detail) {
  return {std::string(api::kFieldValueInvalid), std::move(field), std::move(bad), std::move(detail)};
}

// The old port a new port without a nodePort inherits it from: same port and protocol, else same name.
int64_t InheritedNodePort(const json::value& port, const json::value* old) {
  if (!old) return 0;
  const auto* ports = base::FindPath(*old, {"spec", "ports"});
  if (!ports || !ports->is_array()) return 0;
  int64_t number = base::GetInt(port, {"port"});
  std::string protocol = base::GetString(port, {"protocol"}, "TCP");
  std::string name = base::GetString(port, {"name"});
  for (const auto& p : ports->get_array()) {
    if (base::GetInt(p, {"port"}) == number && base::GetString(p, {"protocol"}, "TCP") == protocol) {
      return base::GetInt(p, {"nodePort"});
    }
  }
  if (name.empty()) return 0;
  for (const auto& p : ports->get_array()) {
    if (base::GetString(p, {"name"}) == name) return base::GetInt(p, {"nodePort"});
  }
  return 0;
}

}  // namespace

// What one write took (given back unless committed) and what its commit gives back (values the
// old object held that the new one dropped).
class ServiceAllocations::ServiceReservation : public WriteHook::Reservation {
 public:
  explicit ServiceReservation(ServiceAllocations* owner) : owner_(owner) {}
  ~ServiceReservation() override {
    if (committed_) return;
    std::lock_guard lock(owner_->mu_);
    owner_->ReleaseLocked(taken_.ips, taken_.ports);
  }
  void Commit() override {
    committed_ = true;
    std::lock_guard lock(owner_->mu_);
    owner_->ReleaseLocked(dropped_.ips, dropped_.ports);
  }
  Held taken_;
  Held dropped_;

 private:
  ServiceAllocations* owner_;
  bool committed_ = false;
};

absl::StatusOr<std::unique_ptr<ServiceAllocations>> ServiceAllocations::Create(
    const ServiceAllocationOptions& options) {
  auto cidr = base::ParseIpv4Cidr(options.service_cidr);
  if (!cidr.ok() || cidr->prefix < 8 || cidr->prefix > 30) {
    return absl::InvalidArgumentError(
        absl::StrCat("invalid service CIDR \"", options.service_cidr, "\" (want a.b.c.d/n, 8 <= n <= 30)"));
  }
  std::vector<std::string> range = absl::StrSplit(options.node_port_range, '-');
  uint32_t first = 0, last = 0;
  if (range.size() != 2 || !absl::SimpleAtoi(range[0], &first) || !absl::SimpleAtoi(range[1], &last) ||
      first == 0 || last > 65535 || first > last) {
    return absl::InvalidArgumentError(absl::StrCat("invalid node port range \"", options.node_port_range,
                                                   "\" (want first-last, e.g. 30000-32767)"));
  }
  return std::unique_ptr<ServiceAllocations>(new ServiceAllocations(*cidr, first, last));
}

// Usable ClusterIPs: the CIDR without its network and broadcast addresses.
ServiceAllocations::ServiceAllocations(base::Ipv4Cidr cidr, uint32_t port_first, uint32_t port_last)
    : cidr_(cidr),
      port_first_(port_first),
      port_last_(port_last),
      ips_(cidr.network + 1, cidr.size() - 2, IpStaticBand(cidr.size() - 2)),
      ports_(port_first, port_last - port_first + 1, PortStaticBand(port_last - port_first + 1)) {}

bool ServiceAllocations::Handles(const api::ResourceInfo& resource) const {
  return resource.group.empty() && resource.kind == "Service";
}

void ServiceAllocations::ReleaseLocked(const std::vector<uint32_t>& ips, const std::vector<uint32_t>& ports) {
  for (uint32_t ip : ips) ips_.Release(ip);
  for (uint32_t port : ports) ports_.Release(port);
}

absl::StatusOr<std::unique_ptr<WriteHook::Reservation>> ServiceAllocations::Prepare(
    const api::ResourceInfo& resource, json::value& obj, const json::value* old) {
  auto reservation = std::make_unique<ServiceReservation>(this);
  std::vector<api::FieldError> errors;
  json::object& spec = base::EnsureObject(obj, {"spec"});
  const std::string type = TypeOf(obj);
  const Held old_held = old ? HeldBy(*old) : Held{};
  const bool old_had_ip = old && TypeOf(*old) != "ExternalName";
  std::string cidr_text = absl::StrCat(base::FormatIpv4(cidr_.network), "/", cidr_.prefix);

  std::lock_guard lock(mu_);
  // ---- cluster IP
  if (type == "ExternalName") {
    for (const char* f : {"clusterIP", "clusterIPs", "ipFamilies", "ipFamilyPolicy"}) spec.erase(f);
  } else {
    std::string requested = ClusterIpOf(obj);
    std::string old_ip = old_had_ip ? ClusterIpOf(*old) : "";
    if (requested.empty()) requested = old_ip;  // an update may omit it (kubectl replace)
    if (!old_ip.empty() && requested != old_ip) {
      errors.push_back(Invalid("spec.clusterIPs[0]", json::string(requested), "may not change once set"));
    } else if (requested == "None") {
      if (type == "NodePort" || type == "LoadBalancer") {
        errors.push_back(Invalid("spec.clusterIPs[0]", json::string(requested),
                                 absl::StrCat("may not be set to 'None' for ", type, " services")));
      }
    } else if (requested.empty()) {
      auto ip = ips_.Allocate();
      if (!ip) {
        errors.push_back({std::string(api::kFieldValueInvalid), "spec.clusterIPs", nullptr,
                          absl::StrCat("failed to allocate a serviceIP: range is full (", cidr_text, ")")});
      } else {
        reservation->taken_.ips.push_back(static_cast<uint32_t>(*ip));
        requested = base::FormatIpv4(static_cast<uint32_t>(*ip));
      }
    } else {
      uint32_t ip = 0;
      if (!base::ParseIpv4(requested, &ip)) {
        errors.push_back(Invalid("spec.clusterIPs[0]", json::string(requested),
                                 "must be a valid IP address, (e.g. 10.9.8.7 or 2001:db8::ffff)"));
      } else if (!Contains(old_held.ips, ip)) {
        switch (ips_.Take(ip)) {
          case RangeAllocator::TakeResult::kTaken:
            reservation->taken_.ips.push_back(ip);
            break;
          case RangeAllocator::TakeResult::kOutOfRange:
            errors.push_back(
                Invalid("spec.clusterIPs[0]", json::string(requested),
                        absl::StrCat("failed to allocate IP ", requested,
                                     ": provided IP is not in the valid range. The range of valid IPs "
                                     "is ",
                                     cidr_text)));
            break;
          case RangeAllocator::TakeResult::kAlreadyTaken:
            errors.push_back(Invalid(
                "spec.clusterIPs[0]", json::string(requested),
                absl::StrCat("failed to allocate IP ", requested, ": provided IP is already allocated")));
            break;
        }
      }
    }
    spec["clusterIP"] = requested;
    spec["clusterIPs"] = json::array{json::string(requested)};
    if (!spec.contains("ipFamilies")) spec["ipFamilies"] = json::array{"IPv4"};
    if (!spec.contains("ipFamilyPolicy")) spec["ipFamilyPolicy"] = "SingleStack";
    if (!spec.contains("internalTrafficPolicy")) spec["internalTrafficPolicy"] = "Cluster";
  }

  // ---- type-dependent fields an update to another type leaves behind (Kubernetes drops them)
  const bool external = type == "NodePort" || type == "LoadBalancer";
  const bool node_ports = WantsNodePorts(spec, type);
  json::array* ports =
      spec.contains("ports") && spec["ports"].is_array() ? &spec["ports"].as_array() : nullptr;
  if (!external && old) {
    if (ports) {
      for (auto& p : *ports) {
        if (p.is_object() && Contains(old_held.ports, static_cast<uint32_t>(base::GetInt(p, {"nodePort"})))) {
          p.as_object().erase("nodePort");
        }
      }
    }
    if (base::FindPath(*old, {"spec", "externalTrafficPolicy"}) &&
        base::GetString(obj, {"spec", "externalTrafficPolicy"}) ==
            base::GetString(*old, {"spec", "externalTrafficPolicy"})) {
      spec.erase("externalTrafficPolicy");
    }
  }
  if (type != "LoadBalancer") {
    if (old && base::GetInt(obj, {"spec", "healthCheckNodePort"}) ==
                   base::GetInt(*old, {"spec", "healthCheckNodePort"})) {
      spec.erase("healthCheckNodePort");
    }
    if (old && base::FindPath(*old, {"spec", "allocateLoadBalancerNodePorts"})) {
      spec.erase("allocateLoadBalancerNodePorts");
    }
  } else if (!spec.contains("allocateLoadBalancerNodePorts")) {
    spec["allocateLoadBalancerNodePorts"] = true;
  }
  if (external && !spec.contains("externalTrafficPolicy")) spec["externalTrafficPolicy"] = "Cluster";
  if (!external && spec.contains("externalTrafficPolicy")) {
    errors.push_back(Invalid("spec.externalTrafficPolicy", spec["externalTrafficPolicy"],
                             "may only be set when `type` is 'NodePort' or 'LoadBalancer'"));
  }
  if (base::GetString(obj, {"spec", "sessionAffinity"}) == "ClientIP" &&
      !base::FindPath(obj, {"spec", "sessionAffinityConfig", "clientIP", "timeoutSeconds"})) {
    base::EnsureObject(obj, {"spec", "sessionAffinityConfig", "clientIP"})["timeoutSeconds"] = 10800;
  }

  // ---- node ports
  std::string range_text = absl::StrCat(port_first_, "-", port_last_);
  std::set<uint32_t> in_this_service;
  auto claim = [&](int64_t requested, const std::string& field) -> int64_t {
    if (requested != 0) {
      auto port = static_cast<uint32_t>(requested);
      if (in_this_service.count(port)) {
        errors.push_back({std::string(api::kFieldValueDuplicate), field, requested, ""});
        return requested;
      }
      in_this_service.insert(port);
      if (Contains(old_held.ports, port)) return requested;
      switch (ports_.Take(port)) {
        case RangeAllocator::TakeResult::kTaken:
          reservation->taken_.ports.push_back(port);
          break;
        case RangeAllocator::TakeResult::kOutOfRange:
          errors.push_back(
              Invalid(field, requested,
                      absl::StrCat("provided port is not in the valid range. The range of valid ports "
                                   "is ",
                                   range_text)));
          break;
        case RangeAllocator::TakeResult::kAlreadyTaken:
          errors.push_back(Invalid(field, requested, "provided port is already allocated"));
          break;
      }
      return requested;
    }
    auto port = ports_.Allocate();
    if (!port) {
      errors.push_back({std::string(api::kFieldValueInvalid), field, nullptr,
                        absl::StrCat("failed to allocate a nodePort: range is full (", range_text, ")")});
      return 0;
    }
    reservation->taken_.ports.push_back(static_cast<uint32_t>(*port));
    in_this_service.insert(static_cast<uint32_t>(*port));
    return static_cast<int64_t>(*port);
  };
  if (ports) {
    // Requested (and inherited) ports first, so an automatic pick never takes one of them.
    for (bool requested_pass : {true, false}) {
      for (size_t i = 0; i < ports->size(); ++i) {
        auto& p = (*ports)[i];
        if (!p.is_object()) continue;
        std::string field = absl::StrCat("spec.ports[", i, "].nodePort");
        int64_t requested = base::GetInt(p, {"nodePort"});
        if (!external) {
          if (requested != 0 && requested_pass) {
            errors.push_back({std::string(api::kFieldValueForbidden), field, nullptr,
                              absl::StrCat("may not be used when `type` is '", type, "'")});
          }
          continue;
        }
        if (requested == 0 && requested_pass) requested = InheritedNodePort(p, old);
        if ((requested != 0) != requested_pass) continue;
        if (requested == 0 && !node_ports) continue;  // LoadBalancer without node ports
        int64_t port = claim(requested, field);
        if (port != 0) p.as_object()["nodePort"] = port;
      }
    }
  }
  int64_t health = base::GetInt(obj, {"spec", "healthCheckNodePort"});
  if (type == "LoadBalancer" && base::GetString(obj, {"spec", "externalTrafficPolicy"}) == "Local") {
    if (health == 0 && old) health = base::GetInt(*old, {"spec", "healthCheckNodePort"});
    int64_t port = claim(health, "spec.healthCheckNodePort");
    if (port != 0) spec["healthCheckNodePort"] = port;
  } else if (health != 0) {
    errors.push_back(
        Invalid("spec.healthCheckNodePort", health,
                "may only be set when `type` is 'LoadBalancer' and `externalTrafficPolicy` is 'Local'"));
  }

  if (!errors.empty()) {
    return InvalidObjectStatus(resource, api::Name(obj), errors);
  }
  // Values the old object held and the new one no longer does go back on commit.
  Held now = HeldBy(obj);
  for (uint32_t ip : old_held.ips) {
    if (!Contains(now.ips, ip)) reservation->dropped_.ips.push_back(ip);
  }
  for (uint32_t port : old_held.ports) {
    if (!Contains(now.ports, port)) reservation->dropped_.ports.push_back(port);
  }
  return std::unique_ptr<WriteHook::Reservation>(std::move(reservation));
}

void ServiceAllocations::Deleted(const api::ResourceInfo& resource, const json::value& obj) {
  if (!Handles(resource)) return;
  Held held = HeldBy(obj);
  std::lock_guard lock(mu_);
  ReleaseLocked(held.ips, held.ports);
}

void ServiceAllocations::Rebuild(const std::vector<json::value>& services) {
  std::lock_guard lock(mu_);
  ips_.Clear();
  ports_.Clear();
  for (const auto& svc : services) {
    Held held = HeldBy(svc);
    std::string name = absl::StrCat(api::Namespace(svc), "/", api::Name(svc));
    for (uint32_t ip : held.ips) {
      if (ips_.Take(ip) == RangeAllocator::TakeResult::kAlreadyTaken) {
        spdlog::warn("service {}: cluster IP {} is also held by another service", name, base::FormatIpv4(ip));
      }
    }
    for (uint32_t port : held.ports) {
      if (ports_.Take(port) == RangeAllocator::TakeResult::kAlreadyTaken) {
        spdlog::warn("service {}: node port {} is also held by another service", name, port);
      }
    }
  }
}

size_t ServiceAllocations::ips_in_use() const {
  std::lock_guard lock(mu_);
  return ips_.used();
}

size_t ServiceAllocations::node_ports_in_use() const {
  std::lock_guard lock(mu_);
  return ports_.used();
}

}  // namespace skiff::apiserver
