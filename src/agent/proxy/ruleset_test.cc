#include "agent/proxy/ruleset.h"

#include "absl/strings/match.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace skiff::agent::proxy {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

// The partial transaction for single-service changes, with the elements the service claims.
std::string Partial(const ProxyOptions& o, const ServiceRules* before, const ServiceRules* after) {
  static const ServiceRules kNone;
  return PartialSyncTransaction(o, {{before, after}}, (before ? *before : kNone).elements,
                                (after ? *after : kNone).elements);
}

ServiceModel Web() {
  ServiceModel s;
  s.ns = "default";
  s.name = "web";
  s.cluster_ip = "10.96.0.10";
  s.ports = {{.name = "", .protocol = "tcp", .port = 80, .node_port = 30080}};
  return s;
}

EndpointModel Ep(const std::string& ip) { return {.ip = ip, .port = 8080, .node_name = "n1"}; }

TEST(RulesetTest, FullSyncReplacesTheTable) {
  ProxyOptions o;
  o.node_ips = {"192.0.2.10"};
  ServiceRules web = BuildServiceRules(Web(), {{"", {Ep("10.1.0.2")}}}, o);
  const std::string text = FullSyncTransaction(o, {{"default/web", web}});
  EXPECT_TRUE(absl::StartsWith(
      text, "add table ip skiff-proxy\ndelete table ip skiff-proxy\nadd table ip skiff-proxy\n"));
  EXPECT_THAT(text,
              HasSubstr("add chain ip skiff-proxy nat-prerouting { type nat hook prerouting priority -100;"));
  EXPECT_THAT(
      text,
      HasSubstr("add chain ip skiff-proxy filter-output-post-dnat { type filter hook output priority -90;"));
  EXPECT_THAT(
      text,
      HasSubstr(
          "add set ip skiff-proxy nodeport-ips { type ipv4_addr; elements = { 192.0.2.10, 127.0.0.1 }; }"));
  EXPECT_THAT(
      text, HasSubstr("add rule ip skiff-proxy services ip daddr @nodeport-ips meta l4proto . th dport vmap "
                      "@service-nodeports"));
  EXPECT_THAT(text, HasSubstr("ct state != { established, related } drop"));  // route_localnet guard
  const std::string svc = ServicePortChain("service", Web(), Web().ports[0]);
  EXPECT_THAT(
      text, HasSubstr("add element ip skiff-proxy service-ips { 10.96.0.10 . tcp . 80 : goto " + svc + " }"));
  // Chains are declared before any rule refers to them.
  EXPECT_LT(text.find("add chain ip skiff-proxy " + svc), text.find("goto " + svc));

  o.node_ips.clear();
  o.localhost_node_ports = false;
  const std::string bare = FullSyncTransaction(o, {});
  EXPECT_THAT(bare, HasSubstr("fib daddr type local ip daddr != 127.0.0.0/8 meta l4proto . th dport vmap"));
  EXPECT_THAT(bare, Not(HasSubstr("nodeport-ips")));
  EXPECT_THAT(bare, Not(HasSubstr("established")));

  // A loopback-only API server behind the kubernetes Service: only its DNAT'd connections pass the
  // route_localnet guard, even without NodePorts on 127.0.0.1.
  o.api_service_ip = "10.96.0.1";
  EXPECT_TRUE(NeedsRouteLocalnet(o));
  const std::string api = FullSyncTransaction(o, {});
  const size_t accept = api.find(
      "filter-input iifname != \"lo\" ip daddr 127.0.0.0/8 ct status dnat ct original ip daddr 10.96.0.1 "
      "meta l4proto tcp ct original proto-dst 443 accept");
  const size_t drop = api.find("ct state != { established, related } drop");
  ASSERT_NE(accept, std::string::npos) << api;
  ASSERT_NE(drop, std::string::npos);
  EXPECT_LT(accept, drop);
  o.api_service_ip = "";
  EXPECT_FALSE(NeedsRouteLocalnet(o));
}

