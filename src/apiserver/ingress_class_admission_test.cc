// IngressClassAdmission and the default IngressClass on a real ResourceStorage (StorageFixture).
#include "apiserver/ingress_class_admission.h"

#include <memory>
#include <string>

#include "api/errors.h"
#include "apiserver/default_ingress_class.h"
#include "apiserver/testing/storage_fixture.h"
#include "base/json.h"
#include "base/testing/fake_clock.h"
#include "gtest/gtest.h"

namespace skiff::apiserver {
namespace {

namespace json = boost::json;

class IngressClassAdmissionTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto f = testing::StorageFixture::Open(&clock_, {"ns"});
    ASSERT_TRUE(f.ok()) << f.status();
    fixture_ = std::move(*f);
    plugin_ = std::make_unique<IngressClassAdmission>(fixture_->cache());
    fixture_->storage()->AddAdmissionPlugin(plugin_.get());
  }
  static const api::ResourceInfo& Classes() {
    return testing::StorageFixture::Resource("ingressclasses", "networking.k8s.io");
  }
  static const api::ResourceInfo& Ingresses() {
    return testing::StorageFixture::Resource("ingresses", "networking.k8s.io");
  }
  void CreateClass(const std::string& name, bool is_default) {
    std::string annotations =
        is_default ? R"("annotations":{"ingressclass.kubernetes.io/is-default-class":"true"})"
                   : R"("annotations":{"ingressclass.kubernetes.io/is-default-class":"false"})";
    auto made = fixture_->Create(Classes(), "",
                                 R"({"metadata":{"name":")" + name + R"(",)" + annotations +
                                     R"(},"spec":{"controller":"example.com/)" + name + R"("}})");
    ASSERT_TRUE(made.ok()) << made.status();
  }
  // Creates an Ingress with these extra spec fields and metadata, returning its stored class.
  std::string CreateIngress(const std::string& name, const std::string& spec_extra = "",
                            const std::string& meta_extra = "") {
    auto made = fixture_->Create(Ingresses(), "ns",
                                 R"({"metadata":{"name":")" + name + "\"" + meta_extra + R"(},"spec":{)" +
                                     spec_extra +
                                     R"("defaultBackend":{"service":{"name":"web","port":{"number":80}}}}})");
    EXPECT_TRUE(made.ok()) << made.status();
    return made.ok() ? base::GetString((*made)->Parse(), {"spec", "ingressClassName"}, "<unset>") : "";
  }

  base::testing::FakeClock clock_;
  std::unique_ptr<testing::StorageFixture> fixture_;
  std::unique_ptr<IngressClassAdmission> plugin_;
};

TEST_F(IngressClassAdmissionTest, IngressesWithoutAClassGetTheDefaultOne) {
  EXPECT_EQ(CreateIngress("before"), "<unset>");  // no default class yet

  ASSERT_TRUE(EnsureDefaultIngressClass(fixture_->storage()).ok());
  ASSERT_TRUE(EnsureDefaultIngressClass(fixture_->storage()).ok());  // idempotent
  auto skiff = fixture_->storage()->Get(Classes(), "", "skiff");
  ASSERT_TRUE(skiff.ok()) << skiff.status();
  EXPECT_EQ(base::GetString((*skiff)->Parse(), {"spec", "controller"}), "skiff.dev/ingress");
  EXPECT_EQ(plugin_->DefaultClassName(), "skiff");

  EXPECT_EQ(CreateIngress("plain"), "skiff");
  EXPECT_EQ(CreateIngress("null-class", R"("ingressClassName":null,)"), "skiff");
  EXPECT_EQ(CreateIngress("own", R"("ingressClassName":"nginx",)"), "nginx");
  // The legacy annotation names a class already, even an empty one.
  EXPECT_EQ(CreateIngress("annotated", "", R"(,"annotations":{"kubernetes.io/ingress.class":""})"),
            "<unset>");
}

