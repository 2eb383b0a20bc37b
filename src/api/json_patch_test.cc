#include "api/json_patch.h"

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

json::value MustApply(const char* doc, const char* patch) {
  auto result = ApplyJsonPatch(J(doc), J(patch));
  EXPECT_TRUE(result.ok()) << result.status();
  return result.ok() ? *result : json::value();
}

std::string ErrorOf(const char* doc, const char* patch) {
  auto result = ApplyJsonPatch(J(doc), J(patch));
  EXPECT_FALSE(result.ok());
  EXPECT_EQ(result.status().code(), absl::StatusCode::kInvalidArgument);
  return std::string(result.status().message());
}

TEST(JsonPatchTest, AddMemberAndReplaceExistingMember) {
  EXPECT_EQ(MustApply(R"({"a":1})", R"([{"op":"add","path":"/b","value":{"c":[1]}}])"),
            J(R"({"a":1,"b":{"c":[1]}})"));
  EXPECT_EQ(MustApply(R"({"a":1})", R"([{"op":"add","path":"/a","value":2}])"), J(R"({"a":2})"));
}

TEST(JsonPatchTest, AddInsertsIntoArraysAndAppendsWithDash) {
  EXPECT_EQ(MustApply(R"({"l":[1,3]})", R"([{"op":"add","path":"/l/1","value":2}])"), J(R"({"l":[1,2,3]})"));
  EXPECT_EQ(MustApply(R"({"l":[1]})", R"([{"op":"add","path":"/l/-","value":2}])"), J(R"({"l":[1,2]})"));
  EXPECT_EQ(MustApply(R"({"l":[1]})", R"([{"op":"add","path":"/l/1","value":2}])"), J(R"({"l":[1,2]})"));
  EXPECT_THAT(ErrorOf(R"({"l":[1]})", R"([{"op":"add","path":"/l/3","value":2}])"),
              HasSubstr("out of bounds"));
  EXPECT_THAT(ErrorOf(R"({"l":[1]})", R"([{"op":"add","path":"/l/01","value":2}])"),
              HasSubstr("invalid array index"));
}

TEST(JsonPatchTest, AddToMissingParentFails) {
  EXPECT_EQ(ErrorOf(R"({})", R"([{"op":"add","path":"/a/b","value":1}])"),
            "jsonpatch add operation does not apply: doc is missing path: /a/b");
}

TEST(JsonPatchTest, AddAtRootReplacesDocument) {
  EXPECT_EQ(MustApply(R"({"a":1})", R"([{"op":"add","path":"","value":[1]}])"), J("[1]"));
}

TEST(JsonPatchTest, Remove) {
  EXPECT_EQ(MustApply(R"({"a":1,"b":2})", R"([{"op":"remove","path":"/a"}])"), J(R"({"b":2})"));
  EXPECT_EQ(MustApply(R"({"l":[1,2,3]})", R"([{"op":"remove","path":"/l/1"}])"), J(R"({"l":[1,3]})"));
  EXPECT_EQ(ErrorOf(R"({"a":1})", R"([{"op":"remove","path":"/x"}])"),
            "jsonpatch remove operation does not apply: doc is missing path: /x");
  EXPECT_THAT(ErrorOf(R"({"l":[1]})", R"([{"op":"remove","path":"/l/1"}])"), HasSubstr("missing path: /l/1"));
  EXPECT_THAT(ErrorOf(R"({"a":1})", R"([{"op":"remove","path":""}])"), HasSubstr("whole document"));
}

TEST(JsonPatchTest, ReplaceRequiresTarget) {
  EXPECT_EQ(MustApply(R"({"spec":{"foo":1}})", R"([{"op":"replace","path":"/spec/foo","value":"x"}])"),
            J(R"({"spec":{"foo":"x"}})"));
  EXPECT_EQ(ErrorOf(R"({"spec":{}})", R"([{"op":"replace","path":"/spec/foo","value":1}])"),
            "jsonpatch replace operation does not apply: doc is missing key: /spec/foo");
  EXPECT_EQ(MustApply(R"({"a":1})", R"([{"op":"replace","path":"","value":{"b":2}}])"), J(R"({"b":2})"));
}

