#include "api/ip_address.h"

#include "gtest/gtest.h"

namespace skiff::api {
namespace {

TEST(IpAddressTest, ParsesAddressesTheWayKubernetesDoes) {
  auto v4 = ParseIpSloppy("192.168.001.010");
  ASSERT_TRUE(v4.has_value());
  EXPECT_TRUE(v4->v4);
  EXPECT_EQ(v4->bytes[2], 1);
  EXPECT_EQ(v4->bytes[3], 10);
  auto v6 = ParseIpSloppy("2001:db8::1");
  ASSERT_TRUE(v6.has_value());
  EXPECT_FALSE(v6->v4);
  EXPECT_EQ(v6->bytes[15], 1);
  for (const char* bad :
       {"", "1.2.3", "1.2.3.4.5", "256.1.1.1", "1.2.3.4 ", "fe80::1%eth0", "example.com", "::g"}) {
    EXPECT_FALSE(ParseIpSloppy(bad).has_value()) << bad;
  }
}

TEST(IpAddressTest, CidrsMaskTheirAddressAndContainSubRanges) {
  auto net = ParseCidrSloppy("10.1.2.3/16");
  ASSERT_TRUE(net.has_value());
  EXPECT_EQ(net->bits, 16);
  EXPECT_EQ(net->network.bytes[2], 0);
  EXPECT_TRUE(net->Contains(*ParseIpSloppy("10.1.255.255")));
  EXPECT_FALSE(net->Contains(*ParseIpSloppy("10.2.0.0")));
  EXPECT_FALSE(net->Contains(*ParseIpSloppy("::a01:0")));
  auto odd = ParseCidrSloppy("10.0.0.0/9");
  ASSERT_TRUE(odd.has_value());
  EXPECT_TRUE(odd->Contains(*ParseIpSloppy("10.127.0.1")));
  EXPECT_FALSE(odd->Contains(*ParseIpSloppy("10.128.0.1")));
  EXPECT_TRUE(ParseCidrSloppy("0.0.0.0/0")->Contains(*ParseIpSloppy("8.8.8.8")));
  EXPECT_TRUE(ParseCidrSloppy("2001:db8::/32")->Contains(*ParseIpSloppy("2001:db8:ffff::1")));
  for (const char* bad :
       {"10.0.0.0", "10.0.0.0/", "10.0.0.0/33", "10.0.0.0/-1", "10.0.0.0/8x", "::/129", "/8"}) {
    EXPECT_FALSE(ParseCidrSloppy(bad).has_value()) << bad;
  }
}

}  // namespace
}  // namespace skiff::api
