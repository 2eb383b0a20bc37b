#include "agent/node/peer_network.h"

#include <algorithm>
#include <functional>
#include <set>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "base/json.h"
#include "base/process.h"
#include "boost/json.hpp"

namespace skiff::agent::node {

namespace json = boost::json;

namespace {

constexpr absl::Duration kTimeout = absl::Seconds(10);

absl::StatusOr<base::CommandResult> Tool(std::vector<std::string> argv) {
  return base::RunCommand(argv, kTimeout);
}

absl::Status MustSucceed(std::vector<std::string> argv) {
  absl::StatusOr<base::CommandResult> r = Tool(argv);
  if (!r.ok()) return r.status();
  if (r->exit_code != 0) {
    return absl::UnavailableError(absl::StrCat(absl::StrJoin(argv, " "), ": ", r->output));
  }
  return absl::OkStatus();
}

// Runs a command with `-j` output and parses it; an empty output is an empty array.
absl::StatusOr<json::array> JsonOf(std::vector<std::string> argv) {
  absl::StatusOr<base::CommandResult> r = Tool(argv);
  if (!r.ok()) return r.status();
  if (r->exit_code != 0) {
    return absl::UnavailableError(absl::StrCat(absl::StrJoin(argv, " "), ": ", r->output));
  }
  if (r->output.find_first_not_of(" \n") == std::string::npos) return json::array{};
  boost::system::error_code ec;
  json::value parsed = json::parse(r->output, ec);
  if (ec || !parsed.is_array()) {
    return absl::InternalError(absl::StrCat(absl::StrJoin(argv, " "), ": unexpected output: ", r->output));
  }
  return std::move(parsed.as_array());
}

bool DeviceExists(const std::string& name) {
  absl::StatusOr<base::CommandResult> r = Tool({"ip", "link", "show", "dev", name});
  return r.ok() && r->exit_code == 0;
}

int64_t GetInt(const json::value& v, std::initializer_list<std::string_view> path) {
  const json::value* found = base::FindPath(v, path);
  return found != nullptr && found->is_int64() ? found->as_int64() : -1;
}

// Deletes the rows of a `-j` listing whose key is not wanted.
absl::Status DeleteStale(const json::array& rows, const std::function<std::string(const json::value&)>& key,
                         const std::set<std::string>& wanted,
                         const std::function<std::vector<std::string>(const json::value&)>& delete_argv) {
  absl::Status first;
  for (const json::value& row : rows) {
    if (wanted.count(key(row)) != 0) continue;
    if (absl::Status s = MustSucceed(delete_argv(row)); !s.ok() && first.ok()) first = s;
  }
  return first;
}

}  // namespace

absl::StatusOr<int> MtuOfAddress(const std::string& ip) {
  absl::StatusOr<json::array> links = JsonOf({"ip", "-j", "-4", "addr", "show"});
  if (!links.ok()) return links.status();
  for (const json::value& link : *links) {
    const json::value* infos = base::FindPath(link, {"addr_info"});
    if (infos == nullptr || !infos->is_array()) continue;
    for (const json::value& info : infos->as_array()) {
      if (base::GetString(info, {"local"}) == ip && GetInt(link, {"mtu"}) > 0) return GetInt(link, {"mtu"});
    }
  }
  return absl::NotFoundError(absl::StrCat("no interface holds ", ip));
}

absl::StatusOr<std::string> EnsureVxlanDevice(const VxlanDeviceConfig& config) {
  absl::StatusOr<Ipv4Net> pod_net = Ipv4Net::Parse(config.pod_cidr);
  if (!pod_net.ok()) return pod_net.status();
  int mtu = config.mtu;
  if (mtu == 0) {
    absl::StatusOr<int> link_mtu = MtuOfAddress(config.local_ip);
    if (!link_mtu.ok()) return link_mtu.status();
    mtu = *link_mtu - kVxlanOverhead;
  }
  if (DeviceExists(kVxlanDevice)) {
    absl::StatusOr<json::array> shown = JsonOf({"ip", "-j", "-d", "link", "show", "dev", kVxlanDevice});
    if (!shown.ok()) return shown.status();
    const json::value* data =
        shown->empty() ? nullptr : base::FindPath((*shown)[0], {"linkinfo", "info_data"});
    bool same = data != nullptr && GetInt(*data, {"id"}) == kVxlanVni &&
                GetInt(*data, {"port"}) == kVxlanPort && base::GetString(*data, {"local"}) == config.local_ip;
    if (!same) {
      if (absl::Status s = MustSucceed({"ip", "link", "del", "dev", kVxlanDevice}); !s.ok()) return s;
    }
  }
  if (!DeviceExists(kVxlanDevice)) {
    absl::Status s =
        MustSucceed({"ip", "link", "add", kVxlanDevice, "type", "vxlan", "id", std::to_string(kVxlanVni),
                     "local", config.local_ip, "dstport", std::to_string(kVxlanPort), "nolearning"});
    if (!s.ok()) return s;
  }
  // Only this node's address: a changed podCIDR leaves no stale one behind.
  absl::StatusOr<json::array> addresses = JsonOf({"ip", "-j", "-4", "addr", "show", "dev", kVxlanDevice});
  if (!addresses.ok()) return addresses.status();
  std::vector<std::string> have;
  for (const json::value& link : *addresses) {
    const json::value* infos = base::FindPath(link, {"addr_info"});
    if (infos == nullptr || !infos->is_array()) continue;
    for (const json::value& info : infos->as_array()) {
      have.push_back(absl::StrCat(base::GetString(info, {"local"}), "/", GetInt(info, {"prefixlen"})));
    }
  }
  const std::string own = pod_net->NetworkAddress() + "/32";
  if (have != std::vector<std::string>{own}) {
    if (absl::Status s = MustSucceed({"ip", "addr", "flush", "dev", kVxlanDevice}); !s.ok()) return s;
    if (absl::Status s = MustSucceed({"ip", "addr", "add", own, "dev", kVxlanDevice}); !s.ok()) return s;
  }
  if (absl::Status s =
          MustSucceed({"ip", "link", "set", "dev", kVxlanDevice, "mtu", std::to_string(mtu), "up"});
      !s.ok()) {
    return s;
  }
  absl::StatusOr<json::array> shown = JsonOf({"ip", "-j", "link", "show", "dev", kVxlanDevice});
  if (!shown.ok()) return shown.status();
  std::string mac = shown->empty() ? "" : base::GetString((*shown)[0], {"address"});
  if (mac.empty()) return absl::InternalError(absl::StrCat(kVxlanDevice, " has no MAC address"));
  return mac;
}

absl::StatusOr<std::vector<Ipv4Net>> LocalSubnets(const std::vector<std::string>& exclude_devices) {
  absl::StatusOr<json::array> links = JsonOf({"ip", "-j", "-4", "addr", "show"});
  if (!links.ok()) return links.status();
  std::vector<Ipv4Net> subnets;
  for (const json::value& link : *links) {
    std::string name = base::GetString(link, {"ifname"});
    if (name == "lo" ||
        std::find(exclude_devices.begin(), exclude_devices.end(), name) != exclude_devices.end()) {
      continue;
    }
    const json::value* infos = base::FindPath(link, {"addr_info"});
    if (infos == nullptr || !infos->is_array()) continue;
    for (const json::value& info : infos->as_array()) {
      int64_t prefix = GetInt(info, {"prefixlen"});
      if (prefix <= 0 || prefix >= 32) continue;
      absl::StatusOr<Ipv4Net> net =
          Ipv4Net::Parse(absl::StrCat(base::GetString(info, {"local"}), "/", prefix));
      if (net.ok()) subnets.push_back(*net);
    }
  }
  return subnets;
}

absl::Status ApplyRoutePlan(const RoutePlan& plan) {
  const std::string proto = std::to_string(kRouteProtocol);
  absl::Status first;
  auto note = [&first](absl::Status s) {
    if (!s.ok() && first.ok()) first = std::move(s);
  };
  // Routes: delete ours that the plan does not have (a peer gone, or moved to another backend).
  std::set<std::string> wanted_routes;
  for (const PeerRoute& r : plan.routes) wanted_routes.insert(absl::StrCat(r.destination, " ", r.gateway));
  absl::StatusOr<json::array> routes = JsonOf({"ip", "-j", "-4", "route", "show", "proto", proto});
  if (!routes.ok()) return routes.status();
  note(DeleteStale(
      *routes,
      [](const json::value& row) {
        return absl::StrCat(base::GetString(row, {"dst"}), " ", base::GetString(row, {"gateway"}));
      },
      wanted_routes,
      [&proto](const json::value& row) {
        return std::vector<std::string>{"ip", "route", "del", base::GetString(row, {"dst"}), "proto", proto};
      }));
  bool has_vxlan = DeviceExists(kVxlanDevice);
  if (has_vxlan) {
    // Neighbour and FDB entries first, so a new route never sends to an unresolved VTEP.
    std::set<std::string> wanted_neighbours, wanted_fdb;
    for (const VtepEntry& v : plan.vteps) {
      wanted_neighbours.insert(absl::StrCat(v.address, " ", v.mac));
      wanted_fdb.insert(absl::StrCat(v.mac, " ", v.remote_ip));
    }
    absl::StatusOr<json::array> neighbours = JsonOf({"ip", "-j", "-4", "neigh", "show", "dev", kVxlanDevice});
    if (neighbours.ok()) {
      note(DeleteStale(
          *neighbours,
          [](const json::value& row) {
            return absl::StrCat(base::GetString(row, {"dst"}), " ", base::GetString(row, {"lladdr"}));
          },
          wanted_neighbours,
          [](const json::value& row) {
            return std::vector<std::string>{"ip",  "neigh",     "del", base::GetString(row, {"dst"}),
                                            "dev", kVxlanDevice};
          }));
    } else {
      note(neighbours.status());
    }
    absl::StatusOr<json::array> fdb = JsonOf({"bridge", "-j", "fdb", "show", "dev", kVxlanDevice});
    if (fdb.ok()) {
      json::array unicast;  // the all-zero default entry and multicast ones are not ours
      for (const json::value& row : *fdb) {
        if (!base::GetString(row, {"dst"}).empty() && base::GetString(row, {"mac"}) != "00:00:00:00:00:00") {
          unicast.push_back(row);
        }
      }
      note(DeleteStale(
          unicast,
          [](const json::value& row) {
            return absl::StrCat(base::GetString(row, {"mac"}), " ", base::GetString(row, {"dst"}));
          },
          wanted_fdb,
          [](const json::value& row) {
            return std::vector<std::string>{"bridge", "fdb",        "del", base::GetString(row, {"mac"}),
                                            "dev",    kVxlanDevice, "dst", base::GetString(row, {"dst"})};
          }));
    } else {
      note(fdb.status());
    }
    for (const VtepEntry& v : plan.vteps) {
      note(MustSucceed(
          {"ip", "neigh", "replace", v.address, "lladdr", v.mac, "dev", kVxlanDevice, "nud", "permanent"}));
      note(MustSucceed(
          {"bridge", "fdb", "replace", v.mac, "dev", kVxlanDevice, "dst", v.remote_ip, "self", "permanent"}));
    }
  }
  for (const PeerRoute& r : plan.routes) {
    if (!r.device.empty() && !has_vxlan) {
      note(absl::FailedPreconditionError(absl::StrCat("route to ", r.destination, " needs ", r.device)));
      continue;
    }
    std::vector<std::string> argv = {"ip",  "route",   "replace", r.destination,
                                     "via", r.gateway, "proto",   proto};
    if (!r.device.empty()) {
      argv.insert(argv.end(), {"dev", r.device, "onlink"});
    }
    note(MustSucceed(argv));
  }
  return first;
}

absl::Status RemovePeerNetwork() {
  absl::Status first = MustSucceed({"ip", "-4", "route", "flush", "proto", std::to_string(kRouteProtocol)});
  if (DeviceExists(kVxlanDevice)) {
    if (absl::Status s = MustSucceed({"ip", "link", "del", "dev", kVxlanDevice}); !s.ok() && first.ok()) {
      first = s;
    }
  }
  return first;
}

}  // namespace skiff::agent::node
