#include "agent/ingress/gateway_translator.h"

#include <memory>

#include "base/json.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace skiff::agent::ingress {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

client::Object Parse(const std::string& text) {
  absl::StatusOr<boost::json::value> v = base::ParseJson(text);
  EXPECT_TRUE(v.ok()) << v.status() << " in " << text;
  return std::make_shared<const boost::json::value>(v.ok() ? *v : boost::json::value());
}

client::Object Service(const std::string& ns, const std::string& name) {
  return Parse(R"({"metadata":{"namespace":")" + ns + R"(","name":")" + name +
               R"("},"spec":{"ports":[{"name":"http","port":80,"protocol":"TCP"}]}})");
}

client::Object Slice(const std::string& ns, const std::string& service, const std::string& ip) {
  return Parse(R"({"metadata":{"namespace":")" + ns + R"(","name":")" + service +
               R"(-x","labels":{"kubernetes.io/service-name":")" + service +
               R"("}},"addressType":"IPv4","ports":[{"name":"http","port":8080,"protocol":"TCP"}],
                   "endpoints":[{"addresses":[")" + ip + R"("],"conditions":{"ready":true}}]})");
}

// Gateway default/gw of class skiff: listener "web" (HTTP, any host) and "shop" (HTTP,
// *.shop.test); Services stable, canary (default) and api (backends) with one endpoint each.
GatewayInputs Inputs(std::vector<client::Object> routes) {
  controllers::gateway::GatewayObjects objects;
  objects.classes = {Parse(R"({"metadata":{"name":"skiff"},"spec":{"controllerName":"skiff.dev/gateway-controller"}})")};
  objects.gateways = {Parse(R"({"metadata":{"namespace":"default","name":"gw"},"spec":{"gatewayClassName":"skiff",
    "listeners":[{"name":"web","protocol":"HTTP","port":80},
                 {"name":"shop","protocol":"HTTP","port":80,"hostname":"*.shop.test"}]}})")};
  objects.routes = std::move(routes);
  GatewayInputs inputs;
  inputs.attachments = controllers::gateway::Attach(objects);
  inputs.services = {{"default/stable", Service("default", "stable")},
                     {"default/canary", Service("default", "canary")},
                     {"backends/api", Service("backends", "api")}};
  inputs.slices = {{"default/stable", {Slice("default", "stable", "10.42.0.1")}},
                   {"default/canary", {Slice("default", "canary", "10.42.0.2")}},
                   {"backends/api", {Slice("backends", "api", "10.42.0.3")}}};
  return inputs;
}

client::Object HttpRoute(const std::string& name, const std::string& spec) {
  return Parse(R"({"metadata":{"namespace":"default","name":")" + name +
               R"(","creationTimestamp":"2026-01-01T00:00:00Z"},"spec":)" + spec + "}");
}

