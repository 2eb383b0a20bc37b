// Kubeconfig files for skiff clients: renders the YAML that kubectl and the Python `kubernetes`
// client read (one cluster, one user, one context, all credentials inlined as base64 *-data fields),
// writes the admin kubeconfig, and bundles first-start credential setup for `skiff server`.
// Thread-safety: functions are independent; concurrent writers of one path each replace the file
// atomically (last one wins). Ownership: plain values. Failure: unreadable PKI files, an empty server
// URL, or file-system errors are absl::Status; a written file is never left half-written.
#ifndef SKIFF_APISERVER_KUBECONFIG_H_
#define SKIFF_APISERVER_KUBECONFIG_H_

#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "http/pki.h"

namespace skiff::apiserver {

// What one kubeconfig says. PEM fields are the file contents (base64-encoded when rendered). The user
// authenticates with the client certificate if one is given, else with the bearer token.
struct KubeconfigSpec {
  std::string cluster_name = "skiff";
  std::string server_url;  // e.g. https://127.0.0.1:6443
  std::string ca_pem;
  std::string user_name = "admin";
  std::string client_cert_pem;
  std::string client_key_pem;
  std::string token;
  std::string context_name = "skiff";
  std::string default_namespace = "default";
};

// The kubeconfig YAML for `spec`. InvalidArgument if the server URL is not http(s)://... or the user has
// neither a client certificate + key nor a token.
absl::StatusOr<std::string> RenderKubeconfig(const KubeconfigSpec& spec);

// Writes the admin kubeconfig (cluster "skiff" at server_url trusting ca.crt, user "admin" with the
// admin client certificate, context "skiff" in namespace default) to `path`, mode 0600, atomically.
absl::Status WriteKubeconfig(const std::string& path, const std::string& server_url,
                             const http::PkiPaths& paths);

// Everything `skiff server --data-dir` needs before serving: certificates (EnsurePki), admin.token,
// node.token, and admin.kubeconfig pointing at server_url (rewritten on every call).
struct ServerCredentials {
  http::PkiPaths paths;
  std::string admin_token;
  std::string node_token;
};
absl::StatusOr<ServerCredentials> EnsureServerCredentials(const std::string& data_dir,
                                                          const std::string& server_url,
                                                          const http::PkiOptions& options);

}  // namespace skiff::apiserver

#endif  // SKIFF_APISERVER_KUBECONFIG_H_
