#include "agent/dns/records.h"

#include <arpa/inet.h>

#include <memory>
#include <string>
#include <vector>

#include "base/json.h"
#include "gtest/gtest.h"

namespace skiff::agent::dns {
namespace {

client::Object Obj(const std::string& text) {
  auto parsed = base::ParseJson(text);
  EXPECT_TRUE(parsed.ok()) << parsed.status() << " in " << text;
  return std::make_shared<const boost::json::value>(parsed.ok() ? *parsed : boost::json::value());
}

std::string Ip(const std::string& bytes) {
  char buf[64];
  inet_ntop(bytes.size() == 4 ? AF_INET : AF_INET6, bytes.data(), buf, sizeof(buf));
  return buf;
}

// "TYPE rdata" of every answer record, for compact assertions.
std::vector<std::string> Answers(const Answer& a) {
  std::vector<std::string> out;
  for (const Rr& rr : a.answer) {
    switch (rr.type) {
      case kTypeA:
        out.push_back("A " + Ip(rr.address));
        break;
      case kTypeAaaa:
        out.push_back("AAAA " + Ip(rr.address));
        break;
      case kTypeSrv:
        out.push_back("SRV " + std::to_string(rr.priority) + " " + std::to_string(rr.weight) + " " +
                      std::to_string(rr.port) + " " + rr.target);
        break;
      case kTypeCname:
        out.push_back("CNAME " + rr.target);
        break;
      case kTypePtr:
        out.push_back("PTR " + rr.target);
        break;
      case kTypeTxt:
        out.push_back("TXT " + rr.target);
        break;
      default:
        out.push_back("type" + std::to_string(rr.type));
    }
  }
  return out;
}

class RecordTableTest : public ::testing::Test {
 protected:
  RecordTableTest() {
    services_ = {
        Obj(R"({"metadata":{"name":"web","namespace":"default"},
                "spec":{"type":"ClusterIP","clusterIP":"10.43.0.20","clusterIPs":["10.43.0.20","fd00::20"],
                        "ports":[{"name":"http","port":80,"protocol":"TCP"},{"port":81}]}})"),
        Obj(R"({"metadata":{"name":"db","namespace":"prod"},
                "spec":{"clusterIP":"None","ports":[{"name":"pg","port":5432}]}})"),
        Obj(R"({"metadata":{"name":"ext","namespace":"default"},
                "spec":{"type":"ExternalName","externalName":"Example.COM."}})"),
        Obj(R"({"metadata":{"name":"alias","namespace":"default"},
                "spec":{"type":"ExternalName","externalName":"web.default.svc.cluster.local"}})"),
        Obj(R"({"metadata":{"name":"all","namespace":"prod"},
                "spec":{"clusterIP":"None","publishNotReadyAddresses":true}})"),
        Obj(R"({"metadata":{"name":"bad name","namespace":"default"},"spec":{"clusterIP":"10.43.0.99"}})"),
        Obj(R"({"metadata":{"name":"noip","namespace":"default"},"spec":{"clusterIP":"garbage"}})"),
        Obj(R"("not an object")"),
    };
    slices_ = {
        Obj(R"({"metadata":{"name":"db-1","namespace":"prod","labels":{"kubernetes.io/service-name":"db"}},
                "addressType":"IPv4","ports":[{"name":"pg","port":5432,"protocol":"TCP"}],
                "endpoints":[{"addresses":["10.42.0.5"],"hostname":"db-0","conditions":{"ready":true}},
                             {"addresses":["10.42.0.6"]},
                             {"addresses":["10.42.0.7"],"conditions":{"ready":false}},
                             {"addresses":["not-an-ip"]}]})"),
        Obj(R"({"metadata":{"name":"all-1","namespace":"prod","labels":{"kubernetes.io/service-name":"all"}},
                "addressType":"IPv4",
                "endpoints":[{"addresses":["10.42.1.7"],"conditions":{"ready":false}}]})"),
        Obj(R"({"metadata":{"name":"orphan","namespace":"prod"},"addressType":"IPv4",
                "endpoints":[{"addresses":["10.42.9.9"]}]})"),
    };
  }
  RecordTable Table() {
    RecordTable::Config config;
    config.serial = 77;
    config.nameserver_ips = {"10.43.0.10"};
    return RecordTable(config, services_, slices_);
  }
  std::vector<client::Object> services_, slices_;
};

