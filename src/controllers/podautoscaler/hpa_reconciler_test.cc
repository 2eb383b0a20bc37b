// HorizontalReconciler against a real API server's storage (TestApiServer): the scale subresource
// is read as the API server serves it (apiserver::ScaleOf) and written through the in-process
// client; the metrics API's answer is a fixed PodMetricsList, as a metrics server would return it.
#include "controllers/podautoscaler/hpa_reconciler.h"

#include <memory>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "api/errors.h"
#include "apiserver/subresources.h"
#include "base/json.h"
#include "base/testing/fake_clock.h"
#include "boost/json.hpp"
#include "client/testing/test_api_server.h"
#include "gtest/gtest.h"

namespace skiff::controllers::podautoscaler {
namespace {

namespace json = boost::json;

const api::ResourceInfo& Deployments() { return *api::FindResource("apps", "v1", "deployments"); }
const api::ResourceInfo& Hpas() {
  return *api::FindResource("autoscaling", "v2", "horizontalpodautoscalers");
}

struct RecordedEvent {
  std::string type, reason, message;
};

class HorizontalReconcilerTest : public ::testing::Test {
 protected:
  HorizontalReconcilerTest() {
    HorizontalReconciler::Options options;
    options.clock = &clock_;
    options.record_event = [this](const json::value&, const std::string& type, const std::string& reason,
                                  const std::string& message) {
      events_.push_back({type, reason, message});
    };
    reconciler_ = std::make_unique<HorizontalReconciler>(
        server_.client(), &hpas_, &pods_, [this](const std::string& path) { return Get(path); }, options);
  }

  absl::StatusOr<json::value> Get(const std::string& path) {
    const std::string prefix = "/apis/apps/v1/namespaces/default/deployments/";
    if (absl::StartsWith(path, prefix) && absl::EndsWith(path, "/scale")) {
      std::string name = path.substr(prefix.size(), path.size() - prefix.size() - 6);
      auto obj = server_.storage()->Get(Deployments(), "default", name);
      if (!obj.ok()) return obj.status();
      return apiserver::ScaleOf(Deployments(), *obj);
    }
    if (absl::StartsWith(path, "/apis/metrics.k8s.io/v1beta1/namespaces/default/pods?")) {
      if (!metrics_ok_) return api::NotFoundError("metrics.k8s.io", "pods", "");
      json::array items;
      for (const auto& [pod, cpu] : cpu_usage_) {
        items.push_back(json::object{
            {"metadata", json::object{{"name", pod}, {"namespace", "default"}}},
            {"timestamp", base::FormatRfc3339(clock_.Now())},
            {"window", "15s"},
            {"containers",
             json::array{json::object{{"name", "main"},
                                      {"usage", json::object{{"cpu", cpu}, {"memory", "10Mi"}}}}}}});
      }
      return json::object{{"kind", "PodMetricsList"}, {"items", items}};
    }
    if (path == "/apis/custom.metrics.k8s.io/v1beta2/namespaces/default/services/web/requests-per-second") {
      return json::object{
          {"kind", "MetricValueList"},
          {"items", json::array{json::object{
                        {"describedObject", json::object{{"kind", "Service"}, {"name", "web"}, {"apiVersion", "/v1"}}},
                        {"metric", json::object{{"name", "requests-per-second"}}},
                        {"timestamp", base::FormatRfc3339(clock_.Now())},
                        {"value", requests_per_second_}}}}};
    }
    return api::NotFoundError("", "paths", path);
  }

  void CreateDeployment(const std::string& name, int replicas) {
    json::value d = json::parse(R"({"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":""},
      "spec":{"selector":{"matchLabels":{"app":"web"}},"template":{"metadata":{"labels":{"app":"web"}},
      "spec":{"containers":[{"name":"main","image":"busybox"}]}}}})");
    d.at("metadata").as_object()["name"] = name;
    d.at("spec").as_object()["replicas"] = replicas;
    ASSERT_TRUE(server_.client()->Create(Deployments(), "default", d).ok());
  }

  void CreateHpa(const std::string& name, const std::string& target, int min, int max) {
    json::value h = json::parse(R"({"apiVersion":"autoscaling/v2","kind":"HorizontalPodAutoscaler",
      "metadata":{"name":""},"spec":{"scaleTargetRef":{"apiVersion":"apps/v1","kind":"Deployment","name":""},
      "metrics":[{"type":"Resource","resource":{"name":"cpu","target":{"type":"Utilization","averageUtilization":50}}}]}})");
    h.at("metadata").as_object()["name"] = name;
    h.at("spec").at("scaleTargetRef").as_object()["name"] = target;
    h.at("spec").as_object()["minReplicas"] = min;
    h.at("spec").as_object()["maxReplicas"] = max;
    auto created = server_.client()->Create(Hpas(), "default", h);
    ASSERT_TRUE(created.ok()) << created.status();
    hpas_.Set(*created);
  }

