#include "apiserver/aggregated_discovery.h"

#include <algorithm>

#include "base/json.h"
#include "boost/json.hpp"
#include "gtest/gtest.h"

namespace skiff::apiserver {
namespace {

namespace json = boost::json;

AggregatedGroupVersion Gv(const std::string& group, const std::string& version, int64_t group_priority,
                          int64_t version_priority, const std::string& resources = "") {
  AggregatedGroupVersion gv;
  gv.service.name = version + "." + group;
  gv.service.group = group;
  gv.service.version = version;
  gv.service.local = false;
  gv.service.available = true;
  gv.service.group_priority_minimum = group_priority;
  gv.service.version_priority = version_priority;
  if (!resources.empty()) gv.resources = *base::ParseJson(resources);
  return gv;
}

json::value Parse(const std::string& text) { return *base::ParseJson(text); }

TEST(KubeVersionLessTest, SortsAsKubernetesDoes) {
  std::vector<std::string> versions = {"foo10", "v1alpha1", "v11alpha2", "v2", "foo1",  "v10",
                                       "v1",    "v3beta1",  "v10beta3",  "v12alpha1", "v11beta2"};
  std::sort(versions.begin(), versions.end(), KubeVersionLess);
  EXPECT_EQ(versions, (std::vector<std::string>{"v10", "v2", "v1", "v11beta2", "v10beta3", "v3beta1", "v12alpha1",
                                                "v11alpha2", "v1alpha1", "foo1", "foo10"}));
}

TEST(MergeApiGroupListTest, AppendsGroupsByPriorityWithVersionsByPriority) {
  std::string local = R"({"kind":"APIGroupList","apiVersion":"v1","groups":[{"name":"apps"}]})";
  std::vector<AggregatedGroupVersion> aggregated = {Gv("low.example.com", "v1", 100, 15),
                                                    Gv("high.example.com", "v1beta1", 2000, 9),
                                                    Gv("high.example.com", "v1", 1000, 15),
                                                    Gv("high.example.com", "v2alpha1", 1000, 15)};
  json::value merged = Parse(MergeApiGroupList(local, aggregated));
  const auto& groups = merged.at("groups").as_array();
  ASSERT_EQ(groups.size(), 3u);
  EXPECT_EQ(groups[0].at("name"), "apps");
  EXPECT_EQ(groups[1].at("name"), "high.example.com");  // its highest minimum, 2000, wins
  EXPECT_EQ(groups[2].at("name"), "low.example.com");
  // versionPriority first (15 before 9), then Kubernetes version order (v1 before v2alpha1).
  EXPECT_EQ(groups[1].at("versions"), Parse(R"([{"groupVersion":"high.example.com/v1","version":"v1"},
      {"groupVersion":"high.example.com/v2alpha1","version":"v2alpha1"},
      {"groupVersion":"high.example.com/v1beta1","version":"v1beta1"}])"));
  EXPECT_EQ(groups[1].at("preferredVersion"), Parse(R"({"groupVersion":"high.example.com/v1","version":"v1"})"));
}

TEST(MergeApiGroupListTest, AggregatedGroupReplacesTheBuiltinOfTheSameName) {
  std::string local = R"({"kind":"APIGroupList","groups":[{"name":"metrics.k8s.io"},{"name":"apps"}]})";
  json::value merged = Parse(MergeApiGroupList(local, {Gv("metrics.k8s.io", "v1beta1", 100, 100)}));
  const auto& groups = merged.at("groups").as_array();
  ASSERT_EQ(groups.size(), 2u);
  EXPECT_EQ(groups[0].at("name"), "apps");
  EXPECT_EQ(groups[1].at("name"), "metrics.k8s.io");
  EXPECT_EQ(MergeApiGroupList(local, {}), local);
}

TEST(MergeAggregatedDiscoveryTest, BuildsResourcesFromTheFetchedList) {
  std::string local = R"({"kind":"APIGroupDiscoveryList","items":[{"metadata":{"name":"apps"}}]})";
  auto fetched = Gv("wardle.example.com", "v1alpha1", 1000, 15, R"({"kind":"APIResourceList",
      "groupVersion":"wardle.example.com/v1alpha1","resources":[
        {"name":"flunders","singularName":"flunder","namespaced":true,"kind":"Flunder","verbs":["get","list"],
         "shortNames":["fl"],"categories":["all"]},
        {"name":"flunders/status","singularName":"","namespaced":true,"kind":"Flunder","verbs":["get"]},
        {"name":"fischers","singularName":"fischer","namespaced":false,"kind":"Fischer","verbs":["get"]}]})");
  fetched.stale = true;
  auto never_fetched = Gv("wardle.example.com", "v1beta1", 1000, 20);
  auto other_never_fetched = Gv("empty.example.com", "v1", 1000, 20);
  json::value merged = Parse(MergeAggregatedDiscovery(local, {fetched, never_fetched, other_never_fetched}));
  const auto& items = merged.at("items").as_array();
  ASSERT_EQ(items.size(), 2u);  // a group with nothing fetched is left out
  EXPECT_EQ(items[1], Parse(R"({"metadata":{"name":"wardle.example.com"},"versions":[{"version":"v1alpha1",
      "resources":[
        {"resource":"flunders","responseKind":{"group":"wardle.example.com","version":"v1alpha1","kind":"Flunder"},
         "scope":"Namespaced","singularResource":"flunder","verbs":["get","list"],"shortNames":["fl"],
         "categories":["all"],
         "subresources":[{"subresource":"status","responseKind":{"group":"wardle.example.com",
           "version":"v1alpha1","kind":"Flunder"},"verbs":["get"]}]},
        {"resource":"fischers","responseKind":{"group":"wardle.example.com","version":"v1alpha1","kind":"Fischer"},
         "scope":"Cluster","singularResource":"fischer","verbs":["get"]}],
      "freshness":"Stale"}]})"));
}

TEST(AggregatedApiGroupTest, OnlyForAggregatedGroups) {
  std::vector<AggregatedGroupVersion> aggregated = {Gv("wardle.example.com", "v1alpha1", 1000, 15)};
  auto group = AggregatedApiGroup("wardle.example.com", aggregated);
  ASSERT_TRUE(group);
  EXPECT_EQ(Parse(*group), Parse(R"({"name":"wardle.example.com","versions":[{"groupVersion":
      "wardle.example.com/v1alpha1","version":"v1alpha1"}],"preferredVersion":{"groupVersion":
      "wardle.example.com/v1alpha1","version":"v1alpha1"},"kind":"APIGroup","apiVersion":"v1"})"));
  EXPECT_FALSE(AggregatedApiGroup("apps", aggregated));
}

}  // namespace
}  // namespace skiff::apiserver
