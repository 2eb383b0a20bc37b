#include "api/structural/structural.h"

#include "api/errors.h"
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

TEST(ValidateTest, MultipleOf) {
  auto s = SpecSchema(R"({"type":"object","properties":{"n":{"type":"integer","multipleOf":5},
      "f":{"type":"number","multipleOf":0.5}}})");
  EXPECT_THAT(ValidateErrors(*s, R"({"spec":{"n":10,"f":1.5}})"), IsEmpty());
  EXPECT_THAT(ValidateErrors(*s, R"({"spec":{"n":7}})"),
              ElementsAre("spec.n: Invalid value: 7: spec.n in body should be a multiple of 5"));
  EXPECT_THAT(ValidateErrors(*s, R"({"spec":{"f":1.2}})"),
              ElementsAre("spec.f: Invalid value: 1.2: spec.f in body should be a multiple of 0.5"));
}

TEST(ValidateTest, StringLengthsAndPattern) {
  auto s = SpecSchema(R"({"type":"object","properties":{"code":{"type":"string","minLength":2,"maxLength":4,
      "pattern":"^[a-z]+$"}}})");
  EXPECT_THAT(ValidateErrors(*s, R"({"spec":{"code":"abc"}})"), IsEmpty());
  EXPECT_THAT(ValidateErrors(*s, R"({"spec":{"code":"abcdef"}})"),
              ElementsAre("spec.code: Too long: may not be more than 4 bytes"));
  EXPECT_THAT(ValidateErrors(*s, R"({"spec":{"code":"a"}})"),
              ElementsAre("spec.code: Invalid value: \"a\": spec.code in body should be at least 2 chars long"));
  EXPECT_THAT(ValidateErrors(*s, R"({"spec":{"code":"A1"}})"),
              ElementsAre("spec.code: Invalid value: \"A1\": spec.code in body should match '^[a-z]+$'"));
  // Lengths count characters (runes), not bytes.
  EXPECT_THAT(ValidateErrors(*s, R"({"spec":{"code":"ééé"}})"),
              ElementsAre("spec.code: Invalid value: \"ééé\": spec.code in body should match '^[a-z]+$'"));
}

TEST(ValidateTest, Formats) {
  auto s = SpecSchema(R"({"type":"object","properties":{
      "id":{"type":"string","format":"uuid"},
      "when":{"type":"string","format":"date-time"},
      "day":{"type":"string","format":"date"},
      "addr":{"type":"string","format":"ipv4"},
      "addr6":{"type":"string","format":"ipv6"},
      "net":{"type":"string","format":"cidr"},
      "mail":{"type":"string","format":"email"},
      "host":{"type":"string","format":"hostname"},
      "data":{"type":"string","format":"byte"},
      "other":{"type":"string","format":"no-such-format"},
      "small":{"type":"integer","format":"int32"}}})");
  EXPECT_THAT(ValidateErrors(*s, R"({"spec":{"id":"123e4567-e89b-12d3-a456-426614174000",
      "when":"2024-01-02T03:04:05Z","day":"2024-02-29","addr":"10.0.0.1","addr6":"fe80::1","net":"10.0.0.0/8",
      "mail":"a@example.com","host":"example.com","data":"aGVsbG8=","other":"anything","small":5}})"),
              IsEmpty());
  EXPECT_THAT(ValidateErrors(*s, R"({"spec":{"id":"nope"}})"),
              ElementsAre("spec.id: Invalid value: \"nope\": spec.id in body must be of type uuid: \"nope\""));
  EXPECT_THAT(ValidateErrors(*s, R"({"spec":{"when":"yesterday"}})"),
              ElementsAre("spec.when: Invalid value: \"yesterday\": spec.when in body must be of type date-time: "
                          "\"yesterday\""));
  EXPECT_THAT(ValidateErrors(*s, R"({"spec":{"day":"2023-02-29"}})"),
              ElementsAre("spec.day: Invalid value: \"2023-02-29\": spec.day in body must be of type date: "
                          "\"2023-02-29\""));
  EXPECT_THAT(ValidateErrors(*s, R"({"spec":{"addr":"10.0.0.256"}})"),
              ElementsAre("spec.addr: Invalid value: \"10.0.0.256\": spec.addr in body must be of type ipv4: "
                          "\"10.0.0.256\""));
  EXPECT_THAT(ValidateErrors(*s, R"({"spec":{"net":"10.0.0.0"}})"),
              ElementsAre("spec.net: Invalid value: \"10.0.0.0\": spec.net in body must be of type cidr: "
                          "\"10.0.0.0\""));
  EXPECT_THAT(ValidateErrors(*s, R"({"spec":{"data":"###"}})"),
              ElementsAre("spec.data: Invalid value: \"###\": spec.data in body must be of type byte: \"###\""));
}

