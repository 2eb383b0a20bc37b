// Loads generated tables into a fresh network namespace and sends real TCP connections through
// them: a "node" namespace routes between two "pod" namespaces (veth pairs), as the agent's node
// forwards between its pods; the policies are applied incrementally (DiffTransaction) from one
// step to the next, and the result must equal a full load of the last state.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <regex>

#include "absl/strings/match.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "absl/time/clock.h"
#include "agent/netpol/netpol_rules.h"
#include "agent/netpol/policy_enforcer.h"
#include "agent/proxy/netns.h"
#include "agent/proxy/nft.h"
#include "boost/json/parse.hpp"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace skiff::agent::netpol {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

// `nft list table` output with lines and element lists sorted (kernel order depends on history).
std::string Normalize(const std::string& listing) {
  std::vector<std::string> lines;
  std::string elements;
  bool in_elements = false;
  for (absl::string_view raw : absl::StrSplit(listing, '\n')) {
    std::string line(absl::StripAsciiWhitespace(raw));
    static const std::regex kCounts("counter packets [0-9]+ bytes [0-9]+");  // traffic differs
    line = std::regex_replace(line, kCounts, "counter");
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
      for (absl::string_view item : absl::StrSplit(elements, ',', absl::SkipWhitespace()))
        items.emplace_back(absl::StripAsciiWhitespace(item));
      std::sort(items.begin(), items.end());
      lines.push_back("elements = { " + absl::StrJoin(items, ", ") + " }");
      elements.clear();
      in_elements = false;
    }
  }
  std::sort(lines.begin(), lines.end());
  return absl::StrJoin(lines, "\n");
}

PolicyModel Policy(const std::string& json) { return *ParsePolicy(boost::json::parse(json)); }

class NetpolNetnsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    for (auto* ns : {&node_, &a_, &b_}) {
      auto made = proxy::Netns::Create();
      ASSERT_TRUE(made.ok()) << "network namespaces need root: " << made.status();
      *ns = std::move(*made);
    }
    // Pod a (10.9.1.2) and pod b (10.9.2.2), each behind its own veth, routed by the node.
    ASSERT_TRUE(node_->Exec("ip link set lo up && echo 1 > /proc/sys/net/ipv4/ip_forward && "
                            "ip link add va type veth peer name pa && ip link add vb type veth peer name pb && "
                            "ip link set pa netns " + a_->path() + " && ip link set pb netns " + b_->path() +
                            " && ip addr add 10.9.1.1/24 dev va && ip addr add 10.9.2.1/24 dev vb && "
                            "ip link set va up && ip link set vb up")
                    .ok());
    for (auto [ns, dev, ip, gw] : {std::tuple{a_.get(), "pa", "10.9.1.2", "10.9.1.1"},
                                   std::tuple{b_.get(), "pb", "10.9.2.2", "10.9.2.1"}}) {
      ASSERT_TRUE(ns->Exec(absl::StrCat("ip link set lo up && ip addr add ", ip, "/24 dev ", dev, " && ip link set ",
                                        dev, " up && ip route add default via ", gw))
                      .ok());
    }
    ASSERT_TRUE(node_->Run([&] {
                       auto nft = proxy::Nft::Create();
                       ASSERT_TRUE(nft.ok()) << nft.status();
                       nft_ = std::move(*nft);
                     })
                    .ok());
    for (int port : {80, 81}) {
      ASSERT_TRUE(b_->Run([&] { listeners_.push_back(Listen(port)); }).ok());
      ASSERT_TRUE(a_->Run([&] { listeners_.push_back(Listen(port)); }).ok());
    }
    // The veths need a moment (carrier, neighbours) before the first packet crosses, more so
    // on a busy machine.
    for (int i = 0; i < 20 && !Connects(*a_, "10.9.2.2", 80); ++i) absl::SleepFor(absl::Milliseconds(100));
    options_.node_name = "n1";
    pods_ = {{.ns = "a", .name = "client", .ip = "10.9.1.2", .node_name = "n1",
              .labels = boost::json::parse(R"({"role":"client"})")},
             {.ns = "a", .name = "server", .ip = "10.9.2.2", .node_name = "n1",
              .labels = boost::json::parse(R"({"app":"web"})"),
              .ports = {{.name = "http", .protocol = "tcp", .port = 81}}}};
    namespaces_ = {{.name = "a", .labels = boost::json::parse(R"({"kubernetes.io/metadata.name":"a"})")}};
  }

  void TearDown() override {
    for (int fd : listeners_) close(fd);
  }

  static int Listen(int port) {
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
    int one = 1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    sockaddr_in addr{.sin_family = AF_INET, .sin_port = htons(port), .sin_addr = {htonl(INADDR_ANY)}, .sin_zero = {}};
    EXPECT_EQ(bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)), 0);
    EXPECT_EQ(listen(fd, 64), 0);
    return fd;
  }

  // Whether a TCP connection from `from` to ip:port completes within 3 s (a refused one fails at once).
  static bool Connects(proxy::Netns& from, const char* ip, int port) {
    bool ok = false;
    EXPECT_TRUE(from.Run([&] {
                      int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
                      sockaddr_in addr{.sin_family = AF_INET, .sin_port = htons(port), .sin_addr = {}, .sin_zero = {}};
                      inet_pton(AF_INET, ip, &addr.sin_addr);
                      connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr));
                      pollfd p{.fd = fd, .events = POLLOUT, .revents = 0};
                      if (poll(&p, 1, 3000) == 1) {
                        int err = 0;
                        socklen_t len = sizeof(err);
                        getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len);
                        ok = err == 0;
                      }
                      close(fd);
                    })
                    .ok());
    return ok;
  }

  // Moves the table to the state of `policies` with an incremental transaction.
  void Step(const std::vector<PolicyModel>& policies) {
    TableState next = BuildTableState(options_, pods_, namespaces_, policies);
    const std::string text = DiffTransaction(options_.table, applied_, next);
    if (!text.empty()) {
      auto out = nft_->Run(text);
      ASSERT_TRUE(out.ok()) << out.status() << "\n" << text;
    }
    applied_ = std::move(next);
  }
  void Load(const std::vector<PolicyModel>& policies) {
    applied_ = BuildTableState(options_, pods_, namespaces_, policies);
    auto out = nft_->Run(FullTransaction(options_.table, applied_));
    ASSERT_TRUE(out.ok()) << out.status();
  }
  std::string List() { return *nft_->Run("list table ip skiff-netpol"); }

  std::unique_ptr<proxy::Netns> node_, a_, b_;
  std::unique_ptr<proxy::Nft> nft_;
  std::vector<int> listeners_;
  NetpolOptions options_;
  std::vector<PodModel> pods_;
  std::vector<NamespaceModel> namespaces_;
  TableState applied_;
};

const char kDenyServer[] = R"({"metadata":{"namespace":"a","name":"deny"},"spec":{"podSelector":{"matchLabels":{"app":"web"}}}})";
const char kAllowClientPort80[] = R"({"metadata":{"namespace":"a","name":"allow"},"spec":{
  "podSelector":{"matchLabels":{"app":"web"}},
  "ingress":[{"from":[{"podSelector":{"matchLabels":{"role":"client"}}}],"ports":[{"port":80}]}]}})";
const char kAllowNamedPortFromBlock[] = R"({"metadata":{"namespace":"a","name":"named"},"spec":{
  "podSelector":{"matchLabels":{"app":"web"}},
  "ingress":[{"from":[{"ipBlock":{"cidr":"10.9.0.0/16","except":["10.9.3.0/24"]}}],"ports":[{"port":"http"}]}]}})";
const char kClientEgressOnly81[] = R"({"metadata":{"namespace":"a","name":"egress"},"spec":{
  "podSelector":{"matchLabels":{"role":"client"}},"policyTypes":["Egress"],
  "egress":[{"ports":[{"port":79,"endPort":81}]}]}})";

