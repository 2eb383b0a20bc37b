// fieldValidation for built-in and custom resources, and what custom resources get from their
// CRD besides: server-side apply of x-kubernetes-list-type=map lists, selectableFields.
#include "apiserver/field_validation.h"

#include <string>
#include <vector>

#include "api/resources.h"
#include "apiserver/crd/crd_resources.h"
#include "apiserver/selection.h"
#include "apiserver/subresources.h"
#include "base/json.h"
#include "boost/json.hpp"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace skiff::apiserver {
namespace {

namespace json = boost::json;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

json::value Parse(const char* text) { return *base::ParseJson(text); }

// The served resource of a small CRD: spec.color/size, a map list keyed by name, a preserved
// object and an embedded resource; color is selectable.
api::ResourceInfo Gadgets() {
  auto served = crd::ServedResources(Parse(R"({"metadata":{"name":"gadgets.example.com"},
    "spec":{"group":"example.com","scope":"Namespaced","names":{"plural":"gadgets","kind":"Gadget"},
      "versions":[{"name":"v1","served":true,"storage":true,"selectableFields":[{"jsonPath":".spec.color"},
        {"jsonPath":".spec.size"}],
        "schema":{"openAPIV3Schema":{"type":"object","properties":{"spec":{"type":"object","properties":{
          "color":{"type":"string"},"size":{"type":"integer"},
          "ports":{"type":"array","x-kubernetes-list-type":"map","x-kubernetes-list-map-keys":["name"],
                   "items":{"type":"object","required":["name"],
                            "properties":{"name":{"type":"string"},"port":{"type":"integer"}}}},
          "free":{"type":"object","x-kubernetes-preserve-unknown-fields":true},
          "template":{"type":"object","x-kubernetes-embedded-resource":true,
                      "properties":{"data":{"type":"string"}}}}}}}}}]}})"));
  EXPECT_EQ(served.size(), 1u);
  return served.front();
}

TEST(FieldValidationTest, ParsesTheDirective) {
  EXPECT_EQ(*ParseFieldValidation(""), FieldValidation::kWarn);
  EXPECT_EQ(*ParseFieldValidation("Strict"), FieldValidation::kStrict);
  EXPECT_EQ(*ParseFieldValidation("Ignore"), FieldValidation::kIgnore);
  auto bad = ParseFieldValidation("strict");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().message(), "fieldValidation must be one of \"Ignore\", \"Warn\", or \"Strict\", got \"strict\"");
}

TEST(FieldValidationTest, CustomResourceUnknownFieldsInKubesOrder) {
  api::ResourceInfo r = Gadgets();
  json::value obj = Parse(R"({"apiVersion":"example.com/v1","kind":"Gadget","metadata":{"name":"g","zzz":1},
    "spec":{"color":"red","foo":1,"ports":[{"name":"a","port":1,"protocol":"TCP"}],
            "free":{"anything":{"goes":true}},
            "template":{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"t","bogus":1},"data":"d","x":1}},
    "extra":true})");
  EXPECT_THAT(PruneUnknownFields(r, obj),
              ElementsAre("unknown field \"metadata.zzz\"", "unknown field \"extra\"", "unknown field \"spec.foo\"",
                          "unknown field \"spec.ports[0].protocol\"", "unknown field \"spec.template.metadata.bogus\"",
                          "unknown field \"spec.template.x\""));
  EXPECT_EQ(obj, Parse(R"({"apiVersion":"example.com/v1","kind":"Gadget","metadata":{"name":"g"},
    "spec":{"color":"red","ports":[{"name":"a","port":1}],"free":{"anything":{"goes":true}},
            "template":{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"t"},"data":"d"}}})"));
}

TEST(FieldValidationTest, StrictWarnIgnore) {
  api::ResourceInfo r = Gadgets();
  const char* body = R"({"metadata":{"name":"g"},"spec":{"foo":1,"bar":2}})";
  json::value obj = Parse(body);
  std::vector<std::string> warnings;
  absl::Status strict = ValidateFields(FieldValidation::kStrict, r, BodyKind::kObject, obj, &warnings);
  EXPECT_TRUE(absl::IsInvalidArgument(strict) || !strict.ok());
  EXPECT_THAT(std::string(strict.message()),
              HasSubstr("Gadget in version \"v1\" cannot be handled as a Gadget: strict decoding error: "
                        "unknown field \"spec.bar\", unknown field \"spec.foo\""));
  obj = Parse(body);
  absl::Status patched = ValidateFields(FieldValidation::kStrict, r, BodyKind::kPatched, obj, &warnings);
  EXPECT_THAT(std::string(patched.message()),
              HasSubstr("strict decoding error: unknown field \"spec.bar\", unknown field \"spec.foo\""));
  EXPECT_THAT(std::string(patched.message()), ::testing::Not(HasSubstr("cannot be handled")));
  obj = Parse(body);
  ASSERT_TRUE(ValidateFields(FieldValidation::kWarn, r, BodyKind::kObject, obj, &warnings).ok());
  EXPECT_THAT(warnings, ElementsAre("unknown field \"spec.bar\"", "unknown field \"spec.foo\""));
  EXPECT_EQ(obj, Parse(R"({"metadata":{"name":"g"},"spec":{}})"));
  warnings.clear();
  obj = Parse(body);
  ASSERT_TRUE(ValidateFields(FieldValidation::kIgnore, r, BodyKind::kObject, obj, &warnings).ok());
  EXPECT_THAT(warnings, IsEmpty());
  EXPECT_EQ(obj, Parse(R"({"metadata":{"name":"g"},"spec":{}})"));
}

