#include "client/rest/server_balancer.h"

#include <vector>

#include "base/testing/fake_clock.h"
#include "gtest/gtest.h"

namespace skiff::client {
namespace {

using ::std::vector;

TEST(ServerBalancerTest, StartsWithTheFirstServerAndKeepsItWhileItWorks) {
  base::testing::FakeClock clock;
  ServerBalancer balancer(3, absl::Seconds(10), &clock);
  EXPECT_EQ(balancer.Order(), (vector<size_t>{0, 1, 2}));
  balancer.ReportSuccess(0);
  balancer.ReportSuccess(0);
  EXPECT_EQ(balancer.preferred(), 0u);
  EXPECT_EQ(balancer.Order(), (vector<size_t>{0, 1, 2}));
}

TEST(ServerBalancerTest, AFailedServerMovesToTheEndAndTheNextBecomesPreferred) {
  base::testing::FakeClock clock;
  ServerBalancer balancer(3, absl::Seconds(10), &clock);
  balancer.ReportFailure(0);
  EXPECT_EQ(balancer.preferred(), 1u);
  EXPECT_EQ(balancer.Order(), (vector<size_t>{1, 2, 0}));
  balancer.ReportFailure(1);
  EXPECT_EQ(balancer.Order(), (vector<size_t>{2, 0, 1}));
  // Every server failed: all are still tried, the preferred one first.
  balancer.ReportFailure(2);
  EXPECT_EQ(balancer.Order(), (vector<size_t>{0, 1, 2}));
}

TEST(ServerBalancerTest, AFailedServerIsTriedInRotationAgainAfterRetryAfter) {
  base::testing::FakeClock clock;
  ServerBalancer balancer(3, absl::Seconds(10), &clock);
  balancer.ReportFailure(1);  // not preferred: preference stays
  EXPECT_EQ(balancer.preferred(), 0u);
  EXPECT_EQ(balancer.Order(), (vector<size_t>{0, 2, 1}));
  clock.Advance(absl::Seconds(11));
  EXPECT_EQ(balancer.Order(), (vector<size_t>{0, 1, 2}));
}

TEST(ServerBalancerTest, SuccessElsewhereMovesThePreferenceThereAndClearsTheFailure) {
  base::testing::FakeClock clock;
  ServerBalancer balancer(3, absl::Seconds(10), &clock);
  balancer.ReportFailure(0);
  balancer.ReportFailure(1);
  balancer.ReportSuccess(1);  // server 1 came back
  EXPECT_EQ(balancer.preferred(), 1u);
  EXPECT_EQ(balancer.Order(), (vector<size_t>{1, 2, 0}));
}

TEST(ServerBalancerTest, OneServerIsAlwaysTried) {
  ServerBalancer balancer(1);
  balancer.ReportFailure(0);
  EXPECT_EQ(balancer.Order(), (vector<size_t>{0}));
  balancer.ReportFailure(7);  // out of range: ignored
  EXPECT_EQ(balancer.size(), 1u);
}

}  // namespace
}  // namespace skiff::client