TEST_F(RecordTableTest, ClusterIpServiceHasAddressesSrvAndPtr) {
  RecordTable t = Table();
  Answer a = t.Lookup("web.default.svc.cluster.local", false, kTypeA);
  EXPECT_EQ(a.rcode, 0);
  EXPECT_EQ(Answers(a), std::vector<std::string>{"A 10.43.0.20"});
  EXPECT_EQ(a.answer[0].ttl, 5u);
  EXPECT_EQ(Answers(t.Lookup("web.default.svc.cluster.local", false, kTypeAaaa)),
            std::vector<std::string>{"AAAA fd00::20"});
  Answer srv = t.Lookup("_http._tcp.web.default.svc.cluster.local", false, kTypeSrv);
  EXPECT_EQ(Answers(srv), std::vector<std::string>{"SRV 0 100 80 web.default.svc.cluster.local"});
  ASSERT_EQ(srv.additional.size(), 2u);  // A and AAAA of the target
  EXPECT_EQ(Answers(t.Lookup("20.0.43.10.in-addr.arpa", false, kTypePtr)),
            std::vector<std::string>{"PTR web.default.svc.cluster.local"});
  EXPECT_EQ(Answers(t.Lookup(ReverseName(std::string("\xfd\0\0\0\0\0\0\0\0\0\0\0\0\0\0\x20", 16)), false,
                             kTypePtr)),
            std::vector<std::string>{"PTR web.default.svc.cluster.local"});
  // The unnamed port has no SRV; ANY returns everything.
  EXPECT_EQ(t.Lookup("_81._tcp.web.default.svc.cluster.local", false, kTypeSrv).rcode, 3);
  EXPECT_EQ(t.Lookup("web.default.svc.cluster.local", false, kTypeAny).answer.size(), 2u);
}

TEST_F(RecordTableTest, HeadlessServiceListsReadyEndpointsWithHostnamesAndSrv) {
  RecordTable t = Table();
  EXPECT_EQ(Answers(t.Lookup("db.prod.svc.cluster.local", false, kTypeA)),
            (std::vector<std::string>{"A 10.42.0.5", "A 10.42.0.6"}));
  EXPECT_EQ(Answers(t.Lookup("db-0.db.prod.svc.cluster.local", false, kTypeA)),
            std::vector<std::string>{"A 10.42.0.5"});
  EXPECT_EQ(Answers(t.Lookup("10-42-0-6.db.prod.svc.cluster.local", false, kTypeA)),
            std::vector<std::string>{"A 10.42.0.6"});
  Answer srv = t.Lookup("_pg._tcp.db.prod.svc.cluster.local", false, kTypeSrv);
  EXPECT_EQ(Answers(srv), (std::vector<std::string>{"SRV 0 50 5432 10-42-0-6.db.prod.svc.cluster.local",
                                                    "SRV 0 50 5432 db-0.db.prod.svc.cluster.local"}));
  EXPECT_EQ(srv.additional.size(), 2u);
  EXPECT_EQ(Answers(t.Lookup("5.0.42.10.in-addr.arpa", false, kTypePtr)),
            std::vector<std::string>{"PTR db-0.db.prod.svc.cluster.local"});
  // Not ready: absent, unless the service publishes not-ready addresses.
  EXPECT_EQ(t.Lookup("7.0.42.10.in-addr.arpa", false, kTypePtr).action, Answer::Action::kForward);
  EXPECT_EQ(Answers(t.Lookup("all.prod.svc.cluster.local", false, kTypeA)),
            std::vector<std::string>{"A 10.42.1.7"});
}

TEST_F(RecordTableTest, ExternalNameIsACnameChasedInsideOrOutside) {
  RecordTable t = Table();
  Answer ext = t.Lookup("ext.default.svc.cluster.local", false, kTypeA);
  EXPECT_EQ(Answers(ext), std::vector<std::string>{"CNAME example.com"});
  EXPECT_EQ(ext.chase, "example.com");
  Answer cname = t.Lookup("ext.default.svc.cluster.local", false, kTypeCname);
  EXPECT_TRUE(cname.chase.empty());
  Answer alias = t.Lookup("alias.default.svc.cluster.local", false, kTypeA);
  EXPECT_EQ(Answers(alias),
            (std::vector<std::string>{"CNAME web.default.svc.cluster.local", "A 10.43.0.20"}));
  EXPECT_TRUE(alias.chase.empty());
}

