#include "agent/dns/cluster_dns.h"

#include <chrono>
#include <functional>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "agent/dns/records.h"
#include "agent/dns/test_util.h"
#include "base/json.h"
#include "client/testing/test_api_server.h"
#include "gtest/gtest.h"

namespace skiff::agent::dns {
namespace {

namespace json = boost::json;
using testing::FakeUpstream;
using testing::MakeQuery;
using testing::ParseReply;
using testing::Reply;

json::value Parse(const std::string& text) {
  auto v = base::ParseJson(text);
  EXPECT_TRUE(v.ok()) << v.status();
  return v.ok() ? *v : json::value();
}

std::string ClusterIpService(const std::string& ns, const std::string& name, const std::string& ip) {
  return absl::StrCat(R"({"metadata":{"name":")", name, R"(","namespace":")", ns,
                      R"("},"spec":{"clusterIP":")", ip, R"(","clusterIPs":[")", ip,
                      R"("],"ports":[{"name":"http","port":80,"protocol":"TCP"}]}})");
}

// An EndpointSlice for a headless service with `n` ready endpoints 10.42.<i/250>.<i%250+1>.
std::string Slice(const std::string& ns, const std::string& service, int n, bool hostnames) {
  std::string endpoints;
  for (int i = 0; i < n; ++i) {
    absl::StrAppend(&endpoints, i ? "," : "", R"({"addresses":["10.42.)", i / 250, ".", i % 250 + 1, R"("])",
                    hostnames ? absl::StrCat(R"(,"hostname":"h)", i, R"(")") : "",
                    R"(,"conditions":{"ready":true}})");
  }
  return absl::StrCat(R"({"metadata":{"name":")", service, R"(-1","namespace":")", ns,
                      R"(","labels":{"kubernetes.io/service-name":")", service,
                      R"("}},"addressType":"IPv4","ports":[{"name":"tcp","port":9000,"protocol":"TCP"}],)",
                      R"("endpoints":[)", endpoints, "]}");
}

class ClusterDnsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto ns = server_.client()->Create(client::Resource("", "v1", "namespaces"), "",
                                       Parse(R"({"metadata":{"name":"prod"}})"));
    ASSERT_TRUE(ns.ok()) << ns.status();
    upstream_ =
        std::make_unique<FakeUpstream>([this](const std::string& q, bool tcp) { return Respond(q, tcp); });
  }
  void TearDown() override {
    if (dns_) dns_->Stop();
    dns_.reset();
  }

  // The fake upstream: example names answer, "big.example" needs TCP, "slow.example" is silent.
  std::string Respond(const std::string& query, bool tcp) {
    Reply r = ParseReply(query);
    if (r.qname == "slow.example.") return "";
    if (r.qname == "big.example.") {
      if (!tcp) return FakeUpstream::Answer(query, {}, /*tc=*/true);
      std::vector<std::string> rrs;
      for (int i = 0; i < 100; ++i) rrs.push_back(absl::StrCat("big.example. 60 IN A 192.0.2.", i));
      return FakeUpstream::Answer(query, rrs);
    }
    if (r.qname == "example.com.") return FakeUpstream::Answer(query, {"example.com. 60 IN A 192.0.2.1"});
    if (r.qname == "4.3.2.1.in-addr.arpa.") {
      return FakeUpstream::Answer(query, {"4.3.2.1.in-addr.arpa. 60 IN PTR host.example."});
    }
    return FakeUpstream::Answer(query, {}, false, 3);
  }

  void StartDns(ClusterDnsOptions options = {}) {
    options.listen = {"127.0.0.1:0"};
    if (options.upstreams.empty()) options.upstreams = {absl::StrCat("127.0.0.1:", upstream_->port())};
    options.forward_timeout = absl::Milliseconds(300);
    dns_ = std::make_unique<ClusterDns>(&informers_, options);
    ASSERT_TRUE(dns_->Start().ok());
    ASSERT_TRUE(dns_->WaitForSync(absl::Seconds(10)));
    udp_ = dns_->udp_ports()[0];
    tcp_ = dns_->tcp_ports()[0];
  }

  void Create(const std::string& resource, const std::string& ns, const std::string& body) {
    const auto& r = resource == "services" ? client::Resource("", "v1", "services")
                                           : client::Resource("discovery.k8s.io", "v1", "endpointslices");
    auto created = server_.client()->Create(r, ns, Parse(body));
    ASSERT_TRUE(created.ok()) << created.status();
  }

  Reply Ask(const std::string& name, uint16_t type, int edns = 0, uint16_t id = 4242) {
    return ParseReply(testing::UdpExchange(udp_, MakeQuery(name, type, id, edns)));
  }

  // Polls until `pred` holds for the reply (informer events are asynchronous).
  Reply AskUntil(const std::string& name, uint16_t type, const std::function<bool(const Reply&)>& pred) {
    Reply r;
    for (int i = 0; i < 200; ++i) {
      r = Ask(name, type);
      if (pred(r)) return r;
      std::this_thread::sleep_for(std::chrono::milliseconds(25));
    }
    return r;
  }

  client::testing::TestApiServer server_;
  client::SharedInformers informers_{server_.client()};
  std::unique_ptr<FakeUpstream> upstream_;
  std::unique_ptr<ClusterDns> dns_;
  int udp_ = 0, tcp_ = 0;
};

