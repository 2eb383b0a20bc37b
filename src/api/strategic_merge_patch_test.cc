#include "api/strategic_merge_patch.h"

#include <map>
#include <string>

#include "boost/json/parse.hpp"
#include "boost/json/serialize.hpp"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace skiff::api {
namespace {

namespace json = boost::json;
using ::testing::HasSubstr;

json::value J(const char* text) { return json::parse(text); }

// Patch metadata keyed by the dotted field path, like the schemas of Deployment/Pod/Node.
class TestMeta : public PatchMeta {
 public:
  TestMeta() {
    auto merge_by = [](std::string key) {
      FieldPatchInfo info;
      info.merge = true;
      info.merge_key = std::move(key);
      return info;
    };
    for (const char* pod : {"spec", "spec.template.spec"}) {
      std::string p = pod;
      fields_[p + ".containers"] = merge_by("name");
      fields_[p + ".initContainers"] = merge_by("name");
      fields_[p + ".containers.ports"] = merge_by("containerPort");
      fields_[p + ".containers.env"] = merge_by("name");
      fields_[p + ".containers.volumeMounts"] = merge_by("mountPath");
      FieldPatchInfo volumes = merge_by("name");
      volumes.retain_keys = true;
      fields_[p + ".volumes"] = volumes;
    }
    FieldPatchInfo finalizers;
    finalizers.merge = true;
    fields_["metadata.finalizers"] = finalizers;
    fields_["metadata.ownerReferences"] = merge_by("uid");
    fields_["status.conditions"] = merge_by("type");
  }

  FieldPatchInfo Lookup(const std::vector<std::string_view>& path) const override {
    std::string key;
    for (auto e : path) key += (key.empty() ? "" : ".") + std::string(e);
    auto it = fields_.find(key);
    return it == fields_.end() ? FieldPatchInfo{} : it->second;
  }

 private:
  std::map<std::string, FieldPatchInfo> fields_;
};

const TestMeta& Meta() {
  static const TestMeta* meta = new TestMeta();
  return *meta;
}

json::value MustPatch(const json::value& doc, const char* patch) {
  auto result = ApplyStrategicMergePatch(doc, J(patch), Meta());
  EXPECT_TRUE(result.ok()) << result.status();
  return result.ok() ? *result : json::value();
}

std::string ErrorOf(const json::value& doc, const char* patch) {
  auto result = ApplyStrategicMergePatch(doc, J(patch), Meta());
  EXPECT_FALSE(result.ok()) << json::serialize(*result);
  EXPECT_EQ(result.status().code(), absl::StatusCode::kInvalidArgument);
  return std::string(result.status().message());
}

json::value Deployment() {
  return J(R"({"apiVersion":"apps/v1","kind":"Deployment",
    "metadata":{"name":"web","labels":{"app":"web"},"annotations":{"a":"1"}},
    "spec":{"replicas":2,"template":{"metadata":{"labels":{"app":"web"}},
      "spec":{"containers":[{"name":"nginx","image":"nginx:1.27","ports":[{"containerPort":80}]}]}}}})");
}

TEST(StrategicMergePatchTest, CordonAndUncordon) {
  json::value node = J(R"({"metadata":{"name":"node-1"},"spec":{"podCIDR":"10.0.0.0/24"}})");
  json::value cordoned = MustPatch(node, R"({"spec":{"unschedulable":true}})");
  EXPECT_EQ(cordoned,
            J(R"({"metadata":{"name":"node-1"},"spec":{"podCIDR":"10.0.0.0/24","unschedulable":true}})"));
  EXPECT_EQ(MustPatch(cordoned, R"({"spec":{"unschedulable":null}})"), node);
  // Deleting an absent key is fine.
  EXPECT_EQ(MustPatch(node, R"({"spec":{"unschedulable":null}})"), node);
}

TEST(StrategicMergePatchTest, SetImageWithSetElementOrder) {
  json::value got = MustPatch(
      Deployment(),
      R"({"spec":{"template":{"spec":{"$setElementOrder/containers":[{"name":"nginx"}],"containers":[{"image":"nginx:1.50","name":"nginx"}]}}}})");
  json::value want = Deployment();
  want.at("spec").at("template").at("spec").at("containers").at(0).at("image") = "nginx:1.50";
  EXPECT_EQ(got, want);
}

