#include "agent/node/cni_config.h"

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "base/json.h"
#include "boost/json.hpp"
#include "gtest/gtest.h"

namespace skiff::agent::node {
namespace {

std::string Read(const std::string& path) {
  std::ifstream in(path);
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

TEST(CidrGateway, FirstAddressOfTheNetwork) {
  EXPECT_EQ(*CidrGateway("10.42.0.0/24"), "10.42.0.1");
  EXPECT_EQ(*CidrGateway("10.42.3.77/24"), "10.42.3.1");
  EXPECT_EQ(*CidrGateway("10.0.0.0/8"), "10.0.0.1");
  EXPECT_FALSE(CidrGateway("10.42.0.0").ok());
  EXPECT_FALSE(CidrGateway("10.42.0.0/31").ok());
  EXPECT_FALSE(CidrGateway("fd00::/64").ok());
  EXPECT_FALSE(CidrGateway("10.42.0.0/x").ok());
}

TEST(CniConflist, BridgeHostLocalPortmap) {
  auto conf = CniConflist({.pod_cidr = "10.42.1.0/24", .ipam_data_dir = "/var/lib/skiff/agent/cni/ipam"});
  ASSERT_TRUE(conf.ok()) << conf.status();
  EXPECT_EQ(base::ToJson(*conf),
            R"({"cniVersion":"1.0.0","name":"skiff","plugins":[)"
            R"({"type":"bridge","bridge":"skiff0","isGateway":true,"ipMasq":true,"hairpinMode":true,)"
            R"("ipam":{"type":"host-local","ranges":[[{"subnet":"10.42.1.0/24","gateway":"10.42.1.1"}]],)"
            R"("routes":[{"dst":"0.0.0.0/0"}],"dataDir":"/var/lib/skiff/agent/cni/ipam"}},)"
            R"({"type":"portmap","capabilities":{"portMappings":true}}]})");
  EXPECT_FALSE(CniConflist({.pod_cidr = "bogus", .ipam_data_dir = ""}).ok());
}

TEST(CniConflist, WithoutMasqueradeAndWithMtu) {
  auto conf = CniConflist({.pod_cidr = "10.42.1.0/24", .ipam_data_dir = "", .ip_masq = false, .mtu = 1350});
  ASSERT_TRUE(conf.ok()) << conf.status();
  const boost::json::value& bridge = conf->at("plugins").at(0);
  EXPECT_EQ(bridge.at("ipMasq"), false);
  EXPECT_EQ(bridge.at("mtu"), 1350);
}

class CniFiles : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = (std::filesystem::temp_directory_path() /
            ("skiff-cni-test-" + std::to_string(getpid()) + "-" +
             ::testing::UnitTest::GetInstance()->current_test_info()->name()))
               .string();
    std::filesystem::remove_all(dir_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  std::string dir_;
};

TEST_F(CniFiles, WritesOnceAndRewritesOnChange) {
  std::string conf_dir = dir_ + "/cni/net.d";
  auto written = WriteCniConflist(conf_dir, {.pod_cidr = "10.42.0.0/24", .ipam_data_dir = dir_ + "/ipam"});
  ASSERT_TRUE(written.ok()) << written.status();
  EXPECT_TRUE(*written);
  std::string path = conf_dir + "/10-skiff.conflist";
  auto parsed = base::ParseJson(Read(path));
  ASSERT_TRUE(parsed.ok());
  EXPECT_EQ(base::GetString(*parsed, {"name"}), "skiff");
  EXPECT_FALSE(*WriteCniConflist(conf_dir, {.pod_cidr = "10.42.0.0/24", .ipam_data_dir = dir_ + "/ipam"}));
  EXPECT_TRUE(*WriteCniConflist(conf_dir, {.pod_cidr = "10.42.5.0/24", .ipam_data_dir = dir_ + "/ipam"}));
  EXPECT_NE(Read(path).find("10.42.5.1"), std::string::npos);
  // Only the conflist is left behind (no temporary files).
  int files = 0;
  for ([[maybe_unused]] const auto& e : std::filesystem::directory_iterator(conf_dir)) ++files;
  EXPECT_EQ(files, 1);
}

TEST_F(CniFiles, WriteFailsWhenTheFolderCannotBeCreated) {
  std::filesystem::create_directories(dir_);
  std::ofstream(dir_ + "/file") << "x";
  EXPECT_FALSE(WriteCniConflist(dir_ + "/file/sub", CniOptions{.pod_cidr = "10.42.0.0/24"}).ok());
}

TEST_F(CniFiles, EnableIpForwardingWritesOneUnderAFakeProc) {
  std::filesystem::create_directories(dir_ + "/proc/sys/net/ipv4");
  std::ofstream(dir_ + "/proc/sys/net/ipv4/ip_forward") << "0\n";
  ASSERT_TRUE(EnableIpForwarding(dir_).ok());
  EXPECT_EQ(Read(dir_ + "/proc/sys/net/ipv4/ip_forward").substr(0, 1), "1");
  EXPECT_TRUE(EnableIpForwarding(dir_).ok());  // already on: nothing to do
  EXPECT_FALSE(EnableIpForwarding(dir_ + "/missing").ok());
}

TEST_F(CniFiles, EnableBridgeNetfilterTellsAMissingModule) {
  EXPECT_TRUE(absl::IsNotFound(EnableBridgeNetfilter(dir_)));  // br_netfilter not loaded
  std::filesystem::create_directories(dir_ + "/proc/sys/net/bridge");
  std::ofstream(dir_ + "/proc/sys/net/bridge/bridge-nf-call-iptables") << "0\n";
  ASSERT_TRUE(EnableBridgeNetfilter(dir_).ok());
  EXPECT_EQ(Read(dir_ + "/proc/sys/net/bridge/bridge-nf-call-iptables").substr(0, 1), "1");
}

}  // namespace
}  // namespace skiff::agent::node
