#include "apiserver/crd/crd_selectable_fields.h"

#include <string>
#include <vector>

#include "apiserver/crd/crd_resources.h"
#include "apiserver/crd/crd_validation.h"
#include "boost/json.hpp"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace skiff::apiserver::crd {
namespace {

namespace json = boost::json;
using ::testing::ElementsAre;
using ::testing::IsEmpty;

json::value Version(const std::string& selectable_fields) {
  return json::parse(R"({"name":"v1","served":true,"storage":true,"schema":{"openAPIV3Schema":{
    "type":"object","properties":{
      "metadata":{"type":"object","properties":{"name":{"type":"string"}}},
      "spec":{"type":"object","properties":{
        "color":{"type":"string","enum":["red","blue"]},
        "size":{"type":"integer"},
        "on":{"type":"boolean"},
        "ratio":{"type":"number"},
        "when":{"type":"string","format":"date-time"},
        "labels":{"type":"object","additionalProperties":{"type":"string"}},
        "ports":{"type":"array","items":{"type":"object","properties":{"name":{"type":"string"}}}}}}}}},
    "selectableFields":)" + selectable_fields + "}");
}

std::vector<std::string> Errors(const std::string& selectable_fields) {
  std::vector<api::FieldError> errors;
  ValidateSelectableFields(Version(selectable_fields), "spec.versions[0]", errors);
  std::vector<std::string> out;
  for (const auto& e : errors) out.push_back(api::FormatFieldError(e));
  return out;
}

TEST(SelectableFieldsTest, StringIntegerBooleanFieldsAreAccepted) {
  EXPECT_THAT(Errors(R"([{"jsonPath":".spec.color"},{"jsonPath":".spec.size"},{"jsonPath":".spec.on"},
                         {"jsonPath":".spec.when"},{"jsonPath":".spec.labels.app"}])"),
              IsEmpty());
}

TEST(SelectableFieldsTest, RejectsWithKubesMessages) {
  EXPECT_THAT(
      Errors(R"([{"jsonPath":""},{"jsonPath":".spec.ratio"},{"jsonPath":".spec.nope"},{"jsonPath":"spec.size"},
                 {"jsonPath":".spec.ports[0].name"},{"jsonPath":".metadata.name"},{"jsonPath":".spec.size"},
                 {"jsonPath":".spec.size"},{"jsonPath":".spec."}])"),
      ElementsAre(
          "spec.versions[0].selectableFields[0].jsonPath: Required value",
          "spec.versions[0].selectableFields[1].jsonPath: Invalid value: \".spec.ratio\": must point to a field of "
          "type string, boolean or integer. Enum string fields and strings with formats are allowed.",
          "spec.versions[0].selectableFields[2].jsonPath: Invalid value: \".spec.nope\": is an invalid path: does "
          "not refer to a valid field",
          "spec.versions[0].selectableFields[3].jsonPath: Invalid value: \"spec.size\": is an invalid path: "
          "expected [ or . but got: spec",
          "spec.versions[0].selectableFields[4].jsonPath: Invalid value: \".spec.ports[0].name\": is an invalid "
          "path: array notation is not allowed",
          "spec.versions[0].selectableFields[5].jsonPath: Invalid value: \".metadata.name\": must not point to "
          "fields in metadata",
          "spec.versions[0].selectableFields[7].jsonPath: Duplicate value: \".spec.size\"",
          "spec.versions[0].selectableFields[8].jsonPath: Invalid value: \".spec.\": is an invalid path: "
          "unexpected end of JSON path"));
}

TEST(SelectableFieldsTest, AtMostEight) {
  std::string many = "[";
  for (const char* f : {"color", "size", "on", "when", "labels.a", "labels.b", "labels.c", "labels.d", "labels.e"}) {
    if (many.size() > 1) many += ",";
    many += std::string(R"({"jsonPath":".spec.)") + f + "\"}";
  }
  many += "]";
  EXPECT_THAT(Errors(many), ElementsAre("spec.versions[0].selectableFields: Too many: 9: must have at most 8 items"));
}

TEST(SelectableFieldsTest, CrdValidationReportsThem) {
  json::value crd = json::parse(R"({"metadata":{"name":"gadgets.example.com"},"spec":{"group":"example.com",
    "scope":"Namespaced","names":{"plural":"gadgets","kind":"Gadget"},"versions":[]}})");
  crd.as_object()["spec"].as_object()["versions"].as_array().push_back(Version(R"([{"jsonPath":".spec.ratio"}])"));
  DefaultCrd(crd);
  auto errors = ValidateCrd(crd, nullptr);
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_EQ(errors[0].field, "spec.versions[0].selectableFields[0].jsonPath");
}

TEST(SelectableFieldsTest, ServedResourcesCarryThemWithoutTheLeadingDot) {
  json::value crd = json::parse(R"({"metadata":{"name":"gadgets.example.com"},"spec":{"group":"example.com",
    "scope":"Namespaced","names":{"plural":"gadgets","kind":"Gadget"},"versions":[]}})");
  crd.as_object()["spec"].as_object()["versions"].as_array().push_back(
      Version(R"([{"jsonPath":".spec.color"},{"jsonPath":".spec.size"}])"));
  auto served = ServedResources(crd);
  ASSERT_EQ(served.size(), 1u);
  ASSERT_TRUE(served[0].custom);
  EXPECT_THAT(served[0].custom->selectable_fields, ElementsAre("spec.color", "spec.size"));
  EXPECT_TRUE(served[0].custom->patch_meta);
  EXPECT_FALSE(served[0].custom->defaults_on_read);
}

TEST(SelectableFieldsTest, DefaultsOnReadOnlyWhenTheSchemaDeclaresADefault) {
  json::value crd = json::parse(R"({"metadata":{"name":"gadgets.example.com"},"spec":{"group":"example.com",
    "scope":"Namespaced","names":{"plural":"gadgets","kind":"Gadget"},"versions":[
      {"name":"v1","served":true,"storage":true,"schema":{"openAPIV3Schema":{"type":"object","properties":{
        "spec":{"type":"object","properties":{"default":{"type":"string"},
          "list":{"type":"array","items":{"type":"object","properties":{"x":{"type":"integer","default":3}}}}}}}}}}]}})");
  auto served = ServedResources(crd);
  ASSERT_EQ(served.size(), 1u);
  EXPECT_TRUE(served[0].custom->defaults_on_read);
  // a property named "default" is not a default
  crd = json::parse(R"({"metadata":{"name":"gadgets.example.com"},"spec":{"group":"example.com",
    "scope":"Namespaced","names":{"plural":"gadgets","kind":"Gadget"},"versions":[
      {"name":"v1","served":true,"storage":true,"schema":{"openAPIV3Schema":{"type":"object","properties":{
        "spec":{"type":"object","properties":{"default":{"type":"string"}}}}}}}]}})");
  EXPECT_FALSE(ServedResources(crd)[0].custom->defaults_on_read);
}

}  // namespace
}  // namespace skiff::apiserver::crd
