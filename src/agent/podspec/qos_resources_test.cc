#include <gtest/gtest.h>

#include "agent/podspec/qos.h"
#include "agent/podspec/resources.h"
#include "base/json.h"

namespace skiff::agent::podspec {
namespace {

boost::json::value J(std::string_view text) { return base::ParseJson(text).value(); }

constexpr int64_t kGi = 1024LL * 1024 * 1024;

boost::json::value PodWith(std::string_view containers, std::string_view init = "[]") {
  return J(std::string(R"({"metadata":{"name":"p","namespace":"ns","uid":"u1"},"spec":{"containers":)") +
           std::string(containers) + R"(,"initContainers":)" + std::string(init) + "}}");
}

TEST(QosTest, BestEffortWithoutResources) {
  EXPECT_EQ(ComputeQosClass(PodWith(R"([{"name":"a"}])")), QosClass::kBestEffort);
  // Zero quantities do not count.
  EXPECT_EQ(ComputeQosClass(PodWith(R"([{"name":"a","resources":{"requests":{"cpu":"0"}}}])")),
            QosClass::kBestEffort);
}

TEST(QosTest, GuaranteedNeedsEqualCpuAndMemoryEverywhere) {
  auto g = PodWith(R"([{"name":"a","resources":{"limits":{"cpu":"1","memory":"1Gi"},
                                                "requests":{"cpu":"1000m","memory":"1024Mi"}}}])");
  EXPECT_EQ(ComputeQosClass(g), QosClass::kGuaranteed);
  EXPECT_EQ(QosClassName(ComputeQosClass(g)), "Guaranteed");
  // Only a memory limit: Burstable.
  EXPECT_EQ(ComputeQosClass(PodWith(R"([{"name":"a","resources":{"limits":{"memory":"1Gi"},
                                                                  "requests":{"memory":"1Gi"}}}])")),
            QosClass::kBurstable);
  // Requests below limits: Burstable.
  EXPECT_EQ(ComputeQosClass(PodWith(R"([{"name":"a","resources":{"limits":{"cpu":"1","memory":"1Gi"},
                                                                  "requests":{"cpu":"500m","memory":"1Gi"}}}])")),
            QosClass::kBurstable);
  // An init container without limits spoils it.
  EXPECT_EQ(ComputeQosClass(PodWith(R"([{"name":"a","resources":{"limits":{"cpu":"1","memory":"1Gi"},
                                                                  "requests":{"cpu":"1","memory":"1Gi"}}}])",
                                    R"([{"name":"i","resources":{"requests":{"cpu":"1"}}}])")),
            QosClass::kBurstable);
}

TEST(QosTest, StatusWinsAndCgroupParentFollowsClass) {
  auto pod = PodWith(R"([{"name":"a"}])");
  EXPECT_EQ(PodCgroupParent(pod), "/kubepods/besteffort/podu1");
  base::EnsureObject(pod, {"status"})["qosClass"] = "Burstable";
  EXPECT_EQ(PodQosClass(pod), QosClass::kBurstable);
  EXPECT_EQ(PodCgroupParent(pod, "/skiff/"), "/skiff/burstable/podu1");
  base::EnsureObject(pod, {"status"})["qosClass"] = "Guaranteed";
  EXPECT_EQ(PodCgroupParent(pod), "/kubepods/podu1");
  EXPECT_EQ(PodCgroupParent(pod, "/"), "/podu1");
}

TEST(ResourcesTest, SharesAndQuota) {
  EXPECT_EQ(MilliCpuToShares(0), 2);
  EXPECT_EQ(MilliCpuToShares(1), 2);
  EXPECT_EQ(MilliCpuToShares(100), 102);
  EXPECT_EQ(MilliCpuToShares(1000), 1024);
  EXPECT_EQ(MilliCpuToShares(1000000), 262144);
  EXPECT_EQ(MilliCpuToQuota(0, 100000), 0);
  EXPECT_EQ(MilliCpuToQuota(5, 100000), 1000);  // minimum 1ms
  EXPECT_EQ(MilliCpuToQuota(250, 100000), 25000);
  EXPECT_EQ(MilliCpuToQuota(2000, 100000), 200000);
}

TEST(ResourcesTest, ContainerLinuxResources) {
  auto pod = PodWith(R"([{"name":"a","resources":{"requests":{"cpu":"250m","memory":"1Gi"},
                                                  "limits":{"cpu":"500m","memory":"2Gi"}}},
                         {"name":"b","resources":{"limits":{"cpu":"2"}}},
                         {"name":"c"}])");
  const auto& cs = pod.at("spec").at("containers").as_array();
  LinuxResources a = ContainerLinuxResources(pod, cs[0], 10 * kGi);
  EXPECT_EQ(a.cpu_shares, 256);
  EXPECT_EQ(a.cpu_quota, 50000);
  EXPECT_EQ(a.cpu_period, 100000);
  EXPECT_EQ(a.memory_limit_in_bytes, 2 * kGi);
  EXPECT_EQ(a.oom_score_adj, 900);  // 1000 - 1000*1Gi/10Gi
  // No request but a limit: shares from the limit.
  LinuxResources b = ContainerLinuxResources(pod, cs[1], 10 * kGi);
  EXPECT_EQ(b.cpu_shares, 2048);
  EXPECT_EQ(b.cpu_quota, 200000);
  EXPECT_EQ(b.memory_limit_in_bytes, 0);
  LinuxResources c = ContainerLinuxResources(pod, cs[2], 10 * kGi);
  EXPECT_EQ(c.cpu_shares, 2);
  EXPECT_EQ(c.cpu_quota, 0);
  EXPECT_EQ(c.cpu_period, 100000);
  EXPECT_EQ(c.oom_score_adj, 999);  // Burstable pod, no memory request: never 1000
}

