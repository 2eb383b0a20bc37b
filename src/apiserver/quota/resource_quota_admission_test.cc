// The quota and limit-range plug-ins on a real ResourceStorage (the API server's StorageFixture:
// SQLite in a temporary directory, the watch cache, schema admission), fed by QuotaSources as
// `skiff server` registers them.
#include "apiserver/quota/resource_quota_admission.h"

#include <atomic>
#include <thread>
#include <vector>

#include "api/errors.h"
#include "api/resources.h"
#include "apiserver/quota/limit_ranger.h"
#include "apiserver/quota_sources.h"
#include "apiserver/resource_storage.h"
#include "apiserver/testing/storage_fixture.h"
#include "base/json.h"
#include "boost/json.hpp"
#include "gtest/gtest.h"

namespace skiff::apiserver::quota {
namespace {

namespace json = boost::json;

class QuotaAdmissionTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto f = apiserver::testing::StorageFixture::Open(&base::RealClock(), {"ns"});
    ASSERT_TRUE(f.ok()) << f.status();
    fixture_ = std::move(*f);
    cache_ = fixture_->cache();
    rs_ = fixture_->storage();
    sources_ = std::make_unique<QuotaSources>(cache_);
    limit_ranger_ = std::make_unique<LimitRanger>(sources_.get());
    quota_ = std::make_unique<ResourceQuotaAdmission>(sources_.get(), &base::RealClock());
    rs_->AddAdmissionPlugin(limit_ranger_.get());
    rs_->AddAdmissionPlugin(quota_.get());
  }
  static const api::ResourceInfo& R(const char* plural) { return *api::FindResource("", "v1", plural); }
  absl::StatusOr<ObjectPtr> Create(const char* plural, const std::string& ns, const std::string& text,
                                   bool dry_run = false) {
    return rs_->Create(R(plural), ns, *base::ParseJson(text), WriteOptions{.dry_run = dry_run});
  }
  static std::string Pod(const std::string& name) {
    return R"({"metadata":{"name":")" + name +
           R"("},"spec":{"containers":[{"name":"c","image":"busybox"}]}})";
  }
  static std::string Message(const absl::Status& s) { return std::string(s.message()); }

  std::unique_ptr<apiserver::testing::StorageFixture> fixture_;
  WatchCache* cache_ = nullptr;
  ResourceStorage* rs_ = nullptr;
  std::unique_ptr<QuotaSources> sources_;
  std::unique_ptr<LimitRanger> limit_ranger_;
  std::unique_ptr<ResourceQuotaAdmission> quota_;
};

TEST_F(QuotaAdmissionTest, RefusesOverBudgetWithKubernetesMessage) {
  ASSERT_TRUE(
      Create("resourcequotas", "ns", R"({"metadata":{"name":"q"},"spec":{"hard":{"pods":"2"}}})").ok());
  ASSERT_TRUE(Create("pods", "ns", Pod("a")).ok());
  ASSERT_TRUE(Create("pods", "ns", Pod("b")).ok());
  auto refused = Create("pods", "ns", Pod("c"));
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(api::HttpCode(refused.status()), 403);
  EXPECT_EQ(Message(refused.status()),
            R"(pods "c" is forbidden: exceeded quota: q, requested: pods=1, used: pods=2, limited: pods=2)");
  EXPECT_EQ(base::GetString(api::StatusObject(refused.status()), {"reason"}), "Forbidden");
  // Other namespaces are not limited by it.
  ASSERT_TRUE(Create("namespaces", "", R"({"metadata":{"name":"other"}})").ok());
  EXPECT_TRUE(Create("pods", "other", Pod("c")).ok());
}

