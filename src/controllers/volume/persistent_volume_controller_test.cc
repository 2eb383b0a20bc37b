#include "controllers/volume/persistent_volume_controller.h"

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

class PersistentVolumeControllerTest : public testing::ControllerTest<PersistentVolumeController> {
 protected:
  void AddPv(const std::string& name, const std::string& size, const std::string& cls,
             const std::string& extra_spec = "") {
    Add(Volumes(), "",
        Json(R"({"metadata":{"name":")" + name + R"("},"spec":{"capacity":{"storage":")" + size +
             R"("},"accessModes":["ReadWriteOnce"],"storageClassName":")" + cls +
             R"(","persistentVolumeReclaimPolicy":"Retain")" + extra_spec + "}}"));
  }
  void AddClaim(const std::string& name, const std::string& size, const std::string& cls,
                const std::string& extra_spec = "", const std::string& annotations = "{}") {
    Add(Claims(), "ns",
        Json(R"({"metadata":{"name":")" + name + R"(","annotations":)" + annotations +
             R"(},"spec":{"accessModes":["ReadWriteOnce"],"storageClassName":")" + cls +
             R"(","resources":{"requests":{"storage":")" + size + R"("}})" + extra_spec +
             R"(},"status":{"phase":"Pending"}})"));
  }
  void AddClass(const std::string& name, const std::string& provisioner, const std::string& mode) {
    Add(StorageClasses(), "",
        Json(R"({"metadata":{"name":")" + name + R"("},"provisioner":")" + provisioner +
             R"(","volumeBindingMode":")" + mode + R"("})"));
  }
  client::Object Pv(const std::string& name) { return fake_.Peek(Volumes(), "", name); }
  client::Object Claim(const std::string& name) { return fake_.Peek(Claims(), "ns", name); }
  static std::string Phase(const client::Object& o) { return o ? base::GetString(*o, {"status", "phase"}) : ""; }
  bool ClaimPhaseIs(const std::string& name, const std::string& phase) {
    return WaitFor([&] { return Phase(Claim(name)) == phase; });
  }
  bool PvPhaseIs(const std::string& name, const std::string& phase) {
    return WaitFor([&] { return Phase(Pv(name)) == phase; });
  }
};

TEST_F(PersistentVolumeControllerTest, BindsAStaticVolumeOnBothSides) {
  AddPv("small", "1Gi", "manual");
  AddPv("fit", "5Gi", "manual");
  AddClaim("data", "2Gi", "manual");
  StartController();
  ASSERT_TRUE(ClaimPhaseIs("data", "Bound"));
  client::Object claim = Claim("data");
  EXPECT_EQ(base::GetString(*claim, {"spec", "volumeName"}), "fit");
  EXPECT_EQ(api::Annotation(*claim, kAnnBindCompleted), "yes");
  EXPECT_EQ(api::Annotation(*claim, kAnnBoundByController), "yes");
  EXPECT_EQ(base::GetString(*claim, {"status", "capacity", "storage"}), "5Gi");
  ASSERT_TRUE(PvPhaseIs("fit", "Bound"));
  client::Object pv = Pv("fit");
  EXPECT_EQ(base::GetString(*pv, {"spec", "claimRef", "uid"}), api::Uid(*claim));
  EXPECT_EQ(api::Annotation(*pv, kAnnBoundByController), "yes");
  EXPECT_FALSE(base::GetString(*pv, {"status", "lastPhaseTransitionTime"}).empty());
  ASSERT_TRUE(PvPhaseIs("small", "Available"));
}

TEST_F(PersistentVolumeControllerTest, WaitForFirstConsumerWaitsThenHandsOverToTheProvisioner) {
  AddClass("local-path", kLocalPathProvisioner, "WaitForFirstConsumer");
  AddClaim("data", "1Gi", "local-path");
  StartController();
  absl::SleepFor(absl::Milliseconds(300));
  EXPECT_EQ(api::Annotation(*Claim("data"), kAnnStorageProvisioner), "");
  EXPECT_EQ(Phase(Claim("data")), "Pending");
  json::value claim = *Claim("data");
  base::EnsureObject(claim, {"metadata", "annotations"})[kAnnSelectedNode] = "n1";
  ASSERT_TRUE(fake_.Update(Claims(), "ns", claim).ok());
  ASSERT_TRUE(WaitFor([&] { return api::Annotation(*Claim("data"), kAnnStorageProvisioner) == kLocalPathProvisioner; }));
  EXPECT_EQ(api::Annotation(*Claim("data"), kAnnBetaStorageProvisioner), kLocalPathProvisioner);
  // The provisioner's PV, pre-bound to the claim, is then bound.
  AddPv("pvc-x", "1Gi", "local-path",
        R"(,"claimRef":{"namespace":"ns","name":"data","uid":")" + api::Uid(*Claim("data")) + R"("})");
  ASSERT_TRUE(ClaimPhaseIs("data", "Bound"));
  EXPECT_EQ(base::GetString(*Claim("data"), {"spec", "volumeName"}), "pvc-x");
  EXPECT_EQ(api::Annotation(*Pv("pvc-x"), kAnnBoundByController), "");  // the provisioner bound it
}

