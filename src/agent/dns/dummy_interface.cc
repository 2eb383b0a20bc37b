#include "agent/dns/dummy_interface.h"

#include <arpa/inet.h>
#include <net/if.h>

#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "base/process.h"
#include "spdlog/spdlog.h"

namespace skiff::agent::dns {
namespace {

constexpr absl::Duration kTimeout = absl::Seconds(10);

bool ValidIfname(const std::string& name) {
  if (name.empty() || name.size() >= IFNAMSIZ) return false;
  for (char c : name) {
    if (!(isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '.')) return false;
  }
  return true;
}

absl::StatusOr<base::CommandResult> Ip(std::vector<std::string> args) {
  args.insert(args.begin(), "ip");
  return base::RunCommand(args, kTimeout);
}

absl::Status MustSucceed(std::vector<std::string> args) {
  std::string what = absl::StrJoin(args, " ");
  absl::StatusOr<base::CommandResult> r = Ip(std::move(args));
  if (!r.ok()) return r.status();
  if (r->exit_code != 0) return absl::UnavailableError(absl::StrCat("ip ", what, ": ", r->output));
  return absl::OkStatus();
}

}  // namespace

absl::Status EnsureDummyAddress(const std::string& ifname, const std::string& ip) {
  if (!ValidIfname(ifname)) return absl::InvalidArgumentError(absl::StrCat("bad interface name ", ifname));
  unsigned char buf[16];
  bool v4 = inet_pton(AF_INET, ip.c_str(), buf) == 1;
  if (!v4 && inet_pton(AF_INET6, ip.c_str(), buf) != 1) {
    return absl::InvalidArgumentError(absl::StrCat("not an IP address: ", ip));
  }
  absl::StatusOr<base::CommandResult> show = Ip({"link", "show", "dev", ifname});
  if (!show.ok()) return show.status();
  if (show->exit_code != 0) {
    absl::Status s = MustSucceed({"link", "add", ifname, "type", "dummy"});
    if (!s.ok() && absl::StrContains(s.message(), "Unknown device type")) {
      // Kernels built without the dummy driver (some VM kernels): a bridge with no ports holds
      // local addresses just the same.
      spdlog::info("cluster DNS: no dummy link support; using a port-less bridge for {}", ifname);
      s = MustSucceed({"link", "add", ifname, "type", "bridge"});
    }
    // Lost a race with another caller: fine if it exists now.
    if (!s.ok() && !absl::StrContains(s.message(), "File exists")) return s;
  }
  // "replace" adds the address or leaves an identical one alone.
  std::vector<std::string> add = {"addr", "replace", absl::StrCat(ip, v4 ? "/32" : "/128"), "dev", ifname};
  if (!v4) add.push_back("nodad");  // usable at once; nothing else can own this address
  if (absl::Status s = MustSucceed(add); !s.ok()) return s;
  return MustSucceed({"link", "set", "dev", ifname, "up"});
}

absl::Status RemoveDummyInterface(const std::string& ifname) {
  if (!ValidIfname(ifname)) return absl::InvalidArgumentError(absl::StrCat("bad interface name ", ifname));
  absl::StatusOr<base::CommandResult> show = Ip({"link", "show", "dev", ifname});
  if (!show.ok()) return show.status();
  if (show->exit_code != 0) return absl::OkStatus();  // already gone
  return MustSucceed({"link", "del", "dev", ifname});
}

}  // namespace skiff::agent::dns
