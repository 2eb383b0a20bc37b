#include "controllers/gateway/attachment.h"

#include <memory>

#include "base/json.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace skiff::controllers::gateway {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;

client::Object Parse(const std::string& text) {
  absl::StatusOr<boost::json::value> v = base::ParseJson(text);
  EXPECT_TRUE(v.ok()) << v.status() << " in " << text;
  return std::make_shared<const boost::json::value>(v.ok() ? *v : boost::json::value());
}

// Gateway infra/gw (class skiff) with listeners: "web" (HTTP, any host, Same namespace), "wild"
// (HTTP, *.example.com, All namespaces), "team" (HTTP, team.example.com, namespaces labelled
// team=a) and "tcp" (TCP).
GatewayObjects Objects() {
  GatewayObjects objects;
  objects.classes = {Parse(R"({"metadata":{"name":"skiff"},"spec":{"controllerName":"skiff.dev/gateway-controller"}})"),
                     Parse(R"({"metadata":{"name":"other"},"spec":{"controllerName":"example.com/other"}})")};
  objects.gateways = {
      Parse(R"({"metadata":{"namespace":"infra","name":"gw"},"spec":{"gatewayClassName":"skiff","listeners":[
        {"name":"web","protocol":"HTTP","port":80},
        {"name":"wild","protocol":"HTTP","port":8080,"hostname":"*.example.com","allowedRoutes":{"namespaces":{"from":"All"}}},
        {"name":"team","protocol":"HTTP","port":8080,"hostname":"team.example.com",
         "allowedRoutes":{"namespaces":{"from":"Selector","selector":{"matchLabels":{"team":"a"}}}}},
        {"name":"tcp","protocol":"TCP","port":9000}]}})"),
      Parse(R"({"metadata":{"namespace":"infra","name":"foreign"},"spec":{"gatewayClassName":"other","listeners":[
        {"name":"web","protocol":"HTTP","port":80}]}})")};
  objects.namespaces = {Parse(R"({"metadata":{"name":"infra"}})"),
                        Parse(R"({"metadata":{"name":"team-a","labels":{"team":"a"}}})"),
                        Parse(R"({"metadata":{"name":"apps"}})")};
  return objects;
}

client::Object Route(const std::string& ns, const std::string& name, const std::string& parent_refs,
                     const std::string& hostnames = "[]", const std::string& created = "2026-01-01T00:00:00Z") {
  return Parse(R"({"metadata":{"namespace":")" + ns + R"(","name":")" + name + R"(","creationTimestamp":")" + created +
               R"("},"spec":{"parentRefs":)" + parent_refs + R"(,"hostnames":)" + hostnames + R"(}})");
}

TEST(IntersectHostnamesTest, FollowsTheGatewayApiRules) {
  EXPECT_THAT(IntersectHostnames("", {}), ElementsAre(""));
  EXPECT_THAT(IntersectHostnames("", {"a.test", "b.test"}), ElementsAre("a.test", "b.test"));
  EXPECT_THAT(IntersectHostnames("a.test", {}), ElementsAre("a.test"));
  EXPECT_THAT(IntersectHostnames("*.example.com", {"a.example.com", "x.y.example.com", "example.com", "a.test"}),
              ElementsAre("a.example.com", "x.y.example.com"));
  EXPECT_THAT(IntersectHostnames("a.example.com", {"*.example.com"}), ElementsAre("a.example.com"));
  EXPECT_THAT(IntersectHostnames("*.example.com", {"*.a.example.com"}), ElementsAre("*.a.example.com"));
  EXPECT_THAT(IntersectHostnames("*.a.example.com", {"*.example.com"}), ElementsAre("*.a.example.com"));
  EXPECT_THAT(IntersectHostnames("a.test", {"b.test", "*.other"}), IsEmpty());
}

TEST(AttachTest, OnlyOurClassesAndGatewaysWithListenerCounts) {
  GatewayObjects objects = Objects();
  objects.routes = {Route("infra", "r", R"([{"name":"gw"}])"), Route("infra", "f", R"([{"name":"foreign"}])")};
  const Attachments a = Attach(objects);
  EXPECT_THAT(a.classes, ElementsAre("skiff"));
  ASSERT_EQ(a.gateways.size(), 1u);
  ASSERT_EQ(a.routes.size(), 1u);  // the route to the foreign Gateway is not ours
  const ParentAttachment& p = a.routes[0].parents[0];
  EXPECT_TRUE(p.accepted);
  EXPECT_EQ(p.reason, "Accepted");
  // From its own namespace without hostnames: web (any host) and wild (*.example.com); team
  // selects namespaces labelled team=a, and tcp takes no HTTPRoutes.
  EXPECT_THAT(p.listeners, ElementsAre("web", "wild"));
  EXPECT_THAT(p.hostnames, ElementsAre("", "*.example.com"));
  EXPECT_EQ(a.attached_routes.at("infra/gw").at("web"), 1);
  EXPECT_EQ(a.attached_routes.at("infra/gw").at("wild"), 1);
  EXPECT_EQ(a.attached_routes.at("infra/gw").at("team"), 0);
  EXPECT_EQ(a.attached_routes.at("infra/gw").at("tcp"), 0);
}

