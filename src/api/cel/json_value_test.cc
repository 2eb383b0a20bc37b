// How JSON reaches rules: numbers, strings and objects typed by the schema hint, and Kubernetes'
// escaping of property names.
#include <memory>

#include "api/cel/cel.h"
#include "api/cel/eval_test_util.h"
#include "boost/json/parse.hpp"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace skiff::api::cel {
namespace {

using test_util::EvalText;
using Kind = TypeHint::Kind;

std::shared_ptr<const TypeHint> Object(std::initializer_list<std::pair<const char*, std::shared_ptr<const TypeHint>>> props,
                                       bool preserve_unknown = false) {
  auto hint = std::make_shared<TypeHint>();
  hint->kind = Kind::kObject;
  for (const auto& [name, child] : props) hint->properties[name] = child;
  hint->preserve_unknown_fields = preserve_unknown;
  return hint;
}

std::shared_ptr<const TypeHint> Container(Kind kind, std::shared_ptr<const TypeHint> element) {
  auto hint = std::make_shared<TypeHint>();
  hint->kind = kind;
  hint->element = std::move(element);
  return hint;
}

TEST(CelJsonTest, NumbersFollowTheSchemaType) {
  // Without a hint JSON integers are ints and the rest doubles.
  EXPECT_EQ(EvalText("type(self.a) == int && type(self.b) == double", R"({"a": 1, "b": 1.5})"), "true");
  // type: number turns 1 into 1.0; type: integer turns 2.0 into 2.
  auto hint = Object({{"n", TypeHint::Of(Kind::kDouble)}, {"i", TypeHint::Of(Kind::kInt)}});
  EXPECT_EQ(EvalText("type(self.n) == double && type(self.i) == int && self.i + 1 == 3", R"({"n": 1, "i": 2.0})", hint), "true");
  EXPECT_EQ(EvalText("self.n + 1.0", R"({"n": 1})", hint), "2");
  EXPECT_THAT(EvalText("self.n + 1", R"({"n": 1})", hint),
              ::testing::StartsWith("compile: compilation failed: ERROR: <input>:1:8: found no matching overload for "
                                    "'_+_' applied to '(double, int)'"));
}

TEST(CelJsonTest, IntOrStringAndFormattedStrings) {
  auto hint = Object({{"port", TypeHint::Of(Kind::kIntOrString)},
                      {"at", TypeHint::Of(Kind::kTimestamp)},
                      {"day", TypeHint::Of(Kind::kTimestamp)},
                      {"every", TypeHint::Of(Kind::kDuration)},
                      {"data", TypeHint::Of(Kind::kBytes)}});
  EXPECT_EQ(EvalText("type(self.port) == int", R"({"port": 80})", hint), "true");
  EXPECT_EQ(EvalText("type(self.port) == string", R"({"port": "http"})", hint), "true");
  EXPECT_EQ(EvalText("self.at.getFullYear()", R"({"at": "2024-02-03T04:05:06Z"})", hint), "2024");
  EXPECT_EQ(EvalText("self.day.getDate()", R"({"day": "2024-02-03"})", hint), "3");
  EXPECT_EQ(EvalText("self.every > duration('1m')", R"({"every": "90s"})", hint), "true");
  EXPECT_EQ(EvalText("self.data == b'hi'", R"({"data": "aGk="})", hint), "true");
}

TEST(CelJsonTest, DeclaredObjectsUseEscapedPropertyNames) {
  auto hint = Object({{"namespace", TypeHint::Of(Kind::kString)},
                      {"x-y", TypeHint::Of(Kind::kString)},
                      {"a.b", TypeHint::Of(Kind::kString)},
                      {"c/d", TypeHint::Of(Kind::kString)},
                      {"e__f", TypeHint::Of(Kind::kString)},
                      {"1bad", TypeHint::Of(Kind::kString)}});
  const char* self = R"({"namespace": "ns", "x-y": "1", "a.b": "2", "c/d": "3", "e__f": "4", "1bad": "5", "pruned": 1})";
  EXPECT_EQ(EvalText("self.__namespace__ + self.x__dash__y + self.a__dot__b + self.c__slash__d + self.e__underscores__f",
                     self, hint),
            "\"ns1234\"");
  // A field the schema does not declare does not exist for rules.
  EXPECT_THAT(EvalText("has(self.pruned)", self, hint),
              ::testing::StartsWith("compile: compilation failed: ERROR: <input>:1:9: undefined field 'pruned'"));
  EXPECT_EQ(EvalText("'pruned' in self", self, hint), "false");
  EXPECT_EQ(EvalText("self.size()", self, hint), "5");  // "1bad" has no CEL name
  EXPECT_EQ(EvalText("type(self) == map", self, hint), "false");
  // Undeclared fields stay when the schema preserves unknown fields.
  EXPECT_EQ(EvalText("self.extra", R"({"extra": 7})", Object({}, true)), "7");
  EXPECT_EQ(EscapePropertyName("in"), "__in__");
  EXPECT_EQ(EscapePropertyName("a b"), "");
}

TEST(CelJsonTest, MapsKeepTheirKeysAndTypeTheirValues) {
  auto hint = Container(Kind::kMap, TypeHint::Of(Kind::kDouble));
  EXPECT_EQ(EvalText("self['x-y'] + self['a.b']", R"({"x-y": 1, "a.b": 2})", hint), "3");
  EXPECT_EQ(EvalText("type(self) == map", "{}", hint), "true");
  auto list = Container(Kind::kList, Object({{"n", TypeHint::Of(Kind::kDouble)}}));
  EXPECT_EQ(EvalText("self.map(x, x.n)", R"([{"n": 1}, {"n": 2}])", list), "[1, 2]");
  EXPECT_EQ(EvalText("self.all(x, type(x.n) == double)", R"([{"n": 1}])", list), "true");
}

TEST(CelJsonTest, DeepJsonIsRefusedNotACrash) {
  std::string deep(1500, '[');
  deep += std::string(1500, ']');
  boost::json::parse_options options;
  options.max_depth = 5000;
  boost::json::value v = boost::json::parse(deep, {}, options);
  EXPECT_EQ(ValueFromJson(v, nullptr).status().message(), "value nesting too deep");
}

}  // namespace
}  // namespace skiff::api::cel
