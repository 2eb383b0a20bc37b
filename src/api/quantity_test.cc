#include "api/quantity.h"

#include <limits>
#include <string>

#include "boost/json/parse.hpp"
#include "gtest/gtest.h"

namespace skiff::api {
namespace {

Quantity Q(std::string_view text) {
  absl::StatusOr<Quantity> q = Quantity::Parse(text);
  EXPECT_TRUE(q.ok()) << text << ": " << q.status();
  return q.ok() ? *q : Quantity();
}

std::string Canonical(std::string_view text) {
  absl::StatusOr<Quantity> q = Quantity::Parse(text);
  return q.ok() ? q->String() : "ERROR: " + std::string(q.status().message());
}

constexpr char kFormatError[] =
    "ERROR: quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'";
constexpr char kSuffixError[] = "ERROR: unable to parse quantity's suffix";

TEST(QuantityTest, CanonicalForms) {
  struct Case {
    const char* in;
    const char* out;
  } cases[] = {
      {"100m", "100m"},
      {"1", "1"},
      {"1.5", "1500m"},
      {"2Gi", "2Gi"},
      {"500Mi", "500Mi"},
      {"1e3", "1e3"},
      {"1k", "1k"},
      {"1M", "1M"},
      {"12E", "12E"},
      {"0.1", "100m"},
      {"1000m", "1"},
      {"1.5Gi", "1536Mi"},
      {"0.5", "500m"},
      {"1024Mi", "1Gi"},
      {"0", "0"},
      {"00", "0"},
      {"-0", "0"},
      {"0Ki", "0"},
      {"-1", "-1"},
      {"1Ki", "1Ki"},
      {"1024Ki", "1Mi"},
      {"1023Ki", "1023Ki"},
      {"8Ki", "8Ki"},
      {"0.5Ki", "512"},
      {"1.5Ki", "1536"},
      {"1.1Ki", "1126400m"},
      {"1n", "1n"},
      {"0.1n", "1n"},
      {"1u", "1u"},
      {"1000k", "1M"},
      {"1500k", "1500k"},
      {"1.5e3", "1500"},
      {"1000e0", "1e3"},
      {"1E3", "1E3"},
      {"1e-3", "1e-3"},
      {"1000E", "1e21"},
      {"1e-100", "1e-9"},
      {"-1.5Gi", "-1536Mi"},
      {"-0.5", "-500m"},
      {"-1Ki", "-1Ki"},
      {"7Ei", "7Ei"},
      {"8Ei", "9223372036854775807"},
      {"2048", "2048"},
      {"1200000", "1200k"},
      {"0.000001", "1u"},
      {"123.456789", "123.456789"},
      {"1.0", "1"},
      {"05", "05"},
      {"100Mi", "100Mi"},
      {"128974848", "128974848"},
      {"129e6", "129e6"},
      {"129M", "129M"},
      {"123Mi", "123Mi"},
      {"0.5Gi", "512Mi"},
      {"1.23456789Gi", "1325607178060431360n"},
  };
  for (const Case& c : cases) EXPECT_EQ(Canonical(c.in), c.out) << c.in;
}

TEST(QuantityTest, CanonicalInputIsEchoedLikeKubernetes) {
  // Kubernetes re-emits input that is already in canonical shape verbatim, quirks included.
  EXPECT_EQ(Canonical("+1"), "+1");
  EXPECT_EQ(Canonical("1.500"), "1.500");
  EXPECT_EQ(Canonical("1."), "1.");
  EXPECT_EQ(Canonical("1500e0"), "1500e0");
  // ... but anything computed is canonical again.
  Quantity q = Q("+1");
  ASSERT_TRUE(q.Add(Q("0")).ok());
  EXPECT_EQ(q.String(), "1");
}

TEST(QuantityTest, DegenerateNumbersParseAsZeroLikeKubernetes) {
  EXPECT_EQ(Canonical("+"), "0");
  EXPECT_EQ(Canonical("-"), "0");
  EXPECT_EQ(Canonical("."), "0");
  EXPECT_EQ(Canonical(".5"), "500m");
}

TEST(QuantityTest, RejectsMalformed) {
  for (const char* bad : {"", "abc", "1.2.3", "1KiB", " 1", "1 ", "1e3.5", "1,5", "0x10", "1Ki ", "--1x"}) {
    EXPECT_EQ(Canonical(bad), kFormatError) << bad;
  }
  for (const char* bad : {"1mm", "1e", "1Ki2", "--1", "1ki", "1K", "1iK", "1e-", "1e+"}) {
    EXPECT_EQ(Canonical(bad), kSuffixError) << bad;
  }
}

TEST(QuantityTest, RangeLimits) {
  EXPECT_EQ(Canonical("99999999999999999999999999999"), "99999999999999999999999999999");
  EXPECT_EQ(Quantity::Parse("1e29").status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(Quantity::Parse("100000000000000000000000000000").status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(Quantity::Parse("1e999999999999").status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(Canonical("1e-999999999999"), "1e-9");
  EXPECT_EQ(Canonical("0e999999999999"), "0");
  // Binary input is capped, not rejected.
  EXPECT_EQ(Canonical("100000000000000000000000000000000000000000000Ki"), "9223372036854775807");
  EXPECT_EQ(Canonical("0." + std::string(500, '0') + "1"), "1n");
  EXPECT_EQ(Canonical("1." + std::string(500, '0') + "1"), "1000000001n");
}

TEST(QuantityTest, ExactArithmetic) {
  Quantity q = Q("100m");
  ASSERT_TRUE(q.Add(Q("900m")).ok());
  EXPECT_EQ(q, Q("1"));
  EXPECT_EQ(q.String(), "1");
  ASSERT_TRUE(q.Sub(Q("1")).ok());
  EXPECT_TRUE(q.IsZero());
  EXPECT_EQ(q.String(), "0");

  Quantity sum;
  for (int i = 0; i < 10; ++i) ASSERT_TRUE(sum.Add(Q("0.1")).ok());
  EXPECT_EQ(sum, Q("1"));

  Quantity mem;  // zero takes the other side's format
  ASSERT_TRUE(mem.Add(Q("1Gi")).ok());
  EXPECT_EQ(mem.String(), "1Gi");
  ASSERT_TRUE(mem.Add(Q("512Mi")).ok());
  EXPECT_EQ(mem.String(), "1536Mi");
  ASSERT_TRUE(mem.Sub(Q("2Gi")).ok());
  EXPECT_EQ(mem.String(), "-512Mi");
  mem.Neg();
  EXPECT_EQ(mem.String(), "512Mi");

  Quantity cpu = Q("1");
  ASSERT_TRUE(cpu.Sub(Q("2500m")).ok());
  EXPECT_EQ(cpu.String(), "-1500m");
}

TEST(QuantityTest, OverflowIsAnErrorAndLeavesValueUnchanged) {
  Quantity big = Q("99999999999999999999999999999");
  absl::Status s = big.Add(big);
  EXPECT_EQ(s.code(), absl::StatusCode::kOutOfRange);
  EXPECT_EQ(big.String(), "99999999999999999999999999999");
  Quantity neg = Q("-99999999999999999999999999999");
  EXPECT_EQ(neg.Sub(big).code(), absl::StatusCode::kOutOfRange);
}

TEST(QuantityTest, ValueAndMilliValueRoundAwayFromZero) {
  EXPECT_EQ(Q("100m").MilliValue(), 100);
  EXPECT_EQ(Q("100m").Value(), 1);
  EXPECT_EQ(Q("-100m").Value(), -1);
  EXPECT_EQ(Q("1.5").Value(), 2);
  EXPECT_EQ(Q("2").Value(), 2);
  EXPECT_EQ(Q("1n").MilliValue(), 1);
  EXPECT_EQ(Q("-1n").MilliValue(), -1);
  EXPECT_EQ(Q("1Gi").Value(), 1073741824);
  EXPECT_EQ(Q("1Gi").MilliValue(), 1073741824000);
  EXPECT_EQ(Q("0").Value(), 0);
  EXPECT_EQ(Q("1e28").Value(), std::numeric_limits<int64_t>::max());
  EXPECT_EQ(Q("-1e28").MilliValue(), std::numeric_limits<int64_t>::min());
  EXPECT_EQ(Q("8Ei").Value(), std::numeric_limits<int64_t>::max());
}

TEST(QuantityTest, CompareByValue) {
  EXPECT_EQ(Q("1Ki"), Q("1024"));
  EXPECT_EQ(Q("1000m"), Q("1"));
  EXPECT_GT(Q("1Gi"), Q("1G"));
  EXPECT_LT(Q("-1"), Q("0"));
  EXPECT_LT(Q("999m"), Q("1"));
  EXPECT_EQ(Q("1e3").Compare(Q("1k")), 0);
  EXPECT_EQ(Q("1").Compare(Q("2")), -1);
  EXPECT_EQ(Q("3").Compare(Q("2")), 1);
  EXPECT_EQ(Q("5").Sign(), 1);
  EXPECT_EQ(Q("-5m").Sign(), -1);
  EXPECT_EQ(Q("0").Sign(), 0);
}

TEST(QuantityTest, Formats) {
  EXPECT_EQ(Q("1Ki").format(), Quantity::Format::kBinarySI);
  EXPECT_EQ(Q("1k").format(), Quantity::Format::kDecimalSI);
  EXPECT_EQ(Q("1e3").format(), Quantity::Format::kDecimalExponent);
  EXPECT_EQ(Q("0.5Ki").format(), Quantity::Format::kBinarySI);
  EXPECT_EQ(Q("0.0001Ki").format(), Quantity::Format::kDecimalSI);  // (0,1) binary becomes decimal
  EXPECT_EQ(Quantity::FromInt64(2048, Quantity::Format::kBinarySI).String(), "2Ki");
  EXPECT_EQ(Quantity::FromInt64(1000).String(), "1k");
  EXPECT_EQ(Quantity::FromMilli(1500).String(), "1500m");
  EXPECT_EQ(Quantity::FromMilli(-250).String(), "-250m");
}

TEST(QuantityTest, Json) {
  auto from = [](const char* json) {
    absl::StatusOr<Quantity> q = Quantity::FromJson(boost::json::parse(json));
    return q.ok() ? q->String() : "ERROR: " + std::string(q.status().message());
  };
  EXPECT_EQ(from(R"("2Gi")"), "2Gi");
  EXPECT_EQ(from(R"("  100m ")"), "100m");
  EXPECT_EQ(from("1"), "1");
  EXPECT_EQ(from("-3"), "-3");
  EXPECT_EQ(from("0.5"), "500m");
  EXPECT_EQ(from("1.25"), "1250m");
  EXPECT_EQ(from("18446744073709551615"), "18446744073709551615");
  EXPECT_EQ(from("1e20"), "100e18");
  EXPECT_EQ(from("null"), "0");
  EXPECT_EQ(from("true"), kFormatError);
  EXPECT_EQ(from(R"("bad")"), kFormatError);
  EXPECT_EQ(Q("1.5Gi").ToJson(), boost::json::value("1536Mi"));
}

}  // namespace
}  // namespace skiff::api

namespace skiff::api {
namespace {

// Found by selector_fuzz: two quantities near the top of the range overflowed int128 when added.
TEST(QuantityOverflowTest, AddAndSubNearTheLimitReportOutOfRange) {
  auto big = Quantity::Parse("85555555555555555555555555555");
  ASSERT_TRUE(big.ok()) << big.status();
  Quantity sum = *big;
  EXPECT_TRUE(absl::IsOutOfRange(sum.Add(*big)));
  EXPECT_EQ(sum.String(), big->String());  // unchanged on overflow
  auto negative = Quantity::Parse("-85555555555555555555555555555");
  ASSERT_TRUE(negative.ok());
  Quantity diff = *negative;
  EXPECT_TRUE(absl::IsOutOfRange(diff.Sub(*big)));
}

}  // namespace
}  // namespace skiff::api
