#include "controllers/ingressstatus/ingress_status_controller.h"

#include "base/json.h"
#include "base/testing/wait_for.h"
#include "controllers/testing/controller_test.h"
#include "gtest/gtest.h"

namespace skiff::controllers::ingressstatus {
namespace {

namespace json = boost::json;
using base::testing::WaitFor;
using testing::Json;

json::value Node(const std::string& name, bool ready, const std::string& addresses) {
  return Json(R"({"metadata":{"name":")" + name + R"("},"status":{"addresses":)" + addresses +
              R"(,"conditions":[{"type":"Ready","status":")" + (ready ? "True" : "False") + R"("}]}})");
}

json::value Ingress(const std::string& name, const std::string& spec) {
  return Json(R"({"metadata":{"name":")" + name + R"("},"spec":)" + spec + "}");
}

class IngressStatusControllerTest : public testing::ControllerTest<IngressStatusController> {
 protected:
  void SetUp() override {
    Add(nodes_, "", Node("n1", true, R"([{"type":"InternalIP","address":"10.0.0.2"},{"type":"Hostname","address":"n1"}])"));
    Add(nodes_, "", Node("n2", true, R"([{"type":"InternalIP","address":"10.0.0.1"},{"type":"ExternalIP","address":"203.0.113.9"}])"));
    Add(nodes_, "", Node("n3", false, R"([{"type":"InternalIP","address":"10.0.0.3"}])"));
    Add(classes_, "", Json(R"({"metadata":{"name":"edge"},"spec":{"controller":"skiff.dev/ingress"}})"));
    Add(classes_, "", Json(R"({"metadata":{"name":"nginx"},"spec":{"controller":"k8s.io/ingress-nginx"}})"));
    StartController();
  }
  std::vector<std::string> Addresses(const std::string& name) {
    std::vector<std::string> out;
    client::Object ingress = fake_.Peek(ingresses_, "default", name);
    const json::value* list = ingress ? base::FindPath(*ingress, {"status", "loadBalancer", "ingress"}) : nullptr;
    if (list == nullptr || !list->is_array()) return out;
    for (const auto& i : list->get_array()) out.push_back(base::GetString(i, {"ip"}));
    return out;
  }
  bool AddressesAre(const std::string& name, const std::vector<std::string>& want) {
    return WaitFor([&] { return Addresses(name) == want; });
  }
  void SetNodeReady(const std::string& name, bool ready) {
    json::value node = *fake_.Peek(nodes_, "", name);
    node.at("status").at("conditions").at(0).as_object()["status"] = ready ? "True" : "False";
    ASSERT_TRUE(fake_.Update(nodes_, "", node, "status").ok());
  }

  const api::ResourceInfo& ingresses_ = client::Resource("networking.k8s.io", "v1", "ingresses");
  const api::ResourceInfo& classes_ = client::Resource("networking.k8s.io", "v1", "ingressclasses");
  const api::ResourceInfo& nodes_ = client::Resource("", "v1", "nodes");
};

TEST_F(IngressStatusControllerTest, ReadyNodesInternalIpsForOurClassesOnly) {
  Add(ingresses_, "default", Ingress("skiff", R"({"ingressClassName":"skiff"})"));
  Add(ingresses_, "default", Ingress("unset", "{}"));
  Add(ingresses_, "default", Ingress("edge", R"({"ingressClassName":"edge"})"));
  Add(ingresses_, "default", Ingress("nginx", R"({"ingressClassName":"nginx"})"));
  ASSERT_TRUE(AddressesAre("skiff", {"10.0.0.1", "10.0.0.2"}));
  ASSERT_TRUE(AddressesAre("unset", {"10.0.0.1", "10.0.0.2"}));
  ASSERT_TRUE(AddressesAre("edge", {"10.0.0.1", "10.0.0.2"}));
  absl::SleepFor(absl::Milliseconds(200));
  EXPECT_TRUE(Addresses("nginx").empty());

  SetNodeReady("n3", true);
  ASSERT_TRUE(AddressesAre("skiff", {"10.0.0.1", "10.0.0.2", "10.0.0.3"}));
  SetNodeReady("n1", false);
  ASSERT_TRUE(AddressesAre("skiff", {"10.0.0.1", "10.0.0.3"}));
}

TEST_F(IngressStatusControllerTest, WritesOnlyWhenStatusDiffers) {
  Add(ingresses_, "default", Ingress("web", "{}"));
  ASSERT_TRUE(AddressesAre("web", {"10.0.0.1", "10.0.0.2"}));
  absl::SleepFor(absl::Milliseconds(200));
  const int before = fake_.CountCalls("update-status ingresses ");
  json::value node = *fake_.Peek(nodes_, "", "n1");
  node.at("status").as_object()["heartbeat"] = "again";  // not an address change
  ASSERT_TRUE(fake_.Update(nodes_, "", node, "status").ok());
  absl::SleepFor(absl::Milliseconds(300));
  EXPECT_EQ(fake_.CountCalls("update-status ingresses "), before);
}

TEST_F(IngressStatusControllerTest, NodesMayReadExactlyTheTlsSecretsOfOurIngresses) {
  const api::ResourceInfo& roles = client::Resource("rbac.authorization.k8s.io", "v1", "roles");
  const api::ResourceInfo& bindings = client::Resource("rbac.authorization.k8s.io", "v1", "rolebindings");
  Add(ingresses_, "default", Ingress("a", R"({"tls":[{"secretName":"a-tls"},{"secretName":"shared"}]})"));
  Add(ingresses_, "default", Ingress("b", R"({"ingressClassName":"edge","tls":[{"secretName":"b-tls"}]})"));
  Add(ingresses_, "default", Ingress("n", R"({"ingressClassName":"nginx","tls":[{"secretName":"nginx-tls"}]})"));
  auto names = [&] {
    client::Object role = fake_.Peek(roles, "default", kTlsReaderRole);
    return role ? base::ToJson(*base::FindPath(*role, {"rules"})) : std::string();
  };
  ASSERT_TRUE(WaitFor([&] {
    return names() ==
           R"([{"apiGroups":[""],"resources":["secrets"],"verbs":["get"],"resourceNames":["a-tls","b-tls","shared"]}])";
  })) << names();
  client::Object binding = fake_.Peek(bindings, "default", kTlsReaderRole);
  ASSERT_TRUE(binding);
  EXPECT_EQ(base::ToJson(*base::FindPath(*binding, {"subjects"})),
            R"([{"apiGroup":"rbac.authorization.k8s.io","kind":"Group","name":"system:nodes"}])");
  EXPECT_EQ(base::GetString(*binding, {"roleRef", "name"}), kTlsReaderRole);

  ASSERT_TRUE(fake_.Delete(ingresses_, "default", "a").ok());
  ASSERT_TRUE(WaitFor([&] { return names().find(R"("resourceNames":["b-tls"])") != std::string::npos; })) << names();
  ASSERT_TRUE(fake_.Delete(ingresses_, "default", "b").ok());
  ASSERT_TRUE(WaitFor([&] { return !fake_.Peek(roles, "default", kTlsReaderRole) && !fake_.Peek(bindings, "default", kTlsReaderRole); }));
}

}  // namespace
}  // namespace skiff::controllers::ingressstatus
