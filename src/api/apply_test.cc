#include "api/apply.h"

#include <map>
#include <string>

#include "base/json.h"
#include "boost/json/parse.hpp"
#include "boost/json/serialize.hpp"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace skiff::api {
namespace {

namespace json = boost::json;
using ::testing::HasSubstr;

json::value J(const char* text) { return json::parse(text); }

// The list semantics of apps/v1 Deployment as the schemas declare them.
class TestMeta : public PatchMeta {
 public:
  TestMeta() {
    auto keyed = [](std::vector<std::string> keys) {
      FieldPatchInfo info;
      info.merge = true;
      info.merge_key = keys[0];
      info.list_type = "map";
      info.list_map_keys = std::move(keys);
      return info;
    };
    fields_["spec.template.spec.containers"] = keyed({"name"});
    fields_["spec.template.spec.containers.ports"] = keyed({"containerPort", "protocol"});
    fields_["spec.template.spec.containers.env"] = keyed({"name"});
    FieldPatchInfo set;
    set.merge = true;
    set.list_type = "set";
    fields_["metadata.finalizers"] = set;
    FieldPatchInfo atomic_map;
    atomic_map.atomic_map = true;
    fields_["spec.selector"] = atomic_map;
    FieldPatchInfo atomic_list;
    atomic_list.list_type = "atomic";
    fields_["spec.template.spec.containers.args"] = atomic_list;
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

constexpr char kT0[] = "2026-01-01T00:00:00Z";
constexpr char kT1[] = "2026-01-01T00:01:00Z";
constexpr char kT2[] = "2026-01-01T00:02:00Z";

json::value Manifest(int replicas = 2, const char* image = "nginx:1.27") {
  json::value m = J(R"({"apiVersion":"apps/v1","kind":"Deployment",
    "metadata":{"name":"web","namespace":"default","labels":{"app":"web"}},
    "spec":{"replicas":2,"selector":{"matchLabels":{"app":"web"}},
      "template":{"metadata":{"labels":{"app":"web"}},
        "spec":{"containers":[{"name":"nginx","image":"nginx:1.27"}]}}}})");
  m.at("spec").at("replicas") = replicas;
  m.at("spec").at("template").at("spec").at("containers").at(0).at("image") = image;
  return m;
}

json::value Apply(const json::value* live, const json::value& applied, const char* manager = "kubectl",
                  bool force = false, const char* now = kT1) {
  auto result = ServerSideApply(live, applied, manager, force, Meta(), "apps/v1", now);
  EXPECT_TRUE(result.ok()) << result.status();
  return result.ok() ? *result : json::value();
}

const json::value* Entry(const json::value& obj, std::string_view manager, std::string_view operation) {
  const auto* list = base::FindPath(obj, {"metadata", "managedFields"});
  if (list == nullptr) return nullptr;
  for (const auto& e : list->as_array()) {
    if (base::GetString(e, {"manager"}) == manager && base::GetString(e, {"operation"}) == operation)
      return &e;
  }
  return nullptr;
}

json::value FieldsOf(const json::value& obj, std::string_view manager, std::string_view operation) {
  const auto* e = Entry(obj, manager, operation);
  return e == nullptr ? json::value() : e->at("fieldsV1");
}

json::value WithoutManagedFields(json::value v) {
  v.at("metadata").as_object().erase("managedFields");
  return v;
}

// A Deployment created by client-side apply: its manager owns every field (Update).
json::value CreatedByClientSideApply() {
  json::value obj = Manifest();
  UpdateManagedFields(nullptr, obj, "kubectl-client-side-apply", "Update", "apps/v1", kT0, Meta());
  return obj;
}

TEST(ServerSideApplyTest, CreateOwnsTheAppliedFields) {
  json::value got = Apply(nullptr, Manifest());
  EXPECT_EQ(WithoutManagedFields(got), Manifest());
  const auto& entries = got.at("metadata").at("managedFields").as_array();
  ASSERT_EQ(entries.size(), 1u);
  EXPECT_EQ(entries[0], J(R"({"manager":"kubectl","operation":"Apply","apiVersion":"apps/v1",
    "time":"2026-01-01T00:01:00Z","fieldsType":"FieldsV1","fieldsV1":{
      "f:metadata":{"f:labels":{"f:app":{}}},
      "f:spec":{"f:replicas":{},"f:selector":{},"f:template":{"f:metadata":{"f:labels":{"f:app":{}}},
        "f:spec":{"f:containers":{"k:{\"name\":\"nginx\"}":{".":{},"f:image":{},"f:name":{}}}}}}}})"));
}

TEST(ServerSideApplyTest, ReapplyUnchangedKeepsObjectAndTime) {
  json::value first = Apply(nullptr, Manifest());
  json::value second = Apply(&first, Manifest(), "kubectl", false, kT2);
  EXPECT_EQ(second, first);
}

TEST(ServerSideApplyTest, ReapplyWithAFieldRemovedDeletesIt) {
  json::value applied = Manifest();
  applied.at("metadata").at("labels").as_object()["tier"] = "web";
  applied.at("spec")
      .at("template")
      .at("spec")
      .at("containers")
      .as_array()
      .push_back(J(R"({"name":"sidecar","image":"busybox"})"));
  json::value first = Apply(nullptr, applied);
  json::value second = Apply(&first, Manifest(), "kubectl", false, kT2);
  EXPECT_EQ(second.at("metadata").at("labels"), J(R"({"app":"web"})"));
  EXPECT_EQ(second.at("spec").at("template").at("spec").at("containers"),
            J(R"([{"name":"nginx","image":"nginx:1.27"}])"));
  EXPECT_EQ(FieldsOf(second, "kubectl", "Apply"), FieldsOf(Apply(nullptr, Manifest()), "kubectl", "Apply"));
  EXPECT_EQ(Entry(second, "kubectl", "Apply")->at("time"), J(R"("2026-01-01T00:02:00Z")"));
}

TEST(ServerSideApplyTest, RemovedFieldOwnedByAnotherManagerStays) {
  json::value applied = Manifest();
  applied.at("metadata").at("labels").as_object()["tier"] = "web";
  json::value first = Apply(nullptr, applied);
  json::value second = Apply(&first, applied, "other");  // same values: shared ownership
  json::value third = Apply(&second, Manifest(), "kubectl", false, kT2);
  EXPECT_EQ(third.at("metadata").at("labels"), J(R"({"app":"web","tier":"web"})"));
  EXPECT_EQ(FieldsOf(third, "kubectl", "Apply").at("f:metadata"), J(R"({"f:labels":{"f:app":{}}})"));
}

TEST(ServerSideApplyTest, ConflictWithClientSideApply) {
  json::value live = CreatedByClientSideApply();
  auto result = ServerSideApply(&live, Manifest(3), "kubectl", false, Meta(), "apps/v1", kT1);
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.status().code(), absl::StatusCode::kAborted);
  EXPECT_EQ(result.status().message(),
            "Apply failed with 1 conflict: conflict with \"kubectl-client-side-apply\" using apps/v1: "
            ".spec.replicas");
  auto conflicts = ApplyConflictsFromStatus(result.status());
  ASSERT_EQ(conflicts.size(), 1u);
  EXPECT_EQ(conflicts[0].message, "conflict with \"kubectl-client-side-apply\" using apps/v1");
  EXPECT_EQ(conflicts[0].field, ".spec.replicas");
  EXPECT_TRUE(ApplyConflictsFromStatus(absl::AbortedError("x")).empty());
}

TEST(ServerSideApplyTest, SeveralConflictsAreGroupedByManager) {
  json::value live = CreatedByClientSideApply();
  auto result = ServerSideApply(&live, Manifest(3, "nginx:1.28"), "kubectl", false, Meta(), "apps/v1", kT1);
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.status().message(),
            "Apply failed with 2 conflicts: conflicts with \"kubectl-client-side-apply\" using apps/v1:\n"
            "- .spec.replicas\n"
            "- .spec.template.spec.containers[name=\"nginx\"].image");
  EXPECT_EQ(ApplyConflictsFromStatus(result.status()).size(), 2u);
}

