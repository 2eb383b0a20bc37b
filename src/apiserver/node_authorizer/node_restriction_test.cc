// NodeRestriction: what a node may write to pods, Nodes and Leases, with Kubernetes' messages.
#include "apiserver/node_authorizer/node_restriction.h"

#include <string>

#include "api/errors.h"
#include "api/resources.h"
#include "apiserver/auth.h"
#include "base/json.h"
#include "boost/json.hpp"
#include "gtest/gtest.h"

namespace skiff::apiserver::node_authorizer {
namespace {

namespace json = boost::json;

const User kNode1{"system:node:n1", "", {"system:nodes"}};

class NodeRestrictionTest : public ::testing::Test {
 protected:
  absl::Status Check(AdmissionOperation op, const char* group, const char* plural, const std::string& ns,
                     const std::string& name, const char* obj, const char* old, const char* sub = "",
                     const User& user = kNode1) {
    const api::ResourceInfo* r = api::FindResource(group, group[0] ? "v1" : "v1", plural);
    AdmissionRequest request{
        .operation = op, .resource = r, .subresource = sub, .ns = ns, .name = name, .user = &user};
    json::value o = obj ? *base::ParseJson(obj) : json::value();
    json::value w = old ? *base::ParseJson(old) : json::value();
    return plugin_.Validate(request, obj ? &o : nullptr, old ? &w : nullptr);
  }
  absl::Status Pod(AdmissionOperation op, const char* obj, const char* old, const char* sub = "") {
    return Check(op, "", "pods", "ns", "p", obj, old, sub);
  }
  absl::Status Node(AdmissionOperation op, const std::string& name, const char* obj, const char* old) {
    return Check(op, "", "nodes", "", name, obj, old);
  }
  NodeRestriction plugin_{nullptr};
};

constexpr char kMirrorOnN1[] =
    R"({"metadata":{"name":"p","annotations":{"kubernetes.io/config.mirror":"x"}},"spec":{"nodeName":"n1"}})";
constexpr char kMirrorOnN2[] =
    R"({"metadata":{"name":"p","annotations":{"kubernetes.io/config.mirror":"x"}},"spec":{"nodeName":"n2"}})";
constexpr char kPlainOnN1[] = R"({"metadata":{"name":"p"},"spec":{"nodeName":"n1"}})";
constexpr char kPlainOnN2[] = R"({"metadata":{"name":"p"},"spec":{"nodeName":"n2"}})";

TEST_F(NodeRestrictionTest, NodesCreateOnlyTheirOwnMirrorPodsThatUseNothing) {
  EXPECT_TRUE(Pod(AdmissionOperation::kCreate, kMirrorOnN1, nullptr).ok());
  EXPECT_EQ(Pod(AdmissionOperation::kCreate, kMirrorOnN2, nullptr).message(),
            R"(pods "p" is forbidden: node "n1" can only create pods with spec.nodeName set to itself)");
  EXPECT_EQ(
      Pod(AdmissionOperation::kCreate, kPlainOnN1, nullptr).message(),
      R"(pods "p" is forbidden: pod does not have "kubernetes.io/config.mirror" annotation, node "n1" can only create mirror pods)");
  EXPECT_EQ(Pod(AdmissionOperation::kCreate,
                R"({"metadata":{"name":"p","annotations":{"kubernetes.io/config.mirror":"x"}},
                    "spec":{"nodeName":"n1","volumes":[{"name":"v","secret":{"secretName":"s"}}]}})",
                nullptr)
                .message(),
            R"(pods "p" is forbidden: node "n1" can not create pods that reference secrets)");
  EXPECT_EQ(api::HttpCode(Pod(AdmissionOperation::kCreate,
                              R"({"metadata":{"name":"p","annotations":{"kubernetes.io/config.mirror":"x"},
                                  "ownerReferences":[{"apiVersion":"v1","kind":"Node","name":"n2","uid":"u"}]},
                                  "spec":{"nodeName":"n1"}})",
                              nullptr)),
            403);
}

