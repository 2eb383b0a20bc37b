#include "agent/ingress/ingress_translator.h"

#include <memory>

#include "absl/strings/escaping.h"
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

client::Object Service(const std::string& name) {
  return Parse(R"({"metadata":{"namespace":"default","name":")" + name +
               R"("},"spec":{"ports":[{"name":"http","port":80,"protocol":"TCP"},{"name":"admin","port":9000}]}})");
}

// Two ready endpoints and one not ready; the slice's "http" port is 8080, "admin" 9090.
client::Object Slice(const std::string& service, const std::string& prefix) {
  return Parse(R"({"metadata":{"namespace":"default","name":")" + service + R"(-x","labels":{"kubernetes.io/service-name":")" +
               service + R"("}},"addressType":"IPv4","ports":[{"name":"http","port":8080,"protocol":"TCP"},{"name":"admin","port":9090}],
      "endpoints":[{"addresses":[")" + prefix + R"(.2"],"conditions":{"ready":true}},
                   {"addresses":[")" + prefix + R"(.1"]},
                   {"addresses":[")" + prefix + R"(.3"],"conditions":{"ready":false,"terminating":true}}]})");
}

IngressInputs Inputs() {
  IngressInputs inputs;
  inputs.classes = {"skiff"};
  for (const char* name : {"web", "api"}) {
    inputs.services[std::string("default/") + name] = Service(name);
  }
  inputs.slices["default/web"] = {Slice("web", "10.42.0")};
  inputs.slices["default/api"] = {Slice("api", "10.42.1")};
  return inputs;
}

TEST(IngressTranslatorTest, TwoHostsTwoPathsToTheirServicesWithReadyEndpoints) {
  IngressInputs inputs = Inputs();
  inputs.ingresses.push_back(Parse(R"({"metadata":{"namespace":"default","name":"site","creationTimestamp":"2026-01-01T00:00:00Z"},
    "spec":{"ingressClassName":"skiff","rules":[
      {"host":"a.example.com","http":{"paths":[
        {"path":"/","pathType":"Prefix","backend":{"service":{"name":"web","port":{"name":"http"}}}},
        {"path":"/api","pathType":"Prefix","backend":{"service":{"name":"api","port":{"number":9000}}}}]}},
      {"host":"B.example.com","http":{"paths":[
        {"path":"/exact","pathType":"Exact","backend":{"service":{"name":"api","port":{"number":80}}}},
        {"path":"/any","pathType":"ImplementationSpecific","backend":{"service":{"name":"web","port":{"number":80}}}}]}}]}})"));
  std::vector<std::string> warnings;
  const RouteTable table = TranslateIngresses(inputs, &warnings);
  EXPECT_THAT(warnings, IsEmpty());
  ASSERT_EQ(table.hosts.size(), 2u);
  const VirtualHost& a = table.hosts[0];
  EXPECT_EQ(a.hostname, "a.example.com");
  ASSERT_EQ(a.routes.size(), 2u);
  // Longest path first.
  EXPECT_EQ(a.routes[0].source, "Ingress default/site rule 0 path 1");
  EXPECT_EQ(a.routes[0].matches[0].path, (PathMatch{PathMatchType::kPrefix, "/api"}));
  const Backend& api = a.routes[0].backends[0];
  EXPECT_EQ(api.service, "api");
  EXPECT_EQ(api.port_number, 9000);
  // Service port 9000 is "admin": the slice's admin port; only ready endpoints, sorted.
  EXPECT_THAT(api.endpoints, ElementsAre(Endpoint{"10.42.1.1", 9090}, Endpoint{"10.42.1.2", 9090}));
  EXPECT_THAT(a.routes[1].backends[0].endpoints,
              ElementsAre(Endpoint{"10.42.0.1", 8080}, Endpoint{"10.42.0.2", 8080}));
  const VirtualHost& b = table.hosts[1];
  EXPECT_EQ(b.hostname, "b.example.com");
  ASSERT_EQ(b.routes.size(), 2u);
  EXPECT_EQ(b.routes[0].matches[0].path, (PathMatch{PathMatchType::kExact, "/exact"}));
  EXPECT_EQ(b.routes[1].matches[0].path, (PathMatch{PathMatchType::kPrefix, "/any"}));
  EXPECT_THAT(b.routes[0].backends[0].endpoints, ElementsAre(Endpoint{"10.42.1.1", 8080}, Endpoint{"10.42.1.2", 8080}));
}

TEST(IngressTranslatorTest, OnlyOurClasses) {
  const std::set<std::string> classes = {"skiff", "mine"};
  EXPECT_TRUE(IsOurIngress(*Parse(R"({"spec":{}})"), classes));
  EXPECT_TRUE(IsOurIngress(*Parse(R"({"spec":{"ingressClassName":"mine"}})"), classes));
  EXPECT_FALSE(IsOurIngress(*Parse(R"({"spec":{"ingressClassName":"nginx"}})"), classes));
  EXPECT_FALSE(IsOurIngress(
      *Parse(R"({"metadata":{"annotations":{"kubernetes.io/ingress.class":"nginx"}},"spec":{}})"), classes));
  EXPECT_TRUE(IsOurIngress(*Parse(R"({"metadata":{"annotations":{"kubernetes.io/ingress.class":"skiff"}},"spec":{}})"),
                           classes));

  IngressInputs inputs = Inputs();
  inputs.ingresses.push_back(Parse(R"({"metadata":{"namespace":"default","name":"other"},"spec":{"ingressClassName":"nginx",
    "rules":[{"host":"x.io","http":{"paths":[{"path":"/","pathType":"Prefix","backend":{"service":{"name":"web","port":{"number":80}}}}]}}]}})"));
  EXPECT_THAT(TranslateIngresses(inputs, nullptr).hosts, IsEmpty());
}

