#include "agent/node/peer_routes.h"

#include "boost/json.hpp"
#include "gtest/gtest.h"

namespace skiff::agent::node {
namespace {

std::vector<Ipv4Net> Subnets(std::initializer_list<const char*> cidrs) {
  std::vector<Ipv4Net> out;
  for (const char* c : cidrs) out.push_back(*Ipv4Net::Parse(c));
  return out;
}

TEST(Ipv4NetTest, ParsesContainsAndNormalizes) {
  auto net = Ipv4Net::Parse("10.42.1.7/24");
  ASSERT_TRUE(net.ok()) << net.status();
  EXPECT_TRUE(net->Contains("10.42.1.200"));
  EXPECT_FALSE(net->Contains("10.42.2.1"));
  EXPECT_FALSE(net->Contains("not-an-ip"));
  EXPECT_EQ(net->NetworkAddress(), "10.42.1.0");
  EXPECT_EQ(net->NetworkCidr(), "10.42.1.0/24");
  EXPECT_TRUE(Ipv4Net::Parse("0.0.0.0/0")->Contains("8.8.8.8"));
  for (const char* bad : {"10.42.1.0", "10.42.1.0/33", "10.42.1.0/-1", "fd00::/64", "x/8", "10.1.1.1/2x"}) {
    EXPECT_FALSE(Ipv4Net::Parse(bad).ok()) << bad;
  }
}

TEST(ParseBackendTest, KnowsTheThreeBackends) {
  EXPECT_EQ(*ParseBackend("auto"), Backend::kAuto);
  EXPECT_EQ(*ParseBackend("host-gw"), Backend::kHostGw);
  EXPECT_EQ(*ParseBackend("vxlan"), Backend::kVxlan);
  EXPECT_FALSE(ParseBackend("udp").ok());
}

TEST(PeerFromNodeTest, ReadsInternalIpPodCidrAndVtepMac) {
  auto node = boost::json::parse(R"({
    "metadata": {"name": "n2", "annotations": {
      "flannel.alpha.coreos.com/backend-data": "{\"VNI\":1,\"VtepMAC\":\"aa:bb:cc:dd:ee:ff\"}"}},
    "spec": {"podCIDR": "10.42.2.0/24"},
    "status": {"addresses": [{"type": "Hostname", "address": "n2"},
                             {"type": "InternalIP", "address": "10.199.0.12"}]}})");
  PeerNode peer = PeerFromNode(node);
  EXPECT_EQ(peer.name, "n2");
  EXPECT_EQ(peer.internal_ip, "10.199.0.12");
  EXPECT_EQ(peer.pod_cidr, "10.42.2.0/24");
  EXPECT_EQ(peer.vtep_mac, "aa:bb:cc:dd:ee:ff");

  auto bad_annotation = boost::json::parse(
      R"({"metadata": {"name": "n3", "annotations": {"flannel.alpha.coreos.com/backend-data": "{not json"}}})");
  EXPECT_EQ(PeerFromNode(bad_annotation).vtep_mac, "");
  EXPECT_EQ(PeerFromNode(bad_annotation).internal_ip, "");
}

const std::vector<PeerNode> kPeers = {
    {.name = "self",
     .internal_ip = "10.199.0.10",
     .pod_cidr = "10.42.0.0/24",
     .vtep_mac = "02:00:00:00:00:10"},
    {.name = "near",
     .internal_ip = "10.199.0.11",
     .pod_cidr = "10.42.1.0/24",
     .vtep_mac = "02:00:00:00:00:11"},
    {.name = "far", .internal_ip = "192.0.2.7", .pod_cidr = "10.42.2.0/24", .vtep_mac = "02:00:00:00:00:07"},
    {.name = "far-no-mac", .internal_ip = "192.0.2.8", .pod_cidr = "10.42.3.0/24", .vtep_mac = ""},
    {.name = "no-cidr", .internal_ip = "10.199.0.13", .pod_cidr = "", .vtep_mac = ""},
    {.name = "no-ip", .internal_ip = "", .pod_cidr = "10.42.5.0/24", .vtep_mac = ""},
};

TEST(PlanPeerRoutesTest, AutoUsesHostGwOnTheSharedSegmentAndVxlanElsewhere) {
  RoutePlan plan = PlanPeerRoutes(
      {.self_name = "self", .backend = Backend::kAuto, .local_subnets = Subnets({"10.199.0.0/24"})}, kPeers);
  ASSERT_EQ(plan.routes.size(), 2u);
  EXPECT_EQ(plan.routes[0],
            (PeerRoute{.destination = "10.42.1.0/24", .gateway = "10.199.0.11", .device = ""}));
  EXPECT_EQ(plan.routes[1],
            (PeerRoute{.destination = "10.42.2.0/24", .gateway = "10.42.2.0", .device = kVxlanDevice}));
  ASSERT_EQ(plan.vteps.size(), 1u);
  EXPECT_EQ(plan.vteps[0],
            (VtepEntry{.address = "10.42.2.0", .mac = "02:00:00:00:00:07", .remote_ip = "192.0.2.7"}));
}

TEST(PlanPeerRoutesTest, HostGwSkipsPeersOffTheSegment) {
  RoutePlan plan = PlanPeerRoutes(
      {.self_name = "self", .backend = Backend::kHostGw, .local_subnets = Subnets({"10.199.0.0/24"})},
      kPeers);
  ASSERT_EQ(plan.routes.size(), 1u);
  EXPECT_EQ(plan.routes[0].gateway, "10.199.0.11");
  EXPECT_TRUE(plan.vteps.empty());
}

TEST(PlanPeerRoutesTest, VxlanEncapsulatesEvenOnTheSharedSegment) {
  RoutePlan plan = PlanPeerRoutes(
      {.self_name = "self", .backend = Backend::kVxlan, .local_subnets = Subnets({"10.199.0.0/24"})}, kPeers);
  ASSERT_EQ(plan.routes.size(), 2u);
  for (const PeerRoute& r : plan.routes) EXPECT_EQ(r.device, kVxlanDevice);
  ASSERT_EQ(plan.vteps.size(), 2u);
  EXPECT_EQ(plan.vteps[0].remote_ip, "10.199.0.11");
  EXPECT_EQ(plan.vteps[1].remote_ip, "192.0.2.7");
}

TEST(PlanPeerRoutesTest, NormalizesPodCidrsAndIgnoresGarbage) {
  std::vector<PeerNode> peers = {
      {.name = "a", .internal_ip = "10.199.0.11", .pod_cidr = "10.42.1.9/24", .vtep_mac = ""},
      {.name = "b", .internal_ip = "10.199.0.12", .pod_cidr = "bogus", .vtep_mac = ""},
      {.name = "c", .internal_ip = "bogus", .pod_cidr = "10.42.3.0/24", .vtep_mac = ""},
  };
  RoutePlan plan = PlanPeerRoutes(
      {.self_name = "self", .backend = Backend::kAuto, .local_subnets = Subnets({"10.199.0.0/24"})}, peers);
  ASSERT_EQ(plan.routes.size(), 1u);
  EXPECT_EQ(plan.routes[0].destination, "10.42.1.0/24");
}

}  // namespace
}  // namespace skiff::agent::node
