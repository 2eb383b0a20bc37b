// One case per library function (and its error), evaluated through the public API.
#include "api/cel/functions.h"

#include "api/cel/eval_test_util.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace skiff::api::cel {
namespace {

using test_util::EvalText;

TEST(CelFunctionsTest, SizeAndStringTests) {
  EXPECT_EQ(EvalText("size('héllo') == 5 && 'héllo'.size() == 5"), "true");
  EXPECT_EQ(EvalText("size(b'h\\xc3\\xa9') + size([1, 2]) + size({'a': 1})"), "6");
  EXPECT_EQ(EvalText("size(dyn(1))"), "error: no such overload: size(int)");
  EXPECT_EQ(EvalText("'foobar'.contains('oba') && 'foobar'.startsWith('foo') && 'foobar'.endsWith('bar')"), "true");
  EXPECT_EQ(EvalText("'foobar'.contains('x')"), "false");
  EXPECT_EQ(EvalText("dyn(1).contains('x')"), "error: no such overload: contains(int, string)");
}

TEST(CelFunctionsTest, RegularExpressionsUseRe2) {
  EXPECT_EQ(EvalText("'abc123'.matches('[0-9]+')"), "true");  // unanchored, as CEL defines
  EXPECT_EQ(EvalText("'abc'.matches('^[0-9]+$')"), "false");
  EXPECT_EQ(EvalText("matches('ABC', '(?i)^abc$')"), "true");
  EXPECT_EQ(EvalText("'x'.matches(self)", "\"(\""), "error: invalid regular expression: missing ): (");
  EXPECT_EQ(EvalText("'a1b22c333'.find('[0-9]+')"), "\"1\"");
  EXPECT_EQ(EvalText("'abc'.find('[0-9]+')"), "\"\"");
  EXPECT_EQ(EvalText("'a1b22c333'.findAll('[0-9]+')"), "[\"1\", \"22\", \"333\"]");
  EXPECT_EQ(EvalText("'a1b22c333'.findAll('[0-9]+', 2)"), "[\"1\", \"22\"]");
}

TEST(CelFunctionsTest, KubernetesStringLibrary) {
  EXPECT_EQ(EvalText("'héllo'.charAt(1)"), "\"é\"");
  EXPECT_EQ(EvalText("'abc'.charAt(3)"), "\"\"");
  EXPECT_EQ(EvalText("'abc'.charAt(4)"), "error: index out of range: 4");
  EXPECT_EQ(EvalText("'hello mellow'.indexOf('ello')"), "1");
  EXPECT_EQ(EvalText("'hello mellow'.indexOf('ello', 2)"), "7");
  EXPECT_EQ(EvalText("'hello'.indexOf('x')"), "-1");
  EXPECT_EQ(EvalText("'hello'.indexOf('', 9)"), "error: index out of range: 9");
  EXPECT_EQ(EvalText("'hello mellow'.lastIndexOf('ello')"), "7");
  EXPECT_EQ(EvalText("'hello mellow'.lastIndexOf('ello', 6)"), "1");
  EXPECT_EQ(EvalText("'TacoCat'.lowerAscii() + 'TacoCat'.upperAscii()"), "\"tacocatTACOCAT\"");
  EXPECT_EQ(EvalText("'a-b-c'.replace('-', '+')"), "\"a+b+c\"");
  EXPECT_EQ(EvalText("'a-b-c'.replace('-', '+', 1)"), "\"a+b-c\"");
  EXPECT_EQ(EvalText("'ab'.replace('', '.')"), "\".a.b.\"");
  EXPECT_EQ(EvalText("'a,b,c'.split(',')"), "[\"a\", \"b\", \"c\"]");
  EXPECT_EQ(EvalText("'a,b,c'.split(',', 2)"), "[\"a\", \"b,c\"]");
  EXPECT_EQ(EvalText("'a,b'.split(',', 0)"), "[]");
  EXPECT_EQ(EvalText("'abc'.split('')"), "[\"a\", \"b\", \"c\"]");
  EXPECT_EQ(EvalText("'tacocat'.substring(4)"), "\"cat\"");
  EXPECT_EQ(EvalText("'tacocat'.substring(0, 4)"), "\"taco\"");
  EXPECT_EQ(EvalText("'tacocat'.substring(4, 2)"), "error: invalid substring range. start: 4, end: 2");
  EXPECT_EQ(EvalText("'abc'.substring(5)"), "error: index out of range: 5");
  EXPECT_EQ(EvalText("'  \\t trim\\n '.trim()"), "\"trim\"");
  EXPECT_EQ(EvalText("['a', 'b'].join('-') + ['c', 'd'].join()"), "\"a-bcd\"");
  EXPECT_EQ(EvalText("[1].join()"), "error: no such overload: join(list)");
  EXPECT_EQ(EvalText("'abc'.reverse()"), "\"cba\"");
  EXPECT_EQ(EvalText("strings.quote('a\"b')"), "\"\\\"a\\\\\\\"b\\\"\"");
}

TEST(CelFunctionsTest, KubernetesListLibrary) {
  EXPECT_EQ(EvalText("[1, 2, 2, 3].isSorted() && !['b', 'a'].isSorted()"), "true");
  EXPECT_EQ(EvalText("[1, 2, 3].sum()"), "6");
  EXPECT_EQ(EvalText("[1.5, 2.5].sum()"), "4");
  EXPECT_EQ(EvalText("[].sum()"), "0");
  EXPECT_EQ(EvalText("[duration('1s'), duration('2s')].sum()"), "duration(\"3s\")");
  EXPECT_EQ(EvalText("[9223372036854775807, 1].sum()"), "error: integer overflow");
  EXPECT_EQ(EvalText("['a'].sum()"), "error: no such overload: sum(list)");
  EXPECT_EQ(EvalText("[3, 1, 2].min()"), "1");
  EXPECT_EQ(EvalText("['b', 'c', 'a'].max()"), "\"c\"");
  EXPECT_EQ(EvalText("[].min()"), "error: min called on empty list");
  EXPECT_EQ(EvalText("[1, 2, 1].indexOf(1)"), "0");
  EXPECT_EQ(EvalText("[1, 2, 1].lastIndexOf(1)"), "2");
  EXPECT_EQ(EvalText("[1, 2].indexOf(3)"), "-1");
}

TEST(CelFunctionsTest, SetsLibrary) {
  EXPECT_EQ(EvalText("sets.contains([1, 2, 3], [3, 1])"), "true");
  EXPECT_EQ(EvalText("sets.contains([1, 2], [4])"), "false");
  EXPECT_EQ(EvalText("sets.equivalent([1, 2, 2], [2, 1])"), "true");
  EXPECT_EQ(EvalText("sets.intersects([1, 2], [2, 5]) && !sets.intersects([1], [2])"), "true");
}

TEST(CelFunctionsTest, TimestampsAndDurations) {
  EXPECT_EQ(EvalText("timestamp('2023-03-04T05:06:07.5Z')"), "timestamp(\"2023-03-04T05:06:07.5Z\")");
  EXPECT_EQ(EvalText("string(timestamp('2023-03-04T05:06:07+01:00'))"), "\"2023-03-04T04:06:07Z\"");
  EXPECT_EQ(EvalText("timestamp('yesterday')"), "error: timestamp parse error: cannot parse \"yesterday\" as RFC 3339");
  EXPECT_EQ(EvalText("timestamp(0) == timestamp('1970-01-01T00:00:00Z')"), "true");
  EXPECT_EQ(EvalText("duration('1h30m') == duration('90m')"), "true");
  EXPECT_EQ(EvalText("string(duration('1.5s')) + string(duration('-2m'))"), "\"1.5s-120s\"");
  EXPECT_EQ(EvalText("duration('1x')"), "error: time: invalid duration \"1x\"");
  EXPECT_EQ(EvalText("duration('300ms') < duration('1s')"), "true");
  EXPECT_EQ(EvalText("timestamp('2023-01-01T00:00:00Z') + duration('24h') == timestamp('2023-01-02T00:00:00Z')"), "true");
  EXPECT_EQ(EvalText("timestamp('2023-01-02T00:00:00Z') - timestamp('2023-01-01T00:00:00Z')"), "duration(\"86400s\")");
  EXPECT_EQ(EvalText("timestamp('9999-12-31T23:59:59Z') + duration('1s')"), "error: timestamp overflow");
  EXPECT_EQ(EvalText("duration('2562047h') + duration('2562047h')"), "error: duration overflow");
  const char* t = "timestamp('2023-03-04T05:06:07.089Z')";
  EXPECT_EQ(EvalText(std::string("[") + t + ".getFullYear(), " + t + ".getMonth(), " + t + ".getDate(), " + t +
                     ".getDayOfMonth(), " + t + ".getDayOfWeek(), " + t + ".getDayOfYear(), " + t + ".getHours(), " +
                     t + ".getMinutes(), " + t + ".getSeconds(), " + t + ".getMilliseconds()]"),
            "[2023, 2, 4, 3, 6, 62, 5, 6, 7, 89]");
  EXPECT_EQ(EvalText(std::string(t) + ".getHours('+05:30')"), "10");
  EXPECT_EQ(EvalText(std::string(t) + ".getDate('-08:00')"), "3");
  EXPECT_EQ(EvalText(std::string(t) + ".getHours('Mars/Olympus')"), "error: unknown time zone \"Mars/Olympus\"");
  EXPECT_EQ(EvalText("duration('3h25m').getHours() + duration('3h25m').getMinutes()"), "208");
  EXPECT_EQ(EvalText("duration('1.5s').getSeconds() + duration('1.5s').getMilliseconds()"), "1501");
  EXPECT_EQ(EvalText("int(timestamp('1970-01-01T00:01:00Z')) + int(duration('2ns'))"), "62");
}

TEST(CelFunctionsTest, QuantityLibrary) {
  EXPECT_EQ(EvalText("quantity('1Gi') == quantity('1024Mi')"), "true");
  EXPECT_EQ(EvalText("quantity('500m').isLessThan(quantity('1')) && quantity('2').isGreaterThan(quantity('1500m'))"), "true");
  EXPECT_EQ(EvalText("quantity('1.5').compareTo(quantity('1500m'))"), "0");
  EXPECT_EQ(EvalText("quantity('1k').asInteger() + quantity('-2').sign()"), "999");
  EXPECT_EQ(EvalText("quantity('1.5').isInteger()"), "false");
  EXPECT_EQ(EvalText("quantity('1.5').asInteger()"), "error: cannot convert value to integer");
  EXPECT_EQ(EvalText("quantity('1.5').asApproximateFloat()"), "1.5");
  EXPECT_EQ(EvalText("quantity('1Gi').add(quantity('512Mi')) == quantity('1.5Gi')"), "true");
  EXPECT_EQ(EvalText("quantity('1').sub(1).sign() == 0 && quantity('1').add(2) == quantity('3')"), "true");
  EXPECT_EQ(EvalText("string(quantity('1536Mi'))"), "\"1536Mi\"");
  EXPECT_EQ(EvalText("isQuantity('1.5Gi') && !isQuantity('1.5Gb')"), "true");
  EXPECT_THAT(EvalText("quantity('abc')"), ::testing::StartsWith("error: quantities must match the regular expression"));
  EXPECT_EQ(EvalText("quantity('1').isLessThan(1)"), "error: no such overload: isLessThan(kubernetes.Quantity, int)");
}

}  // namespace
}  // namespace skiff::api::cel