TEST_F(IngressClassAdmissionTest, UpdatesKeepTheirClassAsItIs) {
  ASSERT_TRUE(EnsureDefaultIngressClass(fixture_->storage()).ok());
  ASSERT_EQ(CreateIngress("web", R"("ingressClassName":"nginx",)"), "nginx");
  auto updated = fixture_->storage()->Update(
      Ingresses(), "ns", "web",
      [](const ObjectPtr& current) -> absl::StatusOr<json::value> {
        json::value obj = current->Parse();
        obj.at("spec").as_object().erase("ingressClassName");
        return obj;
      },
      WriteOptions{}, /*retry_on_conflict=*/false);
  ASSERT_TRUE(updated.ok()) << updated.status();
  EXPECT_EQ(base::FindPath((*updated)->Parse(), {"spec", "ingressClassName"}), nullptr);
}

TEST_F(IngressClassAdmissionTest, TheNewestDefaultWinsThenTheSmallestName) {
  CreateClass("old", true);
  CreateClass("plain", false);
  EXPECT_EQ(plugin_->DefaultClassName(), "old");
  clock_.Advance(absl::Seconds(5));
  CreateClass("zeta", true);
  CreateClass("beta", true);  // same second as zeta: the smaller name
  EXPECT_EQ(plugin_->DefaultClassName(), "beta");
  EXPECT_EQ(CreateIngress("web"), "beta");
}

TEST_F(IngressClassAdmissionTest, TheServersClassIsLeftAsTheUserMadeIt) {
  CreateClass("skiff", false);
  ASSERT_TRUE(EnsureDefaultIngressClass(fixture_->storage()).ok());
  auto skiff = fixture_->storage()->Get(Classes(), "", "skiff");
  ASSERT_TRUE(skiff.ok());
  EXPECT_EQ(base::GetString((*skiff)->Parse(), {"spec", "controller"}), "example.com/skiff");
  EXPECT_EQ(plugin_->DefaultClassName(), "");
  EXPECT_EQ(CreateIngress("web"), "<unset>");
}

TEST_F(IngressClassAdmissionTest, InvalidObjectsAreRefusedWithKubernetesFieldPaths) {
  auto bad =
      fixture_->Create(Ingresses(), "ns", R"({"metadata":{"name":"bad"},"spec":{"rules":[{"host":"10.0.0.1",
      "http":{"paths":[{"path":"/","backend":{"service":{"name":"web","port":{"number":80}}}}]}}]}})");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(api::HttpCode(bad.status()), 422);
  // The rules' wording replaces the schema's plain "Required value" for pathType.
  EXPECT_EQ(
      bad.status().message(),
      "Ingress.networking.k8s.io \"bad\" is invalid: [spec.rules[0].host: Invalid value: \"10.0.0.1\": must "
      "be "
      "a DNS name, not an IP address, spec.rules[0].http.paths[0].pathType: Required value: pathType must be "
      "specified]");
  auto immutable = fixture_->storage()->Update(
      Classes(), "", "skiff",
      [](const ObjectPtr&) -> absl::StatusOr<json::value> {
        return json::value{{"metadata", {{"name", "skiff"}}},
                           {"spec", {{"controller", "example.com/other"}}}};
      },
      WriteOptions{}, /*retry_on_conflict=*/false);
  EXPECT_EQ(api::HttpCode(immutable.status()), 404);  // no class yet
  ASSERT_TRUE(EnsureDefaultIngressClass(fixture_->storage()).ok());
  immutable = fixture_->storage()->Update(
      Classes(), "", "skiff",
      [](const ObjectPtr& current) -> absl::StatusOr<json::value> {
        json::value obj = current->Parse();
        obj.at("spec").as_object()["controller"] = "example.com/other";
        return obj;
      },
      WriteOptions{}, /*retry_on_conflict=*/false);
  ASSERT_FALSE(immutable.ok());
  EXPECT_EQ(immutable.status().message(),
            "IngressClass.networking.k8s.io \"skiff\" is invalid: spec.controller: Invalid value: "
            "\"example.com/other\": field is immutable");
}

}  // namespace
}  // namespace skiff::apiserver
