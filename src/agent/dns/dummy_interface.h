// The node-local address of the cluster DNS service: a dummy network interface ("skiff-dns0")
// holding the service IP as a /32 (/128), so pods and host processes reach the DNS server at the
// cluster DNS IP directly (the NodeLocal DNSCache arrangement). Runs `ip` from iproute2. On
// kernels without the dummy driver the link is a bridge without ports, which works the same.
//
// Thread-safety: safe to call concurrently for different interfaces; the calls act on the
// network namespace of the calling thread. Ownership: the interface outlives the process until
// RemoveDummyInterface. Failure: Unavailable/Internal with `ip`'s output when a command fails
// (typically missing CAP_NET_ADMIN); InvalidArgument for a bad name or address.
#ifndef SKIFF_AGENT_DNS_DUMMY_INTERFACE_H_
#define SKIFF_AGENT_DNS_DUMMY_INTERFACE_H_

#include <string>

#include "absl/status/status.h"

namespace skiff::agent::dns {

// Creates the dummy link if missing, adds ip/32 (or /128) if missing, sets it up. Idempotent.
absl::Status EnsureDummyAddress(const std::string& ifname, const std::string& ip);

// Deletes the link; OK when it does not exist.
absl::Status RemoveDummyInterface(const std::string& ifname);

}  // namespace skiff::agent::dns

#endif  // SKIFF_AGENT_DNS_DUMMY_INTERFACE_H_
