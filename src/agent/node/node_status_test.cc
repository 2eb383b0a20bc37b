#include "agent/node/node_status.h"

#include "base/clock.h"
#include "base/json.h"
#include "boost/json.hpp"
#include "gtest/gtest.h"

namespace skiff::agent::node {
namespace {

namespace json = boost::json;

constexpr int64_t kGi = int64_t{1} << 30;
constexpr int64_t kMi = int64_t{1} << 20;

NodeConfig Config() {
  return NodeConfig{.node_name = "node-a", .hostname = "", .node_ip = "192.0.2.10", .kubelet_port = 10250};
}

HostFacts Facts() {
  return HostFacts{.cpu_millis = 4000,
                   .memory_bytes = int64_t{16318412} * 1024,
                   .machine_id = "mid",
                   .system_uuid = "uuid",
                   .boot_id = "boot",
                   .kernel_version = "6.1.0",
                   .os_image = "Debian GNU/Linux 12 (bookworm)",
                   .hostname = "node-a"};
}

HostUsage Healthy() {
  HostUsage u;
  u.memory_available_bytes = 8 * kGi;
  u.nodefs = {.capacity_bytes = 100 * kGi, .available_bytes = 50 * kGi, .inodes = 1000, .inodes_free = 900};
  u.imagefs = u.nodefs;
  u.pid_max = 32768;
  u.processes = 400;
  return u;
}

RuntimeState ReadyRuntime() {
  RuntimeState r;
  r.version = "containerd://1.6.20";
  r.runtime_ready = true;
  r.network_ready = true;
  return r;
}

absl::Time T(int seconds) { return absl::FromUnixSeconds(1700000000 + seconds); }

std::string Str(const json::value& v) { return v.is_string() ? std::string(v.as_string()) : ""; }

const json::value& Condition(const json::value& status, const std::string& type) {
  for (const auto& c : status.at("conditions").as_array()) {
    if (c.at("type").as_string() == type) return c;
  }
  static const json::value kNone;
  return kNone;
}

TEST(NewNodeObject, HasDefaultLabelsAnnotationAndNotReadyTaint) {
  json::value node = NewNodeObject(Config());
  EXPECT_EQ(base::GetString(node, {"metadata", "name"}), "node-a");
  const json::object& labels = node.at("metadata").at("labels").as_object();
  EXPECT_EQ(labels.at("kubernetes.io/hostname"), "node-a");
  EXPECT_EQ(labels.at("kubernetes.io/os"), "linux");
  EXPECT_EQ(labels.at("kubernetes.io/arch"), "amd64");
  EXPECT_EQ(labels.at("beta.kubernetes.io/os"), "linux");
  EXPECT_EQ(labels.at("beta.kubernetes.io/arch"), "amd64");
  EXPECT_EQ(labels.size(), 5u);
  EXPECT_EQ(base::GetString(
                node, {"metadata", "annotations", "volumes.kubernetes.io/controller-managed-attach-detach"}),
            "true");
  EXPECT_EQ(base::ToJson(node.at("spec").at("taints")),
            R"([{"key":"node.kubernetes.io/not-ready","effect":"NoSchedule"}])");
  EXPECT_EQ(base::Find(node, "status"), nullptr);
}

TEST(NodeResources, CapacityAndAllocatableMinusEvictionThresholds) {
  HostUsage u = Healthy();
  json::object cap = NodeCapacity(Config(), Facts(), u);
  EXPECT_EQ(cap.at("cpu"), "4");
  EXPECT_EQ(cap.at("memory"), "16318412Ki");
  EXPECT_EQ(cap.at("ephemeral-storage"), "100Gi");
  EXPECT_EQ(cap.at("pods"), "110");
  EXPECT_EQ(cap.at("hugepages-1Gi"), "0");
  EXPECT_EQ(cap.at("hugepages-2Mi"), "0");
  json::object alloc = NodeAllocatable(Config(), Facts(), u);
  EXPECT_EQ(alloc.at("cpu"), "4");
  EXPECT_EQ(alloc.at("memory"), "16216012Ki");       // 100Mi = 102400Ki less
  EXPECT_EQ(alloc.at("ephemeral-storage"), "90Gi");  // 100Gi less 10%
  EXPECT_EQ(alloc.at("pods"), "110");
}

TEST(NodeResources, FractionalCpuAndOddDiskSizes) {
  HostFacts f = Facts();
  f.cpu_millis = 1500;
  HostUsage u = Healthy();
  u.nodefs.capacity_bytes = 1000001;
  json::object cap = NodeCapacity(Config(), f, u);
  EXPECT_EQ(cap.at("cpu"), "1500m");
  EXPECT_EQ(cap.at("ephemeral-storage"), "1000001");
  EXPECT_EQ(NodeAllocatable(Config(), f, u).at("ephemeral-storage"), "900001");
}

TEST(NodeConditions, HealthyNodeIsReadyWithKubeletReasons) {
  json::array c = NodeConditions(Healthy(), ReadyRuntime(), nullptr, T(0));
  ASSERT_EQ(c.size(), 4u);
  const std::string now = base::FormatRfc3339(T(0));
  const char* expected[][3] = {{"MemoryPressure", "False", "KubeletHasSufficientMemory"},
                               {"DiskPressure", "False", "KubeletHasNoDiskPressure"},
                               {"PIDPressure", "False", "KubeletHasSufficientPID"},
                               {"Ready", "True", "KubeletReady"}};
  for (size_t i = 0; i < 4; ++i) {
    EXPECT_EQ(c[i].at("type"), expected[i][0]);
    EXPECT_EQ(c[i].at("status"), expected[i][1]);
    EXPECT_EQ(c[i].at("reason"), expected[i][2]);
    EXPECT_EQ(Str(c[i].at("lastHeartbeatTime")), now);
    EXPECT_EQ(Str(c[i].at("lastTransitionTime")), now);
  }
  EXPECT_EQ(c[3].at("message"), "kubelet is posting ready status");
  EXPECT_EQ(c[0].at("message"), "kubelet has sufficient memory available");
}

TEST(NodeConditions, TransitionTimeMovesOnlyWhenTheStatusChanges) {
  json::value first = json::array(NodeConditions(Healthy(), ReadyRuntime(), nullptr, T(0)));
  json::value second = json::array(NodeConditions(Healthy(), ReadyRuntime(), &first, T(10)));
  for (const auto& c : second.as_array()) {
    EXPECT_EQ(Str(c.at("lastHeartbeatTime")), base::FormatRfc3339(T(10)));
    EXPECT_EQ(Str(c.at("lastTransitionTime")), base::FormatRfc3339(T(0)));
  }
  RuntimeState broken = ReadyRuntime();
  broken.network_ready = false;
  broken.network_reason = "NetworkPluginNotReady";
  broken.network_message = "Network plugin returns error: cni plugin not initialized";
  json::value third = json::array(NodeConditions(Healthy(), broken, &second, T(20)));
  const json::value& ready = third.as_array()[3];
  EXPECT_EQ(ready.at("status"), "False");
  EXPECT_EQ(ready.at("reason"), "KubeletNotReady");
  EXPECT_EQ(ready.at("message"),
            "container runtime network not ready: NetworkReady=false reason:NetworkPluginNotReady "
            "message:Network plugin returns error: cni plugin not initialized");
  EXPECT_EQ(Str(ready.at("lastTransitionTime")), base::FormatRfc3339(T(20)));
  EXPECT_EQ(Str(third.as_array()[0].at("lastTransitionTime")), base::FormatRfc3339(T(0)));
  json::value fourth = json::array(NodeConditions(Healthy(), ReadyRuntime(), &third, T(30)));
  EXPECT_EQ(fourth.as_array()[3].at("status"), "True");
  EXPECT_EQ(Str(fourth.as_array()[3].at("lastTransitionTime")), base::FormatRfc3339(T(30)));
}

TEST(NodeConditions, RuntimeDownAndBothNotReady) {
  RuntimeState down;
  down.error = "connection refused";
  json::array c = NodeConditions(Healthy(), down, nullptr, T(0));
  EXPECT_EQ(c[3].at("status"), "False");
  EXPECT_EQ(c[3].at("message"), "container runtime is down: connection refused");
  RuntimeState both;
  both.runtime_reason = "R";
  both.runtime_message = "m1";
  both.network_reason = "N";
  both.network_message = "m2";
  c = NodeConditions(Healthy(), both, nullptr, T(0));
  EXPECT_EQ(
      c[3].at("message"),
      "[container runtime not ready: RuntimeReady=false reason:R message:m1, container runtime network not "
      "ready: NetworkReady=false reason:N message:m2]");
}

TEST(NodeConditions, PressureThresholds) {
  HostUsage u = Healthy();
  u.memory_available_bytes = 99 * kMi;
  u.nodefs.available_bytes = 9 * kGi;  // < 10% of 100Gi
  u.processes = u.pid_max - 100;
  json::array c = NodeConditions(u, ReadyRuntime(), nullptr, T(0));
  EXPECT_EQ(c[0].at("status"), "True");
  EXPECT_EQ(c[0].at("reason"), "KubeletHasInsufficientMemory");
  EXPECT_EQ(c[1].at("status"), "True");
  EXPECT_EQ(c[1].at("reason"), "KubeletHasDiskPressure");
  EXPECT_EQ(c[2].at("status"), "True");
  EXPECT_EQ(c[2].at("reason"), "KubeletHasInsufficientPID");
  EXPECT_EQ(c[3].at("status"), "True");  // pressure does not make the node NotReady

  u = Healthy();
  u.memory_available_bytes = 100 * kMi;  // exactly at the threshold: no pressure
  u.imagefs.available_bytes = 14 * kGi;  // < 15% of the image filesystem
  c = NodeConditions(u, ReadyRuntime(), nullptr, T(0));
  EXPECT_EQ(c[0].at("status"), "False");
  EXPECT_EQ(c[1].at("status"), "True");

  u = Healthy();
  u.nodefs.inodes_free = 40;  // < 5% inodes free
  EXPECT_EQ(NodeConditions(u, ReadyRuntime(), nullptr, T(0))[1].at("status"), "True");
}

TEST(BuildNodeStatus, AddressesNodeInfoEndpointAndImages) {
  RuntimeState r = ReadyRuntime();
  r.images.push_back({.repo_tags = {"skiff.local/pause:3.10"}, .repo_digests = {}, .size_bytes = 500});
  r.images.push_back({.repo_tags = {"skiff.local/busybox:1.35"},
                      .repo_digests = {"skiff.local/busybox@sha256:abc"},
                      .size_bytes = 1000000});
  r.images.push_back({.repo_tags = {}, .repo_digests = {}, .size_bytes = 5});
  json::value s = BuildNodeStatus(Config(), Facts(), Healthy(), r, nullptr, T(0));
  EXPECT_EQ(base::ToJson(s.at("addresses")),
            R"([{"type":"InternalIP","address":"192.0.2.10"},{"type":"Hostname","address":"node-a"}])");
  EXPECT_EQ(base::ToJson(s.at("daemonEndpoints")), R"({"kubeletEndpoint":{"Port":10250}})");
  const json::object& info = s.at("nodeInfo").as_object();
  EXPECT_EQ(info.at("machineID"), "mid");
  EXPECT_EQ(info.at("systemUUID"), "uuid");
  EXPECT_EQ(info.at("bootID"), "boot");
  EXPECT_EQ(info.at("kernelVersion"), "6.1.0");
  EXPECT_EQ(info.at("osImage"), "Debian GNU/Linux 12 (bookworm)");
  EXPECT_EQ(info.at("containerRuntimeVersion"), "containerd://1.6.20");
  EXPECT_EQ(info.at("kubeletVersion"), kKubeletVersion);
  EXPECT_EQ(info.at("kubeProxyVersion"), kKubeletVersion);
  EXPECT_EQ(info.at("operatingSystem"), "linux");
  EXPECT_EQ(info.at("architecture"), "amd64");
  EXPECT_EQ(info.size(), 10u);
  EXPECT_EQ(base::ToJson(s.at("images")),
            R"([{"names":["skiff.local/busybox@sha256:abc","skiff.local/busybox:1.35"],"sizeBytes":1000000},)"
            R"({"names":["skiff.local/pause:3.10"],"sizeBytes":500}])");
  EXPECT_EQ(Condition(s, "Ready").at("status"), "True");
}

TEST(BuildNodeStatus, ImagesCappedAtFiftyLargestAndFiveNames) {
  RuntimeState r = ReadyRuntime();
  for (int i = 0; i < 60; ++i) {
    NodeImage image{.repo_tags = {"img" + std::to_string(i)}, .repo_digests = {}, .size_bytes = i};
    if (i == 59) image.repo_tags = {"a", "b", "c", "d", "e", "f", "g"};
    r.images.push_back(image);
  }
  json::value s = BuildNodeStatus(Config(), Facts(), Healthy(), r, nullptr, T(0));
  const json::array& images = s.at("images").as_array();
  ASSERT_EQ(images.size(), 50u);
  EXPECT_EQ(images[0].at("sizeBytes"), 59);
  EXPECT_EQ(images[0].at("names").as_array().size(), 5u);
  EXPECT_EQ(images[49].at("sizeBytes"), 10);
}

TEST(NodeStatusChanged, IgnoresHeartbeatsAndFieldsOnlyTheServerHas) {
  json::value a = BuildNodeStatus(Config(), Facts(), Healthy(), ReadyRuntime(), nullptr, T(0));
  json::value b = BuildNodeStatus(Config(), Facts(), Healthy(), ReadyRuntime(), &a, T(10));
  EXPECT_FALSE(NodeStatusChanged(a, b));
  json::value server = a;
  server.as_object()["volumesInUse"] = json::array{"x"};
  server.as_object().erase("images");  // empty lists are dropped by the server
  EXPECT_FALSE(NodeStatusChanged(server, b));

  HostUsage pressure = Healthy();
  pressure.memory_available_bytes = 1;
  json::value c = BuildNodeStatus(Config(), Facts(), pressure, ReadyRuntime(), &a, T(10));
  EXPECT_TRUE(NodeStatusChanged(a, c));
  RuntimeState newer = ReadyRuntime();
  newer.images.push_back({.repo_tags = {"x"}, .repo_digests = {}, .size_bytes = 1});
  EXPECT_TRUE(NodeStatusChanged(a, BuildNodeStatus(Config(), Facts(), Healthy(), newer, &a, T(10))));
  NodeConfig other_ip = Config();
  other_ip.node_ip = "192.0.2.11";
  EXPECT_TRUE(NodeStatusChanged(a, BuildNodeStatus(other_ip, Facts(), Healthy(), ReadyRuntime(), &a, T(10))));
  EXPECT_TRUE(NodeStatusChanged(json::object(), b));
}

}  // namespace
}  // namespace skiff::agent::node
