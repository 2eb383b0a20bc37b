// Address helpers for the cluster DNS server: "ip:port" / "[v6]:port" / "ip" parsing for listen
// and upstream addresses, and the nameservers of a resolv.conf (the forwarding targets when none
// are configured, like CoreDNS's "forward . /etc/resolv.conf").
//
// Thread-safety: pure functions (ReadResolvConf reads one file). Ownership: values by value.
// Failure: InvalidArgument naming the bad text; unusable resolv.conf lines are skipped.
#ifndef SKIFF_AGENT_DNS_UPSTREAMS_H_
#define SKIFF_AGENT_DNS_UPSTREAMS_H_

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"

namespace skiff::agent::dns {

struct HostPort {
  std::string ip;  // numeric IPv4 or IPv6 (no brackets, no zone)
  uint16_t port = 0;
  bool operator==(const HostPort&) const = default;
};

// `default_port` applies when the text names no port.
absl::StatusOr<HostPort> ParseHostPort(const std::string& text, uint16_t default_port);

// The "nameserver" addresses of resolv.conf text, port 53, in order.
std::vector<HostPort> ParseResolvConf(const std::string& contents);

// The upstreams to forward to: `configured` when given, else the nameservers in `resolv_conf`
// (a missing file gives none), minus any address we listen on ourselves (a forwarding loop).
absl::StatusOr<std::vector<HostPort>> ChooseUpstreams(const std::vector<std::string>& configured,
                                                      const std::string& resolv_conf,
                                                      const std::vector<HostPort>& listen);

}  // namespace skiff::agent::dns

#endif  // SKIFF_AGENT_DNS_UPSTREAMS_H_
