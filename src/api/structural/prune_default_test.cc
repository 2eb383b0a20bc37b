#include "api/structural/structural.h"

#include "api/structural/test_util.h"
#include "boost/json/serialize.hpp"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace skiff::api::structural {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;
using testing::MustCompile;

boost::json::value J(std::string_view text) { return boost::json::parse(text); }

constexpr std::string_view kSchema = R"({"type":"object","properties":{
  "spec":{"type":"object","properties":{
    "replicas":{"type":"integer","default":1},
    "mode":{"type":"string","default":"fast"},
    "nullableWithDefault":{"type":"string","nullable":true,"default":"d"},
    "plain":{"type":"string"},
    "nested":{"type":"object","default":{},"properties":{"level":{"type":"integer","default":3}}},
    "items":{"type":"array","items":{"type":"object","properties":{
      "name":{"type":"string"},"weight":{"type":"integer","default":10}}}},
    "strings":{"type":"array","items":{"type":"string","default":"x"}},
    "labels":{"type":"object","additionalProperties":{"type":"string","default":"v"}},
    "free":{"type":"object","x-kubernetes-preserve-unknown-fields":true,
            "properties":{"known":{"type":"object","properties":{"a":{"type":"string"}}}}},
    "template":{"type":"object","x-kubernetes-embedded-resource":true,"properties":{"spec":{"type":"string"}}}}},
  "status":{"type":"object","properties":{"ready":{"type":"boolean"}}}}})";

TEST(PruneTest, DropsUnknownFieldsAndReportsTheirPaths) {
  auto s = MustCompile(kSchema);
  boost::json::value obj = J(R"({"apiVersion":"x/v1","kind":"W","metadata":{"name":"a"},"extra":1,
      "spec":{"plain":"p","bogus":true,"items":[{"name":"a","junk":1}],
              "free":{"anything":{"deep":1},"known":{"a":"x","b":"y"}},
              "template":{"apiVersion":"v1","kind":"Pod","metadata":{"name":"t","notAMetaField":1},"spec":"s","other":2}},
      "status":{"ready":true,"phase":"x"}})");
  EXPECT_THAT(Prune(*s, &obj),
              ElementsAre("extra", "spec.bogus", "spec.free.known.b", "spec.items[0].junk",
                          "spec.template.metadata.notAMetaField", "spec.template.other", "status.phase"));
  EXPECT_EQ(obj, J(R"({"apiVersion":"x/v1","kind":"W","metadata":{"name":"a"},
      "spec":{"plain":"p","items":[{"name":"a"}],"free":{"anything":{"deep":1},"known":{"a":"x"}},
              "template":{"apiVersion":"v1","kind":"Pod","metadata":{"name":"t"},"spec":"s"}},
      "status":{"ready":true}})"));
}

TEST(DefaultTest, FillsObjectsListsAndMaps) {
  auto s = MustCompile(kSchema);
  boost::json::value obj = J(R"({"spec":{"items":[{"name":"a"},{"name":"b","weight":2}],"strings":["a",null],
      "labels":{"a":"1","b":null}}})");
  Default(*s, &obj);
  EXPECT_EQ(obj, J(R"({"spec":{"items":[{"name":"a","weight":10},{"name":"b","weight":2}],"strings":["a","x"],
      "labels":{"a":"1","b":"v"},"replicas":1,"mode":"fast","nullableWithDefault":"d","nested":{"level":3}}})"));
}

TEST(DefaultTest, NullSemantics) {
  auto s = MustCompile(kSchema);
  // A non-nullable null with a default is defaulted; without a default it is removed; a nullable
  // null stays.
  boost::json::value obj = J(R"({"spec":{"replicas":null,"plain":null,"nullableWithDefault":null}})");
  Default(*s, &obj);
  EXPECT_EQ(obj.at("spec").at("replicas"), J("1"));
  EXPECT_FALSE(obj.at("spec").as_object().contains("plain"));
  EXPECT_TRUE(obj.at("spec").at("nullableWithDefault").is_null());
}

TEST(DefaultTest, DoesNotTouchValuesOfTheWrongShape) {
  auto s = MustCompile(kSchema);
  boost::json::value obj = J(R"({"spec":{"items":"not-a-list","nested":5}})");
  Default(*s, &obj);
  EXPECT_EQ(obj.at("spec").at("items"), J(R"("not-a-list")"));
  EXPECT_EQ(obj.at("spec").at("nested"), J("5"));
}

