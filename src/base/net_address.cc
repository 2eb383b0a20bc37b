#include "base/net_address.h"

#include <arpa/inet.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <netinet/in.h>

#include <limits>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "base/file.h"
#include "base/strings.h"

namespace skiff::base {

namespace {

constexpr unsigned kRouteFlagUp = 0x1;  // RTF_UP

// Every IPv4 address of the interfaces (all when `interface` is empty), skipping loopback then.
std::vector<std::string> Ipv4Addresses(const std::string& interface) {
  std::vector<std::string> out;
  struct ifaddrs* list = nullptr;
  if (getifaddrs(&list) != 0) return out;
  for (struct ifaddrs* a = list; a != nullptr; a = a->ifa_next) {
    if (a->ifa_addr == nullptr || a->ifa_addr->sa_family != AF_INET) continue;
    if (!interface.empty() && interface != a->ifa_name) continue;
    if (interface.empty() && (a->ifa_flags & IFF_LOOPBACK)) continue;
    char text[INET_ADDRSTRLEN] = {};
    const auto* sin = reinterpret_cast<const struct sockaddr_in*>(a->ifa_addr);
    if (inet_ntop(AF_INET, &sin->sin_addr, text, sizeof(text)) != nullptr) out.emplace_back(text);
  }
  freeifaddrs(list);
  return out;
}

}  // namespace

absl::StatusOr<std::string> ParseDefaultRouteInterface(std::string_view proc_net_route) {
  std::string best;
  int64_t best_metric = std::numeric_limits<int64_t>::max();
  bool header = true;
  for (absl::string_view line : absl::StrSplit(Av(proc_net_route), '\n', absl::SkipWhitespace())) {
    if (header) {  // "Iface Destination Gateway Flags ..."
      header = false;
      continue;
    }
    std::vector<absl::string_view> f = absl::StrSplit(line, absl::ByAnyChar(" \t"), absl::SkipEmpty());
    if (f.size() < 8) return absl::InvalidArgumentError(absl::StrCat("bad route line \"", line, "\""));
    uint32_t destination = 0, flags = 0, mask = 0;
    int64_t metric = 0;
    if (!absl::SimpleHexAtoi(f[1], &destination) || !absl::SimpleHexAtoi(f[3], &flags) ||
        !absl::SimpleAtoi(f[6], &metric) || !absl::SimpleHexAtoi(f[7], &mask)) {
      return absl::InvalidArgumentError(absl::StrCat("bad route line \"", line, "\""));
    }
    if (destination != 0 || mask != 0 || !(flags & kRouteFlagUp)) continue;
    if (metric < best_metric) {
      best_metric = metric;
      best = std::string(f[0]);
    }
  }
  if (best.empty()) return absl::NotFoundError("no default route");
  return best;
}

absl::StatusOr<std::string> InterfaceIpv4(const std::string& interface) {
  std::vector<std::string> addresses = Ipv4Addresses(interface);
  if (addresses.empty())
    return absl::NotFoundError(absl::StrCat("interface ", interface, " has no IPv4 address"));
  return addresses.front();
}

absl::StatusOr<std::string> DefaultIpv4Address() {
  absl::StatusOr<std::string> interface =
      ParseDefaultRouteInterface(ReadFile("/proc/net/route").value_or(""));
  if (interface.ok()) {
    if (auto ip = InterfaceIpv4(*interface); ip.ok()) return ip;
  }
  std::vector<std::string> any = Ipv4Addresses("");
  if (!any.empty()) return any.front();
  return absl::NotFoundError("no IPv4 address for this host: no default route and no non-loopback interface");
}

}  // namespace skiff::base