TEST(StrategicMergePatchTest, ClientSideApplyUpdate) {
  json::value got =
      MustPatch(Deployment(),
                R"({"metadata":{"annotations":{"kubectl.kubernetes.io/last-applied-configuration":"{}\n"}},
    "spec":{"replicas":3,"template":{"spec":{"$setElementOrder/containers":[{"name":"nginx"}],
    "containers":[{"image":"nginx:1.28","name":"nginx"}]}}}})");
  EXPECT_EQ(got.at("spec").at("replicas"), J("3"));
  EXPECT_EQ(got.at("metadata").at("annotations"),
            J(R"({"a":"1","kubectl.kubernetes.io/last-applied-configuration":"{}\n"})"));
  EXPECT_EQ(got.at("spec").at("template").at("spec").at("containers"),
            J(R"([{"name":"nginx","image":"nginx:1.28","ports":[{"containerPort":80}]}])"));
}

TEST(StrategicMergePatchTest, RolloutRestartAddsTemplateAnnotation) {
  json::value got = MustPatch(
      Deployment(),
      R"({"spec":{"template":{"metadata":{"annotations":{"kubectl.kubernetes.io/restartedAt":"2026-11-24T18:37:12Z"}}}}})");
  EXPECT_EQ(
      got.at("spec").at("template").at("metadata"),
      J(R"({"labels":{"app":"web"},"annotations":{"kubectl.kubernetes.io/restartedAt":"2026-11-24T18:37:12Z"}})"));
}

TEST(StrategicMergePatchTest, MergeListByKeyUpdatesAndAddsNewElementsFirst) {
  json::value pod = J(R"({"spec":{"containers":[{"name":"a","image":"a:1"},{"name":"b","image":"b:1"}]}})");
  // Kubernetes' order: elements only in the patch lead, the server's keep their relative order.
  EXPECT_EQ(
      MustPatch(pod, R"({"spec":{"containers":[{"name":"c","image":"c:1"},{"name":"b","image":"b:2"}]}})"),
      J(R"({"spec":{"containers":[{"name":"c","image":"c:1"},{"name":"a","image":"a:1"},{"name":"b","image":"b:2"}]}})"));
  EXPECT_EQ(
      MustPatch(pod, R"({"spec":{"containers":[{"name":"a","env":[{"name":"X","value":"1"}]}]}})"),
      J(R"({"spec":{"containers":[{"name":"a","image":"a:1","env":[{"name":"X","value":"1"}]},{"name":"b","image":"b:1"}]}})"));
}

TEST(StrategicMergePatchTest, SetElementOrderReordersAndKeepsServerOnlyElements) {
  json::value pod = J(R"({"spec":{"containers":[{"name":"a"},{"name":"b"},{"name":"x"}]}})");
  EXPECT_EQ(MustPatch(pod, R"({"spec":{"$setElementOrder/containers":[{"name":"b"},{"name":"a"}]}})"),
            J(R"({"spec":{"containers":[{"name":"b"},{"name":"a"},{"name":"x"}]}})"));
  // Server-only "b" stays ahead of "x", which followed it in the live list (normalizeElementOrder).
  EXPECT_EQ(MustPatch(pod, R"({"spec":{"$setElementOrder/containers":[{"name":"x"},{"name":"n"},{"name":"a"}],
                                        "containers":[{"name":"n"}]}})"),
            J(R"({"spec":{"containers":[{"name":"b"},{"name":"x"},{"name":"n"},{"name":"a"}]}})"));
  // Primitive lists are ordered by value.
  json::value meta = J(R"({"metadata":{"finalizers":["a","b"]}})");
  EXPECT_EQ(
      MustPatch(meta, R"({"metadata":{"$setElementOrder/finalizers":["b","c","a"],"finalizers":["c"]}})"),
      J(R"({"metadata":{"finalizers":["b","c","a"]}})"));
}

TEST(StrategicMergePatchTest, SetElementOrderMustAgreeWithThePatchList) {
  json::value pod = J(R"({"spec":{"containers":[{"name":"a"},{"name":"b"}]}})");
  EXPECT_THAT(ErrorOf(pod, R"({"spec":{"$setElementOrder/containers":[{"name":"a"},{"name":"b"}],
                                       "containers":[{"name":"b"},{"name":"a"}]}})"),
              HasSubstr("doesn't match $setElementOrder list"));
  EXPECT_EQ(ErrorOf(pod, R"({"spec":{"$setElementOrder/containers":{"name":"a"}}})"),
            "invalid patch format of setElementOrder list");
  EXPECT_EQ(ErrorOf(pod, R"({"spec":{"$setElementOrder":[]}})"),
            "invalid patch format of setElementOrder list");
  EXPECT_THAT(ErrorOf(pod, R"({"spec":{"$setElementOrder/containers":[{"image":"a"}]}})"),
              HasSubstr("does not contain declared merge key: name"));
}