TEST_F(ClusterDnsTest, AnswersClusterNamesOverUdpAndTcp) {
  Create("services", "default", ClusterIpService("default", "web", "10.43.0.20"));
  Create("services", "prod", R"({"metadata":{"name":"db","namespace":"prod"},"spec":{"clusterIP":"None",
      "clusterIPs":["None"],"ports":[{"name":"tcp","port":9000}]}})");
  Create("slices", "prod", Slice("prod", "db", 2, true));
  StartDns();
  EXPECT_EQ(udp_, tcp_);  // a kernel-chosen port is shared by UDP and TCP when free

  Reply a = Ask("web.default.svc.cluster.local.", kTypeA);
  EXPECT_EQ(a.rcode, 0);
  EXPECT_TRUE(a.aa);
  EXPECT_EQ(a.id, 4242);
  EXPECT_EQ(a.answer, std::vector<std::string>{"web.default.svc.cluster.local. A 10.43.0.20"});
  EXPECT_EQ(a.ttls, std::vector<uint32_t>{5});
  // The cached reply keeps the client's case and ID.
  Reply mixed = Ask("WEB.default.svc.Cluster.Local.", kTypeA, 0, 7);
  EXPECT_EQ(mixed.id, 7);
  EXPECT_EQ(mixed.qname, "WEB.default.svc.Cluster.Local.");
  EXPECT_EQ(mixed.answer.size(), 1u);

  EXPECT_EQ(Ask("_http._tcp.web.default.svc.cluster.local.", kTypeSrv).answer,
            std::vector<std::string>{"_http._tcp.web.default.svc.cluster.local. SRV 0 100 80 "
                                     "web.default.svc.cluster.local."});
  EXPECT_EQ(Ask("20.0.43.10.in-addr.arpa.", kTypePtr).answer,
            std::vector<std::string>{"20.0.43.10.in-addr.arpa. PTR web.default.svc.cluster.local."});
  EXPECT_EQ(Ask("db.prod.svc.cluster.local.", kTypeA).answer,
            (std::vector<std::string>{"db.prod.svc.cluster.local. A 10.42.0.1",
                                      "db.prod.svc.cluster.local. A 10.42.0.2"}));
  EXPECT_EQ(Ask("h1.db.prod.svc.cluster.local.", kTypeA).answer,
            std::vector<std::string>{"h1.db.prod.svc.cluster.local. A 10.42.0.2"});
  Reply srv = Ask("_tcp._tcp.db.prod.svc.cluster.local.", kTypeSrv);
  EXPECT_EQ(srv.answer.size(), 2u);
  EXPECT_EQ(srv.additional.size(), 2u);
  EXPECT_EQ(Ask("10-42-0-9.prod.pod.cluster.local.", kTypeA).answer,
            std::vector<std::string>{"10-42-0-9.prod.pod.cluster.local. A 10.42.0.9"});

  Reply nx = Ask("missing.default.svc.cluster.local.", kTypeA);
  EXPECT_EQ(nx.rcode, 3);
  ASSERT_EQ(nx.authority.size(), 1u);
  EXPECT_EQ(nx.authority[0].rfind("cluster.local. SOA ns.dns.cluster.local. hostmaster.cluster.local.", 0),
            0u)
      << nx.authority[0];
  // What a resolver's search path produces for an already-qualified name.
  EXPECT_EQ(Ask("web.default.svc.cluster.local.default.svc.cluster.local.", kTypeA).rcode, 3);
  Reply nodata = Ask("web.default.svc.cluster.local.", kTypeAaaa);
  EXPECT_EQ(nodata.rcode, 0);
  EXPECT_TRUE(nodata.answer.empty());
  EXPECT_EQ(nodata.authority.size(), 1u);

  // TCP: several pipelined queries on one connection, answered in order.
  auto replies = testing::TcpExchange(tcp_, {MakeQuery("web.default.svc.cluster.local.", kTypeA, 1),
                                             MakeQuery("missing.default.svc.cluster.local.", kTypeA, 2),
                                             MakeQuery("example.com.", kTypeA, 3)});
  ASSERT_EQ(replies.size(), 3u);
  EXPECT_EQ(ParseReply(replies[0]).id, 1);
  EXPECT_EQ(ParseReply(replies[0]).answer.size(), 1u);
  EXPECT_EQ(ParseReply(replies[1]).rcode, 3);
  EXPECT_EQ(ParseReply(replies[2]).answer, std::vector<std::string>{"example.com. A 192.0.2.1"});
  EXPECT_EQ(ParseReply(replies[2]).id, 3);
}

