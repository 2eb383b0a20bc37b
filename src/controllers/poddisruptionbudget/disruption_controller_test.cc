#include "controllers/poddisruptionbudget/disruption_controller.h"

#include "base/json.h"
#include "base/testing/wait_for.h"
#include "controllers/testing/controller_test.h"
#include "gtest/gtest.h"

namespace skiff::controllers {
namespace {

namespace json = boost::json;
using base::testing::WaitFor;

class DisruptionControllerTest : public testing::ControllerTest<DisruptionController> {
 protected:
  void StartController(absl::Duration disrupted_timeout = absl::Minutes(2)) {
    DisruptionController::Options options;
    options.disrupted_pod_timeout = disrupted_timeout;
    ControllerTest::StartController(options);
  }

  // A ReplicaSet `rs` (optionally owned by Deployment `deploy`) with `replicas`.
  std::string CreateReplicaSet(const std::string& name, int replicas, const std::string& deploy = "",
                               int deploy_replicas = 0) {
    json::object meta{{"name", name}};
    if (!deploy.empty()) {
      auto d = fake_.Create(client::Resource("apps", "v1", "deployments"), "default",
                            json::object{{"metadata", json::object{{"name", deploy}}},
                                         {"spec", json::object{{"replicas", deploy_replicas}}}});
      meta["ownerReferences"] = json::array{json::object{{"apiVersion", "apps/v1"},
                                                         {"kind", "Deployment"},
                                                         {"name", deploy},
                                                         {"uid", base::GetString(**d, {"metadata", "uid"})},
                                                         {"controller", true}}};
    }
    auto rs = fake_.Create(
        client::Resource("apps", "v1", "replicasets"), "default",
        json::object{{"metadata", std::move(meta)}, {"spec", json::object{{"replicas", replicas}}}});
    return base::GetString(**rs, {"metadata", "uid"});
  }

  void CreatePod(const std::string& name, bool ready, const std::string& rs = "",
                 const std::string& rs_uid = "") {
    json::object meta{{"name", name}, {"labels", json::object{{"app", "web"}}}};
    if (!rs.empty()) {
      meta["ownerReferences"] = json::array{json::object{{"apiVersion", "apps/v1"},
                                                         {"kind", "ReplicaSet"},
                                                         {"name", rs},
                                                         {"uid", rs_uid},
                                                         {"controller", true}}};
    }
    json::value pod = json::object{
        {"metadata", std::move(meta)},
        {"status",
         json::object{{"phase", "Running"},
                      {"conditions",
                       json::array{json::object{{"type", "Ready"}, {"status", ready ? "True" : "False"}}}}}}};
    ASSERT_TRUE(fake_.Create(pods_, "default", std::move(pod)).ok());
  }

  // A budget at generation 3 (seeded as stored: a create would start at 1), so observedGeneration
  // cannot match by accident.
  void CreateBudget(const std::string& spec_fields) {
    auto pdb = base::ParseJson(R"({"metadata":{"name":"web-pdb","namespace":"default","generation":3},
        "spec":{)" + spec_fields +
                               R"(,"selector":{"matchLabels":{"app":"web"}}}})");
    ASSERT_TRUE(pdb.ok());
    fake_.Put(pdb_, std::move(*pdb));
  }

  json::value Status() {
    auto obj = fake_.Peek(pdb_, "default", "web-pdb");
    const json::value* s = obj ? base::FindPath(*obj, {"status"}) : nullptr;
    return s ? *s : json::value();
  }
  // Waits until every status field named equals its value (informers fill in any order, so
  // intermediate statuses are possible).
  bool StatusIs(std::vector<std::pair<const char*, int64_t>> want) {
    return WaitFor([&] {
      json::value s = Status();
      for (const auto& [field, value] : want) {
        if (base::FindPath(s, {field}) == nullptr || base::GetInt(s, {field}) != value) return false;
      }
      return true;
    });
  }
  bool StatusIs(const char* field, int64_t want) { return StatusIs({{field, want}}); }

