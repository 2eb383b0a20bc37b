#include "sim/sim_objects.h"

#include <set>

#include "base/json.h"
#include "boost/json.hpp"
#include "gtest/gtest.h"

namespace skiff::sim {
namespace {

namespace json = boost::json;

const absl::Time kT0 = absl::FromUnixSeconds(1767225600);  // 2026-01-01T00:00:00Z

TEST(NodeObjectTest, LabelsCapacityInfoAndConditions) {
  SimOptions options;
  options.cpu = "8";
  options.memory = "32Gi";
  options.pods = 50;
  options.zones = 2;
  options.labels = {{"pool", "blue"}};
  NodeIdentity id = MakeNodeIdentity(options, 3, "boot-1");
  EXPECT_EQ(id.name, "sim-3");
  EXPECT_EQ(id.zone, "zone-1");
  EXPECT_EQ(id.internal_ip, "127.64.0.4");
  id.kubelet_port = 34567;
  json::value node = NodeObject(options, id, kT0 + absl::Seconds(5), kT0);
  EXPECT_EQ(base::GetString(node, {"metadata", "labels", "kubernetes.io/hostname"}), "sim-3");
  EXPECT_EQ(base::GetString(node, {"metadata", "labels", "topology.kubernetes.io/zone"}), "zone-1");
  EXPECT_EQ(base::GetString(node, {"metadata", "labels", "pool"}), "blue");
  for (const char* field : {"capacity", "allocatable"}) {
    EXPECT_EQ(base::GetString(node, {"status", field, "cpu"}), "8");
    EXPECT_EQ(base::GetString(node, {"status", field, "memory"}), "32Gi");
    EXPECT_EQ(base::GetString(node, {"status", field, "pods"}), "50");
  }
  const auto& info = node.at("status").at("nodeInfo").as_object();
  EXPECT_EQ(info.size(), 10u);
  for (const auto& [key, value] : info) EXPECT_FALSE(value.as_string().empty()) << key;
  EXPECT_EQ(base::GetString(node, {"status", "nodeInfo", "bootID"}), "boot-1");
  const auto& conditions = node.at("status").at("conditions").as_array();
  std::set<std::string> types;
  for (const auto& c : conditions) {
    types.insert(base::GetString(c, {"type"}));
    EXPECT_EQ(base::GetString(c, {"lastHeartbeatTime"}), "2026-01-01T00:00:05Z");
    EXPECT_EQ(base::GetString(c, {"lastTransitionTime"}), "2026-01-01T00:00:00Z");
    EXPECT_EQ(base::GetString(c, {"status"}), base::GetString(c, {"type"}) == "Ready" ? "True" : "False");
  }
  EXPECT_EQ(types, (std::set<std::string>{"Ready", "MemoryPressure", "DiskPressure", "PIDPressure"}));
  EXPECT_EQ(base::GetString(node.at("status").at("addresses").at(0), {"type"}), "InternalIP");
  EXPECT_EQ(base::GetString(node.at("status").at("addresses").at(0), {"address"}), "127.64.0.4");
  EXPECT_EQ(base::GetInt(node, {"status", "daemonEndpoints", "kubeletEndpoint", "Port"}), 34567);
  EXPECT_FALSE(NodeStatusNeedsUpdate(options, node));
}

// Node addresses stay on this machine: loopback, one per node, never 127.0.0.1.
TEST(NodeAddressTest, LoopbackDistinctAndReversible) {
  EXPECT_EQ(NodeAddress(0), "127.64.0.1");
  EXPECT_EQ(NodeAddress(255), "127.64.1.0");
  EXPECT_EQ(NodeAddress(99999), "127.65.134.160");
  std::set<std::string> seen;
  for (int i : {0, 1, 2, 254, 255, 256, 4999, 65535, 65536, 99999, kMaxNodes - 1}) {
    const std::string ip = NodeAddress(i);
    EXPECT_TRUE(ip.rfind("127.", 0) == 0) << ip;
    EXPECT_NE(ip, "127.0.0.1");
    EXPECT_TRUE(seen.insert(ip).second) << ip;
    EXPECT_EQ(NodeIndexOfAddress(ip), i) << ip;
    EXPECT_EQ(NodeIndexOfAddress(ip + ":10250"), i) << ip;  // an HTTP Host header
  }
  EXPECT_EQ(MakeNodeIdentity(SimOptions{}, 7, "b").internal_ip, NodeAddress(7));
  for (const char* other :
       {"127.0.0.1", "127.64.0.0", "127.128.0.0", "10.0.0.1", "sim-1", "", "127.64.0.1x"}) {
    EXPECT_EQ(NodeIndexOfAddress(other), -1) << other;
  }
}

TEST(NodeObjectTest, NeedsUpdateWhenUnhealthyOrWrong) {
  SimOptions options;
  json::value node = NodeObject(options, MakeNodeIdentity(options, 0, "b"), kT0, kT0);
  json::value unknown = node;
  for (auto& c : unknown.at("status").at("conditions").as_array()) {
    if (base::GetString(c, {"type"}) == "Ready") c.as_object()["status"] = "Unknown";
  }
  EXPECT_TRUE(NodeStatusNeedsUpdate(options, unknown));
  json::value missing = node;
  missing.at("status").as_object().erase("conditions");
  EXPECT_TRUE(NodeStatusNeedsUpdate(options, missing));
  json::value resized = node;
  resized.at("status").at("allocatable").at("cpu") = "2";
  EXPECT_TRUE(NodeStatusNeedsUpdate(options, resized));
}

TEST(LeaseTest, ObjectAndRenewal) {
  SimOptions options;
  json::value lease = LeaseObject(options, "sim-0", "uid-0", kT0 + absl::Milliseconds(1500));
  EXPECT_EQ(base::GetString(lease, {"metadata", "namespace"}), "kube-node-lease");
  EXPECT_EQ(base::GetString(lease, {"spec", "holderIdentity"}), "sim-0");
  EXPECT_EQ(base::GetInt(lease, {"spec", "leaseDurationSeconds"}), 40);
  EXPECT_EQ(base::GetString(lease, {"spec", "renewTime"}), "2026-01-01T00:00:01.500000Z");
  EXPECT_EQ(base::GetString(lease.at("metadata").at("ownerReferences").at(0), {"uid"}), "uid-0");
  EXPECT_EQ(base::FindPath(LeaseObject(options, "n", "", kT0), {"metadata", "ownerReferences"}), nullptr);
  json::value patch = LeaseRenewPatch(options, "sim-0", kT0);
  EXPECT_EQ(base::GetString(patch, {"spec", "renewTime"}), "2026-01-01T00:00:00.000000Z");
}

json::value TestPod() {
  return json::parse(R"({"metadata":{"name":"p","namespace":"default","uid":"u1",
      "annotations":{"sim.skiff.dev/exit-after":"3s","sim.skiff.dev/exit-code":"2"}},
      "spec":{"nodeName":"sim-0","containers":[{"name":"app","image":"nginx:1.27"},{"name":"log","image":"busybox"}],
              "initContainers":[{"name":"setup","image":"busybox"},{"name":"proxy","image":"envoy","restartPolicy":"Always"}]},
      "status":{"phase":"Pending","conditions":[{"type":"PodScheduled","status":"True","lastTransitionTime":"2025-12-31T23:59:59Z"}]}})");
}

