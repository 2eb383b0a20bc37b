#include "api/ingress_rules.h"

#include <string>
#include <vector>

#include "boost/json/parse.hpp"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace skiff::api {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

std::vector<std::string> Format(const std::vector<FieldError>& errors) {
  std::vector<std::string> out;
  for (const auto& e : errors) out.push_back(FormatFieldError(e));
  return out;
}

// Problems of an Ingress with this spec (a JSON object body), on create or over `old_spec`.
std::vector<std::string> IngressProblems(const std::string& spec, const std::string& old_spec = "",
                                         const std::string& annotations = "{}") {
  auto obj = boost::json::parse(R"({"metadata":{"name":"web","annotations":)" + annotations + R"(},"spec":)" +
                                spec + "}");
  if (old_spec.empty()) return Format(ValidateIngressRules(obj, nullptr));
  auto old = boost::json::parse(R"({"metadata":{"name":"web"},"spec":)" + old_spec + "}");
  return Format(ValidateIngressRules(obj, &old));
}

std::vector<std::string> ClassProblems(const std::string& spec) {
  return Format(
      ValidateIngressClassRules(boost::json::parse(R"({"metadata":{"name":"c"},"spec":)" + spec + "}")));
}

// One rule for `host` with one path of `type` to service web:80.
std::string Rule(const std::string& host, const std::string& path, const std::string& type) {
  return R"({"rules":[{"host":")" + host + R"(","http":{"paths":[{"path":")" + path + R"(","pathType":")" +
         type + R"(","backend":{"service":{"name":"web","port":{"number":80}}}}]}}]})";
}

TEST(IngressRulesTest, WellFormedIngressesPass) {
  EXPECT_THAT(IngressProblems(Rule("foo.example.com", "/api", "Prefix")), IsEmpty());
  EXPECT_THAT(IngressProblems(Rule("*.example.com", "/", "Exact")), IsEmpty());
  EXPECT_THAT(IngressProblems(Rule("", "", "ImplementationSpecific")), IsEmpty());
  EXPECT_THAT(IngressProblems(R"({"defaultBackend":{"service":{"name":"web","port":{"name":"http"}}},
      "ingressClassName":"skiff","tls":[{"hosts":["a.example.com","*.b.example.com"],"secretName":"tls"}]})"),
              IsEmpty());
  EXPECT_THAT(
      IngressProblems(R"({"defaultBackend":{"resource":{"apiGroup":"k8s.example.com","kind":"StorageBucket",
      "name":"static"}}})"),
      IsEmpty());
}

TEST(IngressRulesTest, RulesOrDefaultBackendAreRequired) {
  EXPECT_THAT(
      IngressProblems("{}"),
      ElementsAre("spec: Invalid value: []networking.IngressRule(nil): either `defaultBackend` or `rules` "
                  "must be specified"));
  EXPECT_THAT(
      IngressProblems(R"({"rules":[]})"),
      ElementsAre("spec: Invalid value: []networking.IngressRule{}: either `defaultBackend` or `rules` "
                  "must be specified"));
}

TEST(IngressRulesTest, BackendIsAServiceXorAResource) {
  EXPECT_THAT(
      IngressProblems(R"({"defaultBackend":{}})"),
      ElementsAre("spec.defaultBackend: Invalid value: \"\": resource or service backend is required"));
  EXPECT_THAT(
      IngressProblems(R"({"defaultBackend":{"service":{"name":"a","port":{"number":1}},
      "resource":{"kind":"K","name":"n"}}})"),
      ElementsAre("spec.defaultBackend: Invalid value: \"\": cannot set both resource and service backends"));
  EXPECT_THAT(
      IngressProblems(R"({"defaultBackend":{"service":{"name":"a","port":{"name":"http","number":80}}}})"),
      ElementsAre("spec.defaultBackend: Invalid value: \"\": cannot set both port name & port number"));
  EXPECT_THAT(IngressProblems(R"({"defaultBackend":{"service":{"name":"a"}}})"),
              ElementsAre("spec.defaultBackend: Required value: port name or number is required"));
  EXPECT_THAT(
      IngressProblems(R"({"defaultBackend":{"service":{"name":"a","port":{"number":70000}}}})"),
      ElementsAre("spec.defaultBackend.service.port.number: Invalid value: 70000: must be between 1 and "
                  "65535, inclusive"));
  EXPECT_THAT(IngressProblems(R"({"defaultBackend":{"service":{"name":"a","port":{"name":"web_port"}}}})"),
              ElementsAre(HasSubstr(
                  "spec.defaultBackend.service.port.name: Invalid value: \"web_port\": must contain "
                  "only alpha-numeric characters")));
  EXPECT_THAT(
      IngressProblems(R"({"defaultBackend":{"service":{"name":"1web","port":{"number":80}}}})"),
      ElementsAre(HasSubstr("spec.defaultBackend.service.name: Invalid value: \"1web\": a DNS-1035 label")));
  EXPECT_THAT(IngressProblems(R"({"defaultBackend":{"service":{"port":{"number":80}}}})"),
              ElementsAre("spec.defaultBackend.service.name: Required value"));
  EXPECT_THAT(
      IngressProblems(R"({"defaultBackend":{"resource":{"apiGroup":"","kind":"a/b"}}})"),
      ElementsAre(HasSubstr("spec.defaultBackend.resource.apiGroup: Invalid value: \"\": a lowercase RFC "
                            "1123 subdomain"),
                  "spec.defaultBackend.resource.kind: Invalid value: \"a/b\": may not contain '/'",
                  "spec.defaultBackend.resource.name: Required value"));
}

