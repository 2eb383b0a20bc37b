#include "agent/ingress/route_table.h"

#include "gtest/gtest.h"

namespace skiff::agent::ingress {
namespace {

Route PathRoute(const std::string& source, PathMatchType type, const std::string& path) {
  Route route;
  route.source = source;
  route.matches.push_back(RouteMatch{.path = {type, path}});
  return route;
}

TEST(PathMatchesTest, PrefixIsElementWise) {
  const PathMatch foo{PathMatchType::kPrefix, "/foo"};
  EXPECT_TRUE(PathMatches(foo, "/foo"));
  EXPECT_TRUE(PathMatches(foo, "/foo/"));
  EXPECT_TRUE(PathMatches(foo, "/foo/bar"));
  EXPECT_FALSE(PathMatches(foo, "/foobar"));
  EXPECT_FALSE(PathMatches(foo, "/"));
  const PathMatch trailing{PathMatchType::kPrefix, "/foo/"};
  EXPECT_TRUE(PathMatches(trailing, "/foo"));
  EXPECT_FALSE(PathMatches(trailing, "/foobar"));
  EXPECT_TRUE(PathMatches(PathMatch{PathMatchType::kPrefix, "/"}, "/anything/at/all"));
}

TEST(PathMatchesTest, ExactIsWholePath) {
  const PathMatch exact{PathMatchType::kExact, "/foo"};
  EXPECT_TRUE(PathMatches(exact, "/foo"));
  EXPECT_FALSE(PathMatches(exact, "/foo/"));
  EXPECT_FALSE(PathMatches(exact, "/foo/bar"));
}

TEST(HostMatchesTest, WildcardDepthFollowsTheProducer) {
  VirtualHost ingress{.hostname = "*.example.com"};
  EXPECT_TRUE(HostMatches(ingress, "a.example.com"));
  EXPECT_FALSE(HostMatches(ingress, "a.b.example.com"));
  EXPECT_FALSE(HostMatches(ingress, "example.com"));
  EXPECT_FALSE(HostMatches(ingress, "aexample.com"));
  VirtualHost gateway{.hostname = "*.example.com", .wildcard_any_depth = true};
  EXPECT_TRUE(HostMatches(gateway, "a.b.example.com"));
  EXPECT_TRUE(HostMatches(VirtualHost{}, "anything"));
  EXPECT_TRUE(HostMatches(VirtualHost{.hostname = "x.io"}, "x.io"));
  EXPECT_FALSE(HostMatches(VirtualHost{.hostname = "x.io"}, "y.x.io"));
}

TEST(OrderedMatchesTest, ExactThenLongestPrefixThenRegexThenMoreConditions) {
  VirtualHost vhost;
  vhost.routes.push_back(PathRoute("root", PathMatchType::kPrefix, "/"));
  vhost.routes.push_back(PathRoute("regex", PathMatchType::kRegularExpression, "/api/v[0-9]"));
  vhost.routes.push_back(PathRoute("api", PathMatchType::kPrefix, "/api"));
  vhost.routes.push_back(PathRoute("api-v1", PathMatchType::kPrefix, "/api/v1"));
  vhost.routes.push_back(PathRoute("exact-short", PathMatchType::kExact, "/a"));
  vhost.routes.push_back(PathRoute("exact-api", PathMatchType::kExact, "/api"));
  Route with_header = PathRoute("api-header", PathMatchType::kPrefix, "/api");
  with_header.matches[0].headers.push_back({.name = "x-canary", .value = "1"});
  vhost.routes.push_back(with_header);
  Route with_method = PathRoute("api-get", PathMatchType::kPrefix, "/api");
  with_method.matches[0].method = "GET";
  vhost.routes.push_back(with_method);

  std::vector<std::string> order;
  for (const auto& [index, match] : OrderedMatches(vhost)) order.push_back(vhost.routes[index].source);
  EXPECT_EQ(order, (std::vector<std::string>{"exact-api", "exact-short", "regex", "api-v1", "api-get", "api-header",
                                             "api", "root"}));
}

TEST(OrderedMatchesTest, RouteWithoutMatchesMatchesEverythingLast) {
  VirtualHost vhost;
  vhost.routes.push_back(Route{.source = "all"});
  vhost.routes.push_back(PathRoute("foo", PathMatchType::kPrefix, "/foo"));
  const auto ordered = OrderedMatches(vhost);
  ASSERT_EQ(ordered.size(), 2u);
  EXPECT_EQ(ordered[0].first, 1u);
  EXPECT_EQ(ordered[1].first, 0u);
  EXPECT_EQ(ordered[1].second.path, (PathMatch{PathMatchType::kPrefix, "/"}));
}

TEST(SortRoutesTest, ExactHostsBeforeWildcardsBeforeCatchAll) {
  RouteTable table;
  table.hosts = {VirtualHost{.hostname = ""}, VirtualHost{.hostname = "*.a.io"}, VirtualHost{.hostname = "x.a.io"},
                 VirtualHost{.hostname = "*.b.a.io"}};
  SortRoutes(table);
  EXPECT_EQ(table.hosts[0].hostname, "x.a.io");
  EXPECT_EQ(table.hosts[1].hostname, "*.b.a.io");
  EXPECT_EQ(table.hosts[2].hostname, "*.a.io");
  EXPECT_EQ(table.hosts[3].hostname, "");
}

TEST(MergeHostsTest, KeepsRouteOrderPerHost) {
  RouteTable table;
  VirtualHost a{.hostname = "a.io"};
  a.routes.push_back(Route{.source = "1"});
  VirtualHost b{.hostname = "b.io"};
  b.routes.push_back(Route{.source = "2"});
  VirtualHost a2{.hostname = "a.io"};
  a2.routes.push_back(Route{.source = "3"});
  table.hosts = {a, b, a2};
  MergeHosts(table);
  ASSERT_EQ(table.hosts.size(), 2u);
  ASSERT_EQ(table.hosts[0].routes.size(), 2u);
  EXPECT_EQ(table.hosts[0].routes[1].source, "3");
}

}  // namespace
}  // namespace skiff::agent::ingress