TEST(ServerSideApplyTest, SameValuesShareOwnershipWithoutConflict) {
  json::value live = CreatedByClientSideApply();
  json::value got = Apply(&live, Manifest());
  EXPECT_EQ(WithoutManagedFields(got), Manifest());
  EXPECT_TRUE(FieldsOf(got, "kubectl", "Apply").at("f:spec").as_object().contains("f:replicas"));
  EXPECT_TRUE(
      FieldsOf(got, "kubectl-client-side-apply", "Update").at("f:spec").as_object().contains("f:replicas"));
  // Apply entries sort before Update entries, as Kubernetes writes them.
  EXPECT_EQ(got.at("metadata").at("managedFields").at(0).at("operation"), J(R"("Apply")"));
}

TEST(ServerSideApplyTest, ForceTakesOwnership) {
  json::value live = CreatedByClientSideApply();
  json::value got = Apply(&live, Manifest(3), "kubectl", /*force=*/true);
  EXPECT_EQ(got.at("spec").at("replicas"), J("3"));
  EXPECT_TRUE(FieldsOf(got, "kubectl", "Apply").at("f:spec").as_object().contains("f:replicas"));
  const auto& csa = FieldsOf(got, "kubectl-client-side-apply", "Update");
  EXPECT_FALSE(csa.at("f:spec").as_object().contains("f:replicas"));
  EXPECT_TRUE(csa.at("f:spec").as_object().contains("f:selector"));
  // Now the client-side applier would conflict in turn.
  auto back = ServerSideApply(&got, Manifest(4), "kubectl-client-side-apply", false, Meta(), "apps/v1", kT2);
  ASSERT_FALSE(back.ok());
  EXPECT_EQ(back.status().message(),
            "Apply failed with 1 conflict: conflict with \"kubectl\": .spec.replicas");
}

