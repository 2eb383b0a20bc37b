#include "controllers/nodelifecycle/cidr_allocator.h"

#include <chrono>
#include <set>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"

namespace skiff::controllers {
namespace {

TEST(CidrTest, ParsesAndFormatsBothFamilies) {
  auto v4 = ParseCidr("10.42.7.9/16");
  ASSERT_TRUE(v4.ok());
  EXPECT_EQ(v4->bits, 32);
  EXPECT_EQ(v4->length, 16);
  EXPECT_EQ(FormatCidr(*v4), "10.42.7.9/16");
  auto v6 = ParseCidr("fd00:42::1/48");
  ASSERT_TRUE(v6.ok());
  EXPECT_EQ(v6->bits, 128);
  EXPECT_EQ(FormatCidr(*v6), "fd00:42::1/48");
  for (const char* bad : {"10.42.0.0", "10.42.0.0/33", "10.42.0.0/", "10.42.0.0/+8", "10.42.300.0/16",
                          "10.42.0/16", "fd00::/129", "nonsense/8", ""}) {
    EXPECT_FALSE(ParseCidr(bad).ok()) << bad;
  }
}

TEST(CidrAllocatorTest, HandsOutSubnetsInOrderAndKeepsThemPerNode) {
  auto a = CidrAllocator::Create("10.42.0.0/16", 24);
  ASSERT_TRUE(a.ok());
  EXPECT_EQ(a->Capacity(), 256u);
  EXPECT_EQ(*a->Allocate("n1"), "10.42.0.0/24");
  EXPECT_EQ(*a->Allocate("n2"), "10.42.1.0/24");
  EXPECT_EQ(*a->Allocate("n1"), "10.42.0.0/24");
  EXPECT_EQ(a->Free(), 254u);
}

TEST(CidrAllocatorTest, SkipsOccupiedSubnetsAndReusesReleasedOnes) {
  auto a = CidrAllocator::Create("10.42.0.0/16", 24);
  a->Occupy("old", "10.42.0.0/24");
  a->Occupy("stranger", "192.168.0.0/24");  // not ours: ignored
  a->Occupy("odd", "10.42.7.0/25");         // wrong size: ignored
  a->Occupy("v6", "fd00::/24");             // wrong family: ignored
  EXPECT_EQ(a->Free(), 255u);
  EXPECT_EQ(*a->Allocate("n1"), "10.42.1.0/24");
  a->Release("old");
  // The allocator keeps moving forward before reusing.
  EXPECT_EQ(*a->Allocate("n2"), "10.42.2.0/24");
}

TEST(CidrAllocatorTest, ExhaustionIsResourceExhaustedAndReleaseRefills) {
  auto a = CidrAllocator::Create("10.0.0.0/30", 31);
  ASSERT_TRUE(a.ok());
  EXPECT_EQ(*a->Allocate("a"), "10.0.0.0/31");
  EXPECT_EQ(*a->Allocate("b"), "10.0.0.2/31");
  auto full = a->Allocate("c");
  EXPECT_TRUE(absl::IsResourceExhausted(full.status()));
  EXPECT_NE(full.status().message().find("10.0.0.0/30"), std::string::npos) << full.status();
  a->Release("a");
  EXPECT_EQ(*a->Allocate("c"), "10.0.0.0/31");
}

TEST(CidrAllocatorTest, LargeClustersAndHostBitsInClusterCidr) {
  auto a = CidrAllocator::Create("10.1.2.3/8", 24);
  ASSERT_TRUE(a.ok());
  EXPECT_EQ(a->Capacity(), 65536u);
  EXPECT_EQ(*a->Allocate("n"), "10.0.0.0/24");
  a->Occupy("m", "10.255.255.0/24");
  EXPECT_EQ(*a->Allocate("m"), "10.255.255.0/24");
  auto small = CidrAllocator::Create("10.42.0.0/16", 28);
  ASSERT_TRUE(small.ok());
  EXPECT_EQ(small->Capacity(), 4096u);
  EXPECT_EQ(*small->Allocate("a"), "10.42.0.0/28");
  EXPECT_EQ(*small->Allocate("b"), "10.42.0.16/28");
}

TEST(CidrAllocatorTest, RejectsBadConfigurationWithReasons) {
  EXPECT_FALSE(CidrAllocator::Create("10.42.0.0", 24).ok());
  EXPECT_FALSE(CidrAllocator::Create("10.42.300.0/16", 24).ok());
  auto shorter = CidrAllocator::Validate("10.42.0.0/16", 8);
  EXPECT_TRUE(absl::IsInvalidArgument(shorter));
  EXPECT_NE(shorter.message().find("must be greater than"), std::string::npos) << shorter;
  EXPECT_FALSE(CidrAllocator::Validate("10.42.0.0/16", 16).ok());  // equal is not greater
  EXPECT_FALSE(CidrAllocator::Validate("10.42.0.0/16", 33).ok());
  auto huge = CidrAllocator::Validate("10.0.0.0/8", 28);  // 2^20 subnets
  EXPECT_NE(huge.message().find("at most 2^16"), std::string::npos) << huge;
  EXPECT_FALSE(CidrAllocator::Validate("fd00::/8", 64).ok());
  EXPECT_TRUE(CidrAllocator::Validate("10.0.0.0/8", 24).ok());
}

TEST(CidrAllocatorTest, DefaultMaskPerFamilyAndIpv6Subnets) {
  auto v4 = CidrAllocator::Create("10.42.0.0/16", 0);
  ASSERT_TRUE(v4.ok());
  EXPECT_EQ(*v4->Allocate("a"), "10.42.0.0/24");
  auto v6 = CidrAllocator::Create("fd00:42::/56", 0);
  ASSERT_TRUE(v6.ok());
  EXPECT_EQ(v6->Capacity(), 256u);
  EXPECT_EQ(*v6->Allocate("a"), "fd00:42::/64");
  EXPECT_EQ(*v6->Allocate("b"), "fd00:42:0:1::/64");
  v6->Occupy("c", "fd00:42:0:ff::/64");
  EXPECT_EQ(*v6->Allocate("c"), "fd00:42:0:ff::/64");
  EXPECT_EQ(v6->Free(), 253u);
}

TEST(CidrAllocatorTest, SubnetClaimedTwiceStaysTakenUntilBothRelease) {
  auto a = CidrAllocator::Create("10.0.0.0/30", 31);
  a->Occupy("x", "10.0.0.0/31");
  a->Occupy("y", "10.0.0.0/31");
  a->Release("x");
  EXPECT_EQ(*a->Allocate("z"), "10.0.0.2/31");
  EXPECT_TRUE(absl::IsResourceExhausted(a->Allocate("w").status()));
  a->Release("y");
  EXPECT_EQ(*a->Allocate("w"), "10.0.0.0/31");
}

TEST(CidrAllocatorTest, OccupyMovesANodeToItsRecordedSubnet) {
  auto a = CidrAllocator::Create("10.42.0.0/16", 24);
  EXPECT_EQ(*a->Allocate("n"), "10.42.0.0/24");
  a->Occupy("n", "10.42.9.0/24");
  EXPECT_EQ(*a->Allocate("n"), "10.42.9.0/24");
  EXPECT_EQ(a->Free(), 255u);  // 10.42.0.0/24 was given back
}

// Restart: every subnet but a few is already recorded on nodes; the survivors are found without
// scanning, and the whole 65,536-subnet range is filled, drained and refilled quickly.
TEST(CidrAllocatorTest, FullLargeRangeStaysFastAndExact) {
  auto a = CidrAllocator::Create("10.0.0.0/8", 24);
  ASSERT_TRUE(a.ok());
  const size_t n = a->Capacity();
  auto start = std::chrono::steady_clock::now();
  for (size_t i = 0; i < n; ++i) {
    if (i == 70 || i == 40000 || i == n - 1) continue;
    a->Occupy(absl::StrCat("old-", i), absl::StrCat("10.", i >> 8, ".", i & 255, ".0/24"));
  }
  EXPECT_EQ(a->Free(), 3u);
  std::set<std::string> got;
  for (int i = 0; i < 3; ++i) got.insert(*a->Allocate(absl::StrCat("new-", i)));
  EXPECT_EQ(got, (std::set<std::string>{"10.0.70.0/24", "10.156.64.0/24", "10.255.255.0/24"}));
  for (int i = 0; i < 1000; ++i) {
    EXPECT_TRUE(absl::IsResourceExhausted(a->Allocate(absl::StrCat("more-", i)).status()));
  }
  // Drain every other subnet and refill: each freed one is handed out exactly once.
  for (size_t i = 0; i < n; i += 2) a->Release(absl::StrCat("old-", i));
  std::set<std::string> refill;
  for (size_t i = 0; i < n / 2 - 2; ++i) {  // old-70 and old-40000 never existed
    auto cidr = a->Allocate(absl::StrCat("re-", i));
    ASSERT_TRUE(cidr.ok()) << i;
    EXPECT_TRUE(refill.insert(*cidr).second) << *cidr;
  }
  EXPECT_EQ(a->Free(), 0u);
  auto elapsed = std::chrono::steady_clock::now() - start;
  EXPECT_LT(elapsed, std::chrono::seconds(5));  // generous: Debug build on a shared machine
}

}  // namespace
}  // namespace skiff::controllers
