#include "agent/kubelet/agent.h"

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <thread>

#include "agent/containerd/reset.h"
#include "agent/node/node_status_reporter.h"
#include "base/json.h"
#include "base/testing/host.h"
#include "base/testing/wait_for.h"
#include "boost/json.hpp"
#include "client/testing/test_api_server.h"
#include "gtest/gtest.h"

namespace skiff::agent::kubelet {
namespace {

using base::testing::WaitFor;

namespace json = boost::json;
namespace v1 = cri::v1;

// A Runtime answering Version, Status and ListImages from fields; everything else Unimplemented.
class FakeRuntime : public cri::Runtime {
 public:
#define SKIFF_UNIMPLEMENTED(Rpc, Response, Request)                               \
  absl::StatusOr<v1::Response> Rpc(const v1::Request&, absl::Duration) override { \
    return absl::UnimplementedError(#Rpc);                                        \
  }
  SKIFF_UNIMPLEMENTED(UpdateRuntimeConfig, UpdateRuntimeConfigResponse, UpdateRuntimeConfigRequest)
  SKIFF_UNIMPLEMENTED(RunPodSandbox, RunPodSandboxResponse, RunPodSandboxRequest)
  SKIFF_UNIMPLEMENTED(StopPodSandbox, StopPodSandboxResponse, StopPodSandboxRequest)
  SKIFF_UNIMPLEMENTED(RemovePodSandbox, RemovePodSandboxResponse, RemovePodSandboxRequest)
  SKIFF_UNIMPLEMENTED(PodSandboxStatus, PodSandboxStatusResponse, PodSandboxStatusRequest)
  SKIFF_UNIMPLEMENTED(ListPodSandbox, ListPodSandboxResponse, ListPodSandboxRequest)
  SKIFF_UNIMPLEMENTED(CreateContainer, CreateContainerResponse, CreateContainerRequest)
  SKIFF_UNIMPLEMENTED(StartContainer, StartContainerResponse, StartContainerRequest)
  SKIFF_UNIMPLEMENTED(StopContainer, StopContainerResponse, StopContainerRequest)
  SKIFF_UNIMPLEMENTED(RemoveContainer, RemoveContainerResponse, RemoveContainerRequest)
  SKIFF_UNIMPLEMENTED(ListContainers, ListContainersResponse, ListContainersRequest)
  SKIFF_UNIMPLEMENTED(ContainerStatus, ContainerStatusResponse, ContainerStatusRequest)
  SKIFF_UNIMPLEMENTED(UpdateContainerResources, UpdateContainerResourcesResponse,
                      UpdateContainerResourcesRequest)
  SKIFF_UNIMPLEMENTED(ReopenContainerLog, ReopenContainerLogResponse, ReopenContainerLogRequest)
  SKIFF_UNIMPLEMENTED(ExecSync, ExecSyncResponse, ExecSyncRequest)
  SKIFF_UNIMPLEMENTED(Exec, ExecResponse, ExecRequest)
  SKIFF_UNIMPLEMENTED(Attach, AttachResponse, AttachRequest)
  SKIFF_UNIMPLEMENTED(PortForward, PortForwardResponse, PortForwardRequest)
  SKIFF_UNIMPLEMENTED(ContainerStats, ContainerStatsResponse, ContainerStatsRequest)
  SKIFF_UNIMPLEMENTED(ListContainerStats, ListContainerStatsResponse, ListContainerStatsRequest)
  SKIFF_UNIMPLEMENTED(PodSandboxStats, PodSandboxStatsResponse, PodSandboxStatsRequest)
  SKIFF_UNIMPLEMENTED(ListPodSandboxStats, ListPodSandboxStatsResponse, ListPodSandboxStatsRequest)
  SKIFF_UNIMPLEMENTED(ImageStatus, ImageStatusResponse, ImageStatusRequest)
  SKIFF_UNIMPLEMENTED(PullImage, PullImageResponse, PullImageRequest)
  SKIFF_UNIMPLEMENTED(RemoveImage, RemoveImageResponse, RemoveImageRequest)
  SKIFF_UNIMPLEMENTED(ImageFsInfo, ImageFsInfoResponse, ImageFsInfoRequest)
#undef SKIFF_UNIMPLEMENTED

  absl::StatusOr<v1::VersionResponse> Version(const v1::VersionRequest&, absl::Duration) override {
    if (!up) return absl::UnavailableError("connection refused");
    v1::VersionResponse r;
    r.set_runtime_name("containerd");
    r.set_runtime_version("1.6.20");
    return r;
  }
  absl::StatusOr<v1::StatusResponse> Status(const v1::StatusRequest&, absl::Duration) override {
    v1::StatusResponse r;
    auto* runtime = r.mutable_status()->add_conditions();
    runtime->set_type("RuntimeReady");
    runtime->set_status(true);
    auto* network = r.mutable_status()->add_conditions();
    network->set_type("NetworkReady");
    network->set_status(network_ready);
    if (!network_ready) {
      network->set_reason("NetworkPluginNotReady");
      network->set_message("Network plugin returns error: cni plugin not initialized");
    }
    return r;
  }
  absl::StatusOr<v1::ListImagesResponse> ListImages(const v1::ListImagesRequest&, absl::Duration) override {
    v1::ListImagesResponse r;
    auto* image = r.add_images();
    image->add_repo_tags("skiff.local/pause:3.10");
    image->add_repo_digests("skiff.local/pause@sha256:0123");
    image->set_size(123456);
    return r;
  }

  bool up = true;
  bool network_ready = true;
};

TEST(QueryRuntimeState, VersionReadinessAndImages) {
  FakeRuntime runtime;
  node::RuntimeState s = QueryRuntimeState(&runtime);
  EXPECT_EQ(s.error, "");
  EXPECT_EQ(s.version, "containerd://1.6.20");
  EXPECT_TRUE(s.runtime_ready);
  EXPECT_TRUE(s.network_ready);
  ASSERT_EQ(s.images.size(), 1u);
  EXPECT_EQ(s.images[0].repo_tags, std::vector<std::string>{"skiff.local/pause:3.10"});
  EXPECT_EQ(s.images[0].repo_digests, std::vector<std::string>{"skiff.local/pause@sha256:0123"});
  EXPECT_EQ(s.images[0].size_bytes, 123456);

  runtime.network_ready = false;
  s = QueryRuntimeState(&runtime);
  EXPECT_FALSE(s.network_ready);
  EXPECT_EQ(s.network_reason, "NetworkPluginNotReady");

  runtime.up = false;
  s = QueryRuntimeState(&runtime);
  EXPECT_EQ(s.error, "connection refused");
  EXPECT_EQ(s.version, "");
}

// ---- With a real containerd (skipped when it or root privileges are missing). ----

std::string ConditionStatus(const json::value& node, const std::string& type) {
  const json::value* conditions = base::FindPath(node, {"status", "conditions"});
  if (conditions == nullptr || !conditions->is_array()) return "";
  for (const auto& c : conditions->get_array()) {
    if (base::GetString(c, {"type"}) == type) return base::GetString(c, {"status"});
  }
  return "";
}

class AgentIntegrationTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string missing = base::testing::MissingContainerHost();
    ASSERT_TRUE(missing.empty()) << missing;
    dir_ = "/tmp/skiff-agent-test-" + std::to_string(getpid());
    std::filesystem::remove_all(dir_);
    json::value ns = json::object{{"metadata", json::object{{"name", "kube-node-lease"}}}};
    ASSERT_TRUE(server_.client()->Create(client::Resource("", "v1", "namespaces"), "", ns).ok());
  }
  void TearDown() override {
    agent_.reset();
    if (!dir_.empty()) {
      absl::Status s = containerd::ResetAgentDir(dir_);
      EXPECT_TRUE(s.ok()) << s;
    }
  }

