#include "agent/netpol/netpol_rules.h"

#include <cstdio>
#include <cstring>

#include "absl/strings/match.h"
#include "boost/json/parse.hpp"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace skiff::agent::netpol {
namespace {

using ::testing::Contains;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Not;

PodModel Pod(const std::string& ns, const std::string& name, const std::string& ip, const std::string& node,
             const char* labels = "{}") {
  PodModel p{.ns = ns, .name = name, .ip = ip, .node_name = node, .labels = boost::json::parse(labels)};
  return p;
}

NamespaceModel Ns(const std::string& name, const char* labels = "{}") {
  boost::json::value l = boost::json::parse(labels);
  l.as_object()["kubernetes.io/metadata.name"] = name;
  return {.name = name, .labels = l};
}

PolicyModel Policy(const char* json) { return *ParsePolicy(boost::json::parse(json)); }

// The elements of the set the `n`-th "@set" reference of a chain's rules names.
std::set<std::string> SetElements(TableState& s, const std::string& chain, size_t n) {
  std::vector<std::string> refs;
  for (const std::string& rule : s.chains[chain].rules) {
    for (size_t at = rule.find('@'); at != std::string::npos; at = rule.find('@', at + 1)) {
      std::string name = rule.substr(at + 1, rule.find(' ', at) - at - 1);
      if (std::find(refs.begin(), refs.end(), name) == refs.end()) refs.push_back(name);
    }
  }
  if (n >= refs.size()) return {"<no set " + std::to_string(n) + ">"};
  return s.sets[refs[n]].elements;
}

class NetpolRulesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    options_.node_name = "n1";
    options_.cluster_dns_ip = "10.43.0.10";
    pods_ = {Pod("a", "web", "10.1.0.2", "n1", R"({"app":"web"})"),
             Pod("a", "client", "10.1.0.3", "n1", R"({"role":"client"})"),
             Pod("a", "remote-web", "10.2.0.2", "n2", R"({"app":"web"})"),
             Pod("b", "other", "10.2.0.3", "n2", R"({"role":"client"})"),
             Pod("a", "host", "192.0.2.1", "n1", R"({"app":"web"})")};
    pods_.back().host_network = true;
    pods_[0].ports = {{.name = "http", .protocol = "tcp", .port = 8080}};
    namespaces_ = {Ns("a"), Ns("b", R"({"team":"x"})"), Ns("kube-system")};
  }
  TableState Build(const std::vector<PolicyModel>& policies) {
    return BuildTableState(options_, pods_, namespaces_, policies);
  }

  NetpolOptions options_;
  std::vector<PodModel> pods_;
  std::vector<NamespaceModel> namespaces_;
};

TEST_F(NetpolRulesTest, NoPoliciesPolicesNothing) {
  TableState s = Build({});
  EXPECT_THAT(s.sets[kIngressPodsMap].elements, IsEmpty());
  EXPECT_THAT(s.sets[kEgressPodsMap].elements, IsEmpty());
  EXPECT_EQ(s.chains.size(), 3u);  // the base chains only
  EXPECT_THAT(s.chains["ingress-forward"].rules,
              ElementsAre("ct state established,related accept", "ip daddr vmap @ingress-pods"));
}

