#include "agent/probes/probe_spec.h"

#include "base/json.h"
#include "gtest/gtest.h"

namespace skiff::agent::probes {
namespace {

boost::json::value Json(const char* text) { return *base::ParseJson(text); }

TEST(ProbeSpecTest, DefaultsAndHttpGet) {
  auto c = Json(R"({"name":"web","ports":[{"name":"http","containerPort":8080}]})");
  auto spec = ParseProbe(Json(R"({"httpGet":{"port":"http","path":"healthz",
      "httpHeaders":[{"name":"X-A","value":"b"}]}})"),
                         c);
  ASSERT_TRUE(spec.ok()) << spec.status();
  EXPECT_EQ(spec->handler.type, HandlerType::kHttpGet);
  EXPECT_EQ(spec->handler.http.port, 8080);
  EXPECT_EQ(spec->handler.http.path, "/healthz");
  EXPECT_EQ(spec->handler.http.scheme, "HTTP");
  ASSERT_EQ(spec->handler.http.headers.size(), 1u);
  EXPECT_EQ(spec->handler.http.headers[0].first, "X-A");
  EXPECT_EQ(spec->period, absl::Seconds(10));
  EXPECT_EQ(spec->timeout, absl::Seconds(1));
  EXPECT_EQ(spec->success_threshold, 1);
  EXPECT_EQ(spec->failure_threshold, 3);
  EXPECT_FALSE(spec->termination_grace_seconds.has_value());
}

TEST(ProbeSpecTest, ExecTcpGrpcAndTimings) {
  auto c = Json(R"({"name":"a"})");
  auto exec = ParseProbe(Json(R"({"exec":{"command":["cat","/tmp/ok"]},"initialDelaySeconds":3,
      "periodSeconds":2,"timeoutSeconds":4,"successThreshold":2,"failureThreshold":5,
      "terminationGracePeriodSeconds":7})"),
                         c);
  ASSERT_TRUE(exec.ok());
  EXPECT_EQ(exec->handler.command, (std::vector<std::string>{"cat", "/tmp/ok"}));
  EXPECT_EQ(exec->initial_delay, absl::Seconds(3));
  EXPECT_EQ(exec->period, absl::Seconds(2));
  EXPECT_EQ(exec->timeout, absl::Seconds(4));
  EXPECT_EQ(exec->success_threshold, 2);
  EXPECT_EQ(exec->failure_threshold, 5);
  EXPECT_EQ(exec->termination_grace_seconds, 7);
  auto tcp = ParseProbe(Json(R"({"tcpSocket":{"port":6379}})"), c);
  ASSERT_TRUE(tcp.ok());
  EXPECT_EQ(tcp->handler.type, HandlerType::kTcpSocket);
  EXPECT_EQ(tcp->handler.port, 6379);
  auto grpc = ParseProbe(Json(R"({"grpc":{"port":9000,"service":"liveness"}})"), c);
  ASSERT_TRUE(grpc.ok());
  EXPECT_EQ(grpc->handler.type, HandlerType::kGrpc);
  EXPECT_EQ(grpc->handler.grpc_service, "liveness");
}

TEST(ProbeSpecTest, Errors) {
  auto c = Json(R"({"name":"a"})");
  EXPECT_FALSE(ParseProbe(Json(R"({"periodSeconds":3})"), c).ok());
  auto named = ParseProbe(Json(R"({"tcpSocket":{"port":"nope"}})"), c);
  ASSERT_FALSE(named.ok());
  EXPECT_EQ(named.status().message(), "couldn't find port: nope in container");
}

}  // namespace
}  // namespace skiff::agent::probes
