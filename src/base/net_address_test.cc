#include "base/net_address.h"

#include "gtest/gtest.h"

namespace skiff::base {
namespace {

constexpr char kHeader[] =
    "Iface\tDestination\tGateway \tFlags\tRefCnt\tUse\tMetric\tMask\t\tMTU\tWindow\tIRTT\n";

TEST(ParseDefaultRouteInterface, PicksTheDefaultRoute) {
  std::string routes = std::string(kHeader) +
                       "eth1\t000200C0\t00000000\t0001\t0\t0\t0\t00FFFFFF\t0\t0\t0\n"
                       "eth0\t00000000\t010200C0\t0003\t0\t0\t0\t00000000\t0\t0\t0\n";
  EXPECT_EQ(*ParseDefaultRouteInterface(routes), "eth0");
}

TEST(ParseDefaultRouteInterface, LowestMetricWinsAndDownRoutesAreSkipped) {
  std::string routes = std::string(kHeader) +
                       "wlan0\t00000000\t010200C0\t0003\t0\t0\t600\t00000000\t0\t0\t0\n"
                       "eth0\t00000000\t010200C0\t0003\t0\t0\t100\t00000000\t0\t0\t0\n"
                       "eth9\t00000000\t010200C0\t0002\t0\t0\t1\t00000000\t0\t0\t0\n";
  EXPECT_EQ(*ParseDefaultRouteInterface(routes), "eth0");
}

TEST(ParseDefaultRouteInterface, NoDefaultRouteIsNotFound) {
  std::string routes = std::string(kHeader) + "eth1\t000200C0\t00000000\t0001\t0\t0\t0\t00FFFFFF\t0\t0\t0\n";
  EXPECT_TRUE(absl::IsNotFound(ParseDefaultRouteInterface(routes).status()));
  EXPECT_TRUE(absl::IsNotFound(ParseDefaultRouteInterface(kHeader).status()));
}

TEST(ParseDefaultRouteInterface, MalformedLineIsInvalid) {
  std::string routes = std::string(kHeader) + "eth0 zz\n";
  EXPECT_TRUE(absl::IsInvalidArgument(ParseDefaultRouteInterface(routes).status()));
}

TEST(InterfaceIpv4, LoopbackHas127001AndUnknownIsNotFound) {
  EXPECT_EQ(*InterfaceIpv4("lo"), "127.0.0.1");
  EXPECT_TRUE(absl::IsNotFound(InterfaceIpv4("nonexistent0").status()));
}

TEST(DefaultIpv4Address, FindsAnAddressOnThisMachine) {
  auto ip = DefaultIpv4Address();
  ASSERT_TRUE(ip.ok()) << ip.status();
  EXPECT_NE(*ip, "127.0.0.1");
}

}  // namespace
}  // namespace skiff::base
