#include "api/field_selector.h"

#include <map>
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace skiff::api {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;

FieldSelector P(std::string_view text) {
  absl::StatusOr<FieldSelector> s = FieldSelector::Parse(text);
  EXPECT_TRUE(s.ok()) << text << ": " << s.status();
  return s.ok() ? *s : FieldSelector();
}

std::string ParseError(std::string_view text) {
  absl::StatusOr<FieldSelector> s = FieldSelector::Parse(text);
  if (s.ok()) return "OK: " + s->String();
  EXPECT_EQ(s.status().code(), absl::StatusCode::kInvalidArgument);
  return std::string(s.status().message());
}

// A pod-like getter: known fields answer (possibly ""), others are unsupported.
FieldGetter PodFields(std::map<std::string, std::string> values) {
  return [values = std::move(values)](std::string_view field) -> std::optional<std::string> {
    static const char* kSupported[] = {"metadata.name", "metadata.namespace", "spec.nodeName",
                                       "status.phase"};
    for (const char* f : kSupported) {
      if (field == f) {
        auto it = values.find(f);
        return it == values.end() ? "" : it->second;
      }
    }
    return std::nullopt;
  };
}

TEST(FieldSelectorTest, ParsesOperators) {
  FieldSelector s = P("metadata.name=web,status.phase!=Running,spec.nodeName==n1");
  EXPECT_THAT(s.Requirements(), ElementsAre(FieldRequirement{"metadata.name", false, "web"},
                                            FieldRequirement{"spec.nodeName", false, "n1"},
                                            FieldRequirement{"status.phase", true, "Running"}));
  EXPECT_EQ(s.String(), "metadata.name=web,spec.nodeName=n1,status.phase!=Running");
}

TEST(FieldSelectorTest, EmptyAndBlankTerms) {
  EXPECT_TRUE(P("").Empty());
  EXPECT_TRUE(P(",,").Empty());
  EXPECT_EQ(P(",a=b,").String(), "a=b");
  EXPECT_TRUE(P("").Matches(PodFields({})));
}

TEST(FieldSelectorTest, SplitsAtFirstOperator) {
  EXPECT_THAT(P("a=!b").Requirements(), ElementsAre(FieldRequirement{"a", false, "!b"}));
  EXPECT_THAT(P("a!b=c").Requirements(), ElementsAre(FieldRequirement{"a!b", false, "c"}));
  EXPECT_THAT(P("a=").Requirements(), ElementsAre(FieldRequirement{"a", false, ""}));
  EXPECT_THAT(P("=v").Requirements(), ElementsAre(FieldRequirement{"", false, "v"}));
  EXPECT_THAT(P(" a = b ").Requirements(), ElementsAre(FieldRequirement{" a ", false, " b "}));
}

TEST(FieldSelectorTest, Escaping) {
  EXPECT_THAT(P("a=x\\,y").Requirements(), ElementsAre(FieldRequirement{"a", false, "x,y"}));
  EXPECT_THAT(P("a=x\\=y").Requirements(), ElementsAre(FieldRequirement{"a", false, "x=y"}));
  EXPECT_THAT(P("a=x\\\\y").Requirements(), ElementsAre(FieldRequirement{"a", false, "x\\y"}));
  EXPECT_THAT(P("a=x\\,y,b=z").Requirements(),
              ElementsAre(FieldRequirement{"a", false, "x,y"}, FieldRequirement{"b", false, "z"}));
  EXPECT_EQ(P("a=x\\,y\\=z\\\\").String(), "a=x\\,y\\=z\\\\");
  EXPECT_EQ(EscapeFieldSelectorValue("a,b=c\\d!"), "a\\,b\\=c\\\\d!");
  EXPECT_EQ(*UnescapeFieldSelectorValue("a\\,b\\=c\\\\d!"), "a,b=c\\d!");
}

TEST(FieldSelectorTest, Errors) {
  EXPECT_EQ(ParseError("a"), "invalid selector: 'a'; can't understand 'a'");
  EXPECT_EQ(ParseError("x=1,abc"), "invalid selector: 'x=1,abc'; can't understand 'abc'");
  EXPECT_EQ(ParseError("a=b=c"), "invalid field selector: unescaped character in value: 61");
  EXPECT_EQ(ParseError("a=b\\x"), "invalid field selector: invalid escape sequence: \\x");
  EXPECT_EQ(ParseError("a=b\\"), "invalid field selector: invalid escape sequence: \\");
  EXPECT_EQ(ParseError("a=b\\\xc3\xa9"), "invalid field selector: invalid escape sequence: \\\xc3\xa9");
  EXPECT_EQ(ParseError("a!==b"), "invalid field selector: unescaped character in value: 61");
}

TEST(FieldSelectorTest, Matching) {
  FieldGetter pod = PodFields({{"metadata.name", "web"}, {"status.phase", "Running"}});
  EXPECT_TRUE(P("metadata.name=web").Matches(pod));
  EXPECT_FALSE(P("metadata.name=db").Matches(pod));
  EXPECT_TRUE(P("metadata.name!=db").Matches(pod));
  EXPECT_TRUE(P("spec.nodeName=").Matches(pod));  // unscheduled: empty nodeName
  EXPECT_FALSE(P("spec.nodeName!=").Matches(pod));
  EXPECT_TRUE(P("metadata.name=web,status.phase=Running").Matches(pod));
  EXPECT_FALSE(P("metadata.name=web,status.phase!=Running").Matches(pod));
}

TEST(FieldSelectorTest, UnsupportedFields) {
  FieldGetter pod = PodFields({});
  FieldSelector s = P("spec.foo=1,metadata.name=x,spec.foo!=2,status.bar=3");
  EXPECT_THAT(s.UnsupportedFields(pod), ElementsAre("spec.foo", "status.bar"));
  absl::Status status = s.CheckSupported(pod);
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(status.message(), "field label not supported: spec.foo");
  EXPECT_THAT(P("metadata.name=x").UnsupportedFields(pod), IsEmpty());
  EXPECT_TRUE(P("metadata.name=x").CheckSupported(pod).ok());
}

TEST(FieldSelectorTest, RequiresExactMatch) {
  FieldSelector s = P("metadata.name=web,metadata.namespace!=kube-system");
  EXPECT_EQ(s.RequiresExactMatch("metadata.name"), "web");
  EXPECT_EQ(s.RequiresExactMatch("metadata.namespace"), std::nullopt);
  EXPECT_EQ(s.RequiresExactMatch("other"), std::nullopt);
}

TEST(FieldSelectorTest, RoundTrip) {
  for (const char* text : {"a=b", "a!=b,c=d", "a=x\\,y", "a=\\\\", "a=", "b==c"}) {
    FieldSelector first = P(text);
    EXPECT_EQ(P(first.String()), first) << text;
  }
}

}  // namespace
}  // namespace skiff::api