TEST_F(ClusterDnsTest, ServiceAndEndpointChangesChangeAnswers) {
  StartDns();
  EXPECT_EQ(Ask("api.default.svc.cluster.local.", kTypeA).rcode, 3);
  Create("services", "default", ClusterIpService("default", "api", "10.43.0.30"));
  Reply added =
      AskUntil("api.default.svc.cluster.local.", kTypeA, [](const Reply& r) { return r.rcode == 0; });
  EXPECT_EQ(added.answer, std::vector<std::string>{"api.default.svc.cluster.local. A 10.43.0.30"});

  Create("services", "default", R"({"metadata":{"name":"hl","namespace":"default"},"spec":{"clusterIP":"None",
      "clusterIPs":["None"],"ports":[{"name":"tcp","port":9000}]}})");
  Create("slices", "default", Slice("default", "hl", 1, false));
  Reply one =
      AskUntil("hl.default.svc.cluster.local.", kTypeA, [](const Reply& r) { return r.answer.size() == 1; });
  EXPECT_EQ(one.answer.size(), 1u);
  const auto& slices = client::Resource("discovery.k8s.io", "v1", "endpointslices");
  auto current = server_.client()->Get(slices, "default", "hl-1");
  ASSERT_TRUE(current.ok());
  json::value updated = Parse(Slice("default", "hl", 3, false));
  updated.as_object()["metadata"].as_object()["resourceVersion"] =
      base::GetString(**current, {"metadata", "resourceVersion"});
  ASSERT_TRUE(server_.client()->Update(slices, "default", updated).ok());
  Reply three =
      AskUntil("hl.default.svc.cluster.local.", kTypeA, [](const Reply& r) { return r.answer.size() == 3; });
  EXPECT_EQ(three.answer.size(), 3u);

  ASSERT_TRUE(server_.client()->Delete(client::Resource("", "v1", "services"), "default", "api").ok());
  Reply removed =
      AskUntil("api.default.svc.cluster.local.", kTypeA, [](const Reply& r) { return r.rcode == 3; });
  EXPECT_EQ(removed.rcode, 3);
  EXPECT_EQ(Ask("30.0.43.10.in-addr.arpa.", kTypePtr).rcode, 3);  // forwarded now: upstream says NXDOMAIN
}

