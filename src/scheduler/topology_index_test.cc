#include "scheduler/topology_index.h"

#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "scheduler/cache.h"
#include "scheduler/filters.h"
#include "scheduler/scores.h"
#include "scheduler/test_util.h"

namespace skiff::scheduler {
namespace {

using testing::Json;
using testing::MakeNode;
using testing::MakePod;
using testing::Obj;
using testing::Spread;

PodInfoPtr Placed(const client::Object& pod, const std::string& node) {
  auto info = std::make_shared<PodInfo>(*MakePodInfo(pod));
  info->node_name = node;
  return info;
}

std::string AntiAffinity(const std::string& selector, const std::string& key, const std::string& extra = "") {
  return R"({"affinity":{"podAntiAffinity":{"requiredDuringSchedulingIgnoredDuringExecution":[
      {"labelSelector":)" +
         selector + R"(,"topologyKey":")" + key + "\"" + extra + "}]}}}";
}

std::string Affinity(const std::string& selector, const std::string& key) {
  return R"({"affinity":{"podAffinity":{"requiredDuringSchedulingIgnoredDuringExecution":[
      {"labelSelector":)" +
         selector + R"(,"topologyKey":")" + key + R"("}]}}})";
}

// Filter verdicts of `pod` on every node of `snapshot`, as "node:plugin" ("node:ok" when it fits).
std::vector<std::string> Verdicts(const PodInfo& pod, const Snapshot& snapshot) {
  CycleState state = PreFilter(pod, snapshot);
  std::vector<std::string> out;
  for (const NodeInfoPtr& node : snapshot.nodes) {
    FilterResult r = RunFilters(state, *node);
    out.push_back(node->name() + ":" + (r.ok() ? "ok" : r.plugin + "/" + r.reasons[0]));
  }
  return out;
}

// The same verdicts over a copy of the snapshot without its index: PreFilter then counts from
// scratch, so any drift of the incremental counts shows up as a difference.
std::vector<std::string> FreshVerdicts(const PodInfo& pod, const Snapshot& snapshot) {
  Snapshot copy = snapshot;
  copy.topology = nullptr;
  return Verdicts(pod, copy);
}

class TopologyIndexTest : public ::testing::Test {
 protected:
  void SetUp() override {
    cache_.SetNamespace("default", Json("{}"));
    for (int i = 0; i < 6; ++i) {
      std::string zone = i < 2 ? "a" : i < 4 ? "b" : "c";
      cache_.AddOrUpdateNode(MakeNode("n" + std::to_string(i), "4", "8Gi", R"({"zone":")" + zone + R"("})"));
    }
    cache_.AddOrUpdateNode(MakeNode("nozone"));
    Update();
  }
  void Update() { cache_.UpdateSnapshot(&snapshot_); }
  // Checks the incremental verdicts against fresh ones and returns them.
  std::vector<std::string> Check(const client::Object& pod) {
    PodInfoPtr info = MakePodInfo(pod);
    std::vector<std::string> incremental = Verdicts(*info, snapshot_);
    EXPECT_EQ(incremental, FreshVerdicts(*info, snapshot_));
    return incremental;
  }
  std::string VerdictOn(const client::Object& pod, const std::string& node) {
    std::vector<std::string> all = Check(pod);
    for (const auto& v : all) {
      if (v.rfind(node + ":", 0) == 0) return v.substr(node.size() + 1);
    }
    return "missing";
  }

