#include "controllers/servicelb/service_lb_controller.h"

#include "base/json.h"
#include "base/testing/wait_for.h"
#include "controllers/testing/controller_test.h"
#include "gtest/gtest.h"

namespace skiff::controllers::servicelb {
namespace {

namespace json = boost::json;
using base::testing::WaitFor;
using testing::Json;

json::value Node(const std::string& name, bool ready, const std::string& addresses,
                 bool unschedulable = false) {
  return Json(R"({"metadata":{"name":")" + name + R"("},"spec":{"unschedulable":)" +
              (unschedulable ? "true" : "false") + R"(},"status":{"addresses":)" + addresses +
              R"(,"conditions":[{"type":"Ready","status":")" + (ready ? "True" : "False") + R"("}]}})");
}

class ServiceLbControllerTest : public testing::ControllerTest<ServiceLbController> {
 protected:
  void SetUp() override {
    ASSERT_TRUE(
        fake_.Create(nodes_, "", Node("n1", true, R"([{"type":"InternalIP","address":"10.0.0.1"}])")).ok());
    ASSERT_TRUE(fake_
                    .Create(nodes_, "", Node("n2", true, R"([{"type":"InternalIP","address":"10.0.0.2"},
        {"type":"ExternalIP","address":"203.0.113.2"},{"type":"Hostname","address":"n2"}])"))
                    .ok());
    ASSERT_TRUE(
        fake_.Create(nodes_, "", Node("n3", false, R"([{"type":"InternalIP","address":"10.0.0.3"}])")).ok());
    ASSERT_TRUE(
        fake_.Create(nodes_, "", Node("n4", true, R"([{"type":"InternalIP","address":"10.0.0.4"}])", true))
            .ok());
    StartController();
  }
  void SetNodeReady(const std::string& name, bool ready) {
    json::value node = *fake_.Peek(nodes_, "", name);
    node.at("status").at("conditions").at(0).as_object()["status"] = ready ? "True" : "False";
    ASSERT_TRUE(fake_.Update(nodes_, "", node, "status").ok());
  }
  // The ingress IPs of the service, in order.
  std::vector<std::string> Ingress(const std::string& name) {
    std::vector<std::string> out;
    client::Object svc = fake_.Peek(services_, "default", name);
    const json::value* ingress = svc ? base::FindPath(*svc, {"status", "loadBalancer", "ingress"}) : nullptr;
    if (ingress == nullptr || !ingress->is_array()) return out;
    for (const auto& i : ingress->get_array()) {
      EXPECT_EQ(base::GetString(i, {"ipMode"}), "VIP");
      out.push_back(base::GetString(i, {"ip"}));
    }
    return out;
  }
  bool IngressIs(const std::string& name, const std::vector<std::string>& want) {
    return WaitFor([&] { return Ingress(name) == want; });
  }
  int StatusWrites() { return fake_.CountCalls("update-status services "); }

  const api::ResourceInfo& services_ = client::Resource("", "v1", "services");
  const api::ResourceInfo& nodes_ = client::Resource("", "v1", "nodes");
};

TEST_F(ServiceLbControllerTest, IngressFollowsNodeReadiness) {
  AddService("lb", R"({"type":"LoadBalancer","ports":[{"port":80}]})");
  // n1: InternalIP; n2: its ExternalIP wins; n3 not ready; n4 unschedulable.
  ASSERT_TRUE(IngressIs("lb", {"10.0.0.1", "203.0.113.2"}));
  SetNodeReady("n3", true);
  ASSERT_TRUE(IngressIs("lb", {"10.0.0.1", "10.0.0.3", "203.0.113.2"}));
  SetNodeReady("n1", false);
  ASSERT_TRUE(IngressIs("lb", {"10.0.0.3", "203.0.113.2"}));
  ASSERT_TRUE(fake_.Delete(nodes_, "", "n2").ok());
  ASSERT_TRUE(IngressIs("lb", {"10.0.0.3"}));
}

TEST_F(ServiceLbControllerTest, WritesOnlyWhenStatusDiffers) {
  AddService("lb", R"({"type":"LoadBalancer","ports":[{"port":80}]})");
  ASSERT_TRUE(IngressIs("lb", {"10.0.0.1", "203.0.113.2"}));
  absl::SleepFor(absl::Milliseconds(200));
  int before = StatusWrites();
  EXPECT_EQ(before, 1);
  // A heartbeat changes nothing a load balancer cares about.
  json::value node = *fake_.Peek(nodes_, "", "n1");
  node.at("status").at("conditions").at(0).as_object()["lastHeartbeatTime"] = "2024-01-01T00:00:00Z";
  ASSERT_TRUE(fake_.Update(nodes_, "", node, "status").ok());
  json::value svc = *fake_.Peek(services_, "default", "lb");
  svc.as_object()["metadata"].as_object()["annotations"] = json::object{{"x", "y"}};
  ASSERT_TRUE(fake_.Update(services_, "default", svc).ok());
  absl::SleepFor(absl::Milliseconds(300));
  EXPECT_EQ(StatusWrites(), before);
}

TEST_F(ServiceLbControllerTest, ClearsStatusWhenNoLongerLoadBalancerAndIgnoresOtherClasses) {
  AddService("lb", R"({"type":"LoadBalancer","ports":[{"port":80}]})");
  AddService("other",
             R"({"type":"LoadBalancer","loadBalancerClass":"example.com/lb","ports":[{"port":80}]})");
  AddService("plain", R"({"type":"ClusterIP","ports":[{"port":80}]})");
  ASSERT_TRUE(IngressIs("lb", {"10.0.0.1", "203.0.113.2"}));
  json::value svc = *fake_.Peek(services_, "default", "lb");
  svc.at("spec").as_object()["type"] = "ClusterIP";
  ASSERT_TRUE(fake_.Update(services_, "default", svc).ok());
  ASSERT_TRUE(WaitFor([&] {
    const json::value* lb =
        base::FindPath(*fake_.Peek(services_, "default", "lb"), {"status", "loadBalancer"});
    return lb != nullptr && lb->is_object() && lb->get_object().empty();
  }));
  absl::SleepFor(absl::Milliseconds(200));
  EXPECT_TRUE(Ingress("other").empty());
  EXPECT_EQ(base::FindPath(*fake_.Peek(services_, "default", "plain"), {"status"}), nullptr);
  EXPECT_EQ(StatusWrites(), 2);
}

TEST(NodeIngressAddressesTest, SortsDeduplicatesAndNeedsAnAddress) {
  json::value node = Node("n", true, R"([{"type":"InternalIP","address":"10.0.0.9"},
      {"type":"InternalIP","address":"fd00::9"},{"type":"InternalIP","address":"10.0.0.9"}])");
  EXPECT_EQ(NodeIngressAddresses(node), (std::vector<std::string>{"10.0.0.9", "fd00::9"}));
  EXPECT_TRUE(NodeIngressAddresses(Node("n", true, "[]")).empty());
}

}  // namespace
}  // namespace skiff::controllers::servicelb
