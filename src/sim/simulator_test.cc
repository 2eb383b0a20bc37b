// The simulator against the real object semantics of the API server (in process, no HTTP).
#include "sim/simulator.h"

#include <chrono>
#include <functional>
#include <thread>

#include "base/json.h"
#include "base/testing/wait_for.h"
#include "boost/json.hpp"
#include "client/testing/test_api_server.h"
#include "gtest/gtest.h"

namespace skiff::sim {
namespace {

using base::testing::WaitFor;

namespace json = boost::json;

const api::ResourceInfo& R(const char* group, const char* plural) {
  return *api::FindResource(group, "v1", plural);
}

class SimulatorTest : public ::testing::Test {
 protected:
  SimulatorTest() {
    options_.nodes = 3;
    options_.ready_delay = absl::Milliseconds(50);
    options_.lease_interval = absl::Milliseconds(200);
    options_.workers = 4;
  }

  client::Client* client() { return server_.client(); }

  client::Object Get(const char* plural, const std::string& ns, const std::string& name) {
    const char* group = std::string(plural) == "leases" ? "coordination.k8s.io" : "";
    auto got = client()->Get(R(group, plural), ns, name);
    return got.ok() ? *got : nullptr;
  }

  void CreatePod(const std::string& name, const std::string& node, const std::string& annotations = "{}") {
    auto made = client()->Create(
        R("", "pods"), "default",
        json::parse(std::string(R"({"apiVersion":"v1","kind":"Pod","metadata":{"name":")") + name +
                    R"(","annotations":)" + annotations + R"(},"spec":{"nodeName":")" + node +
                    R"(","containers":[{"name":"c","image":"nginx"}]}})"));
    ASSERT_TRUE(made.ok()) << made.status();
  }

  std::string PodField(const std::string& name, std::initializer_list<std::string_view> path) {
    auto pod = Get("pods", "default", name);
    return pod ? base::GetString(*pod, path) : "";
  }

