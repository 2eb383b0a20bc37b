#include "scheduler/scheduler.h"

#include <set>
#include <thread>

#include "base/testing/wait_for.h"
#include "client/shared_informers.h"
#include "client/testing/test_api_server.h"
#include "gtest/gtest.h"
#include "scheduler/test_util.h"

namespace skiff::scheduler {
namespace {

// The waits here are longer than WaitFor's default: they span whole pod lifecycles.
bool Eventually(const std::function<bool()>& done) { return base::testing::WaitFor(done, absl::Seconds(20)); }

const api::ResourceInfo& Pods() { return client::Resource("", "v1", "pods"); }
const api::ResourceInfo& Nodes() { return client::Resource("", "v1", "nodes"); }

class SchedulerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    informers_ = std::make_unique<client::SharedInformers>(server_.client());
    SchedulerOptions options;
    options.write_threads = 4;
    scheduler_ = std::make_unique<Scheduler>(
        client::ControllerContext{server_.client(), informers_.get(), nullptr}, options);
    scheduler_->Start();
    informers_->Start();
    ASSERT_TRUE(informers_->WaitForSync(absl::Seconds(10)));
  }
  void TearDown() override {
    scheduler_->Stop();
    informers_->Stop();
    scheduler_.reset();
    informers_.reset();
  }

  void AddNode(const std::string& name, const std::string& cpu) {
    client::Object node = testing::MakeNode(name, cpu, "8Gi");
    auto created = server_.client()->Create(Nodes(), "", *node);
    ASSERT_TRUE(created.ok()) << created.status();
    if (base::FindPath(**created, {"status", "allocatable", "cpu"}) == nullptr) {
      boost::json::value with_status = **created;
      with_status.as_object()["status"] = node->at("status");
      auto updated = server_.client()->Update(Nodes(), "", with_status, "status");
      ASSERT_TRUE(updated.ok()) << updated.status();
    }
  }
  void AddPod(const client::Object& pod) {
    boost::json::value body = *pod;
    body.as_object()["metadata"].as_object().erase("uid");
    auto created = server_.client()->Create(Pods(), "default", body);
    ASSERT_TRUE(created.ok()) << created.status();
  }
  std::string NodeOf(const std::string& name) {
    auto pod = server_.client()->Get(Pods(), "default", name);
    return pod.ok() ? base::GetString(**pod, {"spec", "nodeName"}) : "";
  }
  std::string ScheduledMessage(const std::string& name) {
    auto pod = server_.client()->Get(Pods(), "default", name);
    if (!pod.ok()) return "";
    const auto* conds = base::FindPath(**pod, {"status", "conditions"});
    if (conds == nullptr || !conds->is_array()) return "";
    for (const auto& c : conds->as_array()) {
      if (base::GetString(c, {"type"}) == "PodScheduled" && base::GetString(c, {"status"}) == "False" &&
          base::GetString(c, {"reason"}) == "Unschedulable") {
        return base::GetString(c, {"message"});
      }
    }
    return "";
  }

  client::testing::TestApiServer server_;
  std::unique_ptr<client::SharedInformers> informers_;
  std::unique_ptr<Scheduler> scheduler_;
};

TEST_F(SchedulerTest, BindsPodsAndRespectsResources) {
  AddNode("small", "1");
  AddNode("big", "8");
  AddPod(testing::MakePod("needs-4", "4"));
  AddPod(testing::MakePod("any", "100m"));
  AddPod(testing::MakePod("other-scheduler", "", "", "{}", R"({"schedulerName":"custom"})"));
  EXPECT_TRUE(Eventually([&] { return NodeOf("needs-4") == "big" && !NodeOf("any").empty(); }));
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  EXPECT_EQ(NodeOf("other-scheduler"), "");
}

