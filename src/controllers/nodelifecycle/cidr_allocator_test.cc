#include "controllers/nodelifecycle/cidr_allocator.h"

#include "gtest/gtest.h"

namespace skiff::controllers {
namespace {

TEST(CidrAllocatorTest, HandsOutSubnetsInOrderAndKeepsThemPerNode) {
  auto a = CidrAllocator::Create("10.42.0.0/16", 24);
  ASSERT_TRUE(a.ok());
  EXPECT_EQ(a->Capacity(), 256u);
  EXPECT_EQ(*a->Allocate("n1"), "10.42.0.0/24");
  EXPECT_EQ(*a->Allocate("n2"), "10.42.1.0/24");
  EXPECT_EQ(*a->Allocate("n1"), "10.42.0.0/24");
}

TEST(CidrAllocatorTest, SkipsOccupiedSubnetsAndReusesReleasedOnes) {
  auto a = CidrAllocator::Create("10.42.0.0/16", 24);
  a->Occupy("old", "10.42.0.0/24");
  a->Occupy("stranger", "192.168.0.0/24");  // not ours: ignored
  a->Occupy("odd", "10.42.7.0/25");         // wrong size: ignored
  EXPECT_EQ(*a->Allocate("n1"), "10.42.1.0/24");
  a->Release("old");
  // The allocator keeps moving forward before reusing.
  EXPECT_EQ(*a->Allocate("n2"), "10.42.2.0/24");
}

TEST(CidrAllocatorTest, ExhaustionIsResourceExhausted) {
  auto a = CidrAllocator::Create("10.0.0.0/30", 31);
  ASSERT_TRUE(a.ok());
  EXPECT_EQ(*a->Allocate("a"), "10.0.0.0/31");
  EXPECT_EQ(*a->Allocate("b"), "10.0.0.2/31");
  EXPECT_TRUE(absl::IsResourceExhausted(a->Allocate("c").status()));
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
}

TEST(CidrAllocatorTest, RejectsBadConfiguration) {
  EXPECT_FALSE(CidrAllocator::Create("10.42.0.0", 24).ok());
  EXPECT_FALSE(CidrAllocator::Create("fd00::/8", 64).ok());
  EXPECT_FALSE(CidrAllocator::Create("10.42.0.0/16", 8).ok());
  EXPECT_FALSE(CidrAllocator::Create("10.42.300.0/16", 24).ok());
}

}  // namespace
}  // namespace skiff::controllers
