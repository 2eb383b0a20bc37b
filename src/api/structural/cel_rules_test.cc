#include "api/structural/structural.h"

#include "api/structural/test_util.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace skiff::api::structural {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::StartsWith;
using testing::CompileErrors;
using testing::MustCompile;
using testing::SpecSchema;
using testing::ValidateErrors;

constexpr std::string_view P = "spec.versions[0].schema.openAPIV3Schema";

std::string At(std::string_view rest) { return std::string(P) + std::string(rest); }

std::vector<std::string> UpdateErrors(const Schema& s, std::string_view new_json, std::string_view old_json) {
  boost::json::value old = boost::json::parse(old_json);
  return testing::Format(Validate(s, boost::json::parse(new_json), &old));
}

constexpr std::string_view kReplicas = R"j({"type":"object",
    "x-kubernetes-validations":[{"rule":"self.minReplicas <= self.maxReplicas"},
                                {"rule":"self.maxReplicas <= 100","message":"too many replicas"}],
    "properties":{"minReplicas":{"type":"integer"},"maxReplicas":{"type":"integer"}}})j";

TEST(CelRulesTest, FailedRulesReportKubesMessages) {
  auto s = SpecSchema(kReplicas);
  EXPECT_THAT(ValidateErrors(*s, R"j({"spec":{"minReplicas":1,"maxReplicas":3}})j"), IsEmpty());
  EXPECT_THAT(ValidateErrors(*s, R"j({"spec":{"minReplicas":5,"maxReplicas":3}})j"),
              ElementsAre("spec: Invalid value: \"object\": failed rule: self.minReplicas <= self.maxReplicas"));
  EXPECT_THAT(ValidateErrors(*s, R"j({"spec":{"minReplicas":1,"maxReplicas":300}})j"),
              ElementsAre("spec: Invalid value: \"object\": too many replicas"));
}

TEST(CelRulesTest, EvaluationErrors) {
  auto s = SpecSchema(kReplicas);
  EXPECT_THAT(ValidateErrors(*s, R"j({"spec":{"minReplicas":1}})j"),
              ElementsAre(HasSubstr("evaluating rule: self.minReplicas <= self.maxReplicas"),
                          HasSubstr("evaluating rule: too many replicas")));
}

TEST(CelRulesTest, MessageExpressionReasonAndFieldPath) {
  auto s = SpecSchema(R"j({"type":"object","properties":{
      "a":{"type":"string","x-kubernetes-validations":[{"rule":"self.startsWith('x')",
           "messageExpression":"'must start with x, got ' + self"}]},
      "b":{"type":"object","properties":{"c":{"type":"integer"}},
           "x-kubernetes-validations":[{"rule":"has(self.c)","reason":"FieldValueRequired","fieldPath":".c",
                                        "message":"c is required"}]},
      "d":{"type":"integer","x-kubernetes-validations":[{"rule":"self != 3","reason":"FieldValueForbidden"}]}}})j");
  EXPECT_THAT(ValidateErrors(*s, R"j({"spec":{"a":"xy","b":{"c":1},"d":1}})j"), IsEmpty());
  EXPECT_THAT(ValidateErrors(*s, R"j({"spec":{"a":"yz","b":{},"d":3}})j"),
              ElementsAre("spec.a: Invalid value: \"string\": must start with x, got yz",
                          "spec.b.c: Required value: c is required",
                          "spec.d: Forbidden: failed rule: self != 3"));
}

TEST(CelRulesTest, RulesOnListsMapsAndItems) {
  auto s = SpecSchema(R"j({"type":"object","properties":{
      "tags":{"type":"array","maxItems":10,"items":{"type":"string","maxLength":10,
              "x-kubernetes-validations":[{"rule":"self != 'bad'"}]},
              "x-kubernetes-validations":[{"rule":"self.all(t, t.size() > 0)"}]},
      "limits":{"type":"object","maxProperties":5,"additionalProperties":{"type":"integer"},
                "x-kubernetes-validations":[{"rule":"self.all(k, self[k] >= 0)","message":"no negative limits"}]}}})j");
  EXPECT_THAT(ValidateErrors(*s, R"j({"spec":{"tags":["a","b"],"limits":{"cpu":1}}})j"), IsEmpty());
  EXPECT_THAT(ValidateErrors(*s, R"j({"spec":{"tags":["a","bad",""],"limits":{"cpu":-1}}})j"),
              ElementsAre("spec.limits: Invalid value: \"object\": no negative limits",
                          "spec.tags: Invalid value: \"array\": failed rule: self.all(t, t.size() > 0)",
                          "spec.tags[1]: Invalid value: \"string\": failed rule: self != 'bad'"));
}

TEST(CelRulesTest, RootRulesSeeTypeMetaAndName) {
  auto s = MustCompile(R"j({"type":"object","x-kubernetes-validations":[
      {"rule":"self.metadata.name.startsWith('w-')","message":"name must start with w-"}],
      "properties":{"spec":{"type":"object"}}})j");
  EXPECT_THAT(ValidateErrors(*s, R"j({"apiVersion":"x/v1","kind":"W","metadata":{"name":"w-1"}})j"), IsEmpty());
  EXPECT_THAT(ValidateErrors(*s, R"j({"apiVersion":"x/v1","kind":"W","metadata":{"name":"v-1"}})j"),
              ElementsAre("<nil>: Invalid value: \"object\": name must start with w-"));
}