TEST_F(ClusterDnsTest, TruncatesLargeAnswersOverUdpAndServesThemOverTcp) {
  Create("services", "prod", R"({"metadata":{"name":"big","namespace":"prod"},"spec":{"clusterIP":"None",
      "clusterIPs":["None"],"ports":[{"name":"tcp","port":9000}]}})");
  Create("slices", "prod", Slice("prod", "big", 300, true));
  StartDns();
  const std::string name = "big.prod.svc.cluster.local.";
  Reply plain = AskUntil(name, kTypeA, [](const Reply& r) { return !r.answer.empty(); });
  EXPECT_TRUE(plain.tc);
  EXPECT_LE(plain.size, 512u);
  EXPECT_GT(plain.answer.size(), 10u);
  Reply edns = Ask(name, kTypeA, 1232);
  EXPECT_TRUE(edns.tc);
  EXPECT_LE(edns.size, 1232u);
  EXPECT_GT(edns.answer.size(), plain.answer.size());
  EXPECT_TRUE(edns.edns);
  Reply srv = Ask("_tcp._tcp." + name, kTypeSrv, 1232);  // SRV with 300 additional A records
  EXPECT_TRUE(srv.tc);
  EXPECT_LE(srv.size, 1232u);
  auto over_tcp =
      testing::TcpExchange(tcp_, {MakeQuery(name, kTypeA, 9), MakeQuery("_tcp._tcp." + name, kTypeSrv)});
  Reply full = ParseReply(over_tcp[0]);
  EXPECT_FALSE(full.tc);
  EXPECT_EQ(full.answer.size(), 300u);
  Reply full_srv = ParseReply(over_tcp[1]);
  EXPECT_EQ(full_srv.answer.size(), 300u);
  EXPECT_EQ(full_srv.additional.size(), 300u);
}

TEST_F(ClusterDnsTest, ForwardsOtherNamesUpstream) {
  Create("services", "default", R"({"metadata":{"name":"ext","namespace":"default"},
      "spec":{"type":"ExternalName","externalName":"example.com"}})");
  StartDns();
  Reply a = Ask("example.com.", kTypeA, 0, 31337);
  EXPECT_EQ(a.id, 31337);
  EXPECT_EQ(a.answer, std::vector<std::string>{"example.com. A 192.0.2.1"});
  EXPECT_EQ(Ask("nothing.example.", kTypeA).rcode, 3);
  // Not one of our reverse names: CoreDNS's fallthrough to the upstream.
  EXPECT_EQ(Ask("4.3.2.1.in-addr.arpa.", kTypePtr).answer,
            std::vector<std::string>{"4.3.2.1.in-addr.arpa. PTR host.example."});

  // Truncated upstream reply over UDP: we retry over TCP; the client (EDNS 4096) gets it all.
  int tcp_before = upstream_->tcp_queries();
  Reply big = Ask("big.example.", kTypeA, 4096);
  EXPECT_EQ(big.answer.size(), 100u);
  EXPECT_FALSE(big.tc);
  EXPECT_EQ(upstream_->tcp_queries(), tcp_before + 1);
  // Without EDNS the relayed reply does not fit 512 bytes: TC and the question.
  Reply small = Ask("big.example.", kTypeA);
  EXPECT_TRUE(small.tc);
  EXPECT_EQ(small.qname, "big.example.");
  EXPECT_LE(small.size, 512u);
  // A TCP client is forwarded over TCP.
  int udp_before = upstream_->udp_queries();
  auto over_tcp = testing::TcpExchange(tcp_, {MakeQuery("example.com.", kTypeA, 5)});
  EXPECT_EQ(ParseReply(over_tcp[0]).answer.size(), 1u);
  EXPECT_EQ(upstream_->udp_queries(), udp_before);

  // A silent upstream: SERVFAIL after the timeout.
  auto start = std::chrono::steady_clock::now();
  Reply timeout = Ask("slow.example.", kTypeA);
  EXPECT_EQ(timeout.rcode, 2);
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(2));

  // ExternalName: our CNAME, completed by the upstream's answer.
  Reply ext =
      AskUntil("ext.default.svc.cluster.local.", kTypeA, [](const Reply& r) { return r.answer.size() == 2; });
  EXPECT_EQ(ext.answer, (std::vector<std::string>{"ext.default.svc.cluster.local. CNAME example.com.",
                                                  "example.com. A 192.0.2.1"}));
  EXPECT_EQ(ext.rcode, 0);
}