  // A Running pod of the Deployment requesting 100m, Ready since long enough for a metric window.
  void AddPod(const std::string& name, const std::string& cpu_usage) {
    std::string started = base::FormatRfc3339(clock_.Now() - absl::Minutes(10));
    json::value pod =
        json::parse(R"({"apiVersion":"v1","kind":"Pod","metadata":{"name":"","namespace":"default",
      "labels":{"app":"web"}},"spec":{"containers":[{"name":"main","resources":{"requests":{"cpu":"100m"}}}]},
      "status":{"phase":"Running","conditions":[{"type":"Ready","status":"True"}]}})");
    pod.at("metadata").as_object()["name"] = name;
    pod.at("status").as_object()["startTime"] = started;
    pod.at("status").at("conditions").at(0).as_object()["lastTransitionTime"] = started;
    pods_.Set(std::make_shared<const json::value>(std::move(pod)));
    cpu_usage_[name] = cpu_usage;
  }

  json::value StoredHpa(const std::string& name) {
    auto h = server_.client()->Get(Hpas(), "default", name);
    EXPECT_TRUE(h.ok());
    return h.ok() ? **h : json::value();
  }
  static const json::value* Condition(const json::value& hpa, const std::string& type) {
    const json::value* conditions = base::FindPath(hpa, {"status", "conditions"});
    if (conditions == nullptr) return nullptr;
    for (const auto& c : conditions->as_array()) {
      if (base::GetString(c, {"type"}) == type) return &c;
    }
    return nullptr;
  }
  bool HasEvent(const std::string& reason, const std::string& text) const {
    for (const auto& e : events_) {
      if (e.reason == reason && absl::StrContains(e.message, text)) return true;
    }
    return false;
  }

  base::testing::FakeClock clock_;
  client::testing::TestApiServer server_;
  MapCache hpas_, pods_;
  std::map<std::string, std::string> cpu_usage_;
  bool metrics_ok_ = true;
  std::string requests_per_second_ = "0";
  std::vector<RecordedEvent> events_;
  std::unique_ptr<HorizontalReconciler> reconciler_;
};

TEST_F(HorizontalReconcilerTest, ScalesUpThroughTheScaleSubresourceAndWritesStatus) {
  CreateDeployment("web", 2);
  AddPod("a", "200m");
  AddPod("b", "200m");
  CreateHpa("web", "web", 1, 10);
  client::ReconcileResult result = reconciler_->Reconcile("default/web");
  ASSERT_TRUE(result.status.ok()) << result.status;
  EXPECT_EQ(result.requeue, absl::Seconds(15));

  // 400% of a 50% target asks for 8; without behavior a step is at most max(2 * 2, 4).
  auto deployment = server_.client()->Get(Deployments(), "default", "web");
  ASSERT_TRUE(deployment.ok());
  EXPECT_EQ(base::FindPath(**deployment, {"spec", "replicas"})->as_int64(), 4);
  json::value hpa = StoredHpa("web");
  EXPECT_EQ(base::FindPath(hpa, {"status", "currentReplicas"})->as_int64(), 2);
  EXPECT_EQ(base::FindPath(hpa, {"status", "desiredReplicas"})->as_int64(), 4);
  EXPECT_NE(base::FindPath(hpa, {"status", "lastScaleTime"}), nullptr);
  const json::value& metric = base::FindPath(hpa, {"status", "currentMetrics"})->as_array().at(0);
  EXPECT_EQ(base::FindPath(metric, {"resource", "current", "averageUtilization"})->as_int64(), 200);
  EXPECT_EQ(base::GetString(metric, {"resource", "current", "averageValue"}), "200m");
  EXPECT_EQ(base::GetString(*Condition(hpa, "AbleToScale"), {"reason"}), "SucceededRescale");
  EXPECT_EQ(base::GetString(*Condition(hpa, "ScalingActive"), {"reason"}), "ValidMetricFound");
  EXPECT_EQ(base::GetString(*Condition(hpa, "ScalingLimited"), {"reason"}), "ScaleUpLimit");
  EXPECT_EQ(base::GetString(*Condition(hpa, "ScalingLimited"), {"status"}), "True");
  EXPECT_TRUE(HasEvent("SuccessfulRescale",
                       "New size: 4; reason: cpu resource utilization (percentage of request) above target"));
}

TEST_F(HorizontalReconcilerTest, AboveMaxReplicasScalesDownWithoutMetrics) {
  CreateDeployment("web", 5);
  metrics_ok_ = false;
  CreateHpa("web", "web", 1, 3);
  ASSERT_TRUE(reconciler_->Reconcile("default/web").status.ok());
  auto deployment = server_.client()->Get(Deployments(), "default", "web");
  EXPECT_EQ(base::FindPath(**deployment, {"spec", "replicas"})->as_int64(), 3);
  EXPECT_TRUE(HasEvent("SuccessfulRescale", "Current number of replicas above Spec.MaxReplicas"));
}

