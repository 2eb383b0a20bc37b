// The skiff binary: command-line parsing and wiring only.
#include <signal.h>

#include <cstdio>
#include <memory>
#include <string>

#include "CLI/CLI.hpp"
#include "apiserver/server.h"
#include "client/in_process_client.h"
#include "controllers/manager/manager.h"
#include "scheduler/scheduler.h"
#include "sim/sim_command.h"
#include "spdlog/spdlog.h"

namespace {

int RunServer(const skiff::apiserver::ServerOptions& options, bool disable_controllers) {
  // Block termination signals in every thread; this thread waits for them.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  signal(SIGPIPE, SIG_IGN);

  skiff::apiserver::Server server(options);
  auto status = server.Start();
  if (!status.ok()) {
    std::fprintf(stderr, "skiff server: %s\n", status.ToString().c_str());
    return 1;
  }
  std::printf("skiff server listening on port %d\nkubeconfig: %s\n", server.port(), server.kubeconfig_path().c_str());
  std::printf("try: KUBECONFIG=%s kubectl get namespaces\n", server.kubeconfig_path().c_str());
  std::fflush(stdout);
  // Controllers (and later the scheduler) talk to the storage in-process, under leader election.
  std::unique_ptr<skiff::client::InProcessClient> client;
  std::unique_ptr<skiff::controllers::ControllerManager> manager;
  if (!disable_controllers) {
    client = std::make_unique<skiff::client::InProcessClient>(server.storage(), "skiff-controller-manager");
    manager = std::make_unique<skiff::controllers::ControllerManager>(client.get());
    manager->AddController({"scheduler", skiff::scheduler::NewScheduler});
    manager->Start();
  }
  int sig = 0;
  sigwait(&signals, &sig);
  spdlog::info("signal {}: shutting down", sig);
  if (manager) manager->Stop();
  manager.reset();
  client.reset();
  server.Stop();
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"skiff: a Kubernetes-compatible cluster operating system"};
  app.require_subcommand(1);
  skiff::apiserver::ServerOptions server_options;
  bool disable_agent = false;
  bool disable_controllers = false;
  auto* server = app.add_subcommand("server", "Run the control plane (API server on embedded SQLite)");
  server->add_option("--data-dir", server_options.data_dir, "State directory")->capture_default_str();
  server->add_option("--listen", server_options.listen, "HTTPS listen address ADDR:PORT")->capture_default_str();
  server->add_option("--token-auth-file", server_options.token_file, "Static bearer tokens (CSV: token,user,uid,groups)");
  server->add_flag("--disable-agent", disable_agent, "Do not run a node agent in this process");
  server->add_flag("--disable-controllers", disable_controllers,
                   "Do not run the controllers (and scheduler) in this process");
  skiff::sim::SimCommandFlags sim_flags;
  auto* sim = app.add_subcommand("sim", "Simulate kubelet nodes against an API server (scale tests)");
  skiff::sim::AddSimFlags(sim, &sim_flags);
  CLI11_PARSE(app, argc, argv);
  if (server->parsed()) return RunServer(server_options, disable_controllers);
  if (sim->parsed()) return skiff::sim::RunSim(sim_flags);
  return 2;
}
