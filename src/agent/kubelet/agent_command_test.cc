#include "agent/kubelet/agent_command.h"

#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "CLI/CLI.hpp"
#include "gtest/gtest.h"

namespace skiff::agent::kubelet {
namespace {

TEST(AgentRestConfig, NeedsServerAndToken) {
  AgentFlags flags;
  EXPECT_TRUE(absl::IsInvalidArgument(AgentRestConfig(flags).status()));
  flags.server = "https://127.0.0.1:6443";
  EXPECT_TRUE(absl::IsInvalidArgument(AgentRestConfig(flags).status()));
  flags.token = "secret";
  auto config = AgentRestConfig(flags);
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_EQ(config->token, "secret");
  EXPECT_EQ(config->user_agent, "skiff-agent");
  EXPECT_FALSE(config->insecure_skip_tls_verify);
}

// Several servers: repeated --server flags and a comma list both end up as one list the REST
// client balances over.
TEST(AgentFlagsTest, SeveralServersAsAListOrRepeatedFlags) {
  CLI::App app;
  AgentFlags flags;
  AddAgentFlags(&app, &flags);
  app.parse("--server https://127.0.0.1:6443,https://127.0.0.2:6443 --server https://127.0.0.3:6443", false);
  EXPECT_EQ(flags.server, "https://127.0.0.1:6443,https://127.0.0.2:6443,https://127.0.0.3:6443");
  flags.token = "t";
  auto config = AgentRestConfig(flags);
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_TRUE(client::RestClient::New(*config).ok());
}

TEST(AgentFlagsTest, IngressPorts) {
  CLI::App app;
  AgentFlags flags;
  AddAgentFlags(&app, &flags);
  app.parse("--ingress-http-port 8080 --ingress-https-port 0", false);
  AgentOptions options;
  ApplyNodeServiceFlags(flags, &options);
  EXPECT_EQ(options.ingress_http_port, 8080);
  EXPECT_EQ(options.ingress_https_port, 0);
  EXPECT_EQ(AgentOptions{}.ingress_http_port, 80);
  EXPECT_EQ(AgentOptions{}.ingress_https_port, 443);
  CLI::App bad;
  AgentFlags ignored;
  AddAgentFlags(&bad, &ignored);
  EXPECT_THROW(bad.parse("--ingress-http-port 70000", false), CLI::ValidationError);
}

TEST(AgentRestConfig, ReadsTheTokenFileAndTrimsIt) {
  std::string path = std::filesystem::temp_directory_path() / ("skiff-token-" + std::to_string(getpid()));
  std::ofstream(path) << "  node-token-123\n";
  AgentFlags flags;
  flags.server = "https://127.0.0.1:6443";
  flags.token_file = path;
  flags.insecure_skip_tls_verify = true;
  auto config = AgentRestConfig(flags);
  std::filesystem::remove(path);
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_EQ(config->token, "node-token-123");
  EXPECT_TRUE(config->insecure_skip_tls_verify);
  flags.token_file = "/nonexistent/token";
  EXPECT_TRUE(absl::IsNotFound(AgentRestConfig(flags).status()));
}

// GCC 12 at -O3 reports a false maybe-uninitialized inside libstdc++'s small-string assignment here.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
TEST(AgentOptionsFromFlags, CopiesFlags) {
  AgentFlags flags;
  flags.data_dir = "/tmp/x";
  flags.node_name = "n1";
  flags.node_ip = "192.0.2.1";
  flags.container_runtime_endpoint = "unix:///run/containerd/containerd.sock";
  flags.pause_image = "/tmp/pause.tar";
  flags.kubelet_port = 10251;
  flags.service_cidr = "10.96.0.0/12";
  AgentOptions o = AgentOptionsFromFlags(flags);
  EXPECT_EQ(o.data_dir, "/tmp/x");
  EXPECT_EQ(o.node_name, "n1");
  EXPECT_EQ(o.node_ip, "192.0.2.1");
  EXPECT_EQ(o.container_runtime_endpoint, "unix:///run/containerd/containerd.sock");
  EXPECT_EQ(o.pause_image_archive, "/tmp/pause.tar");
  EXPECT_EQ(o.kubelet_port, 10251);
  EXPECT_EQ(o.service_cidr, "10.96.0.0/12");
  EXPECT_EQ(AgentOptionsFromFlags(AgentFlags{}).service_cidr, "10.43.0.0/16");  // the server's default
}
#pragma GCC diagnostic pop

TEST(RunAgentReset, RefusesTheRootDirectory) {
  EXPECT_EQ(RunAgentReset({.data_dir = "/"}), 1);
  EXPECT_EQ(RunAgentReset({.data_dir = ""}), 1);
}

}  // namespace
}  // namespace skiff::agent::kubelet