TEST_F(HorizontalReconcilerTest, UnreadableMetricsAndMissingTargets) {
  CreateDeployment("web", 2);
  AddPod("a", "10m");
  metrics_ok_ = false;
  CreateHpa("web", "web", 1, 10);
  ASSERT_TRUE(reconciler_->Reconcile("default/web").status.ok());
  json::value hpa = StoredHpa("web");
  const json::value* active = Condition(hpa, "ScalingActive");
  ASSERT_NE(active, nullptr);
  EXPECT_EQ(base::GetString(*active, {"status"}), "False");
  EXPECT_EQ(base::GetString(*active, {"reason"}), "FailedGetResourceMetric");
  // The unreadable metric keeps its place in currentMetrics without a current value.
  const json::value& metric = base::FindPath(hpa, {"status", "currentMetrics"})->as_array().at(0);
  EXPECT_EQ(base::GetString(metric, {"type"}), "Resource");
  EXPECT_TRUE(base::FindPath(metric, {"resource", "current"})->as_object().empty());
  EXPECT_TRUE(HasEvent("FailedComputeMetricsReplicas", "Deployment/default/web"));
  auto deployment = server_.client()->Get(Deployments(), "default", "web");
  EXPECT_EQ(base::FindPath(**deployment, {"spec", "replicas"})->as_int64(), 2);

  CreateHpa("ghost", "nope", 1, 10);
  ASSERT_TRUE(reconciler_->Reconcile("default/ghost").status.ok());
  json::value ghost = StoredHpa("ghost");
  EXPECT_EQ(base::GetString(*Condition(ghost, "AbleToScale"), {"reason"}), "FailedGetScale");
  EXPECT_EQ(base::GetString(*Condition(ghost, "AbleToScale"), {"status"}), "False");
  EXPECT_TRUE(HasEvent("FailedGetScale", "nope"));

  // A deleted HPA is forgotten without error.
  hpas_.Remove("default/ghost");
  EXPECT_TRUE(reconciler_->Reconcile("default/ghost").status.ok());
}

// HPAScaleToZero: with an Object metric the HPA keeps computing at 0 replicas (no
// ScalingDisabled), scales up from 0 by ceil(value / averageValue) and down to 0 when idle.
TEST_F(HorizontalReconcilerTest, MinReplicasZeroScalesFromAndToZeroOnAnObjectMetric) {
  CreateDeployment("web", 0);
  auto created = server_.client()->Create(Hpas(), "default", json::parse(R"({"apiVersion":"autoscaling/v2",
      "kind":"HorizontalPodAutoscaler","metadata":{"name":"web"},"spec":{
      "scaleTargetRef":{"apiVersion":"apps/v1","kind":"Deployment","name":"web"},"minReplicas":0,"maxReplicas":5,
      "metrics":[{"type":"Object","object":{"metric":{"name":"requests-per-second"},
        "describedObject":{"apiVersion":"v1","kind":"Service","name":"web"},
        "target":{"type":"AverageValue","averageValue":"1"}}}],
      "behavior":{"scaleDown":{"stabilizationWindowSeconds":0}}}})"));
  ASSERT_TRUE(created.ok()) << created.status();
  hpas_.Set(*created);
  auto replicas = [&] {
    auto d = server_.client()->Get(Deployments(), "default", "web");
    return d.ok() ? base::GetInt(**d, {"spec", "replicas"}, -1) : -1;
  };
  auto next_sync = [&] {  // what the informer would deliver: the HPA with its written status
    auto stored = server_.client()->Get(Hpas(), "default", "web");
    ASSERT_TRUE(stored.ok());
    hpas_.Set(*stored);
    clock_.Advance(absl::Seconds(15));
  };
  // Idle at zero: stays there, and scaling stays active.
  ASSERT_TRUE(reconciler_->Reconcile("default/web").status.ok());
  EXPECT_EQ(replicas(), 0);
  EXPECT_EQ(base::GetString(*Condition(StoredHpa("web"), "ScalingActive"), {"reason"}), "ValidMetricFound");
  // Demand at zero: ceil(0.5 / 1) = 1.
  requests_per_second_ = "500m";
  next_sync();
  ASSERT_TRUE(reconciler_->Reconcile("default/web").status.ok());
  EXPECT_EQ(replicas(), 1);
  EXPECT_TRUE(HasEvent("SuccessfulRescale", "New size: 1; reason: Service metric requests-per-second above target"));
  // Idle again: back to zero after the (zero) stabilization window.
  requests_per_second_ = "0";
  next_sync();
  ASSERT_TRUE(reconciler_->Reconcile("default/web").status.ok());
  EXPECT_EQ(replicas(), 0);
  EXPECT_TRUE(HasEvent("SuccessfulRescale", "New size: 0; reason: All metrics below target"));
}

}  // namespace
}  // namespace skiff::controllers::podautoscaler