TEST_F(ClusterDnsTest, UnreachableUpstreamGivesServfailAndClusterNamesStillWork) {
  ClusterDnsOptions options;
  options.upstreams = {"127.0.0.1:1"};  // nothing listens there
  Create("services", "default", ClusterIpService("default", "web", "10.43.0.20"));
  StartDns(options);
  EXPECT_EQ(Ask("example.com.", kTypeA).rcode, 2);
  EXPECT_EQ(Ask("web.default.svc.cluster.local.", kTypeA).answer.size(), 1u);
}

TEST_F(ClusterDnsTest, MalformedAndUnsupportedQueries) {
  Create("services", "default", ClusterIpService("default", "web", "10.43.0.20"));
  StartDns();
  std::string good = MakeQuery("web.default.svc.cluster.local.", kTypeA, 66);
  // Truncated question: FORMERR with the ID.
  Reply formerr = ParseReply(testing::UdpExchange(udp_, good.substr(0, 20)));
  EXPECT_EQ(formerr.rcode, 1);
  EXPECT_EQ(formerr.id, 66);
  // Responses and runts get no answer at all.
  std::string response = good;
  response[2] = static_cast<char>(response[2] | 0x80);
  EXPECT_EQ(testing::UdpExchange(udp_, response, 200), "");
  EXPECT_EQ(testing::UdpExchange(udp_, "abc", 200), "");
  // Other opcodes: NOTIMP.
  std::string status = good;
  status[2] = static_cast<char>((status[2] & 0x87) | (2 << 3));
  EXPECT_EQ(ParseReply(testing::UdpExchange(udp_, status)).rcode, 4);
  // EDNS version 1: BADVERS (extended rcode 16 = header 0 + OPT 1).
  std::string v1 = MakeQuery("web.default.svc.cluster.local.", kTypeA, 67, 1232);
  v1[v1.size() - 5] = 1;  // OPT TTL byte 2 = version
  std::string badvers = testing::UdpExchange(udp_, v1);
  ASSERT_GE(badvers.size(), 12u);
  EXPECT_EQ(badvers[3] & 0x0f, 0);
  EXPECT_EQ(static_cast<uint8_t>(badvers[badvers.size() - 6]), 1);  // extended rcode
  // Class CHAOS in our zone: REFUSED; zone transfers: REFUSED.
  EXPECT_EQ(ParseReply(testing::UdpExchange(udp_, MakeQuery("web.default.svc.cluster.local.", kTypeTxt, 1, 0,
                                                            LDNS_RR_CLASS_CH)))
                .rcode,
            5);
  EXPECT_EQ(Ask("cluster.local.", kTypeAxfr).rcode, 5);
  // A flood of random bytes on UDP and TCP, then normal service.
  std::mt19937 rng(7);
  for (int i = 0; i < 2000; ++i) {
    std::string noise(rng() % 80, '\0');
    for (char& c : noise) c = static_cast<char>(rng());
    if (noise.size() > 12) noise[2] &= 0x07;  // mostly "queries"
    testing::UdpExchange(udp_, noise, 0);
  }
  std::string junk_tcp(300, '\x7f');
  testing::TcpExchange(tcp_, {junk_tcp});
  Reply after =
      AskUntil("web.default.svc.cluster.local.", kTypeA, [](const Reply& r) { return r.rcode == 0; });
  EXPECT_EQ(after.answer.size(), 1u);
}

TEST(ClusterDnsStart, RejectsBadOptionsAndBusyPorts) {
  client::testing::TestApiServer server;
  client::SharedInformers informers(server.client());
  ClusterDnsOptions bad;
  bad.listen = {"localhost:53"};
  EXPECT_EQ(ClusterDns(&informers, bad).Start().code(), absl::StatusCode::kInvalidArgument);
  ClusterDnsOptions first;
  first.listen = {"127.0.0.1:0"};
  first.upstreams = {"127.0.0.1:9"};
  ClusterDns a(&informers, first);
  ASSERT_TRUE(a.Start().ok());
  ClusterDnsOptions second = first;
  second.listen = {absl::StrCat("127.0.0.1:", a.udp_ports()[0])};
  ClusterDns b(&informers, second);
  EXPECT_FALSE(b.Start().ok());
  a.Stop();
}

}  // namespace
}  // namespace skiff::agent::dns
