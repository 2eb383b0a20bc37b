// StorageClassAdmission and the default StorageClass on a real ResourceStorage (StorageFixture).
#include "apiserver/storage_class_admission.h"

#include "api/object_meta.h"
#include "apiserver/default_storage_class.h"
#include "apiserver/testing/storage_fixture.h"
#include "base/json.h"
#include "gtest/gtest.h"

namespace skiff::apiserver {
namespace {

namespace json = boost::json;

constexpr char kClaim[] = R"({"metadata":{"name":"%s"},"spec":{%s"accessModes":["ReadWriteOnce"],
    "resources":{"requests":{"storage":"1Gi"}}}})";

class StorageClassAdmissionTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto f = testing::StorageFixture::Open(&base::RealClock(), {"ns"});
    ASSERT_TRUE(f.ok()) << f.status();
    fixture_ = std::move(*f);
    plugin_ = std::make_unique<StorageClassAdmission>(fixture_->cache());
    fixture_->storage()->AddAdmissionPlugin(plugin_.get());
  }
  json::value CreateClaim(const std::string& name, const std::string& class_field = "") {
    std::string text = kClaim;
    text.replace(text.find("%s"), 2, name);
    text.replace(text.find("%s"), 2, class_field);
    auto made = fixture_->Create("persistentvolumeclaims", "ns", text);
    EXPECT_TRUE(made.ok()) << made.status();
    return made.ok() ? (*made)->Parse() : json::value();
  }
  std::unique_ptr<testing::StorageFixture> fixture_;
  std::unique_ptr<StorageClassAdmission> plugin_;
};

TEST_F(StorageClassAdmissionTest, DefaultClassAndProtectionFinalizers) {
  // No default class yet: the claim keeps no class.
  json::value before = CreateClaim("early");
  EXPECT_EQ(base::FindPath(before, {"spec", "storageClassName"}), nullptr);
  EXPECT_EQ(api::Finalizers(before), std::vector<std::string>{"kubernetes.io/pvc-protection"});

  ASSERT_TRUE(EnsureDefaultStorageClass(fixture_->storage()).ok());
  ASSERT_TRUE(EnsureDefaultStorageClass(fixture_->storage()).ok());  // idempotent
  const auto& classes = testing::StorageFixture::Resource("storageclasses", "storage.k8s.io");
  auto sc = fixture_->storage()->Get(classes, "", "local-path");
  ASSERT_TRUE(sc.ok());
  json::value local_path = (*sc)->Parse();
  EXPECT_EQ(base::GetString(local_path, {"provisioner"}), "skiff.io/local-path");
  EXPECT_EQ(base::GetString(local_path, {"volumeBindingMode"}), "WaitForFirstConsumer");
  EXPECT_EQ(base::GetString(local_path, {"reclaimPolicy"}), "Delete");
  EXPECT_EQ(plugin_->DefaultClassName(), "local-path");

  EXPECT_EQ(base::GetString(CreateClaim("plain"), {"spec", "storageClassName"}), "local-path");
  EXPECT_EQ(base::GetString(CreateClaim("none", R"("storageClassName":"",)"), {"spec", "storageClassName"}), "");
  EXPECT_EQ(base::GetString(CreateClaim("own", R"("storageClassName":"fast",)"), {"spec", "storageClassName"}),
            "fast");

  auto pv = fixture_->Create("persistentvolumes", "", R"({"metadata":{"name":"pv1"},"spec":{
      "capacity":{"storage":"1Gi"},"accessModes":["ReadWriteOnce"],"hostPath":{"path":"/tmp/x"}}})");
  ASSERT_TRUE(pv.ok()) << pv.status();
  EXPECT_EQ(api::Finalizers((*pv)->Parse()), std::vector<std::string>{"kubernetes.io/pv-protection"});
}

TEST_F(StorageClassAdmissionTest, NewestDefaultWins) {
  const auto& classes = testing::StorageFixture::Resource("storageclasses", "storage.k8s.io");
  ASSERT_TRUE(fixture_->Create(classes, "", R"({"metadata":{"name":"old","annotations":{
      "storageclass.kubernetes.io/is-default-class":"true"}},"provisioner":"x"})").ok());
  absl::SleepFor(absl::Milliseconds(1100));  // creationTimestamp has second resolution
  ASSERT_TRUE(fixture_->Create(classes, "", R"({"metadata":{"name":"new","annotations":{
      "storageclass.beta.kubernetes.io/is-default-class":"true"}},"provisioner":"x"})").ok());
  ASSERT_TRUE(fixture_->Create(classes, "", R"({"metadata":{"name":"plain"},"provisioner":"x"})").ok());
  EXPECT_EQ(plugin_->DefaultClassName(), "new");
}

}  // namespace
}  // namespace skiff::apiserver
