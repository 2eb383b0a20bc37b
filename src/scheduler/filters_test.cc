#include "scheduler/filters.h"

#include "gtest/gtest.h"
#include "scheduler/algorithm.h"
#include "scheduler/test_util.h"

namespace skiff::scheduler {
namespace {

using testing::MakeNode;
using testing::MakeNodeInfo;
using testing::MakePod;
using testing::MakeSnapshot;

FilterResult RunOn(const client::Object& pod, const std::vector<std::shared_ptr<NodeInfo>>& nodes,
                   size_t which = 0) {
  PodInfoPtr info = MakePodInfo(pod);
  Snapshot snapshot = MakeSnapshot(nodes);
  CycleState state = PreFilter(*info, snapshot);
  return RunFilters(state, *snapshot.nodes[which]);
}

TEST(FiltersTest, ResourcesFitCountsExistingPodsAndReportsEachResource) {
  auto node = MakeNodeInfo(MakeNode("n1", "2", "4Gi"), {MakePod("a", "1500m", "1Gi")});
  EXPECT_TRUE(RunOn(MakePod("p", "500m", "1Gi"), {node}).ok());
  FilterResult r = RunOn(MakePod("p", "501m", "4Gi"), {node});
  EXPECT_EQ(r.code, FilterCode::kUnschedulable);
  EXPECT_EQ(r.plugin, "NodeResourcesFit");
  EXPECT_EQ(r.reasons, (std::vector<std::string>{"Insufficient cpu", "Insufficient memory"}));
}

TEST(FiltersTest, ResourcesFitPodsEphemeralAndExtended) {
  auto full = MakeNodeInfo(testing::Obj(testing::Json(R"({"metadata":{"name":"n"},
      "status":{"allocatable":{"cpu":"4","memory":"1Gi","pods":"1","ephemeral-storage":"1Gi",
      "example.com/gpu":"1"}}})")),
                           {MakePod("a")});
  EXPECT_EQ(RunOn(MakePod("p"), {full}).reasons, std::vector<std::string>{"Too many pods"});
  auto empty = MakeNodeInfo(testing::Obj(testing::Json(R"({"metadata":{"name":"n"},
      "status":{"allocatable":{"cpu":"4","memory":"1Gi","pods":"10","ephemeral-storage":"1Gi","example.com/gpu":"1"}}})")));
  auto pod = MakePod("p", "", "", "{}", R"({"containers":[{"name":"c","resources":{"requests":
      {"ephemeral-storage":"2Gi","example.com/gpu":"2","example.com/fpga":"1"}}}]})");
  EXPECT_EQ(RunOn(pod, {empty}).reasons,
            (std::vector<std::string>{"Insufficient ephemeral-storage", "Insufficient example.com/fpga",
                                      "Insufficient example.com/gpu"}));
}

TEST(FiltersTest, InitContainersAndSidecarsCountLikeKubernetes) {
  auto pod = MakePodInfo(MakePod("p", "", "", "{}", R"({
      "initContainers":[{"name":"sidecar","restartPolicy":"Always","resources":{"requests":{"cpu":"200m"}}},
                        {"name":"init","resources":{"requests":{"cpu":"2"}}}],
      "containers":[{"name":"c","resources":{"requests":{"cpu":"1"}}}]})"));
  // max(1 + 0.2 sidecar, 2 + 0.2 sidecar running during init) = 2.2
  EXPECT_EQ(pod->requests.milli_cpu, 2200);
  EXPECT_EQ(pod->non_zero_requests.memory, 2 * kDefaultMemoryRequest);  // max(c + sidecar, init + sidecar)
}

TEST(FiltersTest, NodeUnschedulableUnlessTolerated) {
  auto node = MakeNodeInfo(MakeNode("n", "4", "8Gi", "{}", R"({"unschedulable":true})"));
  FilterResult r = RunOn(MakePod("p"), {node});
  EXPECT_EQ(r.code, FilterCode::kUnresolvable);
  EXPECT_EQ(r.reasons[0], "node(s) were unschedulable");
  EXPECT_TRUE(
      RunOn(MakePod("p", "", "", "{}",
                    R"({"tolerations":[{"key":"node.kubernetes.io/unschedulable","operator":"Exists"}]})"),
            {node})
          .ok());
}