TEST(FieldValidationTest, DuplicateFieldsOfJsonBodies) {
  EXPECT_THAT(DuplicateFields(R"({"a":1,"spec":{"x":1,"l":[{"n":1,"n":2},{"n":1}],"x":{"y":1}},"a":[1]})"),
              ElementsAre("duplicate field \"spec.l[0].n\"", "duplicate field \"spec.x\"", "duplicate field \"a\""));
  EXPECT_THAT(DuplicateFields(R"({"a":1,"b":{"a":1}})"), IsEmpty());
  EXPECT_THAT(DuplicateFields("a: 1\na: 2\n"), IsEmpty());  // not JSON
  EXPECT_THAT(DuplicateFields(R"({"a":1,"a":)"), IsEmpty());  // broken: the decoder says so
  api::ResourceInfo r = Gadgets();
  const char* body = R"({"metadata":{"name":"g"},"spec":{"color":"red","color":"blue","foo":1}})";
  json::value obj = Parse(body);
  absl::Status s = ValidateFields(FieldValidation::kStrict, r, BodyKind::kObject, obj, nullptr, body);
  EXPECT_THAT(std::string(s.message()),
              HasSubstr("strict decoding error: duplicate field \"spec.color\", unknown field \"spec.foo\""));
}

TEST(FieldValidationTest, BuiltinKindsShareTheMechanism) {
  const api::ResourceInfo* cm = api::FindResource("", "v1", "configmaps");
  ASSERT_NE(cm, nullptr);
  json::value obj = Parse(R"({"metadata":{"name":"c"},"dta":{"a":"b"}})");
  absl::Status s = ValidateFields(FieldValidation::kStrict, *cm, BodyKind::kObject, obj, nullptr);
  EXPECT_EQ(s.message(),
            "ConfigMap in version \"v1\" cannot be handled as a ConfigMap: strict decoding error: unknown field \"dta\"");
}

TEST(CustomResourceApplyTest, MapListItemsBelongToTheirManagers) {
  api::ResourceInfo r = Gadgets();
  const std::string now = "2026-01-01T00:00:00Z";
  auto first = ComputePatch(r, "default", "g", nullptr, kApplyPatch,
                            Parse(R"({"apiVersion":"example.com/v1","kind":"Gadget","metadata":{"name":"g"},
                                      "spec":{"ports":[{"name":"http","port":80}]}})"),
                            "alice", false, now);
  ASSERT_TRUE(first.ok()) << first.status();
  auto second = ComputePatch(r, "default", "g", &*first, kApplyPatch,
                             Parse(R"({"apiVersion":"example.com/v1","kind":"Gadget","metadata":{"name":"g"},
                                       "spec":{"ports":[{"name":"https","port":443}]}})"),
                             "bob", false, now);
  ASSERT_TRUE(second.ok()) << second.status();
  EXPECT_EQ(*base::FindPath(*second, {"spec", "ports"}),
            Parse(R"([{"name":"http","port":80},{"name":"https","port":443}])"));
  // bob taking alice's port conflicts, naming the item by key
  auto conflict = ComputePatch(r, "default", "g", &*second, kApplyPatch,
                               Parse(R"({"apiVersion":"example.com/v1","kind":"Gadget","metadata":{"name":"g"},
                                         "spec":{"ports":[{"name":"https","port":443},{"name":"http","port":81}]}})"),
                               "bob", false, now);
  ASSERT_FALSE(conflict.ok());
  EXPECT_THAT(std::string(conflict.status().message()), HasSubstr(".spec.ports[name=\"http\"].port"));
  // alice drops her item: bob's stays
  auto dropped = ComputePatch(r, "default", "g", &*second, kApplyPatch,
                              Parse(R"({"apiVersion":"example.com/v1","kind":"Gadget","metadata":{"name":"g"},
                                        "spec":{"color":"red"}})"),
                              "alice", false, now);
  ASSERT_TRUE(dropped.ok()) << dropped.status();
  EXPECT_EQ(*base::FindPath(*dropped, {"spec", "ports"}), Parse(R"([{"name":"https","port":443}])"));
}

TEST(CustomResourceSelectionTest, SelectableFieldsOfTheCrd) {
  api::ResourceInfo r = Gadgets();
  json::value obj = Parse(R"({"metadata":{"name":"g","namespace":"ns"},"spec":{"color":"red","size":3}})");
  EXPECT_EQ(SelectableField(r, obj, "spec.color"), "red");
  EXPECT_EQ(SelectableField(r, obj, "spec.size"), "3");
  EXPECT_EQ(SelectableField(r, obj, "metadata.name"), "g");
  EXPECT_EQ(SelectableField(r, Parse(R"({"spec":{}})"), "spec.color"), "");  // absent: ""
  EXPECT_EQ(SelectableField(r, obj, "spec.ports"), std::nullopt);
  auto unsupported = BuildSelection(r, "", "spec.ports=x");
  ASSERT_FALSE(unsupported.ok());
  EXPECT_EQ(unsupported.status().message(), "field label not supported: spec.ports");
  EXPECT_TRUE(BuildSelection(r, "", "spec.color=red,spec.size!=2").ok());
}

}  // namespace
}  // namespace skiff::apiserver
