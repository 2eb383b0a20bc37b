// NodeGraph and the pod references it counts: adds, shared references, re-binding, deletions,
// PersistentVolumes through their claims.
#include "apiserver/node_authorizer/node_graph.h"

#include <string>

#include "apiserver/node_authorizer/pod_references.h"
#include "base/json.h"
#include "boost/json.hpp"
#include "gtest/gtest.h"

namespace skiff::apiserver::node_authorizer {
namespace {

namespace json = boost::json;

json::value Pod(const std::string& name, const std::string& node, const std::string& spec_extra = "") {
  std::string text = R"({"metadata":{"namespace":"ns","name":")" + name + R"("},"spec":{)";
  if (!node.empty()) text += R"("nodeName":")" + node + R"(",)";
  text += R"("containers":[{"name":"c","image":"i"}])" + spec_extra + "}}";
  return *base::ParseJson(text);
}

constexpr char kUsesEverything[] = R"(,
  "serviceAccountName":"sa",
  "imagePullSecrets":[{"name":"pull"}],
  "volumes":[{"name":"v1","secret":{"secretName":"vol-secret"}},
             {"name":"v2","configMap":{"name":"vol-cm"}},
             {"name":"v3","persistentVolumeClaim":{"claimName":"claim"}},
             {"name":"v4","projected":{"sources":[{"secret":{"name":"proj-secret"}},{"configMap":{"name":"proj-cm"}}]}},
             {"name":"v5","csi":{"driver":"d","nodePublishSecretRef":{"name":"csi-secret"}}},
             {"name":"eph","ephemeral":{"volumeClaimTemplate":{"spec":{}}}}],
  "initContainers":[{"name":"i","image":"i","envFrom":[{"secretRef":{"name":"init-secret"}}]}],
  "ephemeralContainers":[{"name":"e","image":"i","env":[{"name":"X","valueFrom":{"configMapKeyRef":{"name":"eph-cm","key":"k"}}}]}])";

TEST(PodReferencesTest, FindsEveryKindOfReference) {
  json::value pod = Pod("p", "n1", kUsesEverything);
  pod.as_object()["spec"].as_object()["containers"] = *base::ParseJson(R"([{"name":"c","image":"i",
      "env":[{"name":"A","valueFrom":{"secretKeyRef":{"name":"env-secret","key":"k"}}}],
      "envFrom":[{"configMapRef":{"name":"envfrom-cm"}}]}])");
  PodReferences refs = ReferencesOf(pod);
  EXPECT_EQ(refs.secrets, (std::set<std::string>{"csi-secret", "env-secret", "init-secret", "proj-secret",
                                                 "pull", "vol-secret"}));
  EXPECT_EQ(refs.config_maps, (std::set<std::string>{"envfrom-cm", "eph-cm", "proj-cm", "vol-cm"}));
  EXPECT_EQ(refs.claims, (std::set<std::string>{"claim", "p-eph"}));
  EXPECT_EQ(refs.service_account, "sa");
}

TEST(NodeGraphTest, ABoundPodMakesWhatItUsesReachableFromItsNodeOnly) {
  NodeGraph graph;
  graph.UpsertPod(Pod("p", "n1", kUsesEverything));
  EXPECT_TRUE(graph.Reaches("n1", ObjectType::kPod, "ns", "p"));
  EXPECT_TRUE(graph.Reaches("n1", ObjectType::kSecret, "ns", "vol-secret"));
  EXPECT_TRUE(graph.Reaches("n1", ObjectType::kSecret, "ns", "pull"));
  EXPECT_TRUE(graph.Reaches("n1", ObjectType::kConfigMap, "ns", "proj-cm"));
  EXPECT_TRUE(graph.Reaches("n1", ObjectType::kClaim, "ns", "claim"));
  EXPECT_TRUE(graph.Reaches("n1", ObjectType::kClaim, "ns", "p-eph"));
  EXPECT_TRUE(graph.Reaches("n1", ObjectType::kServiceAccount, "ns", "sa"));
  EXPECT_FALSE(graph.Reaches("n1", ObjectType::kSecret, "ns", "other"));
  EXPECT_FALSE(graph.Reaches("n1", ObjectType::kSecret, "other-ns", "vol-secret"));
  EXPECT_FALSE(graph.Reaches("n1", ObjectType::kConfigMap, "ns", "vol-secret"));  // types do not mix
  EXPECT_FALSE(graph.Reaches("n2", ObjectType::kSecret, "ns", "vol-secret"));
  EXPECT_EQ(graph.NodeOfPod("ns", "p"), "n1");
}