TEST(FiltersTest, TaintsNeedTolerations) {
  auto node = MakeNodeInfo(MakeNode("n", "4", "8Gi", "{}",
                                    R"({"taints":[{"key":"dedicated","value":"gpu","effect":"NoSchedule"},
                                                  {"key":"soft","effect":"PreferNoSchedule"}]})"));
  FilterResult r = RunOn(MakePod("p"), {node});
  EXPECT_EQ(r.reasons[0], "node(s) had untolerated taint {dedicated: gpu}");
  EXPECT_TRUE(
      RunOn(MakePod("p", "", "", "{}", R"({"tolerations":[{"key":"dedicated","value":"gpu"}]})"), {node})
          .ok());
  EXPECT_FALSE(
      RunOn(MakePod("p", "", "", "{}", R"({"tolerations":[{"key":"dedicated","value":"cpu"}]})"), {node})
          .ok());
  EXPECT_TRUE(RunOn(MakePod("p", "", "", "{}", R"({"tolerations":[{"operator":"Exists"}]})"), {node}).ok());
}

TEST(FiltersTest, NodeSelectorAndAffinity) {
  auto node = MakeNodeInfo(MakeNode("n1", "4", "8Gi", R"({"zone":"a","gen":"5"})"));
  EXPECT_TRUE(RunOn(MakePod("p", "", "", "{}", R"({"nodeSelector":{"zone":"a"}})"), {node}).ok());
  FilterResult r = RunOn(MakePod("p", "", "", "{}", R"({"nodeSelector":{"zone":"b"}})"), {node});
  EXPECT_EQ(r.reasons[0], "node(s) didn't match Pod's node affinity/selector");
  auto affinity = [](const std::string& terms) {
    return MakePod(
        "p", "", "", "{}",
        R"({"affinity":{"nodeAffinity":{"requiredDuringSchedulingIgnoredDuringExecution":{"nodeSelectorTerms":)" +
            terms + "}}}}");
  };
  EXPECT_TRUE(
      RunOn(affinity(R"([{"matchExpressions":[{"key":"gen","operator":"Gt","values":["4"]}]}])"), {node})
          .ok());
  EXPECT_FALSE(
      RunOn(affinity(R"([{"matchExpressions":[{"key":"gen","operator":"Lt","values":["4"]}]}])"), {node})
          .ok());
  EXPECT_TRUE(RunOn(affinity(R"([{"matchExpressions":[{"key":"zone","operator":"In","values":["x"]}]},
                               {"matchFields":[{"key":"metadata.name","operator":"In","values":["n1"]}]}])"),
                    {node})
                  .ok());
  EXPECT_FALSE(
      RunOn(affinity(R"([{"matchExpressions":[{"key":"zone","operator":"DoesNotExist"}]}])"), {node}).ok());
  EXPECT_FALSE(RunOn(affinity("[{}]"), {node}).ok());  // an empty term matches nothing
}

TEST(FiltersTest, HostPortsConflict) {
  std::string port80 = R"({"containers":[{"name":"c","ports":[{"containerPort":80,"hostPort":80}]}]})";
  auto node = MakeNodeInfo(MakeNode("n"), {MakePod("a", "", "", "{}", port80)});
  FilterResult r = RunOn(MakePod("p", "", "", "{}", port80), {node});
  EXPECT_EQ(r.reasons[0], "node(s) didn't have free ports for the requested pod ports");
  EXPECT_TRUE(
      RunOn(
          MakePod(
              "p", "", "", "{}",
              R"({"containers":[{"name":"c","ports":[{"containerPort":80,"hostPort":80,"protocol":"UDP"}]}]})"),
          {node})
          .ok());
}

