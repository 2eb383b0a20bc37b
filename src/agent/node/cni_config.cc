#include "agent/node/cni_config.h"

#include <arpa/inet.h>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "base/file.h"
#include "base/json.h"
#include "boost/json.hpp"

namespace skiff::agent::node {

namespace json = boost::json;

namespace {

std::string ReadAll(const std::string& path) { return base::ReadFile(path).value_or(""); }

}  // namespace

absl::StatusOr<std::string> CidrGateway(const std::string& cidr) {
  size_t slash = cidr.find('/');
  int prefix = -1;
  struct in_addr address {};
  if (slash == std::string::npos || !absl::SimpleAtoi(cidr.substr(slash + 1), &prefix) || prefix < 0 ||
      prefix > 30 || inet_pton(AF_INET, cidr.substr(0, slash).c_str(), &address) != 1) {
    return absl::InvalidArgumentError(
        absl::StrCat("pod CIDR \"", cidr, "\" is not an IPv4 CIDR of /30 or wider"));
  }
  uint32_t host = ntohl(address.s_addr);
  uint32_t mask = prefix == 0 ? 0 : ~uint32_t{0} << (32 - prefix);
  struct in_addr gateway {};
  gateway.s_addr = htonl((host & mask) + 1);
  char text[INET_ADDRSTRLEN] = {};
  inet_ntop(AF_INET, &gateway, text, sizeof(text));
  return std::string(text);
}

absl::StatusOr<json::value> CniConflist(const CniOptions& options) {
  absl::StatusOr<std::string> gateway = CidrGateway(options.pod_cidr);
  if (!gateway.ok()) return gateway.status();
  json::object ipam{
      {"type", "host-local"},
      {"ranges", json::array{json::array{json::object{{"subnet", options.pod_cidr}, {"gateway", *gateway}}}}},
      {"routes", json::array{json::object{{"dst", "0.0.0.0/0"}}}},
  };
  if (!options.ipam_data_dir.empty()) ipam["dataDir"] = options.ipam_data_dir;
  json::object bridge{{"type", "bridge"},          {"bridge", kCniBridge}, {"isGateway", true},
                      {"ipMasq", options.ip_masq}, {"hairpinMode", true},  {"ipam", std::move(ipam)}};
  if (options.mtu > 0) bridge["mtu"] = options.mtu;
  json::object portmap{{"type", "portmap"}, {"capabilities", json::object{{"portMappings", true}}}};
  return json::value(json::object{{"cniVersion", "1.0.0"},
                                  {"name", kCniNetworkName},
                                  {"plugins", json::array{std::move(bridge), std::move(portmap)}}});
}

absl::StatusOr<bool> WriteCniConflist(const std::string& conf_dir, const CniOptions& options) {
  absl::StatusOr<json::value> conflist = CniConflist(options);
  if (!conflist.ok()) return conflist.status();
  std::string content = base::ToJson(*conflist) + "\n";
  std::string path = absl::StrCat(conf_dir, "/", kCniConflistName);
  if (ReadAll(path) == content) return false;
  if (absl::Status s = base::WriteFileAtomically(path, content, 0644, base::ParentDirs::kCreate); !s.ok()) {
    return s;
  }
  return true;
}

namespace {

}  // namespace

absl::Status EnableIpForwarding(const std::string& proc_root) {
  return base::EnableSysctl(absl::StrCat(proc_root, "/proc/sys/net/ipv4/ip_forward"));
}

absl::Status EnableBridgeNetfilter(const std::string& proc_root) {
  return base::EnableSysctl(absl::StrCat(proc_root, "/proc/sys/net/bridge/bridge-nf-call-iptables"));
}

}  // namespace skiff::agent::node
