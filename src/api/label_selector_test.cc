#include "api/label_selector.h"

#include <string>

#include "boost/json/parse.hpp"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace skiff::api {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

boost::json::value Json(const char* text) { return boost::json::parse(text); }

std::string ParseError(std::string_view text) {
  absl::StatusOr<LabelSelector> s = LabelSelector::Parse(text);
  if (s.ok()) return "OK: " + s->String();
  EXPECT_EQ(s.status().code(), absl::StatusCode::kInvalidArgument);
  return std::string(s.status().message());
}

std::string Canonical(std::string_view text) {
  absl::StatusOr<LabelSelector> s = LabelSelector::Parse(text);
  if (!s.ok()) return "ERROR: " + std::string(s.status().message());
  return s->String();
}

TEST(LabelSelectorParseTest, CanonicalForms) {
  EXPECT_EQ(Canonical("app=web"), "app=web");
  EXPECT_EQ(Canonical("app==web"), "app==web");
  EXPECT_EQ(Canonical("app!=web"), "app!=web");
  EXPECT_EQ(Canonical("app"), "app");
  EXPECT_EQ(Canonical("!app"), "!app");
  EXPECT_EQ(Canonical("x>5"), "x>5");
  EXPECT_EQ(Canonical("x<-0"),
            "ERROR: unable to parse requirement: values[0][x]: Invalid value: \"-0\": a valid "
            "label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', "
            "and must start and end with an alphanumeric character (e.g. 'MyValue',  or "
            "'my_value',  or '12345', regex used for validation is "
            "'(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')");
  EXPECT_EQ(Canonical("tier in (b,a,a)"), "tier in (a,b)");
  EXPECT_EQ(Canonical("tier notin (x)"), "tier notin (x)");
  EXPECT_EQ(Canonical("x in ()"), "x in ()");
  EXPECT_EQ(Canonical("x in (,a)"), "x in (,a)");
  EXPECT_EQ(Canonical("x in (a,,b)"), "x in (,a,b)");
  EXPECT_EQ(Canonical("x in (a,)"), "x in (,a)");
  EXPECT_EQ(Canonical("x="), "x=");
  EXPECT_EQ(Canonical("x=,y"), "x=,y");
  EXPECT_EQ(Canonical("example.com/role=db"), "example.com/role=db");
}

TEST(LabelSelectorParseTest, WhitespaceAndOrdering) {
  EXPECT_EQ(Canonical("  z = 1 ,\ta\tin ( b , a ) ,\n!m  "), "a in (a,b),!m,z=1");
  EXPECT_EQ(Canonical("b=1,a=2,b!=3"), "a=2,b=1,b!=3");  // stable for equal keys
  EXPECT_EQ(Canonical("x in(a)"), "x in (a)");
  EXPECT_EQ(Canonical("x notin(a,b)"), "x notin (a,b)");
}

TEST(LabelSelectorParseTest, KeywordsAreIdentifiersWhereValuesGo) {
  EXPECT_EQ(Canonical("in in (in)"), "in in (in)");
  EXPECT_EQ(Canonical("notin notin (notin,in)"), "notin notin (in,notin)");
  EXPECT_EQ(Canonical("x=in"), "x=in");
}

TEST(LabelSelectorParseTest, EmptyMatchesEverything) {
  for (const char* text : {"", "   ", "\t\n"}) {
    absl::StatusOr<LabelSelector> s = LabelSelector::Parse(text);
    ASSERT_TRUE(s.ok()) << text;
    EXPECT_TRUE(s->Empty());
    EXPECT_TRUE(s->Matches(nullptr));
    EXPECT_EQ(s->String(), "");
  }
}

