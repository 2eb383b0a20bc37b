#include "api/structural/structural.h"

#include "api/structural/test_util.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace skiff::api::structural {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using testing::CompileErrors;

constexpr std::string_view P = "spec.versions[0].schema.openAPIV3Schema";

std::string At(std::string_view rest) { return std::string(P) + std::string(rest); }

TEST(CompileTest, AcceptsATypicalSchema) {
  EXPECT_THAT(CompileErrors(R"({"type":"object","properties":{
      "spec":{"type":"object","required":["image"],"properties":{
        "image":{"type":"string","minLength":1},
        "replicas":{"type":"integer","format":"int32","default":1,"minimum":0,"maximum":10},
        "ports":{"type":"array","x-kubernetes-list-type":"map","x-kubernetes-list-map-keys":["name"],
                 "items":{"type":"object","required":["name"],"properties":{"name":{"type":"string"},
                          "port":{"x-kubernetes-int-or-string":true}}}},
        "labels":{"type":"object","additionalProperties":{"type":"string"}},
        "extra":{"type":"object","x-kubernetes-preserve-unknown-fields":true},
        "template":{"type":"object","x-kubernetes-embedded-resource":true,"x-kubernetes-preserve-unknown-fields":true}}},
      "status":{"type":"object","properties":{"ready":{"type":"boolean"}}}}})"),
              IsEmpty());
}

TEST(CompileTest, TypeRequiredForSpecifiedFields) {
  EXPECT_THAT(CompileErrors(R"({"type":"object","properties":{"spec":{"properties":{"a":{"type":"string"}}}}})"),
              ElementsAre(At(".properties[spec].type: Required value: must not be empty for specified object fields")));
  EXPECT_THAT(CompileErrors(R"({"properties":{"a":{"type":"string"}}})"),
              ElementsAre(At(".type: Required value: must not be empty at the root")));
  EXPECT_THAT(CompileErrors(R"({"type":"object","properties":{"l":{"type":"array","items":{}}}})"),
              ElementsAre(At(".properties[l].items.type: Required value: must not be empty for specified array items")));
  EXPECT_THAT(CompileErrors(R"({"type":"object","properties":{"l":{"type":"array"}}})"),
              ElementsAre(At(".properties[l].items: Required value: must be specified")));
  EXPECT_THAT(CompileErrors(R"({"type":"string"})"),
              ElementsAre(At(".type: Invalid value: \"string\": must be object at the root")));
}

TEST(CompileTest, ValueValidationsMustNotCarryStructure) {
  EXPECT_THAT(CompileErrors(R"({"type":"object","properties":{"a":{"type":"string",
      "anyOf":[{"type":"string","description":"d","nullable":true,"default":"x"}]}}})"),
              ElementsAre(At(".properties[a].anyOf[0].default: Forbidden: must be undefined to be structural"),
                          At(".properties[a].anyOf[0].description: Forbidden: must be empty to be structural"),
                          At(".properties[a].anyOf[0].nullable: Forbidden: must be false to be structural"),
                          At(".properties[a].anyOf[0].type: Forbidden: must be empty to be structural")));
  EXPECT_THAT(CompileErrors(R"({"type":"object","properties":{"a":{"type":"object",
      "allOf":[{"properties":{"metadata":{}}}]}}})"),
              ElementsAre(At(".properties[a].allOf[0].properties[metadata]: Forbidden: must not be specified in a "
                             "nested context")));
}

TEST(CompileTest, IntOrStringPatternsAreStructural) {
  EXPECT_THAT(CompileErrors(R"({"type":"object","properties":{"p":{"x-kubernetes-int-or-string":true,
      "anyOf":[{"type":"integer"},{"type":"string"}]},
      "q":{"x-kubernetes-int-or-string":true,"allOf":[{"anyOf":[{"type":"integer"},{"type":"string"}]},
           {"pattern":"^[0-9]+%?$"}]}}})"),
              IsEmpty());
}

TEST(CompileTest, CompletenessOfRootJunctors) {
  EXPECT_THAT(CompileErrors(R"({"type":"object","properties":{"a":{"type":"string"}},
      "anyOf":[{"properties":{"b":{"minLength":1}}}]})"),
              ElementsAre(At(".properties[b]: Required value: because it is defined in " + std::string(P) +
                             ".anyOf[0].properties[b]")));
}

TEST(CompileTest, MetadataAtTheRootOnlyRestrictsNames) {
  EXPECT_THAT(CompileErrors(R"({"type":"object","properties":{"metadata":{"type":"object","properties":{
      "name":{"type":"string","maxLength":10}}}}})"),
              IsEmpty());
  EXPECT_THAT(CompileErrors(R"({"type":"object","properties":{"metadata":{"type":"object","properties":{
      "labels":{"type":"object"}}}}})"),
              ElementsAre(At(".properties[metadata]: Forbidden: must not specify anything other than name and "
                             "generateName, but metadata is implicitly specified")));
}