TEST(ValidateTest, ArrayBounds) {
  auto s = SpecSchema(R"({"type":"object","properties":{"tags":{"type":"array","minItems":2,"maxItems":3,
      "items":{"type":"string","maxLength":3}}}})");
  EXPECT_THAT(ValidateErrors(*s, R"({"spec":{"tags":["a","b"]}})"), IsEmpty());
  EXPECT_THAT(ValidateErrors(*s, R"({"spec":{"tags":["a"]}})"),
              ElementsAre("spec.tags: Invalid value: 1: spec.tags in body should have at least 2 items"));
  EXPECT_THAT(ValidateErrors(*s, R"({"spec":{"tags":["a","b","c","d"]}})"),
              ElementsAre("spec.tags: Too many: 4: must have at most 3 items"));
  EXPECT_THAT(ValidateErrors(*s, R"({"spec":{"tags":["a","long"]}})"),
              ElementsAre("spec.tags[1]: Too long: may not be more than 3 bytes"));
  EXPECT_THAT(ValidateErrors(*s, R"({"spec":{"tags":"a"}})"),
              ElementsAre("spec.tags: Invalid value: \"string\": spec.tags in body must be of type array: \"string\""));
}

TEST(ValidateTest, ObjectPropertiesRequiredAndMaps) {
  auto s = SpecSchema(R"({"type":"object","required":["name"],"properties":{"name":{"type":"string"},
      "labels":{"type":"object","minProperties":1,"maxProperties":2,"additionalProperties":{"type":"string"}},
      "closed":{"type":"object","additionalProperties":false}}})");
  EXPECT_THAT(ValidateErrors(*s, R"({"spec":{"name":"a","labels":{"x":"y"}}})"), IsEmpty());
  EXPECT_THAT(ValidateErrors(*s, R"({"spec":{}})"), ElementsAre("spec.name: Required value"));
  EXPECT_THAT(ValidateErrors(*s, R"({"spec":{"name":"a","labels":{}}})"),
              ElementsAre("spec.labels: Invalid value: 0: spec.labels in body should have at least 1 properties"));
  EXPECT_THAT(ValidateErrors(*s, R"({"spec":{"name":"a","labels":{"a":"1","b":"2","c":"3"}}})"),
              ElementsAre("spec.labels: Too many: 3: must have at most 2 items"));
  EXPECT_THAT(ValidateErrors(*s, R"({"spec":{"name":"a","labels":{"a":1}}})"),
              ElementsAre("spec.labels.a: Invalid value: \"integer\": spec.labels.a in body must be of type string: "
                          "\"integer\""));
  EXPECT_THAT(ValidateErrors(*s, R"({"spec":{"name":"a","closed":{"x":1}}})"),
              ElementsAre("spec.closed: Invalid value: \"x\": spec.closed.x in body is a forbidden property"));
}

TEST(ValidateTest, Nullable) {
  auto s = SpecSchema(R"({"type":"object","properties":{"maybe":{"type":"string","nullable":true},
      "list":{"type":"array","items":{"type":"string"}}}})");
  EXPECT_THAT(ValidateErrors(*s, R"({"spec":{"maybe":null}})"), IsEmpty());
  EXPECT_THAT(ValidateErrors(*s, R"({"spec":{"list":["a",null]}})"),
              ElementsAre("spec.list[1]: Invalid value: \"null\": spec.list[1] in body must be of type string: "
                          "\"null\""));
}

TEST(ValidateTest, IntOrString) {
  auto s = SpecSchema(R"({"type":"object","properties":{"port":{"x-kubernetes-int-or-string":true}}})");
  EXPECT_THAT(ValidateErrors(*s, R"({"spec":{"port":80}})"), IsEmpty());
  EXPECT_THAT(ValidateErrors(*s, R"({"spec":{"port":"http"}})"), IsEmpty());
  EXPECT_THAT(ValidateErrors(*s, R"({"spec":{"port":true}})"),
              ElementsAre("spec.port: Invalid value: \"boolean\": spec.port in body must be of type integer,string: "
                          "\"boolean\""));
}

