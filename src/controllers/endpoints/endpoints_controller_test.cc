#include "controllers/endpoints/endpoints_controller.h"

#include "base/json.h"
#include "base/testing/wait_for.h"
#include "controllers/testing/controller_test.h"
#include "gtest/gtest.h"

namespace skiff::controllers::endpoints {
namespace {

namespace json = boost::json;
using base::testing::WaitFor;
using testing::Json;

class EndpointsControllerTest : public testing::ControllerTest<EndpointsController> {
 protected:
  void SetUp() override { StartController(); }

  client::Object Endpoints(const std::string& name) { return fake_.Peek(endpoints_, "default", name); }
  // Waits until the Endpoints' subsets serialize to `want`.
  bool SubsetsAre(const std::string& name, const std::string& want) {
    json::value expected = Json(want);
    return WaitFor([&] {
      client::Object ep = Endpoints(name);
      const json::value* subsets = ep ? base::Find(*ep, "subsets") : nullptr;
      return subsets != nullptr && *subsets == expected;
    });
  }
  int Writes(const std::string& what) {
    int n = 0;
    for (const auto& call : fake_.Calls()) {
      if (call.find("endpoints") != std::string::npos && call.find(what) != std::string::npos) ++n;
    }
    return n;
  }

  const api::ResourceInfo& services_ = client::Resource("", "v1", "services");
  const api::ResourceInfo& pods_ = client::Resource("", "v1", "pods");
  const api::ResourceInfo& endpoints_ = client::Resource("", "v1", "endpoints");
};

TEST_F(EndpointsControllerTest, SplitsReadyAndNotReadyAndSkipsUnusablePods) {
  AddService("web", R"({"selector":{"app":"web"},"ports":[{"name":"http","port":80,"targetPort":8080}]})",
             R"({"team":"a"})");
  AddPod("b", "10.0.0.2", true);
  AddPod("a", "10.0.0.1", true);
  AddPod("c", "10.0.0.3", false);
  AddPod("no-ip", "", true);
  AddPod("dying", "10.0.0.9", true, "{}", /*terminating=*/true);
  json::value done = Json(R"({"metadata":{"name":"done","labels":{"app":"web"}},
      "status":{"phase":"Succeeded","podIP":"10.0.0.8"}})");
  ASSERT_TRUE(fake_.Create(pods_, "default", done).ok());
  json::value other = Json(R"({"metadata":{"name":"other","labels":{"app":"db"}},
      "status":{"phase":"Running","podIP":"10.0.0.7"}})");
  ASSERT_TRUE(fake_.Create(pods_, "default", other).ok());
  std::string uid_a = base::GetString(*fake_.Peek(pods_, "default", "a"), {"metadata", "uid"});
  ASSERT_TRUE(SubsetsAre("web", R"([{"addresses":[
      {"ip":"10.0.0.1","nodeName":"node-1","targetRef":{"kind":"Pod","namespace":"default","name":"a","uid":")" +
                                    uid_a + R"("}},
      {"ip":"10.0.0.2","nodeName":"node-1","targetRef":{"kind":"Pod","namespace":"default","name":"b","uid":")" +
                                    base::GetString(*fake_.Peek(pods_, "default", "b"), {"metadata", "uid"}) +
                                    R"("}}],
    "notReadyAddresses":[
      {"ip":"10.0.0.3","nodeName":"node-1","targetRef":{"kind":"Pod","namespace":"default","name":"c","uid":")" +
                                    base::GetString(*fake_.Peek(pods_, "default", "c"), {"metadata", "uid"}) +
                                    R"("}}],
    "ports":[{"name":"http","port":8080,"protocol":"TCP"}]}])"));
  client::Object ep = Endpoints("web");
  EXPECT_EQ(base::GetString(*ep, {"metadata", "labels", "team"}), "a");
  EXPECT_EQ(base::GetString(*ep, {"metadata", "labels", kManagedByLabel}), kManagedByValue);
  EXPECT_EQ(base::FindPath(*ep, {"metadata", "labels", "service.kubernetes.io/headless"}), nullptr);
}

