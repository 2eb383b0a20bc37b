#include "controllers/serviceaccount/service_account_controller.h"

#include "base/json.h"
#include "base/testing/wait_for.h"
#include "controllers/testing/controller_test.h"
#include "gtest/gtest.h"

namespace skiff::controllers {
namespace {

using base::testing::WaitFor;

class ServiceAccountControllerTest : public testing::ControllerTest<ServiceAccountController> {
 protected:
  void SetUp() override {
    ASSERT_TRUE(fake_.Create(ns_, "", *base::ParseJson(R"({"metadata":{"name":"existing"}})")).ok());
    StartController();
  }
  bool HasDefault(const std::string& ns) { return fake_.Peek(sa_, ns, "default") != nullptr; }

  const api::ResourceInfo& ns_ = client::Resource("", "v1", "namespaces");
  const api::ResourceInfo& sa_ = client::Resource("", "v1", "serviceaccounts");
};

TEST_F(ServiceAccountControllerTest, CreatesDefaultInExistingAndNewNamespaces) {
  EXPECT_TRUE(WaitFor([&] { return HasDefault("existing"); }));
  ASSERT_TRUE(fake_.Create(ns_, "", *base::ParseJson(R"({"metadata":{"name":"fresh"}})")).ok());
  EXPECT_TRUE(WaitFor([&] { return HasDefault("fresh"); }));
  auto sa = fake_.Peek(sa_, "fresh", "default");
  EXPECT_EQ(base::GetString(*sa, {"kind"}), "ServiceAccount");
}

TEST_F(ServiceAccountControllerTest, RecreatesDeletedDefault) {
  ASSERT_TRUE(WaitFor([&] { return HasDefault("existing"); }));
  std::string old_uid = base::GetString(*fake_.Peek(sa_, "existing", "default"), {"metadata", "uid"});
  ASSERT_TRUE(fake_.Delete(sa_, "existing", "default").ok());
  ASSERT_TRUE(WaitFor([&] { return HasDefault("existing"); }));
  EXPECT_NE(base::GetString(*fake_.Peek(sa_, "existing", "default"), {"metadata", "uid"}), old_uid);
}

TEST_F(ServiceAccountControllerTest, LeavesOtherAccountsAndTerminatingNamespacesAlone) {
  ASSERT_TRUE(WaitFor([&] { return HasDefault("existing"); }));
  ASSERT_TRUE(
      fake_.Create(ns_, "", *base::ParseJson(R"({"metadata":{"name":"dying","finalizers":["x"]}})")).ok());
  ASSERT_TRUE(WaitFor([&] { return HasDefault("dying"); }));
  ASSERT_TRUE(fake_.Delete(ns_, "", "dying").ok());  // stays, terminating, because of its finalizer
  ASSERT_TRUE(fake_.Delete(sa_, "dying", "default").ok());
  ASSERT_TRUE(fake_.Create(sa_, "existing", *base::ParseJson(R"({"metadata":{"name":"builder"}})")).ok());
  ASSERT_TRUE(fake_.Delete(sa_, "existing", "builder").ok());
  absl::SleepFor(absl::Milliseconds(200));
  EXPECT_FALSE(HasDefault("dying"));
  EXPECT_EQ(fake_.CountCalls("create serviceaccounts existing/default"), 1);
}

TEST_F(ServiceAccountControllerTest, RetriesAfterFailures) {
  fake_.Inject({.resource = "serviceaccounts", .status = absl::UnavailableError("injected")});
  ASSERT_TRUE(fake_.Create(ns_, "", *base::ParseJson(R"({"metadata":{"name":"later"}})")).ok());
  absl::SleepFor(absl::Milliseconds(50));
  EXPECT_FALSE(HasDefault("later"));
  fake_.ClearFaults();
  EXPECT_TRUE(WaitFor([&] { return HasDefault("later"); }));
}

}  // namespace
}  // namespace skiff::controllers
