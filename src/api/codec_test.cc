#include "api/codec.h"

#include <string>

#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "boost/json/parse.hpp"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace skiff::api {
namespace {

using ::testing::HasSubstr;

boost::json::value Json(const char* text) { return boost::json::parse(text); }

boost::json::value Yaml(std::string_view text) {
  absl::StatusOr<boost::json::value> v = YamlToJson(text);
  EXPECT_TRUE(v.ok()) << v.status();
  return v.ok() ? *v : boost::json::value();
}

std::string YamlError(std::string_view text) {
  absl::StatusOr<boost::json::value> v = YamlToJson(text);
  if (v.ok()) return "OK";
  EXPECT_EQ(v.status().code(), absl::StatusCode::kInvalidArgument) << v.status();
  return std::string(v.status().message());
}

// The Kubernetes CVE-2019-11253 document: 9^9 "lol"s from a few hundred bytes.
std::string BillionLaughs() {
  std::string doc = "a: &a [\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\"]\n";
  for (char c = 'b'; c <= 'i'; ++c) {
    std::string prev(1, static_cast<char>(c - 1));
    doc += std::string(1, c) + ": &" + c + " [";
    for (int i = 0; i < 9; ++i) doc += (i ? ",*" : "*") + prev;
    doc += "]\n";
  }
  return doc;
}

TEST(YamlToJsonTest, ResolvesPlainScalarsByTheCoreSchema) {
  EXPECT_EQ(Yaml("a: 5\nb: -7\nc: +3\nd: 1.5\ne: .5\nf: 5.\ng: 1e3\nh: -2.5E-2\n"),
            Json(R"({"a":5,"b":-7,"c":3,"d":1.5,"e":0.5,"f":5.0,"g":1000.0,"h":-0.025})"));
  EXPECT_EQ(Yaml("a: true\nb: False\nc: ~\nd: null\ne:\nf: 'true'\ng: \"5\"\nh: !!str 7\n"),
            Json(R"({"a":true,"b":false,"c":null,"d":null,"e":null,"f":"true","g":"5","h":"7"})"));
  EXPECT_EQ(Yaml("[1.2.3, 1e, e5, ., +, -, 0x1F, 12abc, 1_000]"),
            Json(R"(["1.2.3","1e","e5",".","+","-","0x1F","12abc","1_000"])"));
}

TEST(YamlToJsonTest, NumbersOutOfRangeStayStrings) {
  EXPECT_EQ(Yaml("a: 18446744073709551615\nb: 1e400\nc: -1e400\nd: 99999999999999999999\n"),
            Json(R"({"a":18446744073709551615,"b":"1e400","c":"-1e400","d":1e20})"));
}

TEST(YamlToJsonTest, HugeNumericScalarIsLinearAndStaysAString) {
  // std::regex recursed once per character here and overflowed the stack.
  std::string digits(30000, '7');
  boost::json::value v = Yaml("spec:\n  replicas: " + digits + "\n");
  ASSERT_TRUE(v.at("spec").at("replicas").is_string());
  EXPECT_EQ(v.at("spec").at("replicas").get_string(), digits);
  std::string fraction = "0." + std::string(200000, '1') + "e5";
  EXPECT_TRUE(Yaml("x: " + fraction).at("x").is_double());
}

TEST(YamlToJsonTest, ExpandsOrdinaryAliases) {
  EXPECT_EQ(Yaml("base: &b {image: nginx, ports: [80, 443]}\ncopy: *b\nname: &n web\nalso: *n\n"),
            Json(R"({"base":{"image":"nginx","ports":[80,443]},"copy":{"image":"nginx","ports":[80,443]},)"
                 R"("name":"web","also":"web"})"));
  // An alias of a scalar may be a map key.
  EXPECT_EQ(Yaml("- &k app\n- {*k : web}\n"), Json(R"(["app",{"app":"web"}])"));
}

TEST(YamlToJsonTest, RejectsBillionLaughsQuickly) {
  std::string bomb = BillionLaughs();
  ASSERT_LT(bomb.size(), 1000u);
  absl::Time start = absl::Now();
  EXPECT_THAT(YamlError(bomb), HasSubstr("excessive aliasing"));
  EXPECT_LT(absl::Now() - start, absl::Seconds(2));
}

TEST(YamlToJsonTest, RejectsWideAliasFanOutOfALargeAnchor) {
  // One 100 KB anchor referenced 100 times: 10 MB of copies from a 100 KB document.
  std::string doc = "a: &a \"" + std::string(100000, 'x') + "\"\nb: [";
  for (int i = 0; i < 100; ++i) doc += i ? ",*a" : "*a";
  doc += "]\n";
  EXPECT_THAT(YamlError(doc), HasSubstr("excessive aliasing"));
}

TEST(YamlToJsonTest, RejectsAnAliasInsideItsOwnAnchor) {
  EXPECT_THAT(YamlError("a: &a [1, *a]\n"), HasSubstr("alias"));
  EXPECT_THAT(YamlError("a: &a {b: *a}\n"), HasSubstr("alias"));
}

TEST(YamlToJsonTest, BoundsNesting) {
  std::string ok_flow = std::string(200, '[') + std::string(200, ']');
  EXPECT_TRUE(YamlToJson(ok_flow).ok());
  EXPECT_THAT(YamlError(std::string(300, '[') + std::string(300, ']')), HasSubstr("nested too deeply"));
  // Alias expansion must not deepen the document past the limit either.
  std::string deep_anchor = "a: &a " + std::string(200, '[') + std::string(200, ']') + "\nb: " +
                            std::string(100, '[') + "*a" + std::string(100, ']') + "\n";
  EXPECT_THAT(YamlError(deep_anchor), HasSubstr("nested too deeply"));
}

TEST(YamlToJsonTest, DeeplyNestedInputDoesNotOverflowTheParser) {
  // Unterminated and terminated, flow and block: yaml-cpp's parser recurses per level.
  for (const std::string& doc :
       {std::string(100000, '['), std::string(100000, '{'), std::string(100000, '[') + std::string(100000, ']'),
        [] {
          std::string s;
          for (int i = 0; i < 100000; ++i) s += "- ";
          return s + "x\n";
        }(),
        [] {
          std::string s;
          for (int i = 0; i < 2100; ++i) s += std::string(i, ' ') + "k:\n";
          return s;
        }()}) {
    absl::StatusOr<boost::json::value> v = YamlToJson(doc);
    EXPECT_FALSE(v.ok()) << doc.substr(0, 40);
    EXPECT_EQ(v.status().code(), absl::StatusCode::kInvalidArgument);
  }
}

TEST(YamlToJsonTest, RejectsOversizedInputBeforeParsing) {
  std::string big = "a: \"" + std::string(3 * 1024 * 1024, 'x') + "\"\n";
  EXPECT_THAT(YamlError(big), HasSubstr("limit"));
  std::string fits = "a: \"" + std::string(2 * 1024 * 1024, 'x') + "\"\n";
  EXPECT_TRUE(YamlToJson(fits).ok());
}

TEST(YamlToJsonTest, RefusesInputThatYamlCppWouldTokenizeWhole) {
  // yaml-cpp queues every token of a flow collection at a key position (or of a long line) before
  // parsing: these took 300-800 MB each.
  size_t n = 3 * 1024 * 1024 - 16;
  auto repeat = [n](std::string_view unit) {
    std::string s;
    while (s.size() + unit.size() <= n) s += unit;
    return s;
  };
  for (const std::string& doc : {std::string(n, '['), std::string(n, '{'), "[" + repeat("a,"),
                                 "[" + repeat("a,") + "]", "{" + repeat("a: b,"), repeat("&a "), repeat("!t "),
                                 repeat("\"a\" ")}) {
    absl::Time start = absl::Now();
    EXPECT_THAT(YamlError(doc), HasSubstr("too complex")) << doc.substr(0, 20);
    EXPECT_LT(absl::Now() - start, absl::Seconds(3));
  }
}

TEST(YamlToJsonTest, LargeOrdinaryDocumentsStillParse) {
  // 2 MB block style, a 2 MB flow list in value position, a 400 KB JSON file in a block scalar.
  std::string block = "items:\n";
  while (block.size() < 2 * 1024 * 1024) block += "- {name: item, value: \"x\", n: 1}\n";
  EXPECT_TRUE(YamlToJson(block).ok());
  std::string flow = "a: [";
  while (flow.size() < 2 * 1024 * 1024) flow += "1, ";
  EXPECT_TRUE(YamlToJson(flow + "2]\n").ok());
  std::string json_file = "data:\n  dashboard.json: |\n";
  while (json_file.size() < 400 * 1024) json_file += "    {\"panel\": {\"id\": 1, \"title\": \"cpu\"}, \"w\": [1, 2]},\n";
  absl::StatusOr<boost::json::value> v = YamlToJson(json_file);
  ASSERT_TRUE(v.ok()) << v.status();
  EXPECT_GT(v->at("data").at("dashboard.json").get_string().size(), 350u * 1024);
}

TEST(YamlToJsonTest, RejectsScalarsThatAreNotUtf8) {
  EXPECT_THAT(YamlError("a: \xda\x9e\xdf\xa4\xce\xd3\n"), HasSubstr("not valid UTF-8"));
  EXPECT_THAT(YamlError("\xff: b\n"), HasSubstr("not valid UTF-8"));
  EXPECT_THAT(YamlError("a: \"\\uD800\"\n"), HasSubstr("invalid unicode"));  // yaml-cpp checks escapes
  EXPECT_EQ(Yaml("a: \"\\u00e9\\U0001F600\"\nb: h\xc3\xa9\n"), Json(R"({"a":"\u00e9\ud83d\ude00","b":"h\u00e9"})"));
}

TEST(YamlToJsonTest, KeepsOtherBehaviour) {
  EXPECT_EQ(Yaml(""), boost::json::value());
  EXPECT_EQ(Yaml("a: 1\n---\nb: 2\n"), Json(R"({"a":1})"));
  EXPECT_EQ(Yaml("a: 1\na: 2\n"), Json(R"({"a":2})"));
  EXPECT_EQ(Yaml("1: one\ntrue: yes\n"), Json(R"({"1":"one","true":"yes"})"));
  EXPECT_THAT(YamlError("[a]: b\n"), HasSubstr("map keys must be strings"));
  EXPECT_THAT(YamlError("a: [b\n"), HasSubstr("invalid YAML at line"));
}

TEST(DecodeBodyTest, YamlBodies) {
  absl::StatusOr<boost::json::value> v =
      DecodeBody("application/yaml; charset=utf-8", "apiVersion: v1\nkind: ConfigMap\ndata: {a: '1'}\n");
  ASSERT_TRUE(v.ok()) << v.status();
  EXPECT_EQ(*v, Json(R"({"apiVersion":"v1","kind":"ConfigMap","data":{"a":"1"}})"));
  absl::StatusOr<boost::json::value> bomb = DecodeBody("application/yaml", BillionLaughs());
  EXPECT_FALSE(bomb.ok());
  EXPECT_THAT(std::string(bomb.status().message()), HasSubstr("excessive aliasing"));
  EXPECT_EQ(DecodeBody("text/plain", "x").status().code(), absl::StatusCode::kUnimplemented);
}

}  // namespace
}  // namespace skiff::api
