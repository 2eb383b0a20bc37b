#include "api/quota/usage.h"

#include "api/quota/pod_resources.h"
#include "base/json.h"
#include "boost/json.hpp"
#include "gtest/gtest.h"

namespace skiff::api::quota {
namespace {

namespace json = boost::json;

json::value Parse(const char* text) { return *base::ParseJson(text); }
ResourceList List(const char* text) {
  json::value v = Parse(text);
  return FromJson(&v);
}

const Kind kPods{"", "pods"};
const Kind kServices{"", "services"};
const Kind kClaims{"", "persistentvolumeclaims"};
const absl::Time kNow = absl::FromUnixSeconds(1700000000);

TEST(ResourceListTest, PrettyPrintSortsAndCanonicalizes) {
  ResourceList list = List(R"({"requests.cpu":"1000m","pods":2,"memory":"1024Mi"})");
  EXPECT_EQ(PrettyPrint(list), "memory=1Gi,pods=2,requests.cpu=1");
  EXPECT_EQ(PrettyPrint(SubtractNonNegative(list, List(R"({"pods":"5"})"))),
            "memory=1Gi,pods=0,requests.cpu=1");
  EXPECT_EQ(Exceeding(list, List(R"({"pods":"1","requests.cpu":"1"})")), ResourceNames{"pods"});
}

TEST(PodResourcesTest, SumsContainersTakesLargestInitAndAddsSidecarsAndOverhead) {
  json::value pod = Parse(R"({"spec":{
    "containers":[{"name":"a","resources":{"requests":{"cpu":"100m","memory":"64Mi"},"limits":{"cpu":"1"}}},
                  {"name":"b","resources":{"requests":{"cpu":"200m"}}}],
    "initContainers":[{"name":"sidecar","restartPolicy":"Always","resources":{"requests":{"cpu":"50m"}}},
                      {"name":"big","resources":{"requests":{"cpu":"2","memory":"32Mi"},"limits":{"cpu":"3"}}}],
    "overhead":{"cpu":"10m"}}})");
  // cpu: containers 300m + sidecar 50m = 350m < init peak 2 + 50m (sidecar runs beside it); + 10m overhead.
  EXPECT_EQ(PrettyPrint(PodRequests(pod)), "cpu=2060m,memory=64Mi");
  EXPECT_EQ(PrettyPrint(PodRequests(pod, false)), "cpu=2050m,memory=64Mi");
  EXPECT_EQ(PrettyPrint(PodLimits(pod)), "cpu=3010m");
}

TEST(UsageTest, PodChargesComputeUnlessTerminalOrPastGrace) {
  json::value pod = Parse(R"({"metadata":{"name":"p"},"spec":{"containers":[{"name":"a",
    "resources":{"requests":{"cpu":"250m","memory":"1Gi","example.com/gpu":"1","hugepages-2Mi":"4Mi"},
                 "limits":{"cpu":"500m","ephemeral-storage":"1Gi"}}}]}})");
  EXPECT_EQ(
      PrettyPrint(ChargeOf(kPods, pod, kNow).usage),
      "count/pods=1,cpu=250m,hugepages-2Mi=4Mi,limits.cpu=500m,limits.ephemeral-storage=1Gi,memory=1Gi,"
      "pods=1,requests.cpu=250m,requests.example.com/gpu=1,requests.hugepages-2Mi=4Mi,requests.memory=1Gi");
  json::value done = pod;
  done.as_object()["status"] = json::object{{"phase", "Succeeded"}};
  EXPECT_EQ(PrettyPrint(ChargeOf(kPods, done, kNow).usage), "count/pods=1");
  json::value deleting = pod;
  auto& meta = deleting.as_object()["metadata"].as_object();
  meta["deletionTimestamp"] = "2023-11-14T22:13:00Z";  // 20 s before kNow
  meta["deletionGracePeriodSeconds"] = 30;
  EXPECT_EQ(ChargeOf(kPods, deleting, kNow).usage.count("pods"), 1u);  // within the grace period
  meta["deletionGracePeriodSeconds"] = 10;
  EXPECT_EQ(PrettyPrint(ChargeOf(kPods, deleting, kNow).usage), "count/pods=1");
}

TEST(UsageTest, ServicesCountNodePortsAndLoadBalancers) {
  EXPECT_EQ(
      PrettyPrint(
          ChargeOf(kServices, Parse(R"({"spec":{"type":"ClusterIP","ports":[{"port":1}]}})"), kNow).usage),
      "count/services=1,services=1,services.loadbalancers=0,services.nodeports=0");
  EXPECT_EQ(
      PrettyPrint(
          ChargeOf(kServices, Parse(R"({"spec":{"type":"NodePort","ports":[{"port":1},{"port":2}]}})"), kNow)
              .usage),
      "count/services=1,services=1,services.loadbalancers=0,services.nodeports=2");
  EXPECT_EQ(PrettyPrint(ChargeOf(kServices, Parse(R"({"spec":{"type":"LoadBalancer",
              "allocateLoadBalancerNodePorts":false,"ports":[{"port":1,"nodePort":30001},{"port":2}]}})"),
                                 kNow)
                            .usage),
            "count/services=1,services=1,services.loadbalancers=1,services.nodeports=1");
}

