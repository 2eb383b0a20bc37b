// IPv4 addresses and CIDRs as host-order integers: parsing, formatting and the n-th address of a
// range (service VIPs, sim node and pod addresses, proxy CIDR checks).
// Thread-safety: pure functions over values. Ownership: values.
// Failure: ParseIpv4 returns false and ParseIpv4Cidr InvalidArgument for malformed text.
#ifndef SKIFF_BASE_IPV4_H_
#define SKIFF_BASE_IPV4_H_

#include <cstdint>
#include <string>

#include "absl/status/statusor.h"

namespace skiff::base {

// An IPv4 CIDR: network address (host order, host bits cleared) and prefix length.
struct Ipv4Cidr {
  uint32_t network = 0;
  int prefix = 32;
  // Number of addresses; 0 stands for 2^32 (prefix 0).
  uint32_t size() const { return prefix == 0 ? 0 : uint32_t{1} << (32 - prefix); }
  bool Contains(uint32_t ip) const { return prefix == 0 || ip - network < size(); }
};

// Dotted quad ("10.0.0.1") to host order; false unless exactly four decimal octets.
bool ParseIpv4(const std::string& text, uint32_t* ip);
std::string FormatIpv4(uint32_t ip);
// "a.b.c.d/n" with 0 <= n <= 32; host bits are cleared.
absl::StatusOr<Ipv4Cidr> ParseIpv4Cidr(const std::string& text);
std::string FormatIpv4Cidr(const Ipv4Cidr& cidr);
// The n-th address of a CIDR (1 = the first after the network address).
std::string NthAddress(const Ipv4Cidr& cidr, uint32_t n);

}  // namespace skiff::base

#endif  // SKIFF_BASE_IPV4_H_