TEST(IngressTranslatorTest, MissingServicesAndPortsAreProblemsNotErrors) {
  IngressInputs inputs = Inputs();
  inputs.ingresses.push_back(Parse(R"({"metadata":{"namespace":"default","name":"i"},"spec":{"rules":[{"http":{"paths":[
    {"path":"/a","pathType":"Prefix","backend":{"service":{"name":"gone","port":{"number":80}}}},
    {"path":"/b","pathType":"Prefix","backend":{"service":{"name":"web","port":{"name":"nope"}}}},
    {"path":"/c","pathType":"Prefix","backend":{"resource":{"kind":"Bucket","name":"b"}}}]}}]}})"));
  std::vector<std::string> warnings;
  const RouteTable table = TranslateIngresses(inputs, &warnings);
  ASSERT_EQ(table.hosts.size(), 1u);
  EXPECT_EQ(table.hosts[0].hostname, "");
  ASSERT_EQ(table.hosts[0].routes.size(), 3u);
  EXPECT_EQ(table.hosts[0].routes[0].backends[0].problem, "service default/gone not found");
  EXPECT_EQ(table.hosts[0].routes[1].backends[0].problem, "service default/web has no TCP port nope");
  EXPECT_EQ(table.hosts[0].routes[2].backends[0].problem, "resource backends are not supported");
  EXPECT_THAT(warnings, ElementsAre(HasSubstr("resource backends are not supported")));
}

TEST(IngressTranslatorTest, OldestDefaultBackendWinsAndHostsMerge) {
  IngressInputs inputs = Inputs();
  inputs.ingresses.push_back(Parse(R"({"metadata":{"namespace":"default","name":"new","creationTimestamp":"2026-02-01T00:00:00Z"},
    "spec":{"defaultBackend":{"service":{"name":"api","port":{"number":80}}},
    "rules":[{"host":"a.io","http":{"paths":[{"path":"/new","pathType":"Prefix","backend":{"service":{"name":"api","port":{"number":80}}}}]}}]}})"));
  inputs.ingresses.push_back(Parse(R"({"metadata":{"namespace":"default","name":"old","creationTimestamp":"2026-01-01T00:00:00Z"},
    "spec":{"defaultBackend":{"service":{"name":"web","port":{"number":80}}},
    "rules":[{"host":"a.io","http":{"paths":[{"path":"/old","pathType":"Prefix","backend":{"service":{"name":"web","port":{"number":80}}}}]}}]}})"));
  std::vector<std::string> warnings;
  const RouteTable table = TranslateIngresses(inputs, &warnings);
  ASSERT_TRUE(table.default_route.has_value());
  EXPECT_EQ(table.default_route->backends[0].service, "web");
  EXPECT_THAT(warnings, ElementsAre("Ingress default/new: defaultBackend ignored, Ingress default/old defaultBackend is older"));
  ASSERT_EQ(table.hosts.size(), 1u);
  EXPECT_EQ(table.hosts[0].routes.size(), 2u);
}

TEST(IngressTranslatorTest, TlsFromKubernetesTlsSecrets) {
  IngressInputs inputs = Inputs();
  inputs.ingresses.push_back(Parse(R"({"metadata":{"namespace":"default","name":"i"},"spec":{"tls":[
    {"hosts":["A.example.com"],"secretName":"a-tls"},{"hosts":["b.example.com"],"secretName":"missing"},
    {"secretName":"opaque"}]}})"));
  inputs.secrets["default/a-tls"] = Parse(R"({"type":"kubernetes.io/tls","data":{"tls.crt":")" +
                                          absl::Base64Escape("CERT") + R"(","tls.key":")" + absl::Base64Escape("KEY") +
                                          R"("}})");
  inputs.secrets["default/opaque"] = Parse(R"({"type":"Opaque","data":{}})");
  std::vector<std::string> warnings;
  const RouteTable table = TranslateIngresses(inputs, &warnings);
  ASSERT_EQ(table.certificates.size(), 1u);
  EXPECT_EQ(table.certificates[0].cert_pem, "CERT");
  EXPECT_EQ(table.certificates[0].key_pem, "KEY");
  EXPECT_THAT(table.certificates[0].hosts, ElementsAre("a.example.com"));
  EXPECT_EQ(table.certificates[0].source, "Secret default/a-tls (Ingress default/i)");
  EXPECT_THAT(warnings, ElementsAre("Secret default/missing (Ingress default/i): not found",
                                    "Secret default/opaque (Ingress default/i): type is not kubernetes.io/tls"));
  EXPECT_EQ(ReferencedSecrets(inputs.ingresses, inputs.classes),
            (std::set<std::string>{"default/a-tls", "default/missing", "default/opaque"}));
}

}  // namespace
}  // namespace skiff::agent::ingress
