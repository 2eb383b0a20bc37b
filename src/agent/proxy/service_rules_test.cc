#include "agent/proxy/service_rules.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace skiff::agent::proxy {
namespace {

using ::testing::Contains;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Key;
using ::testing::Not;
using ::testing::Pair;

ServiceModel Web() {
  ServiceModel s;
  s.ns = "default";
  s.name = "web";
  s.cluster_ip = "10.96.0.10";
  s.ports = {{.name = "http", .protocol = "tcp", .port = 80}};
  return s;
}

EndpointModel Ep(const std::string& ip, const std::string& node = "n1", bool ready = true) {
  return {.ip = ip, .port = 8080, .node_name = node, .ready = ready, .serving = ready, .terminating = false};
}

ProxyOptions Options() {
  ProxyOptions o;
  o.node_name = "n1";
  return o;
}

TEST(ServiceRulesTest, ClusterIpBalancesOverEndpoints) {
  ServiceModel s = Web();
  ServiceRules r = BuildServiceRules(s, {{"http", {Ep("10.1.0.2"), Ep("10.1.0.3", "n2")}}}, Options());
  const std::string svc = ServicePortChain("service", s, s.ports[0]);
  EXPECT_THAT(svc, ::testing::MatchesRegex("service-[A-Z2-7]{8}-default/web/tcp/http"));
  EXPECT_THAT(r.elements["service-ips"], ElementsAre(Pair("10.96.0.10 . tcp . 80", "goto " + svc)));
  EXPECT_THAT(r.elements["cluster-ips"], ElementsAre(Pair("10.96.0.10", "")));
  EXPECT_THAT(r.elements["hairpin"],
              ElementsAre(Pair("10.1.0.2 . 10.1.0.2", ""), Pair("10.1.0.3 . 10.1.0.3", "")));
  EXPECT_THAT(r.elements, Not(Contains(Key("no-endpoint-services"))));
  EXPECT_THAT(r.chains[svc],
              ElementsAre("ip daddr 10.96.0.10 tcp dport 80 iifname != \"skiff0\" jump mark-for-masquerade",
                          "meta l4proto tcp dnat ip to numgen random mod 2 map { 0 : 10.1.0.2 . 8080, "
                          "1 : 10.1.0.3 . 8080 }"));
  EXPECT_EQ(r.chains.size(), 1u);  // no endpoint, external or local chains
  EXPECT_THAT(r.sets, IsEmpty());

  r = BuildServiceRules(s, {{"http", {Ep("10.1.0.2")}}}, Options());
  EXPECT_EQ(r.chains[svc].back(), "meta l4proto tcp dnat to 10.1.0.2:8080");
}

TEST(ServiceRulesTest, NoEndpointsRejects) {
  ServiceModel s = Web();
  s.ports[0].node_port = 30080;
  s.external_ips = {"192.0.2.5"};
  ServiceRules r = BuildServiceRules(s, {}, Options());
  EXPECT_THAT(r.chains, IsEmpty());
  EXPECT_THAT(r.elements["no-endpoint-services"],
              ElementsAre(Pair("10.96.0.10 . tcp . 80", "goto reject-chain"),
                          Pair("192.0.2.5 . tcp . 80", "goto reject-chain")));
  EXPECT_THAT(r.elements["no-endpoint-nodeports"], ElementsAre(Pair("tcp . 30080", "goto reject-chain")));
  EXPECT_THAT(r.elements, Not(Contains(Key("service-ips"))));
}

TEST(ServiceRulesTest, FallsBackToServingTerminatingEndpoints) {
  ServiceModel s = Web();
  EndpointModel terminating = Ep("10.1.0.4", "n1", false);
  terminating.serving = true;
  terminating.terminating = true;
  EndpointModel gone = Ep("10.1.0.5", "n1", false);  // neither ready nor serving
  gone.terminating = true;
  ServiceRules r = BuildServiceRules(s, {{"http", {terminating, gone}}}, Options());
  const std::string svc = ServicePortChain("service", s, s.ports[0]);
  EXPECT_EQ(r.chains[svc].back(), "meta l4proto tcp dnat to 10.1.0.4:8080");
  // A ready endpoint takes precedence over terminating ones.
  r = BuildServiceRules(s, {{"http", {terminating, Ep("10.1.0.6")}}}, Options());
  EXPECT_EQ(r.chains[svc].back(), "meta l4proto tcp dnat to 10.1.0.6:8080");
}

TEST(ServiceRulesTest, SessionAffinityUsesTimeoutSets) {
  ServiceModel s = Web();
  s.affinity_timeout_seconds = 600;
  ServiceRules r = BuildServiceRules(s, {{"http", {Ep("10.1.0.2"), Ep("10.1.0.3")}}}, Options());
  ASSERT_EQ(r.sets.size(), 2u);
  for (const auto& [name, spec] : r.sets) {
    EXPECT_THAT(name, HasSubstr("affinity-"));
    EXPECT_EQ(spec, "type ipv4_addr; flags dynamic,timeout; timeout 600s;");
  }
  const std::string svc = ServicePortChain("service", s, s.ports[0]);
  const std::string e2 = EndpointChain(s, s.ports[0], Ep("10.1.0.2"));
  const std::vector<std::string>& rules = r.chains[svc];
  ASSERT_EQ(rules.size(), 4u);  // masquerade, two affinity lookups, then the random choice
  EXPECT_THAT(rules[1], ::testing::MatchesRegex("ip saddr @affinity-[A-Z2-7]{8} goto " + e2));
  EXPECT_THAT(rules[3], HasSubstr("numgen random mod 2"));
  EXPECT_THAT(r.chains[e2][0], ::testing::MatchesRegex("update @affinity-[A-Z2-7]{8} \\{ ip saddr \\}"));
  EXPECT_EQ(r.chains[e2][1], "meta l4proto tcp dnat to 10.1.0.2:8080");
  // A different timeout is a different set (sets cannot change their timeout in place).
  s.affinity_timeout_seconds = 700;
  ServiceRules r2 = BuildServiceRules(s, {{"http", {Ep("10.1.0.2"), Ep("10.1.0.3")}}}, Options());
  EXPECT_NE(r.sets.begin()->first, r2.sets.begin()->first);
}

TEST(ServiceRulesTest, NodePortAndExternalTrafficPolicyCluster) {
  ServiceModel s = Web();
  s.ports[0].node_port = 30080;
  s.external_ips = {"192.0.2.5"};
  ServiceRules r = BuildServiceRules(s, {{"http", {Ep("10.1.0.2")}}}, Options());
  const std::string svc = ServicePortChain("service", s, s.ports[0]);
  const std::string ext = ServicePortChain("external", s, s.ports[0]);
  EXPECT_THAT(r.elements["service-nodeports"], ElementsAre(Pair("tcp . 30080", "goto " + ext)));
  EXPECT_THAT(r.elements["service-ips"], Contains(Pair("192.0.2.5 . tcp . 80", "goto " + ext)));
  EXPECT_THAT(r.chains[ext], ElementsAre("jump mark-for-masquerade", "goto " + svc));
}

TEST(ServiceRulesTest, ExternalTrafficPolicyLocal) {
  ServiceModel s = Web();
  s.ports[0].node_port = 30080;
  s.external_local = true;
  ServiceRules r = BuildServiceRules(s, {{"http", {Ep("10.1.0.2", "n1"), Ep("10.1.0.3", "n2")}}}, Options());
  const std::string svc = ServicePortChain("service", s, s.ports[0]);
  const std::string local = ServicePortChain("local", s, s.ports[0]);
  const std::string ext = ServicePortChain("external", s, s.ports[0]);
  EXPECT_THAT(r.chains[ext],
              ElementsAre("iifname \"skiff0\" goto " + svc, "fib saddr type local jump mark-for-masquerade",
                          "fib saddr type local goto " + svc, "goto " + local));
  // Only the local endpoint, and no masquerading of external clients.
  EXPECT_THAT(r.chains[local], ElementsAre("meta l4proto tcp dnat to 10.1.0.2:8080"));
  EXPECT_THAT(r.elements["service-ips"], ElementsAre(Pair("10.96.0.10 . tcp . 80", "goto " + svc)));

  // No local endpoint: external traffic is dropped, ClusterIP traffic still served.
  r = BuildServiceRules(s, {{"http", {Ep("10.1.0.3", "n2")}}}, Options());
  EXPECT_THAT(r.elements["no-endpoint-nodeports"], ElementsAre(Pair("tcp . 30080", "drop")));
  EXPECT_THAT(r.elements["service-ips"], ElementsAre(Pair("10.96.0.10 . tcp . 80", "goto " + svc)));
  EXPECT_THAT(r.chains, Not(Contains(Key(ext))));
  EXPECT_THAT(r.chains, Not(Contains(Key(local))));
}

TEST(ServiceRulesTest, InternalTrafficPolicyLocal) {
  ServiceModel s = Web();
  s.internal_local = true;
  ServiceRules r = BuildServiceRules(s, {{"http", {Ep("10.1.0.2", "n1"), Ep("10.1.0.3", "n2")}}}, Options());
  const std::string local = ServicePortChain("local", s, s.ports[0]);
  EXPECT_THAT(r.elements["service-ips"], ElementsAre(Pair("10.96.0.10 . tcp . 80", "goto " + local)));
  EXPECT_THAT(r.chains[local], ElementsAre("meta l4proto tcp dnat to 10.1.0.2:8080"));
  EXPECT_EQ(r.chains.size(), 1u);  // no cluster chain is needed
  EXPECT_THAT(r.elements["hairpin"], ElementsAre(Pair("10.1.0.2 . 10.1.0.2", "")));
  r = BuildServiceRules(s, {{"http", {Ep("10.1.0.3", "n2")}}}, Options());
  EXPECT_THAT(r.elements["no-endpoint-services"], ElementsAre(Pair("10.96.0.10 . tcp . 80", "drop")));
  EXPECT_THAT(r.chains, IsEmpty());
}

TEST(ServiceRulesTest, LocalServiceIpsAreLeftAlone) {
  ServiceModel s = Web();
  ProxyOptions o = Options();
  o.local_service_ips = {"10.96.0.10"};
  EXPECT_TRUE(BuildServiceRules(s, {}, o).empty());
  EXPECT_TRUE(BuildServiceRules(s, {{"http", {Ep("10.1.0.2")}}}, o).elements.empty());
}

TEST(ServiceRulesTest, NamesAreStableAndDistinct) {
  ServiceModel a = Web();
  ServiceModel b = Web();
  b.name = "web2";
  EXPECT_EQ(ServicePortChain("service", a, a.ports[0]), ServicePortChain("service", Web(), Web().ports[0]));
  EXPECT_NE(ServicePortChain("service", a, a.ports[0]), ServicePortChain("service", b, b.ports[0]));
  EXPECT_NE(ServicePortChain("service", a, a.ports[0]), ServicePortChain("local", a, a.ports[0]));
  EndpointModel other = Ep("10.1.0.2");
  other.port = 8081;
  EXPECT_NE(EndpointChain(a, a.ports[0], Ep("10.1.0.2")), EndpointChain(a, a.ports[0], other));
  a.name = "we b;drop";  // never reaches nft unescaped
  EXPECT_THAT(ServicePortChain("service", a, a.ports[0]), HasSubstr("/we_b_drop/"));
}

TEST(ServiceRulesTest, ActivationRedirectsTcpPortsWithoutEndpointsToTheActivator) {
  ServiceModel s = Web();
  s.ports[0].node_port = 30080;
  s.ports.push_back({.name = "dns", .protocol = "udp", .port = 53});
  s.external_ips = {"192.0.2.5"};
  s.activate = true;
  ProxyOptions o = Options();
  o.activator_port = 40001;
  ServiceRules r = BuildServiceRules(s, {}, o);
  const std::string activate = ServicePortChain("activate", s, s.ports[0]);
  EXPECT_THAT(activate, ::testing::MatchesRegex("activate-[A-Z2-7]{8}-default/web/tcp/http"));
  EXPECT_THAT(r.chains[activate], ElementsAre("meta l4proto tcp redirect to :40001"));
  // Every frontend of the TCP port: the DNAT maps, not the reject maps.
  EXPECT_THAT(r.elements["service-ips"], ElementsAre(Pair("10.96.0.10 . tcp . 80", "goto " + activate),
                                                     Pair("192.0.2.5 . tcp . 80", "goto " + activate)));
  EXPECT_THAT(r.elements["service-nodeports"], ElementsAre(Pair("tcp . 30080", "goto " + activate)));
  // UDP cannot be held: its port still rejects.
  EXPECT_THAT(r.elements["no-endpoint-services"],
              ElementsAre(Pair("10.96.0.10 . udp . 53", "goto reject-chain"),
                          Pair("192.0.2.5 . udp . 53", "goto reject-chain")));
  EXPECT_THAT(r.elements, Not(Contains(Key("no-endpoint-nodeports"))));
  EXPECT_EQ(r.chains.size(), 1u);

  // With an endpoint the activator is off the path.
  r = BuildServiceRules(s, {{"http", {Ep("10.1.0.2")}}}, o);
  const std::string svc = ServicePortChain("service", s, s.ports[0]);
  EXPECT_THAT(r.chains, Not(Contains(Key(activate))));
  EXPECT_EQ(r.elements["service-ips"]["10.96.0.10 . tcp . 80"], "goto " + svc);

  // Not marked, or no activator on this node: rejected as before.
  for (bool marked : {false, true}) {
    ServiceModel plain = s;
    plain.activate = marked;
    ProxyOptions without = o;
    if (marked) without.activator_port = 0;
    r = BuildServiceRules(plain, {}, without);
    EXPECT_THAT(r.chains, IsEmpty());
    EXPECT_EQ(r.elements["no-endpoint-services"]["10.96.0.10 . tcp . 80"], "goto reject-chain");
    EXPECT_EQ(r.elements["no-endpoint-nodeports"]["tcp . 30080"], "goto reject-chain");
  }
}

TEST(ServiceRulesTest, CountingBumpsOneCounterPerServiceBeforeEveryDispatch) {
  ServiceModel s = Web();
  s.ports[0].node_port = 30080;
  s.external_local = true;
  ProxyOptions o = Options();
  o.count_connections = true;
  const std::string counter = ServiceCounter("default", "web");
  EXPECT_THAT(counter, ::testing::MatchesRegex("conns-[A-Z2-7]{8}-default/web"));
  const std::string bump = "counter name \"" + counter + "\"";
  ServiceRules r = BuildServiceRules(s, {{"http", {Ep("10.1.0.2", "n1"), Ep("10.1.0.3", "n2")}}}, o);
  EXPECT_THAT(r.counters, ElementsAre(counter));
  const std::string svc = ServicePortChain("service", s, s.ports[0]);
  const std::string local = ServicePortChain("local", s, s.ports[0]);
  const std::string ext = ServicePortChain("external", s, s.ports[0]);
  // Each connection ends in exactly one dispatch (cluster or local), which counts it once.
  ASSERT_EQ(r.chains[svc].size(), 3u);
  EXPECT_EQ(r.chains[svc][1], bump);
  EXPECT_THAT(r.chains[local], ElementsAre(bump, "meta l4proto tcp dnat to 10.1.0.2:8080"));
  EXPECT_THAT(r.chains[ext], Not(Contains(bump)));

  // Held connections count too.
  s.activate = true;
  o.activator_port = 40001;
  r = BuildServiceRules(s, {}, o);
  EXPECT_THAT(r.chains[ServicePortChain("activate", s, s.ports[0])],
              ElementsAre(bump, "meta l4proto tcp redirect to :40001"));
}

TEST(ServiceRulesTest, ActivationEntryListsFrontendsAndUsableBackends) {
  ServiceModel s = Web();
  s.ports[0].node_port = 30080;
  s.ports.push_back({.name = "dns", .protocol = "udp", .port = 53});
  s.external_ips = {"192.0.2.5"};
  EndpointModel terminating = Ep("10.1.0.4", "n1", false);
  terminating.serving = true;
  terminating.terminating = true;
  ActivationEntry e = BuildActivationEntry(s, {{"http", {Ep("10.1.0.2"), Ep("10.1.0.3", "n2", false)}}},
                                           {"apps/v1", "Deployment", "web"});
  EXPECT_EQ(e.ns, "default");
  EXPECT_THAT(e.ips, ElementsAre("10.96.0.10", "192.0.2.5"));
  ASSERT_EQ(e.ports.size(), 1u);  // TCP only
  EXPECT_EQ(e.ports[0].node_port, 30080);
  EXPECT_THAT(e.ports[0].backends, ElementsAre(Backend{"10.1.0.2", 8080}));
  e = BuildActivationEntry(s, {{"http", {terminating}}}, {});
  EXPECT_THAT(e.ports[0].backends, ElementsAre(Backend{"10.1.0.4", 8080}));
}

}  // namespace
}  // namespace skiff::agent::proxy
