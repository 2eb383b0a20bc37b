#include "agent/kubelet/agent_command.h"

#include <signal.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>

#include "CLI/CLI.hpp"
#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "agent/containerd/reset.h"
#include "agent/ingress/haproxy_supervisor.h"
#include "agent/dns/dummy_interface.h"
#include "agent/kubelet/agent_identity.h"
#include "agent/node/peer_network.h"
#include "agent/node/pod_masquerade.h"
#include "agent/netpol/policy_enforcer.h"
#include "agent/proxy/service_proxy.h"
#include "base/file.h"
#include "base/process.h"
#include "spdlog/spdlog.h"

namespace skiff::agent::kubelet {

void AddAgentFlags(CLI::App* command, AgentFlags* flags) {
  command
      ->add_option("--server", flags->server,
                   "API server URL, e.g. https://10.0.0.1:6443; several servers of one cluster as URL,URL "
                   "or a repeated flag (the agent fails over between them)")
      ->delimiter(',')
      ->multi_option_policy(CLI::MultiOptionPolicy::Join);
  command->add_option("--token", flags->token,
                      "Bootstrap token (the server's DATA_DIR/node.token): asks for the node's client "
                      "certificate when DATA_DIR has no valid one");
  command->add_option("--token-file", flags->token_file, "File holding the bootstrap token");
  command->add_option("--ca-file", flags->ca_file,
                      "CA certificate of the API server (default: system store)");
  command->add_flag("--insecure-skip-tls-verify", flags->insecure_skip_tls_verify,
                    "Do not verify the API server's certificate");
  command->add_option("--data-dir", flags->data_dir, "Agent data directory")->capture_default_str();
  command->add_option("--node-name", flags->node_name, "Node name (default: the host name)");
  command->add_option("--node-ip", flags->node_ip,
                      "Node IP (default: the default-route interface's address)");
  command->add_option("--container-runtime-endpoint", flags->container_runtime_endpoint,
                      "Use this CRI socket (unix:///...) instead of starting containerd");
  command->add_option("--pause-image", flags->pause_image,
                      "Pause image archive to import (default: images/pause.tar beside the binary)");
  command->add_option("--kubelet-port", flags->kubelet_port, "Port reported as the kubelet endpoint")
      ->capture_default_str()
      ->check(CLI::Range(1, 65535));
  command->add_option("--cluster-dns", flags->cluster_dns, "Cluster DNS address (the kube-dns Service's IP)")
      ->capture_default_str();
  command
      ->add_option("--service-cidr", flags->service_cidr,
                   "The API server's --service-cidr: new connections to its addresses that are no "
                   "ClusterIP are rejected (\"\" = not)")
      ->capture_default_str();
  command
      ->add_option("--cluster-cidr", flags->cluster_cidr,
                   "The cluster's pod network (podCIDRs come from it): pod traffic leaving it is masqueraded")
      ->capture_default_str();
  AddNodeServiceFlags(command, flags);
}

void AddNodeServiceFlags(CLI::App* command, AgentFlags* flags) {
  command->add_option("--cluster-domain", flags->cluster_domain, "DNS domain of the cluster")
      ->capture_default_str();
  command
      ->add_option("--resolv-conf", flags->resolv_conf,
                   "Host resolver config: upstreams of the cluster DNS and the DNS of dnsPolicy Default pods")
      ->capture_default_str();
  command
      ->add_option("--flannel-backend", flags->flannel_backend,
                   "Routes to other nodes' pods: host-gw (peer on a shared subnet), vxlan (VNI 1, UDP 8472), "
                   "auto (host-gw where possible, else vxlan) or none")
      ->check(CLI::IsMember({"auto", "host-gw", "vxlan", "none"}))
      ->capture_default_str();
  command->add_flag("--disable-service-proxy", flags->disable_service_proxy,
                    "Do not program Service rules (nftables) on this node");
  command->add_flag("--disable-cluster-dns", flags->disable_cluster_dns,
                    "Do not serve cluster DNS on this node");
  command->add_flag("--disable-network-policy", flags->disable_network_policy,
                    "Do not enforce NetworkPolicies (nftables) on this node's pods");
  command
      ->add_option("--ingress-http-port", flags->ingress_http_port,
                   "Port of the ingress controller's HTTP listener on the node IP and 127.0.0.1 (0 = none)")
      ->check(CLI::Range(0, 65535))
      ->capture_default_str();
  command
      ->add_option("--ingress-https-port", flags->ingress_https_port,
                   "Port of the ingress controller's HTTPS listener (0 = none; both 0 = no ingress controller)")
      ->check(CLI::Range(0, 65535))
      ->capture_default_str();
  command
      ->add_option("--activator-timeout", flags->activator_timeout_seconds,
                   "Scale to zero: seconds a connection to a Service at zero replicas waits for a ready "
                   "endpoint before it gets a 503 (HTTP) or a reset")
      ->capture_default_str()
      ->check(CLI::Range(1, 3600));
  command
      ->add_option("--activator-max-held", flags->activator_max_held,
                   "Scale to zero: connections the activator holds at once; more are reset")
      ->capture_default_str()
      ->check(CLI::Range(1, 100000));
}

void ApplyNodeServiceFlags(const AgentFlags& flags, AgentOptions* options) {
  options->cluster_domain = flags.cluster_domain;
  options->resolv_conf = flags.resolv_conf;
  options->enable_service_proxy = !flags.disable_service_proxy;
  options->enable_cluster_dns = !flags.disable_cluster_dns;
  options->enable_network_policy = !flags.disable_network_policy;
  options->flannel_backend = flags.flannel_backend;
  options->ingress_http_port = flags.ingress_http_port;
  options->ingress_https_port = flags.ingress_https_port;
  options->activator_timeout = absl::Seconds(flags.activator_timeout_seconds);
  options->activator_max_held = flags.activator_max_held;
}

void AddAgentResetFlags(CLI::App* command, AgentResetFlags* flags) {
  command->add_option("--data-dir", flags->data_dir, "Agent data directory to remove")->capture_default_str();
}

std::string DefaultPauseImageArchive() {
  std::error_code ec;
  std::filesystem::path exe = std::filesystem::read_symlink("/proc/self/exe", ec);
  if (ec) return "";
  std::filesystem::path archive = exe.parent_path() / "images" / "pause.tar";
  return std::filesystem::exists(archive, ec) ? archive.string() : "";
}

absl::StatusOr<client::RestConfig> AgentRestConfig(const AgentFlags& flags) {
  if (flags.server.empty()) return absl::InvalidArgumentError("--server is required");
  std::string token = flags.token;
  if (token.empty() && !flags.token_file.empty()) {
    absl::StatusOr<std::string> text = base::ReadFile(flags.token_file);
    if (!text.ok()) return absl::NotFoundError(absl::StrCat("cannot read --token-file ", flags.token_file));
    token = std::string(absl::StripAsciiWhitespace(*text));
  }
  if (token.empty()) return absl::InvalidArgumentError("--token or --token-file is required");
  absl::StatusOr<client::RestConfig> config = client::MakeRestConfig(flags.server, token, flags.ca_file);
  if (!config.ok()) return config.status();
  config->insecure_skip_tls_verify = flags.insecure_skip_tls_verify;
  config->user_agent = "skiff-agent";
  config->field_manager = "skiff-agent";
  return config;
}

AgentOptions AgentOptionsFromFlags(const AgentFlags& flags) {
  AgentOptions o;
  o.data_dir = flags.data_dir;
  o.node_name = flags.node_name;
  o.node_ip = flags.node_ip;
  o.container_runtime_endpoint = flags.container_runtime_endpoint;
  o.pause_image_archive = flags.pause_image.empty() ? DefaultPauseImageArchive() : flags.pause_image;
  o.kubelet_port = flags.kubelet_port;
  o.client_ca_file = flags.ca_file;
  o.cluster_dns = flags.cluster_dns;
  o.service_cidr = flags.service_cidr;
  o.cluster_cidr = flags.cluster_cidr;
  ApplyNodeServiceFlags(flags, &o);
  return o;
}

int RunAgent(const AgentFlags& flags) {
  // Termination signals are blocked in every thread; this thread waits for them.
  sigset_t signals = base::BlockTerminationSignals();

  absl::StatusOr<std::string> node_name = AgentNodeName(flags);
  if (!node_name.ok()) {
    std::fprintf(stderr, "skiff agent: %s\n", std::string(node_name.status().message()).c_str());
    return 1;
  }
  // The node's own client certificate (bootstrapped with the token when there is none yet).
  absl::StatusOr<std::unique_ptr<NodeIdentity>> identity = EstablishNodeIdentity(flags, *node_name);
  if (!identity.ok()) {
    std::fprintf(stderr, "skiff agent: %s\n", identity.status().ToString().c_str());
    return 1;
  }
  AgentOptions options = AgentOptionsFromFlags(flags);
  options.node_name = *node_name;
  Agent agent((*identity)->client.get(), options);
  if (absl::Status s = agent.Start(); !s.ok()) {
    std::fprintf(stderr, "skiff agent: %s\n", s.ToString().c_str());
    return 1;
  }
  std::printf("skiff agent: node %s (%s) registered at %s\n", agent.options().node_name.c_str(),
              agent.options().node_ip.c_str(), flags.server.c_str());
  std::fflush(stdout);
  int sig = base::WaitForSignal(signals);
  spdlog::info("signal {}: stopping the agent (containers keep running)", sig);
  agent.Stop();
  return 0;
}

int RunAgentReset(const AgentResetFlags& flags) {
  if (flags.data_dir.empty() || flags.data_dir == "/") {
    std::fprintf(stderr, "skiff agent reset: refusing --data-dir \"%s\"\n", flags.data_dir.c_str());
    return 1;
  }
  // The ingress controller's haproxy (left running by a killed agent) goes before its files.
  ingress::StopHaproxyProcesses(IngressDir(flags.data_dir), absl::Seconds(10));
  if (absl::Status s = containerd::ResetAgentDir(flags.data_dir); !s.ok()) {
    std::fprintf(stderr, "skiff agent reset: %s\n", s.ToString().c_str());
    return 1;
  }
  // The node's network state: it lives in the network namespace this command runs in (the host's,
  // or the netns an agent was started in with `ip netns exec`: run the reset there too).
  if (absl::Status s = node::RemovePeerNetwork(); !s.ok()) {
    std::fprintf(stderr, "skiff agent reset: peer routes: %s\n", s.ToString().c_str());
    return 1;
  }
  if (absl::Status s = node::RemovePodMasquerade(); !s.ok()) {
    std::fprintf(stderr, "skiff agent reset: pod masquerade: %s\n", s.ToString().c_str());
    return 1;
  }
  if (absl::Status s = proxy::DeleteProxyTable(); !s.ok()) {
    std::fprintf(stderr, "skiff agent reset: service proxy rules: %s\n", s.ToString().c_str());
    return 1;
  }
  if (absl::Status s = netpol::DeleteNetpolTable(); !s.ok()) {
    std::fprintf(stderr, "skiff agent reset: network policy rules: %s\n", s.ToString().c_str());
    return 1;
  }
  if (absl::Status s = dns::RemoveDummyInterface(kClusterDnsInterface); !s.ok()) {
    std::fprintf(stderr, "skiff agent reset: %s: %s\n", kClusterDnsInterface, s.ToString().c_str());
    return 1;
  }
  std::printf("skiff agent reset: removed %s\n", flags.data_dir.c_str());
  return 0;
}

}  // namespace skiff::agent::kubelet
