// StorageClassAdmission and the default StorageClass on a real ResourceStorage (StorageFixture).
#include "apiserver/storage_class_admission.h"

#include <functional>
#include <string>

#include "absl/strings/str_cat.h"
#include "api/errors.h"
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
  // Writes `change` of the claim through the main resource (subresource "") or status.
  absl::Status Change(const std::string& name, const std::function<void(json::value&)>& change,
                      const std::string& subresource = "") {
    WriteOptions options;
    options.subresource = subresource;
    return fixture_->storage()
        ->Update(
            Claims(), "ns", name,
            [&](const ObjectPtr& current) -> absl::StatusOr<json::value> {
              json::value obj = current->Parse();
              change(obj);
              return obj;
            },
            options, /*retry_on_conflict=*/false)
        .status();
  }
  absl::Status Bind(const std::string& name) {
    return Change(
        name,
        [](json::value& pvc) {
          pvc.as_object()["status"] = json::object{{"phase", "Bound"}, {"capacity", {{"storage", "1Gi"}}}};
        },
        "status");
  }
  absl::Status Resize(const std::string& name, const std::string& size) {
    return Change(name, [&](json::value& pvc) {
      pvc.at("spec").at("resources").at("requests").as_object()["storage"] = size;
    });
  }
  static const api::ResourceInfo& Claims() { return testing::StorageFixture::Resource("persistentvolumeclaims"); }
  static const api::ResourceInfo& Classes() {
    return testing::StorageFixture::Resource("storageclasses", "storage.k8s.io");
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
  EXPECT_TRUE(base::GetBool(local_path, {"allowVolumeExpansion"}));
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

TEST_F(StorageClassAdmissionTest, SkiffsOwnClassFromBeforeExpansionGainsIt) {
  ASSERT_TRUE(fixture_->Create(Classes(), "", R"({"metadata":{"name":"local-path"},
      "provisioner":"skiff.io/local-path","volumeBindingMode":"WaitForFirstConsumer"})").ok());
  ASSERT_TRUE(EnsureDefaultStorageClass(fixture_->storage()).ok());
  auto sc = fixture_->storage()->Get(Classes(), "", "local-path");
  ASSERT_TRUE(sc.ok());
  EXPECT_TRUE(base::GetBool((*sc)->Parse(), {"allowVolumeExpansion"}));
}

TEST_F(StorageClassAdmissionTest, ClassesTheUserChangedAreLeftAlone) {
  ASSERT_TRUE(fixture_->Create(Classes(), "", R"({"metadata":{"name":"local-path"},
      "provisioner":"skiff.io/local-path","allowVolumeExpansion":false})").ok());
  ASSERT_TRUE(EnsureDefaultStorageClass(fixture_->storage()).ok());
  auto sc = fixture_->storage()->Get(Classes(), "", "local-path");
  ASSERT_TRUE(sc.ok());
  EXPECT_FALSE(base::GetBool((*sc)->Parse(), {"allowVolumeExpansion"}, true));
}

TEST_F(StorageClassAdmissionTest, OnlyBoundClaimsOfExpandableClassesGrow) {
  ASSERT_TRUE(fixture_->Create(Classes(), "", R"({"metadata":{"name":"grows"},"provisioner":"x",
      "allowVolumeExpansion":true})").ok());
  ASSERT_TRUE(fixture_->Create(Classes(), "", R"({"metadata":{"name":"fixed"},"provisioner":"x"})").ok());
  CreateClaim("a", R"("storageClassName":"grows",)");
  CreateClaim("b", R"("storageClassName":"fixed",)");
  CreateClaim("c", R"("storageClassName":"gone",)");

  // Unbound: the spec is still immutable (validation answers before the resize check).
  absl::Status unbound = Resize("a", "2Gi");
  EXPECT_EQ(api::HttpCode(unbound), 422) << unbound;

  for (const char* name : {"a", "b", "c"}) ASSERT_TRUE(Bind(name).ok()) << name;
  EXPECT_TRUE(Resize("a", "2Gi").ok());
  const std::string refused =
      "is forbidden: only dynamically provisioned pvc can be resized and the storageclass that provisions the pvc "
      "must support resize";
  for (const char* name : {"b", "c"}) {
    absl::Status s = Resize(name, "2Gi");
    EXPECT_EQ(api::HttpCode(s), 403) << name;
    EXPECT_EQ(s.message(), absl::StrCat("persistentvolumeclaims \"", name, "\" ", refused)) << s;
  }
  // Shrinking below what the volume has is validation's refusal.
  absl::Status shrink = Resize("a", "512Mi");
  EXPECT_EQ(api::HttpCode(shrink), 422);
  EXPECT_NE(shrink.message().find("spec.resources.requests.storage: Forbidden: field can not be less than "
                                  "status.capacity"),
            std::string::npos)
      << shrink;
}

}  // namespace
}  // namespace skiff::apiserver
