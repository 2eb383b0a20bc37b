#include "controllers/serviceaccount/service_account_controller.h"

#include "base/json.h"
#include "client/shared_informers.h"
#include "controllers/testing/fake_client.h"
#include "gtest/gtest.h"

namespace skiff::controllers {
namespace {

using testing::Eventually;

class ServiceAccountControllerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(fake_.Create(ns_, "", *base::ParseJson(R"({"metadata":{"name":"existing"}})")).ok());
    informers_ = std::make_unique<client::SharedInformers>(&fake_);
    controller_ =
        std::make_unique<ServiceAccountController>(ControllerContext{&fake_, informers_.get(), nullptr});
    controller_->Start();
    informers_->Start();
    ASSERT_TRUE(informers_->WaitForSync(absl::Seconds(10)));
  }
  void TearDown() override {
    controller_->Stop();
    informers_->Stop();
  }
  bool HasDefault(const std::string& ns) { return fake_.Peek(sa_, ns, "default") != nullptr; }

  const api::ResourceInfo& ns_ = client::Resource("", "v1", "namespaces");
  const api::ResourceInfo& sa_ = client::Resource("", "v1", "serviceaccounts");
  testing::FakeClient fake_;
  std::unique_ptr<client::SharedInformers> informers_;
  std::unique_ptr<ServiceAccountController> controller_;
};

TEST_F(ServiceAccountControllerTest, CreatesDefaultInExistingAndNewNamespaces) {
  EXPECT_TRUE(Eventually([&] { return HasDefault("existing"); }));
  ASSERT_TRUE(fake_.Create(ns_, "", *base::ParseJson(R"({"metadata":{"name":"fresh"}})")).ok());
  EXPECT_TRUE(Eventually([&] { return HasDefault("fresh"); }));
  auto sa = fake_.Peek(sa_, "fresh", "default");
  EXPECT_EQ(base::GetString(*sa, {"kind"}), "ServiceAccount");
}

TEST_F(ServiceAccountControllerTest, RecreatesDeletedDefault) {
  ASSERT_TRUE(Eventually([&] { return HasDefault("existing"); }));
  std::string old_uid = base::GetString(*fake_.Peek(sa_, "existing", "default"), {"metadata", "uid"});
  ASSERT_TRUE(fake_.Delete(sa_, "existing", "default").ok());
  ASSERT_TRUE(Eventually([&] { return HasDefault("existing"); }));
  EXPECT_NE(base::GetString(*fake_.Peek(sa_, "existing", "default"), {"metadata", "uid"}), old_uid);
}

TEST_F(ServiceAccountControllerTest, LeavesOtherAccountsAndTerminatingNamespacesAlone) {
  ASSERT_TRUE(Eventually([&] { return HasDefault("existing"); }));
  ASSERT_TRUE(
      fake_.Create(ns_, "", *base::ParseJson(R"({"metadata":{"name":"dying","finalizers":["x"]}})")).ok());
  ASSERT_TRUE(Eventually([&] { return HasDefault("dying"); }));
  ASSERT_TRUE(fake_.Delete(ns_, "", "dying").ok());  // stays, terminating, because of its finalizer
  ASSERT_TRUE(fake_.Delete(sa_, "dying", "default").ok());
  ASSERT_TRUE(fake_.Create(sa_, "existing", *base::ParseJson(R"({"metadata":{"name":"builder"}})")).ok());
  ASSERT_TRUE(fake_.Delete(sa_, "existing", "builder").ok());
  absl::SleepFor(absl::Milliseconds(200));
  EXPECT_FALSE(HasDefault("dying"));
  int creates = 0;
  for (const auto& call : fake_.Calls()) {
    if (call == "create serviceaccounts existing/default") ++creates;
  }
  EXPECT_EQ(creates, 1);
}

TEST_F(ServiceAccountControllerTest, RetriesAfterFailures) {
  fake_.FailWrites("serviceaccounts", absl::UnavailableError("injected"));
  ASSERT_TRUE(fake_.Create(ns_, "", *base::ParseJson(R"({"metadata":{"name":"later"}})")).ok());
  absl::SleepFor(absl::Milliseconds(50));
  EXPECT_FALSE(HasDefault("later"));
  fake_.FailWrites("serviceaccounts", absl::OkStatus());
  EXPECT_TRUE(Eventually([&] { return HasDefault("later"); }));
}

}  // namespace
}  // namespace skiff::controllers
