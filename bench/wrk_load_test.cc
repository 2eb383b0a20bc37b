#include "wrk_load.h"

#include "gtest/gtest.h"

namespace skiff::bench {
namespace {

TEST(WrkLoadTest, ParsesTheSummaryLineAmongWrksOwnOutput) {
  auto summary = ParseWrkSummary(
      "Running 10s test @ https://127.0.0.1:6443/\n  2 threads and 64 connections\n"
      "SKIFF_WRK requests=85344 status_errors=3 socket_errors=2 p50_us=6985 p99_us=15079 max_us=90210 "
      "duration_us=10046947\n");
  ASSERT_TRUE(summary.ok()) << summary.status();
  EXPECT_EQ(summary->requests, 85344);
  EXPECT_EQ(summary->status_errors, 3);
  EXPECT_EQ(summary->socket_errors, 2);
  EXPECT_EQ(summary->p50_us, 6985);
  EXPECT_EQ(summary->p99_us, 15079);
  EXPECT_EQ(summary->max_us, 90210);
  EXPECT_EQ(summary->duration_us, 10046947);
}

TEST(WrkLoadTest, RejectsAMissingOrIncompleteSummary) {
  EXPECT_FALSE(ParseWrkSummary("unable to connect to 127.0.0.1:6443 Connection refused\n").ok());
  EXPECT_FALSE(ParseWrkSummary("SKIFF_WRK requests=10 status_errors=0\n").ok());
  EXPECT_FALSE(ParseWrkSummary("SKIFF_WRK requests=x status_errors=0 socket_errors=0 p50_us=1 p99_us=1 "
                               "max_us=1 duration_us=1\n")
                   .ok());
}

TEST(WrkLoadTest, ScriptPostsToTheNamespaceWithTheTokenAndUniqueNames) {
  Endpoint endpoint{.host = "127.0.0.1", .port = 6443, .token = "secret-token", .ca_file = ""};
  WrkOptions options;
  options.ns = "load";
  options.name_prefix = "wrk-abc";
  options.object_bytes = 16;
  std::string script = WrkCreateScript(endpoint, options);
  EXPECT_NE(script.find("[==[/api/v1/namespaces/load/configmaps]==]"), std::string::npos);
  EXPECT_NE(script.find("[==[secret-token]==]"), std::string::npos);
  EXPECT_NE(script.find("[==[wrk-abc]==]"), std::string::npos);
  // Names carry the thread's index and a per-thread counter.
  EXPECT_NE(script.find("prefix .. \"-\" .. thread_index"), std::string::npos);
  EXPECT_NE(script.find("head .. counter .. tail"), std::string::npos);
  EXPECT_NE(script.find("SKIFF_WRK requests=%d"), std::string::npos);
}

TEST(WrkLoadTest, MissingWrkIsNotFound) {
  Endpoint endpoint{.host = "127.0.0.1", .port = 1, .token = "t", .ca_file = ""};
  WrkOptions options;
  options.wrk_binary = "/nonexistent/wrk";
  auto result = RunWrkCreates(endpoint, options);
  EXPECT_TRUE(absl::IsNotFound(result.status())) << result.status();
}

}  // namespace
}  // namespace skiff::bench
