// Pod DNS and hostname as the kubelet computes them: dnsPolicy (ClusterFirst,
// ClusterFirstWithHostNet, Default, None) + spec.dnsConfig merged in, with the resolver limits
// (3 nameservers, 32 search domains / 2048 characters); hostname/subdomain/setHostnameAsFQDN.
// Thread-safety: pure functions (ReadResolvConf reads a file). Failure: InvalidArgument with the
// kubelet's messages for an invalid hostname or a too long FQDN; ReadResolvConf returns an empty
// config for a missing file.
#ifndef SKIFF_AGENT_PODSPEC_DNS_H_
#define SKIFF_AGENT_PODSPEC_DNS_H_

#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "boost/json/value.hpp"

namespace skiff::agent::podspec {

struct DnsSettings {
  std::vector<std::string> servers;
  std::vector<std::string> searches;
  std::vector<std::string> options;  // "ndots:5", "edns0"
  bool operator==(const DnsSettings&) const = default;
};

inline constexpr std::string_view kDefaultClusterDns = "10.43.0.10";
inline constexpr std::string_view kDefaultClusterDomain = "cluster.local";

struct DnsOptions {
  std::vector<std::string> cluster_dns = {std::string(kDefaultClusterDns)};
  std::string cluster_domain = std::string(kDefaultClusterDomain);
  // The node's resolver (ParseResolvConf of /etc/resolv.conf): used by dnsPolicy Default and for
  // host search domains under ClusterFirst.
  DnsSettings host;
};

// nameserver/search/options lines of a resolv.conf (comments '#'/';' ignored; the last search
// line wins; search domains lose a trailing dot; later options replace earlier ones by name).
DnsSettings ParseResolvConf(std::string_view text);
DnsSettings ReadResolvConf(const std::string& path = "/etc/resolv.conf");

// The CRI DNS config for `pod`.
DnsSettings PodDnsConfig(const boost::json::value& pod, const DnsOptions& options);

struct PodHostname {
  std::string hostname;  // spec.hostname or the pod name, at most 63 characters
  std::string domain;    // "<subdomain>.<ns>.svc.<cluster domain>" or ""
};
absl::StatusOr<PodHostname> PodHostnameAndDomain(const boost::json::value& pod,
                                                 std::string_view cluster_domain);
// The kernel hostname of the sandbox: hostname, or hostname.domain with setHostnameAsFQDN
// (at most 64 characters).
absl::StatusOr<std::string> PodKernelHostname(const boost::json::value& pod, std::string_view cluster_domain);

}  // namespace skiff::agent::podspec

#endif  // SKIFF_AGENT_PODSPEC_DNS_H_