TEST_F(EndpointsControllerTest, NamedPortsResolvingDifferentlyMakeTwoSubsets) {
  AddService("web", R"({"selector":{"app":"web"},"clusterIP":"None",
      "ports":[{"name":"http","port":80,"targetPort":"web"},{"name":"dns","port":53,"protocol":"UDP","targetPort":"dns"}]})");
  AddPod("p1", "10.0.0.1", true, R"({"containers":[{"name":"c","ports":[{"name":"web","containerPort":8080},
      {"name":"dns","containerPort":5353,"protocol":"UDP"}]}]})");
  AddPod("p2", "10.0.0.2", true,
         R"({"containers":[{"name":"c","ports":[{"name":"web","containerPort":9090}]}],
      "hostname":"h2","subdomain":"web"})");
  // A TCP port called dns does not satisfy a UDP service port; no port at all: left out entirely.
  AddPod("p3", "10.0.0.3", true,
         R"({"containers":[{"name":"c","ports":[{"name":"dns","containerPort":53}]}]})");
  ASSERT_TRUE(WaitFor([&] {
    client::Object ep = Endpoints("web");
    const json::value* s = ep ? base::Find(*ep, "subsets") : nullptr;
    return s && s->is_array() && s->get_array().size() == 2;
  }));
  client::Object ep = Endpoints("web");
  const json::array& subsets = base::Find(*ep, "subsets")->get_array();
  // Subsets are ordered by their port sets: (dns 5353/UDP, http 8080) sorts before (http 9090).
  EXPECT_EQ(subsets[0].at("ports"), Json(R"([{"name":"http","port":8080,"protocol":"TCP"},
                                              {"name":"dns","port":5353,"protocol":"UDP"}])"));
  EXPECT_EQ(base::GetString(subsets[0].at("addresses").at(0), {"ip"}), "10.0.0.1");
  EXPECT_EQ(subsets[1].at("ports"), Json(R"([{"name":"http","port":9090,"protocol":"TCP"}])"));
  EXPECT_EQ(base::GetString(subsets[1].at("addresses").at(0), {"hostname"}), "h2");
  EXPECT_EQ(base::GetString(*ep, {"metadata", "labels", "service.kubernetes.io/headless"}, "missing"), "");
}

TEST_F(EndpointsControllerTest, PublishNotReadyAddressesListsEveryPodAsReady) {
  AddService("web", R"({"selector":{"app":"web"},"publishNotReadyAddresses":true,"ports":[{"port":80}]})");
  AddPod("a", "10.0.0.1", false);
  AddPod("dying", "10.0.0.2", true, "{}", /*terminating=*/true);
  ASSERT_TRUE(WaitFor([&] {
    client::Object ep = Endpoints("web");
    const json::value* a = ep ? base::FindPath(*ep, {"subsets"}) : nullptr;
    return a && a->is_array() && a->get_array().size() == 1 &&
           a->get_array()[0].at("addresses").as_array().size() == 2;
  }));
  EXPECT_EQ(base::FindPath(Endpoints("web")->at("subsets").at(0), {"notReadyAddresses"}), nullptr);
  EXPECT_EQ(Endpoints("web")->at("subsets").at(0).at("ports"), Json(R"([{"port":80,"protocol":"TCP"}])"));
}

TEST_F(EndpointsControllerTest, NoRewriteWhenNothingChanged) {
  AddService("web", R"({"selector":{"app":"web"},"ports":[{"port":80}]})");
  AddPod("a", "10.0.0.1", true);
  ASSERT_TRUE(WaitFor([&] {
    client::Object ep = Endpoints("web");
    return ep && base::FindPath(*ep, {"subsets"}) && ep->at("subsets").as_array().size() == 1;
  }));
  absl::SleepFor(absl::Milliseconds(200));
  int updates = Writes("update");
  // Irrelevant changes to the pod and the service enqueue reconciles that must not write.
  json::value pod = *fake_.Peek(pods_, "default", "a");
  pod.as_object()["metadata"].as_object()["annotations"] = json::object{{"x", "y"}};
  ASSERT_TRUE(fake_.Update(pods_, "default", pod).ok());
  json::value svc = *fake_.Peek(services_, "default", "web");
  svc.as_object()["metadata"].as_object()["annotations"] = json::object{{"x", "y"}};
  ASSERT_TRUE(fake_.Update(services_, "default", svc).ok());
  absl::SleepFor(absl::Milliseconds(300));
  EXPECT_EQ(Writes("update"), updates);
  EXPECT_EQ(Writes("create"), 1);
  // A real change writes once.
  AddPod("b", "10.0.0.2", true);
  ASSERT_TRUE(WaitFor([&] { return Writes("update") == updates + 1; }));
  absl::SleepFor(absl::Milliseconds(200));
  EXPECT_EQ(Writes("update"), updates + 1);
}

