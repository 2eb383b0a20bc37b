#include "api/network_policy_rules.h"

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

std::vector<std::string> Problems(const std::string& spec) {
  std::vector<std::string> out;
  auto obj = boost::json::parse(R"({"metadata":{"name":"p"},"spec":)" + spec + "}");
  for (const auto& e : ValidateNetworkPolicyRules(obj)) out.push_back(FormatFieldError(e));
  return out;
}

// An ingress rule with one port (a JSON object body).
std::string IngressPort(const std::string& port) { return R"({"ingress":[{"ports":[)" + port + "]}]}"; }

// An ingress rule with one peer.
std::string IngressPeer(const std::string& peer) { return R"({"ingress":[{"from":[)" + peer + "]}]}"; }

TEST(NetworkPolicyRulesTest, WellFormedPoliciesPass) {
  EXPECT_THAT(Problems(R"({"podSelector":{}})"), IsEmpty());
  EXPECT_THAT(Problems(R"({"podSelector":{"matchLabels":{"app":"db"}},"policyTypes":["Ingress","Egress"],
      "ingress":[{"from":[{"podSelector":{}},{"namespaceSelector":{},"podSelector":{}},
                          {"ipBlock":{"cidr":"10.0.0.0/8","except":["10.1.0.0/16"]}}],
                  "ports":[{"protocol":"TCP","port":5432},{"port":"dns"},{"port":32000,"endPort":32768}]}],
      "egress":[{"to":[{"ipBlock":{"cidr":"2001:db8::/32","except":["2001:db8:1::/48"]}}]}]})"),
              IsEmpty());
}

TEST(NetworkPolicyRulesTest, PortsAndRanges) {
  const std::string at = "spec.ingress[0].ports[0]";
  EXPECT_THAT(Problems(IngressPort(R"({"port":0})")),
              ElementsAre(at + ".port: Invalid value: 0: must be between 1 and 65535, inclusive"));
  EXPECT_THAT(Problems(IngressPort(R"({"port":"80"})")),
              ElementsAre(at + ".port: Invalid value: \"80\": must contain at least one letter (a-z)"));
  EXPECT_THAT(Problems(IngressPort(R"({"port":100,"endPort":99})")),
              ElementsAre(at + ".endPort: Invalid value: 99: must be greater than or equal to `port`"));
  EXPECT_THAT(Problems(IngressPort(R"({"port":100,"endPort":70000})")),
              ElementsAre(at + ".endPort: Invalid value: 70000: must be between 1 and 65535, inclusive"));
  EXPECT_THAT(
      Problems(IngressPort(R"({"port":"http","endPort":90})")),
      ElementsAre(at + ".endPort: Invalid value: 90: may not be specified when `port` is non-numeric"));
  EXPECT_THAT(
      Problems(IngressPort(R"({"endPort":90})")),
      ElementsAre(at + ".endPort: Invalid value: 90: may not be specified when `port` is not specified"));
}

TEST(NetworkPolicyRulesTest, PeersNeedOneKindAndIpBlocksStandAlone) {
  const std::string at = "spec.ingress[0].from[0]";
  EXPECT_THAT(Problems(IngressPeer("{}")), ElementsAre(at + ": Required value: must specify a peer"));
  EXPECT_THAT(Problems(IngressPeer(R"({"podSelector":{},"ipBlock":{"cidr":"10.0.0.0/8"}})")),
              ElementsAre(at + ": Forbidden: may not specify both ipBlock and another peer"));
  EXPECT_THAT(Problems(R"({"egress":[{"to":[{}]}]})"),
              ElementsAre("spec.egress[0].to[0]: Required value: must specify a peer"));
}

TEST(NetworkPolicyRulesTest, IpBlockExceptsLieStrictlyInsideTheCidr) {
  const std::string at = "spec.ingress[0].from[0].ipBlock";
  const std::string example = "must be a valid CIDR value, (e.g. 10.9.8.0/24 or 2001:db8::/64)";
  EXPECT_THAT(Problems(IngressPeer(R"({"ipBlock":{"cidr":""}})")), ElementsAre(at + ".cidr: Required value"));
  EXPECT_THAT(Problems(IngressPeer(R"({"ipBlock":{"cidr":"10.0.0.0"}})")),
              ElementsAre(at + ".cidr: Invalid value: \"10.0.0.0\": " + example));
  EXPECT_THAT(Problems(IngressPeer(R"({"ipBlock":{"cidr":"10.0.0.0/33"}})")),
              ElementsAre(at + ".cidr: Invalid value: \"10.0.0.0/33\": " + example));
  EXPECT_THAT(
      Problems(IngressPeer(
          R"({"ipBlock":{"cidr":"10.0.0.0/16","except":["10.1.0.0/24","10.0.0.0/16","10.0.1.0/24","x","fd00::/64"]}})")),
      ElementsAre(at + ".except[0]: Invalid value: \"10.1.0.0/24\": must be a strict subset of `cidr`",
                  at + ".except[1]: Invalid value: \"10.0.0.0/16\": must be a strict subset of `cidr`",
                  at + ".except[3]: Invalid value: \"x\": " + example,
                  at + ".except[4]: Invalid value: \"fd00::/64\": must be a strict subset of `cidr`"));
  // Kubernetes parses addresses the sloppy way: host bits and leading zeros are accepted.
  EXPECT_THAT(Problems(IngressPeer(R"({"ipBlock":{"cidr":"010.0.0.1/8","except":["10.2.3.4/16"]}})")),
              IsEmpty());
}

TEST(NetworkPolicyRulesTest, PolicyTypes) {
  EXPECT_THAT(Problems(R"({"policyTypes":["Ingress","Both"]})"),
              ElementsAre("spec.policyTypes[1]: Unsupported value: \"Both\": supported values: \"Ingress\", "
                          "\"Egress\""));
  EXPECT_THAT(Problems(R"({"policyTypes":["Ingress","Egress","Ingress"]})"),
              ElementsAre("spec.policyTypes: Invalid value: []networking.PolicyType{\"Ingress\", \"Egress\", "
                          "\"Ingress\"}: may not specify more than two policyTypes"));
}

}  // namespace
}  // namespace skiff::api
