#include "controllers/apiserverendpoints/endpoint_reconciler.h"

#include <string>
#include <vector>

#include "base/json.h"
#include "base/testing/fake_clock.h"
#include "boost/json.hpp"
#include "client/testing/fake_client.h"
#include "gtest/gtest.h"

namespace skiff::controllers::apiserverendpoints {
namespace {

namespace json = boost::json;

class EndpointReconcilerTest : public ::testing::Test {
 protected:
  std::unique_ptr<EndpointReconciler> Server(const std::string& ip, int port) {
    return std::make_unique<EndpointReconciler>(
        &fake_,
        EndpointReconcilerOptions{.address = ip, .port = port, .host_name = "host", .clock = &clock_});
  }
  // "ip:port ip:port" from the Endpoints' subsets.
  std::string EndpointsText() {
    client::Object ep = fake_.Peek(endpoints_, "default", "kubernetes");
    if (!ep) return "<none>";
    std::string out;
    for (const auto& subset : ep->at("subsets").as_array()) {
      int64_t port = base::GetInt(subset.at("ports").as_array()[0], {"port"});
      for (const auto& address : subset.at("addresses").as_array()) {
        out += (out.empty() ? "" : " ") + base::GetString(address, {"ip"}) + ":" + std::to_string(port);
      }
    }
    return out;
  }
  // "name=ip,ip/port" per slice of the kubernetes Service.
  std::string SlicesText() {
    std::string out;
    for (const auto& slice : fake_.Objects(slices_, "default")) {
      out += (out.empty() ? "" : " ") + base::GetString(*slice, {"metadata", "name"}) + "=";
      std::string ips;
      for (const auto& e : slice->at("endpoints").as_array()) {
        ips += (ips.empty() ? "" : ",") + std::string(e.at("addresses").as_array()[0].as_string());
      }
      out += ips + "/" + std::to_string(base::GetInt(slice->at("ports").as_array()[0], {"port"}));
    }
    return out;
  }

