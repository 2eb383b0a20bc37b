#include "base/ipv4.h"

#include <arpa/inet.h>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"

namespace skiff::base {

bool ParseIpv4(const std::string& text, uint32_t* ip) {
  in_addr addr{};
  // inet_pton takes only the four-octet dotted decimal form for AF_INET.
  if (text.empty() || inet_pton(AF_INET, text.c_str(), &addr) != 1) return false;
  *ip = ntohl(addr.s_addr);
  return true;
}

std::string FormatIpv4(uint32_t ip) {
  return absl::StrCat(ip >> 24, ".", (ip >> 16) & 0xff, ".", (ip >> 8) & 0xff, ".", ip & 0xff);
}

absl::StatusOr<Ipv4Cidr> ParseIpv4Cidr(const std::string& text) {
  size_t slash = text.find('/');
  Ipv4Cidr cidr;
  uint32_t ip = 0;
  if (slash == std::string::npos || !ParseIpv4(text.substr(0, slash), &ip) ||
      !absl::SimpleAtoi(text.substr(slash + 1), &cidr.prefix) || cidr.prefix < 0 || cidr.prefix > 32) {
    return absl::InvalidArgumentError(absl::StrCat("invalid IPv4 CIDR \"", text, "\" (want a.b.c.d/n)"));
  }
  uint32_t mask = cidr.prefix == 0 ? 0 : ~uint32_t{0} << (32 - cidr.prefix);
  cidr.network = ip & mask;
  return cidr;
}

std::string FormatIpv4Cidr(const Ipv4Cidr& cidr) {
  return absl::StrCat(FormatIpv4(cidr.network), "/", cidr.prefix);
}

std::string NthAddress(const Ipv4Cidr& cidr, uint32_t n) { return FormatIpv4(cidr.network + n); }

}  // namespace skiff::base
