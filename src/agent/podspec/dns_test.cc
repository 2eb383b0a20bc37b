#include "agent/podspec/dns.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "base/json.h"

namespace skiff::agent::podspec {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

boost::json::value J(std::string_view text) { return base::ParseJson(text).value(); }

boost::json::value Pod(std::string_view spec_extra) {
  return J(std::string(R"({"metadata":{"name":"web-1","namespace":"shop"},"spec":{"containers":[])") +
           std::string(spec_extra) + "}}");
}

DnsOptions Options() {
  DnsOptions options;
  options.host = ParseResolvConf(
      "# generated\n"
      "nameserver 192.168.1.1\n"
      "nameserver 192.168.1.2 ; second\n"
      "search old.example\n"
      "search corp.example. lab.example .\n"
      "options ndots:2 edns0\n"
      "options ndots:3\n");
  return options;
}

TEST(ResolvConfTest, Parses) {
  DnsSettings host = Options().host;
  EXPECT_THAT(host.servers, ElementsAre("192.168.1.1", "192.168.1.2"));
  EXPECT_THAT(host.searches, ElementsAre("corp.example", "lab.example"));  // last line wins, dots trimmed
  EXPECT_THAT(host.options, ElementsAre("ndots:3", "edns0"));
  EXPECT_EQ(ReadResolvConf("/nonexistent/resolv.conf"), DnsSettings{});
}

TEST(PodDnsTest, ClusterFirst) {
  DnsSettings dns = PodDnsConfig(Pod(""), Options());
  EXPECT_THAT(dns.servers, ElementsAre("10.43.0.10"));
  EXPECT_THAT(dns.searches, ElementsAre("shop.svc.cluster.local", "svc.cluster.local", "cluster.local",
                                        "corp.example", "lab.example"));
  EXPECT_THAT(dns.options, ElementsAre("ndots:5"));
}

TEST(PodDnsTest, ClusterFirstOnHostNetworkUsesHostResolver) {
  DnsSettings dns = PodDnsConfig(Pod(R"(,"hostNetwork":true,"dnsPolicy":"ClusterFirst")"), Options());
  EXPECT_EQ(dns, Options().host);
  DnsSettings with_host_net =
      PodDnsConfig(Pod(R"(,"hostNetwork":true,"dnsPolicy":"ClusterFirstWithHostNet")"), Options());
  EXPECT_THAT(with_host_net.servers, ElementsAre("10.43.0.10"));
}

TEST(PodDnsTest, DefaultUsesHostResolverAndNoClusterDnsFallsBack) {
  EXPECT_EQ(PodDnsConfig(Pod(R"(,"dnsPolicy":"Default")"), Options()), Options().host);
  DnsOptions no_cluster = Options();
  no_cluster.cluster_dns.clear();
  EXPECT_EQ(PodDnsConfig(Pod(""), no_cluster), Options().host);
}

TEST(PodDnsTest, NoneTakesDnsConfigOnly) {
  DnsSettings dns = PodDnsConfig(Pod(R"(,"dnsPolicy":"None","dnsConfig":{"nameservers":["1.1.1.1"],
      "searches":["a.example"],"options":[{"name":"ndots","value":"1"},{"name":"single-request"}]})"),
                                 Options());
  EXPECT_THAT(dns.servers, ElementsAre("1.1.1.1"));
  EXPECT_THAT(dns.searches, ElementsAre("a.example"));
  EXPECT_THAT(dns.options, ElementsAre("ndots:1", "single-request"));
}

TEST(PodDnsTest, DnsConfigMergesAndLimitsApply) {
  DnsSettings dns =
      PodDnsConfig(Pod(R"(,"dnsConfig":{"nameservers":["10.43.0.10","8.8.8.8","9.9.9.9","1.1.1.1"],
      "searches":["svc.cluster.local","x.example"],"options":[{"name":"ndots","value":"2"},{"name":"edns0"}]})"),
                   Options());
  EXPECT_THAT(dns.servers, ElementsAre("10.43.0.10", "8.8.8.8", "9.9.9.9"));  // at most 3, no duplicates
  EXPECT_THAT(dns.searches, ElementsAre("shop.svc.cluster.local", "svc.cluster.local", "cluster.local",
                                        "corp.example", "lab.example", "x.example"));
  EXPECT_THAT(dns.options, ElementsAre("ndots:2", "edns0"));

  std::string many = R"(,"dnsConfig":{"searches":[)";
  for (int i = 0; i < 40; ++i)
    many += (i ? ",\"" : "\"") + std::string("d") + std::to_string(i) + ".example\"";
  many += "]}";
  EXPECT_EQ(PodDnsConfig(Pod(many), Options()).searches.size(), 32u);
}

TEST(HostnameTest, NameHostnameSubdomainAndFqdn) {
  auto plain = PodHostnameAndDomain(Pod(""), "cluster.local");
  EXPECT_EQ(plain->hostname, "web-1");
  EXPECT_EQ(plain->domain, "");
  auto sub = PodHostnameAndDomain(Pod(R"(,"hostname":"db-0","subdomain":"db")"), "cluster.local");
  EXPECT_EQ(sub->hostname, "db-0");
  EXPECT_EQ(sub->domain, "db.shop.svc.cluster.local");
  EXPECT_EQ(*PodKernelHostname(Pod(R"(,"hostname":"db-0","subdomain":"db")"), "cluster.local"), "db-0");
  EXPECT_EQ(*PodKernelHostname(Pod(R"(,"hostname":"db-0","subdomain":"db","setHostnameAsFQDN":true)"),
                               "cluster.local"),
            "db-0.db.shop.svc.cluster.local");
  auto too_long = PodKernelHostname(
      Pod(R"(,"hostname":"a-very-long-host-name-here","subdomain":"and-a-long-subdomain","setHostnameAsFQDN":true)"),
      "cluster.local");
  EXPECT_THAT(too_long.status().message(), HasSubstr("is too long (64 characters is the max"));
  auto invalid = PodHostnameAndDomain(Pod(R"(,"hostname":"Bad_Name")"), "cluster.local");
  EXPECT_THAT(invalid.status().message(), HasSubstr("pod Hostname \"Bad_Name\" is not a valid DNS label"));
  // Long pod names are cut to 63 characters without a trailing '-'.
  auto long_pod = J(R"({"metadata":{"name":"","namespace":"shop"},"spec":{}})");
  long_pod.at("metadata").as_object()["name"] = std::string(62, 'a') + "-bcd";
  EXPECT_EQ(PodHostnameAndDomain(long_pod, "cluster.local")->hostname, std::string(62, 'a'));
}

}  // namespace
}  // namespace skiff::agent::podspec
