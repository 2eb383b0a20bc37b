#include "agent/netpol/policy_model.h"

#include "base/ipv4.h"
#include "boost/json/parse.hpp"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace skiff::agent::netpol {
namespace {

using ::testing::ElementsAre;

boost::json::value J(const char* text) { return boost::json::parse(text); }

uint32_t Ip(const char* text) {
  uint32_t ip = 0;
  EXPECT_TRUE(base::ParseIpv4(text, &ip)) << text;
  return ip;
}

TEST(PolicyModelTest, PolicyTypesDefaultAsTheApiDocuments) {
  auto ingress_only = ParsePolicy(J(R"({"metadata":{"namespace":"a","name":"p"},"spec":{"podSelector":{}}})"));
  ASSERT_TRUE(ingress_only);
  EXPECT_TRUE(ingress_only->ingress);
  EXPECT_FALSE(ingress_only->egress);
  EXPECT_TRUE(ingress_only->ingress_rules.empty());  // default deny
  auto with_egress = ParsePolicy(J(R"({"metadata":{"name":"p"},"spec":{"podSelector":{},"egress":[{}]}})"));
  EXPECT_TRUE(with_egress->ingress);
  EXPECT_TRUE(with_egress->egress);
  auto egress_only =
      ParsePolicy(J(R"({"metadata":{"name":"p"},"spec":{"podSelector":{},"policyTypes":["Egress"]}})"));
  EXPECT_FALSE(egress_only->ingress);
  EXPECT_TRUE(egress_only->egress);
  EXPECT_TRUE(egress_only->egress_rules.empty());
}

TEST(PolicyModelTest, ParsesPeersAndPorts) {
  auto p = ParsePolicy(J(R"({"metadata":{"namespace":"a","name":"p"},"spec":{
    "podSelector":{"matchLabels":{"app":"web"}},
    "ingress":[
      {"from":[{"podSelector":{"matchLabels":{"role":"client"}}},
               {"namespaceSelector":{"matchLabels":{"team":"x"}}},
               {"namespaceSelector":{},"podSelector":{"matchLabels":{"r":"1"}}},
               {"ipBlock":{"cidr":"10.0.0.0/8","except":["10.1.0.0/16","192.168.0.0/16"]}},
               {"ipBlock":{"cidr":"fd00::/8"}}],
       "ports":[{"port":80},{"port":8000,"endPort":8100,"protocol":"TCP"},{"port":"http","protocol":"UDP"},
                {"protocol":"SCTP"},{"port":99999},{"port":53,"protocol":"ICMP"}]},
      {}]}})"));
  ASSERT_TRUE(p);
  ASSERT_EQ(p->ingress_rules.size(), 2u);
  const RuleModel& r = p->ingress_rules[0];
  EXPECT_FALSE(r.all_peers);
  ASSERT_EQ(r.peers.size(), 5u);
  EXPECT_TRUE(r.peers[0].pod_selector && !r.peers[0].namespace_selector);
  EXPECT_TRUE(!r.peers[1].pod_selector && r.peers[1].namespace_selector);
  EXPECT_TRUE(r.peers[2].pod_selector && r.peers[2].namespace_selector && r.peers[2].namespace_selector->Empty());
  EXPECT_TRUE(r.peers[3].is_ip_block);
  EXPECT_THAT(r.peers[3].ip_ranges, ElementsAre(IpRange{Ip("10.0.0.0"), Ip("10.0.255.255")},
                                                IpRange{Ip("10.2.0.0"), Ip("10.255.255.255")}));
  EXPECT_TRUE(r.peers[4].matches_nothing);  // IPv6
  ASSERT_EQ(r.ports.size(), 4u);            // the out-of-range and ICMP entries are dropped
  EXPECT_EQ(r.ports[0].port, 80);
  EXPECT_EQ(r.ports[0].protocol, "tcp");
  EXPECT_EQ(r.ports[1].end_port, 8100);
  EXPECT_EQ(r.ports[2].name, "http");
  EXPECT_EQ(r.ports[2].protocol, "udp");
  EXPECT_EQ(r.ports[3].port, 0);
  EXPECT_EQ(r.ports[3].protocol, "sctp");
  EXPECT_TRUE(p->ingress_rules[1].all_peers);
  EXPECT_TRUE(p->ingress_rules[1].ports.empty());
}

TEST(PolicyModelTest, UnusableInputAdmitsNothingRatherThanEverything) {
  // A rule whose only port is unusable admits nothing (it is dropped), not every port.
  auto p = ParsePolicy(J(R"({"metadata":{"name":"p"},"spec":{"podSelector":{},
    "ingress":[{"ports":[{"port":0}]}],"egress":[{"to":[{}]}]}})"));
  ASSERT_TRUE(p);
  EXPECT_TRUE(p->ingress_rules.empty());
  ASSERT_EQ(p->egress_rules.size(), 1u);
  EXPECT_TRUE(p->egress_rules[0].peers[0].matches_nothing);
  EXPECT_FALSE(ParsePolicy(J(R"({"metadata":{"name":"p"},"spec":{"podSelector":{"matchLabels":7}}})")));
  EXPECT_FALSE(ParsePolicy(J(R"([])")));
}

TEST(PolicyModelTest, ParsesPodsAndNamespaces) {
  auto pod = ParsePod(J(R"({"metadata":{"namespace":"a","name":"w","labels":{"app":"web"}},
    "spec":{"nodeName":"n1","containers":[{"ports":[{"name":"http","containerPort":8080},{"containerPort":9}]},
                                          {"ports":[{"name":"dns","containerPort":53,"protocol":"UDP"}]}]},
    "status":{"podIP":"10.1.0.5","phase":"Running"}})"));
  ASSERT_TRUE(pod);
  EXPECT_EQ(pod->key(), "a/w");
  EXPECT_EQ(pod->ip, "10.1.0.5");
  EXPECT_EQ(pod->node_name, "n1");
  EXPECT_FALSE(pod->terminal);
  ASSERT_EQ(pod->ports.size(), 2u);
  EXPECT_EQ(pod->ports[1].protocol, "udp");
  auto v6 = ParsePod(J(R"({"metadata":{"name":"x"},"status":{"podIP":"fd00::1","phase":"Failed"}})"));
  EXPECT_EQ(v6->ip, "");
  EXPECT_TRUE(v6->terminal);
  auto ns = ParseNamespace(J(R"({"metadata":{"name":"team-a"}})"));
  EXPECT_EQ(ns->labels.at("kubernetes.io/metadata.name"), "team-a");
}

TEST(PolicyModelTest, RangeArithmetic) {
  EXPECT_THAT(SubtractRanges({0, 100}, {{10, 20}, {15, 30}, {100, 200}, {500, 600}}),
              ElementsAre(IpRange{0, 9}, IpRange{31, 99}));
  EXPECT_THAT(SubtractRanges({0, UINT32_MAX}, {{0, UINT32_MAX}}), ElementsAre());
  EXPECT_THAT(SubtractRanges({0, UINT32_MAX}, {{5, UINT32_MAX}}), ElementsAre(IpRange{0, 4}));
  EXPECT_THAT(MergeRanges({{5, 9}, {0, 4}, {20, 30}, {25, 26}, {31, UINT32_MAX}, {40, 50}}),
              ElementsAre(IpRange{0, 9}, IpRange{20, UINT32_MAX}));
}

}  // namespace
}  // namespace skiff::agent::netpol
