// Renders a RouteTable (route_table.h) as an HAProxy 2.6 configuration: one HTTP frontend bound
// on the plain and TLS ports of the given addresses (TLS with a crt-list for SNI certificate
// selection and ALPN h2,http/1.1), X-Forwarded-For/-Proto/-Host/-Port set from the connection,
// one ACL-guarded `use_backend` per route match in precedence order, and one HAProxy backend per
// route holding its header changes or redirect and its weighted servers (keep-alive reuse,
// retries on connection failures to another server, an activator "backup" server for scale to
// zero). The result is text only: the supervisor writes the files and reloads the proxy.
//
// Thread-safety: pure functions. Ownership: values.
// Failure: InvalidArgument for options the proxy cannot run with (no port, a relative path). Parts
// of the table that cannot be expressed safely (a value with control characters, a certificate
// without key) are left out and named in RenderedConfig::warnings; the rest is rendered.
#ifndef SKIFF_AGENT_INGRESS_HAPROXY_CONFIG_H_
#define SKIFF_AGENT_INGRESS_HAPROXY_CONFIG_H_

#include <map>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "agent/ingress/route_table.h"

namespace skiff::agent::ingress {

struct HaproxyOptions {
  // Addresses to listen on (IPv4 dotted quads, duplicates ignored); empty = every address.
  std::vector<std::string> bind_addresses = {"127.0.0.1"};
  int http_port = 80;    // 0 = no plain HTTP listener
  int https_port = 443;  // 0 = no TLS listener
  // Absolute directory the certificate files and the crt-list are written to (by the caller).
  std::string cert_dir;
  // Absolute path of a PEM (certificate + key) served when no certificate of the table matches
  // the SNI name (or there is none); the caller creates it.
  std::string default_certificate;
  // The worker's runtime API socket (absolute path; "" = none).
  std::string stats_socket;
  absl::Duration connect_timeout = absl::Seconds(3);
  absl::Duration client_timeout = absl::Seconds(60);  // idle client (also keep-alive idle)
  absl::Duration server_timeout = absl::Seconds(60);
  absl::Duration tunnel_timeout = absl::Hours(1);     // WebSocket and other upgraded streams
  // How long an old worker may keep serving its connections after a reload.
  absl::Duration hard_stop_after = absl::Minutes(10);
};

struct RenderedConfig {
  std::string haproxy_cfg;
  std::string crt_list;  // the crt-list file's content (paths under cert_dir)
  // File name (relative to cert_dir) -> PEM content (certificate chain then key).
  std::map<std::string, std::string> certificate_files;
  std::vector<std::string> warnings;  // what was left out and why
};

inline constexpr char kCrtListFile[] = "crt-list.txt";

absl::StatusOr<RenderedConfig> RenderHaproxyConfig(const RouteTable& table,
                                                   const HaproxyOptions& options);

// HAProxy server weights (1..256) for a route's backends: each backend gets its weight's share,
// split evenly over its endpoints; backends with weight 0 or no endpoints get nothing. Entry i
// is the per-endpoint weight of backends[i] (0 = no servers).
std::vector<int> ServerWeights(const std::vector<Backend>& backends);

}  // namespace skiff::agent::ingress

#endif  // SKIFF_AGENT_INGRESS_HAPROXY_CONFIG_H_
