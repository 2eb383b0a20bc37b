#include "controllers/endpointslice/endpointslice_controller.h"

#include "absl/strings/str_cat.h"
#include "base/json.h"
#include "base/testing/wait_for.h"
#include "controllers/testing/controller_test.h"
#include "gtest/gtest.h"

namespace skiff::controllers::endpointslice {
namespace {

namespace json = boost::json;
using base::testing::WaitFor;
using testing::Json;

class EndpointSliceControllerTest : public testing::ControllerTest<EndpointSliceController> {
 protected:
  void SetUp() override { StartController(); }

  // Slices of the service, any manager.
  std::vector<client::Object> SlicesOf(const std::string& service) {
    auto list =
        fake_.List(slices_, "default", {.label_selector = std::string(kServiceNameLabel) + "=" + service});
    return list.ok() ? list->items : std::vector<client::Object>{};
  }
  size_t EndpointCount(const std::string& service) {
    size_t n = 0;
    for (const auto& s : SlicesOf(service)) {
      const json::value* eps = base::Find(*s, "endpoints");
      if (eps && eps->is_array()) n += eps->get_array().size();
    }
    return n;
  }
  // The endpoint of `pod` in any slice of `service` (null when absent).
  const json::value* EndpointOf(const std::vector<client::Object>& slices, const std::string& pod) {
    for (const auto& s : slices) {
      const json::value* eps = base::Find(*s, "endpoints");
      if (!eps || !eps->is_array()) continue;
      for (const auto& ep : eps->get_array()) {
        if (base::GetString(ep, {"targetRef", "name"}) == pod) return &ep;
      }
    }
    return nullptr;
  }
  // True once the slices of `service` hold `count` endpoints and show `pod` as terminating: the
  // test pods are created and then deleted, so an earlier sync may have seen them alive.
  bool ConvergedWithTerminating(const std::string& service, size_t count, const std::string& pod) {
    if (EndpointCount(service) != count) return false;
    auto slices = SlicesOf(service);
    const json::value* ep = EndpointOf(slices, pod);
    return ep && base::GetBool(*ep, {"conditions", "terminating"});
  }
  int Writes() {
    int n = 0;
    for (const auto& call : fake_.Calls()) {
      if (call.find("endpointslices") != std::string::npos) ++n;
    }
    return n;
  }

  const api::ResourceInfo& services_ = client::Resource("", "v1", "services");
  const api::ResourceInfo& pods_ = client::Resource("", "v1", "pods");
  const api::ResourceInfo& nodes_ = client::Resource("", "v1", "nodes");
  const api::ResourceInfo& slices_ = client::Resource("discovery.k8s.io", "v1", "endpointslices");
};

TEST_F(EndpointSliceControllerTest, BuildsSliceWithConditionsAndMetadata) {
  ASSERT_TRUE(fake_
                  .Create(nodes_, "", Json(R"({"metadata":{"name":"node-1",
      "labels":{"topology.kubernetes.io/zone":"z1"}}})"))
                  .ok());
  AddService("web", R"({"selector":{"app":"web"},"clusterIP":"None",
      "ports":[{"name":"http","port":80,"targetPort":8080,"appProtocol":"http"}]})",
             R"({"team":"a"})");
  AddPod("ready", "10.0.0.1", true, R"({"hostname":"h","subdomain":"web"})");
  AddPod("unready", "10.0.0.2", false);
  AddPod("dying", "10.0.0.3", true, "{}", /*terminating=*/true);
  ASSERT_TRUE(WaitFor([&] { return ConvergedWithTerminating("web", 3, "dying"); }));
  auto slices = SlicesOf("web");
  ASSERT_EQ(slices.size(), 1u);
  const json::value& s = *slices[0];
  EXPECT_EQ(base::GetString(s, {"addressType"}), "IPv4");
  EXPECT_EQ(base::GetString(s, {"metadata", "generateName"}), "web-");
  EXPECT_EQ(base::GetString(s, {"metadata", "labels", kManagedByLabel}), kManagedByValue);
  EXPECT_EQ(base::GetString(s, {"metadata", "labels", "team"}), "a");
  EXPECT_EQ(base::GetString(s, {"metadata", "labels", "service.kubernetes.io/headless"}, "missing"), "");
  const json::value& owner = s.at("metadata").at("ownerReferences").at(0);
  EXPECT_EQ(base::GetString(owner, {"kind"}), "Service");
  EXPECT_EQ(base::GetString(owner, {"uid"}),
            base::GetString(*fake_.Peek(services_, "default", "web"), {"metadata", "uid"}));
  EXPECT_TRUE(base::GetBool(owner, {"controller"}));
  EXPECT_TRUE(base::GetBool(owner, {"blockOwnerDeletion"}));
  EXPECT_EQ(s.at("ports"), Json(R"([{"name":"http","port":8080,"protocol":"TCP","appProtocol":"http"}])"));
  const json::value* ready = EndpointOf(slices, "ready");
  ASSERT_NE(ready, nullptr);
  EXPECT_EQ(ready->at("conditions"), Json(R"({"ready":true,"serving":true,"terminating":false})"));
  EXPECT_EQ(base::GetString(*ready, {"hostname"}), "h");
  EXPECT_EQ(base::GetString(*ready, {"zone"}), "z1");
  EXPECT_EQ(base::GetString(*ready, {"nodeName"}), "node-1");
  EXPECT_EQ(ready->at("addresses"), Json(R"(["10.0.0.1"])"));
  EXPECT_EQ(EndpointOf(slices, "unready")->at("conditions"),
            Json(R"({"ready":false,"serving":false,"terminating":false})"));
  EXPECT_EQ(EndpointOf(slices, "dying")->at("conditions"),
            Json(R"({"ready":false,"serving":true,"terminating":true})"));
}