TEST(PodStatusTest, RunningPatchIsComplete) {
  auto summary = SummarizePod(TestPod());
  ASSERT_TRUE(summary.ok()) << summary.status();
  EXPECT_EQ(summary->exit_after, absl::Seconds(3));
  EXPECT_EQ(summary->exit_code, 2);
  json::value patch = RunningPodStatusPatch(*summary, "u1", "127.64.0.1", "10.244.0.2", kT0);
  const json::value& st = patch.at("status");
  EXPECT_EQ(base::GetString(patch, {"metadata", "uid"}), "u1");
  EXPECT_EQ(base::GetString(st, {"phase"}), "Running");
  EXPECT_EQ(base::GetString(st, {"podIP"}), "10.244.0.2");
  EXPECT_EQ(base::GetString(st.at("podIPs").at(0), {"ip"}), "10.244.0.2");
  EXPECT_EQ(base::GetString(st, {"hostIP"}), "127.64.0.1");
  EXPECT_EQ(base::GetString(st, {"startTime"}), "2026-01-01T00:00:00Z");
  std::set<std::string> types;
  for (const auto& c : st.at("conditions").as_array()) {
    types.insert(base::GetString(c, {"type"}));
    EXPECT_EQ(base::GetString(c, {"status"}), "True");
    if (base::GetString(c, {"type"}) == "PodScheduled") {
      EXPECT_EQ(base::GetString(c, {"lastTransitionTime"}), "2025-12-31T23:59:59Z");
    }
  }
  EXPECT_EQ(types, (std::set<std::string>{"PodScheduled", "Initialized", "ContainersReady", "Ready",
                                          "PodReadyToStartContainers"}));
  const auto& containers = st.at("containerStatuses").as_array();
  ASSERT_EQ(containers.size(), 2u);
  for (const auto& c : containers) {
    for (const char* field : {"name", "image", "imageID", "containerID"}) {
      EXPECT_FALSE(base::GetString(c, {field}).empty()) << field;
    }
    EXPECT_TRUE(base::GetBool(c, {"ready"}));
    EXPECT_TRUE(base::GetBool(c, {"started"}));
    EXPECT_EQ(base::GetInt(c, {"restartCount"}, -1), 0);
    EXPECT_NE(base::FindPath(c, {"state", "running", "startedAt"}), nullptr);
    EXPECT_NE(base::FindPath(c, {"lastState"}), nullptr);
  }
  EXPECT_EQ(base::GetString(containers[0], {"imageID"}).substr(0, 13), "nginx@sha256:");
  EXPECT_EQ(base::GetString(containers[0], {"containerID"}).substr(0, 13), "containerd://");
  const auto& init = st.at("initContainerStatuses").as_array();
  ASSERT_EQ(init.size(), 2u);
  EXPECT_EQ(base::GetInt(init[0], {"state", "terminated", "exitCode"}, -1), 0);
  EXPECT_NE(base::FindPath(init[1], {"state", "running"}), nullptr);  // sidecar keeps running
}

