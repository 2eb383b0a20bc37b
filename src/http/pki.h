// Certificates and secrets that `skiff server` keeps under its data directory: a private CA, the API
// server's serving certificate, the admin client certificate, and random bearer tokens. Creates what is
// missing on first start and reuses what is valid later (re-issuing a serving certificate whose SANs no
// longer cover the host, and any leaf that is expiring or not signed by the current CA).
// Thread-safety: functions are safe to call concurrently on different directories; concurrent calls on
// the same directory are not coordinated (the server calls EnsurePki once at startup). Token creation is
// create-if-absent (link(2)), so racing EnsureToken calls agree on one token.
// Ownership: returns values; UserFromCertificate borrows the X509 it is given.
// Failure: file-system and OpenSSL errors are absl::Status (Internal / PermissionDenied / ...), with the
// path and OpenSSL's error string in the message. A certificate without a common name is Unauthenticated.
#ifndef SKIFF_HTTP_PKI_H_
#define SKIFF_HTTP_PKI_H_

#include <openssl/x509.h>
#include <sys/types.h>

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "base/clock.h"

namespace skiff::http {

// The common name of the API server's kubelet-client certificate; agents accept only it.
inline constexpr char kKubeletClientCommonName[] = "kube-apiserver-kubelet-client";
// The common name of the front-proxy client certificate (requestheader-allowed-names).
inline constexpr char kFrontProxyClientCommonName[] = "front-proxy-client";

// Where every credential of a server data directory lives. All paths are absolute or relative as
// `data_dir` was given.
struct PkiPaths {
  std::string data_dir;
  std::string pki_dir;      // data_dir/pki (0700)
  std::string ca_cert;      // pki/ca.crt
  std::string ca_key;       // pki/ca.key (0600)
  std::string server_cert;  // pki/server.crt
  std::string server_key;   // pki/server.key (0600)
  std::string admin_cert;   // pki/admin.crt (CN admin, O system:masters)
  std::string admin_key;    // pki/admin.key (0600)
  // The API server's client identity towards node agents (CN kube-apiserver-kubelet-client,
  // O system:masters), used for logs/exec/attach/port-forward.
  std::string kubelet_client_cert;  // pki/kubelet-client.crt
  std::string kubelet_client_key;   // pki/kubelet-client.key (0600)
  // The aggregation layer's front proxy (kube-apiserver's --requestheader-client-ca-file and
  // --proxy-client-cert-file): a CA of its own, trusted by extension API servers only for the
  // X-Remote-User/Group headers, and the client certificate (CN front-proxy-client) the API
  // server presents to them.
  std::string front_proxy_ca_cert;      // pki/front-proxy-ca.crt
  std::string front_proxy_ca_key;       // pki/front-proxy-ca.key (0600)
  std::string front_proxy_client_cert;  // pki/front-proxy-client.crt
  std::string front_proxy_client_key;   // pki/front-proxy-client.key (0600)
  std::string admin_token;          // admin.token (not created by EnsurePki; see EnsureToken)
  std::string node_token;           // node.token (join token for agents)
  std::string admin_kubeconfig;     // admin.kubeconfig (see WriteKubeconfig)
};

// The paths EnsurePki uses for `data_dir`, without touching the disk.
PkiPaths PkiPathsFor(const std::string& data_dir);

struct PkiOptions {
  // More subject alternative names for the serving certificate. Entries that parse as IPv4/IPv6
  // addresses become IP SANs, everything else a DNS SAN.
  std::vector<std::string> extra_sans;
  // Host identity; unset means discover it (gethostname, getifaddrs). Tests override these.
  std::optional<std::string> host_name;
  std::optional<std::vector<std::string>> host_addresses;
  // Source of "now" for validity periods and expiry checks; null means base::RealClock().
  const base::Clock* clock = nullptr;
};

// Creates or reuses the CA, serving and admin certificates under data_dir/pki (creating data_dir
// itself if needed), and the front-proxy CA and client certificate. A missing or unreadable CA is
// regenerated, which re-issues every leaf it signed.
absl::StatusOr<PkiPaths> EnsurePki(const std::string& data_dir, const PkiOptions& options);
absl::StatusOr<PkiPaths> EnsurePki(const std::string& data_dir, const std::vector<std::string>& extra_sans);

// Returns the token stored at `path`, creating it first if absent: 32 bytes from RAND_bytes as 64
// lowercase hex characters, file mode 0600. An existing file that is empty is an error (not replaced).
absl::StatusOr<std::string> EnsureToken(const std::string& path);

// The identity a verified client certificate carries, as Kubernetes reads it: user name = subject CN,
// groups = subject O values in order.
struct UserInfo {
  std::string name;
  std::vector<std::string> groups;
};

// Extracts CN and O from `cert` (chain verification is the TLS layer's job). Unauthenticated if the
// certificate is null or has no common name.
absl::StatusOr<UserInfo> UserFromCertificate(X509* cert);

// Host name and interface addresses as used for the serving certificate's SANs (addresses in
// canonical inet_ntop form, without duplicates). Errors from getifaddrs are returned.
absl::StatusOr<std::vector<std::string>> HostAddresses();
std::string HostName();

// Owning OpenSSL handles, for callers and tests that load the files back.
struct X509Deleter {
  void operator()(X509* x) const { X509_free(x); }
};
using X509Ptr = std::unique_ptr<X509, X509Deleter>;
absl::StatusOr<X509Ptr> LoadCertificate(const std::string& pem_path);
absl::StatusOr<X509Ptr> ParseCertificatePem(const std::string& pem);

// SHA-256 fingerprint of the certificate's DER encoding, lowercase hex.
absl::StatusOr<std::string> CertificateFingerprint(X509* cert);

// Subject alternative names of `cert`: DNS names as written and IP addresses in canonical form.
struct SubjectAltNames {
  std::vector<std::string> dns;
  std::vector<std::string> ips;
};
SubjectAltNames CertificateSans(X509* cert);

}  // namespace skiff::http

#endif  // SKIFF_HTTP_PKI_H_
