#include "agent/pods/pod_view.h"

#include "base/json.h"
#include "gtest/gtest.h"

namespace skiff::agent::pods {
namespace {

boost::json::value Parse(const char* text) { return *base::ParseJson(text); }

TEST(PodViewTest, ParsesSpecAndDeletion) {
  auto pod = Parse(R"({"metadata":{"name":"p","namespace":"ns","uid":"u1",
    "deletionTimestamp":"2024-01-01T00:00:30Z","deletionGracePeriodSeconds":5},
    "spec":{"restartPolicy":"OnFailure","terminationGracePeriodSeconds":7,"hostNetwork":true,
      "readinessGates":[{"conditionType":"example.com/gate"}],
      "initContainers":[{"name":"init","image":"busybox"},{"name":"side","image":"b:1","restartPolicy":"Always",
        "startupProbe":{"exec":{"command":["true"]}}}],
      "containers":[{"name":"app","image":"b:1.35","imagePullPolicy":"Never","readinessProbe":{"httpGet":{"port":80}},
        "lifecycle":{"preStop":{"exec":{"command":["sh","-c","sleep 1"]}}}}]},
    "status":{"phase":"Running"}})");
  PodView v = ParsePod(pod);
  EXPECT_EQ(v.uid, "u1");
  EXPECT_EQ(v.Describe(), "p_ns(u1)");
  EXPECT_EQ(v.restart_policy, RestartPolicy::kOnFailure);
  EXPECT_TRUE(v.host_network);
  EXPECT_EQ(v.termination_grace_seconds, 7);
  EXPECT_TRUE(v.deleting);
  ASSERT_TRUE(v.deletion_grace_seconds.has_value());
  EXPECT_EQ(*v.deletion_grace_seconds, 5);
  ASSERT_EQ(v.init_containers.size(), 2u);
  EXPECT_FALSE(v.init_containers[0].sidecar);
  EXPECT_EQ(v.init_containers[0].pull_policy, PullPolicy::kAlways);  // untagged
  EXPECT_TRUE(v.init_containers[1].sidecar);
  EXPECT_TRUE(v.init_containers[1].has_startup_probe);
  ASSERT_EQ(v.containers.size(), 1u);
  EXPECT_EQ(v.containers[0].pull_policy, PullPolicy::kNever);
  EXPECT_TRUE(v.containers[0].has_readiness_probe);
  EXPECT_EQ(v.containers[0].pre_stop_exec, (std::vector<std::string>{"sh", "-c", "sleep 1"}));
  EXPECT_EQ(v.readiness_gates, std::vector<std::string>{"example.com/gate"});
  EXPECT_NE(v.Find("side"), nullptr);
  EXPECT_EQ(v.Find("nope"), nullptr);
  EXPECT_FALSE(v.ApiPhaseTerminal());
}

TEST(PodViewTest, DefaultPullPolicyByTag) {
  EXPECT_EQ(DefaultPullPolicy("busybox"), PullPolicy::kAlways);
  EXPECT_EQ(DefaultPullPolicy("busybox:latest"), PullPolicy::kAlways);
  EXPECT_EQ(DefaultPullPolicy("busybox:1.35"), PullPolicy::kIfNotPresent);
  EXPECT_EQ(DefaultPullPolicy("localhost:5000/busybox"), PullPolicy::kAlways);
  EXPECT_EQ(DefaultPullPolicy("localhost:5000/busybox:1.0"), PullPolicy::kIfNotPresent);
  EXPECT_EQ(DefaultPullPolicy("busybox@sha256:abcd"), PullPolicy::kIfNotPresent);
}

TEST(PodViewTest, QosClass) {
  EXPECT_EQ(QosClass(Parse(R"({"spec":{"containers":[{"name":"a"}]}})")), "BestEffort");
  EXPECT_EQ(
      QosClass(Parse(R"({"spec":{"containers":[{"name":"a","resources":{"requests":{"cpu":"100m"}}}]}})")),
      "Burstable");
  EXPECT_EQ(QosClass(Parse(R"({"spec":{"containers":[{"name":"a","resources":{
      "limits":{"cpu":"1","memory":"64Mi"},"requests":{"cpu":"1000m","memory":"64Mi"}}}]}})")),
            "Guaranteed");
  // Requests default to limits.
  EXPECT_EQ(QosClass(Parse(R"({"spec":{"containers":[{"name":"a","resources":{
      "limits":{"cpu":"1","memory":"64Mi"}}}]}})")),
            "Guaranteed");
  // One container without limits makes the pod Burstable.
  EXPECT_EQ(QosClass(Parse(
                R"({"spec":{"containers":[{"name":"a","resources":{"limits":{"cpu":"1","memory":"64Mi"}}},
      {"name":"b","resources":{"requests":{"memory":"1Mi"}}}]}})")),
            "Burstable");
  EXPECT_EQ(QosClass(Parse(R"({"spec":{"containers":[{"name":"a","resources":{
      "limits":{"cpu":"2","memory":"64Mi"},"requests":{"cpu":"1","memory":"64Mi"}}}]}})")),
            "Burstable");
}

}  // namespace
}  // namespace skiff::agent::pods
