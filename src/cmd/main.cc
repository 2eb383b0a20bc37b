// The skiff binary: command-line parsing and wiring only.
#include <signal.h>
#include <unistd.h>

#include <cctype>

#include <cstdio>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "CLI/CLI.hpp"
#include "absl/strings/ascii.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "agent/kubelet/agent.h"
#include "agent/kubelet/agent_command.h"
#include "agent/kubelet/images_command.h"
#include "apiserver/audit/options.h"
#include "apiserver/server.h"
#include "apiserver/service_account_tokens.h"
#include "base/file.h"
#include "base/file_limit.h"
#include "base/process.h"
#include "client/inprocess/in_process_client.h"
#include "controllers/apiserverendpoints/endpoint_reconciler.h"
#include "controllers/manager/manager.h"
#include "controllers/manager/manager_flags.h"
#include "controllers/podautoscaler/loopback_api_get.h"
#include "scheduler/scheduler.h"
#include "sim/sim_command.h"
#include "spdlog/spdlog.h"

namespace {

using skiff::apiserver::User;

// An in-process client acting as `user` under the server's authorizer (RBAC applies to it as to
// any remote client).
std::unique_ptr<skiff::client::InProcessClient> ClientAs(const skiff::apiserver::Server& server,
                                                         const std::string& manager, User user) {
  auto client = std::make_unique<skiff::client::InProcessClient>(server.storage(), manager);
  user.groups.push_back("system:authenticated");
  client->set_identity(server.authorizer(), std::move(user));
  client->set_auditor(server.auditor());  // their writes are audited like kube-controller-manager's
  return client;
}

// The agent's node name: --node-name, else the host name lower-cased (as the agent resolves it).
std::string NodeName(const std::string& flag) {
  if (!flag.empty()) return flag;
  char host[256] = {};
  gethostname(host, sizeof(host) - 1);
  std::string name(host);
  for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return name;
}

int RunServer(const skiff::apiserver::ServerOptions& options, bool disable_controllers, bool disable_agent,
              skiff::controllers::ManagerOptions manager_options,
              const skiff::agent::kubelet::AgentFlags& node_service_flags) {
  // Termination signals are blocked in every thread; this thread waits for them.
  sigset_t signals = skiff::base::BlockTerminationSignals();

  skiff::apiserver::Server server(options);
  auto status = server.Start();
  if (!status.ok()) {
    std::fprintf(stderr, "skiff server: %s\n", status.ToString().c_str());
    return 1;
  }
  std::printf("skiff server listening on port %d\nkubeconfig: %s\n", server.port(),
              server.kubeconfig_path().c_str());
  std::printf("try: KUBECONFIG=%s kubectl get namespaces\n", server.kubeconfig_path().c_str());
  std::fflush(stdout);
  // Every server (leader or not) keeps its own Lease and the kubernetes Service's endpoints, which
  // list the live servers; it writes as the API server's loopback identity.
  auto apiserver_client =
      ClientAs(server, "kube-apiserver", User{.name = "system:apiserver", .groups = {"system:masters"}});
  // Several servers can only share etcd: there a dead server leaves the endpoints within 6 s. With
  // SQLite this server is the only one: it checks the endpoints every 10 s (kube-apiserver's
  // interval; a read) but writes its Lease only every 5 minutes, so an idle server writes nothing.
  const bool shared_store = !options.etcd.endpoints.empty();
  skiff::controllers::apiserverendpoints::EndpointReconciler endpoints(
      apiserver_client.get(), {.address = server.advertise_address(),
                               .port = server.port(),
                               .host_name = NodeName(""),
                               .interval = absl::Seconds(shared_store ? 2 : 10),
                               .lease_duration = shared_store ? absl::Seconds(6) : absl::Minutes(15),
                               .sole_server = !shared_store,
                               .sole_renew_period = absl::Minutes(5)});
  endpoints.Start();
  // The controllers and the scheduler talk to the storage in-process, under leader election.
  std::unique_ptr<skiff::client::InProcessClient> client;
  std::map<std::string, std::unique_ptr<skiff::client::InProcessClient>> controller_clients;
  std::unique_ptr<skiff::controllers::ControllerManager> manager;
  std::unique_ptr<skiff::controllers::ControllerManager> scheduler;
  if (!disable_controllers) {
    // kube-controller-manager's --root-ca-file: the CA pods use to trust the API server.
    if (auto ca = skiff::base::ReadFile(options.data_dir + "/pki/ca.crt"); ca.ok()) {
      manager_options.controllers.root_ca_pem = *ca;
    } else {
      spdlog::warn("no CA to publish as kube-root-ca.crt: {}", ca.status().ToString());
    }
    // csrsigning issues with the cluster CA, as kube-controller-manager's --cluster-signing-*-file.
    manager_options.controllers.cluster_signing_cert_file = options.data_dir + "/pki/ca.crt";
    manager_options.controllers.cluster_signing_key_file = options.data_dir + "/pki/ca.key";
    // The manager's informers, events and lease act as system:kube-controller-manager; each
    // controller writes as its own service account (--use-service-account-credentials), the
    // scheduler as system:kube-scheduler.
    client = ClientAs(server, "skiff-controller-manager", User{.name = "system:kube-controller-manager"});
    // Informers of controllers and scheduler do not need managedFields (as kube-controller-manager
    // strips them); at 150,000 pods this saves about a quarter of the server's memory.
    client->set_strip_managed_fields(true);
    for (const auto& c : skiff::controllers::RegisteredControllers()) {
      std::string account = skiff::controllers::ControllerServiceAccount(c.name);
      if (account.empty()) continue;
      std::string ns = "kube-system";
      controller_clients[c.name] = ClientAs(
          server, "skiff-controller-manager",
          User{.name = "system:serviceaccount:" + ns + ":" + account,
               .groups = {"system:serviceaccounts", "system:serviceaccounts:" + ns}});
    }
    controller_clients["scheduler"] =
        ClientAs(server, "skiff-controller-manager", User{.name = "system:kube-scheduler"});
    for (auto& [name, c] : controller_clients) c->set_strip_managed_fields(true);
    manager_options.controller_clients = [&controller_clients](const std::string& name) {
      auto it = controller_clients.find(name);
      return it == controller_clients.end() ? nullptr : static_cast<skiff::client::Client*>(it->second.get());
    };
    // kube-scheduler leads on its own Lease (kube-system/kube-scheduler), so with several servers
    // the scheduler and the controllers may run in different ones, each on one server at a time.
    skiff::controllers::ManagerOptions scheduler_options = manager_options;
    scheduler_options.builtin_controllers = false;
    scheduler_options.component = "default-scheduler";
    scheduler_options.leader_election.lease_name = "kube-scheduler";
    scheduler_options.lease_client = controller_clients["scheduler"].get();
    manager_options.leader_election.lease_name = "kube-controller-manager";
    // The HPA controller reads scales and the metrics APIs from this server over HTTPS.
    auto metrics_get = skiff::controllers::podautoscaler::NewLoopbackApiGet(
        server.kubeconfig_path(), options.data_dir + "/pki/ca.crt", options.data_dir + "/pki/ca.key");
    if (metrics_get.ok()) {
      manager_options.metrics_get = *std::move(metrics_get);
    } else {
      spdlog::warn("the HPA controller will not run: {}", metrics_get.status().ToString());
    }
    manager =
        std::make_unique<skiff::controllers::ControllerManager>(client.get(), std::move(manager_options));
    manager->Start();
    scheduler =
        std::make_unique<skiff::controllers::ControllerManager>(client.get(), std::move(scheduler_options));
    scheduler->AddController({"scheduler", skiff::scheduler::NewScheduler});
    scheduler->Start();
  }
  // The in-process node agent: this machine becomes a node of its own cluster.
  std::unique_ptr<skiff::client::InProcessClient> agent_client;
  std::unique_ptr<skiff::agent::kubelet::Agent> agent;
  if (!disable_agent) {
    skiff::agent::kubelet::AgentOptions agent_options;
    agent_options.data_dir = options.data_dir + "/agent";
    agent_options.pause_image_archive = skiff::agent::kubelet::DefaultPauseImageArchive();
    agent_options.client_ca_file = options.data_dir + "/pki/ca.crt";  // callers: the kubelet-client cert
    agent_options.cluster_dns = *skiff::apiserver::ClusterDnsAddress(options.service_cidr);  // valid: started
    agent_options.service_cidr = options.service_cidr;
    agent_options.api_catalogue_has_custom_resources = true;  // the server's own
    skiff::agent::kubelet::ApplyNodeServiceFlags(node_service_flags, &agent_options);
    // The in-process agent is its node: system:node:<name> in group system:nodes.
    agent_client = ClientAs(server, "skiff-agent",
                            User{.name = "system:node:" + NodeName(agent_options.node_name),
                                 .groups = {"system:nodes"}});
    // The agent requests the tokens of its pods' projected serviceAccountToken volumes.
    agent_client->set_token_issuer(&server.service_account_tokens()->issuer());
    agent = std::make_unique<skiff::agent::kubelet::Agent>(agent_client.get(), agent_options);
    if (auto agent_status = agent->Start(); !agent_status.ok()) {
      std::fprintf(stderr, "skiff server: node agent: %s\n", agent_status.ToString().c_str());
      if (scheduler) scheduler->Stop();
      if (manager) manager->Stop();
      endpoints.Stop();
      server.Stop();
      return 1;
    }
  }
  int sig = skiff::base::WaitForSignal(signals);
  spdlog::info("signal {}: shutting down", sig);
  if (agent) agent->Stop();  // containers keep running; a restarted agent adopts them
  agent.reset();
  agent_client.reset();
  if (scheduler) scheduler->Stop();
  scheduler.reset();
  if (manager) manager->Stop();
  manager.reset();
  controller_clients.clear();
  client.reset();
  endpoints.Stop();  // leaves the kubernetes endpoints at once
  server.Stop();
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  // The system abseil is built without NDEBUG, so every absl::Mutex lock (gRPC's included) would
  // otherwise update a process-wide lock graph under one global spinlock.
  absl::SetMutexDeadlockDetectionMode(absl::OnDeadlockCycle::kIgnore);
  CLI::App app{"skiff: a Kubernetes-compatible cluster operating system"};
  app.require_subcommand(1);
  skiff::apiserver::ServerOptions server_options;
  bool disable_agent = false;
  bool disable_controllers = false;
  auto* server =
      app.add_subcommand("server", "Run the control plane (API server on embedded SQLite, or on etcd)");
  server->add_option("--data-dir", server_options.data_dir, "State directory")->capture_default_str();
  server->add_option("--listen", server_options.listen, "HTTPS listen address ADDR:PORT")
      ->capture_default_str();
  server->add_option(
      "--token", server_options.cluster_token,
      "Shared secret of the servers of one cluster on one store: the first server keeps the "
      "cluster's CA, ServiceAccount key and tokens in the store encrypted with it, and servers "
      "started later with the same token take them from there");
  std::string cluster_token_file;
  server->add_option("--token-file", cluster_token_file, "File holding --token (kept out of the process list)")
      ->excludes("--token");
  server->add_option("--token-auth-file", server_options.token_file,
                     "Static bearer tokens (CSV: token,user,uid,groups)");
  server
      ->add_option("--authorization-mode", server_options.authorization_mode,
                   "How requests are authorized: Node,RBAC (nodes get what their pods use, then RBAC), RBAC, "
                   "or AlwaysAllow (every authenticated user may do anything)")
      ->check(CLI::IsMember({"Node,RBAC", "RBAC", "AlwaysAllow"}))
      ->capture_default_str();
  server
      ->add_option("--service-cidr", server_options.service_cidr,
                   "IPv4 range of Service ClusterIPs (.1 = kubernetes, .10 = cluster DNS)")
      ->capture_default_str();
  server
      ->add_option("--service-node-port-range", server_options.service_node_port_range,
                   "Port range of NodePort Services")
      ->capture_default_str();
  server->add_option(
      "--advertise-address", server_options.advertise_address,
      "Address of the API server in the kubernetes Service's endpoints (default: the listen address, "
      "or this host's main IPv4 address)");
  server
      ->add_option("--max-requests-inflight", server_options.max_requests_inflight,
                   "Read-only requests queued or running at once; more get 429 (0: no limit)")
      ->capture_default_str();
  server
      ->add_option("--max-mutating-requests-inflight", server_options.max_mutating_requests_inflight,
                   "Mutating requests queued or running at once; more get 429 (0: no limit)")
      ->capture_default_str();
  server->add_option("--pod-security-config", server_options.pod_security_config,
                     "PodSecurityConfiguration file (defaults and exemptions of Pod Security admission; "
                     "default: every namespace privileged unless labelled)");
  server->add_option("--service-account-issuer", server_options.service_account_issuers,
                     "Issuer (iss) of ServiceAccount tokens; repeatable, the first issues, all are accepted "
                     "(default https://kubernetes.default.svc.cluster.local)");
  server->add_option("--api-audiences", server_options.api_audiences,
                     "Audiences of the API; tokens must be for one of them (default: the issuer)")
      ->delimiter(',');
  std::string max_token_expiration;
  server->add_option("--service-account-max-token-expiration", max_token_expiration,
                     "Longest lifetime a TokenRequest gets, e.g. 48h (default: no maximum)");
  server->add_option("--service-account-jwks-uri", server_options.service_account_jwks_uri,
                     "jwks_uri of the OIDC discovery document (default: ISSUER/openid/v1/jwks)");
  server->add_option("--service-account-signing-key-file", server_options.service_account_key_file,
                     "PEM P-256 private key signing ServiceAccount tokens (default: DATA_DIR/pki/"
                     "service-account.key, created on first start)");
  std::vector<std::string> disabled_admission;
  server->add_option("--disable-admission-plugins", disabled_admission,
                     "Admission plugins to turn off (ServiceAccount, NodeRestriction)")
      ->delimiter(',')
      ->check(CLI::IsMember({"ServiceAccount", "NodeRestriction"}));
  skiff::apiserver::audit::AddAuditFlags(server, &server_options.audit);
  server
      ->add_option("--etcd-servers", server_options.etcd.endpoints,
                   "etcd v3 members to store everything in (http(s)://HOST:PORT, comma-separated) instead of "
                   "SQLite in the data dir")
      ->delimiter(',');
  server->add_option("--etcd-cafile", server_options.etcd.ca_file,
                     "CA bundle verifying etcd's serving certificates");
  server->add_option("--etcd-certfile", server_options.etcd.cert_file,
                     "Client certificate presented to etcd");
  server->add_option("--etcd-keyfile", server_options.etcd.key_file, "Key of --etcd-certfile");
  server->add_option("--etcd-prefix", server_options.etcd.prefix, "etcd key prefix of every object")
      ->capture_default_str();
  server->add_option(
      "--import-from", server_options.import_from,
      "Before starting on etcd, copy the objects of this SQLite data dir into the etcd keyspace, "
      "which must hold none (usually the --data-dir, whose CA and keys stay in use)");
  server->add_flag("--disable-agent", disable_agent, "Do not run a node agent in this process");
  skiff::agent::kubelet::AgentFlags node_service_flags;  // of the in-process agent
  skiff::agent::kubelet::AddNodeServiceFlags(server, &node_service_flags);
  server->add_flag("--disable-controllers", disable_controllers,
                   "Do not run the controllers (and scheduler) in this process");
  skiff::controllers::ManagerFlags manager_flags;
  skiff::controllers::AddManagerFlags(server, &manager_flags);
  skiff::agent::kubelet::AgentFlags agent_flags;
  auto* agent = app.add_subcommand("agent", "Run a node agent (kubelet) that joins a skiff server");
  skiff::agent::kubelet::AddAgentFlags(agent, &agent_flags);
  skiff::agent::kubelet::AgentResetFlags reset_flags;
  auto* reset =
      agent->add_subcommand("reset", "Remove every pod, mount and runtime state of an agent data dir");
  skiff::agent::kubelet::AddAgentResetFlags(reset, &reset_flags);
  skiff::agent::kubelet::ImagesFlags images_flags;
  skiff::agent::kubelet::AddImagesFlags(
      app.add_subcommand("images", "Import and list the agent's container images"), &images_flags);
  skiff::sim::SimCommandFlags sim_flags;
  auto* sim = app.add_subcommand("sim", "Simulate kubelet nodes against an API server (scale tests)");
  skiff::sim::AddSimFlags(sim, &sim_flags);
  CLI11_PARSE(app, argc, argv);
  for (const auto& plugin : disabled_admission) {
    if (plugin == "ServiceAccount") server_options.service_account_admission = false;
    if (plugin == "NodeRestriction") server_options.node_restriction_admission = false;
  }
  if (!max_token_expiration.empty()) {
    absl::Duration d;
    if (!absl::ParseDuration(max_token_expiration, &d) || d < absl::ZeroDuration()) {
      std::fprintf(stderr, "--service-account-max-token-expiration: not a duration: %s\n",
                   max_token_expiration.c_str());
      return 2;
    }
    server_options.service_account_max_token_expiration_seconds = absl::ToInt64Seconds(d);
  }
  if (!cluster_token_file.empty()) {
    auto token = skiff::base::ReadFile(cluster_token_file);
    if (!token.ok()) {
      std::fprintf(stderr, "--token-file: %s\n", token.status().ToString().c_str());
      return 2;
    }
    server_options.cluster_token = std::string(absl::StripAsciiWhitespace(*token));
    if (server_options.cluster_token.empty()) {
      std::fprintf(stderr, "--token-file: %s is empty\n", cluster_token_file.c_str());
      return 2;
    }
  }
  skiff::base::RaiseOpenFileLimit();
  if (server->parsed()) {
    manager_flags.shared_store = !server_options.etcd.endpoints.empty();
    auto manager_options = skiff::controllers::ToManagerOptions(manager_flags);
    if (!manager_options.ok()) {
      std::fprintf(stderr, "skiff server: %s\n", std::string(manager_options.status().message()).c_str());
      return 2;
    }
    // The ServiceAccount admission needs each namespace's "default" ServiceAccount, which only the
    // in-process controller manager creates.
    server_options.service_account_admission &=
        !disable_controllers && !manager_options->disabled.count("serviceaccount");
    return RunServer(server_options, disable_controllers, disable_agent, std::move(*manager_options),
                     node_service_flags);
  }
  if (images_flags.action != skiff::agent::kubelet::ImagesAction::kNone) {
    return skiff::agent::kubelet::RunImages(images_flags);
  }
  if (reset->parsed()) return skiff::agent::kubelet::RunAgentReset(reset_flags);
  if (agent->parsed()) return skiff::agent::kubelet::RunAgent(agent_flags);
  if (sim->parsed()) return skiff::sim::RunSim(sim_flags);
  return 2;
}
