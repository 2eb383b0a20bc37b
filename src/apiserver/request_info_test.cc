#include "apiserver/request_info.h"

#include "gtest/gtest.h"

namespace skiff::apiserver {
namespace {

TEST(RequestInfoTest, FieldManagerFromUserAgentTakesThePartBeforeTheFirstSlash) {
  EXPECT_EQ(FieldManagerFromUserAgent("kubectl/v1.32.4 (linux/amd64) kubernetes/4cb5f07"), "kubectl");
  EXPECT_EQ(FieldManagerFromUserAgent("OpenAPI-Generator/22.6.0/python"), "OpenAPI-Generator");
  EXPECT_EQ(FieldManagerFromUserAgent("curl"), "curl");
  EXPECT_EQ(FieldManagerFromUserAgent(""), "");
  EXPECT_EQ(FieldManagerFromUserAgent("/v1"), "");
  EXPECT_EQ(FieldManagerFromUserAgent("my tool\t\x01x/1"), "my toolx");  // unprintable dropped
  EXPECT_EQ(FieldManagerFromUserAgent(std::string(200, 'a')), std::string(128, 'a'));
  // Cut at a character boundary: 64 two-byte characters fit, the 65th does not.
  std::string umlauts;
  for (int i = 0; i < 70; ++i) umlauts += "\xc3\xa4";
  EXPECT_EQ(FieldManagerFromUserAgent("x" + umlauts).size(), 127u);
}

TEST(RequestInfoTest, CoreNamespacedItemWithSubresource) {
  auto info = ParseRequestInfo("GET", "/api/v1/namespaces/default/pods/web-0/status", false);
  EXPECT_TRUE(info.is_resource);
  EXPECT_EQ(info.group, "");
  EXPECT_EQ(info.version, "v1");
  EXPECT_EQ(info.namespace_name, "default");
  EXPECT_EQ(info.resource, "pods");
  EXPECT_EQ(info.name, "web-0");
  EXPECT_EQ(info.subresource, "status");
  EXPECT_EQ(info.verb, "get");
}

TEST(RequestInfoTest, GroupCollectionVerbs) {
  EXPECT_EQ(ParseRequestInfo("GET", "/apis/apps/v1/deployments", false).verb, "list");
  EXPECT_EQ(ParseRequestInfo("GET", "/apis/apps/v1/deployments", true).verb, "watch");
  EXPECT_EQ(ParseRequestInfo("POST", "/apis/apps/v1/namespaces/a/deployments", false).verb, "create");
  EXPECT_EQ(ParseRequestInfo("DELETE", "/apis/apps/v1/namespaces/a/deployments", false).verb, "deletecollection");
  EXPECT_EQ(ParseRequestInfo("DELETE", "/apis/apps/v1/namespaces/a/deployments/x", false).verb, "delete");
  EXPECT_EQ(ParseRequestInfo("PATCH", "/apis/apps/v1/namespaces/a/deployments/x", false).verb, "patch");
  EXPECT_EQ(ParseRequestInfo("PUT", "/apis/apps/v1/namespaces/a/deployments/x/scale", false).verb, "update");
}

TEST(RequestInfoTest, NamespaceObjectAndItsSubresources) {
  auto ns = ParseRequestInfo("GET", "/api/v1/namespaces/default", false);
  EXPECT_EQ(ns.resource, "namespaces");
  EXPECT_EQ(ns.name, "default");
  EXPECT_EQ(ns.namespace_name, "");
  auto fin = ParseRequestInfo("PUT", "/api/v1/namespaces/team/finalize", false);
  EXPECT_EQ(fin.resource, "namespaces");
  EXPECT_EQ(fin.name, "team");
  EXPECT_EQ(fin.subresource, "finalize");
}

TEST(RequestInfoTest, LegacyWatchPrefixAndNonResourcePaths) {
  auto w = ParseRequestInfo("GET", "/api/v1/watch/namespaces/a/pods", false);
  EXPECT_EQ(w.verb, "watch");
  EXPECT_EQ(w.resource, "pods");
  EXPECT_FALSE(ParseRequestInfo("GET", "/version", false).is_resource);
  EXPECT_FALSE(ParseRequestInfo("GET", "/apis/apps/v1", false).is_resource);
  EXPECT_FALSE(ParseRequestInfo("GET", "/api/v1/namespaces/a/pods/b/c/d", false).is_resource);
}

TEST(RequestInfoTest, BooleansAreCaseInsensitive) {
  EXPECT_TRUE(ParseBool("true"));
  EXPECT_TRUE(ParseBool("True"));
  EXPECT_TRUE(ParseBool("1"));
  EXPECT_FALSE(ParseBool("false"));
  EXPECT_FALSE(ParseBool(""));
  EXPECT_FALSE(ParseBool("yes"));
}

}  // namespace
}  // namespace skiff::apiserver