TEST(IngressRulesTest, PathsFollowTheirPathType) {
  const std::string at = "spec.rules[0].http.paths[0]";
  EXPECT_THAT(IngressProblems(Rule("", "api", "Prefix")),
              ElementsAre(at + ".path: Invalid value: \"api\": must be an absolute path"));
  EXPECT_THAT(IngressProblems(Rule("", "/a//b/..", "Exact")),
              ElementsAre(at + ".path: Invalid value: \"/a//b/..\": must not contain '//'",
                          at + ".path: Invalid value: \"/a//b/..\": cannot end with '/..'"));
  EXPECT_THAT(IngressProblems(Rule("", "/a%2fb", "Prefix")),
              ElementsAre(at + ".path: Invalid value: \"/a%2fb\": must not contain '%2f'"));
  EXPECT_THAT(IngressProblems(Rule("", "a", "ImplementationSpecific")),
              ElementsAre(at + ".path: Invalid value: \"a\": must be an absolute path"));
  EXPECT_THAT(IngressProblems(Rule("", "/", "Regex")),
              ElementsAre(at + ".pathType: Unsupported value: \"Regex\": supported values: \"Exact\", "
                               "\"ImplementationSpecific\", \"Prefix\""));
  EXPECT_THAT(IngressProblems(R"({"rules":[{"http":{"paths":[{"path":"/","backend":{}}]}}]})"),
              ElementsAre(at + ".pathType: Required value: pathType must be specified"));
  EXPECT_THAT(IngressProblems(R"({"rules":[{"http":{"paths":[]}}]})"),
              ElementsAre("spec.rules[0].http.paths: Required value"));
}

TEST(IngressRulesTest, HostsAreDnsNamesWithAnOptionalWildcard) {
  EXPECT_THAT(
      IngressProblems(Rule("10.0.0.1", "/", "Prefix")),
      ElementsAre("spec.rules[0].host: Invalid value: \"10.0.0.1\": must be a DNS name, not an IP address"));
  EXPECT_THAT(IngressProblems(Rule("Foo.com", "/", "Prefix")),
              ElementsAre(HasSubstr(
                  "spec.rules[0].host: Invalid value: \"Foo.com\": a lowercase RFC 1123 subdomain")));
  EXPECT_THAT(
      IngressProblems(Rule("*.*.example.com", "/", "Prefix")),
      ElementsAre("spec.rules[0].host: Invalid value: \"*.*.example.com\": a wildcard DNS-1123 subdomain "
                  "must start with '*.', followed by a valid DNS subdomain, which must consist of lower case "
                  "alphanumeric characters, '-' or '.' and end with an alphanumeric character (e.g. "
                  "'*.example.com', regex used for validation is "
                  "'\\*\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')"));
  EXPECT_THAT(
      IngressProblems(R"({"defaultBackend":{"service":{"name":"a","port":{"number":1}}},
      "tls":[{"hosts":["*"],"secretName":"Bad_Name"}]})"),
      ElementsAre(HasSubstr("spec.tls[0].hosts[0]: Invalid value: \"*\": a wildcard DNS-1123 subdomain"),
                  HasSubstr("spec.tls[0].secretName: Invalid value: \"Bad_Name\": a lowercase RFC 1123")));
}

TEST(IngressRulesTest, ClassNameAndItsLegacyAnnotation) {
  const std::string backend = R"("defaultBackend":{"service":{"name":"a","port":{"number":1}}})";
  EXPECT_THAT(
      IngressProblems("{" + backend + R"(,"ingressClassName":""})"),
      ElementsAre(HasSubstr("spec.ingressClassName: Invalid value: \"\": a lowercase RFC 1123 subdomain")));
  EXPECT_THAT(IngressProblems("{" + backend + R"(,"ingressClassName":"nginx"})", "",
                              R"({"kubernetes.io/ingress.class":"traefik"})"),
              ElementsAre("annotations.kubernetes.io/ingress.class: Invalid value: \"traefik\": must match "
                          "`ingressClassName` when both are specified"));
  // The annotation check is create-only.
  EXPECT_THAT(IngressProblems("{" + backend + R"(,"ingressClassName":"nginx"})", "{" + backend + "}",
                              R"({"kubernetes.io/ingress.class":"traefik"})"),
              IsEmpty());
}