TEST(CompileTest, AdditionalPropertiesRules) {
  EXPECT_THAT(CompileErrors(R"({"type":"object","additionalProperties":{"type":"string"}})"),
              ElementsAre(At(".additionalProperties: Forbidden: must not be used at the root")));
  EXPECT_THAT(CompileErrors(R"({"type":"object","properties":{"m":{"type":"object","properties":{"a":{"type":"string"}},
      "additionalProperties":{"type":"string"}}}})"),
              ElementsAre(At(".properties[m].additionalProperties: Forbidden: additionalProperties and properties are "
                             "mutual exclusive")));
}

TEST(CompileTest, ExtensionConsistency) {
  EXPECT_THAT(CompileErrors(R"({"type":"object","properties":{"p":{"x-kubernetes-int-or-string":true,
      "x-kubernetes-preserve-unknown-fields":true}}})"),
              ElementsAre(At(".properties[p].x-kubernetes-preserve-unknown-fields: Invalid value: true: must be false if "
                             "x-kubernetes-int-or-string is true")));
  EXPECT_THAT(CompileErrors(R"({"type":"object","properties":{"e":{"type":"string","x-kubernetes-embedded-resource":true,
      "x-kubernetes-preserve-unknown-fields":true}}})"),
              ElementsAre(At(".properties[e].type: Invalid value: \"string\": must be object if "
                             "x-kubernetes-embedded-resource is true")));
  EXPECT_THAT(CompileErrors(R"({"type":"object","properties":{"e":{"type":"object","x-kubernetes-embedded-resource":true}}})"),
              ElementsAre(At(".properties[e].properties: Required value: must not be empty if "
                             "x-kubernetes-embedded-resource is true without x-kubernetes-preserve-unknown-fields")));
  EXPECT_THAT(CompileErrors(R"({"type":"object","properties":{"p":{"type":"object","x-kubernetes-preserve-unknown-fields":false}}})"),
              ElementsAre(At(".properties[p].x-kubernetes-preserve-unknown-fields: Invalid value: false: must be true or "
                             "undefined")));
}

TEST(CompileTest, ListAndMapTypes) {
  EXPECT_THAT(CompileErrors(R"({"type":"object","properties":{"l":{"type":"string","x-kubernetes-list-type":"set"}}})"),
              ElementsAre(At(".properties[l].type: Invalid value: \"string\": must be array if x-kubernetes-list-type is "
                             "specified")));
  EXPECT_THAT(CompileErrors(R"({"type":"object","properties":{"l":{"type":"array","x-kubernetes-list-type":"bag",
      "items":{"type":"string"}}}})"),
              ElementsAre(At(".properties[l].x-kubernetes-list-type: Unsupported value: \"bag\": supported values: "
                             "\"atomic\", \"set\", \"map\"")));
  EXPECT_THAT(CompileErrors(R"({"type":"object","properties":{"l":{"type":"array","x-kubernetes-list-type":"map",
      "items":{"type":"object","properties":{"k":{"type":"string"}}}}}})"),
              ElementsAre(At(".properties[l].x-kubernetes-list-map-keys: Required value: must not be empty if "
                             "x-kubernetes-list-type is map")));
  EXPECT_THAT(CompileErrors(R"({"type":"object","properties":{"l":{"type":"array","x-kubernetes-list-type":"map",
      "x-kubernetes-list-map-keys":["k","z"],"items":{"type":"object","properties":{"k":{"type":"string"}}}}}})"),
              ElementsAre(At(".properties[l].x-kubernetes-list-map-keys: Invalid value: [\"k\",\"z\"]: entries must all "
                             "be names of item properties"),
                          At(".properties[l].items.properties[k].default: Required value: this property is in "
                             "x-kubernetes-list-map-keys, so it must have a default or be a required property")));
  EXPECT_THAT(CompileErrors(R"({"type":"object","properties":{"l":{"type":"array","x-kubernetes-list-type":"set",
      "items":{"type":"object","properties":{"k":{"type":"string"}}}}}})"),
              ElementsAre(At(".properties[l].items.x-kubernetes-map-type: Invalid value: null: must be atomic as item of "
                             "a list with x-kubernetes-list-type=set")));
  EXPECT_THAT(CompileErrors(R"({"type":"object","properties":{"m":{"type":"object","x-kubernetes-map-type":"loose"}}})"),
              ElementsAre(At(".properties[m].x-kubernetes-map-type: Unsupported value: \"loose\": supported values: "
                             "\"atomic\", \"granular\"")));
}