TEST_F(EndpointsControllerTest, DeletesOwnEndpointsWhenServiceGoesOrLosesSelector) {
  AddService("web", R"({"selector":{"app":"web"},"ports":[{"port":80}]})");
  AddService("api", R"({"selector":{"app":"web"},"ports":[{"port":81}]})");
  AddPod("a", "10.0.0.1", true);
  ASSERT_TRUE(WaitFor([&] { return Endpoints("web") && Endpoints("api"); }));
  ASSERT_TRUE(fake_.Delete(services_, "default", "web").ok());
  EXPECT_TRUE(WaitFor([&] { return Endpoints("web") == nullptr; }));
  json::value api = *fake_.Peek(services_, "default", "api");
  api.as_object()["spec"].as_object().erase("selector");
  ASSERT_TRUE(fake_.Update(services_, "default", api).ok());
  EXPECT_TRUE(WaitFor([&] { return Endpoints("api") == nullptr; }));
}

TEST_F(EndpointsControllerTest, LeavesUserEndpointsOfSelectorlessServicesAlone) {
  json::value user = Json(R"({"metadata":{"name":"ext"},
      "subsets":[{"addresses":[{"ip":"192.0.2.1"}],"ports":[{"port":443}]}]})");
  ASSERT_TRUE(fake_.Create(endpoints_, "default", user).ok());
  AddService("ext", R"({"ports":[{"port":443}]})");
  AddPod("a", "10.0.0.1", true);
  absl::SleepFor(absl::Milliseconds(300));
  ASSERT_TRUE(fake_.Delete(services_, "default", "ext").ok());
  absl::SleepFor(absl::Milliseconds(300));
  client::Object ep = Endpoints("ext");
  ASSERT_NE(ep, nullptr);
  EXPECT_EQ(base::GetString(ep->at("subsets").at(0).at("addresses").at(0), {"ip"}), "192.0.2.1");
  EXPECT_EQ(Writes("update"), 0);
  EXPECT_EQ(Writes("delete"), 0);
}

TEST_F(EndpointsControllerTest, TakesOverUnlabelledEndpointsOfSelectorService) {
  json::value stale = Json(R"({"metadata":{"name":"web"},"subsets":[{"addresses":[{"ip":"192.0.2.1"}],
      "ports":[{"port":1}]}]})");
  ASSERT_TRUE(fake_.Create(endpoints_, "default", stale).ok());
  AddPod("a", "10.0.0.1", true);
  AddService("web", R"({"selector":{"app":"web"},"ports":[{"port":80}]})");
  ASSERT_TRUE(WaitFor([&] {
    client::Object ep = Endpoints("web");
    return base::GetString(*ep, {"metadata", "labels", kManagedByLabel}) == kManagedByValue;
  }));
  EXPECT_EQ(base::GetString(Endpoints("web")->at("subsets").at(0).at("addresses").at(0), {"ip"}), "10.0.0.1");
}

TEST(DesiredSubsetsTest, ServiceWithoutPortsListsNothingUnlessHeadless) {
  json::value pod = *base::ParseJson(R"({"metadata":{"name":"a","namespace":"d","uid":"u"},
      "status":{"phase":"Running","podIP":"10.0.0.1"}})");
  std::vector<client::Object> pods{std::make_shared<const json::value>(pod)};
  EXPECT_TRUE(DesiredSubsets(*base::ParseJson(R"({"spec":{"selector":{"a":"b"}}})"), pods).empty());
  json::array headless =
      DesiredSubsets(*base::ParseJson(R"({"spec":{"selector":{"a":"b"},"clusterIP":"None"}})"), pods);
  ASSERT_EQ(headless.size(), 1u);
  EXPECT_EQ(base::FindPath(headless[0], {"ports"}), nullptr);
  EXPECT_EQ(headless[0].at("notReadyAddresses").as_array().size(), 1u);
}

}  // namespace
}  // namespace skiff::controllers::endpoints
