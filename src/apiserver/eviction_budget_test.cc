// ChargeDisruptionBudget on a real ResourceStorage (the API server's StorageFixture: SQLite in a
// temporary directory).
#include "apiserver/eviction_budget.h"

#include "api/resources.h"
#include "apiserver/testing/storage_fixture.h"
#include "base/json.h"
#include "gtest/gtest.h"
#include "http/errors.h"

namespace skiff::apiserver {
namespace {

namespace json = boost::json;

class FixedClock : public base::Clock {
 public:
  absl::Time Now() const override { return absl::FromUnixSeconds(1700000000); }
};

class EvictionBudgetTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto f = testing::StorageFixture::Open(&clock_, {"default"});
    ASSERT_TRUE(f.ok()) << f.status();
    fixture_ = std::move(*f);
    rs_ = fixture_->storage();
  }
  static json::value Parse(const std::string& text) { return *base::ParseJson(text); }

  void CreatePod(const std::string& name, const std::string& app, const std::string& phase, bool ready) {
    const auto& pods = *api::FindResource("", "v1", "pods");
    auto created = rs_->Create(pods, "default",
                               Parse(R"({"metadata":{"name":")" + name + R"(","labels":{"app":")" + app +
                                     R"("}},"spec":{"containers":[{"name":"c","image":"busybox"}]}})"),
                               {});
    ASSERT_TRUE(created.ok()) << created.status();
    WriteOptions status_write;
    status_write.subresource = "status";
    auto updated = rs_->Update(
        pods, "default", name,
        [&](const ObjectPtr& current) -> absl::StatusOr<json::value> {
          json::value obj = current->Parse();
          obj.as_object()["status"] =
              Parse(R"({"phase":")" + phase + R"(","conditions":[{"type":"Ready","status":")" +
                    (ready ? "True" : "False") + R"("}]})");
          return obj;
        },
        status_write, true);
    ASSERT_TRUE(updated.ok()) << updated.status();
  }

  // A budget for app=`app` whose status says `allowed` disruptions, as the PDB controller would.
  void CreateBudget(const std::string& name, const std::string& app, int allowed, int healthy, int desired,
                    bool observed = true) {
    const auto& pdbs = *api::FindResource("policy", "v1", "poddisruptionbudgets");
    auto created = rs_->Create(
        pdbs, "default",
        Parse(R"({"metadata":{"name":")" + name +
              R"("},"spec":{"minAvailable":1,"selector":{"matchLabels":{"app":")" + app + R"("}}}})"),
        {});
    ASSERT_TRUE(created.ok()) << created.status();
    WriteOptions status_write;
    status_write.subresource = "status";
    auto updated = rs_->Update(
        pdbs, "default", name,
        [&](const ObjectPtr& current) -> absl::StatusOr<json::value> {
          json::value obj = current->Parse();
          json::object status{
              {"disruptionsAllowed", allowed},
              {"currentHealthy", healthy},
              {"desiredHealthy", desired},
              {"expectedPods", 3},
              {"observedGeneration", observed ? base::GetInt(obj, {"metadata", "generation"}) : 0}};
          obj.as_object()["status"] = std::move(status);
          return obj;
        },
        status_write, true);
    ASSERT_TRUE(updated.ok()) << updated.status();
  }

  json::value Budget(const std::string& name) {
    auto got = rs_->Get(*api::FindResource("policy", "v1", "poddisruptionbudgets"), "default", name);
    EXPECT_TRUE(got.ok());
    return got.ok() ? (*got)->Parse() : json::value();
  }

  FixedClock clock_;
  std::unique_ptr<testing::StorageFixture> fixture_;
  ResourceStorage* rs_ = nullptr;
};

TEST_F(EvictionBudgetTest, NoBudgetAllows) {
  CreatePod("p", "web", "Running", true);
  EXPECT_TRUE(ChargeDisruptionBudget(rs_, clock_, "default", "p", false).ok());
}

TEST_F(EvictionBudgetTest, MissingPodIsNotFound) {
  EXPECT_EQ(api::HttpCode(ChargeDisruptionBudget(rs_, clock_, "default", "nope", false)), 404);
}

