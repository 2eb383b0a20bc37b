#include "base/ipv4.h"

#include "gtest/gtest.h"

namespace skiff::base {
namespace {

TEST(Ipv4, ParsesAndFormatsDottedQuads) {
  uint32_t ip = 0;
  ASSERT_TRUE(ParseIpv4("10.43.0.1", &ip));
  EXPECT_EQ(ip, (10u << 24) | (43u << 16) | 1u);
  EXPECT_EQ(FormatIpv4(ip), "10.43.0.1");
  for (const char* bad : {"", "10.43.0", "10.43.0.256", "10.43.0.1.2", "a.b.c.d", "::1"}) {
    EXPECT_FALSE(ParseIpv4(bad, &ip)) << bad;
  }
}

TEST(Ipv4, CidrClearsHostBitsAndContains) {
  auto cidr = ParseIpv4Cidr("10.43.7.9/16");
  ASSERT_TRUE(cidr.ok());
  EXPECT_EQ(FormatIpv4Cidr(*cidr), "10.43.0.0/16");
  EXPECT_EQ(cidr->size(), 65536u);
  EXPECT_EQ(NthAddress(*cidr, 10), "10.43.0.10");
  uint32_t inside = 0, outside = 0;
  ASSERT_TRUE(ParseIpv4("10.43.255.255", &inside));
  ASSERT_TRUE(ParseIpv4("10.44.0.0", &outside));
  EXPECT_TRUE(cidr->Contains(inside));
  EXPECT_FALSE(cidr->Contains(outside));
  auto all = ParseIpv4Cidr("0.0.0.0/0");
  ASSERT_TRUE(all.ok());
  EXPECT_TRUE(all->Contains(outside));
}

TEST(Ipv4, RefusesMalformedCidrs) {
  for (const char* bad : {"10.0.0.0", "10.0.0.0/33", "10.0.0.0/-1", "10.0.0/8", "10.0.0.0/x"}) {
    EXPECT_FALSE(ParseIpv4Cidr(bad).ok()) << bad;
  }
}

}  // namespace
}  // namespace skiff::base
