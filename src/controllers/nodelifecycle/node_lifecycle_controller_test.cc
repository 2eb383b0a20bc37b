#include "controllers/nodelifecycle/node_lifecycle_controller.h"

#include <atomic>
#include <thread>

#include "absl/cleanup/cleanup.h"
#include "absl/time/clock.h"
#include "base/json.h"
#include "base/testing/wait_for.h"
#include "client/event_recorder.h"
#include "controllers/testing/controller_test.h"
#include "gtest/gtest.h"

namespace skiff::controllers {
namespace {

namespace json = boost::json;
using base::testing::WaitFor;

class NodeLifecycleControllerTest : public testing::ControllerTest<NodeLifecycleController> {
 protected:
  void StartController(absl::Duration grace = absl::Milliseconds(400), std::string cidr = "10.42.0.0/16") {
    events_ =
        std::make_unique<client::EventRecorder>(&fake_, client::EventRecorder::Options{.component = "x"});
    recorder_ = events_.get();
    NodeLifecycleController::Options options;
    options.grace_period = grace;
    options.cluster_cidr = std::move(cidr);
    ControllerTest::StartController(options);
  }
  void TearDown() override {
    ControllerTest::TearDown();
    events_.reset();
  }

  // "<component> <kind>/<name> <reason>: <message>" of every event written so far.
  std::vector<std::string> Events() {
    events_->Flush();
    std::vector<std::string> out;
    for (const char* ns : {"default"}) {
      auto list = fake_.List(client::Resource("", "v1", "events"), ns, {});
      if (!list.ok()) continue;
      for (const auto& e : list->items) {
        out.push_back(base::GetString(*e, {"source", "component"}) + " " +
                      base::GetString(*e, {"involvedObject", "kind"}) + "/" +
                      base::GetString(*e, {"involvedObject", "name"}) + " " +
                      base::GetString(*e, {"reason"}) + ": " + base::GetString(*e, {"message"}));
      }
    }
    return out;
  }
  bool HasEvent(const std::string& text) {
    for (const auto& e : Events()) {
      if (e == text) return true;
    }
    return false;
  }

  void CreateNode(const std::string& name, const std::string& extra_spec = "") {
    std::string now = base::FormatRfc3339(absl::Now());
    auto node =
        base::ParseJson(R"({"metadata":{"name":")" + name + R"("},"spec":{)" + extra_spec +
                        R"(},"status":{"conditions":[{"type":"Ready","status":"True","lastHeartbeatTime":")" +
                        now + R"(","reason":"KubeletReady"},{"type":"MemoryPressure","status":"False"}]}})");
    ASSERT_TRUE(node.ok());
    ASSERT_TRUE(fake_.Create(nodes_, "", std::move(*node)).ok());
  }
  void RenewLease(const std::string& node) {
    json::value spec =
        json::object{{"holderIdentity", node}, {"renewTime", base::FormatRfc3339Micro(absl::Now())}};
    if (auto lease = fake_.Peek(leases_, "kube-node-lease", node)) {
      json::value copy = *lease;
      copy.as_object()["spec"] = spec;
      ASSERT_TRUE(fake_.Update(leases_, "kube-node-lease", copy).ok());
    } else {
      ASSERT_TRUE(fake_
                      .Create(leases_, "kube-node-lease",
                              json::object{{"metadata", json::object{{"name", node}}}, {"spec", spec}})
                      .ok());
    }
  }
  void SetReady(const std::string& node, const std::string& status) {
    json::value copy = *fake_.Peek(nodes_, "", node);
    for (auto& c : copy.as_object()["status"].as_object()["conditions"].as_array()) {
      if (base::GetString(c, {"type"}) == "Ready") {
        c.as_object()["status"] = status;
        c.as_object()["lastHeartbeatTime"] = base::FormatRfc3339Micro(absl::Now());
      }
    }
    copy.as_object()["metadata"].as_object().erase("resourceVersion");
    ASSERT_TRUE(fake_.Update(nodes_, "", copy, "status").ok());
  }
  void CreatePod(const std::string& name, const std::string& node, const std::string& tolerations) {
    auto pod = base::ParseJson(
        R"({"metadata":{"name":")" + name + R"("},"spec":{"nodeName":")" + node + R"(","tolerations":)" +
        tolerations + R"(},"status":{"phase":"Running","conditions":[{"type":"Ready","status":"True"}]}})");
    ASSERT_TRUE(pod.ok());
    ASSERT_TRUE(fake_.Create(pods_, "default", std::move(*pod)).ok());
  }
  std::string ConditionStatus(const std::string& node, const std::string& type) {
    auto obj = fake_.Peek(nodes_, "", node);
    const json::value* conditions = obj ? base::FindPath(*obj, {"status", "conditions"}) : nullptr;
    if (conditions == nullptr) return "";
    for (const auto& c : conditions->as_array()) {
      if (base::GetString(c, {"type"}) == type) return base::GetString(c, {"status"});
    }
    return "";
  }
  // "key:effect" of every taint, in order.
  std::vector<std::string> Taints(const std::string& node) {
    std::vector<std::string> out;
    auto obj = fake_.Peek(nodes_, "", node);
    const json::value* taints = obj ? base::FindPath(*obj, {"spec", "taints"}) : nullptr;
    if (taints == nullptr) return out;
    for (const auto& t : taints->as_array()) {
      out.push_back(base::GetString(t, {"key"}) + ":" + base::GetString(t, {"effect"}));
    }
    return out;
  }
  bool PodExists(const std::string& name) { return fake_.Peek(pods_, "default", name) != nullptr; }

  const api::ResourceInfo& nodes_ = client::Resource("", "v1", "nodes");
  const api::ResourceInfo& leases_ = client::Resource("coordination.k8s.io", "v1", "leases");
  const api::ResourceInfo& pods_ = client::Resource("", "v1", "pods");
  std::unique_ptr<client::EventRecorder> events_;
};

