// IP address and CIDR parsing as Kubernetes' API validation does it (k8s.io/utils/net
// ParseIPSloppy / ParseCIDRSloppy, i.e. Go 1.16's net.ParseIP / net.ParseCIDR): IPv4 octets may
// have leading zeros ("010.0.0.1" is 10.0.0.1), IPv6 follows RFC 4291 text forms, zones
// ("fe80::1%eth0") are refused, a prefix length is decimal and at most 32 or 128. Used by the
// validation of NetworkPolicy ipBlocks and Ingress hosts and status addresses.
// Thread-safety: pure functions. Ownership: values. Failure: std::nullopt for text that is not an
// address or CIDR.
#ifndef SKIFF_API_IP_ADDRESS_H_
#define SKIFF_API_IP_ADDRESS_H_

#include <array>
#include <cstdint>
#include <optional>
#include <string_view>

namespace skiff::api {

struct IpAddress {
  bool v4 = false;
  std::array<uint8_t, 16> bytes{};  // IPv4 in the first 4 bytes

  int Bits() const { return v4 ? 32 : 128; }
};

struct IpPrefix {
  IpAddress network;  // the address with the host bits cleared
  int bits = 0;       // prefix length

  // Whether `ip` (of the same family) lies inside this prefix.
  bool Contains(const IpAddress& ip) const;
};

std::optional<IpAddress> ParseIpSloppy(std::string_view text);
std::optional<IpPrefix> ParseCidrSloppy(std::string_view text);

}  // namespace skiff::api

#endif  // SKIFF_API_IP_ADDRESS_H_
