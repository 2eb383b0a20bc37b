#include "controllers/volume/local_path_provisioner.h"

#include "api/object_meta.h"
#include "base/testing/wait_for.h"
#include "controllers/testing/controller_test.h"
#include "controllers/volume/volume_util.h"
#include "gtest/gtest.h"

namespace skiff::controllers::volume {
namespace {

namespace json = boost::json;
using base::testing::WaitFor;
using testing::Json;

const json::value kClass = Json(R"({"metadata":{"name":"local-path"},"provisioner":"skiff.io/local-path",
    "volumeBindingMode":"WaitForFirstConsumer","reclaimPolicy":"Delete","mountOptions":["noatime"]})");

json::value ClaimJson(const std::string& annotations) {
  return Json(R"({"metadata":{"name":"data","namespace":"ns","uid":"u-1","resourceVersion":"7","annotations":)" +
              annotations + R"(},"spec":{"accessModes":["ReadWriteOnce"],"storageClassName":"local-path",
      "resources":{"requests":{"storage":"3Gi"}}}})");
}

TEST(LocalPathVolumeTest, AgentNodeGetsItsRootAffinityAndCleanupFinalizer) {
  json::value node = Json(R"({"metadata":{"name":"n1","labels":{"kubernetes.io/hostname":"host-1"},
      "annotations":{"skiff.io/local-path-root":"/data/agent/storage/local-path"}}})");
  auto pv = LocalPathVolume(ClaimJson("{}"), kClass, node);
  ASSERT_TRUE(pv.ok()) << pv.status();
  EXPECT_EQ(api::Name(*pv), "pvc-u-1");
  EXPECT_EQ(base::GetString(*pv, {"spec", "hostPath", "path"}), "/data/agent/storage/local-path/pvc-u-1_ns_data");
  EXPECT_EQ(base::GetString(*pv, {"spec", "hostPath", "type"}), "DirectoryOrCreate");
  EXPECT_EQ(base::GetString(*pv, {"spec", "capacity", "storage"}), "3Gi");
  EXPECT_EQ(base::GetString(*pv, {"spec", "persistentVolumeReclaimPolicy"}), "Delete");
  EXPECT_EQ(base::GetString(*pv, {"spec", "claimRef", "uid"}), "u-1");
  EXPECT_EQ(*base::FindPath(*pv, {"spec", "mountOptions"}), json::array{"noatime"});
  EXPECT_EQ(api::Finalizers(*pv), std::vector<std::string>{kLocalPathCleanupFinalizer});
  EXPECT_EQ(api::Annotation(*pv, kAnnLocalPathNode), "n1");
  const json::value& term =
      base::FindPath(*pv, {"spec", "nodeAffinity", "required", "nodeSelectorTerms"})->at(0).at("matchExpressions").at(0);
  EXPECT_EQ(base::GetString(term, {"key"}), "kubernetes.io/hostname");
  EXPECT_EQ(term.at("values"), json::array{"host-1"});
}

TEST(LocalPathVolumeTest, NodeWithoutAgentOrHostnameLabel) {
  auto pv = LocalPathVolume(ClaimJson("{}"), kClass, Json(R"({"metadata":{"name":"sim-1"}})"));
  ASSERT_TRUE(pv.ok());
  EXPECT_EQ(base::GetString(*pv, {"spec", "hostPath", "path"}), "/var/lib/skiff/local-path/pvc-u-1_ns_data");
  EXPECT_TRUE(api::Finalizers(*pv).empty());
  const json::value& term =
      base::FindPath(*pv, {"spec", "nodeAffinity", "required", "nodeSelectorTerms"})->at(0).at("matchFields").at(0);
  EXPECT_EQ(base::GetString(term, {"key"}), "metadata.name");
  json::value no_size = ClaimJson("{}");
  no_size.at("spec").as_object().erase("resources");
  EXPECT_FALSE(LocalPathVolume(no_size, kClass, Json(R"({"metadata":{"name":"n"}})")).ok());
}

class LocalPathProvisionerTest : public testing::ControllerTest<LocalPathProvisioner> {};

TEST_F(LocalPathProvisionerTest, ProvisionsOnlyPlacedClaimsHandedToIt) {
  Add(StorageClasses(), "", kClass);
  Add(client::Resource("", "v1", "nodes"), "", Json(R"({"metadata":{"name":"n1"}})"));
  json::value unplaced = ClaimJson(R"({"volume.kubernetes.io/storage-provisioner":"skiff.io/local-path"})");
  unplaced.at("metadata").as_object().erase("uid");
  unplaced.at("metadata").as_object().erase("resourceVersion");
  Add(Claims(), "ns", unplaced);
  StartController();
  absl::SleepFor(absl::Milliseconds(200));
  EXPECT_TRUE(fake_.Objects(Volumes()).empty());
  json::value claim = *fake_.Peek(Claims(), "ns", "data");
  base::EnsureObject(claim, {"metadata", "annotations"})[kAnnSelectedNode] = "n1";
  ASSERT_TRUE(fake_.Update(Claims(), "ns", claim).ok());
  std::string name = "pvc-" + api::Uid(claim);
  ASSERT_TRUE(WaitFor([&] { return fake_.Peek(Volumes(), "", name) != nullptr; }));
  absl::SleepFor(absl::Milliseconds(100));
  EXPECT_EQ(fake_.CountCalls("create persistentvolumes"), 1);
}

TEST_F(LocalPathProvisionerTest, DropsTheCleanupFinalizerWhenTheNodeIsGone) {
  Add(Volumes(), "",
      Json(R"({"metadata":{"name":"pvc-1","finalizers":["skiff.io/local-path-cleanup"],
      "annotations":{"skiff.io/local-path-node":"gone"}},"spec":{}})"));
  Add(Volumes(), "",
      Json(R"({"metadata":{"name":"pvc-2","finalizers":["skiff.io/local-path-cleanup"],
      "annotations":{"skiff.io/local-path-node":"n1"}},"spec":{}})"));
  Add(client::Resource("", "v1", "nodes"), "", Json(R"({"metadata":{"name":"n1"}})"));
  StartController();
  ASSERT_TRUE(fake_.Delete(Volumes(), "", "pvc-1").ok());
  ASSERT_TRUE(fake_.Delete(Volumes(), "", "pvc-2").ok());
  ASSERT_TRUE(WaitFor([&] { return fake_.Peek(Volumes(), "", "pvc-1") == nullptr; }));
  absl::SleepFor(absl::Milliseconds(200));
  EXPECT_NE(fake_.Peek(Volumes(), "", "pvc-2"), nullptr);  // n1's agent cleans that one up
}

}  // namespace
}  // namespace skiff::controllers::volume
