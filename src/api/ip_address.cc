#include "api/ip_address.h"

#include <arpa/inet.h>

#include <algorithm>
#include <string>

namespace skiff::api {
namespace {

// Go's dtoi: the decimal number at the start of `s` and how many characters it used; false when
// `s` does not start with a digit. Values past 0xFFFFFF stop counting (callers reject them).
bool Decimal(std::string_view s, int* value, size_t* used) {
  constexpr int kBig = 0xFFFFFF;
  int n = 0;
  size_t i = 0;
  for (; i < s.size() && s[i] >= '0' && s[i] <= '9'; ++i) {
    n = n * 10 + (s[i] - '0');
    if (n >= kBig) {
      *value = kBig;
      *used = i + 1;
      return false;
    }
  }
  if (i == 0) return false;
  *value = n;
  *used = i;
  return true;
}

// Dotted quad, each octet decimal with any number of leading zeros (Go before 1.17).
std::optional<IpAddress> ParseIpv4(std::string_view s) {
  IpAddress ip;
  ip.v4 = true;
  for (int i = 0; i < 4; ++i) {
    if (s.empty()) return std::nullopt;
    if (i > 0) {
      if (s.front() != '.') return std::nullopt;
      s.remove_prefix(1);
    }
    int n = 0;
    size_t used = 0;
    if (!Decimal(s, &n, &used) || n > 0xFF) return std::nullopt;
    s.remove_prefix(used);
    ip.bytes[i] = static_cast<uint8_t>(n);
  }
  if (!s.empty()) return std::nullopt;
  return ip;
}

}  // namespace

bool IpPrefix::Contains(const IpAddress& ip) const {
  if (ip.v4 != network.v4) return false;
  for (int i = 0; i < bits / 8; ++i) {
    if (ip.bytes[i] != network.bytes[i]) return false;
  }
  if (int rest = bits % 8; rest != 0) {
    uint8_t mask = static_cast<uint8_t>(0xFF << (8 - rest));
    if ((ip.bytes[bits / 8] & mask) != network.bytes[bits / 8]) return false;
  }
  return true;
}

std::optional<IpAddress> ParseIpSloppy(std::string_view text) {
  // Go decides the family by the first '.' or ':'.
  for (char c : text) {
    if (c == '.') return ParseIpv4(text);
    if (c == ':') {
      if (text.find('%') != std::string_view::npos) return std::nullopt;  // zones are not addresses
      IpAddress ip;
      std::string copy(text);
      if (inet_pton(AF_INET6, copy.c_str(), ip.bytes.data()) != 1) return std::nullopt;
      return ip;
    }
  }
  return std::nullopt;
}

std::optional<IpPrefix> ParseCidrSloppy(std::string_view text) {
  size_t slash = text.find('/');
  if (slash == std::string_view::npos) return std::nullopt;
  std::optional<IpAddress> ip = ParseIpSloppy(text.substr(0, slash));
  std::string_view length = text.substr(slash + 1);
  int bits = 0;
  size_t used = 0;
  if (!ip || !Decimal(length, &bits, &used) || used != length.size() || bits > ip->Bits())
    return std::nullopt;
  IpPrefix prefix{*ip, bits};
  for (int i = 0; i < 16; ++i) {
    int keep = std::min(8, std::max(0, bits - 8 * i));
    prefix.network.bytes[i] &= static_cast<uint8_t>(keep == 0 ? 0 : 0xFF << (8 - keep));
  }
  return prefix;
}

}  // namespace skiff::api