  base::testing::FakeClock clock_;
  client::testing::FakeClient fake_{&clock_};
  const api::ResourceInfo& endpoints_ = client::Resource("", "v1", "endpoints");
  const api::ResourceInfo& slices_ = client::Resource("discovery.k8s.io", "v1", "endpointslices");
  const api::ResourceInfo& leases_ = client::Resource("coordination.k8s.io", "v1", "leases");
};

TEST_F(EndpointReconcilerTest, AServerAnnouncesItselfInALeaseAndTheEndpoints) {
  auto a = Server("10.0.0.1", 6443);
  ASSERT_TRUE(a->ReconcileOnce().ok());
  client::Object lease = fake_.Peek(leases_, "kube-system", "apiserver-10-0-0-1-6443");
  ASSERT_TRUE(lease);
  EXPECT_EQ(base::GetString(*lease, {"metadata", "labels", "apiserver.kubernetes.io/identity"}),
            "kube-apiserver");
  EXPECT_EQ(base::GetString(*lease, {"spec", "holderIdentity"}), "apiserver-10-0-0-1-6443");
  EXPECT_EQ(base::GetInt(*lease, {"spec", "leaseDurationSeconds"}), 6);
  EXPECT_EQ(EndpointsText(), "10.0.0.1:6443");
  EXPECT_EQ(SlicesText(), "kubernetes=10.0.0.1/6443");
  // Nothing changed: the next round renews the lease and writes nothing else.
  fake_.TakeCalls();
  clock_.Advance(absl::Seconds(2));
  ASSERT_TRUE(a->ReconcileOnce().ok());
  std::vector<std::string> calls = fake_.TakeCalls();
  ASSERT_EQ(calls.size(), 1u);
  EXPECT_NE(calls[0].find("leases"), std::string::npos) << calls[0];
}

TEST_F(EndpointReconcilerTest, EveryLiveServerIsListedAndOneThatStopsRenewingDropsOut) {
  auto a = Server("10.0.0.1", 6443), b = Server("10.0.0.2", 6443), c = Server("10.0.0.3", 6443);
  for (auto* s : {a.get(), b.get(), c.get()}) ASSERT_TRUE(s->ReconcileOnce().ok());
  ASSERT_TRUE(a->ReconcileOnce().ok());
  EXPECT_EQ(EndpointsText(), "10.0.0.1:6443 10.0.0.2:6443 10.0.0.3:6443");
  EXPECT_EQ(SlicesText(), "kubernetes=10.0.0.1,10.0.0.2,10.0.0.3/6443");
  // c is killed: a and b keep renewing; once c's lease has not changed for its duration (6 s) on
  // each server's own clock, it is gone. b first saw c's lease one round after a did, so b drops it
  // one round later (until then the two write different lists, each its own view).
  for (int i = 0; i < 4; ++i) {
    clock_.Advance(absl::Seconds(2));
    ASSERT_TRUE(a->ReconcileOnce().ok());
    ASSERT_TRUE(b->ReconcileOnce().ok());
  }
  EXPECT_EQ(EndpointsText(), "10.0.0.1:6443 10.0.0.2:6443");
  EXPECT_EQ(SlicesText(), "kubernetes=10.0.0.1,10.0.0.2/6443");
  // It comes back.
  ASSERT_TRUE(c->ReconcileOnce().ok());
  EXPECT_EQ(EndpointsText(), "10.0.0.1:6443 10.0.0.2:6443 10.0.0.3:6443");
}

TEST_F(EndpointReconcilerTest, WithdrawRemovesTheServerAtOnce) {
  auto a = Server("10.0.0.1", 6443), b = Server("10.0.0.2", 6443);
  ASSERT_TRUE(a->ReconcileOnce().ok());
  ASSERT_TRUE(b->ReconcileOnce().ok());
  ASSERT_TRUE(b->Withdraw().ok());
  EXPECT_FALSE(fake_.Peek(leases_, "kube-system", "apiserver-10-0-0-2-6443"));
  EXPECT_EQ(EndpointsText(), "10.0.0.1:6443");
  ASSERT_TRUE(a->Withdraw().ok());
  EXPECT_EQ(EndpointsText(), "");
  EXPECT_EQ(SlicesText(), "kubernetes=/6443");  // kept, with no endpoints
}

TEST_F(EndpointReconcilerTest, ServersOnDifferentPortsGetASubsetAndASliceEach) {
  EXPECT_NE(LeaseName("127.0.0.1", 7001), LeaseName("127.0.0.1", 7002));
  auto a = Server("127.0.0.1", 7001), b = Server("127.0.0.1", 7002), c = Server("127.0.0.2", 7002);
  for (auto* s : {a.get(), b.get(), c.get()}) ASSERT_TRUE(s->ReconcileOnce().ok());
  ASSERT_TRUE(a->ReconcileOnce().ok());
  EXPECT_EQ(EndpointsText(), "127.0.0.1:7001 127.0.0.1:7002 127.0.0.2:7002");
  EXPECT_EQ(SlicesText(), "kubernetes=127.0.0.1/7001 kubernetes-7002=127.0.0.1,127.0.0.2/7002");
  ASSERT_TRUE(c->Withdraw().ok());
  ASSERT_TRUE(b->Withdraw().ok());
  EXPECT_EQ(EndpointsText(), "127.0.0.1:7001");
  EXPECT_EQ(SlicesText(), "kubernetes=127.0.0.1/7001");
}

TEST_F(EndpointReconcilerTest, LongDeadLeasesAreDeletedAndLeasesWithoutAddressIgnored) {
  ASSERT_TRUE(fake_
                  .Create(leases_, "kube-system", *base::ParseJson(R"({"metadata":{"name":"kube-apiserver-x",
      "labels":{"apiserver.kubernetes.io/identity":"kube-apiserver"}},"spec":{"leaseDurationSeconds":3600}})"))
                  .ok());
  auto a = Server("10.0.0.1", 6443), b = Server("10.0.0.2", 6443);
  ASSERT_TRUE(b->ReconcileOnce().ok());
  ASSERT_TRUE(a->ReconcileOnce().ok());
  EXPECT_EQ(EndpointsText(), "10.0.0.1:6443 10.0.0.2:6443");
  for (int i = 0; i < 31; ++i) {  // b silent for 62 s > 10 lease durations
    clock_.Advance(absl::Seconds(2));
    ASSERT_TRUE(a->ReconcileOnce().ok());
  }
  EXPECT_FALSE(fake_.Peek(leases_, "kube-system", "apiserver-10-0-0-2-6443"));
  EXPECT_TRUE(fake_.Peek(leases_, "kube-system", "kube-apiserver-x"));
  EXPECT_EQ(EndpointsText(), "10.0.0.1:6443");
}

TEST_F(EndpointReconcilerTest, ASoleServerDropsEarlierRunsAtOnceAndRenewsRarely) {
  ASSERT_TRUE(fake_
                  .Create(leases_, "kube-system", *base::ParseJson(R"({"metadata":{"name":"kube-apiserver-x",
      "labels":{"apiserver.kubernetes.io/identity":"kube-apiserver"}},"spec":{"leaseDurationSeconds":3600}})"))
                  .ok());
  auto earlier = Server("127.0.0.1", 7000);  // this server before a kill -9, on another port
  ASSERT_TRUE(earlier->ReconcileOnce().ok());
  EndpointReconciler sole(&fake_, {.address = "127.0.0.1",
                                   .port = 7001,
                                   .host_name = "host",
                                   .lease_duration = absl::Minutes(15),
                                   .sole_server = true,
                                   .sole_renew_period = absl::Minutes(5),
                                   .clock = &clock_});
  ASSERT_TRUE(sole.ReconcileOnce().ok());
  EXPECT_FALSE(fake_.Peek(leases_, "kube-system", "apiserver-127-0-0-1-7000"));
  EXPECT_TRUE(fake_.Peek(leases_, "kube-system", "kube-apiserver-x"));  // not a skiff server's
  EXPECT_EQ(EndpointsText(), "127.0.0.1:7001");
  auto version = [&] {
    return base::GetString(*fake_.Peek(leases_, "kube-system", "apiserver-127-0-0-1-7001"),
                           {"metadata", "resourceVersion"});
  };
  std::string first = version();
  for (int i = 0; i < 29; ++i) {  // 290 s of rounds every 10 s: no lease write
    clock_.Advance(absl::Seconds(10));
    ASSERT_TRUE(sole.ReconcileOnce().ok());
  }
  EXPECT_EQ(version(), first);
  clock_.Advance(absl::Seconds(10));  // 300 s: renewed
  ASSERT_TRUE(sole.ReconcileOnce().ok());
  EXPECT_NE(version(), first);
}

}  // namespace
}  // namespace skiff::controllers::apiserverendpoints