TEST_F(NodeLifecycleControllerTest, AllocatesPodCidrsAroundExistingOnes) {
  CreateNode("old", R"("podCIDR":"10.42.0.0/24","podCIDRs":["10.42.0.0/24"])");
  CreateNode("a");
  StartController(absl::Seconds(60));
  ASSERT_TRUE(WaitFor([&] {
    return !base::GetString(*fake_.Peek(nodes_, "", "a"), {"spec", "podCIDR"}).empty();
  }));
  auto a = fake_.Peek(nodes_, "", "a");
  EXPECT_EQ(base::GetString(*a, {"spec", "podCIDR"}), "10.42.1.0/24");
  EXPECT_EQ(base::ToJson(*base::FindPath(*a, {"spec", "podCIDRs"})), R"(["10.42.1.0/24"])");
  CreateNode("b");
  ASSERT_TRUE(WaitFor([&] {
    return base::GetString(*fake_.Peek(nodes_, "", "b"), {"spec", "podCIDR"}) == "10.42.2.0/24";
  }));
  EXPECT_EQ(base::GetString(*fake_.Peek(nodes_, "", "old"), {"spec", "podCIDR"}), "10.42.0.0/24");
}

TEST_F(NodeLifecycleControllerTest, RenewedLeaseKeepsNodeReadyAndSilenceMakesItUnknown) {
  CreateNode("n1");
  RenewLease("n1");
  StartController(absl::Milliseconds(400));
  for (int i = 0; i < 6; ++i) {
    absl::SleepFor(absl::Milliseconds(150));
    RenewLease("n1");
  }
  EXPECT_EQ(ConditionStatus("n1", "Ready"), "True");
  EXPECT_TRUE(Taints("n1").empty());
  // Heartbeats stop.
  ASSERT_TRUE(WaitFor([&] { return ConditionStatus("n1", "Ready") == "Unknown"; }));
  EXPECT_EQ(ConditionStatus("n1", "MemoryPressure"), "Unknown");
  EXPECT_EQ(ConditionStatus("n1", "DiskPressure"), "Unknown");  // added: never reported
  ASSERT_TRUE(WaitFor([&] { return Taints("n1").size() == 2; }));
  EXPECT_EQ(Taints("n1"), (std::vector<std::string>{"node.kubernetes.io/unreachable:NoSchedule",
                                                    "node.kubernetes.io/unreachable:NoExecute"}));
  auto node = fake_.Peek(nodes_, "", "n1");
  EXPECT_FALSE(
      base::GetString(base::FindPath(*node, {"spec", "taints"})->as_array()[1], {"timeAdded"}).empty());
  // The kubelet comes back.
  SetReady("n1", "True");
  EXPECT_TRUE(WaitFor([&] { return Taints("n1").empty(); }));
}

TEST_F(NodeLifecycleControllerTest, NotReadyNodeGetsNotReadyTaintsAndKeepsOthers) {
  CreateNode("n1", R"("taints":[{"key":"dedicated","value":"db","effect":"NoSchedule"}])");
  StartController(absl::Seconds(60));
  SetReady("n1", "False");
  ASSERT_TRUE(WaitFor([&] { return Taints("n1").size() == 3; }));
  EXPECT_EQ(Taints("n1"),
            (std::vector<std::string>{"dedicated:NoSchedule", "node.kubernetes.io/not-ready:NoSchedule",
                                      "node.kubernetes.io/not-ready:NoExecute"}));
  SetReady("n1", "True");
  EXPECT_TRUE(WaitFor([&] { return Taints("n1") == std::vector<std::string>{"dedicated:NoSchedule"}; }));
}