TEST(CelRulesTest, TransitionRulesNeedAnOldValue) {
  auto s = SpecSchema(R"j({"type":"object","properties":{
      "mode":{"type":"string","x-kubernetes-validations":[{"rule":"self == oldSelf","message":"mode is immutable"}]},
      "size":{"type":"integer","x-kubernetes-validations":[{"rule":"!oldSelf.hasValue() || self >= oldSelf.value()",
              "optionalOldSelf":true,"message":"size may only grow"}]}}})j");
  EXPECT_THAT(ValidateErrors(*s, R"j({"spec":{"mode":"a","size":1}})j"), IsEmpty());
  EXPECT_THAT(UpdateErrors(*s, R"j({"spec":{"mode":"b","size":1}})j", R"j({"spec":{"mode":"a","size":1}})j"),
              ElementsAre("spec.mode: Invalid value: \"string\": mode is immutable"));
  EXPECT_THAT(UpdateErrors(*s, R"j({"spec":{"mode":"a","size":0}})j", R"j({"spec":{"mode":"a","size":1}})j"),
              ElementsAre("spec.size: Invalid value: \"integer\": size may only grow"));
  // A field that did not exist before has no oldSelf: the immutability rule does not run.
  EXPECT_THAT(UpdateErrors(*s, R"j({"spec":{"mode":"a"}})j", R"j({"spec":{}})j"), IsEmpty());
}

TEST(CelRulesTest, UnchangedValuesAreRatcheted) {
  auto s = SpecSchema(R"j({"type":"object","properties":{
      "a":{"type":"integer","x-kubernetes-validations":[{"rule":"self < 10"}]},
      "b":{"type":"integer"}}})j");
  EXPECT_THAT(UpdateErrors(*s, R"j({"spec":{"a":20,"b":2}})j", R"j({"spec":{"a":20,"b":1}})j"), IsEmpty());
  EXPECT_THAT(UpdateErrors(*s, R"j({"spec":{"a":21}})j", R"j({"spec":{"a":20}})j"),
              ElementsAre("spec.a: Invalid value: \"integer\": failed rule: self < 10"));
}

TEST(CelRulesTest, CompileErrors) {
  EXPECT_THAT(CompileErrors(R"j({"type":"object","properties":{"spec":{"type":"object",
      "x-kubernetes-validations":[{"rule":"self.nope > 0"}],"properties":{"a":{"type":"integer"}}}}})j"),
              ElementsAre(StartsWith(At(".properties[spec].x-kubernetes-validations[0].rule: Invalid value: "
                                        "{\"Rule\":\"self.nope > 0\",\"Message\":\"\",\"MessageExpression\":\"\","
                                        "\"Reason\":null,\"FieldPath\":\"\",\"OptionalOldSelf\":null}: compilation "
                                        "failed: ERROR: <input>:1:5: undefined field 'nope'"))));
  EXPECT_THAT(CompileErrors(R"j({"type":"object","properties":{"l":{"type":"array","items":{"type":"string",
      "x-kubernetes-validations":[{"rule":"self == oldSelf"}]}}}})j"),
              ElementsAre(At(".properties[l].items.x-kubernetes-validations[0].rule: Invalid value: \"self == oldSelf\": "
                             "oldSelf cannot be used on the uncorrelatable portion of the schema within " +
                             std::string(P) + ".properties[l]")));
  EXPECT_THAT(CompileErrors(R"j({"type":"object","properties":{"a":{"type":"integer",
      "x-kubernetes-validations":[{"rule":"self > 0","optionalOldSelf":true}]}}})j"),
              ElementsAre(At(".properties[a].x-kubernetes-validations[0].optionalOldSelf: Invalid value: true: may not "
                             "be set if oldSelf is not used in rule")));
  EXPECT_THAT(CompileErrors(R"j({"type":"object","properties":{"a":{"type":"object","properties":{"b":{"type":"string"}},
      "x-kubernetes-validations":[{"rule":"true","fieldPath":".c"}]}}})j"),
              ElementsAre(At(".properties[a].x-kubernetes-validations[0].fieldPath: Invalid value: \".c\": must be a "
                             "valid path")));
}

TEST(CelRulesTest, DefaultsMustSatisfyRules) {
  EXPECT_THAT(CompileErrors(R"j({"type":"object","properties":{"a":{"type":"integer","default":20,
      "x-kubernetes-validations":[{"rule":"self < 10"}]}}})j"),
              ElementsAre(At(".properties[a].default: Invalid value: \"integer\": failed rule: self < 10")));
  EXPECT_THAT(CompileErrors(R"j({"type":"object","properties":{"a":{"type":"integer","default":5,
      "x-kubernetes-validations":[{"rule":"self < 10"}]}}})j"),
              IsEmpty());
}

TEST(CelRulesTest, EstimatedCostLimit) {
  // Nested iteration over unbounded lists of unbounded strings exceeds kube's static limit.
  EXPECT_THAT(CompileErrors(R"j({"type":"object","properties":{"l":{"type":"array","items":{"type":"string"},
      "x-kubernetes-validations":[{"rule":"self.all(a, self.all(b, a.contains(b)))"}]}}})j"),
              ElementsAre(HasSubstr("x-kubernetes-validations[0].rule: Forbidden: estimated rule cost exceeds budget "
                                    "by factor of more than 100x"),
                          At(".properties[l].x-kubernetes-validations[0].rule: Forbidden: contributed to estimated rule "
                             "cost total exceeding cost limit for entire OpenAPIv3 schema"),
                          HasSubstr("openAPIV3Schema: Forbidden: x-kubernetes-validations estimated rule cost total for "
                                    "entire OpenAPIv3 schema exceeds budget by factor of more than 100x")));
  // Bounding the list and its strings brings it under the limit.
  EXPECT_THAT(CompileErrors(R"j({"type":"object","properties":{"l":{"type":"array","maxItems":10,
      "items":{"type":"string","maxLength":10},
      "x-kubernetes-validations":[{"rule":"self.all(a, self.all(b, a.contains(b)))"}]}}})j"),
              IsEmpty());
}

}  // namespace
}  // namespace skiff::api::structural