TEST(LabelSelectorParseTest, SyntaxErrors) {
  EXPECT_EQ(ParseError("x in (a"), "unable to parse requirement: found '', expected: ',' or ')'");
  EXPECT_EQ(ParseError("x ("),
            "unable to parse requirement: found '(', expected: in, notin, =, ==, !=, gt, lt");
  EXPECT_EQ(ParseError("x y"),
            "unable to parse requirement: found 'y', expected: in, notin, =, ==, !=, gt, lt");
  EXPECT_EQ(ParseError("x=a b"), "found 'b', expected: ',' or 'end of string'");
  EXPECT_EQ(ParseError("x=a,"), "found '', expected: identifier after ','");
  EXPECT_EQ(ParseError("x=a,,y"), "found ',', expected: identifier after ','");
  EXPECT_EQ(ParseError(",x"), "found ',', expected: !, identifier, or 'end of string'");
  EXPECT_EQ(ParseError("=x"), "found '=', expected: !, identifier, or 'end of string'");
  EXPECT_EQ(ParseError("x in a"), "unable to parse requirement: found 'a' expected: '('");
  EXPECT_EQ(ParseError("x in (a))"), "found ')', expected: ',' or 'end of string'");
  EXPECT_EQ(ParseError("x in (a b)"), "unable to parse requirement: found 'b', expected: ',' or ')'");
  EXPECT_EQ(ParseError("x in (="),
            "unable to parse requirement: found '=', expected: ',', ')' or identifier");
  EXPECT_EQ(ParseError("x in (a,=)"), "unable to parse requirement: found '=', expected: ',', or identifier");
  EXPECT_EQ(ParseError("x=("), "unable to parse requirement: found '(', expected: identifier");
  EXPECT_EQ(ParseError("!"), "unable to parse requirement: found '', expected: identifier");
  EXPECT_EQ(ParseError("!!x"), "unable to parse requirement: found '!', expected: identifier");
  EXPECT_EQ(ParseError("!x=a"), "found '=', expected: ',' or 'end of string'");
  EXPECT_EQ(ParseError("x=a=b"), "found '=', expected: ',' or 'end of string'");
  EXPECT_EQ(ParseError("x>a"),
            "unable to parse requirement: values[0]: Invalid value: \"a\": for 'Gt', 'Lt' "
            "operators, the value must be an integer");
  EXPECT_EQ(ParseError("x>99999999999999999999"),
            "unable to parse requirement: values[0]: Invalid value: \"99999999999999999999\": for 'Gt', 'Lt' "
            "operators, the value must be an integer");
}

TEST(LabelSelectorParseTest, ValidationErrors) {
  EXPECT_EQ(
      ParseError("-bad=1"),
      "unable to parse requirement: <nil>: Invalid value: \"-bad\": name part must consist of alphanumeric "
      "characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  "
      "or 'my.name',  or '123-abc', regex used for validation is "
      "'([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')");
  EXPECT_EQ(ParseError("a=" + std::string(64, 'v')),
            "unable to parse requirement: values[0][a]: Invalid value: \"" + std::string(64, 'v') +
                "\": must be no more than 63 characters");
  // Two bad values aggregate as a bracketed list; values are indexed in sorted order.
  std::string err = ParseError("k in (ok,-x,-y)");
  EXPECT_EQ(err.rfind("unable to parse requirement: [values[0][k]: Invalid value: \"-x\": ", 0), 0u) << err;
  EXPECT_THAT(err, HasSubstr(", values[1][k]: Invalid value: \"-y\": "));
  EXPECT_EQ(err.back(), ']');
  EXPECT_THAT(ParseError("a/b/c=1"), HasSubstr("a qualified name must consist"));
  EXPECT_THAT(ParseError("k=\"v\""), HasSubstr("Invalid value: \"\\\"v\\\"\""));
}

TEST(LabelSelectorMatchTest, Operators) {
  boost::json::value labels = Json(R"({"app":"web","tier":"front","n":"7","empty":""})");
  auto matches = [&](const char* text) {
    absl::StatusOr<LabelSelector> s = LabelSelector::Parse(text);
    EXPECT_TRUE(s.ok()) << text << ": " << s.status();
    return s.ok() && s->Matches(&labels);
  };
  EXPECT_TRUE(matches("app=web"));
  EXPECT_TRUE(matches("app==web"));
  EXPECT_FALSE(matches("app=db"));
  EXPECT_TRUE(matches("app!=db"));
  EXPECT_FALSE(matches("app!=web"));
  EXPECT_TRUE(matches("missing!=x"));  // absent label satisfies !=
  EXPECT_TRUE(matches("tier in (back,front)"));
  EXPECT_FALSE(matches("tier in (back)"));
  EXPECT_FALSE(matches("missing in (x)"));
  EXPECT_TRUE(matches("tier notin (back)"));
  EXPECT_FALSE(matches("tier notin (front)"));
  EXPECT_TRUE(matches("missing notin (x)"));
  EXPECT_TRUE(matches("app"));
  EXPECT_FALSE(matches("missing"));
  EXPECT_TRUE(matches("!missing"));
  EXPECT_FALSE(matches("!app"));
  EXPECT_TRUE(matches("n>6"));
  EXPECT_FALSE(matches("n>7"));
  EXPECT_TRUE(matches("n<8"));
  EXPECT_FALSE(matches("app>1"));  // non-integer label never matches gt/lt
  EXPECT_FALSE(matches("missing<1"));
  EXPECT_TRUE(matches("empty="));
  EXPECT_TRUE(matches("empty in ()"));
  EXPECT_FALSE(matches("app="));
  EXPECT_TRUE(matches("app=web,tier=front,!missing"));
  EXPECT_FALSE(matches("app=web,tier=back"));
}