  client::Object Node() {
    auto node = server_.client()->Get(client::Resource("", "v1", "nodes"), "", "skiff-test-node");
    return node.ok() ? *node : nullptr;
  }

  std::string dir_;
  client::testing::TestApiServer server_;
  std::unique_ptr<Agent> agent_;
};

TEST_F(AgentIntegrationTest, RegistersTheNodeAndBecomesReadyOncePodCidrArrives) {
  AgentOptions options;
  options.data_dir = dir_;
  options.node_name = "skiff-test-node";
  options.node_ip = "127.0.0.1";
  options.pause_image_archive = SKIFF_PAUSE_IMAGE_TAR;
  options.lease_renew_interval = absl::Milliseconds(200);
  options.start_pod_manager = false;
  options.enable_ip_forwarding = false;  // a unit test does not change host settings
  options.enable_service_proxy = false;
  options.enable_cluster_dns = false;
  options.ingress_http_port = 0;  // ports 80/443 of the machine: the e2e tests cover the ingress
  options.ingress_https_port = 0;
  agent_ = std::make_unique<Agent>(server_.client(), options);
  absl::Status started = agent_->Start();
  ASSERT_TRUE(started.ok()) << started;

  client::Object node = Node();
  ASSERT_NE(node, nullptr);
  EXPECT_EQ(
      base::GetString(*node, {"status", "nodeInfo", "containerRuntimeVersion"}).rfind("containerd://", 0),
      0u);
  EXPECT_EQ(
      base::ToJson(node->at("status").at("addresses")),
      R"([{"type":"InternalIP","address":"127.0.0.1"},{"type":"Hostname","address":"skiff-test-node"}])");
  const std::string images = base::ToJson(node->at("status").at("images"));
  EXPECT_NE(images.find("skiff.local/pause:3.10"), std::string::npos) << images;
  // No podCIDR yet: containerd has no CNI config, so the node is not Ready.
  EXPECT_EQ(ConditionStatus(*node, "Ready"), "False");

  // The lease is renewed.
  const auto& leases = client::Resource("coordination.k8s.io", "v1", "leases");
  std::string first_renew;
  ASSERT_TRUE(WaitFor(
      [&] {
        auto lease = server_.client()->Get(leases, "kube-node-lease", "skiff-test-node");
        if (!lease.ok()) return false;
        std::string renew = base::GetString(**lease, {"spec", "renewTime"});
        if (first_renew.empty()) first_renew = renew;
        return renew != first_renew;
      },
      absl::Seconds(10)));

  // The node lifecycle controller's part: a podCIDR. The agent writes the CNI config, containerd
  // picks it up and the node turns Ready.
  json::value patch = json::object{{"spec", json::object{{"podCIDR", "10.244.77.0/24"}}}};
  ASSERT_TRUE(server_.client()
                  ->Patch(client::Resource("", "v1", "nodes"), "", "skiff-test-node",
                          client::PatchType::kMerge, patch)
                  .ok());
  ASSERT_TRUE(WaitFor([&] { return std::filesystem::exists(dir_ + "/cni/net.d/10-skiff.conflist"); },
                      absl::Seconds(10)));
  EXPECT_TRUE(WaitFor([&] { return ConditionStatus(*Node(), "Ready") == "True"; }, absl::Seconds(20)))
      << base::ToJson(Node()->at("status").at("conditions"));

  agent_->Stop();
}

TEST_F(AgentIntegrationTest, RunsAPodBoundToTheNode) {
  AgentOptions options;
  options.data_dir = dir_;
  options.node_name = "skiff-test-node";
  options.node_ip = "127.0.0.1";
  options.pause_image_archive = SKIFF_PAUSE_IMAGE_TAR;
  options.enable_ip_forwarding = false;
  options.enable_service_proxy = false;  // host-wide rules and addresses: the e2e tests cover them
  options.enable_cluster_dns = false;
  options.ingress_http_port = 0;  // ports 80/443 of the machine: the e2e tests cover the ingress
  options.ingress_https_port = 0;
  agent_ = std::make_unique<Agent>(server_.client(), options);
  absl::Status started = agent_->Start();
  ASSERT_TRUE(started.ok()) << started;
  json::value patch = json::object{{"spec", json::object{{"podCIDR", "10.244.78.0/24"}}}};
  ASSERT_TRUE(server_.client()
                  ->Patch(client::Resource("", "v1", "nodes"), "", "skiff-test-node",
                          client::PatchType::kMerge, patch)
                  .ok());
  // The pause program doubles as a long-running container image.
  const auto& pods = client::Resource("", "v1", "pods");
  json::value pod = json::object{
      {"apiVersion", "v1"},
      {"kind", "Pod"},
      {"metadata", json::object{{"name", "p1"}, {"namespace", "default"}}},
      {"spec", json::object{{"nodeName", "skiff-test-node"},
                            {"terminationGracePeriodSeconds", 1},
                            {"containers", json::array{json::object{{"name", "c"},
                                                                    {"image", "skiff.local/pause:3.10"},
                                                                    {"imagePullPolicy", "Never"}}}}}}};
  ASSERT_TRUE(server_.client()->Create(pods, "default", pod).ok());
  client::Object current;
  EXPECT_TRUE(WaitFor(
      [&] {
        auto got = server_.client()->Get(pods, "default", "p1");
        if (got.ok()) current = *got;
        return current && base::GetString(*current, {"status", "phase"}) == "Running";
      },
      absl::Seconds(30)))
      << (current ? base::ToJson(*current) : "no pod");
  if (current) {
    EXPECT_EQ(base::GetString(*current, {"status", "podIP"}).rfind("10.244.78.", 0), 0u)
        << base::ToJson(*current);
    EXPECT_EQ(base::GetString(*current, {"status", "hostIP"}), "127.0.0.1");
  }
  // Deleting the pod ends with the agent's final delete of the object.
  ASSERT_TRUE(server_.client()->Delete(pods, "default", "p1").ok());
  EXPECT_TRUE(WaitFor([&] { return absl::IsNotFound(server_.client()->Get(pods, "default", "p1").status()); },
                      absl::Seconds(30)));
  agent_->Stop();
}

}  // namespace
}  // namespace skiff::agent::kubelet