TEST_F(NetpolNetnsTest, PoliciesFilterRealConnectionsAndApplyIncrementally) {
  Load({});
  EXPECT_TRUE(Connects(*a_, "10.9.2.2", 80));
  EXPECT_TRUE(Connects(*b_, "10.9.1.2", 80));

  Step({Policy(kDenyServer)});  // ingress default deny for the server
  EXPECT_FALSE(Connects(*a_, "10.9.2.2", 80));
  EXPECT_TRUE(Connects(*b_, "10.9.1.2", 80));  // its egress is not policed; replies come back

  Step({Policy(kDenyServer), Policy(kAllowClientPort80)});
  EXPECT_TRUE(Connects(*a_, "10.9.2.2", 80));
  EXPECT_FALSE(Connects(*a_, "10.9.2.2", 81));

  pods_[0].labels = boost::json::parse(R"({"role":"stranger"})");  // a pod's labels change
  Step({Policy(kDenyServer), Policy(kAllowClientPort80)});
  EXPECT_FALSE(Connects(*a_, "10.9.2.2", 80));

  // The named port "http" is 81 on the server; 10.9.1.2 is in the block and not excepted.
  Step({Policy(kDenyServer), Policy(kAllowNamedPortFromBlock)});
  EXPECT_TRUE(Connects(*a_, "10.9.2.2", 81));
  EXPECT_FALSE(Connects(*a_, "10.9.2.2", 80));

  // Egress of the client limited to 79-81: needs both its egress and the server's ingress.
  pods_[0].labels = boost::json::parse(R"({"role":"client"})");
  Step({Policy(kClientEgressOnly81), Policy(kAllowClientPort80)});
  EXPECT_TRUE(Connects(*a_, "10.9.2.2", 80));  // egress 79-81 and ingress port 80 admit it
  EXPECT_FALSE(Connects(*a_, "10.9.2.2", 81));  // egress admits, the server's ingress does not
  EXPECT_TRUE(Connects(*b_, "10.9.1.2", 80));   // the client's ingress is not policed

  const std::string incremental = Normalize(List());
  Load({Policy(kClientEgressOnly81), Policy(kAllowClientPort80)});
  EXPECT_EQ(incremental, Normalize(List()));

  Step({});  // deleting the policies restores traffic and leaves only the base chains
  EXPECT_TRUE(Connects(*a_, "10.9.2.2", 81));
  EXPECT_THAT(List(), Not(HasSubstr("pol-")));
}

TEST_F(NetpolNetnsTest, EstablishedConnectionsSurviveANewDenyAndTheTableGoes) {
  Load({});
  int client = -1;
  ASSERT_TRUE(a_->Run([&] {
                   client = socket(AF_INET, SOCK_STREAM, 0);
                   sockaddr_in addr{.sin_family = AF_INET, .sin_port = htons(80), .sin_addr = {}, .sin_zero = {}};
                   inet_pton(AF_INET, "10.9.2.2", &addr.sin_addr);
                   ASSERT_EQ(connect(client, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)), 0);
                 })
                  .ok());
  Step({Policy(kDenyServer)});
  EXPECT_EQ(send(client, "x", 1, 0), 1);  // return traffic and established flows pass
  pollfd p{.fd = client, .events = POLLIN, .revents = 0};
  EXPECT_EQ(poll(&p, 1, 200), 0);  // no RST came back
  close(client);
  absl::Status deleted;
  ASSERT_TRUE(node_->Run([&] { deleted = DeleteNetpolTable(); }).ok());
  EXPECT_TRUE(deleted.ok()) << deleted;
  EXPECT_THAT(*nft_->Run("list tables"), Not(HasSubstr("skiff-netpol")));
  EXPECT_TRUE(Connects(*a_, "10.9.2.2", 80));
}

}  // namespace
}  // namespace skiff::agent::netpol