TEST(CompileTest, UnsupportedKeywords) {
  EXPECT_THAT(CompileErrors(R"({"type":"object","properties":{"a":{"type":"array","uniqueItems":true,
      "items":{"type":"string"}},"b":{"$ref":"#/x"},"c":{"type":"null"},"d":{"type":"date"}}})"),
              ElementsAre(At(".properties[b].type: Required value: must not be empty for specified object fields"),
                          At(".properties[a].uniqueItems: Forbidden: uniqueItems cannot be set to true since the runtime "
                             "complexity becomes quadratic"),
                          At(".properties[b].$ref: Forbidden: $ref is not supported"),
                          At(".properties[c].type: Unsupported value: \"null\": supported values: \"array\", "
                             "\"boolean\", \"integer\", \"number\", \"object\", \"string\""),
                          At(".properties[c].type: Forbidden: type cannot be set to null, use nullable as an alternative"),
                          At(".properties[d].type: Unsupported value: \"date\": supported values: \"array\", "
                             "\"boolean\", \"integer\", \"number\", \"object\", \"string\"")));
}

TEST(CompileTest, InvalidPattern) {
  EXPECT_THAT(CompileErrors(R"({"type":"object","properties":{"a":{"type":"string","pattern":"(abc"}}})"),
              ElementsAre(At(".properties[a].pattern: Invalid value: \"(abc\": must be a valid regular expression, but "
                             "isn't: error parsing regexp: missing closing ): `(abc`")));
}

TEST(CompileTest, DefaultsMustValidateAndBePruned) {
  EXPECT_THAT(CompileErrors(R"({"type":"object","properties":{"spec":{"type":"object","properties":{
      "replicas":{"type":"integer","maximum":5,"default":7}}}}})"),
              ElementsAre(At(".properties[spec].properties[replicas].default: Invalid value: 7:  in body should be less "
                             "than or equal to 5")));
  EXPECT_THAT(CompileErrors(R"({"type":"object","properties":{"spec":{"type":"object","properties":{
      "a":{"type":"string"}},"default":{"a":"x","b":"y"}}}})"),
              ElementsAre(At(".properties[spec].default: Invalid value: {\"a\":\"x\",\"b\":\"y\"}: must not have unknown "
                             "fields")));
  EXPECT_THAT(CompileErrors(R"({"type":"object","properties":{"metadata":{"type":"object","default":{}}}})"),
              ElementsAre(At(".properties[metadata].default: Forbidden: must not be set in top-level metadata")));
}

TEST(CompileTest, NullableRootAndStatusSubresource) {
  EXPECT_THAT(CompileErrors(R"({"type":"object","nullable":true})"),
              ElementsAre(At(".nullable: Forbidden: nullable cannot be true at the root")));
  CompileOptions status;
  status.status_subresource = true;
  EXPECT_THAT(CompileErrors(R"({"type":"object","properties":{"a":{"type":"string"}}})", status), IsEmpty());
  EXPECT_THAT(CompileErrors(R"({"type":"object","maxProperties":3})", status),
              ElementsAre(HasSubstr("fields are allowed at the root of the schema if the status subresource is enabled")));
}

TEST(CompileTest, CelRulesAreRejectedUntilSupported) {
  EXPECT_THAT(CompileErrors(R"({"type":"object","properties":{"spec":{"type":"object",
      "x-kubernetes-validations":[{"rule":"self.a > 0"}],"properties":{"a":{"type":"integer"}}}}})"),
              ElementsAre(At(".properties[spec].x-kubernetes-validations: Forbidden: CEL validation rules are not "
                             "supported yet")));
  EXPECT_THAT(CompileErrors(R"({"type":"object","x-kubernetes-validations":[{"rule":" "}]})"),
              ElementsAre(At(".x-kubernetes-validations[0].rule: Required value: rule is not specified")));
}

TEST(CompileTest, DeepNestingIsRejected) {
  boost::json::value deep = boost::json::object{{"type", "string"}};
  for (int i = 0; i < 200; ++i) deep = boost::json::object{{"type", "array"}, {"items", deep}};
  boost::json::value root = boost::json::object{{"type", "object"}, {"properties", boost::json::object{{"a", deep}}}};
  CompileResult r = Compile(root, P);
  ASSERT_TRUE(std::holds_alternative<std::vector<FieldError>>(r));
  EXPECT_THAT(testing::Format(std::get<std::vector<FieldError>>(r)),
              ElementsAre(HasSubstr("must not be nested more than 64 levels deep")));
}

TEST(CompileTest, MistypedKeywordsAreErrors) {
  EXPECT_THAT(CompileErrors(R"({"type":"object","properties":{"a":{"type":5}}})"),
              ElementsAre(At(".properties[a].type: Invalid value: 5: must be a string")));
  EXPECT_THAT(CompileErrors(R"([1])"), ElementsAre(std::string(P) + ": Invalid value: [1]: must be an object"));
}

}  // namespace
}  // namespace skiff::api::structural
