#include "agent/dns/query_handler.h"

#include <memory>
#include <string>

#include "agent/dns/test_util.h"
#include "base/json.h"
#include "gtest/gtest.h"

namespace skiff::agent::dns {
namespace {

using testing::MakeQuery;
using testing::ParseReply;

std::shared_ptr<const RecordTable> TableWith(const std::string& ip) {
  auto svc = base::ParseJson(R"({"metadata":{"name":"web","namespace":"default"},"spec":{"clusterIP":")" +
                             ip + R"("}})");
  EXPECT_TRUE(svc.ok());
  std::vector<client::Object> services = {std::make_shared<const boost::json::value>(*svc)};
  return std::make_shared<const RecordTable>(RecordTable::Config{}, services, std::vector<client::Object>{});
}

struct Result {
  QueryHandler::Disposition disposition;
  testing::Reply reply;
};

Result Handle(const QueryHandler& h, const std::string& packet, bool tcp = false) {
  ParsedQuery q;
  std::string reply;
  Answer answer;
  QueryHandler::Disposition d = h.Handle(packet, tcp, &q, &reply, &answer);
  return {d, ParseReply(reply)};
}

TEST(QueryHandler, BeforeTheFirstTableClusterNamesFailAndOthersForward) {
  QueryHandler h("cluster.local", 100);
  Result r = Handle(h, MakeQuery("web.default.svc.cluster.local.", kTypeA, 5));
  EXPECT_EQ(r.disposition, QueryHandler::Disposition::kReply);
  EXPECT_EQ(r.reply.rcode, 2);  // SERVFAIL, never a false NXDOMAIN
  EXPECT_EQ(Handle(h, MakeQuery("example.com.", kTypeA)).disposition, QueryHandler::Disposition::kForward);
}

TEST(QueryHandler, CachedRepliesFollowTheClientAndTableSwapsInvalidate) {
  QueryHandler h("cluster.local", 100);
  h.SetTable(TableWith("10.43.0.1"));
  Result first = Handle(h, MakeQuery("web.default.svc.cluster.local.", kTypeA, 1));
  EXPECT_EQ(first.reply.answer, std::vector<std::string>{"web.default.svc.cluster.local. A 10.43.0.1"});
  Result cached = Handle(h, MakeQuery("WEB.default.svc.cluster.local.", kTypeA, 2));
  EXPECT_EQ(cached.reply.id, 2);
  EXPECT_EQ(cached.reply.qname, "WEB.default.svc.cluster.local.");
  EXPECT_EQ(cached.reply.answer.size(), 1u);
  EXPECT_FALSE(cached.reply.edns);
  Result with_edns = Handle(h, MakeQuery("web.default.svc.cluster.local.", kTypeA, 3, 1232));
  EXPECT_TRUE(with_edns.reply.edns);  // a separate cache entry

  h.SetTable(TableWith("10.43.0.2"));
  Result after = Handle(h, MakeQuery("web.default.svc.cluster.local.", kTypeA, 4));
  EXPECT_EQ(after.reply.answer, std::vector<std::string>{"web.default.svc.cluster.local. A 10.43.0.2"});
}

TEST(QueryHandler, ExternalNamesAreChasedUnlessTheCnameIsAskedFor) {
  QueryHandler h("cluster.local", 100);
  auto svc = base::ParseJson(
      R"({"metadata":{"name":"ext","namespace":"default"},"spec":{"type":"ExternalName","externalName":"a.example"}})");
  ASSERT_TRUE(svc.ok());
  h.SetTable(std::make_shared<const RecordTable>(
      RecordTable::Config{}, std::vector<client::Object>{std::make_shared<const boost::json::value>(*svc)},
      std::vector<client::Object>{}));
  ParsedQuery q;
  std::string reply;
  Answer answer;
  EXPECT_EQ(h.Handle(MakeQuery("ext.default.svc.cluster.local.", kTypeA), false, &q, &reply, &answer),
            QueryHandler::Disposition::kChase);
  EXPECT_EQ(answer.chase, "a.example");
  // Asking for the CNAME itself needs nothing upstream.
  EXPECT_EQ(Handle(h, MakeQuery("ext.default.svc.cluster.local.", kTypeCname)).reply.answer,
            std::vector<std::string>{"ext.default.svc.cluster.local. CNAME a.example."});
}

}  // namespace
}  // namespace skiff::agent::dns