TEST(GatewayTranslatorTest, WeightedBackendsWithMatchesAndHeaderModifier) {
  const GatewayInputs inputs = Inputs({HttpRoute("canary", R"({"parentRefs":[{"name":"gw","sectionName":"web"}],
    "hostnames":["app.test"],
    "rules":[
      {"matches":[{"headers":[{"name":"X-Variant","value":"b"}]}],
       "backendRefs":[{"name":"canary","port":80}]},
      {"matches":[{"path":{"type":"PathPrefix","value":"/"}}],
       "filters":[{"type":"RequestHeaderModifier","requestHeaderModifier":{
         "set":[{"name":"X-Env","value":"prod"}],"add":[{"name":"X-Via","value":"gw"}],"remove":["X-Debug"]}}],
       "backendRefs":[{"name":"stable","port":80,"weight":90},{"name":"canary","port":80,"weight":10}]},
      {"matches":[{"path":{"type":"Exact","value":"/health"},"method":"GET",
                   "queryParams":[{"name":"v","type":"RegularExpression","value":"^[0-9]+$"}]}],
       "backendRefs":[{"name":"stable","port":80}]}]})")});
  std::vector<std::string> warnings;
  RouteTable table;
  TranslateGateways(inputs, &table, &warnings);
  EXPECT_THAT(warnings, IsEmpty());
  ASSERT_EQ(table.hosts.size(), 1u);
  const VirtualHost& host = table.hosts[0];
  EXPECT_EQ(host.hostname, "app.test");
  EXPECT_TRUE(host.wildcard_any_depth);
  ASSERT_EQ(host.routes.size(), 3u);
  // Sorted by the Gateway API's precedence: the Exact path first, then the header match (a
  // PathPrefix "/" with a header beats one without).
  EXPECT_EQ(host.routes[0].source, "HTTPRoute default/canary rule 2");
  const RouteMatch& exact = host.routes[0].matches[0];
  EXPECT_EQ(exact.path, (PathMatch{PathMatchType::kExact, "/health"}));
  EXPECT_EQ(exact.method, "GET");
  EXPECT_THAT(exact.query_params, ElementsAre(QueryParamMatch{"v", StringMatchType::kRegularExpression, "^[0-9]+$"}));
  EXPECT_EQ(host.routes[1].source, "HTTPRoute default/canary rule 0");
  EXPECT_THAT(host.routes[1].matches[0].headers, ElementsAre(HeaderMatch{"X-Variant", StringMatchType::kExact, "b"}));
  EXPECT_EQ(host.routes[1].matches[0].path, (PathMatch{PathMatchType::kPrefix, "/"}));
  const Route& split = host.routes[2];
  ASSERT_EQ(split.backends.size(), 2u);
  EXPECT_EQ(split.backends[0].service, "stable");
  EXPECT_EQ(split.backends[0].weight, 90);
  EXPECT_THAT(split.backends[0].endpoints, ElementsAre(Endpoint{"10.42.0.1", 8080}));
  EXPECT_EQ(split.backends[1].service, "canary");
  EXPECT_EQ(split.backends[1].weight, 10);
  EXPECT_THAT(split.backends[1].endpoints, ElementsAre(Endpoint{"10.42.0.2", 8080}));
  EXPECT_EQ(split.request_headers.set, (std::vector<std::pair<std::string, std::string>>{{"X-Env", "prod"}}));
  EXPECT_EQ(split.request_headers.add, (std::vector<std::pair<std::string, std::string>>{{"X-Via", "gw"}}));
  EXPECT_THAT(split.request_headers.remove, ElementsAre("X-Debug"));
}

TEST(GatewayTranslatorTest, RedirectHasNoBackendsAndHostnamesFollowListeners) {
  const GatewayInputs inputs = Inputs({HttpRoute("redirect", R"({"parentRefs":[{"name":"gw"}],
    "hostnames":["a.shop.test","b.test"],
    "rules":[{"filters":[{"type":"RequestRedirect","requestRedirect":{"scheme":"https","statusCode":301,
       "path":{"type":"ReplacePrefixMatch","replacePrefixMatch":"/new"}}}],
       "matches":[{"path":{"type":"PathPrefix","value":"/old"}}],
       "backendRefs":[{"name":"stable","port":80}]}]})")});
  RouteTable table;
  TranslateGateways(inputs, &table, nullptr);
  // "web" (any host) takes both names; "shop" adds a.shop.test again: one host each.
  ASSERT_EQ(table.hosts.size(), 2u);
  EXPECT_EQ(table.hosts[0].hostname, "a.shop.test");
  EXPECT_EQ(table.hosts[1].hostname, "b.test");
  const Route& route = table.hosts[0].routes.at(0);
  ASSERT_TRUE(route.redirect.has_value());
  EXPECT_EQ(route.redirect->scheme, "https");
  EXPECT_EQ(route.redirect->status_code, 301);
  EXPECT_EQ(route.redirect->replace_prefix_match, "/new");
  EXPECT_THAT(route.backends, IsEmpty());
}

TEST(GatewayTranslatorTest, CrossNamespaceBackendNeedsReferenceGrant) {
  const std::string spec = R"({"parentRefs":[{"name":"gw","sectionName":"web"}],
    "rules":[{"backendRefs":[{"name":"api","namespace":"backends","port":80},{"name":"missing","port":80},
                             {"name":"bucket","group":"example.com","kind":"Bucket"}]}]})";
  GatewayInputs inputs = Inputs({HttpRoute("cross", spec)});
  std::vector<std::string> warnings;
  RouteTable table;
  TranslateGateways(inputs, &table, &warnings);
  ASSERT_EQ(table.hosts.size(), 1u);
  EXPECT_EQ(table.hosts[0].hostname, "");
  const std::vector<Backend>& backends = table.hosts[0].routes.at(0).backends;
  ASSERT_EQ(backends.size(), 3u);
  EXPECT_THAT(backends[0].problem, HasSubstr("no ReferenceGrant"));
  EXPECT_THAT(backends[0].endpoints, IsEmpty());
  EXPECT_THAT(backends[1].problem, HasSubstr("not found"));
  EXPECT_THAT(backends[2].problem, HasSubstr("Bucket"));
  EXPECT_EQ(warnings.size(), 2u);  // the ReferenceGrant and the kind; a missing Service is no config error

  inputs.reference_grants = {Parse(R"({"metadata":{"namespace":"backends","name":"g"},"spec":{
    "from":[{"group":"gateway.networking.k8s.io","kind":"HTTPRoute","namespace":"default"}],
    "to":[{"group":"","kind":"Service"}]}})")};
  RouteTable granted;
  TranslateGateways(inputs, &granted, nullptr);
  EXPECT_THAT(granted.hosts[0].routes.at(0).backends[0].endpoints, ElementsAre(Endpoint{"10.42.0.3", 8080}));
  EXPECT_THAT(GatewayReferencedServices(inputs.attachments),
              ElementsAre("backends/api", "default/missing"));
}