TEST(JsonPatchTest, MoveAndCopy) {
  EXPECT_EQ(MustApply(R"({"a":{"x":1},"b":{}})", R"([{"op":"move","from":"/a/x","path":"/b/y"}])"),
            J(R"({"a":{},"b":{"y":1}})"));
  EXPECT_EQ(MustApply(R"({"l":[1,2,3]})", R"([{"op":"move","from":"/l/0","path":"/l/-"}])"),
            J(R"({"l":[2,3,1]})"));
  EXPECT_EQ(MustApply(R"({"a":1})", R"([{"op":"move","from":"/a","path":"/a"}])"), J(R"({"a":1})"));
  EXPECT_THAT(ErrorOf(R"({"a":{"b":1}})", R"([{"op":"move","from":"/a","path":"/a/b/c"}])"),
              HasSubstr("own child"));
  EXPECT_EQ(MustApply(R"({"a":[1]})", R"([{"op":"copy","from":"/a","path":"/b"}])"),
            J(R"({"a":[1],"b":[1]})"));
  EXPECT_EQ(ErrorOf(R"({})", R"([{"op":"copy","from":"/nope","path":"/b"}])"),
            "jsonpatch copy operation does not apply: doc is missing from path: /nope");
  EXPECT_THAT(ErrorOf(R"({})", R"([{"op":"move","path":"/b"}])"), HasSubstr("missing \"from\""));
}

TEST(JsonPatchTest, TestOperationComparesNumbersByValue) {
  EXPECT_EQ(
      MustApply(
          R"({"a":1,"o":{"x":[true,null]}})",
          R"([{"op":"test","path":"/a","value":1.0},{"op":"test","path":"/o","value":{"x":[true,null]}}])"),
      J(R"({"a":1,"o":{"x":[true,null]}})"));
  EXPECT_THAT(ErrorOf(R"({"a":1})", R"([{"op":"test","path":"/a","value":2}])"),
              HasSubstr("jsonpatch testing value /a failed"));
  EXPECT_THAT(ErrorOf(R"({"a":1})", R"([{"op":"test","path":"/b","value":null}])"),
              HasSubstr("missing path"));
}

TEST(JsonPatchTest, FailedOperationLeavesInputUntouchedAndStopsTheRest) {
  json::value doc = J(R"({"a":1})");
  auto result = ApplyJsonPatch(
      doc,
      J(R"([{"op":"add","path":"/b","value":2},{"op":"test","path":"/a","value":5},{"op":"add","path":"/c","value":3}])"));
  EXPECT_FALSE(result.ok());
  EXPECT_EQ(doc, J(R"({"a":1})"));
}

TEST(JsonPatchTest, PointerEscapes) {
  EXPECT_EQ(MustApply(R"({"metadata":{"labels":{"app.kubernetes.io/name":"x","m~n":"y"}}})",
                      R"([{"op":"replace","path":"/metadata/labels/app.kubernetes.io~1name","value":"z"},
                          {"op":"remove","path":"/metadata/labels/m~0n"}])"),
            J(R"({"metadata":{"labels":{"app.kubernetes.io/name":"z"}}})"));
  auto tokens = ParseJsonPointer("/a~1b/c~0d/");
  ASSERT_TRUE(tokens.ok());
  EXPECT_THAT(*tokens, ::testing::ElementsAre("a/b", "c~d", ""));
  EXPECT_EQ(MakeJsonPointer(*tokens), "/a~1b/c~0d/");
  EXPECT_FALSE(ParseJsonPointer("a/b").ok());
  EXPECT_FALSE(ParseJsonPointer("/a~2").ok());
  EXPECT_FALSE(ParseJsonPointer("/a~").ok());
  EXPECT_EQ(EscapeJsonPointerToken("~/"), "~0~1");
}

TEST(JsonPatchTest, ResolvePointer) {
  json::value doc = J(R"({"a":{"b":[10,20]}})");
  ASSERT_NE(ResolveJsonPointer(doc, "/a/b/1"), nullptr);
  EXPECT_EQ(*ResolveJsonPointer(doc, "/a/b/1"), J("20"));
  EXPECT_EQ(ResolveJsonPointer(doc, ""), &doc);
  EXPECT_EQ(ResolveJsonPointer(doc, "/a/b/2"), nullptr);
  EXPECT_EQ(ResolveJsonPointer(doc, "/a/x"), nullptr);
  EXPECT_EQ(ResolveJsonPointer(doc, "bad"), nullptr);
}

