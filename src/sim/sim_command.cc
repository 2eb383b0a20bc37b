#include "sim/sim_command.h"

#include <signal.h>

#include <cstdio>

#include "CLI/CLI.hpp"
#include "absl/strings/str_cat.h"
#include "base/process.h"
#include "client/rest/rest_client.h"
#include "sim/simulator.h"
#include "spdlog/spdlog.h"

namespace skiff::sim {

void AddSimFlags(CLI::App* command, SimCommandFlags* flags) {
  command->add_option("--kubeconfig", flags->kubeconfig, "Kubeconfig of the API server")->required();
  command->add_option("--server", flags->server,
                      "API server URL[,URL...] instead of the kubeconfig's (several servers of one cluster: "
                      "the sim fails over between them)");
  command->add_option("--nodes", flags->nodes, "Number of simulated nodes")
      ->required()
      ->check(CLI::Range(1, 100000));
  command->add_option("--cpu", flags->cpu, "CPU capacity per node")->capture_default_str();
  command->add_option("--memory", flags->memory, "Memory capacity per node")->capture_default_str();
  command->add_option("--pods", flags->pods, "Pod capacity per node")
      ->capture_default_str()
      ->check(CLI::Range(1, 65000));
  command
      ->add_option("--zones", flags->zones, "Spread nodes over this many zones (topology.kubernetes.io/zone)")
      ->capture_default_str()
      ->check(CLI::Range(1, 1000));
  command->add_option("--name-prefix", flags->name_prefix, "Node name prefix")->capture_default_str();
  command->add_option("--ready-delay", flags->ready_delay, "Delay before a bound pod runs (e.g. 500ms, 2s)")
      ->capture_default_str();
  command
      ->add_option("--lease-interval", flags->lease_interval,
                   "How often each node renews its Lease (e.g. 10s)")
      ->capture_default_str();
  command->add_option("--label", flags->labels, "Extra node label k=v (repeatable)");
  command->add_option("--workers", flags->workers, "Concurrent API writes (and connections)")
      ->capture_default_str()
      ->check(CLI::Range(1, 256));
  command
      ->add_option(
          "--kubelet-port", flags->kubelet_port,
          "Port of the simulated nodes' kubelet endpoint on their loopback addresses (0 = any free port)")
      ->capture_default_str()
      ->check(CLI::Range(0, 65535));
}

namespace {

absl::StatusOr<SimOptions> ToOptions(const SimCommandFlags& flags) {
  SimOptions o;
  o.kubeconfig = flags.kubeconfig;
  o.nodes = flags.nodes;
  o.cpu = flags.cpu;
  o.memory = flags.memory;
  o.pods = flags.pods;
  o.zones = flags.zones;
  o.name_prefix = flags.name_prefix;
  o.workers = flags.workers;
  o.kubelet_port = flags.kubelet_port;
  if (!absl::ParseDuration(flags.ready_delay, &o.ready_delay) || o.ready_delay < absl::ZeroDuration()) {
    return absl::InvalidArgumentError(
        absl::StrCat("--ready-delay \"", flags.ready_delay, "\" is not a duration"));
  }
  if (!absl::ParseDuration(flags.lease_interval, &o.lease_interval) ||
      o.lease_interval <= absl::ZeroDuration()) {
    return absl::InvalidArgumentError(
        absl::StrCat("--lease-interval \"", flags.lease_interval, "\" is not a positive duration"));
  }
  for (const auto& label : flags.labels) {
    size_t eq = label.find('=');
    if (eq == std::string::npos || eq == 0) {
      return absl::InvalidArgumentError(absl::StrCat("--label \"", label, "\" is not k=v"));
    }
    o.labels.emplace_back(label.substr(0, eq), label.substr(eq + 1));
  }
  return o;
}

}  // namespace

int RunSim(const SimCommandFlags& flags) {
  // Termination signals are blocked in every thread; this thread waits for them.
  sigset_t signals = base::BlockTerminationSignals();

  auto options = ToOptions(flags);
  if (!options.ok()) {
    std::fprintf(stderr, "skiff sim: %s\n", std::string(options.status().message()).c_str());
    return 1;
  }
  auto config = client::LoadKubeconfig(flags.kubeconfig);
  if (!config.ok()) {
    std::fprintf(stderr, "skiff sim: %s\n", config.status().ToString().c_str());
    return 1;
  }
  if (!flags.server.empty()) config->server_url = flags.server;
  config->user_agent = "skiff-sim";
  config->field_manager = "skiff-sim";
  config->max_connections = options->workers;
  options->kubelet_client_ca_pem = config->ca_pem;  // it signs the API server's kubelet-client cert
  auto rest = client::RestClient::New(*config);
  if (!rest.ok()) {
    std::fprintf(stderr, "skiff sim: %s\n", rest.status().ToString().c_str());
    return 1;
  }
  Simulator simulator(rest->get(), *options);
  if (auto s = simulator.Start(); !s.ok()) {
    std::fprintf(stderr, "skiff sim: %s\n", s.ToString().c_str());
    return 1;
  }
  std::printf("skiff sim: %d nodes registered at %s; their kubelet endpoint listens on port %d\n",
              options->nodes, config->server_url.c_str(), simulator.kubelet_port());
  std::fflush(stdout);
  int sig = base::WaitForSignal(signals);
  spdlog::info("signal {}: stopping the simulator", sig);
  simulator.Stop();
  return 0;
}

}  // namespace skiff::sim
