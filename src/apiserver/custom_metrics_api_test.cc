// CustomMetricsApi on real storage (StorageFixture) with no nodes: the shapes of both versions,
// selection and the 4xx answers. The summing over nodes' /stats/services runs in
// tests/e2e/test_scale_to_zero.py against a real agent.
#include "apiserver/custom_metrics_api.h"

#include "apiserver/testing/storage_fixture.h"
#include "base/json.h"
#include "gtest/gtest.h"

namespace skiff::apiserver {
namespace {

namespace json = boost::json;

class CustomMetricsApiTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto f = testing::StorageFixture::Open(&base::RealClock(), {"default"});
    ASSERT_TRUE(f.ok()) << f.status();
    fixture_ = std::move(*f);
    for (const char* name : {"web", "api"}) {
      ASSERT_TRUE(fixture_
                      ->Create("services", "default",
                               absl::StrCat(R"({"metadata":{"name":")", name, R"(","labels":{"tier":")", name,
                                            R"("}},"spec":{"ports":[{"port":80}]}})"))
                      .ok());
    }
    nodes_ = std::make_unique<MetricsApi>(fixture_->storage(), MetricsApiOptions{});
    api_ = std::make_unique<CustomMetricsApi>(fixture_->storage(), nodes_.get());
  }
  http::HttpResponse Get(const std::string& path, const std::string& label_selector = "",
                         const std::string& method = "GET") {
    http::HttpRequest req;
    req.method = method;
    req.path = path;
    if (!label_selector.empty()) req.query.emplace("labelSelector", label_selector);
    RequestInfo info = ParseRequestInfo(method, path, false);
    EXPECT_TRUE(CustomMetricsApi::Handles(info)) << path;
    return api_->Handle(req, info);
  }

  std::unique_ptr<testing::StorageFixture> fixture_;
  std::unique_ptr<MetricsApi> nodes_;
  std::unique_ptr<CustomMetricsApi> api_;
};

TEST_F(CustomMetricsApiTest, RequestsPerSecondOfOneServiceInBothVersions) {
  http::HttpResponse v2 = Get("/apis/custom.metrics.k8s.io/v1beta2/namespaces/default/services/web/requests-per-second");
  ASSERT_EQ(v2.status, 200) << v2.body;
  json::value doc = *base::ParseJson(v2.body);
  EXPECT_EQ(base::GetString(doc, {"kind"}), "MetricValueList");
  EXPECT_EQ(base::GetString(doc, {"apiVersion"}), "custom.metrics.k8s.io/v1beta2");
  const json::array& items = base::Find(doc, "items")->as_array();
  ASSERT_EQ(items.size(), 1u);
  EXPECT_EQ(base::GetString(items[0], {"describedObject", "kind"}), "Service");
  EXPECT_EQ(base::GetString(items[0], {"describedObject", "name"}), "web");
  EXPECT_EQ(base::GetString(items[0], {"metric", "name"}), "requests-per-second");
  EXPECT_EQ(base::GetString(items[0], {"value"}), "0m");  // no node reports it
  EXPECT_FALSE(base::GetString(items[0], {"timestamp"}).empty());

  http::HttpResponse v1 = Get("/apis/custom.metrics.k8s.io/v1beta1/namespaces/default/services/web/requests-per-second");
  ASSERT_EQ(v1.status, 200);
  json::value old = *base::ParseJson(v1.body);
  EXPECT_EQ(base::GetString(base::Find(old, "items")->as_array()[0], {"metricName"}), "requests-per-second");
}

TEST_F(CustomMetricsApiTest, AllServicesBySelector) {
  auto names = [](const http::HttpResponse& r) {
    std::vector<std::string> out;
    const json::value doc = *base::ParseJson(r.body);  // outlives the loop
    for (const auto& item : base::Find(doc, "items")->as_array())
      out.push_back(base::GetString(item, {"describedObject", "name"}));
    return out;
  };
  const std::string all = "/apis/custom.metrics.k8s.io/v1beta2/namespaces/default/services/*/requests-per-second";
  EXPECT_EQ(names(Get(all)), (std::vector<std::string>{"api", "web"}));
  EXPECT_EQ(names(Get(all, "tier=api")), std::vector<std::string>{"api"});
  EXPECT_EQ(Get(all, "tier in (").status, 400);
}

TEST_F(CustomMetricsApiTest, UnknownThingsAre404AndWritesAre405) {
  const std::string base = "/apis/custom.metrics.k8s.io/v1beta2/namespaces/default/";
  EXPECT_EQ(Get(base + "services/nope/requests-per-second").status, 404);
  EXPECT_EQ(Get(base + "services/web/latency").status, 404);
  EXPECT_EQ(Get(base + "pods/web/requests-per-second").status, 404);
  EXPECT_EQ(Get("/apis/custom.metrics.k8s.io/v1/namespaces/default/services/web/requests-per-second").status, 404);
  EXPECT_EQ(Get(base + "services/web/requests-per-second", "", "POST").status, 405);
}

TEST(CustomMetricsDiscoveryTest, ServesBothVersionsPreferringV1beta2) {
  json::object group = CustomMetricsApiGroup();
  EXPECT_EQ(base::GetString(json::value(group), {"preferredVersion", "version"}), "v1beta2");
  json::value list = *base::ParseJson(CustomMetricsResourceList("v1beta1"));
  EXPECT_EQ(base::GetString(list, {"groupVersion"}), "custom.metrics.k8s.io/v1beta1");
  EXPECT_EQ(base::GetString(base::Find(list, "resources")->as_array()[0], {"name"}), "services/requests-per-second");
}

}  // namespace
}  // namespace skiff::apiserver