TEST(FiltersTest, NodeName) {
  auto node = MakeNodeInfo(MakeNode("n1"));
  EXPECT_EQ(RunOn(MakePod("p", "", "", "{}", R"({"nodeName":"n2"})"), {node}).reasons[0],
            "node(s) didn't match the requested node name");
}

std::string AntiAffinity(const std::string& key) {
  return R"({"affinity":{"podAntiAffinity":{"requiredDuringSchedulingIgnoredDuringExecution":[
      {"labelSelector":{"matchLabels":{"app":"web"}},"topologyKey":")" +
         key + R"("}]}}})";
}

TEST(FiltersTest, InterPodAntiAffinityByHostnameAndZone) {
  auto n1 = MakeNodeInfo(MakeNode("n1", "4", "8Gi", R"({"zone":"a"})"),
                         {MakePod("w1", "", "", R"({"app":"web"})", AntiAffinity("kubernetes.io/hostname"))});
  auto n2 = MakeNodeInfo(MakeNode("n2", "4", "8Gi", R"({"zone":"a"})"));
  auto n3 = MakeNodeInfo(MakeNode("n3", "4", "8Gi", R"({"zone":"b"})"));
  auto pod = MakePod("w2", "", "", R"({"app":"web"})", AntiAffinity("kubernetes.io/hostname"));
  EXPECT_EQ(RunOn(pod, {n1, n2, n3}, 0).reasons[0], "node(s) didn't match pod anti-affinity rules");
  EXPECT_TRUE(RunOn(pod, {n1, n2, n3}, 1).ok());
  auto zonal = MakePod("w2", "", "", R"({"app":"web"})", AntiAffinity("zone"));
  EXPECT_FALSE(RunOn(zonal, {n1, n2, n3}, 1).ok());
  EXPECT_TRUE(RunOn(zonal, {n1, n2, n3}, 2).ok());
  // The existing pod's anti-affinity also rejects a pod it selects that has no rules of its own.
  FilterResult r = RunOn(MakePod("x", "", "", R"({"app":"web"})"), {n1, n2, n3}, 0);
  EXPECT_EQ(r.reasons[0], "node(s) didn't satisfy existing pods anti-affinity rules");
  // Other namespaces are not selected by default.
  EXPECT_TRUE(RunOn(MakePod("x", "", "", R"({"app":"web"})", "{}", "other"), {n1, n2, n3}, 0).ok());
}

TEST(FiltersTest, InterPodAffinityRequiresAMatchingPodInTheDomain) {
  std::string affinity = R"({"affinity":{"podAffinity":{"requiredDuringSchedulingIgnoredDuringExecution":[
      {"labelSelector":{"matchLabels":{"app":"db"}},"topologyKey":"zone"}]}}})";
  auto n1 =
      MakeNodeInfo(MakeNode("n1", "4", "8Gi", R"({"zone":"a"})"), {MakePod("db", "", "", R"({"app":"db"})")});
  auto n2 = MakeNodeInfo(MakeNode("n2", "4", "8Gi", R"({"zone":"a"})"));
  auto n3 = MakeNodeInfo(MakeNode("n3", "4", "8Gi", R"({"zone":"b"})"));
  auto pod = MakePod("web", "", "", R"({"app":"web"})", affinity);
  EXPECT_TRUE(RunOn(pod, {n1, n2, n3}, 1).ok());
  EXPECT_EQ(RunOn(pod, {n1, n2, n3}, 2).reasons[0], "node(s) didn't match pod affinity rules");
  // First pod of a self-selecting group: allowed anywhere with the key.
  auto self = MakePod("db2", "", "", R"({"app":"db"})", affinity);
  auto empty = MakeNodeInfo(MakeNode("n4", "4", "8Gi", R"({"zone":"c"})"));
  EXPECT_TRUE(RunOn(self, {empty}).ok());
}