TEST(PodStatusTest, FinishedPatch) {
  auto summary = SummarizePod(TestPod());
  ASSERT_TRUE(summary.ok());
  json::value patch = FinishedPodStatusPatch(*summary, "u1", "10.244.0.2", kT0, kT0 + absl::Seconds(3));
  EXPECT_EQ(base::GetString(patch, {"status", "phase"}), "Failed");
  const auto& c = patch.at("status").at("containerStatuses").at(0);
  EXPECT_EQ(base::GetInt(c, {"state", "terminated", "exitCode"}), 2);
  EXPECT_EQ(base::GetString(c, {"state", "terminated", "reason"}), "Error");
  EXPECT_FALSE(base::GetBool(c, {"ready"}, true));
  summary->exit_code = 0;
  EXPECT_EQ(base::GetString(FinishedPodStatusPatch(*summary, "u1", "ip", kT0, kT0), {"status", "phase"}),
            "Succeeded");
}

TEST(PodStatusTest, BadAnnotationsAreErrors) {
  json::value pod = TestPod();
  pod.at("metadata").at("annotations").at("sim.skiff.dev/exit-after") = "soon";
  EXPECT_FALSE(SummarizePod(pod).ok());
  json::value plain = json::parse(R"({"spec":{"containers":[{"name":"a","image":"b"}]}})");
  auto summary = SummarizePod(plain);
  ASSERT_TRUE(summary.ok());
  EXPECT_EQ(summary->exit_after, absl::InfiniteDuration());
}

TEST(Ipv4Test, CidrParsingAndFallback) {
  auto cidr = base::ParseIpv4Cidr("10.1.2.77/24");
  ASSERT_TRUE(cidr.ok());
  EXPECT_EQ(base::FormatIpv4(cidr->network), "10.1.2.0");
  EXPECT_EQ(cidr->prefix, 24);
  EXPECT_FALSE(base::ParseIpv4Cidr("fd00::/64").ok());
  EXPECT_FALSE(base::ParseIpv4Cidr("10.0.0.0").ok());
  EXPECT_FALSE(base::ParseIpv4Cidr("10.0.0.256/24").ok());
  EXPECT_FALSE(base::ParseIpv4Cidr("10.0.0.0/33").ok());
  EXPECT_EQ(base::FormatIpv4(FallbackPodCidr(0).network), "10.244.0.0");
  EXPECT_EQ(base::FormatIpv4(FallbackPodCidr(7).network), "10.244.7.0");
  EXPECT_EQ(base::FormatIpv4(FallbackPodCidr(256).network), "10.245.0.0");
}

TEST(PodIpPoolTest, AllocatesReleasesAndExhausts) {
  PodIpPool pool(*base::ParseIpv4Cidr("10.9.0.0/29"));  // 8 addresses: .2 - .6 usable
  std::set<std::string> got;
  for (int i = 0; i < 5; ++i) {
    auto ip = pool.Allocate();
    ASSERT_TRUE(ip.ok()) << i;
    got.insert(*ip);
  }
  EXPECT_EQ(got, (std::set<std::string>{"10.9.0.2", "10.9.0.3", "10.9.0.4", "10.9.0.5", "10.9.0.6"}));
  EXPECT_FALSE(pool.Allocate().ok());
  pool.Release("10.9.0.4");
  EXPECT_EQ(pool.used(), 4);
  auto again = pool.Allocate();
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(*again, "10.9.0.4");
  EXPECT_FALSE(pool.Reserve("10.10.0.1"));
  PodIpPool fresh(*base::ParseIpv4Cidr("10.9.0.0/24"));
  EXPECT_TRUE(fresh.Reserve("10.9.0.2"));
  EXPECT_EQ(*fresh.Allocate(), "10.9.0.3");  // a reserved address is not handed out
}

TEST(FakeHexTest, StableAndSized) {
  EXPECT_EQ(FakeHex("a", 64), FakeHex("a", 64));
  EXPECT_NE(FakeHex("a", 64), FakeHex("b", 64));
  EXPECT_EQ(FakeHex("a", 10).size(), 10u);
}

}  // namespace
}  // namespace skiff::sim