TEST(ValidateTest, Junctors) {
  auto s = SpecSchema(R"({"type":"object","properties":{
      "one":{"type":"object","properties":{"a":{"type":"string"},"b":{"type":"string"}},
             "oneOf":[{"required":["a"]},{"required":["b"]}]},
      "any":{"type":"integer","anyOf":[{"minimum":10},{"maximum":0}]},
      "all":{"type":"string","allOf":[{"minLength":2},{"maxLength":3}]},
      "not":{"type":"string","not":{"enum":["forbidden"]}}}})");
  EXPECT_THAT(ValidateErrors(*s, R"({"spec":{"one":{"a":"x"},"any":11,"all":"ab","not":"fine"}})"), IsEmpty());
  EXPECT_THAT(ValidateErrors(*s, R"({"spec":{"one":{"a":"x","b":"y"}}})"),
              ElementsAre("<nil>: Invalid value: \"\": \"spec.one\" must validate one and only one schema (oneOf). "
                          "Found 2 valid alternatives"));
  EXPECT_THAT(ValidateErrors(*s, R"({"spec":{"one":{}}})"),
              ElementsAre("<nil>: Invalid value: \"\": \"spec.one\" must validate one and only one schema (oneOf). "
                          "Found none valid",
                          "spec.one.a: Required value"));
  EXPECT_THAT(ValidateErrors(*s, R"({"spec":{"any":5}})"),
              ElementsAre("<nil>: Invalid value: \"\": \"spec.any\" must validate at least one schema (anyOf)",
                          "spec.any: Invalid value: 5: spec.any in body should be greater than or equal to 10"));
  EXPECT_THAT(ValidateErrors(*s, R"({"spec":{"all":"a"}})"),
              ElementsAre("spec.all: Invalid value: \"a\": spec.all in body should be at least 2 chars long",
                          "<nil>: Invalid value: \"\": \"spec.all\" must validate all the schemas (allOf)"));
  EXPECT_THAT(ValidateErrors(*s, R"({"spec":{"not":"forbidden"}})"),
              ElementsAre("<nil>: Invalid value: \"\": \"spec.not\" must not validate the schema (not)"));
}

TEST(ValidateTest, ListTypeSetAndMap) {
  auto s = SpecSchema(R"({"type":"object","properties":{
      "set":{"type":"array","x-kubernetes-list-type":"set","items":{"type":"string"}},
      "ports":{"type":"array","x-kubernetes-list-type":"map","x-kubernetes-list-map-keys":["port","protocol"],
               "items":{"type":"object","required":["port","protocol"],
                        "properties":{"port":{"type":"integer"},"protocol":{"type":"string"}}}},
      "byName":{"type":"array","x-kubernetes-list-type":"map","x-kubernetes-list-map-keys":["name"],
               "items":{"type":"object","required":["name"],"properties":{"name":{"type":"string"}}}}}})");
  EXPECT_THAT(ValidateErrors(*s, R"({"spec":{"set":["a","b"],"ports":[{"port":80,"protocol":"TCP"},
      {"port":80,"protocol":"UDP"}]}})"), IsEmpty());
  EXPECT_THAT(ValidateErrors(*s, R"({"spec":{"set":["a","b","a","a"]}})"),
              ElementsAre("spec.set[2]: Duplicate value: \"a\""));
  EXPECT_THAT(ValidateErrors(*s, R"({"spec":{"ports":[{"port":80,"protocol":"TCP"},{"protocol":"TCP","port":80}]}})"),
              ElementsAre("spec.ports[1]: Duplicate value: {\"port\":80,\"protocol\":\"TCP\"}"));
  EXPECT_THAT(ValidateErrors(*s, R"({"spec":{"byName":[{"name":"a"},{"name":"a"}]}})"),
              ElementsAre("spec.byName[1]: Duplicate value: {\"name\":\"a\"}"));
}

TEST(ValidateTest, EmbeddedResource) {
  auto s = SpecSchema(R"({"type":"object","properties":{"template":{"type":"object",
      "x-kubernetes-embedded-resource":true,"x-kubernetes-preserve-unknown-fields":true}}})");
  EXPECT_THAT(ValidateErrors(*s, R"({"spec":{"template":{"apiVersion":"v1","kind":"Pod",
      "metadata":{"name":"x","labels":{"a":"b"}}}}})"), IsEmpty());
  EXPECT_THAT(ValidateErrors(*s, R"({"spec":{"template":{}}})"),
              ElementsAre("spec.template.apiVersion: Required value", "spec.template.kind: Required value"));
  EXPECT_THAT(ValidateErrors(*s, R"({"spec":{"template":{"apiVersion":"a/b/c","kind":"a b",
      "metadata":{"name":"x/y","labels":{"bad key!":"v"}}}}})"),
              ElementsAre("spec.template.apiVersion: Invalid value: \"a/b/c\": unexpected GroupVersion string: a/b/c",
                          "spec.template.kind: Invalid value: \"a b\": may have mixed case, but should otherwise "
                          "match: a DNS-1035 label must consist of lower case alphanumeric characters or '-', start "
                          "with an alphabetic character, and end with an alphanumeric character (e.g. 'my-name',  or "
                          "'abc-123', regex used for validation is '[a-z]([-a-z0-9]*[a-z0-9])?')",
                          ::testing::StartsWith("spec.template.metadata.labels: Invalid value: \"bad key!\""),
                          "spec.template.metadata.name: Invalid value: \"x/y\": may not contain '/'"));
}