TEST(JsonPatchTest, MalformedPatches) {
  EXPECT_THAT(ErrorOf("{}", R"({"op":"add"})"), HasSubstr("JSON array"));
  EXPECT_THAT(ErrorOf("{}", R"([1])"), HasSubstr("not an object"));
  EXPECT_THAT(ErrorOf("{}", R"([{"path":"/a"}])"), HasSubstr("\"op\""));
  EXPECT_THAT(ErrorOf("{}", R"([{"op":"add","value":1}])"), HasSubstr("\"path\""));
  EXPECT_THAT(ErrorOf("{}", R"([{"op":"add","path":"/a"}])"), HasSubstr("missing \"value\""));
  EXPECT_EQ(ErrorOf("{}", R"([{"op":"frob","path":"/a"}])"), "jsonpatch unexpected kind: frob");
  EXPECT_THAT(ErrorOf("{}", R"([{"op":"add","path":"a","value":1}])"), HasSubstr("invalid JSON pointer"));
}

TEST(JsonPatchTest, CopiesCannotExplodeTheDocument) {
  std::string patch = R"([{"op":"add","path":"/a","value":[1,2,3,4,5,6,7,8]})";
  for (int i = 0; i < 40; ++i) patch += R"(,{"op":"copy","from":"/a","path":"/a/-"})";
  patch += "]";
  auto result = ApplyJsonPatch(J("{}"), J(patch.c_str()));
  ASSERT_FALSE(result.ok());
  EXPECT_THAT(result.status().message(), HasSubstr("size limit"));
}

// kubectl rollout undo: two replace operations (wire doc §9.10).
TEST(JsonPatchTest, RolloutUndoBody) {
  json::value deployment =
      J(R"({"metadata":{"name":"web","annotations":{"deployment.kubernetes.io/revision":"2"}},
    "spec":{"replicas":2,"template":{"metadata":{"labels":{"app":"web"}},
      "spec":{"containers":[{"name":"nginx","image":"nginx:1.28"}]}}}})");
  json::value patch = J(R"([
    {"op":"replace","path":"/spec/template","value":{"metadata":{"creationTimestamp":null,"labels":{"app":"web"}},
      "spec":{"containers":[{"name":"nginx","image":"nginx:1.27"}]}}},
    {"op":"replace","path":"/metadata/annotations","value":{"deployment.kubernetes.io/revision":"2","note":"old"}}])");
  auto result = ApplyJsonPatch(deployment, patch);
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_EQ(*ResolveJsonPointer(*result, "/spec/template/spec/containers/0/image"), J(R"("nginx:1.27")"));
  EXPECT_EQ(*ResolveJsonPointer(*result, "/metadata/annotations"),
            J(R"({"deployment.kubernetes.io/revision":"2","note":"old"})"));
  EXPECT_EQ(*ResolveJsonPointer(*result, "/spec/replicas"), J("2"));
}

TEST(JsonEqualTest, NumbersObjectsAndKinds) {
  EXPECT_TRUE(JsonEqual(J("1"), J("1.0")));
  EXPECT_TRUE(JsonEqual(json::value(uint64_t{5}), json::value(int64_t{5})));
  EXPECT_FALSE(JsonEqual(json::value(int64_t{-1}), json::value(uint64_t{18446744073709551615u})));
  EXPECT_TRUE(JsonEqual(J(R"({"a":1,"b":2})"), J(R"({"b":2,"a":1})")));
  EXPECT_FALSE(JsonEqual(J(R"({"a":1})"), J(R"({"a":1,"b":2})")));
  EXPECT_FALSE(JsonEqual(J("[1,2]"), J("[2,1]")));
  EXPECT_FALSE(JsonEqual(J("null"), J("false")));
  EXPECT_FALSE(JsonEqual(J(R"("1")"), J("1")));
}

}  // namespace
}  // namespace skiff::api
