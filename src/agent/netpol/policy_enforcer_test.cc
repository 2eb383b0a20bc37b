// PolicyEnforcer against a real in-process API server, programming nftables in a fresh network
// namespace: the first full sync, incremental syncs on pod and policy changes, pod status churn
// ignored, and the table left in place on Stop.
#include "agent/netpol/policy_enforcer.h"

#include <functional>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "agent/proxy/netns.h"
#include "boost/json/parse.hpp"
#include "client/testing/test_api_server.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace skiff::agent::netpol {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

const api::ResourceInfo& Pods() { return client::Resource("", "v1", "pods"); }
const api::ResourceInfo& Policies() { return client::Resource("networking.k8s.io", "v1", "networkpolicies"); }

class PolicyEnforcerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto ns = proxy::Netns::Create();
    ASSERT_TRUE(ns.ok()) << "network namespaces need root: " << ns.status();
    ns_ = std::move(*ns);
    AddPod("web", "n1", "10.1.0.2", R"({"app":"web"})");
    AddPod("remote", "n2", "10.1.1.2", R"({"app":"web"})");
    EnforcerOptions options;
    options.rules.node_name = "n1";
    enforcer_ = std::make_unique<PolicyEnforcer>(&informers_, options);
    absl::Status started;
    ASSERT_TRUE(ns_->Run([&] { started = enforcer_->Start(); }).ok());
    ASSERT_TRUE(started.ok()) << started;
    ASSERT_TRUE(enforcer_->WaitForFirstSync(absl::Seconds(10)));
    ASSERT_TRUE(ns_->Run([&] { nft_ = std::move(*proxy::Nft::Create()); }).ok());
  }
  void TearDown() override {
    enforcer_.reset();
    informers_.Stop();
  }

  void AddPod(const std::string& name, const std::string& node, const std::string& ip, const char* labels) {
    auto pod = boost::json::parse(absl::StrCat(R"({"metadata":{"name":")", name, R"(","labels":)", labels,
                                               R"(},"spec":{"nodeName":")", node,
                                               R"(","containers":[{"name":"c","image":"busybox"}]}})"));
    ASSERT_TRUE(api_.client()->Create(Pods(), "default", pod).ok());
    SetStatus(name, ip, "Running");
  }
  void SetStatus(const std::string& name, const std::string& ip, const std::string& phase) {
    auto patch = boost::json::parse(absl::StrCat(R"({"status":{"podIP":")", ip, R"(","phase":")", phase, R"("}})"));
    auto patched = api_.client()->Patch(Pods(), "default", name, client::PatchType::kMerge, patch,
                                        {.subresource = "status"});
    ASSERT_TRUE(patched.ok()) << patched.status();
  }
  void Patch(const api::ResourceInfo& r, const std::string& name, const char* patch) {
    auto patched = api_.client()->Patch(r, "default", name, client::PatchType::kMerge, boost::json::parse(patch));
    ASSERT_TRUE(patched.ok()) << patched.status();
  }
  // Waits until the table listing satisfies `want`; returns the last listing.
  std::string WaitForTable(const std::function<bool(const std::string&)>& want) {
    std::string listing;
    for (absl::Time deadline = absl::Now() + absl::Seconds(10); absl::Now() < deadline;
         absl::SleepFor(absl::Milliseconds(20))) {
      auto out = nft_->Run("list table ip skiff-netpol");
      listing = out.ok() ? *out : out.status().ToString();
      if (want(listing)) break;
    }
    return listing;
  }

  client::testing::TestApiServer api_;
  client::SharedInformers informers_{api_.client()};
  std::unique_ptr<proxy::Netns> ns_;
  std::unique_ptr<proxy::Nft> nft_;
  std::unique_ptr<PolicyEnforcer> enforcer_;
};

TEST_F(PolicyEnforcerTest, FollowsPodsAndPoliciesIncrementally) {
  EXPECT_EQ(enforcer_->stats().full_syncs, 1);
  EXPECT_THAT(WaitForTable([](const std::string& t) { return absl::StrContains(t, "ingress-forward"); }),
              Not(HasSubstr("10.1.0.2")));  // no policy: nobody policed

  ASSERT_TRUE(api_.client()
                  ->Create(Policies(), "default", boost::json::parse(R"({"metadata":{"name":"deny"},
                      "spec":{"podSelector":{"matchLabels":{"app":"web"}}}})"))
                  .ok());
  std::string table = WaitForTable([](const std::string& t) { return absl::StrContains(t, "10.1.0.2 : goto"); });
  EXPECT_THAT(table, HasSubstr("chain pol-default/deny-in"));
  EXPECT_THAT(table, Not(HasSubstr("10.1.1.2")));  // another node's pod
  const int64_t partial = enforcer_->stats().partial_syncs;
  const int64_t recomputes = enforcer_->stats().recomputes;
  EXPECT_GE(partial, 1);
  EXPECT_EQ(enforcer_->stats().full_syncs, 1);

  // Churn that changes nothing the rules use is not even recomputed.
  Patch(Pods(), "web", R"({"metadata":{"annotations":{"touched":"yes"}}})");
  SetStatus("web", "10.1.0.2", "Running");
  absl::SleepFor(absl::Milliseconds(300));
  EXPECT_EQ(enforcer_->stats().recomputes, recomputes);
  EXPECT_EQ(enforcer_->stats().partial_syncs, partial);

  // The pod leaves the selection: its map element goes, the policy's chain with it.
  Patch(Pods(), "web", R"({"metadata":{"labels":{"app":"other"}}})");
  table = WaitForTable([](const std::string& t) { return !absl::StrContains(t, "10.1.0.2 : goto"); });
  EXPECT_THAT(table, Not(HasSubstr("10.1.0.2")));
  EXPECT_THAT(table, Not(HasSubstr("pol-default/deny")));
  EXPECT_GT(enforcer_->stats().partial_syncs, partial);
  EXPECT_EQ(enforcer_->stats().failed_syncs, 0);

  // Stop leaves the rules; DeleteNetpolTable removes them.
  Patch(Pods(), "web", R"({"metadata":{"labels":{"app":"web"}}})");
  WaitForTable([](const std::string& t) { return absl::StrContains(t, "10.1.0.2 : goto"); });
  enforcer_->Stop();
  EXPECT_THAT(*nft_->Run("list table ip skiff-netpol"), HasSubstr("10.1.0.2 : goto"));
  absl::Status deleted;
  ASSERT_TRUE(ns_->Run([&] { deleted = DeleteNetpolTable(); }).ok());
  EXPECT_TRUE(deleted.ok()) << deleted;
}

}  // namespace
}  // namespace skiff::agent::netpol