  client::testing::TestApiServer server_;
  SimOptions options_;
};

TEST_F(SimulatorTest, RegistersNodesAndRenewsLeases) {
  Simulator sim(client(), options_);
  ASSERT_TRUE(sim.Start().ok());
  for (int i = 0; i < 3; ++i) {
    auto node = Get("nodes", "", "sim-" + std::to_string(i));
    ASSERT_NE(node, nullptr) << i;
    EXPECT_EQ(base::GetString(*node, {"metadata", "labels", "kubernetes.io/hostname"}),
              "sim-" + std::to_string(i));
    EXPECT_FALSE(NodeStatusNeedsUpdate(options_, *node));
    // Every node advertises its loopback address and the one kubelet endpoint of the sim.
    EXPECT_EQ(base::GetString(node->at("status").at("addresses").at(0), {"address"}), NodeAddress(i));
    EXPECT_GT(sim.kubelet_port(), 0);
    EXPECT_EQ(base::GetInt(*node, {"status", "daemonEndpoints", "kubeletEndpoint", "Port"}),
              sim.kubelet_port());
    auto lease = Get("leases", "kube-node-lease", "sim-" + std::to_string(i));
    ASSERT_NE(lease, nullptr);
    EXPECT_EQ(base::GetString(lease->at("metadata").at("ownerReferences").at(0), {"uid"}),
              base::GetString(*node, {"metadata", "uid"}));
  }
  std::string first = base::GetString(*Get("leases", "kube-node-lease", "sim-1"), {"spec", "renewTime"});
  EXPECT_TRUE(WaitFor([&] {
    return base::GetString(*Get("leases", "kube-node-lease", "sim-1"), {"spec", "renewTime"}) != first;
  }));
  EXPECT_GE(sim.stats().nodes_registered, 3);
}

TEST_F(SimulatorTest, RunsPodsWithIpsFromThePodCidrAndFinalisesDeletion) {
  Simulator sim(client(), options_);
  ASSERT_TRUE(sim.Start().ok());
  CreatePod("on-fallback", "sim-1");
  ASSERT_TRUE(WaitFor([&] { return PodField("on-fallback", {"status", "phase"}) == "Running"; }));
  EXPECT_EQ(PodField("on-fallback", {"status", "podIP"}).rfind("10.244.1.", 0), 0u);
  EXPECT_EQ(PodField("on-fallback", {"status", "hostIP"}), "127.64.0.2");
  // The sim records a pod as started once its status write returns, which may be after we see it.
  std::optional<SimPod> found;
  EXPECT_TRUE(WaitFor([&] {
    found = sim.FindPod("default", "on-fallback");
    return found.has_value() && found->started;
  }));
  ASSERT_TRUE(found.has_value());
  EXPECT_EQ(found->node, 1);
  EXPECT_EQ(found->node_name, "sim-1");
  EXPECT_FALSE(found->finished);
  EXPECT_FALSE(sim.FindPod("default", "no-such-pod").has_value());
  auto pod = Get("pods", "default", "on-fallback");
  bool ready = false;
  for (const auto& c : pod->at("status").at("conditions").as_array()) {
    if (base::GetString(c, {"type"}) == "Ready") ready = base::GetString(c, {"status"}) == "True";
  }
  EXPECT_TRUE(ready);

  // A node's spec.podCIDR wins once it is set.
  ASSERT_TRUE(client()
                  ->Patch(R("", "nodes"), "", "sim-2", client::PatchType::kMerge,
                          json::parse(R"({"spec":{"podCIDR":"10.99.7.0/24"}})"))
                  .ok());
  ASSERT_TRUE(WaitFor([&] {
    auto n = Get("nodes", "", "sim-2");
    return n && base::GetString(*n, {"spec", "podCIDR"}) == "10.99.7.0/24";
  }));
  std::this_thread::sleep_for(std::chrono::milliseconds(200));  // the node watch catches up
  CreatePod("on-cidr", "sim-2");
  ASSERT_TRUE(WaitFor([&] { return PodField("on-cidr", {"status", "phase"}) == "Running"; }));
  EXPECT_EQ(PodField("on-cidr", {"status", "podIP"}).rfind("10.99.7.", 0), 0u);

  // Pods on other nodes are not touched.
  CreatePod("elsewhere", "real-node");
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  EXPECT_EQ(PodField("elsewhere", {"status", "phase"}), "Pending");

  // Graceful deletion is finalised by the sim.
  ASSERT_TRUE(client()->Delete(R("", "pods"), "default", "on-fallback").ok());
  EXPECT_TRUE(WaitFor([&] { return Get("pods", "default", "on-fallback") == nullptr; }));
  EXPECT_TRUE(WaitFor([&] { return sim.stats().pods_deleted >= 1; }));  // counted after the delete returns
}

TEST_F(SimulatorTest, ExitAfterAnnotationFinishesPods) {
  Simulator sim(client(), options_);
  ASSERT_TRUE(sim.Start().ok());
  CreatePod("job-ok", "sim-0", R"({"sim.skiff.dev/exit-after":"200ms"})");
  CreatePod("job-bad", "sim-0", R"({"sim.skiff.dev/exit-after":"200ms","sim.skiff.dev/exit-code":"3"})");
  EXPECT_TRUE(WaitFor([&] { return PodField("job-ok", {"status", "phase"}) == "Succeeded"; }));
  EXPECT_TRUE(WaitFor([&] { return PodField("job-bad", {"status", "phase"}) == "Failed"; }));
}

TEST_F(SimulatorTest, RepairsAnUnhealthyNodeStatus) {
  Simulator sim(client(), options_);
  ASSERT_TRUE(sim.Start().ok());
  client::PatchOptions status;
  status.subresource = "status";
  ASSERT_TRUE(client()
                  ->Patch(R("", "nodes"), "", "sim-0", client::PatchType::kMerge,
                          json::parse(R"({"status":{"conditions":[{"type":"Ready","status":"Unknown",
                                  "reason":"NodeStatusUnknown"}]}})"),
                          status)
                  .ok());
  EXPECT_TRUE(WaitFor([&] {
    auto node = Get("nodes", "", "sim-0");
    return node && !NodeStatusNeedsUpdate(options_, *node);
  }));
}

TEST_F(SimulatorTest, RestartAdoptsRunningPods) {
  std::string ip;
  {
    Simulator sim(client(), options_);
    ASSERT_TRUE(sim.Start().ok());
    CreatePod("survivor", "sim-0");
    ASSERT_TRUE(WaitFor([&] { return PodField("survivor", {"status", "phase"}) == "Running"; }));
    ip = PodField("survivor", {"status", "podIP"});
  }
  Simulator again(client(), options_);
  ASSERT_TRUE(again.Start().ok());  // nodes exist already: taken over
  CreatePod("newcomer", "sim-0");
  ASSERT_TRUE(WaitFor([&] { return PodField("newcomer", {"status", "phase"}) == "Running"; }));
  EXPECT_NE(PodField("newcomer", {"status", "podIP"}), ip);  // the survivor's address stays reserved
  EXPECT_EQ(PodField("survivor", {"status", "podIP"}), ip);
  // Counted after the status patch returns; the survivor was adopted, not started again.
  ASSERT_TRUE(WaitFor([&] { return again.stats().pods_started >= 1; }));
  EXPECT_EQ(again.stats().pods_started, 1);
}

}  // namespace
}  // namespace skiff::sim
