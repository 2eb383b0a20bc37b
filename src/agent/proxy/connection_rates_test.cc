#include "agent/proxy/connection_rates.h"

#include "boost/json/parse.hpp"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace skiff::agent::proxy {
namespace {

using ::testing::DoubleEq;
using ::testing::ElementsAre;
using ::testing::Pair;

TEST(ConnectionRatesTest, ParsesServiceCountersOfNftListCounters) {
  const std::string listed = R"(table ip skiff-proxy {
	counter conns-Q2MZ7A3K-default/web {
		packets 3 bytes 180
	}
	counter "conns-ABCDEFGH-team-a/api" {
		packets 12 bytes 720
	}
	counter other {
		packets 5 bytes 1
	}
	counter conns-short {
		packets 9 bytes 1
	}
})";
  EXPECT_THAT(ParseCounters(listed), ElementsAre(Pair("default/web", 3u), Pair("team-a/api", 12u)));
  EXPECT_TRUE(ParseCounters("").empty());
  EXPECT_TRUE(ParseCounters("Error: No such file or directory").empty());
}

TEST(ConnectionRatesTest, RateIsTheGrowthOverTheWindow) {
  ConnectionRates rates(absl::Seconds(10));
  const absl::Time t0 = absl::FromUnixSeconds(1000);
  rates.Record(t0, {{"default/web", 100}});
  EXPECT_THAT(rates.Rates(), ElementsAre(Pair("default/web", DoubleEq(0))));  // one sample: no rate yet
  for (int i = 1; i <= 20; ++i) rates.Record(t0 + absl::Seconds(i), {{"default/web", 100u + 2 * i}});
  // 2 new connections a second, measured over the last 10 s.
  EXPECT_THAT(rates.Rates(), ElementsAre(Pair("default/web", DoubleEq(2))));
  // Idle for a whole window: back to 0.
  for (int i = 21; i <= 31; ++i) rates.Record(t0 + absl::Seconds(i), {{"default/web", 140}});
  EXPECT_THAT(rates.Rates(), ElementsAre(Pair("default/web", DoubleEq(0))));
  // A re-created counter starts again instead of giving a negative rate; a gone one is forgotten.
  rates.Record(t0 + absl::Seconds(32), {{"default/web", 1}, {"default/new", 0}});
  rates.Record(t0 + absl::Seconds(33), {{"default/web", 3}, {"default/new", 1}});
  EXPECT_THAT(rates.Rates(), ElementsAre(Pair("default/new", DoubleEq(1)), Pair("default/web", DoubleEq(2))));
  rates.Record(t0 + absl::Seconds(34), {{"default/new", 1}});
  EXPECT_EQ(rates.Rates().count("default/web"), 0u);
}

TEST(ConnectionRatesTest, ReadsAreRemembered) {
  ConnectionRates rates;
  const absl::Time after_start = absl::Now() + absl::Milliseconds(1);
  absl::SleepFor(absl::Milliseconds(2));
  EXPECT_FALSE(rates.ReadSince(after_start));  // only the start counts as a read so far
  rates.Rates();
  EXPECT_TRUE(rates.ReadSince(after_start));
}

TEST(ConnectionRatesTest, StatsDocumentSumsTheSources) {
  const std::string doc =
      ServiceStatsJson({{{"default/web", 1.5}, {"a/b", 0}}, {{"default/web", 0.5}}}, absl::Seconds(10));
  EXPECT_EQ(boost::json::parse(doc),
            boost::json::parse(R"({"windowSeconds":10,"services":[
                {"namespace":"a","name":"b","requestsPerSecond":0.0},
                {"namespace":"default","name":"web","requestsPerSecond":2.0}]})"));
}

}  // namespace
}  // namespace skiff::agent::proxy
