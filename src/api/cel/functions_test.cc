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
  EXPECT_EQ(EvalText("'ab'.lastIndexOf('abc')"), "-1");
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

TEST(CelFunctionsTest, Format) {
  EXPECT_EQ(EvalText("'%s has %d replicas (%.2f%%)'.format(['web', 3, 37.5])"), "\"web has 3 replicas (37.50%)\"");
  EXPECT_EQ(EvalText("'%x %X %o %b'.format([255, 255u, 8, 5])"), "\"ff FF 10 101\"");
  EXPECT_EQ(EvalText("'%x'.format(['hi'])"), "\"6869\"");
  EXPECT_EQ(EvalText("'%e'.format([1234.5])"), "\"1.234500e+03\"");
  EXPECT_EQ(EvalText("'%s'.format([[1, 'a', true]])"), "\"[1, \\\"a\\\", true]\"");
  EXPECT_EQ(EvalText("'%s and %s'.format(['x'])"), "error: error during formatting: index 1 out of range");
  EXPECT_EQ(EvalText("'%d'.format([1.5])"), "error: error during formatting: integer expected for %d, got double");
  EXPECT_EQ(EvalText("'%q'.format([1])"), "error: error during formatting: unrecognized formatting clause \"q\"");
}

TEST(CelFunctionsTest, UrlLibrary) {
  EXPECT_EQ(EvalText("isURL('https://user@example.com:8443/a%20b?x=1&y=2&x=3') && !isURL('example.com') && !isURL('http:x')"),
            "true");
  const char* u = "url('https://user@example.com:8443/a%20b?x=1&y=a+b&x=3')";
  EXPECT_EQ(EvalText(std::string("[") + u + ".getScheme(), " + u + ".getHost(), " + u + ".getHostname(), " + u +
                     ".getPort(), " + u + ".getEscapedPath()]"),
            "[\"https\", \"example.com:8443\", \"example.com\", \"8443\", \"/a%20b\"]");
  EXPECT_EQ(EvalText(std::string(u) + ".getQuery()"), "{\"x\": [\"1\", \"3\"], \"y\": [\"a b\"]}");
  EXPECT_EQ(EvalText("url('http://[::1]:80/').getHostname() + url('/just/a/path').getScheme()"), "\"::1\"");
  EXPECT_EQ(EvalText("url('not a url')"), "error: URL parse error during conversion from string: not a url");
}

TEST(CelFunctionsTest, IpAndCidrLibraries) {
  EXPECT_EQ(EvalText("isIP('10.0.0.1') && isIP('2001:db8::1') && !isIP('10.0.0.01') && !isIP('::ffff:1.2.3.4') && !isIP('fe80::1%eth0')"),
            "true");
  EXPECT_EQ(EvalText("ip('2001:DB8::1') == ip('2001:db8::1') && string(ip('2001:DB8::1')) == '2001:db8::1'"), "true");
  EXPECT_EQ(EvalText("ip.isCanonical('2001:db8::1') && !ip.isCanonical('2001:DB8::1')"), "true");
  EXPECT_EQ(EvalText("[ip('10.0.0.1').family(), ip('::1').family()]"), "[4, 6]");
  EXPECT_EQ(EvalText("ip('127.0.0.1').isLoopback() && ip('0.0.0.0').isUnspecified() && ip('169.254.1.1').isLinkLocalUnicast()"),
            "true");
  EXPECT_EQ(EvalText("ip('224.0.0.5').isLinkLocalMulticast() && ip('ff02::1').isLinkLocalMulticast()"), "true");
  EXPECT_EQ(EvalText("ip('10.1.2.3').isGlobalUnicast() && !ip('255.255.255.255').isGlobalUnicast()"), "true");
  EXPECT_EQ(EvalText("ip('300.1.1.1')"), "error: IP Address \"300.1.1.1\" parse error during conversion from string");
  EXPECT_EQ(EvalText("cidr('10.0.0.0/8').containsIP('10.1.2.3') && !cidr('10.0.0.0/8').containsIP(ip('11.0.0.1'))"), "true");
  EXPECT_EQ(EvalText("cidr('10.0.0.0/8').containsCIDR('10.1.0.0/16') && !cidr('10.1.0.0/16').containsCIDR('10.0.0.0/8')"),
            "true");
  EXPECT_EQ(EvalText("string(cidr('10.1.2.3/8').masked()) + ' ' + string(cidr('10.1.2.3/8').ip())"), "\"10.0.0.0/8 10.1.2.3\"");
  EXPECT_EQ(EvalText("cidr('2001:db8::/32').prefixLength()"), "32");
  EXPECT_EQ(EvalText("isCIDR('10.0.0.0/33') || isCIDR('10.0.0.0/08') || isCIDR('10.0.0.0')"), "false");
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
  EXPECT_EQ(EvalText("quantity('1536Mi').asApproximateFloat()"), "1.610612736e+09");
  EXPECT_EQ(EvalText("quantity('5e-3').asApproximateFloat() + quantity('-2n').asApproximateFloat()"), "0.004999998");
  EXPECT_EQ(EvalText("quantity('1Gi').add(quantity('512Mi')) == quantity('1.5Gi')"), "true");
  EXPECT_EQ(EvalText("quantity('1').sub(1).sign() == 0 && quantity('1').add(2) == quantity('3')"), "true");
  EXPECT_EQ(EvalText("string(quantity('1536Mi'))"), "\"1536Mi\"");
  EXPECT_EQ(EvalText("isQuantity('1.5Gi') && !isQuantity('1.5Gb')"), "true");
  EXPECT_THAT(EvalText("quantity('abc')"), ::testing::StartsWith("error: quantities must match the regular expression"));
  EXPECT_EQ(EvalText("quantity('1').isLessThan(1)"), "error: no such overload: isLessThan(kubernetes.Quantity, int)");
}

}  // namespace
}  // namespace skiff::api::cel