TEST_F(RecordTableTest, NegativeAnswersCarryTheSoa) {
  RecordTable t = Table();
  Answer nx = t.Lookup("nope.default.svc.cluster.local", false, kTypeA);
  EXPECT_EQ(nx.rcode, 3);
  ASSERT_EQ(nx.authority.size(), 1u);
  EXPECT_EQ(nx.authority[0].type, kTypeSoa);
  EXPECT_EQ(nx.authority[0].name, "cluster.local");
  EXPECT_EQ(nx.authority[0].serial, 77u);
  // A search-path expansion below an existing name does not exist.
  EXPECT_EQ(t.Lookup("web.default.svc.cluster.local.default.svc.cluster.local", false, kTypeA).rcode, 3);
  EXPECT_EQ(t.Lookup("web.default.svc.cluster.local.cluster.local", false, kTypeA).rcode, 3);
  // Existing name, other type, and empty non-terminals: NOERROR without answers.
  for (const char* name : {"web.default.svc.cluster.local", "default.svc.cluster.local", "svc.cluster.local",
                           "_tcp.web.default.svc.cluster.local"}) {
    Answer nodata = t.Lookup(name, false, kTypeTxt);
    EXPECT_EQ(nodata.rcode, 0) << name;
    EXPECT_TRUE(nodata.answer.empty()) << name;
    EXPECT_EQ(nodata.authority.size(), 1u) << name;
  }
  // Invalid objects produced nothing.
  EXPECT_EQ(t.Lookup("noip.default.svc.cluster.local", false, kTypeA).rcode, 3);
  EXPECT_EQ(t.Lookup("orphan.prod.svc.cluster.local", false, kTypeA).rcode, 3);
  // A label with a dot inside never matches.
  EXPECT_EQ(t.Lookup("web.default.svc.cluster.local", true, kTypeA).rcode, 3);
}

TEST_F(RecordTableTest, PodNamesApexAndForwarding) {
  RecordTable t = Table();
  EXPECT_EQ(Answers(t.Lookup("10-42-0-9.default.pod.cluster.local", false, kTypeA)),
            std::vector<std::string>{"A 10.42.0.9"});
  EXPECT_EQ(Answers(t.Lookup("fd00--9.default.pod.cluster.local", false, kTypeAaaa)),
            std::vector<std::string>{"AAAA fd00::9"});
  Answer v6_as_a = t.Lookup("fd00--9.default.pod.cluster.local", false, kTypeA);
  EXPECT_EQ(v6_as_a.rcode, 0);
  EXPECT_TRUE(v6_as_a.answer.empty());
  EXPECT_EQ(t.Lookup("10-42-0-999.default.pod.cluster.local", false, kTypeA).rcode, 3);
  EXPECT_EQ(t.Lookup("x.10-42-0-9.default.pod.cluster.local", false, kTypeA).rcode, 3);
  EXPECT_EQ(t.Lookup("default.pod.cluster.local", false, kTypeA).rcode, 0);

  EXPECT_EQ(t.Lookup("cluster.local", false, kTypeSoa).answer.size(), 1u);
  Answer ns = t.Lookup("cluster.local", false, kTypeNs);
  EXPECT_EQ(Answers(ns), std::vector<std::string>{"type2"});
  EXPECT_EQ(ns.additional.size(), 1u);
  EXPECT_EQ(Answers(t.Lookup("dns-version.cluster.local", false, kTypeTxt)),
            std::vector<std::string>{"TXT 1.1.0"});

  EXPECT_EQ(t.Lookup("example.com", false, kTypeA).action, Answer::Action::kForward);
  EXPECT_EQ(t.Lookup("notcluster.local", false, kTypeA).action, Answer::Action::kForward);
  EXPECT_EQ(t.Lookup("1.1.168.192.in-addr.arpa", false, kTypePtr).action, Answer::Action::kForward);
  // A reverse name of ours, other type: NODATA with the reverse zone's SOA.
  Answer ptr_a = t.Lookup("20.0.43.10.in-addr.arpa", false, kTypeA);
  EXPECT_EQ(ptr_a.action, Answer::Action::kAnswer);
  ASSERT_EQ(ptr_a.authority.size(), 1u);
  EXPECT_EQ(ptr_a.authority[0].name, "in-addr.arpa");
}

TEST_F(RecordTableTest, CustomDomainAndTtl) {
  RecordTable::Config config;
  config.domain = "Corp.Example.";
  config.ttl = 30;
  RecordTable t(config, services_, slices_);
  Answer a = t.Lookup("web.default.svc.corp.example", false, kTypeA);
  ASSERT_EQ(a.answer.size(), 1u);
  EXPECT_EQ(a.answer[0].ttl, 30u);
  EXPECT_EQ(t.Lookup("web.default.svc.cluster.local", false, kTypeA).action, Answer::Action::kForward);
}

}  // namespace
}  // namespace skiff::agent::dns