  const api::ResourceInfo& pods_ = client::Resource("", "v1", "pods");
  const api::ResourceInfo& pdb_ = client::Resource("policy", "v1", "poddisruptionbudgets");
};

TEST_F(DisruptionControllerTest, MinAvailableNumberCountsPods) {
  CreatePod("a", true);
  CreatePod("b", true);
  CreatePod("c", false);
  CreateBudget(R"("minAvailable":1)");
  StartController();
  ASSERT_TRUE(StatusIs(
      {{"disruptionsAllowed", 1}, {"currentHealthy", 2}, {"desiredHealthy", 1}, {"expectedPods", 3}}));
  json::value s = Status();
  EXPECT_EQ(base::GetInt(s, {"observedGeneration"}), 3);
  const auto& condition = base::FindPath(s, {"conditions"})->as_array()[0];
  EXPECT_EQ(base::GetString(condition, {"type"}), "DisruptionAllowed");
  EXPECT_EQ(base::GetString(condition, {"status"}), "True");
  EXPECT_EQ(base::GetString(condition, {"reason"}), "SufficientPods");
}

TEST_F(DisruptionControllerTest, FollowsPodReadinessAndDeletion) {
  CreatePod("a", true);
  CreatePod("b", true);
  CreateBudget(R"("minAvailable":2)");
  StartController();
  ASSERT_TRUE(StatusIs({{"currentHealthy", 2}, {"disruptionsAllowed", 0}}));
  json::value status = Status();
  EXPECT_EQ(base::GetString(base::FindPath(status, {"conditions"})->as_array()[0], {"reason"}),
            "InsufficientPods");
  CreatePod("c", true);
  ASSERT_TRUE(StatusIs("disruptionsAllowed", 1));
  ASSERT_TRUE(fake_.Delete(pods_, "default", "a").ok());
  EXPECT_TRUE(StatusIs({{"disruptionsAllowed", 0}, {"expectedPods", 2}}));
}

TEST_F(DisruptionControllerTest, MaxUnavailableUsesDeploymentScale) {
  std::string uid = CreateReplicaSet("web-1", 3, "web", 4);
  CreatePod("a", true, "web-1", uid);
  CreatePod("b", true, "web-1", uid);
  CreatePod("c", true, "web-1", uid);
  CreateBudget(R"("maxUnavailable":"25%")");
  StartController();
  // expected 4 (the Deployment), 25% of 4 rounded up = 1 unavailable: desired 3, healthy 3.
  EXPECT_TRUE(StatusIs(
      {{"expectedPods", 4}, {"desiredHealthy", 3}, {"currentHealthy", 3}, {"disruptionsAllowed", 0}}));
}

TEST_F(DisruptionControllerTest, MinAvailablePercentOfReplicaSetScale) {
  std::string uid = CreateReplicaSet("web-1", 3);
  CreatePod("a", true, "web-1", uid);
  CreatePod("b", true, "web-1", uid);
  CreatePod("c", true, "web-1", uid);
  CreateBudget(R"("minAvailable":"50%")");
  StartController();
  // ceil(50% of 3) = 2
  EXPECT_TRUE(StatusIs({{"desiredHealthy", 2}, {"currentHealthy", 3}, {"disruptionsAllowed", 1}}));
}

TEST_F(DisruptionControllerTest, PodWithoutControllerFailsSafe) {
  CreatePod("a", true);
  CreatePod("b", true);
  CreateBudget(R"("maxUnavailable":1)");
  StartController();
  ASSERT_TRUE(WaitFor([&] {
    json::value status = Status();
    const json::value* c = base::FindPath(status, {"conditions"});
    return c && base::GetString(c->as_array()[0], {"reason"}) == "SyncFailed";
  }));
  EXPECT_EQ(base::GetInt(Status(), {"disruptionsAllowed"}), 0);
}

TEST_F(DisruptionControllerTest, DisruptedPodsDoNotCountUntilTheyExpire) {
  CreatePod("a", true);
  CreatePod("b", true);
  CreatePod("c", true);
  CreateBudget(R"("minAvailable":1)");
  // Eviction times have second precision: the pod stays disrupted for 0.5 to 1.5 s.
  StartController(absl::Milliseconds(1500));
  ASSERT_TRUE(StatusIs({{"disruptionsAllowed", 2}, {"currentHealthy", 3}}));
  // What the eviction subresource records when it lets pod `a` go.
  auto pdb = fake_.Peek(pdb_, "default", "web-pdb");
  json::value copy = *pdb;
  copy.as_object()["status"].as_object()["disruptionsAllowed"] = 1;
  copy.as_object()["status"].as_object()["disruptedPods"] =
      json::object{{"a", base::FormatRfc3339(absl::Now())}};
  ASSERT_TRUE(fake_.Update(pdb_, "default", copy, "status").ok());
  ASSERT_TRUE(StatusIs({{"currentHealthy", 2}, {"disruptionsAllowed", 1}}));
  // Pod `a` never terminated: after the timeout it counts again.
  EXPECT_TRUE(StatusIs("currentHealthy", 3));
  json::value status = Status();
  EXPECT_EQ(base::FindPath(status, {"disruptedPods"}), nullptr);
}

}  // namespace
}  // namespace skiff::controllers