TEST(ResourcesTest, OomScoreAdjByQos) {
  // Pods reach the agent defaulted: requests copied from limits.
  auto guaranteed = PodWith(R"([{"name":"a","resources":{"limits":{"cpu":"1","memory":"1Gi"},
                                                         "requests":{"cpu":"1","memory":"1Gi"}}}])");
  EXPECT_EQ(OomScoreAdj(guaranteed, guaranteed.at("spec").at("containers").at(0), 10 * kGi), -997);
  auto best = PodWith(R"([{"name":"a"}])");
  EXPECT_EQ(OomScoreAdj(best, best.at("spec").at("containers").at(0), 10 * kGi), 1000);
  // Requesting (almost) all memory clamps to 3.
  auto big = PodWith(R"([{"name":"a","resources":{"requests":{"memory":"10Gi"}}}])");
  EXPECT_EQ(OomScoreAdj(big, big.at("spec").at("containers").at(0), 10 * kGi), 3);
  auto half = PodWith(R"([{"name":"a","resources":{"requests":{"memory":"5Gi"}}}])");
  EXPECT_EQ(OomScoreAdj(half, half.at("spec").at("containers").at(0), 10 * kGi), 500);
  // Node-critical pods get the Guaranteed score.
  auto critical = PodWith(R"([{"name":"a"}])");
  critical.at("spec").as_object()["priorityClassName"] = "system-node-critical";
  critical.at("spec").as_object()["priority"] = 2000001000;
  EXPECT_EQ(OomScoreAdj(critical, critical.at("spec").at("containers").at(0), 10 * kGi), -997);
}

TEST(ResourcesTest, SidecarOomNeverAboveSmallestAppContainer) {
  auto pod =
      PodWith(R"([{"name":"a","resources":{"requests":{"memory":"4Gi"}}},
                         {"name":"b","resources":{"requests":{"memory":"2Gi"}}}])",
              R"([{"name":"side","restartPolicy":"Always","resources":{"requests":{"memory":"1Gi"}}}])");
  const auto& side = pod.at("spec").at("initContainers").at(0);
  EXPECT_TRUE(IsSidecarOf(pod, side));
  EXPECT_EQ(OomScoreAdj(pod, side, 10 * kGi), 800);  // min(900, 1000-200)
}

TEST(ResourcesTest, PodRequestsWithInitContainersSidecarsAndOverhead) {
  auto pod =
      PodWith(R"([{"name":"a","resources":{"requests":{"cpu":"100m"},"limits":{"cpu":"1","memory":"1Gi"}}},
                         {"name":"b","resources":{"requests":{"cpu":"200m"},"limits":{"cpu":"1","memory":"1Gi"}}}])",
              R"([{"name":"init","resources":{"requests":{"cpu":"1"}}},
                         {"name":"side","restartPolicy":"Always","resources":{"requests":{"cpu":"50m"},
                                                                              "limits":{"cpu":"500m","memory":"1Gi"}}}])");
  pod.at("spec").as_object()["overhead"] = J(R"({"cpu":"10m","memory":"64Mi"})");
  ResourceMap requests = PodRequests(pod, false);
  // max(apps 300m + sidecar 50m, init 1) = 1
  EXPECT_EQ(requests.at("cpu"), api::Quantity::Parse("1").value());
  ResourceMap with_overhead = PodRequests(pod, true);
  EXPECT_EQ(with_overhead.at("cpu"), api::Quantity::Parse("1010m").value());
  EXPECT_EQ(with_overhead.at("memory"), api::Quantity::Parse("64Mi").value());

  LinuxResources sandbox = PodLinuxResources(pod);
  EXPECT_EQ(sandbox.cpu_shares, 1024);
  EXPECT_EQ(sandbox.cpu_quota, 250000);  // 2.5 CPUs of limits
  EXPECT_EQ(sandbox.memory_limit_in_bytes, 3 * kGi);
  auto overhead = PodOverheadLinuxResources(pod);
  ASSERT_TRUE(overhead.has_value());
  EXPECT_EQ(overhead->cpu_shares, 10);
  EXPECT_EQ(overhead->cpu_quota, 1000);
  EXPECT_EQ(overhead->memory_limit_in_bytes, 64 << 20);

  // One unlimited app container: no pod memory limit or quota.
  auto open = PodWith(R"([{"name":"a","resources":{"limits":{"memory":"1Gi"}}},{"name":"b"}])");
  EXPECT_EQ(PodLinuxResources(open).memory_limit_in_bytes, 0);
  EXPECT_EQ(PodLinuxResources(open).cpu_quota, 0);
  EXPECT_FALSE(PodOverheadLinuxResources(open).has_value());
}

}  // namespace
}  // namespace skiff::agent::podspec