TEST(FiltersTest, TopologySpreadDoNotSchedule) {
  auto nodes = testing::WebPodsAcrossZones("");
  auto pod = MakePod("p", "", "", R"({"app":"web"})", testing::Spread("zone", 1));
  EXPECT_EQ(RunOn(pod, nodes, 0).reasons[0], "node(s) didn't match pod topology spread constraints");
  EXPECT_TRUE(RunOn(pod, nodes, 1).ok());
  FilterResult r = RunOn(pod, nodes, 2);
  EXPECT_EQ(r.code, FilterCode::kUnresolvable);
  EXPECT_EQ(r.reasons[0], "node(s) didn't match pod topology spread constraints (missing required label)");
}

TEST(FitErrorTest, MessageCountsAndSortsReasons) {
  std::vector<std::pair<size_t, FilterResult>> failures;
  for (size_t i = 0; i < 3; ++i) {
    failures.push_back(
        {i, FilterResult::Fail(FilterCode::kUnschedulable, "NodeResourcesFit", "Insufficient cpu")});
  }
  for (size_t i = 3; i < 5; ++i) {
    failures.push_back({i, FilterResult::Fail(FilterCode::kUnschedulable, "InterPodAffinity",
                                              "node(s) didn't match pod anti-affinity rules")});
  }
  EXPECT_EQ(FitErrorMessage(5, failures),
            "0/5 nodes are available: 2 node(s) didn't match pod anti-affinity rules, 3 Insufficient cpu.");
}

TEST(AlgorithmTest, NumFeasibleNodesToFindFollowsKubernetes) {
  EXPECT_EQ(Algorithm::NumFeasibleNodesToFind(50, 0), 50u);
  EXPECT_EQ(Algorithm::NumFeasibleNodesToFind(1000, 0), 420u);   // 50 - 1000/125 = 42%
  EXPECT_EQ(Algorithm::NumFeasibleNodesToFind(5000, 0), 500u);   // 10%
  EXPECT_EQ(Algorithm::NumFeasibleNodesToFind(10000, 0), 500u);  // floor at 5%
  EXPECT_EQ(Algorithm::NumFeasibleNodesToFind(5000, 100), 5000u);
  EXPECT_EQ(Algorithm::NumFeasibleNodesToFind(1000, 1), 100u);  // never below 100
}

TEST(AlgorithmTest, ParallelFilteringFindsTheOnlyFittingNodeAndExplainsFailures) {
  std::vector<std::shared_ptr<NodeInfo>> nodes;
  for (int i = 0; i < 300; ++i) {
    nodes.push_back(MakeNodeInfo(MakeNode("n" + std::to_string(i), i == 217 ? "8" : "1")));
  }
  Snapshot snapshot = MakeSnapshot(nodes);
  Algorithm algorithm(AlgorithmOptions{0, 2});
  for (int round = 0; round < 3; ++round) {  // different start offsets
    ScheduleResult r = algorithm.Schedule(*MakePodInfo(MakePod("p", "4")), snapshot);
    EXPECT_EQ(r.node, "n217");
  }
  ScheduleResult none = algorithm.Schedule(*MakePodInfo(MakePod("p", "16")), snapshot);
  EXPECT_TRUE(none.node.empty());
  EXPECT_EQ(none.failures.size(), 300u);
  EXPECT_EQ(none.message, "0/300 nodes are available: 300 Insufficient cpu.");
}

TEST(AlgorithmTest, SamplingStopsEarly) {
  std::vector<std::shared_ptr<NodeInfo>> nodes;
  for (int i = 0; i < 1000; ++i) nodes.push_back(MakeNodeInfo(MakeNode("n" + std::to_string(i))));
  Snapshot snapshot = MakeSnapshot(nodes);
  Algorithm sampled(AlgorithmOptions{0, 2});
  ScheduleResult r = sampled.Schedule(*MakePodInfo(MakePod("p")), snapshot);
  EXPECT_EQ(r.feasible, 420u);
  EXPECT_LT(r.evaluated, 1000u);
  Algorithm all(AlgorithmOptions{100, 2});
  EXPECT_EQ(all.Schedule(*MakePodInfo(MakePod("p")), snapshot).feasible, 1000u);
}

}  // namespace
}  // namespace skiff::scheduler