TEST_F(EndpointSliceControllerTest, PublishNotReadyAddressesMakesEveryEndpointReady) {
  AddService("web", R"({"selector":{"app":"web"},"publishNotReadyAddresses":true,"ports":[{"port":80}]})");
  AddPod("unready", "10.0.0.2", false);
  AddPod("dying", "10.0.0.3", false, "{}", /*terminating=*/true);
  ASSERT_TRUE(WaitFor([&] { return ConvergedWithTerminating("web", 2, "dying"); }));
  auto slices = SlicesOf("web");
  EXPECT_EQ(EndpointOf(slices, "unready")->at("conditions"),
            Json(R"({"ready":true,"serving":true,"terminating":false})"));
  EXPECT_EQ(EndpointOf(slices, "dying")->at("conditions"),
            Json(R"({"ready":true,"serving":true,"terminating":true})"));
}

TEST_F(EndpointSliceControllerTest, NamedPortsResolvingDifferentlyMakeTwoSlices) {
  AddService("web", R"({"selector":{"app":"web"},"ports":[{"name":"http","port":80,"targetPort":"web"}]})");
  AddPod("p1", "10.0.0.1", true,
         R"({"containers":[{"name":"c","ports":[{"name":"web","containerPort":8080}]}]})");
  AddPod("p2", "10.0.0.2", true,
         R"({"containers":[{"name":"c","ports":[{"name":"web","containerPort":9090}]}]})");
  ASSERT_TRUE(WaitFor([&] { return SlicesOf("web").size() == 2 && EndpointCount("web") == 2; }));
  std::set<int64_t> ports;
  for (const auto& s : SlicesOf("web")) {
    ASSERT_EQ(s->at("endpoints").as_array().size(), 1u);
    ports.insert(base::GetInt(s->at("ports").at(0), {"port"}));
  }
  EXPECT_EQ(ports, (std::set<int64_t>{8080, 9090}));
}

TEST_F(EndpointSliceControllerTest, ManyPodsAreSpreadOverSlicesOfAtMostOneHundred) {
  AddService("web", R"({"selector":{"app":"web"},"ports":[{"port":80}]})");
  for (int i = 0; i < 250; ++i)
    AddPod(absl::StrCat("p", i), absl::StrCat("10.0.", i / 200, ".", i % 200), true);
  ASSERT_TRUE(WaitFor([&] { return EndpointCount("web") == 250; }, absl::Seconds(20)));
  auto slices = SlicesOf("web");
  EXPECT_EQ(slices.size(), 3u);
  for (const auto& s : slices) EXPECT_LE(s->at("endpoints").as_array().size(), 100u);
  // Removing pods shrinks slices in place; nothing is re-created.
  absl::SleepFor(absl::Milliseconds(200));
  int before = Writes();
  for (int i = 0; i < 10; ++i) ASSERT_TRUE(fake_.Delete(pods_, "default", absl::StrCat("p", i)).ok());
  ASSERT_TRUE(WaitFor([&] { return EndpointCount("web") == 240; }));
  absl::SleepFor(absl::Milliseconds(200));
  EXPECT_EQ(SlicesOf("web").size(), 3u);
  EXPECT_EQ(fake_.CountCalls("create endpointslices "), 3);
  EXPECT_LE(Writes() - before, 10);
}

