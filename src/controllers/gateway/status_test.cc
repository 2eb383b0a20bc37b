#include "controllers/gateway/status.h"

#include <memory>

#include "base/json.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace skiff::controllers::gateway {
namespace {

namespace json = boost::json;

client::Object Parse(const std::string& text) {
  absl::StatusOr<json::value> v = base::ParseJson(text);
  EXPECT_TRUE(v.ok()) << v.status() << " in " << text;
  return std::make_shared<const json::value>(v.ok() ? *v : json::value());
}

// Condition `type` of a conditions array: "status/reason".
std::string Cond(const json::value& conditions, const std::string& type) {
  for (const json::value& c : conditions.as_array()) {
    if (base::GetString(c, {"type"}) == type) {
      return base::GetString(c, {"status"}) + "/" + base::GetString(c, {"reason"});
    }
  }
  return "missing";
}

Attachments Attached(std::vector<client::Object> routes) {
  GatewayObjects objects;
  objects.classes = {Parse(R"({"metadata":{"name":"skiff"},"spec":{"controllerName":"skiff.dev/gateway-controller"}})")};
  objects.gateways = {Parse(R"({"metadata":{"namespace":"default","name":"gw","generation":3},"spec":{
    "gatewayClassName":"skiff","listeners":[{"name":"web","protocol":"HTTP","port":80,"hostname":"*.test"},
                                            {"name":"udp","protocol":"UDP","port":53},
                                            {"name":"tls","protocol":"HTTPS","port":443,"tls":{"certificateRefs":[{"name":"c"}]}},
                                            {"name":"far","protocol":"HTTPS","port":443,
                                             "tls":{"certificateRefs":[{"name":"c","namespace":"other"}]}}]}})")};
  objects.routes = std::move(routes);
  return Attach(objects);
}

client::Object Route(const std::string& name, const std::string& hostnames, const std::string& backend_refs) {
  return Parse(R"({"metadata":{"namespace":"default","name":")" + name + R"(","generation":2},"spec":{
    "parentRefs":[{"name":"gw","sectionName":"web"}],"hostnames":)" + hostnames +
               R"(,"rules":[{"backendRefs":)" + backend_refs + R"(}]},
    "status":{"parents":[{"parentRef":{"name":"x"},"controllerName":"example.com/other","conditions":[]}]}})");
}

TEST(GatewayStatusTest, AddressesListenersAndAttachedRoutes) {
  const Attachments a = Attached({Route("r", R"(["a.test"])", R"([{"name":"web","port":80}])")});
  const json::value status = GatewayStatus(*a.gateways[0], a, {"192.0.2.1", "192.0.2.2"}, {}, "2026-01-01T00:00:00Z");
  EXPECT_EQ(base::ToJson(status.at("addresses")),
            R"([{"type":"IPAddress","value":"192.0.2.1"},{"type":"IPAddress","value":"192.0.2.2"}])");
  EXPECT_EQ(Cond(status.at("conditions"), "Accepted"), "True/Accepted");
  EXPECT_EQ(Cond(status.at("conditions"), "Programmed"), "True/Programmed");
  EXPECT_EQ(base::GetInt(status.at("conditions").as_array()[0], {"observedGeneration"}), 3);
  const json::array& listeners = status.at("listeners").as_array();
  ASSERT_EQ(listeners.size(), 4u);
  EXPECT_EQ(base::GetInt(listeners[0], {"attachedRoutes"}), 1);
  EXPECT_EQ(Cond(listeners[0].at("conditions"), "Accepted"), "True/Accepted");
  EXPECT_EQ(Cond(listeners[0].at("conditions"), "Conflicted"), "False/NoConflicts");
  EXPECT_EQ(Cond(listeners[1].at("conditions"), "Accepted"), "False/UnsupportedProtocol");
  EXPECT_EQ(base::GetInt(listeners[1], {"attachedRoutes"}), 0);
  EXPECT_EQ(Cond(listeners[2].at("conditions"), "Accepted"), "True/Accepted");
  EXPECT_EQ(Cond(listeners[2].at("conditions"), "ResolvedRefs"), "False/InvalidCertificateRef");  // no Secret c
  EXPECT_EQ(Cond(listeners[3].at("conditions"), "ResolvedRefs"), "False/RefNotPermitted");

  const json::value no_nodes = GatewayStatus(*a.gateways[0], a, {}, {"default/c"}, "2026-01-01T00:00:00Z");
  EXPECT_EQ(Cond(no_nodes.at("conditions"), "Programmed"), "False/AddressNotAssigned");
  EXPECT_FALSE(no_nodes.as_object().contains("addresses"));
  // With the Secret: resolved.
  EXPECT_EQ(Cond(no_nodes.at("listeners").as_array()[2].at("conditions"), "ResolvedRefs"), "True/ResolvedRefs");
}

