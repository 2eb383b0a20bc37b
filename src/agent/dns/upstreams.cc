#include "agent/dns/upstreams.h"

#include <arpa/inet.h>

#include <algorithm>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "base/file.h"

namespace skiff::agent::dns {
namespace {

bool IsIp(const std::string& s, bool* v6) {
  unsigned char buf[16];
  if (inet_pton(AF_INET, s.c_str(), buf) == 1) {
    *v6 = false;
    return true;
  }
  if (inet_pton(AF_INET6, s.c_str(), buf) == 1) {
    *v6 = true;
    return true;
  }
  return false;
}

bool IsUnspecified(const std::string& ip) { return ip == "0.0.0.0" || ip == "::"; }
bool IsLoopback(const std::string& ip) { return ip.rfind("127.", 0) == 0 || ip == "::1"; }

}  // namespace

absl::StatusOr<HostPort> ParseHostPort(const std::string& text, uint16_t default_port) {
  absl::string_view host = absl::StripAsciiWhitespace(text);
  absl::string_view port_text;
  if (absl::ConsumePrefix(&host, "[")) {
    size_t close = host.find(']');
    if (close == absl::string_view::npos)
      return absl::InvalidArgumentError(absl::StrCat("bad address: ", text));
    absl::string_view rest = host.substr(close + 1);
    host = host.substr(0, close);
    if (!rest.empty() && !absl::ConsumePrefix(&rest, ":")) {
      return absl::InvalidArgumentError(absl::StrCat("bad address: ", text));
    }
    port_text = rest;
  } else if (std::count(host.begin(), host.end(), ':') == 1) {
    size_t colon = host.find(':');
    port_text = host.substr(colon + 1);
    host = host.substr(0, colon);
  }
  HostPort out;
  out.ip = std::string(host);
  bool v6 = false;
  if (!IsIp(out.ip, &v6)) return absl::InvalidArgumentError(absl::StrCat("not an IP address: ", text));
  out.port = default_port;
  if (!port_text.empty()) {
    uint32_t port = 0;
    if (!absl::SimpleAtoi(port_text, &port) || port > 65535) {
      return absl::InvalidArgumentError(absl::StrCat("bad port in ", text));
    }
    out.port = static_cast<uint16_t>(port);
  }
  return out;
}

std::vector<HostPort> ParseResolvConf(const std::string& contents) {
  std::vector<HostPort> out;
  for (absl::string_view line : absl::StrSplit(contents, '\n')) {
    std::vector<absl::string_view> fields = absl::StrSplit(line, absl::ByAnyChar(" \t"), absl::SkipEmpty());
    if (fields.size() < 2 || fields[0] != "nameserver") continue;
    absl::string_view address = fields[1];
    address = address.substr(0, address.find('%'));  // fe80::1%eth0: the scope is not ours to use
    bool v6 = false;
    std::string ip(address);
    if (IsIp(ip, &v6)) out.push_back({ip, 53});
  }
  return out;
}

absl::StatusOr<std::vector<HostPort>> ChooseUpstreams(const std::vector<std::string>& configured,
                                                      const std::string& resolv_conf,
                                                      const std::vector<HostPort>& listen) {
  std::vector<HostPort> candidates;
  if (!configured.empty()) {
    for (const std::string& text : configured) {
      absl::StatusOr<HostPort> hp = ParseHostPort(text, 53);
      if (!hp.ok()) return hp.status();
      candidates.push_back(*hp);
    }
  } else {
    candidates = ParseResolvConf(base::ReadFile(resolv_conf).value_or(""));
  }
  std::vector<HostPort> out;
  for (const HostPort& c : candidates) {
    bool loops = false;
    for (const HostPort& l : listen) {
      if (l.port != c.port) continue;
      if (l.ip == c.ip || (IsUnspecified(l.ip) && IsLoopback(c.ip))) loops = true;
    }
    if (!loops) out.push_back(c);
  }
  return out;
}

}  // namespace skiff::agent::dns
