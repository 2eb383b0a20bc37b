#include "agent/dns/upstreams.h"

#include <unistd.h>

#include <cstdio>
#include <fstream>

#include "gtest/gtest.h"

namespace skiff::agent::dns {
namespace {

TEST(ParseHostPort, AcceptsIpv4Ipv6AndDefaults) {
  EXPECT_EQ(*ParseHostPort("10.43.0.10:53", 1), (HostPort{"10.43.0.10", 53}));
  EXPECT_EQ(*ParseHostPort("127.0.0.1:0", 53), (HostPort{"127.0.0.1", 0}));
  EXPECT_EQ(*ParseHostPort("8.8.8.8", 53), (HostPort{"8.8.8.8", 53}));
  EXPECT_EQ(*ParseHostPort("[fd00::10]:5353", 53), (HostPort{"fd00::10", 5353}));
  EXPECT_EQ(*ParseHostPort("fd00::10", 53), (HostPort{"fd00::10", 53}));
  for (const char* bad : {"", "dns.google:53", "1.2.3.4:x", "1.2.3.4:70000", "[::1", "[::1]x", "1.2.3:53"}) {
    EXPECT_FALSE(ParseHostPort(bad, 53).ok()) << bad;
  }
}

TEST(ParseResolvConf, ReadsNameserversOnly) {
  auto got = ParseResolvConf(
      "# comment\nsearch default.svc.cluster.local\nnameserver 10.0.0.2\nnameserver\tfe80::1%eth0\n"
      "nameserver bogus\noptions ndots:5\n  nameserver 1.1.1.1  \n");
  EXPECT_EQ(got, (std::vector<HostPort>{{"10.0.0.2", 53}, {"fe80::1", 53}, {"1.1.1.1", 53}}));
}

TEST(ChooseUpstreams, PrefersConfiguredAndDropsOurOwnAddresses) {
  std::string path = ::testing::TempDir() + "/resolv.conf." + std::to_string(getpid());
  std::ofstream(path) << "nameserver 10.43.0.10\nnameserver 192.0.2.53\nnameserver 127.0.0.1\n";
  std::vector<HostPort> listen = {{"10.43.0.10", 53}};
  EXPECT_EQ(*ChooseUpstreams({}, path, listen),
            (std::vector<HostPort>{{"192.0.2.53", 53}, {"127.0.0.1", 53}}));
  EXPECT_EQ(*ChooseUpstreams({}, path, {{"0.0.0.0", 53}}),
            (std::vector<HostPort>{{"10.43.0.10", 53}, {"192.0.2.53", 53}}));
  EXPECT_EQ(*ChooseUpstreams({"9.9.9.9", "10.43.0.10:5353"}, path, listen),
            (std::vector<HostPort>{{"9.9.9.9", 53}, {"10.43.0.10", 5353}}));
  EXPECT_FALSE(ChooseUpstreams({"not-an-ip"}, path, listen).ok());
  EXPECT_TRUE(ChooseUpstreams({}, path + ".missing", listen)->empty());
  std::remove(path.c_str());
}

}  // namespace
}  // namespace skiff::agent::dns