TEST_F(NetpolRulesTest, DefaultDenyPolicesOnlyLocalSelectedPods) {
  TableState s = Build({Policy(R"({"metadata":{"namespace":"a","name":"deny"},
    "spec":{"podSelector":{"matchLabels":{"app":"web"}}}})")});
  // Not remote-web (other node), not host (host network).
  const std::string chain = PodsChain({"pol-a/deny-in"}, true);
  EXPECT_THAT(s.sets[kIngressPodsMap].elements, ElementsAre("10.1.0.2 : goto " + chain));
  EXPECT_THAT(s.sets[kEgressPodsMap].elements, IsEmpty());
  EXPECT_THAT(s.chains[chain].rules,
              ElementsAre("jump pol-a/deny-in", "counter reject with icmp type admin-prohibited"));
  EXPECT_THAT(s.chains["pol-a/deny-in"].rules, IsEmpty());
}

TEST_F(NetpolRulesTest, PeersPortsAndIpBlocks) {
  TableState s = Build({Policy(R"({"metadata":{"namespace":"a","name":"allow"},"spec":{
    "podSelector":{"matchLabels":{"app":"web"}},
    "ingress":[{"from":[{"podSelector":{"matchLabels":{"role":"client"}}},
                        {"ipBlock":{"cidr":"192.168.0.0/16","except":["192.168.1.0/24"]}}],
                "ports":[{"port":80},{"port":8000,"endPort":8100},{"port":"http"},{"protocol":"UDP"}]},
               {"from":[{"namespaceSelector":{"matchLabels":{"team":"x"}}}]}]}})")});
  // podSelector only: the policy's namespace (not b/other, which also has role=client).
  EXPECT_THAT(SetElements(s, "pol-a/allow-in", 0), ElementsAre("10.1.0.3"));
  EXPECT_THAT(SetElements(s, "pol-a/allow-in", 2), ElementsAre("10.2.0.3"));
  EXPECT_THAT(s.sets["pol-a/allow-in0-ports"].elements, ElementsAre("10.1.0.2 . tcp . 8080"));
  const auto& rules = s.chains["pol-a/allow-in"].rules;
  ASSERT_EQ(rules.size(), 7u);
  const std::string peers = rules[0].substr(0, rules[0].find(' ', strlen("ip saddr @")));
  EXPECT_TRUE(absl::StartsWith(peers, "ip saddr @peers-")) << peers;
  EXPECT_THAT(rules, Contains(peers + " meta l4proto tcp th dport { 80, 8000-8100 } accept"));
  EXPECT_THAT(rules, Contains(peers + " meta l4proto udp accept"));
  EXPECT_THAT(rules, Contains(peers + " ip daddr . meta l4proto . th dport @pol-a/allow-in0-ports accept"));
  EXPECT_THAT(rules, Contains("ip saddr { 192.168.0.0-192.168.0.255, 192.168.2.0-192.168.255.255 } meta l4proto "
                              "tcp th dport { 80, 8000-8100 } accept"));
}

TEST_F(NetpolRulesTest, EgressNamedPortsResolveOnThePeersAndDnsIsAPeer) {
  pods_[2].ports = {{.name = "http", .protocol = "tcp", .port = 9090}};
  TableState s = Build({Policy(R"({"metadata":{"namespace":"a","name":"out"},"spec":{
    "podSelector":{"matchLabels":{"role":"client"}},"policyTypes":["Egress"],
    "egress":[{"to":[{"podSelector":{"matchLabels":{"app":"web"}}}],"ports":[{"port":"http"}]},
              {"to":[{"namespaceSelector":{"matchLabels":{"kubernetes.io/metadata.name":"kube-system"}},
                      "podSelector":{"matchLabels":{"k8s-app":"kube-dns"}}}],
               "ports":[{"port":53,"protocol":"UDP"}]}]}})")});
  EXPECT_THAT(s.sets[kEgressPodsMap].elements, ElementsAre("10.1.0.3 : goto " + PodsChain({"pol-a/out-out"}, false)));
  EXPECT_THAT(s.sets[kIngressPodsMap].elements, IsEmpty());
  EXPECT_THAT(SetElements(s, "pol-a/out-out", 0), ElementsAre("10.1.0.2", "10.2.0.2"));
  EXPECT_THAT(SetElements(s, "pol-a/out-out", 1), ElementsAre("10.1.0.2 . tcp . 8080", "10.2.0.2 . tcp . 9090"));
  EXPECT_THAT(SetElements(s, "pol-a/out-out", 2), ElementsAre("10.43.0.10"));
  EXPECT_TRUE(absl::EndsWith(s.chains["pol-a/out-out"].rules[1], " meta l4proto udp th dport { 53 } accept"));
}

TEST_F(NetpolRulesTest, RulesWithTheSamePeersShareOneSet) {
  const char* json = R"({"metadata":{"namespace":"a","name":"%s"},"spec":{"podSelector":{},
    "ingress":[{"from":[{"namespaceSelector":{"matchLabels":{"team":"x"}}},{"podSelector":{}}]}]}})";
  char one[512], two[512];
  std::snprintf(one, sizeof(one), json, "one");
  std::snprintf(two, sizeof(two), json, "two");
  TableState s = Build({Policy(one), Policy(two)});
  EXPECT_EQ(s.chains["pol-a/one-in"].rules, s.chains["pol-a/two-in"].rules);
  EXPECT_THAT(SetElements(s, "pol-a/one-in", 0), ElementsAre("10.1.0.2", "10.1.0.3", "10.2.0.2", "10.2.0.3"));
  size_t peer_sets = 0;
  for (const auto& [name, set] : s.sets) peer_sets += absl::StartsWith(name, "peers-");
  EXPECT_EQ(peer_sets, 1u);
}

