#include "agent/dns/message.h"

#include <random>
#include <string>

#include "agent/dns/test_util.h"
#include "gtest/gtest.h"

namespace skiff::agent::dns {
namespace {

using testing::MakeQuery;
using testing::ParseReply;

TEST(ParseQuery, ReadsTheQuestionAndEdns) {
  std::string packet = MakeQuery("Web.Default.SVC.cluster.local.", kTypeA, 77, 1400);
  ParsedQuery q;
  ASSERT_EQ(ParseQuery(packet, &q), ParseStatus::kOk);
  EXPECT_EQ(q.id, 77);
  EXPECT_TRUE(q.recursion_desired());
  EXPECT_EQ(q.name, "web.default.svc.cluster.local");
  EXPECT_EQ(q.qtype, kTypeA);
  EXPECT_EQ(q.qclass, kClassIn);
  EXPECT_TRUE(q.edns);
  EXPECT_EQ(q.udp_size, 1400);
  EXPECT_EQ(q.udp_limit(), 1400u);
  EXPECT_EQ(q.qname_wire.size(), 31u);

  ASSERT_EQ(ParseQuery(MakeQuery("a.", kTypeA), &q), ParseStatus::kOk);
  EXPECT_FALSE(q.edns);
  EXPECT_EQ(q.udp_limit(), 512u);
  ASSERT_EQ(ParseQuery(MakeQuery(".", kTypeNs, 1, 100), &q), ParseStatus::kOk);
  EXPECT_EQ(q.name, "");
  EXPECT_EQ(q.udp_limit(), 512u);  // sizes below 512 mean 512 (RFC 6891 6.2.5)
}

TEST(ParseQuery, ClassifiesMalformedInput) {
  ParsedQuery q;
  std::string good = MakeQuery("example.com.", kTypeA, 5);
  EXPECT_EQ(ParseQuery("", &q), ParseStatus::kDrop);
  EXPECT_EQ(ParseQuery(good.substr(0, 11), &q), ParseStatus::kDrop);
  std::string response = good;
  response[2] = static_cast<char>(response[2] | 0x80);
  EXPECT_EQ(ParseQuery(response, &q), ParseStatus::kDrop);
  for (size_t cut = 12; cut < good.size(); ++cut) {
    EXPECT_EQ(ParseQuery(good.substr(0, cut), &q), ParseStatus::kFormErr) << cut;
    EXPECT_EQ(q.id, 5);
  }
  std::string no_question = good.substr(0, 12);
  no_question[5] = 0;
  EXPECT_EQ(ParseQuery(no_question, &q), ParseStatus::kFormErr);
  std::string two_questions = good;
  two_questions[5] = 2;
  EXPECT_EQ(ParseQuery(two_questions, &q), ParseStatus::kFormErr);
  std::string pointer = good.substr(0, 12) + std::string("\xc0\x0c\x00\x01\x00\x01", 6);
  EXPECT_EQ(ParseQuery(pointer, &q), ParseStatus::kFormErr);
  std::string claims_additional = good;
  claims_additional[11] = 1;  // an additional record that is not there
  EXPECT_EQ(ParseQuery(claims_additional, &q), ParseStatus::kFormErr);
  std::string notify = good;
  notify[2] = static_cast<char>((notify[2] & 0x87) | (4 << 3));
  EXPECT_EQ(ParseQuery(notify, &q), ParseStatus::kNotImp);
  EXPECT_TRUE(q.has_question);
  std::string dotted = good.substr(0, 12) + std::string(
                                                "\x03"
                                                "a.b\x00\x00\x01\x00\x01",
                                                9);
  ASSERT_EQ(ParseQuery(dotted, &q), ParseStatus::kOk);
  EXPECT_TRUE(q.odd_name);
  // Random bytes never read out of bounds (run under ASan in the fuzz build).
  std::mt19937 rng(1);
  for (int i = 0; i < 20000; ++i) {
    std::string noise(rng() % 64, '\0');
    for (char& c : noise) c = static_cast<char>(rng());
    if (noise.size() > 5 && i % 2) noise[5] = 1;
    ParseQuery(noise, &q);
  }
}

TEST(BuildErrorReply, EchoesIdQuestionAndEdns) {
  std::string packet = MakeQuery("x.example.", kTypeA, 99, 4096);
  ParsedQuery q;
  ASSERT_EQ(ParseQuery(packet, &q), ParseStatus::kOk);
  auto r = ParseReply(BuildErrorReply(packet, q, 2));
  EXPECT_EQ(r.rcode, 2);
  EXPECT_EQ(r.id, 99);
  EXPECT_TRUE(r.rd);
  EXPECT_TRUE(r.edns);
  EXPECT_EQ(r.qname, "x.example.");
  std::string header_only = BuildErrorReply(packet.substr(0, 12), ParsedQuery{.id = 3}, 1);
  EXPECT_EQ(header_only.size(), 12u);
  EXPECT_EQ(ParseReply(header_only).rcode, 1);
}

TEST(BuildAnswerReply, TruncatesToTheLimitAndPatchesIdAndCase) {
  std::string packet = MakeQuery("Big.Prod.svc.cluster.local.", kTypeA, 1234);
  ParsedQuery q;
  ASSERT_EQ(ParseQuery(packet, &q), ParseStatus::kOk);
  Answer a;
  for (int i = 0; i < 100; ++i) {
    Rr rr;
    rr.name = "big.prod.svc.cluster.local";
    rr.type = kTypeA;
    rr.ttl = 5;
    rr.address = std::string("\x0a\x2a\x00", 3) + static_cast<char>(i);
    a.answer.push_back(rr);
  }
  std::string full = BuildAnswerReply(q, a, kMaxTcpMessage);
  auto r = ParseReply(full);
  EXPECT_EQ(r.answer.size(), 100u);
  EXPECT_FALSE(r.tc);
  EXPECT_LT(full.size(), 100u * 20);  // names are compressed (16 bytes per A record)

  std::string cut = BuildAnswerReply(q, a, 512);
  EXPECT_LE(cut.size(), 512u);
  auto t = ParseReply(cut);
  EXPECT_TRUE(t.tc);
  EXPECT_GT(t.answer.size(), 20u);
  EXPECT_LT(t.answer.size(), 100u);

  PatchReply(q, cut.data(), cut.size());
  t = ParseReply(cut);
  EXPECT_EQ(t.id, 1234);
  EXPECT_EQ(t.qname, "Big.Prod.svc.cluster.local.");  // 0x20-style case preserved
  EXPECT_TRUE(t.rd);
  EXPECT_TRUE(t.aa);
}

TEST(TruncateRelayed, KeepsHeaderAndQuestion) {
  std::string packet = MakeQuery("a.example.", kTypeTxt, 8);
  ParsedQuery q;
  ASSERT_EQ(ParseQuery(packet, &q), ParseStatus::kOk);
  std::string upstream = testing::FakeUpstream::Answer(packet, {"a.example. 60 IN TXT \"hello\""});
  auto r = ParseReply(TruncateRelayed(upstream, q));
  EXPECT_TRUE(r.tc);
  EXPECT_EQ(r.id, 8);
  EXPECT_EQ(r.qname, "a.example.");
  EXPECT_TRUE(r.answer.empty());
}

}  // namespace
}  // namespace skiff::agent::dns
