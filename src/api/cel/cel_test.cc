#include "api/cel/cel.h"

#include <atomic>
#include <string>
#include <thread>
#include <vector>

#include "api/cel/eval_test_util.h"
#include "boost/json/parse.hpp"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace skiff::api::cel {
namespace {

using test_util::EvalText;

TEST(CelEvalTest, IntArithmeticWithOverflowChecks) {
  EXPECT_THAT(EvalText("7 / 2"), "3");
  EXPECT_EQ(EvalText("-7 / 2"), "-3");
  EXPECT_EQ(EvalText("-7 % 3"), "-1");
  EXPECT_EQ(EvalText("1 / 0"), "error: division by zero");
  EXPECT_EQ(EvalText("1 % 0"), "error: modulus by zero");
  EXPECT_EQ(EvalText("9223372036854775807 + 1"), "error: integer overflow");
  EXPECT_EQ(EvalText("-9223372036854775808 - 1"), "error: integer overflow");
  EXPECT_EQ(EvalText("-9223372036854775808 / -1"), "error: integer overflow");
  EXPECT_EQ(EvalText("4611686018427387904 * 2"), "error: integer overflow");
  EXPECT_EQ(EvalText("-(-9223372036854775808)"), "error: integer overflow");
}

TEST(CelEvalTest, UintAndDoubleArithmetic) {
  EXPECT_EQ(EvalText("1u - 2u"), "error: unsigned integer overflow");
  EXPECT_EQ(EvalText("18446744073709551615u + 1u"), "error: unsigned integer overflow");
  EXPECT_EQ(EvalText("7u / 2u"), "3u");
  EXPECT_EQ(EvalText("1.5 * 2.0"), "3");
  EXPECT_EQ(EvalText("1.0 / 0.0"), "+Inf");
  EXPECT_EQ(EvalText("-dyn(1u)"), "error: no such overload: -_(uint)");
  EXPECT_EQ(EvalText("dyn(1) + 1u"), "error: no such overload: _+_(int, uint)");
  EXPECT_EQ(EvalText("dyn(1) + 1.0"), "error: no such overload: _+_(int, double)");
  EXPECT_EQ(EvalText("dyn(5.5) % 2.0"), "error: no such overload: _%_(double, double)");
}

TEST(CelEvalTest, ConcatenationOfStringsBytesLists) {
  EXPECT_EQ(EvalText("'ab' + 'cd'"), "\"abcd\"");
  EXPECT_EQ(EvalText("b'a' + b'b'"), "b\"ab\"");
  EXPECT_EQ(EvalText("[1] + [2, 3]"), "[1, 2, 3]");
  EXPECT_EQ(EvalText("dyn('a') + 1"), "error: no such overload: _+_(string, int)");
}

TEST(CelEvalTest, HeterogeneousNumericEqualityAndOrdering) {
  EXPECT_EQ(EvalText("1 == 1.0"), "true");
  EXPECT_EQ(EvalText("1 == 1u"), "true");
  EXPECT_EQ(EvalText("1u == 1.0"), "true");
  EXPECT_EQ(EvalText("-1 < 1u"), "true");
  EXPECT_EQ(EvalText("2 > 1.5"), "true");
  EXPECT_EQ(EvalText("9223372036854775807 < 9223372036854775808.0"), "true");
  EXPECT_EQ(EvalText("0.0/0.0 == 0.0/0.0"), "false");
  EXPECT_EQ(EvalText("0.0/0.0 < 1"), "false");
  EXPECT_EQ(EvalText("[1, 2] == [1.0, 2u]"), "true");
  EXPECT_EQ(EvalText("{'a': 1} == {'a': 1.0}"), "true");
  EXPECT_EQ(EvalText("{1: 'a'}[1u]"), "\"a\"");
  EXPECT_EQ(EvalText("dyn(1) == 'a'"), "false");
  EXPECT_EQ(EvalText("null == null"), "true");
  EXPECT_EQ(EvalText("'a' < 'b'"), "true");
  EXPECT_EQ(EvalText("b'a' < b'b'"), "true");
  EXPECT_EQ(EvalText("false < true"), "true");
  EXPECT_EQ(EvalText("dyn('a') < 1"), "error: no such overload: _<_(string, int)");
  EXPECT_EQ(EvalText("dyn([1]) < [2]"), "error: no such overload: _<_(list, list)");
}

TEST(CelEvalTest, LogicalOperatorsAbsorbErrorsCommutatively) {
  EXPECT_EQ(EvalText("false && (1 / 0 == 1)"), "false");
  EXPECT_EQ(EvalText("(1 / 0 == 1) && false"), "false");
  EXPECT_EQ(EvalText("true || (1 / 0 == 1)"), "true");
  EXPECT_EQ(EvalText("(1 / 0 == 1) || true"), "true");
  EXPECT_EQ(EvalText("(1 / 0 == 1) && true"), "error: division by zero");
  EXPECT_EQ(EvalText("true && (1 / 0 == 1)"), "error: division by zero");
  EXPECT_EQ(EvalText("self.missing || true", "{}"), "true");
  EXPECT_EQ(EvalText("dyn(1) && true"), "error: no such overload: _&&_(int, bool)");
  EXPECT_EQ(EvalText("!dyn(1)"), "error: no such overload: !_(int)");
}

TEST(CelEvalTest, Ternary) {
  EXPECT_EQ(EvalText("true ? 'y' : 'n'"), "\"y\"");
  EXPECT_EQ(EvalText("false ? 1 / 0 : 2"), "2");
  EXPECT_EQ(EvalText("dyn(1) ? 1 : 2"), "error: no such overload: _?_:_(int)");
}

TEST(CelEvalTest, InOperator) {
  EXPECT_EQ(EvalText("2 in [1, 2, 3]"), "true");
  EXPECT_EQ(EvalText("2.0 in [1, 2, 3]"), "true");
  EXPECT_EQ(EvalText("'b' in {'a': 1}"), "false");
  EXPECT_EQ(EvalText("1.0 in {1: 'x'}"), "true");
  EXPECT_EQ(EvalText("1 in dyn('abc')"), "error: no such overload: @in(int, string)");
}

TEST(CelEvalTest, IndexingAndFieldSelection) {
  const char* self = R"({"a": {"b": [10, 20]}, "m": {"k": "v"}})";
  EXPECT_EQ(EvalText("self.a.b[1]", self), "20");
  EXPECT_EQ(EvalText("self['a']['b'][0]", self), "10");
  EXPECT_EQ(EvalText("self.a.b[2]", self), "error: index out of range: 2");
  EXPECT_EQ(EvalText("self.a.b[-1]", self), "error: index out of range: -1");
  EXPECT_EQ(EvalText("self.a.b[1u]", self), "20");
  EXPECT_EQ(EvalText("self.a.c", self), "error: no such key: c");
  EXPECT_EQ(EvalText("self['zz']", self), "error: no such key: zz");
  EXPECT_EQ(EvalText("self.a.b.c", self), "error: no such overload: field selection 'c' on list");
  EXPECT_EQ(EvalText("self.a.b['x']", self), "error: no such overload: _[_](list, string)");
  EXPECT_EQ(EvalText("{'a': 1, 'a': 2}"), "error: Failed with repeated key: \"a\"");
  EXPECT_EQ(EvalText("{[1]: 2}"), "error: unsupported key type: list");
}

TEST(CelEvalTest, HasMacro) {
  const char* self = R"({"a": {"b": null}, "s": "x"})";
  EXPECT_EQ(EvalText("has(self.a)", self), "true");
  EXPECT_EQ(EvalText("has(self.a.b)", self), "true");
  EXPECT_EQ(EvalText("has(self.z)", self), "false");
  EXPECT_EQ(EvalText("has(self.z.y)", self), "error: no such key: z");
  EXPECT_EQ(EvalText("has(self.s.y)", self), "error: invalid type for field selection: has(y) on string");
  EXPECT_EQ(EvalText("has({'k': 1}.k)"), "true");
}

TEST(CelEvalTest, Macros) {
  EXPECT_EQ(EvalText("[1, 2, 3].all(x, x > 0)"), "true");
  EXPECT_EQ(EvalText("[1, 2, 3].all(x, x > 1)"), "false");
  EXPECT_EQ(EvalText("[1, 2, 3].exists(x, x == 2)"), "true");
  EXPECT_EQ(EvalText("[].exists(x, x == 2)"), "false");
  EXPECT_EQ(EvalText("[1, 2, 3].exists_one(x, x > 1)"), "false");
  EXPECT_EQ(EvalText("[1, 2, 3].exists_one(x, x > 2)"), "true");
  EXPECT_EQ(EvalText("[1, 2, 3].map(x, x * 2)"), "[2, 4, 6]");
  EXPECT_EQ(EvalText("[1, 2, 3].map(x, x > 1, x * 10)"), "[20, 30]");
  EXPECT_EQ(EvalText("[1, 2, 3].filter(x, x != 2)"), "[1, 3]");
  EXPECT_EQ(EvalText("{'a': 1, 'b': 2}.all(k, k.size() == 1)"), "true");
  EXPECT_EQ(EvalText("{'a': 1, 'b': 2}.map(k, k)"), "[\"a\", \"b\"]");
  EXPECT_EQ(EvalText("[[1, 2], [3]].all(l, l.all(x, x > 0))"), "true");
  // The inner variable shadows the outer one and goes out of scope afterwards.
  EXPECT_EQ(EvalText("[1].map(x, [2].map(x, x)[0] + x)"), "[3]");
  EXPECT_EQ(EvalText("dyn(1).all(x, true)"), "error: no such overload: all(int)");
}

TEST(CelEvalTest, MacrosAbsorbErrorsLikeLogicalOperators) {
  EXPECT_EQ(EvalText("[0, 1].all(x, 1 / x > 0)"), "error: division by zero");
  EXPECT_EQ(EvalText("[0, -1].all(x, 1 / x > 0)"), "false");
  EXPECT_EQ(EvalText("[0, 1].exists(x, 1 / x > 0)"), "true");
  EXPECT_EQ(EvalText("[0, 1].exists_one(x, 1 / x > 0)"), "error: division by zero");
  EXPECT_EQ(EvalText("[1, 0].map(x, 1 / x)"), "error: division by zero");
  EXPECT_EQ(EvalText("[1].all(x, x)"), "error: no such overload: all(int)");
}

TEST(CelEvalTest, Optionals) {
  const char* self = R"({"a": {"b": 1}, "l": [5]})";
  EXPECT_EQ(EvalText("self.?a.?b", self), "optional.of(1)");
  EXPECT_EQ(EvalText("self.?x.?b", self), "optional.none()");
  EXPECT_EQ(EvalText("self.?x.b.orValue(7)", self), "7");
  EXPECT_EQ(EvalText("self.?a.b.orValue(7)", self), "1");
  EXPECT_EQ(EvalText("self.l[?3].hasValue()", self), "false");
  EXPECT_EQ(EvalText("self.l[?0].value()", self), "5");
  EXPECT_EQ(EvalText("self.?x.value()", self), "error: optional.none() dereference");
  EXPECT_EQ(EvalText("optional.of(1).or(optional.of(2))"), "optional.of(1)");
  EXPECT_EQ(EvalText("optional.none().or(optional.of(2))"), "optional.of(2)");
  EXPECT_EQ(EvalText("optional.ofNonZeroValue('')"), "optional.none()");
  EXPECT_EQ(EvalText("[1, ?optional.none(), ?optional.of(3)]"), "[1, 3]");
  EXPECT_EQ(EvalText("{'a': 1, ?'b': optional.none(), ?'c': optional.of(2)}"), "{\"a\": 1, \"c\": 2}");
  EXPECT_EQ(EvalText("[?1]"), "error: no such overload: optional list element(int)");
}

TEST(CelEvalTest, TypesAndConversions) {
  EXPECT_EQ(EvalText("type(1) == int"), "true");
  EXPECT_EQ(EvalText("type('a') == string && type(1u) == uint && type(1.0) == double"), "true");
  EXPECT_EQ(EvalText("type([]) == list && type({}) == map && type(null) == null_type"), "true");
  EXPECT_EQ(EvalText("type(int) == type"), "true");
  EXPECT_EQ(EvalText("int('42') + int(2.9) + int(3u)"), "47");
  EXPECT_EQ(EvalText("int('x')"), "error: cannot convert \"x\" to int");
  EXPECT_EQ(EvalText("int(1e19)"), "error: integer overflow");
  EXPECT_EQ(EvalText("uint(-1)"), "error: unsigned integer overflow");
  EXPECT_EQ(EvalText("uint('7')"), "7u");
  EXPECT_EQ(EvalText("double('1.5') + double(1)"), "2.5");
  EXPECT_EQ(EvalText("string(1.5) + string(2) + string(3u) + string(true)"), "\"1.523true\"");
  EXPECT_EQ(EvalText("string(1000000.0)"), "\"1e+06\"");
  EXPECT_EQ(EvalText("string(b'abc')"), "\"abc\"");
  EXPECT_EQ(EvalText("string(b'\\xff')"), "error: invalid UTF-8 in bytes, cannot convert to string");
  EXPECT_EQ(EvalText("bytes('é').size()"), "2");
  EXPECT_EQ(EvalText("bool('true') && !bool('0')"), "true");
  EXPECT_EQ(EvalText("dyn(1) == 1"), "true");
}

TEST(CelCompileTest, UndeclaredReferencesAndFunctions) {
  EXPECT_EQ(EvalText("foo == 1"),
            "compile: compilation failed: ERROR: <input>:1:1: undeclared reference to 'foo' (in container '')\n"
            " | foo == 1\n | ^");
  EXPECT_EQ(EvalText("self.x.frobnicate()"),
            "compile: compilation failed: ERROR: <input>:1:7: undeclared reference to 'frobnicate' (in container '')\n"
            " | self.x.frobnicate()\n | ......^");
  EXPECT_THAT(EvalText("nope(1)"), ::testing::StartsWith("compile: compilation failed: ERROR: <input>:1:1: undeclared reference to 'nope' (in c"));
  EXPECT_THAT(EvalText("'a'.startsWith('a', 'b')"),
            "compile: compilation failed: ERROR: <input>:1:4: found no matching overload for 'startsWith' applied to "
            "'string.(string, string)'\n | 'a'.startsWith('a', 'b')\n | ...^");
  EXPECT_THAT(EvalText("size()"), ::testing::StartsWith("compile: compilation failed: ERROR: <input>:1:1: found no matching overload for 'size' applied to '()'\n"));
  EXPECT_THAT(EvalText("[1].all(x, y > 0)"), ::testing::StartsWith("compile: compilation failed: ERROR: <input>:1:12: undeclared reference to 'y'"));
  EXPECT_THAT(EvalText("'a'.matches('[')"), ::testing::StartsWith("compile: compilation failed: ERROR: <input>:1:13: invalid regular expression: missing"));
}

TEST(CelCompileTest, KnownKindsAreCheckedAtCompileTime) {
  const std::pair<const char*, const char*> cases[] = {
      {"1 + 1u", "ERROR: <input>:1:3: found no matching overload for '_+_' applied to '(int, uint)'"},
      {"'a' + 1", "ERROR: <input>:1:5: found no matching overload for '_+_' applied to '(string, int)'"},
      {"5.5 % 2.0", "ERROR: <input>:1:5: found no matching overload for '_%_' applied to '(double, double)'"},
      {"-1u", "ERROR: <input>:1:1: found no matching overload for '-_' applied to '(uint)'"},
      {"1 == 'a'", "ERROR: <input>:1:3: found no matching overload for '_==_' applied to '(int, string)'"},
      {"[1] < [2]", "ERROR: <input>:1:5: found no matching overload for '_<_' applied to '(list, list)'"},
      {"1 && true", "ERROR: <input>:1:3: found no matching overload for '_&&_' applied to '(int, bool)'"},
      {"1 ? 1 : 2", "ERROR: <input>:1:3: found no matching overload for '_?_:_' applied to '(int, int, int)'"},
      {"1 in 'abc'", "ERROR: <input>:1:3: found no matching overload for '@in' applied to '(int, string)'"},
      {"1.all(x, true)", "ERROR: <input>:1:2: expression of type 'int' cannot be range of a comprehension"},
      {"[1].all(x, 1)", "ERROR: <input>:1:12: found no matching overload for 'all' predicate applied to 'int'"},
      {"size(1)", "ERROR: <input>:1:1: found no matching overload for 'size' applied to '(int)'"},
      {"1.contains('x')", "ERROR: <input>:1:2: found no matching overload for 'contains' applied to 'int.(string)'"},
      {"'abc'.x", "ERROR: <input>:1:6: type 'string' does not support field selection"},
      {"'abc'[0]", "ERROR: <input>:1:6: found no matching overload for '_[_]' applied to '(string, int)'"},
      {"duration('1s') + 1", "ERROR: <input>:1:16: found no matching overload for '_+_' applied to '(google.protobuf.Duration, int)'"},
  };
  for (const auto& [expression, want] : cases) {
    EXPECT_THAT(EvalText(expression), ::testing::StartsWith(std::string("compile: compilation failed: ") + want)) << expression;
  }
  // Kinds that only evaluation can tell are left to it.
  EXPECT_EQ(EvalText("self + 1", "1"), "2");
  EXPECT_EQ(EvalText("self.a + 1", R"({"a": "x"})"), "error: no such overload: _+_(string, int)");
}

TEST(CelCompileTest, ResultKind) {
  const std::pair<const char*, StaticKind> cases[] = {
      {"self.a == 1", StaticKind::kBool}, {"self.a", StaticKind::kDyn},           {"'a' + 'b'", StaticKind::kString},
      {"size(self)", StaticKind::kInt},   {"[1].map(x, x)", StaticKind::kList}, {"self.all(x, x)", StaticKind::kBool},
      {"true ? 1 : 2", StaticKind::kInt}, {"true ? 1 : 'a'", StaticKind::kDyn},
  };
  for (const auto& [expression, kind] : cases) {
    auto program = Compile(expression, {{"self"}});
    ASSERT_TRUE(program.ok()) << expression;
    EXPECT_EQ(KindName((*program)->result_kind()), KindName(kind)) << expression;
  }
}

TEST(CelCompileTest, ReferencesAndEstimatedCost) {
  auto program = Compile("self.x == oldSelf.x", {{"self"}, {"oldSelf"}});
  ASSERT_TRUE(program.ok());
  EXPECT_TRUE((*program)->References("oldSelf"));
  auto plain = Compile("[1].all(self, self > 0)", {{"self"}, {"oldSelf"}});
  ASSERT_TRUE(plain.ok());
  EXPECT_FALSE((*plain)->References("self"));  // the macro variable shadows it
  EXPECT_FALSE((*plain)->References("oldSelf"));

  auto bounded = std::make_shared<TypeHint>();
  bounded->kind = TypeHint::Kind::kList;
  bounded->element = TypeHint::Of(TypeHint::Kind::kInt);
  bounded->max_size = 10;
  auto unbounded = std::make_shared<TypeHint>(*bounded);
  unbounded->max_size = -1;
  const char* nested = "self.all(x, self.all(y, x != y))";
  auto small = Compile(nested, {{"self", bounded}});
  auto big = Compile(nested, {{"self", unbounded}});
  ASSERT_TRUE(small.ok() && big.ok());
  EXPECT_LT((*small)->estimated_cost(), 1000);
  EXPECT_GT((*big)->estimated_cost(), kStaticEstimatedCostLimit);
  auto single = Compile("self.all(x, x > 0)", {{"self", unbounded}});
  ASSERT_TRUE(single.ok());
  EXPECT_LT((*single)->estimated_cost(), kStaticEstimatedCostLimit);
}

TEST(CelEvalTest, CostBudgetStopsRunawayExpressions) {
  std::string list = "[";
  for (int i = 0; i < 2000; ++i) list += (i ? "," : "") + std::to_string(i);
  list += "]";
  EXPECT_EQ(EvalText("self.all(x, self.all(y, x + y >= 0))", list),
            "cost: operation cancelled: actual cost limit exceeded");
  EXPECT_EQ(EvalText("self.all(x, x >= 0)", list), "true");
  EXPECT_EQ(EvalText("self.all(x, x >= 0)", list, nullptr, "", 100), "cost: operation cancelled: actual cost limit exceeded");
  // The budget is not an error that || can absorb.
  EXPECT_EQ(EvalText("true || self.all(x, true)", list, nullptr, "", 5), "true");
  EXPECT_EQ(EvalText("self.all(x, self.all(y, true)) || true", list), "cost: operation cancelled: actual cost limit exceeded");
}

TEST(CelEvalTest, VariablesAbsentAndOptional) {
  auto program = Compile("oldSelf.hasValue() ? oldSelf.value() == self : true",
                         {{"self"}, {.name = "oldSelf", .optional = true}});
  ASSERT_TRUE(program.ok()) << program.status();
  boost::json::value one(1), two(2);
  EXPECT_EQ(*(*program)->EvaluateBool({{"self", &one}}), true);
  EXPECT_EQ(*(*program)->EvaluateBool({{"self", &one}, {"oldSelf", &two}}), false);
  auto plain = Compile("oldSelf == self", {{"self"}, {"oldSelf"}});
  ASSERT_TRUE(plain.ok());
  EXPECT_EQ((*plain)->Evaluate({{"self", &one}}).status().message(), "no such attribute: oldSelf");
  EXPECT_EQ((*plain)->EvaluateBool({{"self", &one}, {"oldSelf", &one}}).value(), true);
  auto str = Compile("'x' + string(self)", {{"self"}});
  ASSERT_TRUE(str.ok());
  EXPECT_EQ((*str)->EvaluateString({{"self", &one}}).value(), "x1");
  EXPECT_EQ((*str)->EvaluateBool({{"self", &one}}).status().message(), "rule did not evaluate to a bool: got string");
}

TEST(CelEvalTest, ProgramsEvaluateConcurrently) {
  auto program = Compile("self.items.all(x, x.matches('^[a-z]+$')) && self.items.size() == 3", {{"self"}});
  ASSERT_TRUE(program.ok());
  boost::json::value good = boost::json::parse(R"({"items": ["a", "bc", "def"]})");
  boost::json::value bad = boost::json::parse(R"({"items": ["a", "B", "def"]})");
  std::atomic<int> wrong{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 500; ++i) {
        if ((*program)->EvaluateBool({{"self", &good}}).value_or(false) != true) ++wrong;
        if ((*program)->EvaluateBool({{"self", &bad}}).value_or(true) != false) ++wrong;
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(wrong.load(), 0);
}

}  // namespace
}  // namespace skiff::api::cel
