#include "api/structural/structural.h"

#include "api/structural/test_util.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace skiff::api::structural {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;
using testing::SpecSchema;
using testing::ValidateErrors;

TEST(ValidateTest, IntegerBounds) {
  auto s = SpecSchema(R"({"type":"object","properties":{"replicas":{"type":"integer","minimum":1,"maximum":10}}})");
  EXPECT_THAT(ValidateErrors(*s, R"({"spec":{"replicas":5}})"), IsEmpty());
  EXPECT_THAT(ValidateErrors(*s, R"({"spec":{"replicas":11}})"),
              ElementsAre("spec.replicas: Invalid value: 11: spec.replicas in body should be less than or equal to 10"));
  EXPECT_THAT(ValidateErrors(*s, R"({"spec":{"replicas":0}})"),
              ElementsAre("spec.replicas: Invalid value: 0: spec.replicas in body should be greater than or equal to 1"));
}

TEST(ValidateTest, ExclusiveBoundsAndFloats) {
  auto s = SpecSchema(R"({"type":"object","properties":{"ratio":{"type":"number","minimum":0,"exclusiveMinimum":true,
      "maximum":1.5,"exclusiveMaximum":true}}})");
  EXPECT_THAT(ValidateErrors(*s, R"({"spec":{"ratio":0.5}})"), IsEmpty());
  EXPECT_THAT(ValidateErrors(*s, R"({"spec":{"ratio":0}})"),
              ElementsAre("spec.ratio: Invalid value: 0: spec.ratio in body should be greater than 0"));
  EXPECT_THAT(ValidateErrors(*s, R"({"spec":{"ratio":1.5}})"),
              ElementsAre("spec.ratio: Invalid value: 1.5: spec.ratio in body should be less than 1.5"));
}

TEST(ValidateTest, TypeMismatch) {
  auto s = SpecSchema(R"({"type":"object","properties":{"replicas":{"type":"integer"},"name":{"type":"string"}}})");
  EXPECT_THAT(ValidateErrors(*s, R"({"spec":{"replicas":"three"}})"),
              ElementsAre("spec.replicas: Invalid value: \"string\": spec.replicas in body must be of type integer: "
                          "\"string\""));
  EXPECT_THAT(ValidateErrors(*s, R"({"spec":{"replicas":1.5}})"),
              ElementsAre("spec.replicas: Invalid value: \"number\": spec.replicas in body must be of type integer: "
                          "\"number\""));
  EXPECT_THAT(ValidateErrors(*s, R"({"spec":{"replicas":2.0}})"), IsEmpty());
  EXPECT_THAT(ValidateErrors(*s, R"({"spec":{"name":null}})"),
              ElementsAre("spec.name: Invalid value: \"null\": spec.name in body must be of type string: \"null\""));
}

TEST(ValidateTest, Enum) {
  auto s = SpecSchema(R"({"type":"object","properties":{"color":{"type":"string","enum":["red","blue"]},
      "size":{"type":"integer","enum":[1,2]}}})");
  EXPECT_THAT(ValidateErrors(*s, R"({"spec":{"color":"red","size":2}})"), IsEmpty());
  EXPECT_THAT(ValidateErrors(*s, R"({"spec":{"color":"pink"}})"),
              ElementsAre("spec.color: Unsupported value: \"pink\": supported values: \"red\", \"blue\""));
  EXPECT_THAT(ValidateErrors(*s, R"({"spec":{"size":3}})"),
              ElementsAre("spec.size: Unsupported value: 3: supported values: \"1\", \"2\""));
}

}  // namespace
}  // namespace skiff::api::structural
