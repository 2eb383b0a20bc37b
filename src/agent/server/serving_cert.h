// The agent's HTTPS serving certificate: self-signed (as the kubelet's default one is; the API
// server does not verify kubelet serving certificates), created once under the agent's data dir and
// reused while it is valid for at least another 30 days.
// Thread-safety: not coordinated across concurrent callers on the same paths (the agent calls it
// once at start). Ownership: plain values. Failure: OpenSSL and file errors as Internal Status.
#ifndef SKIFF_AGENT_SERVER_SERVING_CERT_H_
#define SKIFF_AGENT_SERVER_SERVING_CERT_H_

#include <string>
#include <vector>

#include "absl/status/status.h"

namespace skiff::agent::server {

// Creates cert_path/key_path (PEM, key mode 0600) unless a valid pair is already there. `hosts`
// become subject alternative names (IP addresses as IP SANs, the rest as DNS names); the first is
// the common name.
absl::Status EnsureSelfSignedCertificate(const std::string& cert_path, const std::string& key_path,
                                         const std::vector<std::string>& hosts);

}  // namespace skiff::agent::server

#endif  // SKIFF_AGENT_SERVER_SERVING_CERT_H_
