#include "controllers/podautoscaler/replica_calculator.h"

#include <memory>

#include "base/clock.h"
#include "base/testing/fake_clock.h"
#include "boost/json.hpp"
#include "gtest/gtest.h"

namespace skiff::controllers::podautoscaler {
namespace {

namespace json = boost::json;

class ReplicaCalculatorTest : public ::testing::Test {
 protected:
  // A Running pod with one container requesting `cpu_milli` (and 100Mi memory), started a minute
  // ago and Ready (or not) for the last 50 s.
  client::Object Pod(const std::string& name, int cpu_milli, bool ready = true,
                     const std::string& phase = "Running") {
    absl::Time now = clock_.Now();
    json::object container{
        {"name", "main"},
        {"resources", json::object{{"requests", json::object{{"cpu", std::to_string(cpu_milli) + "m"},
                                                             {"memory", "100Mi"}}}}}};
    json::object status{{"phase", phase}, {"startTime", base::FormatRfc3339(now - absl::Minutes(1))}};
    if (phase == "Running") {
      json::object condition{{"type", "Ready"},
                             {"status", ready ? "True" : "False"},
                             {"lastTransitionTime", base::FormatRfc3339(now - absl::Seconds(50))}};
      status["conditions"] = json::array{condition};
    }
    return std::make_shared<const json::value>(
        json::object{{"metadata", json::object{{"name", name}, {"namespace", "ns"}}},
                     {"spec", json::object{{"containers", json::array{container}}}},
                     {"status", status}});
  }
  PodMetric Metric(int64_t value) { return {clock_.Now(), absl::Seconds(15), value}; }

  base::testing::FakeClock clock_;
  ReplicaCalculator calc_{{}, &clock_};
};

TEST_F(ReplicaCalculatorTest, CpuScaleUp) {
  auto r = calc_.ResourceUtilizationReplicas(3, 30, "cpu", "",
                                             {{"a", Metric(300)}, {"b", Metric(500)}, {"c", Metric(700)}},
                                             {Pod("a", 1000), Pod("b", 1000), Pod("c", 1000)});
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->replicas, 5);
  EXPECT_EQ(r->utilization, 50);
  EXPECT_EQ(r->raw_average, 500);
}

TEST_F(ReplicaCalculatorTest, CpuScaleDown) {
  auto r = calc_.ResourceUtilizationReplicas(
      5, 50, "cpu", "",
      {{"a", Metric(100)}, {"b", Metric(300)}, {"c", Metric(500)}, {"d", Metric(250)}, {"e", Metric(250)}},
      {Pod("a", 1000), Pod("b", 1000), Pod("c", 1000), Pod("d", 1000), Pod("e", 1000)});
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->replicas, 3);
  EXPECT_EQ(r->utilization, 28);
}

TEST_F(ReplicaCalculatorTest, WithinToleranceKeepsTheCount) {
  auto r = calc_.ResourceUtilizationReplicas(3, 100, "cpu", "",
                                             {{"a", Metric(1010)}, {"b", Metric(1030)}, {"c", Metric(1020)}},
                                             {Pod("a", 900), Pod("b", 1000), Pod("c", 1100)});
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->replicas, 3);
  EXPECT_EQ(r->utilization, 102);
}

TEST_F(ReplicaCalculatorTest, UnreadyPodsCountAsIdleWhenScalingUp) {
  auto r = calc_.ResourceUtilizationReplicas(
      3, 30, "cpu", "", {{"a", Metric(300)}, {"b", Metric(500)}, {"c", Metric(700)}},
      {Pod("a", 1000, /*ready=*/false), Pod("b", 1000), Pod("c", 1000)});
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->replicas, 4);      // (0 + 500 + 700) / 3000 = 40% of a 30% target, times 3 pods
  EXPECT_EQ(r->utilization, 60);  // the ready pods only
}

TEST_F(ReplicaCalculatorTest, PendingPodsAreUnready) {
  auto r = calc_.ResourceUtilizationReplicas(2, 50, "cpu", "", {{"a", Metric(1000)}},
                                             {Pod("a", 1000), Pod("b", 1000, true, "Pending")});
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->replicas, 2);  // 200% on one pod; the pending one as idle: 100% of a 50% target, 2 pods
}

