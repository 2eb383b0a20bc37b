// `skiff agent` and `skiff agent reset`: the node agent's command-line flags and main loops, so the
// skiff binary's main.cc only wires the subcommands:
//   auto* agent = app.add_subcommand("agent", "...");   AddAgentFlags(agent, &agent_flags);
//   auto* reset = agent->add_subcommand("reset", "..."); AddAgentResetFlags(reset, &reset_flags);
//   if (reset->parsed()) return RunAgentReset(reset_flags);
//   if (agent->parsed()) return RunAgent(agent_flags);
// `skiff agent --server URL --token TOKEN [--token-file F] [--ca-file F] [--data-dir DIR]
//  [--node-name N] [--node-ip IP] [--container-runtime-endpoint unix:///...] [--pause-image F]
//  [--cluster-dns IP] [--service-cidr CIDR]`
// runs an Agent over a RestClient authenticated by the node's own client certificate
// (agent_identity.h: bootstrapped with the token, rotated before expiry) until SIGINT/SIGTERM.
// `skiff agent reset --data-dir DIR` removes everything an agent created under DIR (pods,
// containerd, mounts, the bridge) and on the host (the service proxy's nftables table, the cluster
// DNS interface).
// Thread-safety: Run* are called once from main. Ownership: flags are plain values owned by the
// caller. Failure: bad flags, an unusable server or a failing start print an error; Run* return 1.
#ifndef SKIFF_AGENT_KUBELET_AGENT_COMMAND_H_
#define SKIFF_AGENT_KUBELET_AGENT_COMMAND_H_

#include <string>

#include "absl/status/statusor.h"
#include "agent/kubelet/agent.h"
#include "client/rest/rest_client.h"

namespace CLI {
class App;
}

namespace skiff::agent::kubelet {

struct AgentFlags {
  std::string server;      // https://HOST:6443
  std::string token;       // the server's DIR/node.token (bootstrap: asks for the node's certificate)
  std::string token_file;  // or a file holding it
  std::string ca_file;     // the server's CA certificate ("" = system trust store)
  bool insecure_skip_tls_verify = false;
  std::string data_dir = kDefaultAgentDataDir;
  std::string node_name;
  std::string node_ip;
  std::string container_runtime_endpoint;
  std::string pause_image;  // "" = images/pause.tar next to the skiff binary, when present
  int kubelet_port = 10250;
  std::string cluster_dns = "10.43.0.10";
  std::string service_cidr = "10.43.0.0/16";  // the API server's --service-cidr
  std::string cluster_cidr = "10.42.0.0/16";  // the pod network of the whole cluster
  std::string flannel_backend = "auto";       // cross-node pod routes: auto, host-gw, vxlan, none
  std::string cluster_domain = "cluster.local";
  std::string resolv_conf = "/etc/resolv.conf";
  bool disable_service_proxy = false;
  bool disable_cluster_dns = false;
  bool disable_network_policy = false;
  int ingress_http_port = 80;
  int ingress_https_port = 443;
  int activator_timeout_seconds = 30;
  int activator_max_held = 1024;
};

// The flags a node agent shares with `skiff server`'s in-process agent (cluster DNS, resolver).
void AddNodeServiceFlags(CLI::App* command, AgentFlags* flags);

struct AgentResetFlags {
  std::string data_dir = kDefaultAgentDataDir;
};

void AddAgentFlags(CLI::App* command, AgentFlags* flags);
void AddAgentResetFlags(CLI::App* command, AgentResetFlags* flags);

// The bootstrap RestClient config from the flags (server URL, token or token file, CA or
// insecure): what the agent asks for its client certificate with (agent_identity.h).
absl::StatusOr<client::RestConfig> AgentRestConfig(const AgentFlags& flags);
// The AgentOptions from the flags (pause image default resolved).
// Copies the node-service flags (AddNodeServiceFlags) into `options`.
void ApplyNodeServiceFlags(const AgentFlags& flags, AgentOptions* options);
AgentOptions AgentOptionsFromFlags(const AgentFlags& flags);
// <directory of the running binary>/images/pause.tar if it exists, else "".
std::string DefaultPauseImageArchive();

// Runs until SIGINT/SIGTERM; returns the process exit code.
int RunAgent(const AgentFlags& flags);
int RunAgentReset(const AgentResetFlags& flags);

}  // namespace skiff::agent::kubelet

#endif  // SKIFF_AGENT_KUBELET_AGENT_COMMAND_H_
