// The skiff binary: command-line parsing and wiring only.
#include <signal.h>

#include <cstdio>
#include <string>

#include "CLI/CLI.hpp"
#include "apiserver/server.h"
#include "spdlog/spdlog.h"

namespace {

int RunServer(const skiff::apiserver::ServerOptions& options) {
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
  int sig = 0;
  sigwait(&signals, &sig);
  spdlog::info("signal {}: shutting down", sig);
  server.Stop();
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"skiff: a Kubernetes-compatible cluster operating system"};
  app.require_subcommand(1);
  skiff::apiserver::ServerOptions server_options;
  bool disable_agent = false;
  auto* server = app.add_subcommand("server", "Run the control plane (API server on embedded SQLite)");
  server->add_option("--data-dir", server_options.data_dir, "State directory")->capture_default_str();
  server->add_option("--listen", server_options.listen, "HTTPS listen address ADDR:PORT")->capture_default_str();
  server->add_option("--token-auth-file", server_options.token_file, "Static bearer tokens (CSV: token,user,uid,groups)");
  server->add_flag("--disable-agent", disable_agent, "Do not run a node agent in this process");
  CLI11_PARSE(app, argc, argv);
  if (server->parsed()) return RunServer(server_options);
  return 2;
}