TEST_F(NodeLifecycleControllerTest, TaintBasedEvictionHonoursTolerationSeconds) {
  CreateNode("n1");
  CreateNode("n2");
  RenewLease("n2");
  CreatePod("intolerant", "n1", "[]");
  CreatePod(
      "patient", "n1",
      R"([{"key":"node.kubernetes.io/unreachable","operator":"Exists","effect":"NoExecute","tolerationSeconds":1}])");
  CreatePod("forever", "n1",
            R"([{"key":"node.kubernetes.io/unreachable","operator":"Exists","effect":"NoExecute"}])");
  CreatePod("elsewhere", "n2", "[]");
  std::atomic<bool> done{false};
  std::thread kubelet_n2([&] {
    while (!done) {
      RenewLease("n2");
      absl::SleepFor(absl::Milliseconds(50));
    }
  });
  absl::Cleanup stop_kubelet = [&] {
    done = true;
    kubelet_n2.join();
  };
  StartController(absl::Milliseconds(300));
  absl::Time start = absl::Now();
  // n1 never heartbeats: unreachable after the grace period; its intolerant pod goes at once.
  ASSERT_TRUE(WaitFor([&] { return !PodExists("intolerant"); }));
  EXPECT_TRUE(PodExists("patient"));
  ASSERT_TRUE(WaitFor([&] { return !PodExists("patient"); }));
  EXPECT_GE(absl::Now() - start, absl::Seconds(1));
  absl::SleepFor(absl::Milliseconds(200));
  EXPECT_TRUE(PodExists("forever"));
  EXPECT_TRUE(
      HasEvent("taint-eviction-controller Pod/intolerant TaintManagerEviction: "
               "Marking for deletion Pod default/intolerant"));
  EXPECT_TRUE(
      HasEvent("taint-eviction-controller Pod/patient TaintManagerEviction: "
               "Marking for deletion Pod default/patient"));
  EXPECT_TRUE(HasEvent("node-controller Node/n1 NodeNotReady: Node n1 status is now: NodeNotReady"));
  EXPECT_TRUE(HasEvent("node-controller Pod/forever NodeNotReady: Node is not ready"));
  // Kept, but no longer Ready.
  auto forever = fake_.Peek(pods_, "default", "forever");
  EXPECT_EQ(base::GetString(base::FindPath(*forever, {"status", "conditions"})->as_array()[0], {"status"}),
            "False");
  // n2 keeps renewing, so its pod is untouched.
  EXPECT_TRUE(PodExists("elsewhere"));
  EXPECT_TRUE(Taints("n2").empty());
}

TEST_F(NodeLifecycleControllerTest, ExhaustedClusterCidrLeavesNodesWithoutAndSaysSoOnce) {
  CreateNode("a");
  CreateNode("b");
  CreateNode("c");
  StartController(absl::Seconds(60), "10.0.0.0/23");  // exactly two /24s
  auto cidr = [&](const std::string& n) {
    return base::GetString(*fake_.Peek(nodes_, "", n), {"spec", "podCIDR"});
  };
  ASSERT_TRUE(WaitFor([&] { return (cidr("a").empty() + cidr("b").empty() + cidr("c").empty()) == 1; }));
  std::string without = cidr("a").empty() ? "a" : cidr("b").empty() ? "b" : "c";
  ASSERT_TRUE(WaitFor([&] {
    return HasEvent("cidrAllocator Node/" + without + " CIDRNotAvailable: Node " + without +
                    " status is now: CIDRNotAvailable");
  }));
  // Heartbeats bring the node back to the allocator: no new event each time.
  for (int i = 0; i < 3; ++i) {
    RenewLease(without);
    absl::SleepFor(absl::Milliseconds(50));
  }
  auto list = fake_.List(client::Resource("", "v1", "events"), "default", {});
  ASSERT_EQ(list->items.size(), 1u);
  EXPECT_EQ(base::GetInt(*list->items[0], {"count"}), 1);
  // A node leaves: its subnet goes to the one that waited.
  std::string leaving = without == "a" ? "b" : "a";
  std::string freed = cidr(leaving);
  ASSERT_TRUE(fake_.Delete(nodes_, "", leaving, {}).ok());
  EXPECT_TRUE(WaitFor([&] {
    RenewLease(without);  // the next heartbeat retries
    return cidr(without) == freed;
  })) << freed;
}

TEST_F(NodeLifecycleControllerTest, FactoryTakesTheContextOptions) {
  informers_ = std::make_unique<client::SharedInformers>(&fake_);
  client::ControllerContext context{&fake_, informers_.get(), nullptr};
  context.options.cluster_cidr = "10.9.0.0/16";
  context.options.node_cidr_mask_size = 28;
  context.options.node_monitor_grace_period = absl::Milliseconds(300);
  CreateNode("n1");
  auto runnable = NewNodeLifecycleController(context);
  runnable->Start();
  informers_->Start();
  ASSERT_TRUE(WaitFor([&] {
    return base::GetString(*fake_.Peek(nodes_, "", "n1"), {"spec", "podCIDR"}) == "10.9.0.0/28";
  }));
  // No heartbeats: Unknown after the short grace period.
  EXPECT_TRUE(WaitFor([&] { return ConditionStatus("n1", "Ready") == "Unknown"; }));
  runnable->Stop();
}

}  // namespace
}  // namespace skiff::controllers