TEST(NodeGraphTest, AnUnboundPodReachesNothingUntilItIsBound) {
  NodeGraph graph;
  graph.UpsertPod(Pod("p", "", kUsesEverything));
  EXPECT_FALSE(graph.Reaches("n1", ObjectType::kSecret, "ns", "vol-secret"));
  EXPECT_EQ(graph.pod_count(), 0u);
  graph.UpsertPod(Pod("p", "n1", kUsesEverything));
  EXPECT_TRUE(graph.Reaches("n1", ObjectType::kSecret, "ns", "vol-secret"));
}

TEST(NodeGraphTest, RebindingMovesTheReferencesToTheNewNode) {
  NodeGraph graph;
  graph.UpsertPod(Pod("p", "n1", kUsesEverything));
  graph.UpsertPod(Pod("p", "n2", kUsesEverything));
  EXPECT_FALSE(graph.Reaches("n1", ObjectType::kSecret, "ns", "vol-secret"));
  EXPECT_FALSE(graph.Reaches("n1", ObjectType::kPod, "ns", "p"));
  EXPECT_TRUE(graph.Reaches("n2", ObjectType::kSecret, "ns", "vol-secret"));
  EXPECT_EQ(graph.pod_count(), 1u);
}

TEST(NodeGraphTest, ASharedReferenceStaysUntilItsLastPodGoes) {
  NodeGraph graph;
  graph.UpsertPod(Pod("a", "n1", R"(,"volumes":[{"name":"v","secret":{"secretName":"shared"}}])"));
  graph.UpsertPod(Pod("b", "n1", R"(,"volumes":[{"name":"v","secret":{"secretName":"shared"}}])"));
  graph.RemovePod("ns", "a");
  EXPECT_TRUE(graph.Reaches("n1", ObjectType::kSecret, "ns", "shared"));
  // An update that drops the reference counts as much as a deletion.
  graph.UpsertPod(Pod("b", "n1"));
  EXPECT_FALSE(graph.Reaches("n1", ObjectType::kSecret, "ns", "shared"));
  EXPECT_TRUE(graph.Reaches("n1", ObjectType::kPod, "ns", "b"));
  graph.RemovePod("ns", "b");
  EXPECT_FALSE(graph.Reaches("n1", ObjectType::kPod, "ns", "b"));
  EXPECT_EQ(graph.pod_count(), 0u);
  graph.RemovePod("ns", "never-added");  // harmless
}

TEST(NodeGraphTest, AVolumeAndItsSecretsAreReachableThroughItsBoundClaim) {
  NodeGraph graph;
  graph.UpsertVolume(*base::ParseJson(R"({"metadata":{"name":"pv1"},"spec":{
      "claimRef":{"namespace":"ns","name":"claim"},
      "csi":{"driver":"d","nodeStageSecretRef":{"name":"stage","namespace":"storage"}},
      "rbd":{"secretRef":{"name":"rbd-secret"}}}})"));
  EXPECT_FALSE(graph.Reaches("n1", ObjectType::kVolume, "", "pv1"));
  graph.UpsertPod(
      Pod("p", "n1", R"(,"volumes":[{"name":"v","persistentVolumeClaim":{"claimName":"claim"}}])"));
  EXPECT_TRUE(graph.Reaches("n1", ObjectType::kVolume, "", "pv1"));
  EXPECT_TRUE(graph.Reaches("n1", ObjectType::kSecret, "storage", "stage"));
  EXPECT_TRUE(graph.Reaches("n1", ObjectType::kSecret, "ns", "rbd-secret"));  // the claim's namespace
  EXPECT_FALSE(graph.Reaches("n2", ObjectType::kVolume, "", "pv1"));
  graph.RemoveVolume("pv1");
  EXPECT_FALSE(graph.Reaches("n1", ObjectType::kVolume, "", "pv1"));
  EXPECT_FALSE(graph.Reaches("n1", ObjectType::kSecret, "storage", "stage"));
}

}  // namespace
}  // namespace skiff::apiserver::node_authorizer