TEST(StrategicMergePatchTest, SetElementOrderOnAbsentListStripsDirectives) {
  json::value pod = J(R"({"spec":{}})");
  EXPECT_EQ(MustPatch(pod, R"({"spec":{"$setElementOrder/containers":[{"name":"b"},{"name":"a"}],
                                       "containers":[{"name":"b"},{"name":"a"},{"name":"z","$patch":"delete"}]}})"),
            J(R"({"spec":{"containers":[{"name":"b"},{"name":"a"}]}})"));
}

TEST(StrategicMergePatchTest, DeleteDirectiveInListElement) {
  json::value pod = J(R"({"spec":{"containers":[{"name":"a"},{"name":"b"}]}})");
  EXPECT_EQ(MustPatch(pod, R"({"spec":{"containers":[{"name":"a","$patch":"delete"}]}})"),
            J(R"({"spec":{"containers":[{"name":"b"}]}})"));
  EXPECT_THAT(ErrorOf(pod, R"({"spec":{"containers":[{"$patch":"delete"}]}})"),
              HasSubstr("does not contain declared merge key: name"));
}

TEST(StrategicMergePatchTest, ReplaceDirectiveInListReplacesTheWholeList) {
  json::value pod = J(R"({"spec":{"containers":[{"name":"a","image":"a"},{"name":"b"}]}})");
  EXPECT_EQ(MustPatch(pod, R"({"spec":{"containers":[{"name":"c"},{"$patch":"replace"}]}})"),
            J(R"({"spec":{"containers":[{"name":"c"}]}})"));
  EXPECT_EQ(ErrorOf(pod, R"({"spec":{"containers":[{"name":"c","$patch":"merge"}]}})"),
            "merging lists cannot yet be specified in the patch");
  EXPECT_THAT(ErrorOf(pod, R"({"spec":{"containers":[{"name":"c","$patch":"bogus"}]}})"),
              HasSubstr("unknown patch type"));
}

TEST(StrategicMergePatchTest, MapDirectives) {
  json::value doc = J(R"({"metadata":{"labels":{"a":"1","b":"2"}},"spec":{"x":1}})");
  EXPECT_EQ(MustPatch(doc, R"({"metadata":{"labels":{"$patch":"replace","c":"3"}}})"),
            J(R"({"metadata":{"labels":{"c":"3"}},"spec":{"x":1}})"));
  EXPECT_EQ(MustPatch(doc, R"({"metadata":{"labels":{"$patch":"delete"}}})"),
            J(R"({"metadata":{},"spec":{"x":1}})"));
  EXPECT_EQ(MustPatch(doc, R"({"metadata":{"labels":{"$patch":"merge","c":"3"}}})"),
            J(R"({"metadata":{"labels":{"a":"1","b":"2","c":"3"}},"spec":{"x":1}})"));
  EXPECT_EQ(MustPatch(doc, R"({"$patch":"delete"})"), J("{}"));
  EXPECT_EQ(MustPatch(doc, R"({"$patch":"replace","spec":{"y":2}})"), J(R"({"spec":{"y":2}})"));
  EXPECT_THAT(ErrorOf(doc, R"({"metadata":{"labels":{"$patch":"explode"}}})"),
              HasSubstr("unknown patch type"));
  EXPECT_THAT(ErrorOf(doc, R"({"metadata":{"labels":{"$patch":1}}})"), HasSubstr("unknown patch type"));
  // A deleting map under a key the original does not have leaves nothing behind.
  EXPECT_EQ(MustPatch(doc, R"({"status":{"$patch":"delete"}})"), doc);
}

TEST(StrategicMergePatchTest, RetainKeysDropsUnlistedFields) {
  json::value pod =
      J(R"({"spec":{"volumes":[{"name":"data","emptyDir":{}},{"name":"other","emptyDir":{}}]}})");
  EXPECT_EQ(
      MustPatch(
          pod,
          R"({"spec":{"volumes":[{"name":"data","hostPath":{"path":"/srv"},"$retainKeys":["hostPath","name"]}]}})"),
      J(R"({"spec":{"volumes":[{"name":"data","hostPath":{"path":"/srv"}},{"name":"other","emptyDir":{}}]}})"));
  EXPECT_THAT(ErrorOf(pod, R"({"spec":{"volumes":[{"name":"data","hostPath":{},"$retainKeys":["name"]}]}})"),
              HasSubstr("invalid patch format of retainKeys"));
  EXPECT_THAT(ErrorOf(pod, R"({"spec":{"$retainKeys":"volumes"}})"),
              HasSubstr("invalid patch format of retainKeys"));
  // Null-valued fields need not be listed.
  EXPECT_EQ(MustPatch(J(R"({"spec":{"a":1,"b":2,"c":3}})"), R"({"spec":{"$retainKeys":["a"],"b":null}})"),
            J(R"({"spec":{"a":1}})"));
}