TEST(AttachTest, SectionNameNamespacesAndHostnames) {
  GatewayObjects objects = Objects();
  const std::string to_web = R"([{"name":"gw","namespace":"infra","sectionName":"web"}])";
  const std::string to_team = R"([{"name":"gw","namespace":"infra","sectionName":"team"}])";
  const std::string to_wild = R"([{"name":"gw","namespace":"infra","sectionName":"wild"}])";
  objects.routes = {
      Route("apps", "same-only", to_web),                                     // web admits infra only
      Route("team-a", "by-label", to_team),                                   // selector matches team-a
      Route("apps", "not-labelled", to_team),                                 // selector does not match apps
      Route("apps", "wrong-host", to_wild, R"(["a.test"])"),                  // not under *.example.com
      Route("apps", "narrowed", to_wild, R"(["shop.example.com","a.test"])"),  // one of two names fits
      Route("apps", "no-such", R"([{"name":"gw","namespace":"infra","sectionName":"nope"}])"),
  };
  const Attachments a = Attach(objects);
  ASSERT_EQ(a.routes.size(), 6u);
  std::map<std::string, ParentAttachment> by_name;
  for (const RouteAttachment& r : a.routes) by_name[base::GetString(*r.route, {"metadata", "name"})] = r.parents[0];
  EXPECT_EQ(by_name["same-only"].reason, "NotAllowedByListeners");
  EXPECT_FALSE(by_name["same-only"].accepted);
  EXPECT_TRUE(by_name["by-label"].accepted);
  EXPECT_THAT(by_name["by-label"].hostnames, ElementsAre("team.example.com"));
  EXPECT_EQ(by_name["not-labelled"].reason, "NotAllowedByListeners");
  EXPECT_EQ(by_name["wrong-host"].reason, "NoMatchingListenerHostname");
  EXPECT_TRUE(by_name["narrowed"].accepted);
  EXPECT_THAT(by_name["narrowed"].hostnames, ElementsAre("shop.example.com"));
  EXPECT_EQ(by_name["no-such"].reason, "NoMatchingParent");
  EXPECT_EQ(a.attached_routes.at("infra/gw").at("wild"), 1);
  EXPECT_EQ(a.attached_routes.at("infra/gw").at("team"), 1);
}

TEST(AttachTest, RoutesOldestFirst) {
  GatewayObjects objects = Objects();
  objects.routes = {Route("infra", "new", R"([{"name":"gw"}])", "[]", "2026-02-01T00:00:00Z"),
                    Route("infra", "old", R"([{"name":"gw"}])", "[]", "2026-01-01T00:00:00Z")};
  const Attachments a = Attach(objects);
  ASSERT_EQ(a.routes.size(), 2u);
  EXPECT_EQ(base::GetString(*a.routes[0].route, {"metadata", "name"}), "old");
}

TEST(BackendRefPermittedTest, NeedsAReferenceGrantAcrossNamespaces) {
  const std::vector<client::Object> grants = {
      Parse(R"({"metadata":{"namespace":"backends","name":"g"},"spec":{
        "from":[{"group":"gateway.networking.k8s.io","kind":"HTTPRoute","namespace":"apps"}],
        "to":[{"group":"","kind":"Service","name":"api"}]}})"),
      Parse(R"({"metadata":{"namespace":"open","name":"g"},"spec":{
        "from":[{"group":"gateway.networking.k8s.io","kind":"HTTPRoute","namespace":"apps"}],
        "to":[{"group":"","kind":"Service"}]}})")};
  EXPECT_TRUE(BackendRefPermitted("apps", "apps", "x", {}));
  EXPECT_TRUE(BackendRefPermitted("apps", "backends", "api", grants));
  EXPECT_FALSE(BackendRefPermitted("apps", "backends", "db", grants));  // another Service
  EXPECT_FALSE(BackendRefPermitted("other", "backends", "api", grants));  // another namespace
  EXPECT_TRUE(BackendRefPermitted("apps", "open", "anything", grants));
  EXPECT_FALSE(BackendRefPermitted("apps", "closed", "api", grants));
}

}  // namespace
}  // namespace skiff::controllers::gateway