TEST(ValidateTest, BasePathForAPart) {
  auto root = SpecSchema(R"({"type":"object","properties":{"replicas":{"type":"integer","maximum":3}}})");
  const Schema* spec = root->Property("spec");
  ASSERT_NE(spec, nullptr);
  EXPECT_THAT(testing::Format(Validate(*spec, boost::json::parse(R"({"replicas":4})"), nullptr, "spec")),
              ElementsAre("spec.replicas: Invalid value: 4: replicas in body should be less than or equal to 3"));
}

TEST(ValidateTest, StatusCarries422) {
  auto s = SpecSchema(R"({"type":"object","properties":{"replicas":{"type":"integer"}}})");
  std::vector<FieldError> errors = Validate(*s, boost::json::parse(R"({"spec":{"replicas":"x"}})"), nullptr);
  absl::Status status = InvalidCustomResourceStatus("example.com", "Widget", "w", errors);
  EXPECT_EQ(HttpCode(status), 422);
  EXPECT_EQ(status.message(),
            "Widget.example.com \"w\" is invalid: spec.replicas: Invalid value: \"string\": spec.replicas in body "
            "must be of type integer: \"string\"");
}

std::vector<std::string> UpdateErrors(const Schema& s, std::string_view new_json, std::string_view old_json) {
  boost::json::value old = boost::json::parse(old_json);
  return testing::Format(Validate(s, boost::json::parse(new_json), &old));
}

TEST(ValidateTest, RatchetsUnchangedInvalidValues) {
  auto s = SpecSchema(R"({"type":"object","properties":{"replicas":{"type":"integer","maximum":3},
      "name":{"type":"string","maxLength":3},
      "ports":{"type":"array","x-kubernetes-list-type":"map","x-kubernetes-list-map-keys":["name"],
               "items":{"type":"object","required":["name"],"properties":{"name":{"type":"string"},
                        "port":{"type":"integer","maximum":100}}}},
      "tags":{"type":"array","items":{"type":"string","maxLength":2}}}})");
  // replicas was already 5 (stored under an older schema): changing another field is fine.
  EXPECT_THAT(UpdateErrors(*s, R"({"spec":{"replicas":5,"name":"ab"}})", R"({"spec":{"replicas":5,"name":"a"}})"),
              IsEmpty());
  // Changing the invalid value itself is checked.
  EXPECT_THAT(UpdateErrors(*s, R"({"spec":{"replicas":6}})", R"({"spec":{"replicas":5}})"),
              ElementsAre("spec.replicas: Invalid value: 6: spec.replicas in body should be less than or equal to 3"));
  // Map-list items correlate by key, even when reordered.
  EXPECT_THAT(UpdateErrors(*s, R"({"spec":{"ports":[{"name":"b","port":1},{"name":"a","port":500}]}})",
                           R"({"spec":{"ports":[{"name":"a","port":500}]}})"),
              IsEmpty());
  // Items of other lists do not correlate: the changed list is validated whole.
  EXPECT_THAT(UpdateErrors(*s, R"({"spec":{"tags":["long","b"]}})", R"({"spec":{"tags":["long"]}})"),
              ElementsAre("spec.tags[0]: Too long: may not be more than 2 bytes"));
  // Creates are not ratcheted.
  EXPECT_THAT(ValidateErrors(*s, R"({"spec":{"replicas":5}})"), ::testing::SizeIs(1));
}

TEST(ValidateTest, ListUniquenessOnlyEnforcedIfTheStoredObjectMetIt) {
  auto s = SpecSchema(R"({"type":"object","properties":{
      "set":{"type":"array","x-kubernetes-list-type":"set","items":{"type":"string"}}}})");
  EXPECT_THAT(UpdateErrors(*s, R"({"spec":{"set":["a","a","b"]}})", R"({"spec":{"set":["a","a"]}})"), IsEmpty());
  EXPECT_THAT(UpdateErrors(*s, R"({"spec":{"set":["a","a"]}})", R"({"spec":{"set":["a"]}})"),
              ElementsAre("spec.set[1]: Duplicate value: \"a\""));
}

}  // namespace
}  // namespace skiff::api::structural