TEST_F(QuotaAdmissionTest, ConcurrentCreatesNeverOverAdmit) {
  ASSERT_TRUE(
      Create("resourcequotas", "ns", R"({"metadata":{"name":"q"},"spec":{"hard":{"pods":"5"}}})").ok());
  std::atomic<int> admitted{0}, refused{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < 40; ++i) {
    threads.emplace_back([&, i] {
      auto made = Create("pods", "ns", Pod("p" + std::to_string(i)));
      (made.ok() ? admitted : refused)++;
      if (!made.ok()) {
        EXPECT_EQ(api::HttpCode(made.status()), 403) << made.status();
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(admitted.load(), 5);
  EXPECT_EQ(refused.load(), 35);
  bool more = false;
  std::string prefix = ResourcePrefix("", "pods");
  EXPECT_EQ(cache_->List(prefix, prefix + "ns/", nullptr, "", 0, &more).objects.size(), 5u);
}

TEST_F(QuotaAdmissionTest, DryRunsAndFailedWritesGiveReservationsBack) {
  ASSERT_TRUE(
      Create("resourcequotas", "ns", R"({"metadata":{"name":"q"},"spec":{"hard":{"pods":"2"}}})").ok());
  for (int i = 0; i < 3; ++i) EXPECT_TRUE(Create("pods", "ns", Pod("dry"), /*dry_run=*/true).ok());
  EXPECT_EQ(quota_->PendingCount("ns"), 0u);
  ASSERT_TRUE(Create("pods", "ns", Pod("a")).ok());
  // Admitted, then refused by storage (the name is taken): the place it held is free again.
  auto taken = Create("pods", "ns", Pod("a"));
  EXPECT_EQ(api::HttpCode(taken.status()), 409);
  EXPECT_TRUE(Create("pods", "ns", Pod("b")).ok());
  EXPECT_FALSE(Create("pods", "ns", Pod("c")).ok());
  // Reservations of stored writes end once the cache shows them (at the next check).
  EXPECT_LE(quota_->PendingCount("ns"), 1u);
}

TEST_F(QuotaAdmissionTest, UpdatesAreChargedTheirIncrease) {
  ASSERT_TRUE(Create("resourcequotas", "ns",
                     R"({"metadata":{"name":"q"},"spec":{"hard":{"services.loadbalancers":"0"}}})")
                  .ok());
  ASSERT_TRUE(Create("services", "ns", R"({"metadata":{"name":"s"},"spec":{"ports":[{"port":80}]}})").ok());
  auto to_lb = rs_->Update(
      R("services"), "ns", "s",
      [](const ObjectPtr& current) -> absl::StatusOr<json::value> {
        json::value obj = current->Parse();
        obj.at("spec").as_object()["type"] = "LoadBalancer";
        return obj;
      },
      WriteOptions{}, true);
  ASSERT_FALSE(to_lb.ok());
  EXPECT_EQ(Message(to_lb.status()),
            R"(services "s" is forbidden: exceeded quota: q, requested: services.loadbalancers=1, )"
            R"(used: services.loadbalancers=0, limited: services.loadbalancers=0)");
}

TEST_F(QuotaAdmissionTest, ComputeQuotaNeedsRequestsAndLimitRangeDefaultsSatisfyIt) {
  ASSERT_TRUE(
      Create("resourcequotas", "ns", R"({"metadata":{"name":"cpu"},"spec":{"hard":{"requests.cpu":"300m"}}})")
          .ok());
  auto bare = Create("pods", "ns", Pod("bare"));
  EXPECT_EQ(Message(bare.status()),
            R"(pods "bare" is forbidden: failed quota: cpu: must specify requests.cpu for: c)");
  // LimitRanger runs first (mutation), so its default request satisfies the quota.
  ASSERT_TRUE(Create("limitranges", "ns", R"({"metadata":{"name":"lr"},"spec":{"limits":[
      {"type":"Container","defaultRequest":{"cpu":"200m"},"max":{"cpu":"1"}}]}})")
                  .ok());
  auto defaulted = Create("pods", "ns", Pod("one"));
  ASSERT_TRUE(defaulted.ok()) << defaulted.status();
  json::value pod = (*defaulted)->Parse();
  EXPECT_EQ(base::ToJson(*base::FindPath(pod.at("spec").at("containers").as_array()[0], {"resources"})),
            R"({"requests":{"cpu":"200m"},"limits":{"cpu":"1"}})");
  auto second = Create("pods", "ns", Pod("two"));
  EXPECT_EQ(Message(second.status()),
            R"(pods "two" is forbidden: exceeded quota: cpu, requested: requests.cpu=200m, )"
            R"(used: requests.cpu=200m, limited: requests.cpu=300m)");
  auto over_max = Create("pods", "ns", R"({"metadata":{"name":"big"},"spec":{"containers":[{"name":"c",
      "image":"busybox","resources":{"requests":{"cpu":"50m"},"limits":{"cpu":"2"}}}]}})");
  EXPECT_EQ(Message(over_max.status()),
            R"(pods "big" is forbidden: maximum cpu usage per Container is 1, but limit is 2)");
}

}  // namespace
}  // namespace skiff::apiserver::quota
