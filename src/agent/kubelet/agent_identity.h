// The remote node agent's identity towards the API server (Kubernetes' kubelet TLS bootstrapping):
// a valid client certificate stored in the agent's data directory is reused; otherwise the
// bootstrap token (--token / --token-file) asks for one through a CertificateSigningRequest and
// waits until it is approved and issued. From then on the agent talks to the API server as
// system:node:<node> with that certificate, and a CertificateRotator renews it before it expires,
// switching the client over without a restart.
// Thread-safety: EstablishNodeIdentity is called once from RunAgent. Ownership: the returned
// identity owns the client and the rotator (stop the rotator before destroying the client).
// Failure: no stored certificate and no token, an unreachable server, a denied request or no
// certificate within the timeout give a Status that RunAgent prints.
#ifndef SKIFF_AGENT_KUBELET_AGENT_IDENTITY_H_
#define SKIFF_AGENT_KUBELET_AGENT_IDENTITY_H_

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "agent/certificate/certificate_rotator.h"
#include "agent/kubelet/agent_command.h"
#include "client/rest/rest_client.h"

namespace skiff::agent::kubelet {

struct NodeIdentity {
  std::unique_ptr<client::RestClient> client;                // authenticated by the node's certificate
  std::unique_ptr<certificate::CertificateRotator> rotator;  // started
  ~NodeIdentity() {
    if (rotator) rotator->Stop();
  }
};

// The node name the agent registers: --node-name or the lower-cased host name.
absl::StatusOr<std::string> AgentNodeName(const AgentFlags& flags);

// `bootstrap_timeout`: how long to wait for the first certificate.
absl::StatusOr<std::unique_ptr<NodeIdentity>> EstablishNodeIdentity(
    const AgentFlags& flags, const std::string& node_name,
    absl::Duration bootstrap_timeout = absl::Minutes(15));

}  // namespace skiff::agent::kubelet

#endif  // SKIFF_AGENT_KUBELET_AGENT_IDENTITY_H_