TEST_F(ReplicaCalculatorTest, FreshlyReadyCpuSamplesAreIgnored) {
  // Ready 5 s ago with a 15 s window: the sample still covers start-up.
  absl::Time now = clock_.Now();
  json::value pod = *Pod("a", 1000);
  pod.at("status").at("conditions").at(0).as_object()["lastTransitionTime"] =
      base::FormatRfc3339(now - absl::Seconds(5));
  auto r = calc_.ResourceUtilizationReplicas(1, 50, "cpu", "", {{"a", Metric(1000)}},
                                             {std::make_shared<const json::value>(pod)});
  EXPECT_FALSE(r.ok());
  EXPECT_EQ(r.status().message(), "did not receive metrics for targeted pods (pods might be unready)");
}

TEST_F(ReplicaCalculatorTest, MissingMetricsAssumeFullUseWhenScalingDown) {
  auto r = calc_.ResourceUtilizationReplicas(
      4, 50, "cpu", "", {{"a", Metric(100)}, {"b", Metric(100)}, {"c", Metric(100)}},
      {Pod("a", 1000), Pod("b", 1000), Pod("c", 1000), Pod("d", 1000)});
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->replicas, 3);  // (300 + 1000) / 4000 = 32.5% of 50%, times 4 pods
}

TEST_F(ReplicaCalculatorTest, MissingMetricsThatReverseTheDirectionKeepTheCount) {
  auto r = calc_.ResourceUtilizationReplicas(2, 90, "cpu", "", {{"a", Metric(850)}},
                                             {Pod("a", 1000), Pod("b", 1000)});
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->replicas, 2);  // 85% < 90%, but with b at 100% it would be above: no change
}

TEST_F(ReplicaCalculatorTest, Errors) {
  auto none = calc_.ResourceUtilizationReplicas(1, 50, "cpu", "", {}, {});
  EXPECT_EQ(none.status().message(), "no pods returned by selector while calculating replica count");
  json::value pod = *Pod("a", 1000);
  pod.at("spec").at("containers").at(0).at("resources").as_object().erase("requests");
  auto no_request = calc_.ResourceUtilizationReplicas(1, 50, "cpu", "", {{"a", Metric(100)}},
                                                      {std::make_shared<const json::value>(pod)});
  EXPECT_EQ(no_request.status().message(), "missing request for cpu in container main of Pod a");
}

TEST_F(ReplicaCalculatorTest, ContainerRequestsOnly) {
  json::value pod = *Pod("a", 1000);
  pod.at("spec")
      .at("containers")
      .as_array()
      .push_back(json::object{{"name", "sidecar"},
                              {"resources", json::object{{"requests", json::object{{"cpu", "3"}}}}}});
  auto requests = ReplicaCalculator::PodRequests({std::make_shared<const json::value>(pod)}, "", "cpu");
  ASSERT_TRUE(requests.ok());
  EXPECT_EQ(requests->at("a"), 4000);
  requests = ReplicaCalculator::PodRequests({std::make_shared<const json::value>(pod)}, "sidecar", "cpu");
  ASSERT_TRUE(requests.ok());
  EXPECT_EQ(requests->at("a"), 3000);
}

TEST_F(ReplicaCalculatorTest, AverageValue) {
  int64_t mi = 1024 * 1024 * 1000LL;  // 1Mi in milli-bytes
  auto r = calc_.AverageValueReplicas(2, 10 * mi, "memory", {{"a", Metric(40 * mi)}, {"b", Metric(40 * mi)}},
                                      {Pod("a", 100), Pod("b", 100)});
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->replicas, 8);
  EXPECT_EQ(r->usage, 40 * mi);
  // Pods metrics: unready (not Pending) pods still count when the resource is not cpu.
  r = calc_.AverageValueReplicas(2, 100, "", {{"a", Metric(50)}, {"b", Metric(50)}},
                                 {Pod("a", 100, false), Pod("b", 100)});
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->replicas, 1);
}

TEST_F(ReplicaCalculatorTest, ObjectAndExternalValues) {
  EXPECT_EQ(calc_.ValueReplicas(0, 500, 100, {}).replicas, 5);                          // from zero
  EXPECT_EQ(calc_.ValueReplicas(2, 105, 100, {Pod("a", 1), Pod("b", 1)}).replicas, 2);  // tolerance
  EXPECT_EQ(calc_.ValueReplicas(2, 300, 100, {Pod("a", 1), Pod("b", 1)}).replicas, 6);
  auto per_pod = calc_.PerPodValueReplicas(2, 1000, 100);
  EXPECT_EQ(per_pod.replicas, 10);
  EXPECT_EQ(per_pod.usage, 500);
  EXPECT_EQ(calc_.PerPodValueReplicas(2, 210, 100).replicas, 2);
}

}  // namespace
}  // namespace skiff::controllers::podautoscaler