TEST(LabelSelectorMatchTest, MissingOrOddLabels) {
  absl::StatusOr<LabelSelector> s = LabelSelector::Parse("!a,b!=c");
  ASSERT_TRUE(s.ok());
  EXPECT_TRUE(s->Matches(nullptr));
  boost::json::value null_labels;
  EXPECT_TRUE(s->Matches(&null_labels));
  boost::json::value non_string = Json(R"({"a":1})");
  EXPECT_TRUE(s->Matches(&non_string));  // a non-string label value counts as absent
  absl::StatusOr<LabelSelector> exists = LabelSelector::Parse("a");
  EXPECT_FALSE(exists->Matches(nullptr));
}

TEST(LabelSelectorTest, RoundTrip) {
  for (const char* text : {"a=b", "x in (a,b),y notin (c),!z,w", "k>1,k<10", "e=,f in ()", "in in (in,notin)",
                           "a.b/c_d==E.f", "x in (,b)"}) {
    absl::StatusOr<LabelSelector> first = LabelSelector::Parse(text);
    ASSERT_TRUE(first.ok()) << text;
    absl::StatusOr<LabelSelector> second = LabelSelector::Parse(first->String());
    ASSERT_TRUE(second.ok()) << first->String();
    EXPECT_EQ(*first, *second) << text;
  }
}

TEST(LabelSelectorTest, RequiresExactMatch) {
  absl::StatusOr<LabelSelector> s = LabelSelector::Parse("a=1,b in (2),c in (3,4),d!=5");
  ASSERT_TRUE(s.ok());
  ASSERT_NE(s->RequiresExactMatch("a"), nullptr);
  EXPECT_EQ(*s->RequiresExactMatch("a"), "1");
  EXPECT_EQ(*s->RequiresExactMatch("b"), "2");
  EXPECT_EQ(s->RequiresExactMatch("c"), nullptr);
  EXPECT_EQ(s->RequiresExactMatch("d"), nullptr);
  EXPECT_EQ(s->RequiresExactMatch("zz"), nullptr);
}

TEST(LabelSelectorJsonTest, Conversion) {
  absl::StatusOr<LabelSelector> s = LabelSelector::FromJson(Json(R"({"matchLabels":{"app":"web"}})"));
  ASSERT_TRUE(s.ok()) << s.status();
  EXPECT_EQ(s->String(), "app=web");

  s = LabelSelector::FromJson(Json(R"({"matchLabels":{"z":"1","app":"web"},
      "matchExpressions":[{"key":"tier","operator":"In","values":["b","a"]},
                          {"key":"canary","operator":"DoesNotExist"},
                          {"key":"env","operator":"NotIn","values":["prod"]},
                          {"key":"gpu","operator":"Exists","values":[]}]})"));
  ASSERT_TRUE(s.ok()) << s.status();
  EXPECT_EQ(s->String(), "app=web,!canary,env notin (prod),gpu,tier in (a,b),z=1");
  boost::json::value labels = Json(R"({"app":"web","z":"1","tier":"a","gpu":"yes"})");
  EXPECT_TRUE(s->Matches(&labels));
  labels.as_object()["canary"] = "1";
  EXPECT_FALSE(s->Matches(&labels));
}

TEST(LabelSelectorJsonTest, NullMatchesNothingEmptyMatchesEverything) {
  absl::StatusOr<LabelSelector> nothing = LabelSelector::FromJson(boost::json::value());
  ASSERT_TRUE(nothing.ok());
  EXPECT_TRUE(nothing->MatchesNothing());
  EXPECT_FALSE(nothing->Empty());
  boost::json::value labels = Json(R"({"a":"b"})");
  EXPECT_FALSE(nothing->Matches(&labels));
  EXPECT_EQ(nothing->String(), "");
  EXPECT_EQ(LabelSelector::Nothing(), *nothing);

  absl::StatusOr<LabelSelector> everything = LabelSelector::FromJson(Json("{}"));
  ASSERT_TRUE(everything.ok());
  EXPECT_TRUE(everything->Empty());
  EXPECT_TRUE(everything->Matches(&labels));
  EXPECT_TRUE(everything->Matches(nullptr));
  EXPECT_TRUE(LabelSelector::FromJson(Json(R"({"matchLabels":null,"matchExpressions":null})"))->Empty());
}

