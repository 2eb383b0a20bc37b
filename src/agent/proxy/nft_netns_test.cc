// Applies generated transactions to the real kernel, inside a fresh network namespace.
#include <algorithm>

#include "absl/strings/match.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "agent/proxy/netns.h"
#include "agent/proxy/nft.h"
#include "agent/proxy/ruleset.h"
#include "agent/proxy/service_proxy.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace skiff::agent::proxy {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

// `nft list table` output with element lists and lines sorted: the kernel's order of chains
// (creation order) and of set elements (hash order) depends on history, not on content.
std::string Normalize(const std::string& listing) {
  std::vector<std::string> lines;
  std::string elements;
  bool in_elements = false;
  for (absl::string_view raw : absl::StrSplit(listing, '\n')) {
    std::string line(absl::StripAsciiWhitespace(raw));
    if (absl::StartsWith(line, "elements = {")) {
      in_elements = true;
      line = line.substr(strlen("elements = {"));
    }
    if (!in_elements) {
      if (!line.empty()) lines.push_back(line);
      continue;
    }
    const bool last = absl::EndsWith(line, "}");
    if (last) line.pop_back();
    elements += line;
    if (last) {
      std::vector<std::string> items;
      for (absl::string_view item : absl::StrSplit(elements, ',', absl::SkipWhitespace())) {
        items.emplace_back(absl::StripAsciiWhitespace(item));
      }
      std::sort(items.begin(), items.end());
      lines.push_back("elements = { " + absl::StrJoin(items, ", ") + " }");
      elements.clear();
      in_elements = false;
    }
  }
  std::sort(lines.begin(), lines.end());
  return absl::StrJoin(lines, "\n");
}

ServiceModel Svc(const std::string& name, const std::string& ip) {
  ServiceModel s;
  s.ns = "default";
  s.name = name;
  s.cluster_ip = ip;
  s.ports = {{.name = "http", .protocol = "tcp", .port = 80}, {.name = "dns", .protocol = "udp", .port = 53}};
  return s;
}

EndpointModel Ep(const std::string& ip, const std::string& node = "n1") {
  return {.ip = ip, .port = 8080, .node_name = node};
}

class NftNetnsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto ns = Netns::Create();
    ASSERT_TRUE(ns.ok()) << "network namespaces need root: " << ns.status();
    ns_ = std::move(*ns);
    ASSERT_TRUE(ns_->Run([&] {
                     auto nft = Nft::Create();
                     ASSERT_TRUE(nft.ok()) << nft.status();
                     nft_ = std::move(*nft);
                   })
                    .ok());
    options_.node_name = "n1";
    options_.node_ips = {"192.0.2.10"};
  }

  std::string Apply(const std::string& text) {
    auto out = nft_->Run(text);
    EXPECT_TRUE(out.ok()) << out.status() << "\n" << text;
    return out.ok() ? *out : "";
  }
  std::string List() { return Apply("list table ip skiff-proxy"); }

  std::map<std::string, ServiceRules> StateA() {
    ServiceModel web = Svc("web", "10.96.0.10");
    web.ports[0].node_port = 30080;
    web.affinity_timeout_seconds = 300;
    ServiceModel db = Svc("db", "10.96.0.12");
    db.external_ips = {"192.0.2.50"};
    db.external_local = true;
    return {
        {"default/web", BuildServiceRules(web, {{"http", {Ep("10.1.0.2"), Ep("10.1.0.3", "n2")}}}, options_)},
        {"default/api", BuildServiceRules(Svc("api", "10.96.0.11"), {}, options_)},
        {"default/db", BuildServiceRules(db, {{"http", {Ep("10.1.0.7"), Ep("10.1.0.8", "n2")}}}, options_)}};
  }
  std::map<std::string, ServiceRules> StateB() {
    ServiceModel web = Svc("web", "10.96.0.10");
    web.ports[0].node_port = 30081;
    web.affinity_timeout_seconds = 60;  // a new set, and the old ones go
    ServiceModel fresh = Svc("fresh", "10.96.0.13");
    fresh.internal_local = true;
    return {
        {"default/web", BuildServiceRules(web, {{"http", {Ep("10.1.0.2"), Ep("10.1.0.4")}}}, options_)},
        {"default/api", BuildServiceRules(Svc("api", "10.96.0.11"), {{"dns", {Ep("10.1.0.5")}}}, options_)},
        {"default/fresh",
         BuildServiceRules(fresh, {{"http", {Ep("10.1.0.6"), Ep("10.1.0.9", "n2")}}}, options_)}};
  }

  std::unique_ptr<Netns> ns_;
  std::unique_ptr<Nft> nft_;
  ProxyOptions options_;
};

TEST_F(NftNetnsTest, FullSyncLoadsAndReplaces) {
  Apply(FullSyncTransaction(options_, StateA()));
  const std::string a = List();
  EXPECT_THAT(a, HasSubstr("type nat hook prerouting priority dstnat; policy accept;"));
  EXPECT_THAT(a, HasSubstr("10.96.0.11 . tcp . 80 : goto reject-chain"));
  EXPECT_THAT(a, HasSubstr("flags dynamic,timeout"));
  EXPECT_THAT(a, HasSubstr("numgen random mod 2 vmap"));
  EXPECT_THAT(a, HasSubstr("dnat to 10.1.0.3:8080"));
  // A second full sync replaces everything, leaving no stale chains behind.
  Apply(FullSyncTransaction(options_, StateB()));
  const std::string b = List();
  EXPECT_THAT(b, Not(HasSubstr("10.1.0.3")));
  EXPECT_THAT(b, Not(HasSubstr("/db/")));
  EXPECT_THAT(b, Not(HasSubstr("timeout 5m")));
}

TEST_F(NftNetnsTest, PartialSyncReachesTheSameTableAsAFullSync) {
  auto a = StateA();
  auto b = StateB();
  Apply(FullSyncTransaction(options_, b));
  const std::string want = Normalize(List());

  Apply(FullSyncTransaction(options_, a));
  std::vector<ServiceRulesChange> changes;
  std::set<std::string> keys;
  for (const auto& [k, v] : a) keys.insert(k);
  for (const auto& [k, v] : b) keys.insert(k);
  for (const std::string& k : keys) {
    changes.push_back({a.contains(k) ? &a[k] : nullptr, b.contains(k) ? &b[k] : nullptr});
  }
  Apply(PartialSyncTransaction(options_, changes, MergeElements(a), MergeElements(b)));
  EXPECT_EQ(Normalize(List()), want);
}

TEST_F(NftNetnsTest, RefusedTransactionChangesNothing) {
  Apply(FullSyncTransaction(options_, StateA()));
  const std::string before = List();
  auto bad =
      nft_->Run("add chain ip skiff-proxy x-new\nadd rule ip skiff-proxy services goto no-such-chain\n");
  EXPECT_EQ(bad.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(bad.status().message()), HasSubstr("Could not process rule"));
  EXPECT_EQ(List(), before);
}

TEST_F(NftNetnsTest, DeleteProxyTable) {
  Apply(FullSyncTransaction(options_, StateA()));
  absl::Status deleted, again;
  ASSERT_TRUE(ns_->Run([&] {
                   deleted = DeleteProxyTable("skiff-proxy");
                   again = DeleteProxyTable("skiff-proxy");  // absent: still OK
                 })
                  .ok());
  EXPECT_TRUE(deleted.ok()) << deleted;
  EXPECT_TRUE(again.ok()) << again;
  EXPECT_THAT(*nft_->Run("list tables"), Not(HasSubstr("skiff-proxy")));
}

}  // namespace
}  // namespace skiff::agent::proxy
