#include "api/merge_patch.h"

#include "boost/json/parse.hpp"
#include "gtest/gtest.h"

namespace skiff::api {
namespace {

namespace json = boost::json;

json::value J(const char* text) { return json::parse(text); }

// The test cases of RFC 7386 appendix A.
TEST(MergePatchTest, Rfc7386Examples) {
  struct Case {
    const char* doc;
    const char* patch;
    const char* want;
  } cases[] = {
      {R"({"a":"b"})", R"({"a":"c"})", R"({"a":"c"})"},
      {R"({"a":"b"})", R"({"b":"c"})", R"({"a":"b","b":"c"})"},
      {R"({"a":"b"})", R"({"a":null})", R"({})"},
      {R"({"a":"b","b":"c"})", R"({"a":null})", R"({"b":"c"})"},
      {R"({"a":["b"]})", R"({"a":"c"})", R"({"a":"c"})"},
      {R"({"a":"c"})", R"({"a":["b"]})", R"({"a":["b"]})"},
      {R"({"a":{"b":"c"}})", R"({"a":{"b":"d","c":null}})", R"({"a":{"b":"d"}})"},
      {R"({"a":[{"b":"c"}]})", R"({"a":[1]})", R"({"a":[1]})"},
      {R"(["a","b"])", R"(["c","d"])", R"(["c","d"])"},
      {R"({"a":"b"})", R"(["c"])", R"(["c"])"},
      {R"({"a":"foo"})", R"(null)", R"(null)"},
      {R"({"a":"foo"})", R"("bar")", R"("bar")"},
      {R"({"e":null})", R"({"a":1})", R"({"e":null,"a":1})"},
      {R"([1,2])", R"({"a":"b","c":null})", R"({"a":"b"})"},
      {R"({})", R"({"a":{"bb":{"ccc":null}}})", R"({"a":{"bb":{}}})"},
  };
  for (const auto& c : cases) {
    EXPECT_EQ(ApplyMergePatch(J(c.doc), J(c.patch)), J(c.want)) << c.doc << " + " << c.patch;
  }
}

// kubectl label / annotate / scale bodies (wire doc §9.17, §9.9).
TEST(MergePatchTest, KubectlBodies) {
  json::value pod = J(R"({"metadata":{"name":"web-0","labels":{"app":"web","tier":"old"}},"spec":{"x":1}})");
  EXPECT_EQ(ApplyMergePatch(pod, J(R"({"metadata":{"labels":{"tier":"frontend"}}})")),
            J(R"({"metadata":{"name":"web-0","labels":{"app":"web","tier":"frontend"}},"spec":{"x":1}})"));
  EXPECT_EQ(ApplyMergePatch(pod, J(R"({"metadata":{"labels":{"tier":null}}})")),
            J(R"({"metadata":{"name":"web-0","labels":{"app":"web"}},"spec":{"x":1}})"));
  EXPECT_EQ(
      ApplyMergePatch(pod, J(R"({"metadata":{"annotations":{"note":"hello world"}}})")),
      J(R"({"metadata":{"name":"web-0","labels":{"app":"web","tier":"old"},"annotations":{"note":"hello world"}},"spec":{"x":1}})"));
  EXPECT_EQ(ApplyMergePatch(J(R"({"spec":{"replicas":1},"status":{"replicas":1}})"),
                            J(R"({"spec":{"replicas":3}})")),
            J(R"({"spec":{"replicas":3},"status":{"replicas":1}})"));
}

TEST(MergePatchTest, InputIsNotModified) {
  json::value doc = J(R"({"a":{"b":1}})");
  ApplyMergePatch(doc, J(R"({"a":{"b":null}})"));
  EXPECT_EQ(doc, J(R"({"a":{"b":1}})"));
}

TEST(CreateMergePatchTest, DiffsObjects) {
  EXPECT_EQ(CreateMergePatch(J(R"({"a":1,"b":{"c":1}})"), J(R"({"a":1,"b":{"c":1}})")), J("{}"));
  EXPECT_EQ(CreateMergePatch(J(R"({"a":1,"b":{"c":1,"d":2},"l":[1]})"),
                             J(R"({"a":2,"b":{"c":1},"l":[1,2],"n":true})")),
            J(R"({"a":2,"b":{"d":null},"l":[1,2],"n":true})"));
  EXPECT_EQ(CreateMergePatch(J(R"({"a":{"b":1}})"), J(R"({"a":"x"})")), J(R"({"a":"x"})"));
  EXPECT_EQ(CreateMergePatch(J("[1]"), J("[2]")), J("[2]"));
  EXPECT_EQ(CreateMergePatch(J("[1]"), J("[1]")), J("{}"));
}

TEST(CreateMergePatchTest, RoundTrips) {
  const char* pairs[][2] = {
      {R"({"metadata":{"labels":{"a":"1","b":"2"}},"spec":{"replicas":1}})",
       R"({"metadata":{"labels":{"a":"1","c":"3"}},"spec":{"replicas":5,"paused":true}})"},
      {R"({"a":{"b":{"c":{"d":1}}}})", R"({"a":{"b":{}}})"},
      {R"({"x":[1,2,3]})", R"({})"},
  };
  for (const auto& p : pairs) {
    json::value patch = CreateMergePatch(J(p[0]), J(p[1]));
    EXPECT_EQ(ApplyMergePatch(J(p[0]), patch), J(p[1])) << p[0];
  }
}

}  // namespace
}  // namespace skiff::api
