#include "agent/containerd/config.h"

#include <filesystem>

#include "base/file.h"
#include "base/process.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace skiff::agent::containerd {
namespace {

using ::testing::HasSubstr;

TEST(ContainerdPathsTest, EverythingLivesUnderTheAgentDir) {
  ContainerdPaths paths("/var/lib/skiff/agent/");
  EXPECT_EQ(paths.agent_dir, "/var/lib/skiff/agent");
  EXPECT_EQ(paths.config, "/var/lib/skiff/agent/containerd/config.toml");
  EXPECT_EQ(paths.socket, "/var/lib/skiff/agent/containerd/containerd.sock");
  EXPECT_EQ(paths.endpoint(), "unix:///var/lib/skiff/agent/containerd/containerd.sock");
  EXPECT_EQ(paths.cni_conf_dir, "/var/lib/skiff/agent/cni/net.d");
  EXPECT_EQ(ContainerdPaths("/a/./b/../c").agent_dir, "/a/c");
}

TEST(RenderContainerdConfigTest, PointsEveryPathIntoTheDataDir) {
  ContainerdPaths paths("/d");
  std::string toml = RenderContainerdConfig(paths, {});
  EXPECT_THAT(toml, HasSubstr("version = 2\n"));
  EXPECT_THAT(toml, HasSubstr("root = \"/d/containerd/root\"\n"));
  EXPECT_THAT(toml, HasSubstr("state = \"/d/containerd/state\"\n"));
  EXPECT_THAT(toml, HasSubstr("address = \"/d/containerd/containerd.sock\""));
  EXPECT_THAT(toml, HasSubstr("sandbox_image = \"skiff.local/pause:3.10\""));
  EXPECT_THAT(toml, HasSubstr("bin_dir = \"/usr/lib/cni\""));
  EXPECT_THAT(toml, HasSubstr("conf_dir = \"/d/cni/net.d\""));
  EXPECT_THAT(toml, HasSubstr("snapshotter = \"overlayfs\""));
  EXPECT_THAT(toml, HasSubstr("SystemdCgroup = false"));
  EXPECT_THAT(toml, HasSubstr("Root = \"/d/containerd/runc\""));
  EXPECT_THAT(toml, HasSubstr("stream_server_port = \"0\""));
  EXPECT_THAT(toml, HasSubstr("netns_mounts_under_state_dir = true"));
  EXPECT_THAT(toml, HasSubstr("config_path = \"/d/containerd/certs.d\""));

  EXPECT_THAT(toml, HasSubstr("oom_score = -999\n"));
  EXPECT_THAT(toml, HasSubstr("restrict_oom_score_adj = false"));

  ContainerdConfigOptions options;
  options.can_lower_oom_score = false;
  options.sandbox_image = "reg/pause:\"x\"";
  options.cni_conf_dir = "/etc/cni/net.d";
  toml = RenderContainerdConfig(paths, options);
  EXPECT_THAT(toml, HasSubstr("sandbox_image = \"reg/pause:\\\"x\\\"\""));
  EXPECT_THAT(toml, HasSubstr("conf_dir = \"/etc/cni/net.d\""));
  EXPECT_THAT(toml, HasSubstr("oom_score = 0\n"));
  EXPECT_THAT(toml, HasSubstr("restrict_oom_score_adj = true"));
}

TEST(WriteContainerdConfigTest, WritesConfigAndRegistryHosts) {
  std::string dir = ::testing::TempDir() + "/skiff-config-test";
  std::filesystem::remove_all(dir);
  ContainerdPaths paths(dir);
  ASSERT_TRUE(WriteContainerdConfig(paths, {}).ok());
  EXPECT_THAT(base::ReadFile(paths.config).value_or(""), HasSubstr("version = 2"));
  EXPECT_TRUE(std::filesystem::is_directory(paths.root));
  EXPECT_TRUE(std::filesystem::is_directory(paths.cni_conf_dir));

  ASSERT_TRUE(WriteRegistryHost(paths, "127.0.0.1:5000", "http://127.0.0.1:5000", true).ok());
  std::string hosts = base::ReadFile(paths.certs_dir + "/127.0.0.1:5000/hosts.toml").value_or("");
  EXPECT_THAT(hosts, HasSubstr("server = \"http://127.0.0.1:5000\""));
  EXPECT_THAT(hosts, HasSubstr("[host.\"http://127.0.0.1:5000\"]"));
  EXPECT_THAT(hosts, HasSubstr("skip_verify = true"));
  EXPECT_EQ(WriteRegistryHost(paths, "../evil", "http://x", false).code(),
            absl::StatusCode::kInvalidArgument);
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace skiff::agent::containerd
