// `skiff sim`: the command-line flags of the node simulator and the command's main loop (load the
// kubeconfig, start a Simulator over a RestClient, run until SIGINT/SIGTERM). Kept here so the
// skiff binary's main.cc only wires the subcommand.
// Thread-safety: RunSim is called once from main. Ownership: flags are plain values owned by the
// caller. Failure: bad flags or an unusable kubeconfig/server print an error; RunSim returns 1.
#ifndef SKIFF_SIM_SIM_COMMAND_H_
#define SKIFF_SIM_SIM_COMMAND_H_

#include <string>
#include <vector>

namespace CLI {
class App;
}

namespace skiff::sim {

struct SimCommandFlags {
  std::string kubeconfig;
  std::string server;  // "" = the kubeconfig's; else URL[,URL...] of one cluster's API servers
  int nodes = 1;
  std::string cpu = "4";
  std::string memory = "16Gi";
  int pods = 110;
  int zones = 3;
  std::string name_prefix = "sim-";
  std::string ready_delay = "1s";
  std::string lease_interval = "10s";
  std::vector<std::string> labels;  // k=v
  int workers = 16;
  int kubelet_port = 0;
};

void AddSimFlags(CLI::App* command, SimCommandFlags* flags);
// Runs until SIGINT/SIGTERM; returns the process exit code.
int RunSim(const SimCommandFlags& flags);

}  // namespace skiff::sim

#endif  // SKIFF_SIM_SIM_COMMAND_H_