TEST(RulesetTest, UnallocatedServiceCidrAddressesAreRejected) {
  ProxyOptions o;
  o.service_cidrs = {"10.96.0.7/16", "not-a-cidr"};  // host bits are dropped, junk is ignored
  o.local_service_ips = {"10.96.0.53"};
  ServiceRules web = BuildServiceRules(Web(), {{"", {Ep("10.1.0.2")}}}, o);
  const std::string text = FullSyncTransaction(o, {{"default/web", web}});
  const std::string ports =
      "add rule ip skiff-proxy cluster-ips-check ip daddr @cluster-ips goto reject-chain\n";
  const std::string local = "add rule ip skiff-proxy cluster-ips-check ip daddr { 10.96.0.53 } return\n";
  const std::string cidr =
      "add rule ip skiff-proxy cluster-ips-check ip daddr { 10.96.0.0/16 } goto reject-chain\n";
  // Served ClusterIPs were DNAT'd before the check (or rejected for an undefined port); the node's
  // own VIPs pass; anything else in the CIDR is rejected, on the forward and the output paths.
  ASSERT_THAT(text, HasSubstr(ports));
  ASSERT_THAT(text, HasSubstr(local));
  ASSERT_THAT(text, HasSubstr(cidr));
  EXPECT_LT(text.find(ports), text.find(local));
  EXPECT_LT(text.find(local), text.find(cidr));
  EXPECT_THAT(text, HasSubstr("add rule ip skiff-proxy filter-forward ct state new jump cluster-ips-check"));
  EXPECT_THAT(
      text, HasSubstr("add rule ip skiff-proxy filter-output-post-dnat ct state new jump cluster-ips-check"));
  EXPECT_THAT(text, Not(HasSubstr("not-a-cidr")));
  EXPECT_THAT(text, HasSubstr("add element ip skiff-proxy cluster-ips { 10.96.0.10 }"));

  o.local_service_ips.clear();
  EXPECT_THAT(FullSyncTransaction(o, {}), Not(HasSubstr("} return\n")));
  o.service_cidrs.clear();  // no CIDR known: only undefined ports of served ClusterIPs are rejected
  EXPECT_THAT(FullSyncTransaction(o, {}), Not(HasSubstr("10.96.0.0/16")));
}

TEST(RulesetTest, PartialSyncTouchesOnlyWhatChanged) {
  ProxyOptions o;
  ServiceModel s = Web();
  s.affinity_timeout_seconds = 60;  // for endpoint chains
  ServiceRules one = BuildServiceRules(s, {{"", {Ep("10.1.0.2")}}}, o);
  ServiceRules two = BuildServiceRules(s, {{"", {Ep("10.1.0.2"), Ep("10.1.0.3")}}}, o);
  const std::string svc = ServicePortChain("service", s, s.ports[0]);
  const std::string e3 = EndpointChain(s, s.ports[0], Ep("10.1.0.3"));
  const std::string e2 = EndpointChain(s, s.ports[0], Ep("10.1.0.2"));

  EXPECT_EQ(Partial(o, &one, &one), "");

  const std::string grow = Partial(o, &one, &two);
  EXPECT_THAT(grow, HasSubstr("add chain ip skiff-proxy " + e3 + "\n"));
  EXPECT_THAT(grow, HasSubstr("flush chain ip skiff-proxy " + svc + "\n"));
  EXPECT_THAT(grow, Not(HasSubstr("flush chain ip skiff-proxy " + e2)));  // unchanged endpoint chain
  EXPECT_THAT(grow, Not(HasSubstr("service-ips")));                       // unchanged map entry
  EXPECT_THAT(grow, HasSubstr("add element ip skiff-proxy hairpin { 10.1.0.3 . 10.1.0.3 }"));
  EXPECT_LT(grow.find("add chain ip skiff-proxy " + e3), grow.find("flush chain"));
  EXPECT_LT(grow.find("add set"), grow.find("add chain"));

  const std::string shrink = Partial(o, &two, &one);
  EXPECT_THAT(shrink,
              HasSubstr("flush chain ip skiff-proxy " + e3 + "\ndelete chain ip skiff-proxy " + e3 + "\n"));
  // The service chain stops jumping to e3 before e3 is deleted.
  EXPECT_LT(shrink.find("flush chain ip skiff-proxy " + svc), shrink.find("delete chain"));

  ServiceRules none = BuildServiceRules(s, {}, o);
  const std::string empty = Partial(o, &one, &none);
  EXPECT_THAT(empty, HasSubstr("delete element ip skiff-proxy service-ips { 10.96.0.10 . tcp . 80 }"));
  EXPECT_THAT(empty,
              HasSubstr("add element ip skiff-proxy no-endpoint-services { 10.96.0.10 . tcp . 80 : goto "
                        "reject-chain }"));
  EXPECT_THAT(empty, HasSubstr("delete chain ip skiff-proxy " + svc));
  EXPECT_THAT(empty, Not(HasSubstr("cluster-ips")));  // unchanged element
  EXPECT_THAT(empty, HasSubstr("delete element ip skiff-proxy hairpin { 10.1.0.2 . 10.1.0.2 }"));

  const std::string gone = Partial(o, &one, nullptr);
  EXPECT_THAT(gone, HasSubstr("delete element ip skiff-proxy cluster-ips { 10.96.0.10 }"));
  EXPECT_LT(gone.find("delete element ip skiff-proxy service-ips"),
            gone.find("delete chain ip skiff-proxy " + svc));
}