TEST(LabelSelectorJsonTest, ValidationMessages) {
  auto errors = [](const char* text) {
    std::vector<std::string> out;
    for (const LabelSelectorError& e : LabelSelector::Validate(Json(text), "spec.selector")) {
      out.push_back(e.ToString());
    }
    return out;
  };
  EXPECT_THAT(errors(R"({"matchExpressions":[{"key":"a","operator":"In"}]})"),
              ElementsAre("spec.selector.matchExpressions[0].values: Required value: must be specified when "
                          "`operator` is 'In' or 'NotIn'"));
  EXPECT_THAT(errors(R"({"matchExpressions":[{"key":"a","operator":"NotIn","values":[]}]})"),
              ElementsAre(HasSubstr("values: Required value")));
  EXPECT_THAT(errors(R"({"matchExpressions":[{"key":"a","operator":"Exists","values":["x"]}]})"),
              ElementsAre("spec.selector.matchExpressions[0].values: Forbidden: may not be specified when "
                          "`operator` is 'Exists' or 'DoesNotExist'"));
  EXPECT_THAT(errors(R"({"matchExpressions":[{"key":"a","operator":"Foo"}]})"),
              ElementsAre("spec.selector.matchExpressions[0].operator: Invalid value: \"Foo\": not a valid "
                          "selector operator"));
  EXPECT_THAT(
      errors(R"({"matchLabels":{"bad key":"ok","k":"bad value"}})"),
      ElementsAre(HasSubstr("spec.selector.matchLabels: Invalid value: \"bad key\": name part must"),
                  HasSubstr("spec.selector.matchLabels: Invalid value: \"bad value\": a valid label")));
  EXPECT_THAT(errors(R"({"matchExpressions":[{"key":"ok","operator":"In","values":["-x"]}]})"),
              ElementsAre(HasSubstr("spec.selector.matchExpressions[0].values[0]: Invalid value: \"-x\"")));
  EXPECT_THAT(
      errors(R"({"matchExpressions":[{"operator":"Exists"}]})"),
      ElementsAre("spec.selector.matchExpressions[0].key: Invalid value: \"\": name part must be non-empty",
                  HasSubstr("spec.selector.matchExpressions[0].key: Invalid value: \"\": name part must "
                            "consist")));
  EXPECT_THAT(errors(R"({"matchLabels":[]})"),
              ElementsAre("spec.selector.matchLabels: Invalid value: []: must be an object"));
  EXPECT_THAT(errors(R"({"matchExpressions":[{"key":"a","operator":"In","values":[1]}]})"),
              ElementsAre("spec.selector.matchExpressions[0].values[0]: Invalid value: 1: must be a string",
                          HasSubstr("values: Required value")));
  EXPECT_THAT(errors(R"("app=web")"),
              ElementsAre("spec.selector: Invalid value: \"app=web\": must be an object"));
  std::vector<LabelSelectorError> structured =
      LabelSelector::Validate(Json(R"({"matchExpressions":[{"key":"a","operator":"In"}]})"), "spec.selector");
  ASSERT_EQ(structured.size(), 1u);
  EXPECT_EQ(structured[0].field, "spec.selector.matchExpressions[0].values");
  EXPECT_EQ(structured[0].reason, "FieldValueRequired");
}

TEST(LabelSelectorJsonTest, FromJsonReportsValidationErrors) {
  absl::StatusOr<LabelSelector> s =
      LabelSelector::FromJson(Json(R"({"matchExpressions":[{"key":"a","operator":"In"}]})"), "spec.selector");
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(
      s.status().message(),
      "spec.selector.matchExpressions[0].values: Required value: must be specified when `operator` is 'In' "
      "or 'NotIn'");
  s = LabelSelector::FromJson(
      Json(R"({"matchExpressions":[{"key":"a","operator":"X"},{"key":"b","operator":"Y"}]})"));
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.status().message(),
            "[selector.matchExpressions[0].operator: Invalid value: \"X\": not a valid selector operator, "
            "selector.matchExpressions[1].operator: Invalid value: \"Y\": not a valid selector operator]");
}

}  // namespace
}  // namespace skiff::api
