#include "agent/node/lease_renewer.h"

#include <mutex>
#include <thread>

#include "base/json.h"
#include "base/testing/fake_clock.h"
#include "boost/json.hpp"
#include "client/testing/test_api_server.h"
#include "gtest/gtest.h"

namespace skiff::agent::node {
namespace {

namespace json = boost::json;

using base::testing::FakeClock;

const api::ResourceInfo& Leases() { return client::Resource("coordination.k8s.io", "v1", "leases"); }

class LeaseRenewerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    json::value ns = json::object{{"metadata", json::object{{"name", "kube-node-lease"}}}};
    ASSERT_TRUE(server_.client()->Create(client::Resource("", "v1", "namespaces"), "", ns).ok());
  }
  LeaseRenewer::Options Options() {
    return {.node_name = "node-a",
            .renew_interval = absl::Milliseconds(20),
            .lease_duration_seconds = 40,
            .clock = &clock_};
  }
  client::Object Lease() {
    auto lease = server_.client()->Get(Leases(), "kube-node-lease", "node-a");
    return lease.ok() ? *lease : nullptr;
  }

  FakeClock clock_;
  client::testing::TestApiServer server_;
};

TEST_F(LeaseRenewerTest, CreatesThenRenewsTheLease) {
  LeaseRenewer renewer(server_.client(), Options());
  renewer.SetNodeUid("uid-1");
  ASSERT_TRUE(renewer.RenewOnce().ok());
  client::Object lease = Lease();
  ASSERT_NE(lease, nullptr);
  EXPECT_EQ(base::GetString(*lease, {"spec", "holderIdentity"}), "node-a");
  EXPECT_EQ(base::GetInt(*lease, {"spec", "leaseDurationSeconds"}), 40);
  EXPECT_EQ(base::GetString(*lease, {"spec", "renewTime"}), base::FormatRfc3339Micro(clock_.Now()));
  EXPECT_EQ(base::ToJson(lease->at("metadata").at("ownerReferences")),
            R"([{"apiVersion":"v1","kind":"Node","name":"node-a","uid":"uid-1"}])");

  clock_.Advance(absl::Seconds(10));
  ASSERT_TRUE(renewer.RenewOnce().ok());
  EXPECT_EQ(base::GetString(*Lease(), {"spec", "renewTime"}), base::FormatRfc3339Micro(clock_.Now()));
  EXPECT_EQ(renewer.renewals(), 2);
}

TEST_F(LeaseRenewerTest, AddsTheOwnerOnceTheNodeUidIsKnown) {
  LeaseRenewer renewer(server_.client(), Options());
  ASSERT_TRUE(renewer.RenewOnce().ok());
  EXPECT_EQ(base::FindPath(*Lease(), {"metadata", "ownerReferences"}), nullptr);
  renewer.SetNodeUid("uid-2");
  ASSERT_TRUE(renewer.RenewOnce().ok());
  EXPECT_EQ(base::GetString(Lease()->at("metadata").at("ownerReferences").at(0), {"uid"}), "uid-2");
}

TEST_F(LeaseRenewerTest, RecoversFromDeletionAndConcurrentWrites) {
  LeaseRenewer renewer(server_.client(), Options());
  ASSERT_TRUE(renewer.RenewOnce().ok());
  // Someone else writes the lease: our cached copy is stale -> conflict, then a re-read.
  json::value patch = json::object{{"metadata", json::object{{"labels", json::object{{"x", "y"}}}}}};
  ASSERT_TRUE(
      server_.client()->Patch(Leases(), "kube-node-lease", "node-a", client::PatchType::kMerge, patch).ok());
  clock_.Advance(absl::Seconds(10));
  EXPECT_FALSE(renewer.RenewOnce().ok());
  EXPECT_TRUE(renewer.RenewOnce().ok());
  EXPECT_EQ(base::GetString(*Lease(), {"spec", "renewTime"}), base::FormatRfc3339Micro(clock_.Now()));
  EXPECT_EQ(base::GetString(*Lease(), {"metadata", "labels", "x"}), "y");

  ASSERT_TRUE(server_.client()->Delete(Leases(), "kube-node-lease", "node-a").ok());
  EXPECT_FALSE(renewer.RenewOnce().ok());  // the cached lease is gone
  EXPECT_TRUE(renewer.RenewOnce().ok());   // created again
  EXPECT_NE(Lease(), nullptr);
}

TEST_F(LeaseRenewerTest, LoopRenewsPeriodicallyUntilStopped) {
  LeaseRenewer renewer(server_.client(), Options());
  renewer.Start();
  for (int i = 0; i < 300 && renewer.renewals() < 3; ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  renewer.Stop();
  EXPECT_GE(renewer.renewals(), 3);
  int64_t after = renewer.renewals();
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  EXPECT_EQ(renewer.renewals(), after);
}

}  // namespace
}  // namespace skiff::agent::node
