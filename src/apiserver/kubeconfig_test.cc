#include "apiserver/kubeconfig.h"

#include <stdlib.h>
#include <sys/stat.h>
#include <yaml-cpp/yaml.h>

#include <filesystem>
#include <string>
#include <vector>

#include "absl/strings/escaping.h"
#include "base/file.h"
#include "base/testing/fake_clock.h"
#include "gtest/gtest.h"
#include "http/pki.h"

namespace skiff::apiserver {
namespace {

using base::testing::FakeClock;
using http::PkiOptions;
using http::PkiPaths;
using http::PkiPathsFor;

mode_t ModeOf(const std::string& path) {
  struct stat st {};
  EXPECT_EQ(stat(path.c_str(), &st), 0) << path;
  return st.st_mode & 0777;
}

class KubeconfigTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/skiff_kubeconfig_test_XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    root_ = tmpl;
    dir_ = root_ + "/data";
    options_.host_name = "TestHost";
    options_.host_addresses = std::vector<std::string>{"10.1.2.3"};
    options_.clock = &clock_;
  }
  void TearDown() override { std::filesystem::remove_all(root_); }

  PkiPaths Ensure() {
    absl::StatusOr<PkiPaths> paths = http::EnsurePki(dir_, options_);
    EXPECT_TRUE(paths.ok()) << paths.status();
    return paths.value_or(PkiPaths{});
  }

  std::string root_;
  std::string dir_;
  FakeClock clock_{absl::Now()};
  PkiOptions options_;
};

TEST_F(KubeconfigTest, KubeconfigHasClusterUserContext) {
  PkiPaths p = Ensure();
  ASSERT_TRUE(WriteKubeconfig(p.admin_kubeconfig, "https://127.0.0.1:6443", p).ok());
  EXPECT_EQ(ModeOf(p.admin_kubeconfig), 0600u);
  YAML::Node kc = YAML::LoadFile(p.admin_kubeconfig);
  EXPECT_EQ(kc["apiVersion"].as<std::string>(), "v1");
  EXPECT_EQ(kc["kind"].as<std::string>(), "Config");
  EXPECT_EQ(kc["current-context"].as<std::string>(), "skiff");
  ASSERT_EQ(kc["clusters"].size(), 1u);
  EXPECT_EQ(kc["clusters"][0]["name"].as<std::string>(), "skiff");
  EXPECT_EQ(kc["clusters"][0]["cluster"]["server"].as<std::string>(), "https://127.0.0.1:6443");
  std::string decoded;
  ASSERT_TRUE(absl::Base64Unescape(
      kc["clusters"][0]["cluster"]["certificate-authority-data"].as<std::string>(), &decoded));
  EXPECT_EQ(decoded, base::ReadFile(p.ca_cert).value());
  ASSERT_EQ(kc["users"].size(), 1u);
  EXPECT_EQ(kc["users"][0]["name"].as<std::string>(), "admin");
  ASSERT_TRUE(
      absl::Base64Unescape(kc["users"][0]["user"]["client-certificate-data"].as<std::string>(), &decoded));
  EXPECT_EQ(decoded, base::ReadFile(p.admin_cert).value());
  ASSERT_TRUE(absl::Base64Unescape(kc["users"][0]["user"]["client-key-data"].as<std::string>(), &decoded));
  EXPECT_EQ(decoded, base::ReadFile(p.admin_key).value());
  ASSERT_EQ(kc["contexts"].size(), 1u);
  EXPECT_EQ(kc["contexts"][0]["name"].as<std::string>(), "skiff");
  EXPECT_EQ(kc["contexts"][0]["context"]["cluster"].as<std::string>(), "skiff");
  EXPECT_EQ(kc["contexts"][0]["context"]["user"].as<std::string>(), "admin");
  EXPECT_EQ(kc["contexts"][0]["context"]["namespace"].as<std::string>(), "default");
}

TEST_F(KubeconfigTest, KubeconfigRejectsBadInputs) {
  KubeconfigSpec spec;
  spec.server_url = "127.0.0.1:6443";
  spec.token = "t";
  EXPECT_EQ(RenderKubeconfig(spec).status().code(), absl::StatusCode::kInvalidArgument);
  spec.server_url = "https://h:1";
  spec.token.clear();
  EXPECT_EQ(RenderKubeconfig(spec).status().code(), absl::StatusCode::kInvalidArgument);
  spec.token = "abc";
  absl::StatusOr<std::string> yaml = RenderKubeconfig(spec);
  ASSERT_TRUE(yaml.ok()) << yaml.status();
  YAML::Node kc = YAML::Load(*yaml);
  EXPECT_EQ(kc["users"][0]["user"]["token"].as<std::string>(), "abc");
  EXPECT_FALSE(kc["users"][0]["user"]["client-certificate-data"]);
  PkiPaths missing = PkiPathsFor(dir_ + "/nowhere");
  EXPECT_EQ(WriteKubeconfig(missing.admin_kubeconfig, "https://h:1", missing).code(),
            absl::StatusCode::kNotFound);
}

TEST_F(KubeconfigTest, EnsureServerCredentialsSetsUpDataDir) {
  absl::StatusOr<ServerCredentials> creds = EnsureServerCredentials(dir_, "https://10.1.2.3:6443", options_);
  ASSERT_TRUE(creds.ok()) << creds.status();
  EXPECT_EQ(ModeOf(creds->paths.admin_token), 0600u);
  EXPECT_EQ(ModeOf(creds->paths.node_token), 0600u);
  EXPECT_EQ(ModeOf(creds->paths.admin_kubeconfig), 0600u);
  EXPECT_NE(creds->admin_token, creds->node_token);
  absl::StatusOr<ServerCredentials> again = EnsureServerCredentials(dir_, "https://10.1.2.3:7443", options_);
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_EQ(again->admin_token, creds->admin_token);
  EXPECT_EQ(again->node_token, creds->node_token);
  EXPECT_EQ(
      YAML::LoadFile(again->paths.admin_kubeconfig)["clusters"][0]["cluster"]["server"].as<std::string>(),
      "https://10.1.2.3:7443");
}

}  // namespace
}  // namespace skiff::apiserver