TEST(UsageTest, ClaimsChargeStorageByClass) {
  json::value pvc = Parse(R"({"spec":{"storageClassName":"fast","resources":{"requests":{"storage":"2Gi"}}},
                              "status":{"allocatedResources":{"storage":"3Gi"}}})");
  EXPECT_EQ(
      PrettyPrint(ChargeOf(kClaims, pvc, kNow).usage),
      "count/persistentvolumeclaims=1,fast.storageclass.storage.k8s.io/persistentvolumeclaims=1,"
      "fast.storageclass.storage.k8s.io/requests.storage=3Gi,persistentvolumeclaims=1,requests.storage=3Gi");
  EXPECT_TRUE(Tracks(kClaims, "fast.storageclass.storage.k8s.io/requests.storage"));
  EXPECT_FALSE(Tracks(kPods, "requests.storage"));
}

TEST(UsageTest, ObjectCountsOfAnyKind) {
  Kind deployments{"apps", "deployments"};
  EXPECT_EQ(ObjectCountName(deployments), "count/deployments.apps");
  EXPECT_EQ(PrettyPrint(ChargeOf(deployments, Parse("{}"), kNow).usage), "count/deployments.apps=1");
  EXPECT_EQ(PrettyPrint(ChargeOf(Kind{"", "configmaps"}, Parse("{}"), kNow).usage),
            "configmaps=1,count/configmaps=1");
  ResourceList hard = List(R"({"pods":"1","cpu":"1","configmaps":"2","count/deployments.apps":"1"})");
  EXPECT_EQ(TrackedNames(kPods, hard), (ResourceNames{"cpu", "pods"}));
  EXPECT_EQ(TrackedNames(deployments, hard), ResourceNames{"count/deployments.apps"});
  EXPECT_TRUE(TrackedNames(kServices, hard).empty());
}

TEST(UsageTest, ScopesSelectPodsOnly) {
  json::value best_effort = Parse(R"({"spec":{"containers":[{"name":"a"}],"priorityClassName":"high"}})");
  json::value burstable = Parse(R"({"spec":{"activeDeadlineSeconds":10,"containers":[{"name":"a",
                                    "resources":{"requests":{"memory":"1Mi"}}}]}})");
  Charge be = ChargeOf(kPods, best_effort, kNow);
  Charge bu = ChargeOf(kPods, burstable, kNow);
  auto scopes = [](const char* quota) { return QuotaScopes(*base::ParseJson(quota)); };
  auto be_only = scopes(R"({"spec":{"scopes":["BestEffort","NotTerminating"]}})");
  EXPECT_TRUE(MatchesScopes(be_only, be));
  EXPECT_FALSE(MatchesScopes(be_only, bu));
  EXPECT_TRUE(MatchesScopes(scopes(R"({"spec":{"scopes":["Terminating","NotBestEffort"]}})"), bu));
  auto high = scopes(R"({"spec":{"scopeSelector":{"matchExpressions":[
      {"scopeName":"PriorityClass","operator":"In","values":["high","top"]}]}}})");
  EXPECT_TRUE(MatchesScopes(high, be));
  EXPECT_FALSE(MatchesScopes(high, bu));
  auto not_high = scopes(R"({"spec":{"scopeSelector":{"matchExpressions":[
      {"scopeName":"PriorityClass","operator":"NotIn","values":["high"]}]}}})");
  EXPECT_FALSE(MatchesScopes(not_high, be));
  EXPECT_TRUE(MatchesScopes(not_high, bu));  // no class: NotIn holds
  auto none = scopes(R"({"spec":{"scopeSelector":{"matchExpressions":[
      {"scopeName":"PriorityClass","operator":"DoesNotExist"}]}}})");
  EXPECT_TRUE(MatchesScopes(none, bu));
  EXPECT_FALSE(MatchesScopes(none, be));
  // A scoped quota never selects other kinds; an unscoped one selects everything.
  EXPECT_FALSE(MatchesScopes(be_only, ChargeOf(kServices, Parse("{}"), kNow)));
  EXPECT_TRUE(MatchesScopes({}, ChargeOf(kServices, Parse("{}"), kNow)));
}

TEST(UsageTest, PodMissingResourcesNamesResourcesAndContainers) {
  json::value pod = Parse(R"({"spec":{"containers":[
      {"name":"app","resources":{"requests":{"cpu":"1"}}},{"name":"side"}],
      "initContainers":[{"name":"init","resources":{"requests":{"cpu":"1","memory":"1Mi"},"limits":{"cpu":"1"}}}]}})");
  EXPECT_EQ(PodMissingResources({"requests.cpu", "limits.cpu", "pods", "requests.storage"}, pod),
            "must specify limits.cpu for: app,side; requests.cpu for: side");
  EXPECT_EQ(PodMissingResources({"pods", "requests.ephemeral-storage"}, pod), "");
}

}  // namespace
}  // namespace skiff::api::quota