TEST(HttpRouteStatusTest, ParentConditionsAndResolvedRefs) {
  const Attachments a = Attached({
      Route("ok", R"(["a.test"])", R"([{"name":"web","port":80}])"),
      Route("wrong-host", R"(["a.example"])", R"([{"name":"web","port":80}])"),
      Route("missing", R"(["b.test"])", R"([{"name":"nope","port":80}])"),
      Route("cross", R"(["c.test"])", R"([{"name":"api","namespace":"backends","port":80}])"),
  });
  const std::set<std::string> services = {"default/web", "backends/api"};
  std::map<std::string, json::value> by_name;
  for (const RouteAttachment& r : a.routes) {
    by_name[base::GetString(*r.route, {"metadata", "name"})] = HttpRouteStatus(r, services, {}, "2026-01-01T00:00:00Z");
  }
  auto ours = [&](const std::string& name) -> const json::value& {
    const json::array& parents = by_name[name].at("parents").as_array();
    EXPECT_EQ(parents.size(), 2u);  // the other controller's entry is kept
    EXPECT_EQ(base::GetString(parents[0], {"controllerName"}), "example.com/other");
    return parents[1];
  };
  EXPECT_EQ(Cond(ours("ok").at("conditions"), "Accepted"), "True/Accepted");
  EXPECT_EQ(Cond(ours("ok").at("conditions"), "ResolvedRefs"), "True/ResolvedRefs");
  EXPECT_EQ(base::GetString(ours("ok"), {"parentRef", "sectionName"}), "web");
  EXPECT_EQ(Cond(ours("wrong-host").at("conditions"), "Accepted"), "False/NoMatchingListenerHostname");
  EXPECT_EQ(Cond(ours("missing").at("conditions"), "ResolvedRefs"), "False/BackendNotFound");
  EXPECT_EQ(Cond(ours("cross").at("conditions"), "ResolvedRefs"), "False/RefNotPermitted");
}

TEST(HttpRouteStatusTest, TransitionTimeKeptWhileUnchanged) {
  const Attachments a = Attached({Route("ok", R"(["a.test"])", R"([{"name":"web","port":80}])")});
  json::value first = HttpRouteStatus(a.routes[0], {"default/web"}, {}, "2026-01-01T00:00:00Z");
  json::value with_status = *a.routes[0].route;
  with_status.as_object()["status"] = first;
  RouteAttachment again = a.routes[0];
  again.route = std::make_shared<const json::value>(with_status);
  EXPECT_EQ(HttpRouteStatus(again, {"default/web"}, {}, "2026-02-02T00:00:00Z"), first);
  const json::value changed = HttpRouteStatus(again, {}, {}, "2026-02-02T00:00:00Z");
  EXPECT_EQ(base::GetString(changed.at("parents").as_array()[1].at("conditions").as_array()[1], {"lastTransitionTime"}),
            "2026-02-02T00:00:00Z");
}

TEST(GatewayClassStatusTest, Accepted) {
  const json::value status = GatewayClassStatus(
      *Parse(R"({"metadata":{"name":"skiff","generation":1},"spec":{"controllerName":"skiff.dev/gateway-controller"}})"),
      "2026-01-01T00:00:00Z");
  EXPECT_EQ(Cond(status.at("conditions"), "Accepted"), "True/Accepted");
}

}  // namespace
}  // namespace skiff::controllers::gateway
