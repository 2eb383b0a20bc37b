// Applies route plans and the masquerade table to the real kernel, inside a fresh network
// namespace where a dummy "eth0" holds the node IP.
#include <memory>

#include "absl/strings/match.h"
#include "agent/node/peer_network.h"
#include "agent/node/pod_masquerade.h"
#include "agent/proxy/netns.h"
#include "agent/proxy/nft.h"
#include "base/process.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace skiff::agent::node {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

class PeerNetworkNetnsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto ns = proxy::Netns::Create();
    ASSERT_TRUE(ns.ok()) << "network namespaces need root: " << ns.status();
    ns_ = std::move(*ns);
    // A veth pair (not a dummy link: some kernels lack the driver) for the node's own link.
    absl::Status made = ns_->Exec(
        "ip link set lo up && ip link add eth0 type veth peer name eth0p && ip link set eth0p up && "
        "ip addr add 10.199.0.10/24 dev eth0 && ip link set eth0 mtu 1400 up");
    ASSERT_TRUE(made.ok()) << made;
  }

  // Runs `command` inside the namespace and returns its output.
  std::string In(const std::vector<std::string>& command) {
    std::string out;
    EXPECT_TRUE(ns_->Run([&] {
                     auto r = base::RunCommand(command, absl::Seconds(10));
                     ASSERT_TRUE(r.ok()) << r.status();
                     out = r->output;
                   })
                    .ok());
    return out;
  }

  absl::Status Apply(const RoutePlan& plan) {
    absl::Status status;
    EXPECT_TRUE(ns_->Run([&] { status = ApplyRoutePlan(plan); }).ok());
    return status;
  }

  std::unique_ptr<proxy::Netns> ns_;
};

const RoutePlan kBoth = {
    .routes = {{.destination = "10.42.1.0/24", .gateway = "10.199.0.11", .device = ""},
               {.destination = "10.42.2.0/24", .gateway = "10.42.2.0", .device = kVxlanDevice}},
    .vteps = {{.address = "10.42.2.0", .mac = "02:00:00:00:00:07", .remote_ip = "192.0.2.7"}}};

TEST_F(PeerNetworkNetnsTest, VxlanDeviceRoutesNeighboursAndFdbFollowThePlan) {
  absl::StatusOr<std::string> mac;
  ASSERT_TRUE(
      ns_->Run([&] { mac = EnsureVxlanDevice({.local_ip = "10.199.0.10", .pod_cidr = "10.42.0.0/24"}); })
          .ok());
  ASSERT_TRUE(mac.ok()) << mac.status();
  std::string link = In({"ip", "-d", "link", "show", "dev", kVxlanDevice});
  EXPECT_THAT(link, HasSubstr(*mac));
  EXPECT_THAT(link, HasSubstr("vxlan id 1 local 10.199.0.10"));
  EXPECT_THAT(link, HasSubstr("dstport 8472"));
  EXPECT_THAT(link, HasSubstr("mtu 1350"));  // eth0's 1400 less the VXLAN overhead
  EXPECT_THAT(In({"ip", "addr", "show", "dev", kVxlanDevice}), HasSubstr("10.42.0.0/32"));
  // Idempotent: the same device (same MAC) the second time.
  absl::StatusOr<std::string> again;
  ASSERT_TRUE(
      ns_->Run([&] { again = EnsureVxlanDevice({.local_ip = "10.199.0.10", .pod_cidr = "10.42.0.0/24"}); })
          .ok());
  EXPECT_EQ(*again, *mac);

  ASSERT_TRUE(Apply(kBoth).ok());
  std::string routes = In({"ip", "route", "show", "proto", "157"});
  EXPECT_THAT(routes, HasSubstr("10.42.1.0/24 via 10.199.0.11 dev eth0"));
  EXPECT_THAT(routes, HasSubstr("10.42.2.0/24 via 10.42.2.0 dev skiff.1"));
  EXPECT_THAT(In({"ip", "neigh", "show", "dev", kVxlanDevice}),
              HasSubstr("10.42.2.0 lladdr 02:00:00:00:00:07 PERMANENT"));
  EXPECT_THAT(In({"bridge", "fdb", "show", "dev", kVxlanDevice}),
              HasSubstr("02:00:00:00:00:07 dst 192.0.2.7"));
  ASSERT_TRUE(Apply(kBoth).ok()) << "a second identical apply";

  // The VXLAN peer goes and the host-gw one moves: stale entries are deleted.
  RoutePlan moved = {.routes = {{.destination = "10.42.1.0/24", .gateway = "10.199.0.12", .device = ""}}};
  ASSERT_TRUE(Apply(moved).ok());
  routes = In({"ip", "route", "show", "proto", "157"});
  EXPECT_THAT(routes, HasSubstr("10.42.1.0/24 via 10.199.0.12"));
  EXPECT_THAT(routes, Not(HasSubstr("10.42.2.0")));
  EXPECT_THAT(In({"ip", "neigh", "show", "dev", kVxlanDevice}), Not(HasSubstr("10.42.2.0")));
  EXPECT_THAT(In({"bridge", "fdb", "show", "dev", kVxlanDevice}), Not(HasSubstr("02:00:00:00:00:07")));

  // A route of another owner (no proto 157) is left alone by apply and by removal.
  In({"ip", "route", "add", "10.77.0.0/24", "via", "10.199.0.1"});
  ASSERT_TRUE(Apply({}).ok());
  absl::Status removed;
  ASSERT_TRUE(ns_->Run([&] { removed = RemovePeerNetwork(); }).ok());
  EXPECT_TRUE(removed.ok()) << removed;
  routes = In({"ip", "route", "show"});
  EXPECT_THAT(routes, HasSubstr("10.77.0.0/24"));
  EXPECT_THAT(routes, Not(HasSubstr("10.42.")));
  EXPECT_THAT(In({"ip", "link", "show"}), Not(HasSubstr(kVxlanDevice)));
  ASSERT_TRUE(ns_->Run([&] { removed = RemovePeerNetwork(); }).ok());
  EXPECT_TRUE(removed.ok()) << "removing nothing: " << removed;
}

