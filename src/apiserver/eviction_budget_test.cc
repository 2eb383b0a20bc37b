// ChargeDisruptionBudget on a real ResourceStorage (SQLite store in a temporary directory).
#include "apiserver/eviction_budget.h"

#include <filesystem>

#include "api/resources.h"
#include "api/schema.h"
#include "apiserver/schema_admission.h"
#include "apiserver/selection.h"
#include "base/json.h"
#include "gtest/gtest.h"
#include "http/errors.h"
#include "storage/sqlite/sqlite_store.h"

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
    dir_ = std::filesystem::temp_directory_path() /
           ("skiff-evict-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
    storage::SqliteOptions options;
    options.path = (dir_ / "state.db").string();
    store_ = std::move(*storage::SqliteStore::Open(options));
    WatchCache::Options cache_options;
    cache_options.field_indexer = CatalogueFieldIndexer();
    cache_ = std::make_unique<WatchCache>(store_.get(), cache_options);
    ASSERT_TRUE(cache_->Start().ok());
    admission_ = std::make_unique<SchemaAdmission>(api::BuiltinSchemas());
    rs_ = std::make_unique<ResourceStorage>(store_.get(), cache_.get(), &clock_, admission_.get());
    ASSERT_TRUE(rs_->Create(*api::FindResource("", "v1", "namespaces"), "",
                            Parse(R"({"metadata":{"name":"default"}})"), {})
                    .ok());
  }
  void TearDown() override {
    rs_.reset();
    cache_.reset();
    store_.reset();
    std::filesystem::remove_all(dir_);
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

  std::filesystem::path dir_;
  FixedClock clock_;
  std::unique_ptr<storage::Store> store_;
  std::unique_ptr<WatchCache> cache_;
  std::unique_ptr<SchemaAdmission> admission_;
  std::unique_ptr<ResourceStorage> rs_;
};

TEST_F(EvictionBudgetTest, NoBudgetAllows) {
  CreatePod("p", "web", "Running", true);
  EXPECT_TRUE(ChargeDisruptionBudget(rs_.get(), clock_, "default", "p", false).ok());
}

TEST_F(EvictionBudgetTest, MissingPodIsNotFound) {
  EXPECT_EQ(api::HttpCode(ChargeDisruptionBudget(rs_.get(), clock_, "default", "nope", false)), 404);
}

TEST_F(EvictionBudgetTest, ZeroDisruptionsAllowedIs429) {
  CreatePod("p", "web", "Running", true);
  CreateBudget("web-pdb", "web", 0, 2, 2);
  auto s = ChargeDisruptionBudget(rs_.get(), clock_, "default", "p", false);
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
  ASSERT_TRUE(ChargeDisruptionBudget(rs_.get(), clock_, "default", "p", false).ok());
  json::value pdb = Budget("web-pdb");
  EXPECT_EQ(base::GetInt(pdb, {"status", "disruptionsAllowed"}), 0);
  EXPECT_EQ(base::GetString(pdb, {"status", "disruptedPods", "p"}), "2023-11-14T22:13:20Z");
  // The second eviction finds the budget used up.
  CreatePod("q", "web", "Running", true);
  EXPECT_EQ(api::HttpCode(ChargeDisruptionBudget(rs_.get(), clock_, "default", "q", false)), 429);
}

TEST_F(EvictionBudgetTest, DryRunChangesNothing) {
  CreatePod("p", "web", "Running", true);
  CreateBudget("web-pdb", "web", 1, 3, 2);
  ASSERT_TRUE(ChargeDisruptionBudget(rs_.get(), clock_, "default", "p", true).ok());
  EXPECT_EQ(base::GetInt(Budget("web-pdb"), {"status", "disruptionsAllowed"}), 1);
}

TEST_F(EvictionBudgetTest, OtherSelectorsAndPendingPodsAreNotChecked) {
  CreatePod("p", "web", "Running", true);
  CreatePod("pending", "db", "Pending", false);
  CreateBudget("db-pdb", "db", 0, 0, 1);
  EXPECT_TRUE(ChargeDisruptionBudget(rs_.get(), clock_, "default", "p", false).ok());
  EXPECT_TRUE(ChargeDisruptionBudget(rs_.get(), clock_, "default", "pending", false).ok());
}

TEST_F(EvictionBudgetTest, UnreadyPodOfHealthyBudgetIsFree) {
  CreatePod("sick", "web", "Running", false);
  CreateBudget("web-pdb", "web", 0, 2, 2);
  EXPECT_TRUE(ChargeDisruptionBudget(rs_.get(), clock_, "default", "sick", false).ok());
  EXPECT_EQ(base::GetInt(Budget("web-pdb"), {"status", "disruptionsAllowed"}), 0);
}

TEST_F(EvictionBudgetTest, StaleBudgetIs429) {
  CreatePod("p", "web", "Running", true);
  CreateBudget("web-pdb", "web", 5, 3, 1, /*observed=*/false);
  auto s = ChargeDisruptionBudget(rs_.get(), clock_, "default", "p", false);
  EXPECT_EQ(api::HttpCode(s), 429);
  EXPECT_NE(base::ToJson(api::StatusObject(s)).find("still being processed"), std::string::npos);
}

TEST_F(EvictionBudgetTest, TwoBudgetsAre500) {
  CreatePod("p", "web", "Running", true);
  CreateBudget("a", "web", 1, 3, 2);
  CreateBudget("b", "web", 1, 3, 2);
  EXPECT_EQ(api::HttpCode(ChargeDisruptionBudget(rs_.get(), clock_, "default", "p", false)), 500);
}

}  // namespace
}  // namespace skiff::apiserver
