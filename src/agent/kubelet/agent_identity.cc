#include "agent/kubelet/agent_identity.h"

#include <unistd.h>

#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "base/file.h"
#include "spdlog/spdlog.h"

namespace skiff::agent::kubelet {
namespace {

using certificate::NodeCertificate;

// The server connection settings without credentials (the bootstrap token is not needed once the
// node has a certificate).
absl::StatusOr<client::RestConfig> ServerConfig(const AgentFlags& flags) {
  if (flags.server.empty()) return absl::InvalidArgumentError("--server is required");
  absl::StatusOr<client::RestConfig> config = client::MakeRestConfig(flags.server, "", flags.ca_file);
  if (!config.ok()) return config.status();
  config->insecure_skip_tls_verify = flags.insecure_skip_tls_verify;
  config->user_agent = "skiff-agent";
  config->field_manager = "skiff-agent";
  return config;
}

absl::StatusOr<NodeCertificate> Bootstrap(const AgentFlags& flags, const std::string& node_name,
                                          absl::Duration timeout) {
  absl::StatusOr<client::RestConfig> config = AgentRestConfig(flags);
  if (!config.ok()) {
    return absl::Status(config.status().code(),
                        absl::StrCat("no valid client certificate in ", flags.data_dir,
                                     " and no bootstrap token to request one: ", config.status().message()));
  }
  absl::StatusOr<std::unique_ptr<client::RestClient>> bootstrap = client::RestClient::New(*config);
  if (!bootstrap.ok()) return bootstrap.status();
  return certificate::RequestNodeCertificate(bootstrap->get(), node_name, timeout);
}

// The first of --server's URLs: the node kubeconfig is for kubectl, which takes one server.
std::string FirstServer(const std::string& servers) {
  return std::string(absl::StripAsciiWhitespace(servers.substr(0, servers.find(','))));
}

}  // namespace

absl::StatusOr<std::string> AgentNodeName(const AgentFlags& flags) {
  if (!flags.node_name.empty()) return flags.node_name;
  char host[256] = {};
  if (gethostname(host, sizeof(host) - 1) != 0 || host[0] == '\0') {
    return absl::FailedPreconditionError("no --node-name given and the host name is unknown");
  }
  return absl::AsciiStrToLower(host);
}

absl::StatusOr<std::unique_ptr<NodeIdentity>> EstablishNodeIdentity(const AgentFlags& flags,
                                                                    const std::string& node_name,
                                                                    absl::Duration bootstrap_timeout) {
  certificate::NodeCredentialPaths paths = certificate::NodeCredentialPathsFor(flags.data_dir);
  absl::StatusOr<NodeCertificate> current =
      certificate::LoadNodeCertificate(paths.pem, node_name, base::RealClock().Now());
  if (current.ok()) {
    spdlog::info("using the client certificate in {} (valid until {})", paths.pem,
                 absl::FormatTime(current->not_after));
  } else {
    if (!absl::IsNotFound(current.status())) {
      spdlog::warn("not using {}: {}", paths.pem, current.status().ToString());
    }
    current = Bootstrap(flags, node_name, bootstrap_timeout);
    if (!current.ok()) return current.status();
    if (absl::Status st = certificate::StoreNodeCertificate(paths.pem, *current); !st.ok()) return st;
    spdlog::info("stored the client certificate of node {} in {}", node_name, paths.pem);
  }
  if (absl::Status st =
          certificate::WriteNodeKubeconfig(paths.kubeconfig, FirstServer(flags.server), flags.ca_file,
                                           flags.insecure_skip_tls_verify, node_name, paths.pem);
      !st.ok()) {
    return st;
  }
  absl::StatusOr<client::RestConfig> config = ServerConfig(flags);
  if (!config.ok()) return config.status();
  config->client_cert_pem = current->cert_pem;
  config->client_key_pem = current->key_pem;
  absl::StatusOr<std::unique_ptr<client::RestClient>> rest = client::RestClient::New(*config);
  if (!rest.ok()) return rest.status();
  auto identity = std::make_unique<NodeIdentity>();
  identity->client = *std::move(rest);
  client::RestClient* client = identity->client.get();
  identity->rotator = std::make_unique<certificate::CertificateRotator>(
      client, certificate::RotatorOptions{.node_name = node_name, .pem_path = paths.pem}, *std::move(current),
      [client](const NodeCertificate& renewed) {
        return client->SetClientCertificate(renewed.cert_pem, renewed.key_pem);
      });
  identity->rotator->Start();
  return identity;
}

}  // namespace skiff::agent::kubelet