TEST(PatchMetaTest, ListAndMapTypesByPath) {
  auto s = MustCompile(R"({"type":"object","properties":{"spec":{"type":"object","properties":{
      "ports":{"type":"array","x-kubernetes-list-type":"map","x-kubernetes-list-map-keys":["port","protocol"],
               "items":{"type":"object","required":["port","protocol"],"properties":{
                 "port":{"type":"integer"},"protocol":{"type":"string"},
                 "hosts":{"type":"array","x-kubernetes-list-type":"set","items":{"type":"string"}}}}},
      "selector":{"type":"object","x-kubernetes-map-type":"atomic","additionalProperties":{"type":"string"}},
      "args":{"type":"array","items":{"type":"string"}}}}}})");
  std::unique_ptr<PatchMeta> meta = PatchMetaFor(s);
  FieldPatchInfo ports = meta->Lookup({"spec", "ports"});
  EXPECT_EQ(ports.list_type, "map");
  EXPECT_THAT(ports.list_map_keys, ElementsAre("port", "protocol"));
  EXPECT_TRUE(ports.merge);
  EXPECT_EQ(meta->Lookup({"spec", "ports", "hosts"}).list_type, "set");
  EXPECT_TRUE(meta->Lookup({"spec", "selector"}).atomic_map);
  EXPECT_EQ(meta->Lookup({"spec", "args"}).list_type, "");
  EXPECT_FALSE(meta->Lookup({"spec", "args"}).merge);
  EXPECT_EQ(meta->Lookup({"spec", "nope", "deeper"}).list_type, "");
}

TEST(PublishedTest, V3AddsTypeMetaAndUnfoldsIntOrString) {
  auto s = MustCompile(R"({"type":"object","properties":{"spec":{"type":"object","properties":{
      "port":{"x-kubernetes-int-or-string":true},"name":{"type":"string","nullable":true},
      "template":{"type":"object","x-kubernetes-embedded-resource":true,"x-kubernetes-preserve-unknown-fields":true}},
      "oneOf":[{"required":["port"]},{"required":["name"]}]}}})");
  boost::json::value v3 = PublishedV3(*s, "example.com", "v1", "Widget");
  const boost::json::object& props = v3.at("properties").as_object();
  EXPECT_EQ(props.at("apiVersion").at("type"), J(R"("string")"));
  EXPECT_EQ(props.at("metadata").at("allOf"),
            J(R"([{"$ref":"#/components/schemas/io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta"}])"));
  const boost::json::value& spec = props.at("spec");
  EXPECT_EQ(spec.at("properties").at("port").at("anyOf"), J(R"([{"type":"integer"},{"type":"string"}])"));
  EXPECT_EQ(spec.at("properties").at("name").at("nullable"), J("true"));
  EXPECT_EQ(spec.at("oneOf").as_array().size(), 2u);
  const boost::json::value& tmpl = spec.at("properties").at("template");
  EXPECT_EQ(tmpl.at("required"), J(R"(["kind","apiVersion"])"));
  EXPECT_TRUE(tmpl.at("properties").as_object().contains("metadata"));
  EXPECT_EQ(v3.at("x-kubernetes-group-version-kind"),
            J(R"([{"group":"example.com","kind":"Widget","version":"v1"}])"));
}

TEST(PublishedTest, V2DropsWhatV2CannotExpress) {
  auto s = MustCompile(R"({"type":"object","properties":{"spec":{"type":"object","required":["name","count"],
      "properties":{"name":{"type":"string","nullable":true},"count":{"type":"integer","default":1},
      "free":{"type":"object","x-kubernetes-preserve-unknown-fields":true,"properties":{"a":{"type":"string"}}}},
      "anyOf":[{"required":["name"]}]}}})");
  boost::json::value v2 = PublishedV2(*s, "example.com", "v1", "Widget");
  const boost::json::value& spec = v2.at("properties").at("spec");
  EXPECT_FALSE(spec.as_object().contains("anyOf"));
  EXPECT_EQ(spec.at("required"), J(R"(["count"])"));
  EXPECT_FALSE(spec.at("properties").at("name").as_object().contains("type"));
  EXPECT_FALSE(spec.at("properties").at("name").as_object().contains("nullable"));
  EXPECT_FALSE(spec.at("properties").at("count").as_object().contains("default"));
  EXPECT_FALSE(spec.at("properties").at("free").as_object().contains("properties"));
  EXPECT_EQ(v2.at("properties").at("metadata").at("$ref"),
            J(R"("#/definitions/io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta")"));
}

}  // namespace
}  // namespace skiff::api::structural