TEST(ServerSideApplyTest, KeyedListsMergeByKey) {
  json::value live = CreatedByClientSideApply();
  json::value applied = J(R"({"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":"web"},
    "spec":{"template":{"spec":{"containers":[{"name":"sidecar","image":"busybox"}]}}}})");
  json::value got = Apply(&live, applied, "sidecar-injector");
  EXPECT_EQ(got.at("spec").at("template").at("spec").at("containers"),
            J(R"([{"name":"nginx","image":"nginx:1.27"},{"name":"sidecar","image":"busybox"}])"));
  EXPECT_EQ(
      FieldsOf(got, "sidecar-injector", "Apply"),
      J(R"({"f:spec":{"f:template":{"f:spec":{"f:containers":{"k:{\"name\":\"sidecar\"}":{".":{},"f:image":{},"f:name":{}}}}}}})"));
}

TEST(ServerSideApplyTest, KeyedListOrderFollowsTheAppliedListAroundLiveOnlyElements) {
  json::value live = J(R"({"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":"web"},
    "spec":{"template":{"spec":{"containers":[{"name":"a"},{"name":"b"},{"name":"x"}]}}}})");
  json::value applied = J(R"({"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":"web"},
    "spec":{"template":{"spec":{"containers":[{"name":"c"},{"name":"b","image":"b"},{"name":"a"}]}}}})");
  json::value got = Apply(&live, applied);
  EXPECT_EQ(got.at("spec").at("template").at("spec").at("containers"),
            J(R"([{"name":"c"},{"name":"b","image":"b"},{"name":"a"},{"name":"x"}])"));
}

TEST(ServerSideApplyTest, DefaultedKeyFieldsDoNotDuplicateElements) {
  json::value applied = Manifest();
  applied.at("spec").at("template").at("spec").at("containers").at(0).as_object()["ports"] =
      J(R"([{"containerPort":80}])");
  json::value first = Apply(nullptr, applied);
  // The server defaults the protocol after the apply.
  first.at("spec")
      .at("template")
      .at("spec")
      .at("containers")
      .at(0)
      .at("ports")
      .at(0)
      .as_object()["protocol"] = "TCP";
  json::value second = Apply(&first, applied, "kubectl", false, kT2);
  EXPECT_EQ(second.at("spec").at("template").at("spec").at("containers").at(0).at("ports"),
            J(R"([{"containerPort":80,"protocol":"TCP"}])"));
  EXPECT_EQ(FieldsOf(second, "kubectl", "Apply")
                .at("f:spec")
                .at("f:template")
                .at("f:spec")
                .at("f:containers")
                .at("k:{\"name\":\"nginx\"}")
                .at("f:ports"),
            J(R"({"k:{\"containerPort\":80,\"protocol\":\"TCP\"}":{".":{},"f:containerPort":{}}})"));
  EXPECT_EQ(second.at("metadata").at("managedFields").as_array().size(), 1u);
}

TEST(ServerSideApplyTest, SetListsAndAtomicLists) {
  json::value applied = Manifest();
  applied.at("metadata").as_object()["finalizers"] = J(R"(["a","b"])");
  applied.at("spec").at("template").at("spec").at("containers").at(0).as_object()["args"] = J(R"(["x","y"])");
  json::value got = Apply(nullptr, applied);
  json::value fields = FieldsOf(got, "kubectl", "Apply");
  EXPECT_EQ(fields.at("f:metadata").at("f:finalizers"), J(R"({"v:\"a\"":{},"v:\"b\"":{}})"));
  EXPECT_EQ(fields.at("f:spec")
                .at("f:template")
                .at("f:spec")
                .at("f:containers")
                .at("k:{\"name\":\"nginx\"}")
                .at("f:args"),
            J("{}"));
  // Another manager adds a finalizer: the set merges.
  json::value other =
      J(R"({"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":"web","finalizers":["c"]}})");
  json::value merged = Apply(&got, other, "gc");
  EXPECT_EQ(merged.at("metadata").at("finalizers"), J(R"(["a","b","c"])"));
  // Changing the atomic list by another manager conflicts on the whole list.
  json::value args = J(R"({"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":"web"},
    "spec":{"template":{"spec":{"containers":[{"name":"nginx","args":["z"]}]}}}})");
  auto result = ServerSideApply(&got, args, "other", false, Meta(), "apps/v1", kT2);
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.status().message(),
            "Apply failed with 1 conflict: conflict with \"kubectl\": "
            ".spec.template.spec.containers[name=\"nginx\"].args");
}

