#include "client/leader_election.h"

#include <atomic>
#include <mutex>

#include "absl/time/clock.h"
#include "base/json.h"
#include "base/testing/fake_clock.h"
#include "base/testing/wait_for.h"
#include "client/testing/test_api_server.h"
#include "gtest/gtest.h"

namespace skiff::client {
namespace {

using base::testing::FakeClock;
using base::testing::WaitFor;

// Candidates "a" and "b" for the same lease, on one API server and a fake clock.
class TwoCandidatesTest : public ::testing::Test {
 protected:
  static LeaderElectionConfig Config(const std::string& identity, FakeClock* clock) {
    LeaderElectionConfig config;
    config.identity = identity;
    config.clock = clock;
    return config;
  }

  testing::TestApiServer server_;
  FakeClock clock_;
  LeaderElector a_{server_.client(), Config("a", &clock_)};
  LeaderElector b_{server_.client(), Config("b", &clock_)};
};

std::string Holder(Client* client) {
  auto lease =
      client->Get(Resource("coordination.k8s.io", "v1", "leases"), "kube-system", "kube-controller-manager");
  return lease.ok() ? base::GetString(**lease, {"spec", "holderIdentity"}) : "<none>";
}

TEST_F(TwoCandidatesTest, CandidateTakesOverOnlyAfterTheLeaseExpires) {
  EXPECT_TRUE(a_.TryAcquireOrRenew());
  EXPECT_EQ(Holder(server_.client()), "a");
  EXPECT_FALSE(b_.TryAcquireOrRenew());
  clock_.Advance(absl::Seconds(10));
  EXPECT_TRUE(a_.TryAcquireOrRenew());  // renewal: b sees a new record and restarts its wait
  clock_.Advance(absl::Seconds(10));
  EXPECT_FALSE(b_.TryAcquireOrRenew());
  clock_.Advance(absl::Seconds(14));
  EXPECT_FALSE(b_.TryAcquireOrRenew());  // 14 s since b saw the renewal: not yet
  clock_.Advance(absl::Seconds(2));
  EXPECT_TRUE(b_.TryAcquireOrRenew());  // a stopped renewing for more than 15 s
  EXPECT_EQ(Holder(server_.client()), "b");
  auto lease = server_.client()->Get(Resource("coordination.k8s.io", "v1", "leases"), "kube-system",
                                     "kube-controller-manager");
  EXPECT_EQ(base::GetInt(**lease, {"spec", "leaseTransitions"}), 1);
  EXPECT_EQ(base::GetInt(**lease, {"spec", "leaseDurationSeconds"}), 15);
  EXPECT_FALSE(a_.TryAcquireOrRenew());  // a sees b's fresh record
}

TEST_F(TwoCandidatesTest, ReleaseLetsASuccessorInAtOnce) {
  ASSERT_TRUE(a_.TryAcquireOrRenew());
  EXPECT_FALSE(b_.TryAcquireOrRenew());
  a_.Release();
  EXPECT_EQ(Holder(server_.client()), "");
  EXPECT_TRUE(b_.TryAcquireOrRenew());
}

TEST(LeaderElectionTest, LoopCallsBackAndHandsOverOnStop) {
  testing::TestApiServer server;
  std::atomic<int> a_started{0}, a_stopped{0}, b_started{0};
  LeaderElectionConfig ca;
  ca.identity = "a";
  ca.lease_duration = absl::Seconds(2);
  ca.renew_deadline = absl::Seconds(1);
  ca.retry_period = absl::Milliseconds(20);
  ca.on_started_leading = [&] { ++a_started; };
  ca.on_stopped_leading = [&] { ++a_stopped; };
  LeaderElectionConfig cb = ca;
  cb.identity = "b";
  cb.on_started_leading = [&] { ++b_started; };
  cb.on_stopped_leading = nullptr;
  LeaderElector a(server.client(), ca);
  LeaderElector b(server.client(), cb);
  a.Start();
  ASSERT_TRUE(WaitFor([&] { return a.IsLeader() && a_started == 1; }));
  b.Start();
  absl::SleepFor(absl::Milliseconds(100));
  EXPECT_FALSE(b.IsLeader());
  a.Stop();
  EXPECT_EQ(a_stopped, 1);
  EXPECT_FALSE(a.IsLeader());
  ASSERT_TRUE(WaitFor([&] { return b.IsLeader() && b_started == 1; }));
  b.Stop();
}

std::string LeaseVersion(Client* client) {
  auto lease =
      client->Get(Resource("coordination.k8s.io", "v1", "leases"), "kube-system", "kube-controller-manager");
  return lease.ok() ? base::GetString(**lease, {"metadata", "resourceVersion"}) : "<none>";
}

TEST_F(TwoCandidatesTest, SoleCandidateTakesTheLeaseOfAnEarlierRunAtOnce) {
  ASSERT_TRUE(a_.TryAcquireOrRenew());  // "a": this server before a kill -9, its lease still fresh
  LeaderElectionConfig config = Config("restarted", &clock_);
  config.sole_candidate = true;
  config.sole_renew_period = absl::Minutes(5);
  LeaderElector restarted(server_.client(), config);
  EXPECT_TRUE(restarted.TryAcquireOrRenew());
  EXPECT_EQ(Holder(server_.client()), "restarted");
  auto lease = server_.client()->Get(Resource("coordination.k8s.io", "v1", "leases"), "kube-system",
                                     "kube-controller-manager");
  EXPECT_EQ(base::GetInt(**lease, {"spec", "leaseDurationSeconds"}), 900);  // 3 x the renew period
}

TEST(LeaderElectionTest, SoleCandidateWritesTheLeaseOnlyEveryRenewPeriod) {
  testing::TestApiServer server;
  LeaderElectionConfig config;
  config.identity = "only";
  config.retry_period = absl::Milliseconds(10);
  config.sole_candidate = true;
  config.sole_renew_period = absl::Seconds(300);
  std::atomic<int> started{0};
  config.on_started_leading = [&] { ++started; };
  LeaderElector elector(server.client(), config);
  elector.Start();
  ASSERT_TRUE(WaitFor([&] { return elector.IsLeader() && started == 1; }));
  std::string version = LeaseVersion(server.client());
  absl::SleepFor(absl::Milliseconds(200));  // 20 retry periods
  EXPECT_EQ(LeaseVersion(server.client()), version);
  EXPECT_TRUE(elector.IsLeader());
  elector.Stop();
  EXPECT_EQ(Holder(server.client()), "");  // released on stop, as in the full protocol
}

TEST(LeaderElectionTest, SoleCandidateRenewsEveryRenewPeriod) {
  testing::TestApiServer server;
  LeaderElectionConfig config;
  config.identity = "only";
  config.retry_period = absl::Seconds(300);
  config.sole_candidate = true;
  config.sole_renew_period = absl::Milliseconds(20);
  LeaderElector elector(server.client(), config);
  elector.Start();
  ASSERT_TRUE(WaitFor([&] { return elector.IsLeader(); }));
  std::string version = LeaseVersion(server.client());
  EXPECT_TRUE(WaitFor([&] { return LeaseVersion(server.client()) != version; }));
  elector.Stop();
}

TEST(LeaderElectionTest, DefaultIdentityIsHostAndUuid) {
  std::string id = DefaultIdentity();
  EXPECT_NE(id.find('_'), std::string::npos);
  EXPECT_NE(DefaultIdentity(), id);
}

}  // namespace
}  // namespace skiff::client