TEST(IngressRulesTest, UpdatesKeepWhatTheStoredObjectAlreadyHad) {
  const std::string bad_tls = R"({"defaultBackend":{"service":{"name":"a","port":{"number":1}}},
      "tls":[{"secretName":"Bad_Name"}]})";
  EXPECT_THAT(IngressProblems(bad_tls), ElementsAre(HasSubstr("spec.tls[0].secretName")));
  EXPECT_THAT(IngressProblems(bad_tls, bad_tls), IsEmpty());
  const std::string bad_wildcard_rule = Rule("*.example.com", "api", "Prefix");
  EXPECT_THAT(IngressProblems(bad_wildcard_rule), ElementsAre(HasSubstr("must be an absolute path")));
  EXPECT_THAT(IngressProblems(bad_wildcard_rule, bad_wildcard_rule), IsEmpty());
}

TEST(IngressRulesTest, StatusAddressesAreIpsAndDnsNames) {
  auto obj = boost::json::parse(R"({"metadata":{"name":"web"},
      "spec":{"defaultBackend":{"service":{"name":"a","port":{"number":1}}}},
      "status":{"loadBalancer":{"ingress":[{"ip":"10.0.0.300"},{"hostname":"10.0.0.1"},{"ip":"fd00::1"}]}}})");
  EXPECT_THAT(
      Format(ValidateIngressRules(obj, &obj)),
      ElementsAre("status.loadBalancer.ingress[0].ip: Invalid value: \"10.0.0.300\": must be a valid IP "
                  "address, (e.g. 10.9.8.7 or 2001:db8::ffff)",
                  "status.loadBalancer.ingress[1].hostname: Invalid value: \"10.0.0.1\": must be a DNS name, "
                  "not an IP address"));
}

TEST(IngressClassRulesTest, ControllerIsADomainPrefixedPath) {
  EXPECT_THAT(ClassProblems(R"({"controller":"skiff.dev/ingress"})"), IsEmpty());
  EXPECT_THAT(ClassProblems("{}"), ElementsAre("spec.controller: Required value"));
  EXPECT_THAT(
      ClassProblems(R"({"controller":"ingress"})"),
      ElementsAre("spec.controller: Invalid value: \"ingress\": must be a domain-prefixed path (such as "
                  "\"acme.io/foo\")"));
  EXPECT_THAT(
      ClassProblems(R"({"controller":"Acme.io/x"})"),
      ElementsAre(HasSubstr("spec.controller: Invalid value: \"Acme.io\": a lowercase RFC 1123 subdomain")));
  EXPECT_THAT(
      ClassProblems(R"({"controller":"acme.io/a b"})"),
      ElementsAre("spec.controller: Invalid value: \"a b\": Invalid path (regex used for validation is "
                  "'[A-Za-z0-9/\\-._~%!$&'()*+,;=:]+')"));
  EXPECT_THAT(ClassProblems(R"({"controller":"acme.io/)" + std::string(250, 'x') + "\"}"),
              ElementsAre("spec.controller: Too long: must have at most 250 bytes"));
}

TEST(IngressClassRulesTest, ParametersScopeDecidesTheNamespace) {
  const std::string ok =
      R"({"controller":"a.io/b","parameters":{"kind":"Config","name":"c","scope":"Cluster"}})";
  EXPECT_THAT(ClassProblems(ok), IsEmpty());
  EXPECT_THAT(
      ClassProblems(R"({"controller":"a.io/b","parameters":{"kind":"Config","name":"c","scope":"Cluster",
      "namespace":"x"}})"),
      ElementsAre("spec.parameters.namespace: Forbidden: `parameters.scope` is set to 'Cluster'"));
  EXPECT_THAT(
      ClassProblems(
          R"({"controller":"a.io/b","parameters":{"kind":"Config","name":"c","scope":"Namespace"}})"),
      ElementsAre("spec.parameters.namespace: Required value: `parameters.scope` is set to 'Namespace'"));
  EXPECT_THAT(
      ClassProblems(R"({"controller":"a.io/b","parameters":{"kind":"Config","name":"c","scope":"Namespace",
      "namespace":"No"}})"),
      ElementsAre(HasSubstr("spec.parameters.namespace: Invalid value: \"No\": a lowercase RFC 1123 label")));
  EXPECT_THAT(
      ClassProblems(R"({"controller":"a.io/b","parameters":{"kind":"..","scope":"Global"}})"),
      ElementsAre("spec.parameters.kind: Invalid value: \"..\": may not be '..'",
                  "spec.parameters.name: Required value",
                  "spec.parameters.scope: Unsupported value: \"Global\": supported values: \"Cluster\", "
                  "\"Namespace\""));
}

}  // namespace
}  // namespace skiff::api
