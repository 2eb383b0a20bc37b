#include "controllers/namespace/namespace_controller.h"

#include "absl/time/clock.h"
#include "base/json.h"
#include "base/testing/wait_for.h"
#include "boost/json.hpp"
#include "client/shared_informers.h"
#include "client/testing/test_api_server.h"
#include "gtest/gtest.h"

namespace skiff::controllers {
namespace {

using base::testing::WaitFor;

namespace json = boost::json;

json::value Parse(const char* text) { return *base::ParseJson(text); }

const json::value* FindCondition(const json::value& ns, const std::string& type) {
  const auto* list = base::FindPath(ns, {"status", "conditions"});
  if (!list || !list->is_array()) return nullptr;
  for (const auto& c : list->get_array()) {
    if (base::GetString(c, {"type"}) == type) return &c;
  }
  return nullptr;
}

class NamespaceControllerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    informers_ = std::make_unique<client::SharedInformers>(client_);
    controller_ =
        std::make_unique<NamespaceController>(client::ControllerContext{client_, informers_.get(), nullptr});
    controller_->Start();
    informers_->Start();
    ASSERT_TRUE(informers_->WaitForSync(absl::Seconds(5)));
  }
  void TearDown() override {
    controller_->Stop();
    informers_->Stop();
  }
  void MakeNamespace(const std::string& name) {
    json::value ns = json::object{{"metadata", json::object{{"name", name}}}};
    ASSERT_TRUE(client_->Create(namespaces_, "", ns).ok());
  }
  bool Exists(const api::ResourceInfo& r, const std::string& ns, const std::string& name) {
    return client_->Get(r, ns, name).ok();
  }

  client::testing::TestApiServer server_;
  client::Client* client_ = server_.client();
  const api::ResourceInfo& namespaces_ = client::Resource("", "v1", "namespaces");
  const api::ResourceInfo& cms_ = client::Resource("", "v1", "configmaps");
  const api::ResourceInfo& deployments_ = client::Resource("apps", "v1", "deployments");
  std::unique_ptr<client::SharedInformers> informers_;
  std::unique_ptr<NamespaceController> controller_;
};

TEST_F(NamespaceControllerTest, DeletesContentThenTheNamespace) {
  MakeNamespace("doomed");
  MakeNamespace("kept");
  ASSERT_TRUE(client_->Create(cms_, "doomed", Parse(R"({"metadata":{"name":"a"}})")).ok());
  ASSERT_TRUE(client_->Create(cms_, "doomed", Parse(R"({"metadata":{"name":"b"}})")).ok());
  ASSERT_TRUE(client_->Create(cms_, "kept", Parse(R"({"metadata":{"name":"a"}})")).ok());
  ASSERT_TRUE(client_
                  ->Create(deployments_, "doomed", Parse(R"({"metadata":{"name":"d"},"spec":{
      "selector":{"matchLabels":{"app":"d"}},
      "template":{"metadata":{"labels":{"app":"d"}},"spec":{"containers":[{"name":"c","image":"i"}]}}}})"))
                  .ok());
  ASSERT_TRUE(client_->Delete(namespaces_, "", "doomed").ok());
  ASSERT_TRUE(WaitFor([&] { return !Exists(namespaces_, "", "doomed"); }));
  EXPECT_FALSE(Exists(cms_, "doomed", "a"));
  EXPECT_FALSE(Exists(deployments_, "doomed", "d"));
  EXPECT_TRUE(Exists(cms_, "kept", "a"));
  EXPECT_TRUE(Exists(namespaces_, "", "kept"));
}

TEST_F(NamespaceControllerTest, WaitsForContentFinalizersAndReportsThem) {
  MakeNamespace("held");
  ASSERT_TRUE(
      client_->Create(cms_, "held", Parse(R"({"metadata":{"name":"h","finalizers":["example.com/hold"]}})"))
          .ok());
  ASSERT_TRUE(client_->Create(cms_, "held", Parse(R"({"metadata":{"name":"free"}})")).ok());
  ASSERT_TRUE(client_->Delete(namespaces_, "", "held").ok());
  ASSERT_TRUE(WaitFor([&] {
    auto ns = client_->Get(namespaces_, "", "held");
    if (!ns.ok()) return false;
    const auto* remaining = FindCondition(**ns, "NamespaceContentRemaining");
    return remaining && base::GetString(*remaining, {"status"}) == "True";
  }));
  auto ns = client_->Get(namespaces_, "", "held");
  ASSERT_TRUE(ns.ok());
  EXPECT_EQ(base::GetString(**ns, {"status", "phase"}), "Terminating");
  const auto* remaining = FindCondition(**ns, "NamespaceContentRemaining");
  EXPECT_EQ(base::GetString(*remaining, {"reason"}), "SomeResourcesRemain");
  EXPECT_EQ(base::GetString(*remaining, {"message"}),
            "Some resources are remaining: configmaps has 1 resource instances");
  const auto* finalizers = FindCondition(**ns, "NamespaceFinalizersRemaining");
  ASSERT_NE(finalizers, nullptr);
  EXPECT_EQ(
      base::GetString(*finalizers, {"message"}),
      "Some content in the namespace has finalizers remaining: example.com/hold in 1 resource instances");
  const auto* failure = FindCondition(**ns, "NamespaceDeletionContentFailure");
  ASSERT_NE(failure, nullptr);
  EXPECT_EQ(base::GetString(*failure, {"status"}), "False");
  EXPECT_FALSE(Exists(cms_, "held", "free"));
  auto held = client_->Get(cms_, "held", "h");
  ASSERT_TRUE(held.ok());
  EXPECT_NE(base::FindPath(**held, {"metadata", "deletionTimestamp"}), nullptr);

  // Releasing the finalizer lets the namespace go.
  ASSERT_TRUE(
      client_
          ->Patch(cms_, "held", "h", client::PatchType::kMerge, Parse(R"({"metadata":{"finalizers":null}})"))
          .ok());
  ASSERT_TRUE(WaitFor([&] { return !Exists(namespaces_, "", "held"); }));
}

}  // namespace
}  // namespace skiff::controllers