TEST_F(SchedulerTest, AntiAffinitySpreadsOnePerNodeAndExplainsTheRest) {
  for (int i = 1; i <= 3; ++i) AddNode("n" + std::to_string(i), "4");
  std::string anti = R"({"affinity":{"podAntiAffinity":{"requiredDuringSchedulingIgnoredDuringExecution":[
      {"labelSelector":{"matchLabels":{"app":"web"}},"topologyKey":"kubernetes.io/hostname"}]}}})";
  for (int i = 0; i < 5; ++i)
    AddPod(testing::MakePod("web-" + std::to_string(i), "100m", "", R"({"app":"web"})", anti));
  auto placed = [&] {
    std::set<std::string> nodes;
    int bound = 0;
    for (int i = 0; i < 5; ++i) {
      std::string n = NodeOf("web-" + std::to_string(i));
      if (!n.empty()) ++bound, nodes.insert(n);
    }
    return std::make_pair(bound, nodes.size());
  };
  ASSERT_TRUE(Eventually([&] { return placed() == std::make_pair(3, size_t{3}); }));
  std::vector<std::string> pending;
  for (int i = 0; i < 5; ++i) {
    if (NodeOf("web-" + std::to_string(i)).empty()) pending.push_back("web-" + std::to_string(i));
  }
  ASSERT_EQ(pending.size(), 2u);
  const std::string want =
      "0/3 nodes are available: 3 node(s) didn't match pod anti-affinity rules. preemption: 0/3 nodes are "
      "available: 3 No preemption victims found for incoming pod.";
  EXPECT_TRUE(Eventually([&] { return ScheduledMessage(pending[0]) == want; }))
      << ScheduledMessage(pending[0]);
  // A FailedScheduling event was recorded.
  auto events = server_.client()->List(client::Resource("", "v1", "events"), "default", {});
  ASSERT_TRUE(events.ok());
  bool found = false;
  for (const auto& e : events->items) found |= base::GetString(*e, {"reason"}) == "FailedScheduling";
  EXPECT_TRUE(found);

  // A new node makes room for one more; deleting a bound pod for the last.
  AddNode("n4", "4");
  EXPECT_TRUE(Eventually([&] { return placed().first == 4; }));
  std::string victim;
  for (int i = 0; i < 5; ++i) {
    if (!NodeOf("web-" + std::to_string(i)).empty()) victim = "web-" + std::to_string(i);
  }
  client::DeleteOptions now;
  now.grace_period_seconds = 0;
  ASSERT_TRUE(server_.client()->Delete(Pods(), "default", victim, now).ok());
  EXPECT_TRUE(Eventually([&] {
    int bound = 0;
    for (int i = 0; i < 5; ++i) bound += NodeOf("web-" + std::to_string(i)).empty() ? 0 : 1;
    return bound == 4 && NodeOf(victim).empty();
  }));
}

TEST_F(SchedulerTest, PreemptsLowerPriorityPods) {
  AddNode("only", "2");
  AddPod(testing::MakePod("low", "2", "", "{}", R"({"priority":1})"));
  ASSERT_TRUE(Eventually([&] { return NodeOf("low") == "only"; }));
  AddPod(testing::MakePod("high", "2", "", "{}", R"({"priority":1000})"));
  // The low-priority pod is deleted (graceful deletion may keep it Terminating on a real cluster).
  EXPECT_TRUE(Eventually([&] {
    auto low = server_.client()->Get(Pods(), "default", "low");
    return !low.ok() || base::FindPath(**low, {"metadata", "deletionTimestamp"}) != nullptr;
  }));
  auto high = server_.client()->Get(Pods(), "default", "high");
  ASSERT_TRUE(high.ok());
  EXPECT_TRUE(Eventually([&] {
    auto h = server_.client()->Get(Pods(), "default", "high");
    return h.ok() && (base::GetString(**h, {"status", "nominatedNodeName"}) == "only" ||
                      base::GetString(**h, {"spec", "nodeName"}) == "only");
  }));
}

}  // namespace
}  // namespace skiff::scheduler
