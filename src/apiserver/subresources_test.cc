// ComputePatch: what a JSON, merge or strategic merge patch may and may not turn an object into.
#include "apiserver/subresources.h"

#include <string>

#include "api/resources.h"
#include "base/json.h"
#include "boost/json.hpp"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "http/errors.h"

namespace skiff::apiserver {
namespace {

namespace json = boost::json;
using ::testing::HasSubstr;

json::value Parse(const char* text) { return *base::ParseJson(text); }

json::value LiveDeployment() {
  return Parse(R"({"apiVersion":"apps/v1","kind":"Deployment",
    "metadata":{"name":"web","namespace":"default","uid":"u1","labels":{"app":"web"}},
    "spec":{"replicas":2,"selector":{"matchLabels":{"app":"web"}},
            "template":{"metadata":{"labels":{"app":"web"}},
                        "spec":{"containers":[{"name":"c","image":"nginx"}]}}}})");
}

class ComputePatchTest : public ::testing::Test {
 protected:
  absl::StatusOr<json::value> Patch(const char* type, const char* patch) {
    const api::ResourceInfo* r = api::FindResource("apps", "v1", "deployments");
    EXPECT_NE(r, nullptr);
    json::value live = LiveDeployment();
    return ComputePatch(*r, "default", "web", &live, type, Parse(patch), "test", false, "2024-01-01T00:00:00Z");
  }
};

TEST_F(ComputePatchTest, ObjectFieldsSetToScalarsAreInvalid) {
  for (const auto& [type, patch] : std::vector<std::pair<const char*, const char*>>{
           {kMergePatch, R"({"metadata":"x"})"},
           {kMergePatch, R"({"spec":5})"},
           {kMergePatch, R"({"spec":{"template":[]}})"},
           {kStrategicMergePatch, R"({"metadata":"x"})"},
           {kStrategicMergePatch, R"({"spec":5})"},
           {kJsonPatch, R"([{"op":"replace","path":"/metadata","value":"x"}])"},
           {kJsonPatch, R"([{"op":"replace","path":"","value":"x"}])"},
       }) {
    absl::StatusOr<json::value> next = Patch(type, patch);
    ASSERT_FALSE(next.ok()) << type << " " << patch;
    EXPECT_EQ(api::HttpCode(next.status()), 422) << patch;
    json::value status = api::StatusObject(next.status());
    EXPECT_EQ(base::GetString(status, {"reason"}), "Invalid");
    EXPECT_THAT(base::GetString(status, {"message"}), HasSubstr("\"\" is invalid: patch: Invalid value: "));
    EXPECT_THAT(base::GetString(status, {"message"}), HasSubstr("json: cannot unmarshal "));
    const json::value* causes = base::FindPath(status, {"details", "causes"});
    ASSERT_TRUE(causes && causes->is_array() && !causes->as_array().empty());
    EXPECT_EQ(base::GetString(causes->as_array()[0], {"field"}), "patch");
    EXPECT_EQ(base::GetString(causes->as_array()[0], {"reason"}), "FieldValueInvalid");
  }
}

TEST_F(ComputePatchTest, ScalarIntoObjectNamesTheGoField) {
  absl::StatusOr<json::value> next = Patch(kMergePatch, R"({"metadata":"x"})");
  ASSERT_FALSE(next.ok());
  EXPECT_THAT(std::string(next.status().message()),
              HasSubstr("json: cannot unmarshal string into Go struct field Deployment.metadata of type v1.ObjectMeta"));
}

TEST_F(ComputePatchTest, PatchesThatDropTheNameAreBadRequests) {
  for (const auto& [type, patch] : std::vector<std::pair<const char*, const char*>>{
           {kStrategicMergePatch, R"({"$patch":"delete"})"},
           {kMergePatch, R"({"metadata":null})"},
           {kJsonPatch, R"([{"op":"remove","path":"/metadata/name"}])"},
       }) {
    absl::StatusOr<json::value> next = Patch(type, patch);
    ASSERT_FALSE(next.ok()) << patch;
    EXPECT_EQ(api::HttpCode(next.status()), 400) << patch;
    EXPECT_EQ(std::string(next.status().message()),
              "the name of the object (web based on URL) was undeterminable: name must be provided");
  }
}

TEST_F(ComputePatchTest, OrdinaryPatchesApply) {
  absl::StatusOr<json::value> next = Patch(kMergePatch, R"({"spec":{"replicas":5},"metadata":{"labels":null}})");
  ASSERT_TRUE(next.ok()) << next.status();
  EXPECT_EQ(base::GetInt(*next, {"spec", "replicas"}), 5);
  EXPECT_EQ(base::FindPath(*next, {"metadata", "labels"}), nullptr);
  next = Patch(kStrategicMergePatch, R"({"spec":{"template":{"spec":{"containers":[{"name":"c","image":"x"}]}}}})");
  ASSERT_TRUE(next.ok()) << next.status();
  next = Patch(kJsonPatch, R"([{"op":"replace","path":"/spec/replicas","value":1}])");
  ASSERT_TRUE(next.ok()) << next.status();
}

}  // namespace
}  // namespace skiff::apiserver
