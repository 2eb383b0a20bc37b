// The node agent's client certificate, as the kubelet's TLS bootstrapping makes it: an EC P-256
// key and a CertificateSigningRequest for CN=system:node:<node>, O=system:nodes to the
// kubernetes.io/kube-apiserver-client-kubelet signer, the issued certificate stored with its key in
// DATA_DIR/pki/kubelet-client-current.pem (0600) and a kubeconfig DATA_DIR/kubelet.kubeconfig that
// uses it, and the kubelet's rotation deadline (70-90% of the lifetime, jittered).
// Thread-safety: functions are safe to call concurrently for different files; callers serialize
// writes to the same files. Ownership: values; borrows the client for one call.
// Failure: unreadable, mismatched or expired credentials are NotFound/FailedPrecondition (the agent
// then bootstraps again); a denied or failed request is PermissionDenied with the signer's reason;
// no certificate within the timeout is DeadlineExceeded; API errors pass through.
#ifndef SKIFF_AGENT_CERTIFICATE_NODE_CERTIFICATE_H_
#define SKIFF_AGENT_CERTIFICATE_NODE_CERTIFICATE_H_

#include <functional>
#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "client/client.h"

namespace skiff::agent::certificate {

inline constexpr char kKubeletClientSigner[] = "kubernetes.io/kube-apiserver-client-kubelet";

struct NodeCredentialPaths {
  std::string pem;         // DATA_DIR/pki/kubelet-client-current.pem: key, then certificate
  std::string kubeconfig;  // DATA_DIR/kubelet.kubeconfig
};
NodeCredentialPaths NodeCredentialPathsFor(const std::string& data_dir);

// The user name a node's certificate carries: "system:node:<node>".
std::string NodeUserName(const std::string& node_name);

struct NodeCertificate {
  std::string key_pem;
  std::string cert_pem;
  absl::Time not_before;
  absl::Time not_after;
};

// The pair stored at `pem_path` if it parses, the key matches, the subject is the node's
// (CN=system:node:<node>, O=system:nodes) and it is valid at `now`.
absl::StatusOr<NodeCertificate> LoadNodeCertificate(const std::string& pem_path, const std::string& node_name,
                                                    absl::Time now);
// Writes key + certificate atomically with mode 0600 (creating the parent directory).
absl::Status StoreNodeCertificate(const std::string& pem_path, const NodeCertificate& certificate);
// A kubeconfig for user system:node:<node> whose client certificate and key are `pem_path`.
// `ca_file` empty: the system trust store; `insecure`: no server verification.
absl::Status WriteNodeKubeconfig(const std::string& path, const std::string& server_url,
                                 const std::string& ca_file, bool insecure, const std::string& node_name,
                                 const std::string& pem_path);

// Creates a key and a CSR for the node, waits (polling every `poll`) until the signer issued the
// certificate, and returns it. `client` authenticates as whoever may ask (the bootstrap token
// first, the node's current certificate when renewing).
// `timeout` and `poll` are real time; `cancelled` (optional) ends the wait early with Cancelled.
absl::StatusOr<NodeCertificate> RequestNodeCertificate(client::Client* client, const std::string& node_name,
                                                       absl::Duration timeout,
                                                       absl::Duration poll = absl::Seconds(1),
                                                       const std::function<bool()>& cancelled = nullptr);

// When to renew a certificate valid from not_before to not_after: after 70% of its lifetime plus
// `jitter` (in [0, 1)) times a further 20%, as the kubelet's certificate manager.
absl::Time RotationDeadline(absl::Time not_before, absl::Time not_after, double jitter);

}  // namespace skiff::agent::certificate

#endif  // SKIFF_AGENT_CERTIFICATE_NODE_CERTIFICATE_H_