TEST_F(PeerNetworkNetnsTest, VxlanRouteWithoutTheDeviceIsAnError) {
  absl::Status status = Apply(kBoth);
  EXPECT_FALSE(status.ok());
  // The host-gw route is applied all the same.
  EXPECT_THAT(In({"ip", "route", "show", "proto", "157"}), HasSubstr("10.42.1.0/24 via 10.199.0.11"));
}

TEST_F(PeerNetworkNetnsTest, LocalSubnetsSkipExcludedDevicesAndHostRoutes) {
  ASSERT_TRUE(ns_->Exec("ip link add skiff0 type bridge && ip addr add 10.42.0.1/24 dev skiff0 && "
                        "ip link add dns0 type bridge && ip addr add 10.43.0.10/32 dev dns0")
                  .ok());
  absl::StatusOr<std::vector<Ipv4Net>> subnets;
  ASSERT_TRUE(ns_->Run([&] { subnets = LocalSubnets({"skiff0"}); }).ok());
  ASSERT_TRUE(subnets.ok()) << subnets.status();
  ASSERT_EQ(subnets->size(), 1u);
  EXPECT_EQ((*subnets)[0].NetworkCidr(), "10.199.0.0/24");
}

TEST_F(PeerNetworkNetnsTest, MasqueradeTableExemptsTheClusterCidr) {
  absl::Status status;
  ASSERT_TRUE(ns_->Run([&] { status = EnsurePodMasquerade("10.42.0.0/16"); }).ok());
  ASSERT_TRUE(status.ok()) << status;
  ASSERT_TRUE(ns_->Run([&] { status = EnsurePodMasquerade("10.42.0.0/16"); }).ok());
  ASSERT_TRUE(status.ok()) << "re-created: " << status;
  std::string listing = In({"nft", "list", "table", "ip", kMasqueradeTable});
  EXPECT_THAT(listing, HasSubstr("ip saddr 10.42.0.0/16 ip daddr 10.42.0.0/16 return"));
  EXPECT_THAT(listing, HasSubstr("ip saddr 10.42.0.0/16 masquerade"));
  ASSERT_TRUE(ns_->Run([&] { status = RemovePodMasquerade(); }).ok());
  EXPECT_TRUE(status.ok()) << status;
  EXPECT_THAT(In({"nft", "list", "tables"}), Not(HasSubstr(kMasqueradeTable)));
  ASSERT_TRUE(ns_->Run([&] { status = RemovePodMasquerade(); }).ok());
  EXPECT_TRUE(status.ok()) << "removing nothing: " << status;
  EXPECT_FALSE(PodMasqueradeCommands("10.42.0.0").ok());
}

}  // namespace
}  // namespace skiff::agent::node