TEST(ServerSideApplyTest, ServerMetadataIsNotTakenFromTheConfiguration) {
  json::value live = Apply(nullptr, Manifest());
  live.at("metadata").as_object()["uid"] = "u-1";
  live.at("metadata").as_object()["resourceVersion"] = "7";
  live.at("metadata").as_object()["creationTimestamp"] = "2026-01-01T00:00:00Z";
  json::value applied = Manifest();
  applied.at("metadata").as_object()["creationTimestamp"] = nullptr;
  applied.at("metadata").as_object()["uid"] = "forged";
  json::value got = Apply(&live, applied, "kubectl", false, kT2);
  EXPECT_EQ(got.at("metadata").at("uid"), J(R"("u-1")"));
  EXPECT_EQ(got.at("metadata").at("resourceVersion"), J(R"("7")"));
  EXPECT_EQ(got.at("metadata").at("creationTimestamp"), J(R"("2026-01-01T00:00:00Z")"));
  EXPECT_FALSE(FieldsOf(got, "kubectl", "Apply").at("f:metadata").as_object().contains("f:uid"));
}

TEST(ServerSideApplyTest, RejectsBadConfigurations) {
  json::value applied = Manifest();
  applied.at("metadata").as_object()["managedFields"] = J("[]");
  auto result = ServerSideApply(nullptr, applied, "kubectl", false, Meta(), "apps/v1", kT1);
  EXPECT_EQ(result.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(result.status().message(), "metadata.managedFields must be nil");
  EXPECT_EQ(ServerSideApply(nullptr, J("[1]"), "kubectl", false, Meta(), "apps/v1", kT1).status().code(),
            absl::StatusCode::kInvalidArgument);
}

TEST(UpdateManagedFieldsTest, CreateOwnsEverythingButServerFields) {
  json::value obj = Manifest();
  obj.at("metadata").as_object()["uid"] = "u";
  UpdateManagedFields(nullptr, obj, "kubectl-create", "Update", "apps/v1", kT0, Meta());
  json::value fields = FieldsOf(obj, "kubectl-create", "Update");
  EXPECT_EQ(fields.at("f:metadata"), J(R"({"f:labels":{".":{},"f:app":{}}})"));
  EXPECT_EQ(fields.at("f:spec").at("f:replicas"), J("{}"));
  EXPECT_FALSE(fields.as_object().contains("f:apiVersion"));
  EXPECT_EQ(Entry(obj, "kubectl-create", "Update")->at("time"), J(R"("2026-01-01T00:00:00Z")"));
}

TEST(UpdateManagedFieldsTest, ChangedFieldsMoveToTheWriter) {
  json::value old_obj = CreatedByClientSideApply();
  json::value new_obj = old_obj;
  new_obj.at("metadata").at("labels").as_object()["tier"] = "frontend";
  new_obj.at("spec").at("replicas") = 5;
  UpdateManagedFields(&old_obj, new_obj, "kubectl-label", "Update", "apps/v1", kT1, Meta());
  EXPECT_EQ(FieldsOf(new_obj, "kubectl-label", "Update"),
            J(R"({"f:metadata":{"f:labels":{"f:tier":{}}},"f:spec":{"f:replicas":{}}})"));
  json::value csa = FieldsOf(new_obj, "kubectl-client-side-apply", "Update");
  EXPECT_FALSE(csa.at("f:spec").as_object().contains("f:replicas"));
  EXPECT_EQ(Entry(new_obj, "kubectl-client-side-apply", "Update")->at("time"),
            J(R"("2026-01-01T00:00:00Z")"));

  // Removing the label drops it from every owner; an unchanged write changes nothing.
  json::value third = new_obj;
  third.at("metadata").at("labels").as_object().erase("tier");
  UpdateManagedFields(&new_obj, third, "kubectl-label", "Update", "apps/v1", kT2, Meta());
  EXPECT_EQ(FieldsOf(third, "kubectl-label", "Update"), J(R"({"f:spec":{"f:replicas":{}}})"));
  EXPECT_EQ(Entry(third, "kubectl-label", "Update")->at("time"), J(R"("2026-01-01T00:01:00Z")"));
}

TEST(UpdateManagedFieldsTest, EntryWithNothingLeftDisappears) {
  json::value old_obj = CreatedByClientSideApply();
  json::value new_obj = old_obj;
  new_obj.at("spec").at("replicas") = 5;
  UpdateManagedFields(&old_obj, new_obj, "scaler", "Update", "apps/v1", kT1, Meta());
  json::value back = new_obj;
  back.at("spec").as_object().erase("replicas");
  UpdateManagedFields(&new_obj, back, "kubectl-edit", "Update", "apps/v1", kT2, Meta());
  EXPECT_EQ(Entry(back, "scaler", "Update"), nullptr);
  EXPECT_EQ(Entry(back, "kubectl-edit", "Update"), nullptr);
}

TEST(UpdateManagedFieldsTest, SentManagedFieldsReplaceOrReset) {
  json::value old_obj = CreatedByClientSideApply();
  json::value new_obj = old_obj;
  new_obj.at("metadata").at("managedFields") = J("[{}]");
  UpdateManagedFields(&old_obj, new_obj, "kubectl-edit", "Update", "apps/v1", kT1, Meta());
  EXPECT_FALSE(new_obj.at("metadata").as_object().contains("managedFields"));

  json::value sent = old_obj;
  sent.at("metadata").at("managedFields") = J(R"([{"manager":"m","operation":"Update","apiVersion":"apps/v1",
    "fieldsType":"FieldsV1","fieldsV1":{"f:spec":{"f:replicas":{}}}}])");
  UpdateManagedFields(&old_obj, sent, "kubectl-edit", "Update", "apps/v1", kT1, Meta());
  EXPECT_EQ(sent.at("metadata").at("managedFields").as_array().size(), 1u);
  EXPECT_EQ(FieldsOf(sent, "m", "Update"), J(R"({"f:spec":{"f:replicas":{}}})"));
}

