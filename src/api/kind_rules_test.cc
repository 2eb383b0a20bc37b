#include "api/kind_rules.h"

#include "boost/json/parse.hpp"
#include "gtest/gtest.h"

namespace skiff::api {
namespace {

boost::json::value Json(const char* text) { return boost::json::parse(text); }

boost::json::value Normalized(std::string_view group, std::string_view kind, const char* text) {
  boost::json::value obj = Json(text);
  NormalizeKindFields(group, kind, obj);
  return obj;
}

TEST(NormalizeKindFieldsTest, SecretStringDataIsMergedIntoDataAndDropped) {
  EXPECT_EQ(Normalized("", "Secret", R"({"stringData":{"user":"admin","pw":"s3cr3t!"}})"),
            Json(R"({"data":{"user":"YWRtaW4=","pw":"czNjcjN0IQ=="}})"));
  // stringData wins over data for the same key; other data keys stay.
  EXPECT_EQ(Normalized("", "Secret", R"({"data":{"a":"b2xk","keep":"eA=="},"stringData":{"a":"new"}})"),
            Json(R"({"data":{"a":"bmV3","keep":"eA=="}})"));
  EXPECT_EQ(Normalized("", "Secret", R"({"data":null,"stringData":{"e":""}})"), Json(R"({"data":{"e":""}})"));
  EXPECT_EQ(Normalized("", "Secret", R"({"stringData":null})"), Json(R"({})"));
  EXPECT_EQ(Normalized("", "Secret", R"({"stringData":{}})"), Json(R"({})"));
}

TEST(NormalizeKindFieldsTest, MalformedStringDataIsLeftForValidation) {
  for (const char* text : {R"({"stringData":"x"})", R"({"stringData":{"a":5}})",
                           R"({"data":"x","stringData":{"a":"b"}})"}) {
    EXPECT_EQ(Normalized("", "Secret", text), Json(text)) << text;
  }
}

TEST(NormalizeKindFieldsTest, OtherKindsAreUntouched) {
  const char* text = R"({"stringData":{"a":"b"}})";
  EXPECT_EQ(Normalized("", "ConfigMap", text), Json(text));
  EXPECT_EQ(Normalized("example.com", "Secret", text), Json(text));
}

}  // namespace
}  // namespace skiff::api