TEST_F(PersistentVolumeControllerTest, BoundClaimsCapacityIsLeftToTheResizer) {
  AddPv("grown", "1Gi", "a");
  AddClaim("data", "1Gi", "a");
  StartController();
  ASSERT_TRUE(ClaimPhaseIs("data", "Bound"));
  EXPECT_EQ(base::GetString(*Claim("data"), {"status", "capacity", "storage"}), "1Gi");
  // Mid-expansion the PV is larger than the claim says: the binder must not declare it done.
  json::value pv = *Pv("grown");
  pv.at("spec").at("capacity").as_object()["storage"] = "2Gi";
  ASSERT_TRUE(fake_.Update(Volumes(), "", pv).ok());
  absl::SleepFor(absl::Milliseconds(300));
  EXPECT_EQ(base::GetString(*Claim("data"), {"status", "capacity", "storage"}), "1Gi");
  EXPECT_EQ(Phase(Claim("data")), "Bound");
}

TEST_F(PersistentVolumeControllerTest, VolumeNameMismatchStaysPending) {
  AddPv("tiny", "1Gi", "manual");
  AddClaim("data", "2Gi", "manual", R"(,"volumeName":"tiny")");
  StartController();
  absl::SleepFor(absl::Milliseconds(300));
  EXPECT_EQ(Phase(Claim("data")), "Pending");
  EXPECT_FALSE(base::FindPath(*Pv("tiny"), {"spec", "claimRef"}));
}

TEST_F(PersistentVolumeControllerTest, ReclaimRetainReleasesDeleteOfStaticFailsProvisionedIsDeleted) {
  AddPv("keep", "1Gi", "a");
  AddPv("static-delete", "1Gi", "b");
  json::value pv = *Pv("static-delete");
  pv.at("spec").as_object()["persistentVolumeReclaimPolicy"] = "Delete";
  ASSERT_TRUE(fake_.Update(Volumes(), "", pv).ok());
  Add(Volumes(), "",
      Json(R"({"metadata":{"name":"made","annotations":{"pv.kubernetes.io/provisioned-by":"skiff.io/local-path"}},
      "spec":{"capacity":{"storage":"1Gi"},"accessModes":["ReadWriteOnce"],"storageClassName":"c",
      "persistentVolumeReclaimPolicy":"Delete","claimRef":{"namespace":"ns","name":"gone","uid":"old"}}})"));
  AddClaim("x", "1Gi", "a");
  AddClaim("y", "1Gi", "b");
  StartController();
  ASSERT_TRUE(ClaimPhaseIs("x", "Bound"));
  ASSERT_TRUE(ClaimPhaseIs("y", "Bound"));
  ASSERT_TRUE(fake_.Delete(Claims(), "ns", "x").ok());
  ASSERT_TRUE(fake_.Delete(Claims(), "ns", "y").ok());
  ASSERT_TRUE(PvPhaseIs("keep", "Released"));
  ASSERT_TRUE(PvPhaseIs("static-delete", "Failed"));
  EXPECT_NE(base::GetString(*Pv("static-delete"), {"status", "message"}).find("no deletable volume plugin"),
            std::string::npos);
  ASSERT_TRUE(WaitFor([&] { return Pv("made") == nullptr; }));  // its claim never existed here
  absl::SleepFor(absl::Milliseconds(200));
  EXPECT_EQ(Phase(Pv("keep")), "Released");
}

TEST_F(PersistentVolumeControllerTest, BoundClaimWhoseVolumeVanishedIsLost) {
  AddClaim("orphan", "1Gi", "a", R"(,"volumeName":"missing")", R"({"pv.kubernetes.io/bind-completed":"yes"})");
  StartController();
  ASSERT_TRUE(ClaimPhaseIs("orphan", "Lost"));
}

TEST_F(PersistentVolumeControllerTest, UndoesItsOwnBindingWhenTheClaimBoundElsewhere) {
  AddClaim("data", "1Gi", "a", R"(,"volumeName":"other")", R"({"pv.kubernetes.io/bind-completed":"yes"})");
  AddPv("other", "1Gi", "a", R"(,"claimRef":{"namespace":"ns","name":"data"})");
  StartController();
  ASSERT_TRUE(ClaimPhaseIs("data", "Bound"));
  Add(Volumes(), "",
      Json(R"({"metadata":{"name":"stray","annotations":{"pv.kubernetes.io/bound-by-controller":"yes"}},
      "spec":{"capacity":{"storage":"1Gi"},"accessModes":["ReadWriteOnce"],"storageClassName":"a",
      "claimRef":{"namespace":"ns","name":"data","uid":")" + api::Uid(*Claim("data")) + R"("}}})"));
  ASSERT_TRUE(PvPhaseIs("stray", "Available"));
  EXPECT_EQ(base::FindPath(*Pv("stray"), {"spec", "claimRef"}), nullptr);
}

}  // namespace
}  // namespace skiff::controllers::volume
