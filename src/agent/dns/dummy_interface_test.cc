#include "agent/dns/dummy_interface.h"

#include <sched.h>
#include <unistd.h>

#include <thread>

#include "absl/strings/match.h"
#include "agent/dns/cluster_dns.h"
#include "agent/dns/records.h"
#include "agent/dns/test_util.h"
#include "base/process.h"
#include "base/testing/host.h"
#include "client/testing/test_api_server.h"
#include "gtest/gtest.h"

namespace skiff::agent::dns {
namespace {

std::string IpOutput(std::vector<std::string> args) {
  args.insert(args.begin(), "ip");
  auto r = base::RunCommand(args, absl::Seconds(10));
  return r.ok() ? r->output : "";
}

// Runs `body` on a thread of its own inside a fresh network namespace (unshare affects only the
// calling thread; children it spawns, like `ip`, inherit it). The namespace dies with the thread.
void InNetworkNamespace(const std::function<void()>& body) {
  std::thread t([&] {
    if (unshare(CLONE_NEWNET) != 0) {
      ADD_FAILURE() << "unshare(CLONE_NEWNET) failed";
      return;
    }
    body();
  });
  t.join();
}

TEST(DummyInterface, CreatesIdempotentlyAndServesDnsOnTheAddress) {
  ASSERT_EQ(base::testing::MissingRoot("creating network namespaces"), "");
  InNetworkNamespace([] {
    ASSERT_EQ(IpOutput({"link", "set", "lo", "up"}), "");  // local delivery needs lo, as on any host
    absl::Status created = EnsureDummyAddress("skiff-dns0", "10.43.0.10");
    ASSERT_TRUE(created.ok()) << created;
    ASSERT_TRUE(EnsureDummyAddress("skiff-dns0", "10.43.0.10").ok());  // idempotent
    absl::Status v6 = EnsureDummyAddress("skiff-dns0", "fd00:43::a");
    ASSERT_TRUE(v6.ok()) << v6;
    std::string addrs = IpOutput({"-o", "addr", "show", "dev", "skiff-dns0"});
    EXPECT_TRUE(absl::StrContains(addrs, "inet 10.43.0.10/32")) << addrs;
    EXPECT_TRUE(absl::StrContains(addrs, "fd00:43::a/128")) << addrs;
    EXPECT_EQ(addrs.find("10.43.0.10"), addrs.rfind("10.43.0.10")) << addrs;  // added once
    std::string link = IpOutput({"-o", "link", "show", "dev", "skiff-dns0"});
    EXPECT_TRUE(absl::StrContains(link, ",UP")) << link;

    // The DNS server answers on the cluster DNS IP inside this namespace.
    client::testing::TestApiServer server;
    client::SharedInformers informers(server.client());
    ClusterDnsOptions options;
    options.listen = {"10.43.0.10:0"};
    options.upstreams = {"10.43.0.99"};
    ClusterDns dns(&informers, options);
    ASSERT_TRUE(dns.Start().ok());
    ASSERT_TRUE(dns.WaitForSync(absl::Seconds(10)));
    int fd = socket(AF_INET, SOCK_DGRAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(static_cast<uint16_t>(dns.udp_ports()[0]));
    inet_pton(AF_INET, "10.43.0.10", &addr.sin_addr);
    std::string q = testing::MakeQuery("dns-version.cluster.local.", kTypeTxt);
    sendto(fd, q.data(), q.size(), 0, reinterpret_cast<sockaddr*>(&addr), sizeof(addr));
    pollfd p{fd, POLLIN, 0};
    ASSERT_EQ(poll(&p, 1, 3000), 1);
    char buf[512];
    ssize_t n = recv(fd, buf, sizeof(buf), 0);
    close(fd);
    auto reply = testing::ParseReply(std::string(buf, n > 0 ? static_cast<size_t>(n) : 0));
    EXPECT_EQ(reply.answer, std::vector<std::string>{"dns-version.cluster.local. TXT \"1.1.0\""});
    dns.Stop();

    EXPECT_TRUE(RemoveDummyInterface("skiff-dns0").ok());
    EXPECT_TRUE(RemoveDummyInterface("skiff-dns0").ok());  // already gone
    EXPECT_EQ(IpOutput({"-o", "link", "show", "dev", "skiff-dns0"}).find("skiff-dns0:"), std::string::npos);
  });
}

TEST(DummyInterface, RejectsBadArguments) {
  EXPECT_EQ(EnsureDummyAddress("", "10.0.0.1").code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(EnsureDummyAddress("this-name-is-too-long", "10.0.0.1").code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(EnsureDummyAddress("skiff-dns0", "10.0.0.300").code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(EnsureDummyAddress("bad name", "10.0.0.1").code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(RemoveDummyInterface("a/b").code(), absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace skiff::agent::dns