TEST_F(NodeRestrictionTest, StatusDeletionAndEvictionOnlyForPodsBoundToTheNode) {
  EXPECT_TRUE(Pod(AdmissionOperation::kUpdate, kPlainOnN1, kPlainOnN1, "status").ok());
  EXPECT_EQ(
      Pod(AdmissionOperation::kUpdate, kPlainOnN2, kPlainOnN2, "status").message(),
      R"(pods "p" is forbidden: node "n1" can only update pod status for pods with spec.nodeName set to itself)");
  EXPECT_EQ(api::HttpCode(Pod(AdmissionOperation::kUpdate, kPlainOnN1, kPlainOnN1)), 403);
  EXPECT_TRUE(Pod(AdmissionOperation::kDelete, nullptr, kPlainOnN1).ok());
  EXPECT_EQ(Pod(AdmissionOperation::kDelete, nullptr, kPlainOnN2).message(),
            R"(pods "p" is forbidden: node "n1" can only delete pods with spec.nodeName set to itself)");
  // Other users pass untouched.
  User admin{"admin", "", {"system:masters"}};
  EXPECT_TRUE(Check(AdmissionOperation::kDelete, "", "pods", "ns", "p", nullptr, kPlainOnN2, "", admin).ok());
}

TEST_F(NodeRestrictionTest, NodesWriteOnlyTheirOwnNodeWithinTheKubeletsLabelsAndTaints) {
  constexpr char kN1[] = R"({"metadata":{"name":"n1","labels":{"kubernetes.io/os":"linux"}},
                              "spec":{"taints":[{"key":"a","effect":"NoSchedule"}]}})";
  EXPECT_TRUE(Node(AdmissionOperation::kCreate, "n1", kN1, nullptr).ok());
  EXPECT_EQ(Node(AdmissionOperation::kUpdate, "n2", kN1, kN1).message(),
            R"(nodes "n2" is forbidden: node "n1" is not allowed to modify node "n2")");
  EXPECT_EQ(api::HttpCode(Node(AdmissionOperation::kDelete, "n2", nullptr, kN1)), 403);
  EXPECT_TRUE(Node(AdmissionOperation::kUpdate, "n1",
                   R"({"metadata":{"name":"n1","labels":{"kubernetes.io/os":"linux","example.com/x":"y",
                       "node.kubernetes.io/instance-type":"big"}},
                       "spec":{"taints":[{"key":"a","effect":"NoSchedule"}]},"status":{"phase":"Running"}})",
                   kN1)
                  .ok());
  EXPECT_EQ(Node(AdmissionOperation::kUpdate, "n1",
                 R"({"metadata":{"name":"n1","labels":{"kubernetes.io/os":"linux"}},"spec":{}})", kN1)
                .message(),
            R"(nodes "n1" is forbidden: node "n1" is not allowed to modify taints)");
  EXPECT_EQ(
      Node(AdmissionOperation::kUpdate, "n1",
           R"({"metadata":{"name":"n1","labels":{"kubernetes.io/os":"linux",
                     "node-restriction.kubernetes.io/pci":"yes","node-role.kubernetes.io/master":""}},
                     "spec":{"taints":[{"key":"a","effect":"NoSchedule"}]}})",
           kN1)
          .message(),
      R"(nodes "n1" is forbidden: is not allowed to modify labels: node-restriction.kubernetes.io/pci, node-role.kubernetes.io/master)");
  EXPECT_EQ(
      Node(AdmissionOperation::kCreate, "n1",
           R"({"metadata":{"name":"n1","labels":{"team.node-restriction.kubernetes.io/a":"b"}}})", nullptr)
          .message(),
      R"(nodes "n1" is forbidden: node "n1" is not allowed to set the following labels: team.node-restriction.kubernetes.io/a)");
  EXPECT_EQ(Node(AdmissionOperation::kUpdate, "n1",
                 R"({"metadata":{"name":"n1","labels":{"kubernetes.io/os":"linux"}},
                     "spec":{"taints":[{"key":"a","effect":"NoSchedule"}],"configSource":{"configMap":{}}}})",
                 kN1)
                .message(),
            R"(nodes "n1" is forbidden: node "n1" is not allowed to update configSource)");
}

