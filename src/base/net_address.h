// This host's main IPv4 address: the first IPv4 address of the interface that carries the default
// route (the kubelet's choice of a node's InternalIP, and what the API server advertises).
// Thread-safety: pure functions / read-only system queries. Ownership: values.
// Failure: NotFound when there is no default route or the interface has no IPv4 address;
// InvalidArgument for malformed /proc/net/route text.
#ifndef SKIFF_BASE_NET_ADDRESS_H_
#define SKIFF_BASE_NET_ADDRESS_H_

#include <string>
#include <string_view>

#include "absl/status/statusor.h"

namespace skiff::base {

// The interface of the default route (destination 0, mask 0, flag RTF_UP) with the lowest metric,
// from the text of /proc/net/route.
absl::StatusOr<std::string> ParseDefaultRouteInterface(std::string_view proc_net_route);
// The first IPv4 address of `interface` (getifaddrs).
absl::StatusOr<std::string> InterfaceIpv4(const std::string& interface);
// ParseDefaultRouteInterface(/proc/net/route) + InterfaceIpv4; falls back to the first
// non-loopback IPv4 address of any interface when there is no default route.
absl::StatusOr<std::string> DefaultIpv4Address();

}  // namespace skiff::base

#endif  // SKIFF_BASE_NET_ADDRESS_H_