TEST_F(NetpolRulesTest, OverlappingPortRangesGetOneRuleEach) {
  TableState s = Build({Policy(R"({"metadata":{"namespace":"a","name":"p"},"spec":{"podSelector":{},
    "ingress":[{"ports":[{"port":80,"endPort":90},{"port":85}]}]}})")});
  EXPECT_THAT(s.chains["pol-a/p-in"].rules, ElementsAre("meta l4proto tcp th dport { 80-90 } accept",
                                                        "meta l4proto tcp th dport { 85 } accept"));
}

TEST_F(NetpolRulesTest, PodsWithTheSamePoliciesShareAChain) {
  pods_.push_back(Pod("a", "web-2", "10.1.0.4", "n1", R"({"app":"web"})"));
  TableState s = Build({Policy(R"({"metadata":{"namespace":"a","name":"web"},"spec":{"podSelector":{"matchLabels":{"app":"web"}}}})"),
                        Policy(R"({"metadata":{"namespace":"a","name":"all"},"spec":{"podSelector":{}}})")});
  const std::string web = PodsChain({"pol-a/all-in", "pol-a/web-in"}, true);
  const std::string client = PodsChain({"pol-a/all-in"}, true);
  EXPECT_THAT(s.sets[kIngressPodsMap].elements,
              ElementsAre("10.1.0.2 : goto " + web, "10.1.0.3 : goto " + client, "10.1.0.4 : goto " + web));
  EXPECT_THAT(s.chains[web].rules, ElementsAre("jump pol-a/all-in", "jump pol-a/web-in",
                                               "counter reject with icmp type admin-prohibited"));
}

TEST_F(NetpolRulesTest, PolicyChainsOrderedByKeyAndLongNamesHashed) {
  const std::string long_name(240, 'x');
  TableState s = Build({Policy(R"({"metadata":{"namespace":"a","name":"z"},"spec":{"podSelector":{}}})"),
                        Policy(R"({"metadata":{"namespace":"a","name":"b"},"spec":{"podSelector":{}}})"),
                        Policy(("{\"metadata\":{\"namespace\":\"a\",\"name\":\"" + long_name +
                                "\"},\"spec\":{\"podSelector\":{}}}")
                                   .c_str())});
  const std::string chain = s.sets[kIngressPodsMap].elements.begin()->substr(strlen("10.1.0.2 : goto "));
  const auto& rules = s.chains[chain].rules;
  ASSERT_EQ(rules.size(), 4u);
  EXPECT_EQ(rules[0], "jump pol-a/b-in");
  EXPECT_EQ(rules[2], "jump pol-a/z-in");
  EXPECT_LE(rules[1].size(), 205u);
  EXPECT_EQ(rules[1], "jump " + PolicyChain("a/" + long_name, true));
}

TEST(TableStateTest, DiffTouchesOnlyWhatChanged) {
  TableState a;
  a.sets["m"] = {.is_map = true, .spec = "type ipv4_addr : verdict;", .elements = {"10.0.0.1 : goto c1"}};
  a.sets["s"] = {.spec = "type ipv4_addr;", .elements = {"10.0.0.1", "10.0.0.2"}};
  a.chains["base"] = {"type filter hook forward priority filter; policy accept;", {"ip daddr vmap @m"}};
  a.chains["c1"] = {"", {"ip saddr @s accept", "drop"}};
  a.chains["c2"] = {"", {"drop"}};
  TableState b = a;
  b.sets["m"].elements = {"10.0.0.1 : goto c3"};
  b.sets["s"].elements = {"10.0.0.2", "10.0.0.3"};
  b.chains.erase("c1");
  b.chains["c3"] = {"", {"ip saddr @s accept", "drop"}};
  EXPECT_EQ(DiffTransaction("t", a, a), "");
  EXPECT_EQ(DiffTransaction("t", a, b),
            "add chain ip t c3\n"
            "add rule ip t c3 ip saddr @s accept\n"
            "add rule ip t c3 drop\n"
            "delete element ip t m { 10.0.0.1 }\n"
            "add element ip t m { 10.0.0.1 : goto c3 }\n"
            "delete element ip t s { 10.0.0.1 }\n"
            "add element ip t s { 10.0.0.3 }\n"
            "flush chain ip t c1\n"
            "delete chain ip t c1\n");
  const std::string full = FullTransaction("t", b);
  EXPECT_TRUE(absl::StartsWith(full, "add table ip t\ndelete table ip t\nadd table ip t\n"));
  EXPECT_THAT(full, HasSubstr("add chain ip t base { type filter hook forward priority filter; policy accept; }"));
  EXPECT_THAT(full, Not(HasSubstr("c1")));
}

}  // namespace
}  // namespace skiff::agent::netpol
