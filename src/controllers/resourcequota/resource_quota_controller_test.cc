// ResourceQuotaController against a real in-process API server: status.hard/used follow the
// objects of the quota's namespace as they come, change and go.
#include "controllers/resourcequota/resource_quota_controller.h"

#include "base/json.h"
#include "base/testing/wait_for.h"
#include "client/shared_informers.h"
#include "client/testing/test_api_server.h"
#include "gtest/gtest.h"

namespace skiff::controllers {
namespace {

namespace json = boost::json;
using base::testing::WaitFor;

class ResourceQuotaControllerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    c_ = server_.client();
    informers_ = std::make_unique<client::SharedInformers>(c_);
    controller_ = std::make_unique<ResourceQuotaController>(
        client::ControllerContext{c_, informers_.get(), nullptr}, ResourceQuotaController::Options{});
    controller_->Start();
    informers_->Start();
    ASSERT_TRUE(informers_->WaitForSync(absl::Seconds(10)));
  }
  void TearDown() override {
    controller_->Stop();
    informers_->Stop();
  }
  client::Object Create(const char* group, const char* version, const char* plural, const std::string& text) {
    auto made = c_->Create(client::Resource(group, version, plural), "default", *base::ParseJson(text));
    EXPECT_TRUE(made.ok()) << made.status();
    return made.ok() ? *made : nullptr;
  }
  // Waits until the quota's status.used is `used` (JSON text); returns whether it got there.
  bool UsedBecomes(const std::string& name, const std::string& used) {
    json::value want = *base::ParseJson(used);
    std::string last;
    bool ok = WaitFor(
        [&] {
          auto q = c_->Get(client::Resource("", "v1", "resourcequotas"), "default", name);
          const json::value* got = q.ok() ? base::FindPath(**q, {"status", "used"}) : nullptr;
          last = got ? base::ToJson(*got) : "none";
          return got && *got == want;
        },
        absl::Seconds(10));
    EXPECT_TRUE(ok) << name << " used " << last << ", want " << used;
    return ok;
  }
  static std::string Pod(const std::string& name, const std::string& cpu) {
    return R"({"metadata":{"name":")" + name + R"("},"spec":{"containers":[{"name":"c","image":"busybox",
        "resources":{"requests":{"cpu":")" +
           cpu + R"("},"limits":{"cpu":")" + cpu + R"("}}}]}})";
  }

  client::testing::TestApiServer server_;
  client::Client* c_ = nullptr;
  std::unique_ptr<client::SharedInformers> informers_;
  std::unique_ptr<ResourceQuotaController> controller_;
};

TEST_F(ResourceQuotaControllerTest, UsedFollowsPodsAsTheyComeFinishAndGo) {
  Create("", "v1", "resourcequotas", R"({"metadata":{"name":"q"},"spec":{"hard":
      {"pods":"10","requests.cpu":"4","limits.cpu":"8","count/pods":"20","configmaps":"3"}}})");
  ASSERT_TRUE(UsedBecomes(
      "q", R"({"configmaps":"0","count/pods":"0","limits.cpu":"0","pods":"0","requests.cpu":"0"})"));
  auto q = c_->Get(client::Resource("", "v1", "resourcequotas"), "default", "q");
  EXPECT_EQ(base::ToJson(*base::FindPath(**q, {"status", "hard"})),
            R"({"configmaps":"3","count/pods":"20","limits.cpu":"8","pods":"10","requests.cpu":"4"})");
  Create("", "v1", "pods", Pod("a", "500m"));
  Create("", "v1", "pods", Pod("b", "1500m"));
  Create("", "v1", "configmaps", R"({"metadata":{"name":"cm"}})");
  ASSERT_TRUE(UsedBecomes(
      "q", R"({"configmaps":"1","count/pods":"2","limits.cpu":"2","pods":"2","requests.cpu":"2"})"));
  // A finished pod keeps only its object count.
  const auto& pods = client::Resource("", "v1", "pods");
  json::value done = **c_->Get(pods, "default", "b");
  done.as_object()["status"] = json::object{{"phase", "Failed"}};
  ASSERT_TRUE(c_->Update(pods, "default", done, "status").ok());
  ASSERT_TRUE(UsedBecomes(
      "q", R"({"configmaps":"1","count/pods":"2","limits.cpu":"500m","pods":"1","requests.cpu":"500m"})"));
  ASSERT_TRUE(c_->Delete(pods, "default", "a").ok());
  ASSERT_TRUE(c_->Delete(pods, "default", "b").ok());
  ASSERT_TRUE(UsedBecomes(
      "q", R"({"configmaps":"1","count/pods":"0","limits.cpu":"0","pods":"0","requests.cpu":"0"})"));
}

TEST_F(ResourceQuotaControllerTest, ScopesAndKindsNamedByCount) {
  Create("", "v1", "resourcequotas",
         R"({"metadata":{"name":"be"},"spec":{"hard":{"pods":"5"},"scopes":["BestEffort"]}})");
  Create("", "v1", "resourcequotas",
         R"({"metadata":{"name":"apps"},"spec":{"hard":{"count/deployments.apps":"5"}}})");
  Create("", "v1", "pods",
         R"({"metadata":{"name":"be"},"spec":{"containers":[{"name":"c","image":"busybox"}]}})");
  Create("", "v1", "pods", Pod("burstable", "100m"));
  Create("apps", "v1", "deployments",
         R"({"metadata":{"name":"d"},"spec":{"selector":{"matchLabels":{"a":"b"}},
      "template":{"metadata":{"labels":{"a":"b"}},"spec":{"containers":[{"name":"c","image":"busybox"}]}}}})");
  EXPECT_TRUE(UsedBecomes("be", R"({"pods":"1"})"));
  EXPECT_TRUE(UsedBecomes("apps", R"({"count/deployments.apps":"1"})"));
  // A spec change is recounted at once.
  const auto& quotas = client::Resource("", "v1", "resourcequotas");
  json::value q = **c_->Get(quotas, "default", "be");
  q.at("spec").at("hard").as_object()["count/pods"] = "9";
  ASSERT_TRUE(c_->Update(quotas, "default", q).ok());
  EXPECT_TRUE(UsedBecomes("be", R"({"count/pods":"1","pods":"1"})"));
}

}  // namespace
}  // namespace skiff::controllers
