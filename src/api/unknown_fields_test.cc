#include "api/unknown_fields.h"

#include "api/schema_testdata.h"
#include "boost/json/parse.hpp"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace skiff::api {
namespace {

using testdata::TestType;
using ::testing::ElementsAre;
using ::testing::IsEmpty;

const TypeSchema& Deployment() { return TestType("io.k8s.api.apps.v1.Deployment"); }

TEST(UnknownFieldsTest, ReportsPathsInStrictDecodingWording) {
  boost::json::value v = boost::json::parse(R"({
    "apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":"w","bogus":1},
    "spec":{"foo":true,"replicas":1,"template":{"spec":{"containers":[
      {"name":"a"},{"name":"b","imagePullPolicyy":"Always","ports":[{"containerPort":1,"x":2}]}]}}},
    "extra":{}})");
  EXPECT_THAT(FindUnknownFields(Deployment(), v),
              ElementsAre("unknown field \"metadata.bogus\"", "unknown field \"spec.foo\"",
                          "unknown field \"spec.template.spec.containers[1].imagePullPolicyy\"",
                          "unknown field \"spec.template.spec.containers[1].ports[0].x\"",
                          "unknown field \"extra\""));
}

TEST(UnknownFieldsTest, MapsScalarsDirectivesAndOpenTypesAreNotChecked) {
  boost::json::value v = boost::json::parse(R"({
    "metadata":{"labels":{"anything":"goes"},"annotations":{"x":"y"}},
    "spec":{"$setElementOrder/x":[],"template":{"spec":{"nodeSelector":{"k":"v"},
            "overhead":{"cpu":"1"}}}}})");
  EXPECT_THAT(FindUnknownFields(Deployment(), v), IsEmpty());
  // Patch has no fields: an open object.
  EXPECT_THAT(FindUnknownFields(TestType("io.k8s.apimachinery.pkg.apis.meta.v1.Patch"),
                                boost::json::parse(R"({"a":{"b":1}})")),
              IsEmpty());
}

TEST(UnknownFieldsTest, PruneRemovesExactlyTheUnknownFields) {
  boost::json::value v =
      boost::json::parse(R"({"metadata":{"name":"w","bogus":1},"spec":{"foo":true,"replicas":3}})");
  EXPECT_THAT(PruneUnknownFields(Deployment(), v),
              ElementsAre("unknown field \"metadata.bogus\"", "unknown field \"spec.foo\""));
  EXPECT_EQ(v, boost::json::parse(R"({"metadata":{"name":"w"},"spec":{"replicas":3}})"));
  EXPECT_THAT(FindUnknownFields(Deployment(), v), IsEmpty());
}

}  // namespace
}  // namespace skiff::api
