#include "controllers/rootcacertpublisher/root_ca_publisher.h"

#include "base/json.h"
#include "base/testing/wait_for.h"
#include "client/shared_informers.h"
#include "client/testing/fake_client.h"
#include "gtest/gtest.h"

namespace skiff::controllers {
namespace {

using base::testing::WaitFor;

constexpr char kPem[] = "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n";

class RootCaPublisherTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(fake_.Create(ns_, "", *base::ParseJson(R"({"metadata":{"name":"existing"}})")).ok());
    informers_ = std::make_unique<client::SharedInformers>(&fake_);
    client::ControllerContext context{&fake_, informers_.get(), nullptr};
    context.options.root_ca_pem = kPem;
    controller_ = std::make_unique<RootCaPublisher>(context);
    controller_->Start();
    informers_->Start();
    ASSERT_TRUE(informers_->WaitForSync(absl::Seconds(10)));
  }
  void TearDown() override {
    controller_->Stop();
    informers_->Stop();
  }
  client::Object Published(const std::string& ns) { return fake_.Peek(cm_, ns, RootCaPublisher::kConfigMapName); }
  bool HasCa(const std::string& ns) {
    client::Object cm = Published(ns);
    return cm && base::GetString(*cm, {"data", "ca.crt"}) == kPem &&
           base::FindPath(*cm, {"data"})->as_object().size() == 1;
  }

  const api::ResourceInfo& ns_ = client::Resource("", "v1", "namespaces");
  const api::ResourceInfo& cm_ = client::Resource("", "v1", "configmaps");
  client::testing::FakeClient fake_;
  std::unique_ptr<client::SharedInformers> informers_;
  std::unique_ptr<RootCaPublisher> controller_;
};

TEST_F(RootCaPublisherTest, PublishesInExistingAndNewNamespaces) {
  EXPECT_TRUE(WaitFor([&] { return HasCa("existing"); }));
  EXPECT_FALSE(
      base::GetString(*Published("existing"), {"metadata", "annotations", "kubernetes.io/description"}).empty());
  ASSERT_TRUE(fake_.Create(ns_, "", *base::ParseJson(R"({"metadata":{"name":"fresh"}})")).ok());
  EXPECT_TRUE(WaitFor([&] { return HasCa("fresh"); }));
}

TEST_F(RootCaPublisherTest, RestoresChangedDataAndRecreatesDeleted) {
  ASSERT_TRUE(WaitFor([&] { return HasCa("existing"); }));
  boost::json::value changed = *Published("existing");
  changed.as_object()["data"] = boost::json::object{{"ca.crt", "forged"}, {"more", "x"}};
  ASSERT_TRUE(fake_.Update(cm_, "existing", changed).ok());
  EXPECT_TRUE(WaitFor([&] { return HasCa("existing"); }));
  ASSERT_TRUE(fake_.Delete(cm_, "existing", RootCaPublisher::kConfigMapName).ok());
  EXPECT_TRUE(WaitFor([&] { return HasCa("existing"); }));
}

TEST_F(RootCaPublisherTest, LeavesTerminatingNamespacesAlone) {
  ASSERT_TRUE(
      fake_.Create(ns_, "", *base::ParseJson(R"({"metadata":{"name":"dying","finalizers":["x"]}})")).ok());
  ASSERT_TRUE(WaitFor([&] { return HasCa("dying"); }));
  ASSERT_TRUE(fake_.Delete(ns_, "", "dying").ok());  // stays, terminating, because of its finalizer
  ASSERT_TRUE(fake_.Delete(cm_, "dying", RootCaPublisher::kConfigMapName).ok());
  absl::SleepFor(absl::Milliseconds(200));
  EXPECT_EQ(Published("dying"), nullptr);
}

}  // namespace
}  // namespace skiff::controllers
