#include "api/name_validation.h"

#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace skiff::api {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;

constexpr char kNamePartRegexError[] =
    "name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an "
    "alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is "
    "'([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')";

TEST(NameValidationTest, RegexErrorMatchesKubernetesLayout) {
  EXPECT_EQ(RegexError("msg", "re", {}), "msg (regex used for validation is 're')");
  EXPECT_EQ(RegexError("msg", "re", {"a"}), "msg (e.g. 'a', regex used for validation is 're')");
  EXPECT_EQ(RegexError("msg", "re", {"a", "b"}),
            "msg (e.g. 'a',  or 'b', regex used for validation is 're')");
}

TEST(NameValidationTest, LabelKeys) {
  for (const char* ok : {"app", "App_1", "a.b-c", "example.com/name", "k8s.io/x", "a", "9"}) {
    EXPECT_THAT(ValidateLabelKey(ok), IsEmpty()) << ok;
  }
  EXPECT_THAT(ValidateLabelKey("bad key"), ElementsAre(kNamePartRegexError));
  EXPECT_THAT(ValidateLabelKey("-a"), ElementsAre(kNamePartRegexError));
  EXPECT_THAT(ValidateLabelKey("a_"), ElementsAre(kNamePartRegexError));
  EXPECT_THAT(ValidateLabelKey(""), ElementsAre("name part must be non-empty", kNamePartRegexError));
  EXPECT_THAT(ValidateLabelKey(std::string(63, 'a')), IsEmpty());
  EXPECT_THAT(ValidateLabelKey(std::string(64, 'a')),
              ElementsAre("name part must be no more than 63 characters"));
  EXPECT_THAT(ValidateLabelKey("/a"), ElementsAre("prefix part must be non-empty"));
  EXPECT_THAT(
      ValidateLabelKey("Example.com/a"),
      ElementsAre("prefix part a lowercase RFC 1123 subdomain must consist of lower case alphanumeric "
                  "characters, '-' or '.', and must start and end with an alphanumeric character (e.g. "
                  "'example.com', regex used for validation is "
                  "'[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')"));
  EXPECT_THAT(
      ValidateLabelKey("a/b/c"),
      ElementsAre("a qualified name must consist of alphanumeric characters, '-', '_' or '.', and must "
                  "start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or "
                  "'123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]') "
                  "with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')"));
  EXPECT_THAT(ValidateLabelKey("example.com/"),
              ElementsAre("name part must be non-empty", kNamePartRegexError));
}

TEST(NameValidationTest, LabelValues) {
  for (const char* ok : {"", "web", "V1.2_3-x", "0"}) EXPECT_THAT(ValidateLabelValue(ok), IsEmpty()) << ok;
  EXPECT_THAT(
      ValidateLabelValue("spaces are not allowed"),
      ElementsAre("a valid label must be an empty string or consist of alphanumeric characters, '-', '_' "
                  "or '.', and must start and end with an alphanumeric character (e.g. 'MyValue',  or "
                  "'my_value',  or '12345', regex used for validation is "
                  "'(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')"));
  EXPECT_THAT(ValidateLabelValue(std::string(64, 'a')), ElementsAre("must be no more than 63 characters"));
  EXPECT_EQ(ValidateLabelValue("-" + std::string(64, 'a')).size(), 2u);
  EXPECT_THAT(ValidateLabelValue("a/b"), testing::SizeIs(1));
}

TEST(NameValidationTest, Dns1123Label) {
  for (const char* ok : {"a", "my-name", "123-abc", "0"}) EXPECT_THAT(IsDns1123Label(ok), IsEmpty()) << ok;
  const std::string kError =
      "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start "
      "and "
      "end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is "
      "'[a-z0-9]([-a-z0-9]*[a-z0-9])?')";
  for (const char* bad : {"", "A", "a.b", "-a", "a-", "a_b"}) {
    EXPECT_THAT(IsDns1123Label(bad), ElementsAre(kError)) << bad;
  }
  EXPECT_THAT(IsDns1123Label(std::string(63, 'a')), IsEmpty());
  EXPECT_THAT(IsDns1123Label(std::string(64, 'a')), ElementsAre("must be no more than 63 characters"));
}

TEST(NameValidationTest, Dns1123Subdomain) {
  for (const char* ok : {"a", "example.com", "a-b.c-d.e", "1.2.3"}) {
    EXPECT_THAT(IsDns1123Subdomain(ok), IsEmpty()) << ok;
  }
  for (const char* bad : {"", ".a", "a.", "a..b", "Bad_Name", "a.-b", "UPPER"}) {
    EXPECT_THAT(IsDns1123Subdomain(bad), testing::SizeIs(1)) << bad;
  }
  std::string long_name;
  while (long_name.size() < 253) long_name += "abcdefghi.";
  long_name.resize(253);
  if (long_name.back() == '.') long_name.back() = 'x';
  EXPECT_THAT(IsDns1123Subdomain(long_name), IsEmpty());
  EXPECT_THAT(IsDns1123Subdomain(long_name + "x"), ElementsAre("must be no more than 253 characters"));
}

TEST(NameValidationTest, Dns1035Label) {
  EXPECT_THAT(IsDns1035Label("my-svc"), IsEmpty());
  EXPECT_THAT(
      IsDns1035Label("1abc"),
      ElementsAre("a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with "
                  "an alphabetic character, and end with an alphanumeric character (e.g. 'my-name',  or "
                  "'abc-123', regex used for validation is '[a-z]([-a-z0-9]*[a-z0-9])?')"));
  EXPECT_THAT(IsDns1035Label(""), testing::SizeIs(1));
}

}  // namespace
}  // namespace skiff::api
