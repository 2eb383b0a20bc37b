#include "agent/node/peer_routes.h"

#include <arpa/inet.h>

#include <algorithm>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "base/json.h"
#include "boost/json.hpp"

namespace skiff::agent::node {

namespace json = boost::json;

namespace {

bool ParseIpv4(const std::string& text, uint32_t* out) {
  struct in_addr address {};
  if (inet_pton(AF_INET, text.c_str(), &address) != 1) return false;
  *out = ntohl(address.s_addr);
  return true;
}

std::string FormatIpv4(uint32_t ip) {
  struct in_addr address {};
  address.s_addr = htonl(ip);
  char text[INET_ADDRSTRLEN] = {};
  inet_ntop(AF_INET, &address, text, sizeof(text));
  return text;
}

std::string InternalIp(const json::value& node) {
  const json::value* addresses = base::FindPath(node, {"status", "addresses"});
  if (addresses == nullptr || !addresses->is_array()) return "";
  for (const json::value& a : addresses->as_array()) {
    if (base::GetString(a, {"type"}) == "InternalIP") return base::GetString(a, {"address"});
  }
  return "";
}

std::string VtepMac(const json::value& node) {
  const json::value* data = base::FindPath(node, {"metadata", "annotations", kBackendDataAnnotation});
  if (data == nullptr || !data->is_string()) return "";
  boost::system::error_code ec;
  json::value parsed = json::parse(data->as_string(), ec);
  if (ec) return "";
  return base::GetString(parsed, {"VtepMAC"});
}

}  // namespace

absl::StatusOr<Backend> ParseBackend(const std::string& text) {
  if (text == "auto") return Backend::kAuto;
  if (text == "host-gw") return Backend::kHostGw;
  if (text == "vxlan") return Backend::kVxlan;
  return absl::InvalidArgumentError(
      absl::StrCat("flannel backend \"", text, "\" is not one of auto, host-gw, vxlan"));
}

absl::StatusOr<Ipv4Net> Ipv4Net::Parse(const std::string& cidr) {
  size_t slash = cidr.find('/');
  Ipv4Net net;
  if (slash == std::string::npos || !absl::SimpleAtoi(cidr.substr(slash + 1), &net.prefix) ||
      net.prefix < 0 || net.prefix > 32 || !ParseIpv4(cidr.substr(0, slash), &net.address)) {
    return absl::InvalidArgumentError(absl::StrCat("\"", cidr, "\" is not an IPv4 CIDR a.b.c.d/n"));
  }
  return net;
}

bool Ipv4Net::Contains(const std::string& ip) const {
  uint32_t address = 0;
  return ParseIpv4(ip, &address) && Contains(address);
}

std::string Ipv4Net::NetworkAddress() const { return FormatIpv4(address & mask()); }

std::string Ipv4Net::NetworkCidr() const { return absl::StrCat(NetworkAddress(), "/", prefix); }

PeerNode PeerFromNode(const json::value& node) {
  return PeerNode{.name = base::GetString(node, {"metadata", "name"}),
                  .internal_ip = InternalIp(node),
                  .pod_cidr = base::GetString(node, {"spec", "podCIDR"}),
                  .vtep_mac = VtepMac(node)};
}

RoutePlan PlanPeerRoutes(const PlanInput& input, const std::vector<PeerNode>& peers) {
  RoutePlan plan;
  for (const PeerNode& peer : peers) {
    if (peer.name == input.self_name || peer.internal_ip.empty() || peer.pod_cidr.empty()) continue;
    absl::StatusOr<Ipv4Net> pod_net = Ipv4Net::Parse(peer.pod_cidr);
    uint32_t peer_ip = 0;
    if (!pod_net.ok() || !ParseIpv4(peer.internal_ip, &peer_ip)) continue;
    bool same_segment = std::any_of(input.local_subnets.begin(), input.local_subnets.end(),
                                    [&](const Ipv4Net& net) { return net.Contains(peer_ip); });
    bool host_gw = input.backend == Backend::kHostGw || (input.backend == Backend::kAuto && same_segment);
    if (host_gw) {
      // host-gw needs the peer one hop away; a routed peer would get our pods' packets dropped
      // by the gateway in between, so it is left out (flannel does the same).
      if (!same_segment) continue;
      plan.routes.push_back(
          {.destination = pod_net->NetworkCidr(), .gateway = peer.internal_ip, .device = ""});
      continue;
    }
    if (peer.vtep_mac.empty()) continue;
    std::string vtep_address = pod_net->NetworkAddress();
    plan.routes.push_back(
        {.destination = pod_net->NetworkCidr(), .gateway = vtep_address, .device = kVxlanDevice});
    plan.vteps.push_back({.address = vtep_address, .mac = peer.vtep_mac, .remote_ip = peer.internal_ip});
  }
  std::sort(plan.routes.begin(), plan.routes.end());
  std::sort(plan.vteps.begin(), plan.vteps.end());
  return plan;
}

}  // namespace skiff::agent::node
