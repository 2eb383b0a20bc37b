#include "base/json.h"

#include "gtest/gtest.h"

namespace skiff::base {
namespace {

TEST(ParseJsonTest, ParsesAndReportsPositions) {
  absl::StatusOr<boost::json::value> v = ParseJson(R"({"a":[1,2.5,"x"]})");
  ASSERT_TRUE(v.ok()) << v.status();
  EXPECT_EQ(ToJson(*v), R"({"a":[1,2.5E0,"x"]})");
  absl::StatusOr<boost::json::value> bad = ParseJson("{\n  \"a\": }");
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("line 2"), std::string_view::npos) << bad.status();
}

TEST(ParseJsonTest, NumbersBeyondADoubleAreErrors) {
  // Boost.JSON reads these as infinities, which would serialize as invalid JSON.
  for (const char* text : {"1e400", "[-2.5E+309]", R"({"a":{"b":[1e999]}})"}) {
    absl::StatusOr<boost::json::value> v = ParseJson(text);
    EXPECT_FALSE(v.ok()) << text;
    EXPECT_EQ(v.status().code(), absl::StatusCode::kInvalidArgument) << text;
  }
}

TEST(ParseJsonTest, ZeroWithAHugeExponentIsZero) {
  // Boost.JSON 1.81 reads 0e165912 as NaN.
  absl::StatusOr<boost::json::value> v = ParseJson(R"([0e165912,{"k":-0.0e999}])");
  ASSERT_TRUE(v.ok()) << v.status();
  EXPECT_EQ(ToJson(*v), "[0E0,{\"k\":0E0}]");
  v = ParseJson(R"({"e400":"1e400","n":1e-400})");
  ASSERT_TRUE(v.ok()) << v.status();
  EXPECT_EQ(v->at("e400").get_string(), "1e400");
}

}  // namespace
}  // namespace skiff::base