TEST_F(EvictionBudgetTest, ZeroDisruptionsAllowedIs429) {
  CreatePod("p", "web", "Running", true);
  CreateBudget("web-pdb", "web", 0, 2, 2);
  auto s = ChargeDisruptionBudget(rs_, clock_, "default", "p", false);
  EXPECT_EQ(api::HttpCode(s), 429);
  EXPECT_EQ(s.message(), "Cannot evict pod as it would violate the pod's disruption budget.");
  json::value body = api::StatusObject(s);
  EXPECT_EQ(base::GetString(body, {"reason"}), "TooManyRequests");
  EXPECT_NE(base::ToJson(body).find("The disruption budget web-pdb needs 2 healthy pods and has 2 currently"),
            std::string::npos)
      << base::ToJson(body);
}

TEST_F(EvictionBudgetTest, AllowedEvictionDecrementsAndRecordsPod) {
  CreatePod("p", "web", "Running", true);
  CreateBudget("web-pdb", "web", 1, 3, 2);
  ASSERT_TRUE(ChargeDisruptionBudget(rs_, clock_, "default", "p", false).ok());
  json::value pdb = Budget("web-pdb");
  EXPECT_EQ(base::GetInt(pdb, {"status", "disruptionsAllowed"}), 0);
  EXPECT_EQ(base::GetString(pdb, {"status", "disruptedPods", "p"}), "2023-11-14T22:13:20Z");
  // The second eviction finds the budget used up.
  CreatePod("q", "web", "Running", true);
  EXPECT_EQ(api::HttpCode(ChargeDisruptionBudget(rs_, clock_, "default", "q", false)), 429);
}

TEST_F(EvictionBudgetTest, DryRunChangesNothing) {
  CreatePod("p", "web", "Running", true);
  CreateBudget("web-pdb", "web", 1, 3, 2);
  ASSERT_TRUE(ChargeDisruptionBudget(rs_, clock_, "default", "p", true).ok());
  EXPECT_EQ(base::GetInt(Budget("web-pdb"), {"status", "disruptionsAllowed"}), 1);
}

TEST_F(EvictionBudgetTest, OtherSelectorsAndPendingPodsAreNotChecked) {
  CreatePod("p", "web", "Running", true);
  CreatePod("pending", "db", "Pending", false);
  CreateBudget("db-pdb", "db", 0, 0, 1);
  EXPECT_TRUE(ChargeDisruptionBudget(rs_, clock_, "default", "p", false).ok());
  EXPECT_TRUE(ChargeDisruptionBudget(rs_, clock_, "default", "pending", false).ok());
}

TEST_F(EvictionBudgetTest, UnreadyPodOfHealthyBudgetIsFree) {
  CreatePod("sick", "web", "Running", false);
  CreateBudget("web-pdb", "web", 0, 2, 2);
  EXPECT_TRUE(ChargeDisruptionBudget(rs_, clock_, "default", "sick", false).ok());
  EXPECT_EQ(base::GetInt(Budget("web-pdb"), {"status", "disruptionsAllowed"}), 0);
}

TEST_F(EvictionBudgetTest, StaleBudgetIs429) {
  CreatePod("p", "web", "Running", true);
  CreateBudget("web-pdb", "web", 5, 3, 1, /*observed=*/false);
  auto s = ChargeDisruptionBudget(rs_, clock_, "default", "p", false);
  EXPECT_EQ(api::HttpCode(s), 429);
  EXPECT_NE(base::ToJson(api::StatusObject(s)).find("still being processed"), std::string::npos);
}

TEST_F(EvictionBudgetTest, TwoBudgetsAre500) {
  CreatePod("p", "web", "Running", true);
  CreateBudget("a", "web", 1, 3, 2);
  CreateBudget("b", "web", 1, 3, 2);
  EXPECT_EQ(api::HttpCode(ChargeDisruptionBudget(rs_, clock_, "default", "p", false)), 500);
}

}  // namespace
}  // namespace skiff::apiserver
