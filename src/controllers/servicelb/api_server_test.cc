// ServiceLbController against a real in-process API server: the status subresource write is
// accepted and the Service is not rewritten once its status is right.
#include "base/json.h"
#include "base/testing/wait_for.h"
#include "client/shared_informers.h"
#include "client/testing/test_api_server.h"
#include "controllers/servicelb/service_lb_controller.h"
#include "gtest/gtest.h"

namespace skiff::controllers::servicelb {
namespace {

namespace json = boost::json;
using base::testing::WaitFor;

TEST(ServiceLbApiServerTest, PublishesNodeAddressesThroughStatus) {
  client::testing::TestApiServer server;
  client::Client* c = server.client();
  const auto& services = client::Resource("", "v1", "services");
  const auto& nodes = client::Resource("", "v1", "nodes");
  auto node =
      c->Create(nodes, "", *base::ParseJson(R"({"apiVersion":"v1","kind":"Node","metadata":{"name":"n1"}})"));
  ASSERT_TRUE(node.ok()) << node.status();
  json::value with_status = **node;
  with_status.as_object()["status"] =
      *base::ParseJson(R"({"addresses":[{"type":"InternalIP","address":"10.0.0.5"}],
      "conditions":[{"type":"Ready","status":"True"}]})");
  ASSERT_TRUE(c->Update(nodes, "", with_status, "status").ok());

  client::SharedInformers informers(c);
  ServiceLbController controller(client::ControllerContext{c, &informers, nullptr});
  controller.Start();
  informers.Start();
  ASSERT_TRUE(informers.WaitForSync(absl::Seconds(10)));
  auto created = c->Create(services, "default", *base::ParseJson(R"({"apiVersion":"v1","kind":"Service",
      "metadata":{"name":"lb"},"spec":{"type":"LoadBalancer","selector":{"a":"b"},"ports":[{"port":80}]}})"));
  ASSERT_TRUE(created.ok()) << created.status();
  ASSERT_TRUE(WaitFor(
      [&] {
        auto svc = c->Get(services, "default", "lb");
        const json::value* ingress =
            svc.ok() ? base::FindPath(**svc, {"status", "loadBalancer", "ingress"}) : nullptr;
        return ingress && ingress->is_array() && ingress->get_array().size() == 1 &&
               base::GetString(ingress->get_array()[0], {"ip"}) == "10.0.0.5" &&
               base::GetString(ingress->get_array()[0], {"ipMode"}) == "VIP";
      },
      absl::Seconds(10)));
  absl::SleepFor(absl::Milliseconds(300));
  std::string rv = base::GetString(**c->Get(services, "default", "lb"), {"metadata", "resourceVersion"});
  absl::SleepFor(absl::Milliseconds(500));
  EXPECT_EQ(base::GetString(**c->Get(services, "default", "lb"), {"metadata", "resourceVersion"}), rv);
  controller.Stop();
  informers.Stop();
}

}  // namespace
}  // namespace skiff::controllers::servicelb
