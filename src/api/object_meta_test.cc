#include "api/object_meta.h"

#include "boost/json/parse.hpp"
#include "gtest/gtest.h"

namespace skiff::api {
namespace {

namespace json = boost::json;

const json::value kPod = json::parse(R"({
  "metadata": {
    "name": "web-1", "namespace": "prod", "uid": "u-1", "resourceVersion": "42", "generation": 3,
    "labels": {"app": "web"}, "annotations": {"note": "hi", "n": 5},
    "ownerReferences": [
      {"kind": "Other", "uid": "o-1"},
      {"kind": "ReplicaSet", "uid": "rs-1", "controller": true},
      {"kind": "Late", "uid": "l-1", "controller": true}],
    "deletionTimestamp": "2026-01-01T00:00:00Z",
    "finalizers": ["a/b", 7, "c/d"]
  }})");

TEST(ObjectMetaTest, ReadsIdentity) {
  EXPECT_EQ(Name(kPod), "web-1");
  EXPECT_EQ(Namespace(kPod), "prod");
  EXPECT_EQ(Uid(kPod), "u-1");
  EXPECT_EQ(ResourceVersion(kPod), "42");
  EXPECT_EQ(Generation(kPod), 3);
}

TEST(ObjectMetaTest, MissingOrMistypedFieldsReadAsEmpty) {
  for (const char* text : {R"({})", R"({"metadata": 5})", R"({"metadata": {"name": 5, "labels": [],
       "ownerReferences": {}, "finalizers": "x", "deletionTimestamp": null}})",
                           R"([1, 2])"}) {
    json::value obj = json::parse(text);
    EXPECT_EQ(Name(obj), "") << text;
    EXPECT_EQ(Namespace(obj), "") << text;
    EXPECT_EQ(Generation(obj), 0) << text;
    EXPECT_EQ(Label(obj, "app", "none"), "none") << text;
    EXPECT_EQ(OwnerReferences(obj), nullptr) << text;
    EXPECT_EQ(ControllerRef(obj), nullptr) << text;
    EXPECT_FALSE(IsBeingDeleted(obj)) << text;
    EXPECT_TRUE(Finalizers(obj).empty()) << text;
    EXPECT_FALSE(HasFinalizer(obj, "x")) << text;
  }
}

TEST(ObjectMetaTest, LabelsAndAnnotations) {
  ASSERT_NE(Labels(kPod), nullptr);
  EXPECT_EQ(*Labels(kPod), json::parse(R"({"app": "web"})"));
  EXPECT_EQ(Label(kPod, "app"), "web");
  EXPECT_EQ(Label(kPod, "tier"), "");
  ASSERT_NE(Annotations(kPod), nullptr);
  EXPECT_EQ(Annotation(kPod, "note"), "hi");
  EXPECT_EQ(Annotation(kPod, "n", "fallback"), "fallback");  // not a string
  EXPECT_EQ(Labels(json::parse(R"({"metadata": {}})")), nullptr);
  EXPECT_EQ(Annotations(json::parse(R"({"metadata": {"name": "x"}})")), nullptr);
}

TEST(ObjectMetaTest, ControllerRefIsTheFirstWithControllerTrue) {
  ASSERT_NE(OwnerReferences(kPod), nullptr);
  EXPECT_EQ(OwnerReferences(kPod)->size(), 3u);
  const json::value* ref = ControllerRef(kPod);
  ASSERT_NE(ref, nullptr);
  EXPECT_EQ(ref->at("uid"), "rs-1");

  json::value no_controller = json::parse(R"({"metadata": {"ownerReferences": [
      {"uid": "a", "controller": false}, "junk", {"uid": "b"}]}})");
  EXPECT_EQ(ControllerRef(no_controller), nullptr);
}

TEST(ObjectMetaTest, DeletionAndFinalizers) {
  EXPECT_TRUE(IsBeingDeleted(kPod));
  EXPECT_EQ(Finalizers(kPod), (std::vector<std::string>{"a/b", "c/d"}));
  EXPECT_TRUE(HasFinalizer(kPod, "c/d"));
  EXPECT_FALSE(HasFinalizer(kPod, "a"));
}

}  // namespace
}  // namespace skiff::api