TEST(StrategicMergePatchTest, DeleteFromPrimitiveList) {
  json::value doc = J(R"({"metadata":{"finalizers":["a","b","c"]}})");
  EXPECT_EQ(MustPatch(doc, R"({"metadata":{"$deleteFromPrimitiveList/finalizers":["b","zz"]}})"),
            J(R"({"metadata":{"finalizers":["a","c"]}})"));
  EXPECT_EQ(
      MustPatch(doc, R"({"metadata":{"$deleteFromPrimitiveList/finalizers":["a"],"finalizers":["d"]}})"),
      J(R"({"metadata":{"finalizers":["d","b","c"]}})"));
  EXPECT_EQ(ErrorOf(doc, R"({"metadata":{"$deleteFromPrimitiveList/finalizers":"a"}})"),
            "invalid patch format of primitive list");
  EXPECT_EQ(ErrorOf(doc, R"({"metadata":{"$deleteFromPrimitiveList":["a"]}})"),
            "invalid patch format of primitive list");
}

TEST(StrategicMergePatchTest, PrimitiveMergeListsAreUnions) {
  json::value doc = J(R"({"metadata":{"finalizers":["a","b"]}})");
  EXPECT_EQ(MustPatch(doc, R"({"metadata":{"finalizers":["b","c"]}})"),
            J(R"({"metadata":{"finalizers":["a","b","c"]}})"));
  EXPECT_EQ(MustPatch(doc, R"({"metadata":{"finalizers":["c"]}})"),
            J(R"({"metadata":{"finalizers":["c","a","b"]}})"));
}

TEST(StrategicMergePatchTest, ListsWithoutMergeStrategyAreReplaced) {
  json::value pod =
      J(R"({"spec":{"tolerations":[{"key":"a"}],"containers":[{"name":"c","args":["x","y"]}]}})");
  EXPECT_EQ(
      MustPatch(pod, R"({"spec":{"tolerations":[{"key":"b"}],"containers":[{"name":"c","args":["z"]}]}})"),
      J(R"({"spec":{"tolerations":[{"key":"b"}],"containers":[{"name":"c","args":["z"]}]}})"));
}

TEST(StrategicMergePatchTest, TypeChangesReplace) {
  EXPECT_EQ(MustPatch(J(R"({"a":{"b":1}})"), R"({"a":[1]})"), J(R"({"a":[1]})"));
  EXPECT_EQ(MustPatch(J(R"({"a":"s"})"), R"({"a":{"b":1,"c":null}})"), J(R"({"a":{"b":1}})"));
}

TEST(StrategicMergePatchTest, InvalidLists) {
  json::value pod = J(R"({"spec":{"containers":[{"name":"a"}]}})");
  EXPECT_THAT(ErrorOf(pod, R"({"spec":{"containers":[{"image":"x"}]}})"),
              HasSubstr("does not contain declared merge key: name"));
  EXPECT_THAT(ErrorOf(pod, R"({"spec":{"containers":["x"]}})"),
              HasSubstr("list element types are not identical"));
  EXPECT_EQ(ErrorOf(J(R"({"metadata":{"finalizers":[]}})"), R"({"metadata":{"finalizers":[["x"]]}})"),
            "lists of lists are not supported");
  EXPECT_EQ(ErrorOf(pod, "[1]"), "a strategic merge patch must be a JSON object");
}

TEST(StrategicMergePatchTest, DollarKeysThatAreNotDirectivesAreData) {
  json::value crd = J(R"({"spec":{"schema":{"$schema":"a"}}})");
  EXPECT_EQ(MustPatch(crd, R"({"spec":{"schema":{"$ref":"#/x"}}})"),
            J(R"({"spec":{"schema":{"$schema":"a","$ref":"#/x"}}})"));
}

TEST(StrategicMergePatchTest, NestedDirectivesInNewValuesAreResolved) {
  json::value doc = J(R"({"spec":{}})");
  EXPECT_EQ(MustPatch(doc, R"({"spec":{"template":{"spec":{"$setElementOrder/containers":[{"name":"a"}],
      "containers":[{"name":"a","env":[{"name":"X","$patch":"delete"}],"$retainKeys":["name","env"]}]}}}})"),
            J(R"({"spec":{"template":{"spec":{"containers":[{"name":"a","env":[]}]}}}})"));
}

TEST(StrategicMergePatchTest, OriginalIsNotModifiedAndNonObjectOriginalIsEmpty) {
  json::value doc = Deployment();
  MustPatch(doc, R"({"spec":{"replicas":null}})");
  EXPECT_EQ(doc, Deployment());
  EXPECT_EQ(MustPatch(J("[1]"), R"({"a":1})"), J(R"({"a":1})"));
}

}  // namespace
}  // namespace skiff::api