TEST(UpdateManagedFieldsTest, SubresourceAndVersionMakeSeparateEntries) {
  json::value old_obj = CreatedByClientSideApply();
  json::value new_obj = old_obj;
  new_obj.as_object()["status"] = J(R"({"replicas":2})");
  UpdateManagedFields(&old_obj, new_obj, "kube-controller-manager", "Update", "apps/v1", kT1, Meta(),
                      "status");
  const auto* e = Entry(new_obj, "kube-controller-manager", "Update");
  ASSERT_NE(e, nullptr);
  EXPECT_EQ(e->at("subresource"), J(R"("status")"));
  EXPECT_EQ(e->at("fieldsV1"), J(R"({"f:status":{".":{},"f:replicas":{}}})"));

  // A conflict message names the subresource.
  json::value applied =
      J(R"({"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":"web"},"status":{"replicas":9}})");
  auto result = ServerSideApply(&new_obj, applied, "kubectl", false, Meta(), "apps/v1", kT2);
  ASSERT_FALSE(result.ok());
  EXPECT_THAT(result.status().message(), HasSubstr("conflict with \"kube-controller-manager\" with "
                                                   "subresource \"status\" using apps/v1: .status.replicas"));
}

TEST(UpdateManagedFieldsTest, GarbageManagedFieldsAreDropped) {
  json::value old_obj = Manifest();
  old_obj.at("metadata").as_object()["managedFields"] =
      J(R"([1,{"manager":"x","fieldsV1":"nope"},{"manager":"y"}])");
  json::value new_obj = old_obj;
  new_obj.at("spec").at("replicas") = 4;
  UpdateManagedFields(&old_obj, new_obj, "m", "Update", "apps/v1", kT1, Meta());
  EXPECT_EQ(new_obj.at("metadata").at("managedFields").as_array().size(), 1u);
  EXPECT_EQ(FieldsOf(new_obj, "m", "Update"), J(R"({"f:spec":{"f:replicas":{}}})"));
}

}  // namespace
}  // namespace skiff::api
