#include "agent/proxy/service_model.h"

#include "boost/json/parse.hpp"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace skiff::agent::proxy {
namespace {

using ::testing::ElementsAre;

boost::json::value J(const char* text) { return boost::json::parse(text); }

TEST(ServiceModelTest, ParsesClusterIpService) {
  auto svc = ParseService(J(R"({"metadata":{"namespace":"default","name":"web"},
    "spec":{"clusterIP":"10.96.0.10","ports":[{"name":"http","port":80},{"name":"dns","port":53,"protocol":"UDP"}]}})"));
  ASSERT_TRUE(svc.has_value());
  EXPECT_EQ(svc->ns, "default");
  EXPECT_EQ(svc->name, "web");
  EXPECT_EQ(svc->cluster_ip, "10.96.0.10");
  ASSERT_EQ(svc->ports.size(), 2u);
  EXPECT_EQ(svc->ports[0].protocol, "tcp");
  EXPECT_EQ(svc->ports[1].protocol, "udp");
  EXPECT_EQ(svc->ports[0].node_port, 0);
  EXPECT_FALSE(svc->external_local);
  EXPECT_EQ(svc->affinity_timeout_seconds, 0);
}

TEST(ServiceModelTest, ParsesExternalDestinationsAndPolicies) {
  auto svc = ParseService(J(R"({"metadata":{"namespace":"a","name":"lb"},
    "spec":{"type":"LoadBalancer","clusterIP":"10.96.0.20","externalIPs":["192.0.2.1","fe80::1","192.0.2.1"],
            "externalTrafficPolicy":"Local","internalTrafficPolicy":"Local","sessionAffinity":"ClientIP",
            "ports":[{"port":443,"nodePort":31443}]},
    "status":{"loadBalancer":{"ingress":[{"ip":"198.51.100.7"},{"hostname":"lb.example"}]}}})"));
  ASSERT_TRUE(svc.has_value());
  EXPECT_THAT(svc->external_ips, ElementsAre("192.0.2.1", "198.51.100.7"));
  EXPECT_EQ(svc->ports[0].node_port, 31443);
  EXPECT_TRUE(svc->external_local);
  EXPECT_TRUE(svc->internal_local);
  EXPECT_EQ(svc->affinity_timeout_seconds, 10800);  // the default
}

TEST(ServiceModelTest, NodePortIgnoredOnClusterIpType) {
  auto svc = ParseService(J(
      R"({"metadata":{"name":"x"},"spec":{"clusterIP":"10.96.0.1","ports":[{"port":80,"nodePort":30001}]}})"));
  ASSERT_TRUE(svc.has_value());
  EXPECT_EQ(svc->ports[0].node_port, 0);
}

TEST(ServiceModelTest, ServicesWithoutRules) {
  EXPECT_FALSE(
      ParseService(J(R"({"metadata":{"name":"x"},"spec":{"type":"ExternalName","externalName":"a.b"}})")));
  EXPECT_FALSE(
      ParseService(J(R"({"metadata":{"name":"x"},"spec":{"clusterIP":"None","ports":[{"port":80}]}})")));
  EXPECT_FALSE(
      ParseService(J(R"({"metadata":{"name":"x"},"spec":{"clusterIP":"fd00::1","ports":[{"port":80}]}})")));
  EXPECT_FALSE(
      ParseService(J(R"({"metadata":{"name":"x"},"spec":{"clusterIP":"10.0.0.1","ports":[{"port":0}]}})")));
  // Garbage of every shape is ignored, not fatal.
  EXPECT_FALSE(ParseService(J(R"([1,2])")));
  EXPECT_FALSE(ParseService(J(R"({"metadata":{"name":"x"},"spec":{"clusterIP":"10.0.0.1","ports":"80"}})")));
  EXPECT_FALSE(ParseService(J(R"({"metadata":{"name":"x"},"spec":{"clusterIP":"10.0.0.1","ports":[{"port":80,
    "protocol":"ICMP"}]}})")));
  auto svc = ParseService(J(R"({"metadata":{"name":"x"},"spec":{"clusterIP":"10.0.0.1","externalIPs":[7,null],
    "sessionAffinity":"ClientIP","sessionAffinityConfig":{"clientIP":{"timeoutSeconds":-5}},"ports":[{"port":80}]}})"));
  ASSERT_TRUE(svc.has_value());
  EXPECT_TRUE(svc->external_ips.empty());
  EXPECT_EQ(svc->affinity_timeout_seconds, 10800);
}