TEST_F(NodeRestrictionTest, LabelsANodeMaySet) {
  EXPECT_TRUE(NodeMaySetLabel("kubernetes.io/hostname"));
  EXPECT_TRUE(NodeMaySetLabel("topology.kubernetes.io/zone"));
  EXPECT_TRUE(NodeMaySetLabel("kubelet.kubernetes.io/anything"));
  EXPECT_TRUE(NodeMaySetLabel("x.node.kubernetes.io/anything"));
  EXPECT_TRUE(NodeMaySetLabel("plain"));
  EXPECT_TRUE(NodeMaySetLabel("example.com/x"));
  EXPECT_FALSE(NodeMaySetLabel("node-restriction.kubernetes.io/x"));
  EXPECT_FALSE(NodeMaySetLabel("node-role.kubernetes.io/control-plane"));
  EXPECT_FALSE(NodeMaySetLabel("k8s.io/x"));
  EXPECT_TRUE(NodeMaySetLabel("notkubernetes.io/x"));  // another domain entirely
}

TEST_F(NodeRestrictionTest, OnlyItsOwnLeaseInKubeNodeLease) {
  constexpr char kLease[] = R"({"metadata":{"name":"n1","namespace":"kube-node-lease"}})";
  EXPECT_TRUE(Check(AdmissionOperation::kCreate, "coordination.k8s.io", "leases", "kube-node-lease", "n1",
                    kLease, nullptr)
                  .ok());
  EXPECT_EQ(
      Check(AdmissionOperation::kCreate, "coordination.k8s.io", "leases", "kube-node-lease", "n2",
            R"({"metadata":{"name":"n2"}})", nullptr)
          .message(),
      R"(leases.coordination.k8s.io "n2" is forbidden: can only access node lease with the same name as the requesting node)");
  EXPECT_EQ(
      Check(AdmissionOperation::kUpdate, "coordination.k8s.io", "leases", "kube-system", "n1", kLease, kLease)
          .message(),
      R"(leases.coordination.k8s.io "n1" is forbidden: can only access leases in the "kube-node-lease" system namespace)");
}

TEST_F(NodeRestrictionTest, NodesOnlyReleaseTheirOwnLocalPathVolumes) {
  constexpr char kHeld[] = R"({"metadata":{"name":"pvc-1","resourceVersion":"5",
      "annotations":{"skiff.io/local-path-node":"n1"},
      "finalizers":["kubernetes.io/pv-protection","skiff.io/local-path-cleanup"]},"spec":{"capacity":{"storage":"1Gi"}}})";
  constexpr char kReleased[] = R"({"metadata":{"name":"pvc-1","resourceVersion":"5",
      "annotations":{"skiff.io/local-path-node":"n1"},
      "finalizers":["kubernetes.io/pv-protection"]},"spec":{"capacity":{"storage":"1Gi"}}})";
  constexpr char kResized[] = R"({"metadata":{"name":"pvc-1","resourceVersion":"5",
      "annotations":{"skiff.io/local-path-node":"n1"},
      "finalizers":["kubernetes.io/pv-protection"]},"spec":{"capacity":{"storage":"9Gi"}}})";
  constexpr char kOthers[] = R"({"metadata":{"name":"pvc-1","annotations":{"skiff.io/local-path-node":"n2"},
      "finalizers":["skiff.io/local-path-cleanup"]},"spec":{}})";
  constexpr char kOthersReleased[] = R"({"metadata":{"name":"pvc-1","annotations":{"skiff.io/local-path-node":"n2"},
      "finalizers":[]},"spec":{}})";
  auto pv = [&](AdmissionOperation op, const char* obj, const char* old) {
    return Check(op, "", "persistentvolumes", "", "pvc-1", obj, old);
  };
  EXPECT_TRUE(pv(AdmissionOperation::kUpdate, kReleased, kHeld).ok());
  EXPECT_EQ(api::HttpCode(pv(AdmissionOperation::kUpdate, kResized, kHeld)), 403);
  EXPECT_EQ(api::HttpCode(pv(AdmissionOperation::kUpdate, kOthersReleased, kOthers)), 403);
  EXPECT_EQ(api::HttpCode(pv(AdmissionOperation::kCreate, kHeld, nullptr)), 403);
  EXPECT_EQ(api::HttpCode(pv(AdmissionOperation::kDelete, nullptr, kHeld)), 403);
}

}  // namespace
}  // namespace skiff::apiserver::node_authorizer