TEST(RulesetTest, SharedElementsStayWhileAnyServiceClaimsThem) {
  ProxyOptions o;
  ServiceModel a = Web();
  ServiceModel b = Web();
  b.name = "web2";
  b.cluster_ip = "10.96.0.11";
  ServiceRules ra = BuildServiceRules(a, {{"", {Ep("10.1.0.2")}}}, o);
  ServiceRules rb = BuildServiceRules(b, {{"", {Ep("10.1.0.2")}}}, o);  // the same pod
  // Both claim the hairpin entry; the full sync holds it once.
  const std::string full = FullSyncTransaction(o, {{"default/web", ra}, {"default/web2", rb}});
  EXPECT_THAT(full, HasSubstr("add element ip skiff-proxy hairpin { 10.1.0.2 . 10.1.0.2 }"));
  SharedElements shared;
  shared.Replace("default/web", {}, ra.elements);
  shared.Replace("default/web2", {}, rb.elements);
  const ElementTable touched = UnionKeys(rb.elements, {});
  const ElementTable before = shared.Effective(touched);
  shared.Replace("default/web2", rb.elements, {});
  const std::string text = PartialSyncTransaction(o, {{&rb, nullptr}}, before, shared.Effective(touched));
  EXPECT_THAT(text, HasSubstr("delete element ip skiff-proxy cluster-ips { 10.96.0.11 }"));
  EXPECT_THAT(text, Not(HasSubstr("hairpin")));  // still claimed by default/web
  // A conflicting address:port keeps the value of the lowest service key, whatever the order.
  ServiceModel z = Web();
  z.name = "zzz";
  ServiceRules rz = BuildServiceRules(z, {{"", {Ep("10.1.0.9")}}}, o);
  shared.Replace("default/zzz", {}, rz.elements);
  EXPECT_EQ(shared.Effective(rz.elements)["service-ips"], ra.elements["service-ips"]);
  shared.Replace("default/web", ra.elements, {});
  EXPECT_EQ(shared.Effective(rz.elements)["service-ips"], rz.elements["service-ips"]);
}

TEST(RulesetTest, PartialSyncCreatesSetsFirstAndDeletesThemLast) {
  ProxyOptions o;
  ServiceModel s = Web();
  ServiceRules plain = BuildServiceRules(s, {{"", {Ep("10.1.0.2")}}}, o);
  s.affinity_timeout_seconds = 60;
  ServiceRules sticky = BuildServiceRules(s, {{"", {Ep("10.1.0.2")}}}, o);
  const std::string set = sticky.sets.begin()->first;
  const std::string on = Partial(o, &plain, &sticky);
  EXPECT_TRUE(
      absl::StartsWith(on, "add set ip skiff-proxy " + set + " { type ipv4_addr; flags dynamic,timeout;"));
  const std::string off = Partial(o, &sticky, &plain);
  EXPECT_TRUE(absl::EndsWith(off, "delete set ip skiff-proxy " + set + "\n"));
}

TEST(RulesetTest, CountersAreDeclaredWithTheirServiceAndDeletedAfterItsChains) {
  ProxyOptions o;
  o.count_connections = true;
  ServiceRules web = BuildServiceRules(Web(), {{"", {Ep("10.1.0.2")}}}, o);
  const std::string counter = ServiceCounter("default", "web");
  const std::string full = FullSyncTransaction(o, {{"default/web", web}});
  const size_t declared = full.find("add counter ip skiff-proxy " + counter + "\n");
  ASSERT_NE(declared, std::string::npos);
  EXPECT_LT(declared, full.find("counter name \"" + counter + "\""));  // declared before use
  const std::string added = Partial(o, nullptr, &web);
  EXPECT_TRUE(absl::StartsWith(added, "add counter ip skiff-proxy " + counter + "\n")) << added;
  const std::string gone = Partial(o, &web, nullptr);
  EXPECT_TRUE(absl::EndsWith(gone, "delete counter ip skiff-proxy " + counter + "\n")) << gone;
  EXPECT_LT(gone.find("delete chain"), gone.find("delete counter"));
  // Endpoint changes leave the counter (and its count) alone.
  ServiceRules two = BuildServiceRules(Web(), {{"", {Ep("10.1.0.2"), Ep("10.1.0.3")}}}, o);
  EXPECT_THAT(Partial(o, &web, &two), Not(HasSubstr("add counter")));
  EXPECT_THAT(Partial(o, &web, &two), Not(HasSubstr("delete counter")));
}

}  // namespace
}  // namespace skiff::agent::proxy