TEST_F(EndpointSliceControllerTest, NoRewriteWhenNothingChanged) {
  AddService("web", R"({"selector":{"app":"web"},"ports":[{"port":80}]})");
  AddPod("a", "10.0.0.1", true);
  ASSERT_TRUE(WaitFor([&] { return EndpointCount("web") == 1; }));
  absl::SleepFor(absl::Milliseconds(200));
  int before = Writes();
  json::value pod = *fake_.Peek(pods_, "default", "a");
  pod.as_object()["metadata"].as_object()["annotations"] = json::object{{"x", "y"}};
  ASSERT_TRUE(fake_.Update(pods_, "default", pod).ok());
  json::value svc = *fake_.Peek(services_, "default", "web");
  svc.as_object()["metadata"].as_object()["annotations"] = json::object{{"x", "y"}};
  ASSERT_TRUE(fake_.Update(services_, "default", svc).ok());
  absl::SleepFor(absl::Milliseconds(300));
  EXPECT_EQ(Writes(), before);
  // A new pod goes into the existing slice: one update, no create.
  AddPod("b", "10.0.0.2", true);
  ASSERT_TRUE(WaitFor([&] { return EndpointCount("web") == 2; }));
  absl::SleepFor(absl::Milliseconds(200));
  EXPECT_EQ(Writes(), before + 1);
  EXPECT_EQ(SlicesOf("web").size(), 1u);
}

TEST_F(EndpointSliceControllerTest, ServiceDeletionRemovesOwnSlicesOnly) {
  json::value foreign = Json(R"({"metadata":{"name":"web-custom","labels":{"kubernetes.io/service-name":"web",
      "endpointslice.kubernetes.io/managed-by":"someone-else"}},"addressType":"IPv4","endpoints":[]})");
  ASSERT_TRUE(fake_.Create(slices_, "default", foreign).ok());
  AddService("web", R"({"selector":{"app":"web"},"ports":[{"port":80}]})");
  AddPod("a", "10.0.0.1", true);
  ASSERT_TRUE(WaitFor([&] { return SlicesOf("web").size() == 2 && EndpointCount("web") == 1; }));
  ASSERT_TRUE(fake_.Delete(services_, "default", "web").ok());
  ASSERT_TRUE(WaitFor([&] { return SlicesOf("web").size() == 1; }));
  EXPECT_EQ(base::GetString(*SlicesOf("web")[0], {"metadata", "name"}), "web-custom");
}

TEST_F(EndpointSliceControllerTest, SelectorlessServiceGetsNoSlicesAndEmptyServiceAPlaceholder) {
  AddService("ext", R"({"ports":[{"port":80}]})");
  AddService("empty", R"({"selector":{"app":"none"},"ports":[{"port":80}]})");
  AddPod("a", "10.0.0.1", true);
  ASSERT_TRUE(WaitFor([&] { return SlicesOf("empty").size() == 1; }));
  absl::SleepFor(absl::Milliseconds(200));
  EXPECT_TRUE(SlicesOf("ext").empty());
  EXPECT_TRUE(SlicesOf("empty")[0]->at("endpoints").as_array().empty());
}

// The planner on its own: removals and additions reuse the existing slice.
TEST(SlicePlannerTest, ReplacesEndpointsInPlaceAndDeletesExtraSlices) {
  DesiredState desired;
  desired.ns = "default";
  desired.generate_name = "web-";
  desired.max_endpoints_per_slice = 2;
  desired.labels = json::object{{"a", "b"}};
  json::value ports = Json(R"([{"name":"","port":80,"protocol":"TCP"}])");
  std::string key = base::ToJson(CanonicalPorts(&ports));
  auto ep = [](const std::string& id) {
    json::value v = json::object{{"addresses", json::array{json::value("10.0.0." + id)}},
                                 {"conditions", json::object{{"ready", true}}},
                                 {"targetRef", json::object{{"uid", id}}}};
    return DesiredEndpoint{id, CanonicalEndpoint(v)};
  };
  desired.groups[key] = {ep("1"), ep("3"), ep("4")};
  auto slice = [&](const std::string& name, const std::vector<std::string>& ids) {
    json::value s = json::object{
        {"metadata",
         json::object{{"name", name}, {"labels", desired.labels}, {"ownerReferences", json::array{}}}},
        {"addressType", "IPv4"},
        {"ports", ports}};
    json::array eps;
    for (const auto& id : ids) eps.push_back(ep(id).value);
    s.as_object()["endpoints"] = std::move(eps);
    return std::make_shared<const json::value>(std::move(s));
  };
  // a: {1,2} (2 is gone) -> {1,3}; b: {4} unchanged; c: {5} gone -> deleted.
  SlicePlan plan = PlanSlices(desired, {slice("a", {"1", "2"}), slice("b", {"4"}), slice("c", {"5"})});
  EXPECT_TRUE(plan.creates.empty());
  ASSERT_EQ(plan.updates.size(), 1u);
  EXPECT_EQ(base::GetString(plan.updates[0], {"metadata", "name"}), "a");
  EXPECT_EQ(plan.updates[0].at("endpoints").as_array().size(), 2u);
  EXPECT_EQ(plan.deletes, std::vector<std::string>{"c"});
  // The same state again plans nothing.
  SlicePlan again = PlanSlices(desired, {slice("a", {"1", "3"}), slice("b", {"4"})});
  EXPECT_TRUE(again.empty());
}

}  // namespace
}  // namespace skiff::controllers::endpointslice