TEST(ServiceModelTest, MergesSlicesByPortNameAndConditions) {
  auto svc = ParseService(J(R"({"metadata":{"namespace":"d","name":"web"},
    "spec":{"clusterIP":"10.96.0.10","ports":[{"name":"http","port":80},{"name":"metrics","port":9090}]}})"));
  ASSERT_TRUE(svc.has_value());
  auto s1 = J(R"({"addressType":"IPv4","ports":[{"name":"http","port":8080},{"name":"metrics","port":9100}],
    "endpoints":[{"addresses":["10.1.0.3"],"nodeName":"n1"},
                 {"addresses":["10.1.0.2"],"conditions":{"ready":false,"serving":true,"terminating":true}},
                 {"addresses":["not-an-ip"]},{"addresses":[]}]})");
  auto s2 = J(R"({"addressType":"IPv4","ports":[{"name":"http","port":8080}],
    "endpoints":[{"addresses":["10.1.0.2"],"conditions":{"ready":true}}]})");
  auto v6 = J(
      R"({"addressType":"IPv6","ports":[{"name":"http","port":8080}],"endpoints":[{"addresses":["fd00::2"]}]})");
  auto udp = J(R"({"addressType":"IPv4","ports":[{"name":"http","port":8080,"protocol":"UDP"}],
    "endpoints":[{"addresses":["10.1.0.9"]}]})");
  EndpointsByPort eps = ParseEndpointSlices({&s1, &s2, &v6, &udp, nullptr}, *svc);
  ASSERT_EQ(eps["http"].size(), 2u);
  EXPECT_EQ(eps["http"][0].ip, "10.1.0.2");
  EXPECT_TRUE(eps["http"][0].ready);  // one slice says ready: the ready copy wins
  EXPECT_EQ(eps["http"][0].port, 8080);
  EXPECT_EQ(eps["http"][1].ip, "10.1.0.3");
  EXPECT_EQ(eps["http"][1].node_name, "n1");
  EXPECT_TRUE(eps["http"][1].serving);
  EXPECT_FALSE(eps["http"][1].terminating);
  ASSERT_EQ(eps["metrics"].size(), 2u);
  EXPECT_EQ(eps["metrics"][0].port, 9100);
  EXPECT_FALSE(eps["metrics"][0].ready);
  EXPECT_TRUE(eps["metrics"][0].terminating);
}

TEST(ServiceModelTest, HpaWithMinReplicasZeroOnAServiceMetricMarksIt) {
  auto hpa = [](const std::string& min, const std::string& described) {
    return boost::json::parse(R"({"metadata":{"name":"h","namespace":"team"},"spec":{
        "scaleTargetRef":{"apiVersion":"apps/v1","kind":"Deployment","name":"web"},)" +
                              min + R"("maxReplicas":3,"metrics":[
        {"type":"Resource","resource":{"name":"cpu","target":{"type":"Utilization","averageUtilization":50}}},
        {"type":"Object","object":{"metric":{"name":"requests-per-second"},"describedObject":)" +
                              described + R"(,"target":{"type":"AverageValue","averageValue":"1"}}}]}})");
  };
  std::optional<ActivationMark> mark = ParseActivationMark(hpa(R"("minReplicas":0,)",
                                                               R"({"apiVersion":"v1","kind":"Service","name":"web-svc"})"));
  ASSERT_TRUE(mark);
  EXPECT_EQ(mark->service_key, "team/web-svc");
  EXPECT_EQ(mark->target, (ScaleTarget{"apps/v1", "Deployment", "web"}));
  // minReplicas unset (1), 1, or an object that is no Service: no mark.
  EXPECT_FALSE(ParseActivationMark(hpa("", R"({"apiVersion":"v1","kind":"Service","name":"web-svc"})")));
  EXPECT_FALSE(ParseActivationMark(hpa(R"("minReplicas":1,)", R"({"apiVersion":"v1","kind":"Service","name":"s"})")));
  EXPECT_FALSE(ParseActivationMark(
      hpa(R"("minReplicas":0,)", R"({"apiVersion":"networking.k8s.io/v1","kind":"Ingress","name":"i"})")));
  EXPECT_FALSE(ParseActivationMark(boost::json::parse("[]")));
}

}  // namespace
}  // namespace skiff::agent::proxy