  SchedulerCache cache_;
  Snapshot snapshot_;
};

TEST_F(TopologyIndexTest, AntiAffinityCountsAssumedPodsAndFollowsEveryCacheChange) {
  std::string anti = AntiAffinity(R"({"matchLabels":{"app":"web"}})", "kubernetes.io/hostname");
  auto incoming = MakePod("new", "", "", R"({"app":"web"})", anti);
  EXPECT_EQ(VerdictOn(incoming, "n0"), "ok");
  // Assumed, not yet bound: already counts.
  ASSERT_TRUE(cache_.AssumePod(Placed(MakePod("w1", "", "", R"({"app":"web"})", anti), "n0")).ok());
  Update();
  EXPECT_EQ(VerdictOn(incoming, "n0"), "InterPodAffinity/node(s) didn't match pod anti-affinity rules");
  EXPECT_EQ(VerdictOn(incoming, "n1"), "ok");
  // The informer confirms it on another node: the count moves.
  cache_.AddOrUpdatePod(Placed(MakePod("w1", "", "", R"({"app":"web"})", anti), "n2"));
  Update();
  EXPECT_EQ(VerdictOn(incoming, "n0"), "ok");
  EXPECT_EQ(VerdictOn(incoming, "n2"), "InterPodAffinity/node(s) didn't match pod anti-affinity rules");
  // A pod without rules of its own is kept off n2 by w1's anti-affinity (the group index).
  EXPECT_EQ(VerdictOn(MakePod("plain", "", "", R"({"app":"web"})"), "n2"),
            "InterPodAffinity/node(s) didn't satisfy existing pods anti-affinity rules");
  // A failed binding forgets an assumed pod.
  ASSERT_TRUE(cache_.AssumePod(Placed(MakePod("w2", "", "", R"({"app":"web"})", anti), "n3")).ok());
  Update();
  EXPECT_NE(VerdictOn(incoming, "n3"), "ok");
  cache_.ForgetPod("default/w2");
  Update();
  EXPECT_EQ(VerdictOn(incoming, "n3"), "ok");
  // Relabelling the node moves its pods to another domain; removing the node drops them.
  std::string zonal = AntiAffinity(R"({"matchLabels":{"app":"web"}})", "zone");
  auto zonal_pod = MakePod("z", "", "", R"({"app":"web"})", zonal);
  EXPECT_NE(VerdictOn(zonal_pod, "n3"), "ok");  // w1 on n2, zone b
  cache_.AddOrUpdateNode(MakeNode("n2", "4", "8Gi", R"({"zone":"c"})"));
  Update();
  EXPECT_EQ(VerdictOn(zonal_pod, "n3"), "ok");
  EXPECT_NE(VerdictOn(zonal_pod, "n4"), "ok");
  cache_.RemoveNode("n2");
  Update();
  EXPECT_EQ(VerdictOn(zonal_pod, "n4"), "ok");
  cache_.RemovePod("default/w1");
  Update();
  EXPECT_EQ(snapshot_.topology->anti_affinity_groups().size(), 0u);
}

TEST_F(TopologyIndexTest, NodesWithoutTheTopologyLabel) {
  std::string zonal = AntiAffinity(R"({"matchLabels":{"app":"web"}})", "zone");
  // A matching pod on a node without the key counts in no domain.
  cache_.AddOrUpdatePod(Placed(MakePod("w", "", "", R"({"app":"web"})"), "nozone"));
  Update();
  auto pod = MakePod("p", "", "", R"({"app":"web"})", zonal);
  for (const auto& v : Check(pod)) EXPECT_TRUE(v.find(":ok") != std::string::npos) << v;
  // Spread: a node without the key is unresolvable and is no domain (the minimum ignores it).
  cache_.AddOrUpdatePod(Placed(MakePod("a1", "", "", R"({"app":"web"})"), "n0"));
  cache_.AddOrUpdatePod(Placed(MakePod("b1", "", "", R"({"app":"web"})"), "n2"));
  Update();
  auto spread = MakePod("s", "", "", R"({"app":"web"})", Spread("zone", 1));
  EXPECT_EQ(
      VerdictOn(spread, "nozone"),
      "PodTopologySpread/node(s) didn't match pod topology spread constraints (missing required label)");
  EXPECT_EQ(VerdictOn(spread, "n4"), "ok");  // zone c: 0 + 1 - 0 <= 1
  EXPECT_EQ(VerdictOn(spread, "n0"),
            "PodTopologySpread/node(s) didn't match pod topology spread constraints");
  // Required affinity: a node lacking the key is unresolvable; a domain without a match fails.
  auto follower = MakePod("f", "", "", "{}", Affinity(R"({"matchLabels":{"app":"web"}})", "zone"));
  EXPECT_EQ(VerdictOn(follower, "nozone"), "InterPodAffinity/node(s) didn't match pod affinity rules");
  EXPECT_EQ(VerdictOn(follower, "n1"), "ok");
  EXPECT_EQ(VerdictOn(follower, "n4"), "InterPodAffinity/node(s) didn't match pod affinity rules");
  // A pod in zone c raises the global minimum to 1.
  cache_.AddOrUpdatePod(Placed(MakePod("c1", "", "", R"({"app":"web"})"), "n5"));
  Update();
  EXPECT_EQ(VerdictOn(spread, "n0"), "ok");  // 1 + 1 - 1 <= 1
  EXPECT_EQ(VerdictOn(follower, "n4"), "ok");
}

TEST_F(TopologyIndexTest, TerminatingPodsDoNotCountForSpread) {
  auto spread = MakePod("s", "", "", R"({"app":"web"})", Spread("zone", 1));
  cache_.AddOrUpdatePod(Placed(MakePod("a1", "", "", R"({"app":"web"})"), "n0"));
  cache_.AddOrUpdatePod(Placed(MakePod("a2", "", "", R"({"app":"web"})"), "n1"));
  cache_.AddOrUpdatePod(Placed(MakePod("b1", "", "", R"({"app":"web"})"), "n2"));
  Update();
  EXPECT_NE(VerdictOn(spread, "n0"), "ok");  // a: 2, c: 0
  // Both zone-a pods start terminating: zone a drops to 0 while c is empty, so a is fine again.
  for (const char* name : {"a1", "a2"}) {
    boost::json::value pod = *MakePod(name, "", "", R"({"app":"web"})");
    pod.as_object()["metadata"].as_object()["deletionTimestamp"] = "2024-01-01T00:00:00Z";
    cache_.AddOrUpdatePod(Placed(Obj(pod), name == std::string("a1") ? "n0" : "n1"));
  }
  Update();
  EXPECT_EQ(VerdictOn(spread, "n0"), "ok");
  EXPECT_NE(VerdictOn(spread, "n2"), "ok");  // b: 1 + 1 - 0 > 1
}

TEST_F(TopologyIndexTest, NamespacesAndNamespaceSelector) {
  cache_.SetNamespace("team-a", Json(R"({"team":"a"})"));
  cache_.SetNamespace("team-b", Json(R"({"team":"b"})"));
  Update();
  cache_.AddOrUpdatePod(Placed(MakePod("w", "", "", R"({"app":"web"})", "{}", "team-a"), "n0"));
  Update();
  // Default: only the pod's own namespace.
  std::string own_ns = AntiAffinity(R"({"matchLabels":{"app":"web"}})", "kubernetes.io/hostname");
  EXPECT_EQ(VerdictOn(MakePod("p", "", "", R"({"app":"web"})", own_ns), "n0"), "ok");
  EXPECT_NE(VerdictOn(MakePod("p", "", "", R"({"app":"web"})", own_ns, "team-a"), "n0"), "ok");
  // An explicit namespace list.
  std::string listed = AntiAffinity(R"({"matchLabels":{"app":"web"}})", "kubernetes.io/hostname",
                                    R"(,"namespaces":["team-a"])");
  EXPECT_NE(VerdictOn(MakePod("p", "", "", R"({"app":"web"})", listed), "n0"), "ok");
  // namespaceSelector: follows namespace label changes.
  std::string by_label = AntiAffinity(R"({"matchLabels":{"app":"web"}})", "kubernetes.io/hostname",
                                      R"(,"namespaceSelector":{"matchLabels":{"team":"a"}})");
  auto pod = MakePod("p", "", "", R"({"app":"web"})", by_label);
  EXPECT_NE(VerdictOn(pod, "n0"), "ok");
  cache_.SetNamespace("team-a", Json(R"({"team":"z"})"));
  Update();
  EXPECT_EQ(VerdictOn(pod, "n0"), "ok");
  cache_.SetNamespace("team-b", Json(R"({"team":"a"})"));
  cache_.AddOrUpdatePod(Placed(MakePod("w2", "", "", R"({"app":"web"})", "{}", "team-b"), "n3"));
  Update();
  EXPECT_NE(VerdictOn(pod, "n3"), "ok");
  // An empty namespaceSelector selects every namespace.
  std::string all = AntiAffinity(R"({"matchLabels":{"app":"web"}})", "kubernetes.io/hostname",
                                 R"(,"namespaceSelector":{})");
  EXPECT_NE(VerdictOn(MakePod("p", "", "", R"({"app":"web"})", all), "n0"), "ok");
  // Spread counts only the pod's namespace.
  auto spread = MakePod("s", "", "", R"({"app":"web"})", Spread("kubernetes.io/hostname", 1), "team-a");
  EXPECT_EQ(VerdictOn(spread, "n3"), "ok");
}

TEST_F(TopologyIndexTest, MatchLabelKeysNarrowTheSpreadSelector) {
  std::string keys = R"(,"matchLabelKeys":["pod-template-hash"])";
  for (int i = 0; i < 2; ++i) {  // two old-revision pods in zone a
    cache_.AddOrUpdatePod(Placed(
        MakePod("old" + std::to_string(i), "", "", R"({"app":"web","pod-template-hash":"old"})"), "n0"));
  }
  Update();
  auto fresh = MakePod("new", "", "", R"({"app":"web","pod-template-hash":"new"})", Spread("zone", 1, keys));
  EXPECT_EQ(VerdictOn(fresh, "n0"), "ok");  // the old revision is not counted
  auto old = MakePod("old9", "", "", R"({"app":"web","pod-template-hash":"old"})", Spread("zone", 1, keys));
  EXPECT_NE(VerdictOn(old, "n0"), "ok");
}

TEST_F(TopologyIndexTest, AffinityFirstPodOfASelfSelectingGroupAndSharedCounters) {
  std::string affinity = Affinity(R"({"matchLabels":{"app":"db"}})", "zone");
  auto first = MakePod("db0", "", "", R"({"app":"db"})", affinity);
  for (const auto& v : Check(first)) {
    if (v.rfind("nozone:", 0) != 0) {
      EXPECT_TRUE(v.find(":ok") != std::string::npos) << v;
    }
  }
  ASSERT_TRUE(cache_.AssumePod(Placed(first, "n5")).ok());
  Update();
  auto second = MakePod("db1", "", "", R"({"app":"db"})", affinity);
  EXPECT_EQ(VerdictOn(second, "n4"), "ok");  // zone c
  EXPECT_NE(VerdictOn(second, "n0"), "ok");
  // Pods with the same terms share one counter; unused counters are dropped.
  size_t counters = snapshot_.topology->NumCounters();
  Check(MakePod("db2", "", "", R"({"app":"db"})", affinity));
  EXPECT_EQ(snapshot_.topology->NumCounters(), counters);
  for (uint64_t i = 0; i <= TopologyIndex::kIdleTicks + 64; ++i) Update();
  EXPECT_EQ(snapshot_.topology->NumCounters(), 0u);
  EXPECT_EQ(VerdictOn(second, "n4"), "ok");  // rebuilt on demand
}

TEST_F(TopologyIndexTest, ManyRandomChangesKeepTheCountsExact) {
  std::string anti =
      AntiAffinity(R"({"matchExpressions":[{"key":"app","operator":"In","values":["web"]}]})", "zone");
  std::vector<client::Object> probes = {
      MakePod("p1", "", "", R"({"app":"web"})", Spread("zone", 1)),
      MakePod("p2", "", "", R"({"app":"web"})", Spread("kubernetes.io/hostname", 2)),
      MakePod("p3", "", "", R"({"app":"web"})", anti),
      MakePod("p4", "", "", "{}", Affinity(R"({"matchLabels":{"app":"web"}})", "kubernetes.io/hostname")),
  };
  for (const auto& p : probes) Check(p);  // creates the counters, which must then follow changes
  uint32_t seed = 7;
  auto next = [&] { return seed = seed * 1103515245u + 12345u, (seed >> 16) % 1000; };
  for (int step = 0; step < 300; ++step) {
    std::string name = "x" + std::to_string(next() % 40);
    std::string node = "n" + std::to_string(next() % 6);
    switch (next() % 5) {
      case 0:
        (void)cache_.AssumePod(
            Placed(MakePod(name, "", "", R"({"app":"web"})", next() % 2 ? anti : "{}"), node));
        break;
      case 1:
        cache_.AddOrUpdatePod(Placed(MakePod(name, "", "", next() % 2 ? R"({"app":"web"})" : "{}"), node));
        break;
      case 2:
        cache_.RemovePod("default/" + name);
        break;
      case 3:
        cache_.ForgetPod("default/" + name);
        break;
      default:
        cache_.AddOrUpdateNode(MakeNode(node, "4", "8Gi", next() % 3 ? R"({"zone":"a"})" : "{}"));
        break;
    }
    if (next() % 3 == 0) {
      Update();
      Check(probes[next() % probes.size()]);
    }
  }
  Update();
  for (const auto& p : probes) Check(p);
}

TEST(ImageLocalityTest, ScalesImageSizeBySpreadAndClampsPerContainer) {
  constexpr int64_t kMb = 1024 * 1024;
  auto node = [](const std::string& name, const std::string& images) {
    boost::json::value n = *MakeNode(name);
    n.as_object()["status"].as_object()["images"] = Json(images);
    return testing::MakeNodeInfo(Obj(n));
  };
  std::string big =
      R"([{"names":["registry.example/big:1.0","registry.example/big@sha256:ab"],"sizeBytes":)" +
      std::to_string(500 * kMb) + "}]";
  std::string small =
      R"([{"names":["registry.example/small:latest"],"sizeBytes":)" + std::to_string(30 * kMb) + "}]";
  auto n1 = node("n1", big);
  auto n2 = node("n2", big);
  auto n3 = node("n3", small);
  auto n4 = node("n4", "[]");
  Snapshot snapshot = testing::MakeSnapshot({n1, n2, n3, n4});
  auto index = TopologyIndex::Build(snapshot, "");
  auto pod = MakePodInfo(MakePod("p", "", "", "{}", R"({"containers":[
      {"name":"a","image":"registry.example/big:1.0"},{"name":"b","image":"registry.example/small"}]})"));
  ASSERT_EQ(pod->images,
            (std::vector<std::string>{"registry.example/big:1.0", "registry.example/small:latest"}));
  // n1: 500 MB on 2 of 4 nodes = 250 MB; max 2 x 1000 MB: 100 * (250 - 23) / (2000 - 23) = 11.
  EXPECT_EQ(ScoreImageLocality(*pod, *n1, *index, 4), 100 * (250 * kMb - 23 * kMb) / (2000 * kMb - 23 * kMb));
  EXPECT_EQ(ScoreImageLocality(*pod, *n1, *index, 4), 11);
  // n3: 30 MB on 1 of 4 nodes = 7.5 MB, below the 23 MB floor.
  EXPECT_EQ(ScoreImageLocality(*pod, *n3, *index, 4), 0);
  EXPECT_EQ(ScoreImageLocality(*pod, *n4, *index, 4), 0);
  // A huge image everywhere saturates at 100 for one container.
  auto huge = node("h", R"([{"names":["huge:1"],"sizeBytes":)" + std::to_string(5000 * kMb) + "}]");
  Snapshot one = testing::MakeSnapshot({huge});
  auto one_index = TopologyIndex::Build(one, "");
  auto single = MakePodInfo(MakePod("q", "", "", "{}", R"({"containers":[{"name":"a","image":"huge:1"}]})"));
  EXPECT_EQ(ScoreImageLocality(*single, *huge, *one_index, 1), 100);
  // Scoring prefers the node holding the image.
  std::vector<int64_t> total = ScoreNodes(*pod, snapshot, {n1.get(), n4.get()});
  EXPECT_GT(total[0], total[1]);
}

TEST(ImageLocalityTest, NormalizedImageName) {
  EXPECT_EQ(NormalizedImageName("nginx"), "nginx:latest");
  EXPECT_EQ(NormalizedImageName("nginx:1.25"), "nginx:1.25");
  EXPECT_EQ(NormalizedImageName("localhost:5000/app"), "localhost:5000/app:latest");
  EXPECT_EQ(NormalizedImageName("localhost:5000/app:v1"), "localhost:5000/app:v1");
  EXPECT_EQ(NormalizedImageName("app@sha256:abcd"), "app@sha256:abcd");
}

}  // namespace
}  // namespace skiff::scheduler
