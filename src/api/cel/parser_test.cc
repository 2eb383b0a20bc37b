#include "api/cel/parser.h"

#include <string>

#include "api/cel/eval_test_util.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace skiff::api::cel {
namespace {

using test_util::EvalText;

TEST(CelParserTest, Literals) {
  EXPECT_THAT(EvalText("42"), "42");
  EXPECT_EQ(EvalText("-42"), "-42");
  EXPECT_EQ(EvalText("0x1F"), "31");
  EXPECT_EQ(EvalText("42u"), "42u");
  EXPECT_EQ(EvalText("0xFFu"), "255u");
  EXPECT_EQ(EvalText("1.5"), "1.5");
  EXPECT_EQ(EvalText("1e3"), "1000");
  EXPECT_EQ(EvalText(".5"), "0.5");
  EXPECT_EQ(EvalText("-9223372036854775808"), "-9223372036854775808");
  EXPECT_EQ(EvalText("true"), "true");
  EXPECT_EQ(EvalText("null"), "null");
  EXPECT_EQ(EvalText("'a\\tb'"), "\"a\\tb\"");
  EXPECT_EQ(EvalText("\"\\u00e9\" == 'é'"), "true");
  EXPECT_EQ(EvalText("'\\x41\\101'"), "\"AA\"");
  EXPECT_EQ(EvalText("r'\\d+'"), "\"\\\\d+\"");
  EXPECT_EQ(EvalText("'''multi\nline'''"), "\"multi\\nline\"");
  EXPECT_EQ(EvalText("b'\\xff'"), "b\"\\xff\"");
  EXPECT_EQ(EvalText("1 + // comment\n 2"), "3");
}

TEST(CelParserTest, Precedence) {
  EXPECT_EQ(EvalText("1 + 2 * 3"), "7");
  EXPECT_EQ(EvalText("(1 + 2) * 3"), "9");
  EXPECT_EQ(EvalText("10 - 4 - 3"), "3");
  EXPECT_EQ(EvalText("true || false && false"), "true");
  EXPECT_EQ(EvalText("!true || true"), "true");
  EXPECT_EQ(EvalText("1 < 2 == true"), "true");
  EXPECT_EQ(EvalText("false ? 1 : true ? 2 : 3"), "2");
  EXPECT_EQ(EvalText("--5"), "5");
  EXPECT_EQ(EvalText("!!true"), "true");
  EXPECT_EQ(EvalText("2 in [1, 2] && 'a' in {'a': 1}"), "true");
}

TEST(CelParserTest, SyntaxErrorsHavePositions) {
  EXPECT_EQ(EvalText("1 +"), "compile: compilation failed: ERROR: <input>:1:4: Syntax error: mismatched input '<EOF>' expecting expression\n | 1 +\n | ...^");
  EXPECT_EQ(EvalText("self.x = 1"), "compile: compilation failed: ERROR: <input>:1:8: Syntax error: token recognition error at: '='\n | self.x = 1\n | .......^");
  EXPECT_EQ(EvalText("(1"), "compile: compilation failed: ERROR: <input>:1:3: Syntax error: mismatched input '<EOF>' expecting ')'\n | (1\n | ..^");
  EXPECT_EQ(EvalText("1 2"), "compile: compilation failed: ERROR: <input>:1:3: Syntax error: extraneous input '2'\n | 1 2\n | ..^");
  EXPECT_EQ(EvalText("'abc"), "compile: compilation failed: ERROR: <input>:1:1: Syntax error: unterminated string literal\n | 'abc\n | ^");
  EXPECT_EQ(EvalText("9223372036854775808"), "compile: compilation failed: ERROR: <input>:1:1: invalid int literal: 9223372036854775808\n | 9223372036854775808\n | ^");
  EXPECT_EQ(EvalText("18446744073709551616u"), "compile: compilation failed: ERROR: <input>:1:1: Syntax error: invalid uint literal: 18446744073709551616u\n | 18446744073709551616u\n | ^");
  EXPECT_EQ(EvalText("if"), "compile: compilation failed: ERROR: <input>:1:1: Syntax error: reserved identifier: if\n | if\n | ^");
  // After a dot a reserved word is a field name, as in cel-go.
  EXPECT_EQ(EvalText("{'namespace': 1}.namespace"), "1");
  EXPECT_THAT(EvalText("'\\q'"), ::testing::StartsWith("compile: compilation failed: ERROR: <input>:1:2: Syntax error: inv"));
  EXPECT_THAT(EvalText("a{b: 1}"), ::testing::StartsWith("compile: compilation failed: ERROR: <input>:1:1: Syntax error: "));
  // The second line of a multi-line expression is reported as line 2.
  EXPECT_EQ(EvalText("true &&\n  foo"), "compile: compilation failed: ERROR: <input>:2:3: undeclared reference to 'foo' (in container '')\n |   foo\n | ..^");
}

TEST(CelParserTest, MacroArgumentsMustBeSimpleNames) {
  EXPECT_EQ(EvalText("[1].all(1, true)"), "compile: compilation failed: ERROR: <input>:1:9: argument must be a simple name\n | [1].all(1, true)\n | ........^");
  EXPECT_EQ(EvalText("has(self)"), "compile: compilation failed: ERROR: <input>:1:5: invalid argument to has() macro\n | has(self)\n | ....^");
}

TEST(CelParserTest, DeepNestingIsRejectedNotACrash) {
  std::string deep(100000, '(');
  EXPECT_NE(EvalText(deep).find("expression recursion limit exceeded"), std::string::npos);
  std::string negations(50000, '!');
  EXPECT_NE(EvalText(negations + "true").find("recursion limit"), std::string::npos);
  std::string lists(50000, '[');
  EXPECT_NE(EvalText(lists).find("recursion limit"), std::string::npos);
  std::string sum = "1";
  for (int i = 0; i < 2000; ++i) sum += " + 1";
  EXPECT_NE(EvalText(sum).find("recursion limit"), std::string::npos);
  std::string selects = "self";
  for (int i = 0; i < 2000; ++i) selects += ".a";
  EXPECT_NE(EvalText(selects).find("recursion limit"), std::string::npos);
}

TEST(CelParserTest, LongLogicalChainsAreBalanced) {
  std::string chain = "true";
  for (int i = 0; i < 3000; ++i) chain += " && true";
  EXPECT_EQ(EvalText(chain), "true");
  std::string ors = "false";
  for (int i = 0; i < 3000; ++i) ors += " || false";
  EXPECT_EQ(EvalText(ors + " || true"), "true");
}

TEST(CelParserTest, InputSizeLimit) {
  std::string big(kMaxCodePoints + 1, ' ');
  EXPECT_NE(EvalText(big + "1").find("expression code point size exceeds limit"), std::string::npos);
}

}  // namespace
}  // namespace skiff::api::cel
