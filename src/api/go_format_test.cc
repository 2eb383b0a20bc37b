#include "api/go_format.h"

#include "boost/json/parse.hpp"
#include "gtest/gtest.h"

namespace skiff::api {
namespace {

TEST(GoFormatTest, Quote) {
  EXPECT_EQ(GoQuote(""), "\"\"");
  EXPECT_EQ(GoQuote("a b"), "\"a b\"");
  EXPECT_EQ(GoQuote("q\"b\\s"), "\"q\\\"b\\\\s\"");
  EXPECT_EQ(GoQuote("\n\t\r\a\b\f\v"), "\"\\n\\t\\r\\a\\b\\f\\v\"");
  EXPECT_EQ(GoQuote(std::string_view("\0\x1f\x7f", 3)), "\"\\x00\\x1f\\x7f\"");
  EXPECT_EQ(GoQuote("h\xc3\xa9llo"), "\"h\xc3\xa9llo\"");     // valid UTF-8 stays
  EXPECT_EQ(GoQuote("\xff\xc3"), "\"\\xff\\xc3\"");           // invalid bytes are escaped
  EXPECT_EQ(GoQuote("\xed\xa0\x80"), "\"\\xed\\xa0\\x80\"");  // surrogate
}

TEST(GoFormatTest, StringSlice) {
  EXPECT_EQ(GoStringSlice({}), "[]string{}");
  EXPECT_EQ(GoStringSlice({"a", "b\""}), "[]string{\"a\", \"b\\\"\"}");
}

TEST(GoFormatTest, ParseInt64) {
  EXPECT_EQ(ParseGoInt64("0"), 0);
  EXPECT_EQ(ParseGoInt64("+5"), 5);
  EXPECT_EQ(ParseGoInt64("-5"), -5);
  EXPECT_EQ(ParseGoInt64("007"), 7);
  EXPECT_EQ(ParseGoInt64("9223372036854775807"), INT64_MAX);
  EXPECT_EQ(ParseGoInt64("-9223372036854775808"), INT64_MIN);
  EXPECT_EQ(ParseGoInt64("9223372036854775808"), std::nullopt);
  EXPECT_EQ(ParseGoInt64("-9223372036854775809"), std::nullopt);
  for (const char* bad : {"", "+", "-", " 1", "1 ", "1.0", "0x1", "1e3", "--1"}) {
    EXPECT_EQ(ParseGoInt64(bad), std::nullopt) << bad;
  }
}

TEST(GoFormatTest, JsonValueText) {
  EXPECT_EQ(GoJsonValueText(boost::json::parse(R"("x")")), "\"x\"");
  EXPECT_EQ(GoJsonValueText(boost::json::parse("12")), "12");
  EXPECT_EQ(GoJsonValueText(boost::json::parse("[1,true]")), "[1,true]");
}

}  // namespace
}  // namespace skiff::api
