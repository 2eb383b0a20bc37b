#include "agent/node/node_status_reporter.h"

#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <thread>

#include "base/json.h"
#include "base/testing/fake_clock.h"
#include "boost/json.hpp"
#include "client/testing/test_api_server.h"
#include "gtest/gtest.h"

namespace skiff::agent::node {
namespace {

namespace json = boost::json;

using base::testing::FakeClock;

const api::ResourceInfo& Nodes() { return client::Resource("", "v1", "nodes"); }

std::string ConditionField(const json::value& node, const std::string& type, const std::string& field) {
  const json::value* conditions = base::FindPath(node, {"status", "conditions"});
  if (conditions == nullptr) return "";
  for (const auto& c : conditions->as_array()) {
    if (base::GetString(c, {"type"}) == type) return base::GetString(c, {field});
  }
  return "";
}

class NodeStatusReporterTest : public ::testing::Test {
 protected:
  void SetUp() override {
    root_ = std::filesystem::temp_directory_path() /
            ("skiff-reporter-test-" + std::to_string(getpid()) + "-" +
             ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(root_);
    Write("/proc/meminfo", "MemTotal: 8000000 kB\nMemAvailable: 4000000 kB\n");
    Write("/sys/devices/system/cpu/online", "0-1\n");
    Write("/etc/machine-id", "machine\n");
    Write("/proc/sys/kernel/random/boot_id", "boot\n");
    Write("/proc/sys/kernel/osrelease", "6.1.0\n");
    Write("/etc/os-release", "PRETTY_NAME=\"Test OS\"\n");
    runtime_.version = "containerd://1.6.20";
    runtime_.runtime_ready = true;
    runtime_.network_ready = true;
  }
  void TearDown() override { std::filesystem::remove_all(root_); }

  void Write(const std::string& path, const std::string& content) {
    std::filesystem::path p = root_.string() + path;
    std::filesystem::create_directories(p.parent_path());
    std::ofstream(p) << content;
  }

  std::unique_ptr<NodeStatusReporter> Reporter() {
    NodeStatusReporter::Options options;
    options.node = {.node_name = "node-a", .hostname = "", .node_ip = "192.0.2.10", .kubelet_port = 10250};
    options.nodefs_path = root_.string();
    options.host_root = root_.string();
    options.clock = &clock_;
    options.update_period = absl::Milliseconds(20);
    return std::make_unique<NodeStatusReporter>(server_.client(), options, [this] {
      std::lock_guard lock(runtime_mu_);
      ++runtime_calls_;
      return runtime_;
    });
  }

  void SetRuntime(std::function<void(RuntimeState&)> change) {
    std::lock_guard lock(runtime_mu_);
    change(runtime_);
  }

  client::Object Get() { return *server_.client()->Get(Nodes(), "", "node-a"); }

  std::filesystem::path root_;
  FakeClock clock_;
  client::testing::TestApiServer server_;
  std::mutex runtime_mu_;
  RuntimeState runtime_;
  std::atomic<int> runtime_calls_{0};
};

TEST_F(NodeStatusReporterTest, RegisterCreatesTheNodeWithItsStatus) {
  auto reporter = Reporter();
  auto node = reporter->Register();
  ASSERT_TRUE(node.ok()) << node.status();
  client::Object stored = Get();
  EXPECT_EQ(base::GetString(*stored, {"metadata", "labels", "kubernetes.io/hostname"}), "node-a");
  EXPECT_EQ(base::GetString(*stored, {"status", "capacity", "cpu"}), "2");
  EXPECT_EQ(base::GetString(*stored, {"status", "capacity", "memory"}), "8000000Ki");
  EXPECT_EQ(base::GetString(*stored, {"status", "allocatable", "memory"}), "7897600Ki");
  EXPECT_EQ(base::GetString(*stored, {"status", "nodeInfo", "osImage"}), "Test OS");
  EXPECT_EQ(base::GetString(*stored, {"status", "nodeInfo", "containerRuntimeVersion"}),
            "containerd://1.6.20");
  EXPECT_EQ(base::GetInt(*stored, {"status", "daemonEndpoints", "kubeletEndpoint", "Port"}), 10250);
  EXPECT_EQ(ConditionField(*stored, "Ready", "status"), "True");
  EXPECT_EQ(base::ToJson(stored->at("spec").at("taints")),
            R"([{"key":"node.kubernetes.io/not-ready","effect":"NoSchedule"}])");
  EXPECT_EQ(reporter->status_writes(), 1);
  EXPECT_EQ(base::GetString(*reporter->node(), {"metadata", "uid"}),
            base::GetString(*stored, {"metadata", "uid"}));
}

TEST_F(NodeStatusReporterTest, AdoptsAnExistingNodeKeepingUserSpecAndLabels) {
  json::value existing = json::object{
      {"apiVersion", "v1"},
      {"kind", "Node"},
      {"metadata", json::object{{"name", "node-a"},
                                {"labels", json::object{{"team", "blue"}, {"kubernetes.io/os", "wrong"}}}}},
      {"spec", json::object{{"unschedulable", true}, {"podCIDR", "10.42.7.0/24"}}}};
  auto created = server_.client()->Create(Nodes(), "", existing);
  ASSERT_TRUE(created.ok()) << created.status();
  auto reporter = Reporter();
  auto node = reporter->Register();
  ASSERT_TRUE(node.ok()) << node.status();
  client::Object stored = Get();
  EXPECT_EQ(base::GetString(*stored, {"metadata", "uid"}), base::GetString(**created, {"metadata", "uid"}));
  EXPECT_EQ(base::GetString(*stored, {"metadata", "labels", "team"}), "blue");
  EXPECT_EQ(base::GetString(*stored, {"metadata", "labels", "kubernetes.io/os"}), "linux");
  EXPECT_EQ(base::GetString(*stored, {"metadata", "labels", "kubernetes.io/arch"}), "amd64");
  EXPECT_TRUE(base::GetBool(*stored, {"spec", "unschedulable"}));
  EXPECT_EQ(base::GetString(*stored, {"spec", "podCIDR"}), "10.42.7.0/24");
  EXPECT_EQ(base::FindPath(*stored, {"spec", "taints"}), nullptr);  // adoption adds no taint
  EXPECT_EQ(ConditionField(*stored, "Ready", "status"), "True");
}

TEST_F(NodeStatusReporterTest, WritesOnlyOnChangeOrWhenTheReportPeriodPassed) {
  auto reporter = Reporter();
  ASSERT_TRUE(reporter->Register().ok());
  const std::string first_heartbeat = ConditionField(*Get(), "Ready", "lastHeartbeatTime");
  EXPECT_TRUE(reporter->ready());
  const std::string rv = base::GetString(*Get(), {"metadata", "resourceVersion"});

  clock_.Advance(absl::Seconds(10));
  auto wrote = reporter->SyncStatus();
  ASSERT_TRUE(wrote.ok()) << wrote.status();
  EXPECT_FALSE(*wrote);
  EXPECT_EQ(base::GetString(*Get(), {"metadata", "resourceVersion"}), rv);

  // Network readiness changes: written at once, with a new transition time.
  SetRuntime([](RuntimeState& r) {
    r.network_ready = false;
    r.network_reason = "NetworkPluginNotReady";
    r.network_message = "cni plugin not initialized";
  });
  clock_.Advance(absl::Seconds(10));
  EXPECT_TRUE(*reporter->SyncStatus());
  client::Object node = Get();
  EXPECT_EQ(ConditionField(*node, "Ready", "status"), "False");
  EXPECT_EQ(ConditionField(*node, "Ready", "reason"), "KubeletNotReady");
  EXPECT_FALSE(reporter->ready());
  EXPECT_EQ(ConditionField(*node, "Ready", "lastTransitionTime"), base::FormatRfc3339(clock_.Now()));
  EXPECT_EQ(ConditionField(*node, "MemoryPressure", "lastTransitionTime"), first_heartbeat);

  // Nothing changes: quiet until five minutes after the last write (the kubelet's
  // nodeStatusReportFrequency), then a heartbeat write.
  clock_.Advance(absl::Seconds(290));
  EXPECT_FALSE(*reporter->SyncStatus());
  clock_.Advance(absl::Seconds(10));
  EXPECT_TRUE(*reporter->SyncStatus());
  node = Get();
  EXPECT_EQ(ConditionField(*node, "Ready", "lastHeartbeatTime"), base::FormatRfc3339(clock_.Now()));
  EXPECT_EQ(ConditionField(*node, "MemoryPressure", "lastTransitionTime"), first_heartbeat);
  EXPECT_EQ(reporter->status_writes(), 3);
}

TEST_F(NodeStatusReporterTest, KeepsConditionsOfOtherComponents) {
  auto reporter = Reporter();
  ASSERT_TRUE(reporter->Register().ok());
  json::value patch = json::object{
      {"status", json::object{{"conditions", json::array{json::object{{"type", "NetworkUnavailable"},
                                                                      {"status", "False"},
                                                                      {"reason", "RouteCreated"}}}}}}};
  ASSERT_TRUE(
      server_.client()
          ->Patch(Nodes(), "", "node-a", client::PatchType::kStrategicMerge, patch, {.subresource = "status"})
          .ok());
  clock_.Advance(absl::Minutes(2));
  EXPECT_TRUE(*reporter->SyncStatus());
  EXPECT_EQ(ConditionField(*Get(), "NetworkUnavailable", "reason"), "RouteCreated");
  EXPECT_EQ(ConditionField(*Get(), "Ready", "status"), "True");
}

TEST_F(NodeStatusReporterTest, ADeletedNodeIsRegisteredAgain) {
  auto reporter = Reporter();
  ASSERT_TRUE(reporter->Register().ok());
  std::string old_uid = base::GetString(*Get(), {"metadata", "uid"});
  ASSERT_TRUE(server_.client()->Delete(Nodes(), "", "node-a").ok());
  EXPECT_TRUE(*reporter->SyncStatus());
  client::Object node = Get();
  EXPECT_NE(base::GetString(*node, {"metadata", "uid"}), old_uid);
  EXPECT_EQ(ConditionField(*node, "Ready", "status"), "True");
}

TEST_F(NodeStatusReporterTest, LoopPicksUpChangesAndRequestSyncWakesIt) {
  auto reporter = Reporter();
  ASSERT_TRUE(reporter->Register().ok());
  reporter->Start();
  SetRuntime([](RuntimeState& r) { r.runtime_ready = false; });
  reporter->RequestSync();
  for (int i = 0; i < 200 && ConditionField(*Get(), "Ready", "status") != "False"; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  EXPECT_EQ(ConditionField(*Get(), "Ready", "status"), "False");
  reporter->Stop();
  int calls = runtime_calls_.load();
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  EXPECT_EQ(runtime_calls_.load(), calls);  // stopped: no more syncs
}

TEST_F(NodeStatusReporterTest, RegisterFailsWithoutHostFacts) {
  std::filesystem::remove(root_.string() + "/proc/meminfo");
  EXPECT_FALSE(Reporter()->Register().ok());
}

}  // namespace
}  // namespace skiff::agent::node
