#include "api/cel/schema_hint.h"

#include "api/cel/cel.h"
#include "api/cel/eval_test_util.h"
#include "boost/json/parse.hpp"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace skiff::api::cel {
namespace {

using test_util::EvalText;
using Kind = TypeHint::Kind;

// A listener list shaped like the Gateway API's (trimmed), written as a CRD author would.
constexpr const char* kListenersSchema = R"({
  "type": "array", "maxItems": 64,
  "items": {
    "type": "object",
    "required": ["name", "port", "protocol"],
    "properties": {
      "name": {"type": "string", "maxLength": 253},
      "hostname": {"type": "string", "maxLength": 253},
      "port": {"type": "integer", "format": "int32"},
      "protocol": {"type": "string", "maxLength": 255},
      "tls": {"type": "object", "properties": {"mode": {"type": "string", "enum": ["Terminate", "Passthrough"]}}}
    }
  }
})";

TEST(CelSchemaHintTest, Kinds) {
  auto hint = TypeHintFromSchema(boost::json::parse(R"({
    "type": "object",
    "properties": {
      "i": {"type": "integer"}, "n": {"type": "number"}, "b": {"type": "boolean"},
      "s": {"type": "string", "maxLength": 5}, "e": {"type": "string", "enum": ["a", "abcd"]},
      "data": {"type": "string", "format": "byte"}, "at": {"type": "string", "format": "date-time"},
      "every": {"type": "string", "format": "duration"}, "port": {"x-kubernetes-int-or-string": true},
      "labels": {"type": "object", "additionalProperties": {"type": "string"}, "maxProperties": 3},
      "any": {"type": "object", "x-kubernetes-preserve-unknown-fields": true},
      "template": {"type": "object", "x-kubernetes-embedded-resource": true, "x-kubernetes-preserve-unknown-fields": true}
    }
  })"));
  ASSERT_EQ(hint->kind, Kind::kObject);
  auto prop = [&](const char* name) { return hint->properties.at(name); };
  EXPECT_EQ(prop("i")->kind, Kind::kInt);
  EXPECT_EQ(prop("n")->kind, Kind::kDouble);
  EXPECT_EQ(prop("b")->kind, Kind::kBool);
  EXPECT_EQ(prop("s")->max_size, 5);
  EXPECT_EQ(prop("e")->max_size, 4);  // the longest enum value
  EXPECT_EQ(prop("data")->kind, Kind::kBytes);
  EXPECT_EQ(prop("at")->kind, Kind::kTimestamp);
  EXPECT_EQ(prop("every")->kind, Kind::kDuration);
  EXPECT_EQ(prop("port")->kind, Kind::kIntOrString);
  EXPECT_EQ(prop("labels")->kind, Kind::kMap);
  EXPECT_EQ(prop("labels")->element->kind, Kind::kString);
  EXPECT_EQ(prop("labels")->max_size, 3);
  EXPECT_EQ(prop("any")->kind, Kind::kDyn);
  EXPECT_EQ(prop("template")->kind, Kind::kObject);
  EXPECT_TRUE(prop("template")->preserve_unknown_fields);
  EXPECT_EQ(prop("template")->properties.at("metadata")->properties.count("name"), 1u);
}

TEST(CelSchemaHintTest, RulesCheckAgainstTheSchema) {
  auto hint = TypeHintFromSchema(boost::json::parse(kListenersSchema));
  const char* listeners = R"([{"name": "a", "port": 443, "protocol": "HTTPS", "tls": {"mode": "Terminate"}},
                              {"name": "b", "port": 80, "protocol": "HTTP"}])";
  EXPECT_EQ(EvalText("self.all(l, (l.protocol == 'HTTPS' && has(l.tls)) ? (l.tls.mode == '' || l.tls.mode == 'Terminate') : true)",
                     listeners, hint),
            "true");
  EXPECT_EQ(EvalText("self.all(l1, self.exists_one(l2, l1.name == l2.name))", listeners, hint), "true");
  EXPECT_THAT(EvalText("self.all(l, l.protcol == 'HTTP')", listeners, hint),
              ::testing::StartsWith("compile: compilation failed: ERROR: <input>:1:14: undefined field 'protcol'"));
  EXPECT_THAT(EvalText("self.all(l, l.port == 'http')", listeners, hint),
              ::testing::StartsWith("compile: compilation failed: ERROR: <input>:1:20: found no matching overload for "
                                    "'_==_' applied to '(int, string)'"));
  auto program = Compile("self.all(l1, self.exists_one(l2, l1.port == l2.port && l1.protocol == l2.protocol))",
                         {{"self", hint}});
  ASSERT_TRUE(program.ok());
  EXPECT_LT((*program)->estimated_cost(), kStaticEstimatedCostLimit);
  EXPECT_EQ((*program)->result_kind(), StaticKind::kBool);
}

TEST(CelSchemaHintTest, EmbeddedResourceMetadata) {
  auto hint = TypeHintFromSchema(boost::json::parse(
      R"({"type": "object", "x-kubernetes-embedded-resource": true, "x-kubernetes-preserve-unknown-fields": true})"));
  EXPECT_EQ(EvalText("self.kind == 'Pod' && self.metadata.name.startsWith('web-') && self.spec.containers.size() == 1",
                     R"({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "web-1"}, "spec": {"containers": [{}]}})",
                     hint),
            "true");
}

}  // namespace
}  // namespace skiff::api::cel