TEST(GatewayTranslatorTest, RuleWithUnsupportedFilterHasNoBackends) {
  const GatewayInputs inputs = Inputs({HttpRoute("rewrite", R"({"parentRefs":[{"name":"gw","sectionName":"web"}],
    "rules":[{"filters":[{"type":"URLRewrite","urlRewrite":{"hostname":"x"}}],
              "backendRefs":[{"name":"stable","port":80}]}]})")});
  std::vector<std::string> warnings;
  RouteTable table;
  TranslateGateways(inputs, &table, &warnings);
  ASSERT_EQ(table.hosts.size(), 1u);
  const Route& route = table.hosts[0].routes.at(0);
  EXPECT_THAT(route.backends, IsEmpty());
  EXPECT_FALSE(route.redirect.has_value());
  EXPECT_THAT(warnings, ElementsAre(HasSubstr("URLRewrite is not supported")));
}

TEST(GatewayTranslatorTest, HttpsListenerCertificatesBySni) {
  GatewayInputs inputs;
  controllers::gateway::GatewayObjects objects;
  objects.classes = {Parse(R"({"metadata":{"name":"skiff"},"spec":{"controllerName":"skiff.dev/gateway-controller"}})")};
  objects.gateways = {Parse(R"({"metadata":{"namespace":"default","name":"gw"},"spec":{"gatewayClassName":"skiff",
    "listeners":[{"name":"secure","protocol":"HTTPS","port":443,"hostname":"Secure.test",
                  "tls":{"certificateRefs":[{"name":"good"},{"name":"opaque"},{"name":"absent"},
                                            {"name":"far","namespace":"other"}]}},
                 {"name":"any","protocol":"HTTPS","port":443,"tls":{"certificateRefs":[{"name":"good"}]}}]}})")};
  inputs.attachments = controllers::gateway::Attach(objects);
  // "CERT" and "KEY" in base64.
  inputs.secrets = {{"default/good", Parse(R"({"metadata":{"namespace":"default","name":"good"},
                       "type":"kubernetes.io/tls","data":{"tls.crt":"Q0VSVA==","tls.key":"S0VZ"}})")},
                    {"default/opaque", Parse(R"({"metadata":{"namespace":"default","name":"opaque"},"type":"Opaque"})")}};
  EXPECT_THAT(controllers::gateway::GatewayCertificateSecrets(inputs.attachments.gateways),
              ElementsAre("default/absent", "default/good", "default/opaque"));
  std::vector<std::string> warnings;
  RouteTable table;
  TranslateGateways(inputs, &table, &warnings);
  ASSERT_EQ(table.certificates.size(), 2u);
  EXPECT_THAT(table.certificates[0].hosts, ElementsAre("secure.test"));
  EXPECT_EQ(table.certificates[0].cert_pem, "CERT");
  EXPECT_EQ(table.certificates[0].key_pem, "KEY");
  EXPECT_THAT(table.certificates[1].hosts, IsEmpty());  // no listener hostname: the certificate's own names
  EXPECT_THAT(warnings, ElementsAre(HasSubstr("default/opaque"), HasSubstr("default/absent (Gateway default/gw listener secure): not found"),
                                    HasSubstr("other namespaces")));
}

TEST(GatewayTranslatorTest, RejectedRoutesAndOtherControllersAreNotServed) {
  const GatewayInputs inputs = Inputs({HttpRoute("elsewhere", R"({"parentRefs":[{"name":"gw","sectionName":"shop"}],
    "hostnames":["b.test"],"rules":[{"backendRefs":[{"name":"stable","port":80}]}]})"),
                                       HttpRoute("other-gw", R"({"parentRefs":[{"name":"nope"}],
    "rules":[{"backendRefs":[{"name":"stable","port":80}]}]})")});
  RouteTable table;
  TranslateGateways(inputs, &table, nullptr);
  EXPECT_THAT(table.hosts, IsEmpty());
}

}  // namespace
}  // namespace skiff::agent::ingress
