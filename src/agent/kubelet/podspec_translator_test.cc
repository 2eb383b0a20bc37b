#include "agent/kubelet/podspec_translator.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "api/object_meta.h"
#include "apiserver/service_account_tokens.h"
#include "base/json.h"
#include "base/testing/fake_clock.h"
#include "client/testing/test_api_server.h"

namespace skiff::agent::kubelet {
namespace {

namespace fs = std::filesystem;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

boost::json::value J(std::string_view text) { return base::ParseJson(text).value(); }

std::string Read(const fs::path& p) {
  std::ifstream in(p);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

const api::ResourceInfo& ConfigMaps() { return client::Resource("", "v1", "configmaps"); }
const api::ResourceInfo& Secrets() { return client::Resource("", "v1", "secrets"); }

class PodspecTranslatorTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/podspec-translator-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    root_ = tmpl;
    options_.pods_dir = (root_ / "pods").string();
    options_.host_ips = {"192.168.1.10"};
    options_.node.memory_capacity_bytes = 1LL << 30;
    options_.refresh_period = absl::ZeroDuration();  // tests call RefreshNow
  }
  void TearDown() override { fs::remove_all(root_); }

  void CreateConfigMap(const std::string& value) {
    auto cm = J(R"({"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"cfg"},"data":{}})");
    cm.as_object()["data"].as_object()["greeting"] = value;
    ASSERT_TRUE(server_.client()->Create(ConfigMaps(), "default", cm).ok());
  }

  client::testing::TestApiServer server_;
  fs::path root_;
  PodspecTranslatorOptions options_;
};

TEST_F(PodspecTranslatorTest, SandboxHasHostnameExceptForHostNetwork) {
  PodspecTranslator translator(server_.client(), options_);
  auto pod = J(R"({"metadata":{"name":"web-1","namespace":"default","uid":"u1"},
                  "spec":{"containers":[{"name":"c","image":"i"}]}})");
  auto config = translator.SandboxConfig(pod, 2);
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_EQ(config->hostname(), "web-1");
  EXPECT_EQ(config->metadata().attempt(), 2u);
  EXPECT_EQ(config->log_directory(), options_.pods_dir + "/u1/logs");
  EXPECT_THAT(config->dns_config().servers(), ElementsAre("10.43.0.10"));
  EXPECT_EQ(config->linux().cgroup_parent(), "/kubepods/besteffort/podu1");

  auto host = J(R"({"metadata":{"name":"h","namespace":"default","uid":"u2"},
                   "spec":{"hostNetwork":true,"containers":[{"name":"c","image":"i"}]}})");
  auto host_config = translator.SandboxConfig(host, 0);
  ASSERT_TRUE(host_config.ok()) << host_config.status();
  EXPECT_EQ(host_config->hostname(), "");  // runc refuses a hostname in the node's UTS namespace
  EXPECT_EQ(host_config->linux().security_context().namespace_options().network(), cri::v1::NODE);
}

TEST_F(PodspecTranslatorTest, EnvFromSecretAndConfigMapThroughTheClient) {
  CreateConfigMap("hello");
  auto secret = J(R"({"apiVersion":"v1","kind":"Secret","metadata":{"name":"sec"},
                     "data":{"password":"czNjcjN0"}})");  // "s3cr3t"
  ASSERT_TRUE(server_.client()->Create(Secrets(), "default", secret).ok());
  PodspecTranslator translator(server_.client(), options_);
  auto pod = J(R"({"metadata":{"name":"env","namespace":"default","uid":"u3"},
    "spec":{"containers":[{"name":"c","image":"busybox","command":["env"],
      "env":[{"name":"PASSWORD","valueFrom":{"secretKeyRef":{"name":"sec","key":"password"}}},
             {"name":"POD_IP","valueFrom":{"fieldRef":{"fieldPath":"status.podIP"}}}],
      "envFrom":[{"configMapRef":{"name":"cfg"},"prefix":"CM_"}]}]}})");
  const auto& container = pod.at("spec").at("containers").at(0);
  ASSERT_TRUE(translator.PreparePod(pod).ok());
  auto config = translator.ContainerConfig(pod, container, 1, {"10.42.0.7"});
  ASSERT_TRUE(config.ok()) << config.status();
  std::map<std::string, std::string> env;
  for (const auto& kv : config->envs()) env[kv.key()] = kv.value();
  EXPECT_EQ(env["CM_greeting"], "hello");
  EXPECT_EQ(env["PASSWORD"], "s3cr3t");
  EXPECT_EQ(env["POD_IP"], "10.42.0.7");
  EXPECT_EQ(config->metadata().attempt(), 1u);
  EXPECT_THAT(config->command(), ElementsAre("env"));

  auto missing = J(R"({"metadata":{"name":"m","namespace":"default","uid":"u4"},
    "spec":{"containers":[{"name":"c","image":"busybox",
      "env":[{"name":"X","valueFrom":{"configMapKeyRef":{"name":"absent","key":"k"}}}]}]}})");
  auto failed = translator.ContainerConfig(missing, missing.at("spec").at("containers").at(0), 0, {});
  EXPECT_TRUE(absl::IsNotFound(failed.status())) << failed.status();
  EXPECT_THAT(std::string(failed.status().message()), HasSubstr("configmap \"absent\" not found"));
}

TEST_F(PodspecTranslatorTest, ConfigMapVolumeFollowsUpdatesAndCleanupRemovesThePodDir) {
  CreateConfigMap("v1");
  PodspecTranslator translator(server_.client(), options_);
  auto pod = J(R"({"metadata":{"name":"vol","namespace":"default","uid":"u5"},
    "spec":{"volumes":[{"name":"cfg","configMap":{"name":"cfg"}},{"name":"scratch","emptyDir":{}}],
      "containers":[{"name":"c","image":"busybox",
        "volumeMounts":[{"name":"cfg","mountPath":"/etc/cfg"},{"name":"scratch","mountPath":"/tmp"}]}]}})");
  ASSERT_TRUE(translator.PreparePod(pod).ok());
  EXPECT_EQ(translator.TrackedPods(), 1u);
  auto config = translator.ContainerConfig(pod, pod.at("spec").at("containers").at(0), 0, {"10.42.0.8"});
  ASSERT_TRUE(config.ok()) << config.status();
  std::string cfg_dir;
  for (const auto& m : config->mounts()) {
    if (m.container_path() == "/etc/cfg") {
      cfg_dir = m.host_path();
      EXPECT_TRUE(m.readonly());
    }
  }
  ASSERT_FALSE(cfg_dir.empty());
  EXPECT_THAT(cfg_dir, HasSubstr(options_.pods_dir + "/u5/volumes/kubernetes.io~configmap/cfg"));
  EXPECT_EQ(Read(fs::path(cfg_dir) / "greeting"), "v1");

  EXPECT_EQ(translator.RefreshNow(), 0);  // nothing changed
  auto cm = server_.client()->Get(ConfigMaps(), "default", "cfg");
  ASSERT_TRUE(cm.ok());
  boost::json::value updated = **cm;
  updated.as_object()["data"].as_object()["greeting"] = "v2";
  ASSERT_TRUE(server_.client()->Update(ConfigMaps(), "default", updated).ok());
  EXPECT_EQ(translator.RefreshNow(), 1);
  EXPECT_EQ(Read(fs::path(cfg_dir) / "greeting"), "v2");

  translator.CleanupPod("u5");
  EXPECT_EQ(translator.TrackedPods(), 0u);
  EXPECT_FALSE(fs::exists(fs::path(options_.pods_dir) / "u5"));
  EXPECT_EQ(translator.RefreshNow(), 0);
}

TEST_F(PodspecTranslatorTest, RefreshThreadAppliesUpdatesOnItsOwn) {
  CreateConfigMap("a");
  options_.refresh_period = absl::Milliseconds(50);
  PodspecTranslator translator(server_.client(), options_);
  auto pod = J(R"({"metadata":{"name":"r","namespace":"default","uid":"u6"},
    "spec":{"volumes":[{"name":"cfg","configMap":{"name":"cfg"}}],
      "containers":[{"name":"c","image":"busybox","volumeMounts":[{"name":"cfg","mountPath":"/c"}]}]}})");
  ASSERT_TRUE(translator.PreparePod(pod).ok());
  fs::path file = fs::path(options_.pods_dir) / "u6/volumes/kubernetes.io~configmap/cfg/greeting";
  EXPECT_EQ(Read(file), "a");
  auto cm = server_.client()->Get(ConfigMaps(), "default", "cfg");
  ASSERT_TRUE(cm.ok());
  boost::json::value updated = **cm;
  updated.as_object()["data"].as_object()["greeting"] = "b";
  ASSERT_TRUE(server_.client()->Update(ConfigMaps(), "default", updated).ok());
  for (int i = 0; i < 100 && Read(file) != "b"; ++i) usleep(20 * 1000);
  EXPECT_EQ(Read(file), "b");
  translator.CleanupPod("u6");
}

TEST_F(PodspecTranslatorTest, MissingConfigMapVolumeFailsPrepare) {
  PodspecTranslator translator(server_.client(), options_);
  auto pod = J(R"({"metadata":{"name":"x","namespace":"default","uid":"u7"},
    "spec":{"volumes":[{"name":"cfg","configMap":{"name":"nope"}}],"containers":[{"name":"c","image":"i"}]}})");
  absl::Status s = translator.PreparePod(pod);
  EXPECT_TRUE(absl::IsNotFound(s)) << s;
  EXPECT_THAT(std::string(s.message()), HasSubstr("configmap \"nope\" not found"));
  translator.CleanupPod("u7");
}

// The kube-api-access volume ServiceAccount admission adds: a token (TokenRequest bound to the
// pod), refreshed by the refresh pass once 80% of its lifetime has passed, forgotten at cleanup.
TEST_F(PodspecTranslatorTest, ProjectedTokenIsRequestedRefreshedAndForgotten) {
  base::testing::FakeClock clock(absl::FromUnixSeconds(absl::ToUnixSeconds(absl::Now())));
  auto tokens = apiserver::ServiceAccountTokens::Create({.key_file = (root_ / "sa.key").string()},
                                                        server_.storage(), &clock);
  ASSERT_TRUE(tokens.ok()) << tokens.status();
  server_.client()->set_token_issuer(&(*tokens)->issuer());
  ASSERT_TRUE(server_.client()
                  ->Create(client::Resource("", "v1", "serviceaccounts"), "default",
                           J(R"({"apiVersion":"v1","kind":"ServiceAccount","metadata":{"name":"default"}})"))
                  .ok());
  auto created = server_.client()->Create(client::Resource("", "v1", "pods"), "default", J(R"({
    "apiVersion":"v1","kind":"Pod","metadata":{"name":"api"},
    "spec":{"serviceAccountName":"default",
      "volumes":[{"name":"kube-api-access-x","projected":{"defaultMode":420,"sources":[
        {"serviceAccountToken":{"expirationSeconds":3600,"path":"token"}},
        {"downwardAPI":{"items":[{"path":"namespace",
                                  "fieldRef":{"apiVersion":"v1","fieldPath":"metadata.namespace"}}]}}]}}],
      "containers":[{"name":"c","image":"i"}]}})"));
  ASSERT_TRUE(created.ok()) << created.status();
  const boost::json::value& pod = **created;
  const std::string uid = api::Uid(pod);
  options_.tokens.clock = &clock;
  options_.tokens.max_jitter = absl::ZeroDuration();
  PodspecTranslator translator(server_.client(), options_);
  ASSERT_TRUE(translator.PreparePod(pod).ok());
  fs::path dir = fs::path(options_.pods_dir) / uid / "volumes/kubernetes.io~projected/kube-api-access-x";
  EXPECT_TRUE(fs::is_symlink(dir / "..data"));  // written by the atomic writer
  EXPECT_EQ(Read(dir / "namespace"), "default");
  std::string first = Read(dir / "token");
  auto id = (*tokens)->verifier().Verify(first);
  ASSERT_TRUE(id.ok()) << id.status();
  EXPECT_EQ(id->pod_uid, uid);
  EXPECT_EQ(translator.tokens().Requests(), 1);

  EXPECT_EQ(translator.RefreshNow(), 0);  // cached: no request, no change
  EXPECT_EQ(translator.tokens().Requests(), 1);
  clock.Advance(absl::Seconds(2881));
  EXPECT_EQ(translator.RefreshNow(), 1);
  EXPECT_EQ(translator.tokens().Requests(), 2);
  std::string second = Read(dir / "token");
  EXPECT_NE(second, first);
  EXPECT_TRUE((*tokens)->verifier().Verify(second).ok());

  translator.CleanupPod(uid);
  EXPECT_EQ(translator.tokens().CachedTokens(), 0u);
  EXPECT_FALSE(fs::exists(dir));
}

TEST_F(PodspecTranslatorTest, ServiceVariablesFromTheInformerOnceSynced) {
  auto create = [&](const char* ns, const char* json) {
    auto made = server_.client()->Create(client::Resource("", "v1", "services"), ns, J(json));
    ASSERT_TRUE(made.ok()) << made.status();
  };
  create("default", R"({"apiVersion":"v1","kind":"Service","metadata":{"name":"kubernetes"},
      "spec":{"clusterIP":"10.43.0.1","ports":[{"name":"https","port":443,"targetPort":6443}]}})");
  create("default", R"({"apiVersion":"v1","kind":"Service","metadata":{"name":"web-front"},
      "spec":{"clusterIP":"10.43.0.20","ports":[{"port":80}]}})");
  client::Informer services(server_.client(), client::Resource("", "v1", "services"), {});
  PodspecTranslator translator(server_.client(), options_, &services);
  auto pod = J(R"j({"metadata":{"name":"env","namespace":"default","uid":"u8"},
    "spec":{"containers":[{"name":"c","image":"i",
                           "env":[{"name":"URL","value":"https://$(KUBERNETES_SERVICE_HOST)"}]}]}})j");
  const auto& container = pod.at("spec").at("containers").at(0);
  auto early = translator.ContainerConfig(pod, container, 0, {});
  EXPECT_TRUE(absl::IsUnavailable(early.status())) << early.status();
  services.Start();
  ASSERT_TRUE(services.WaitForSync(absl::Seconds(10)));
  auto env_of = [&](const boost::json::value& p) {
    std::map<std::string, std::string> env;
    auto config = translator.ContainerConfig(p, p.at("spec").at("containers").at(0), 0, {});
    EXPECT_TRUE(config.ok()) << config.status();
    if (config.ok()) {
      for (const auto& kv : config->envs()) env[kv.key()] = kv.value();
    }
    return env;
  };
  auto env = env_of(pod);
  EXPECT_EQ(env["KUBERNETES_SERVICE_HOST"], "10.43.0.1");
  EXPECT_EQ(env["KUBERNETES_SERVICE_PORT"], "443");
  EXPECT_EQ(env["KUBERNETES_SERVICE_PORT_HTTPS"], "443");
  EXPECT_EQ(env["KUBERNETES_PORT_443_TCP_ADDR"], "10.43.0.1");
  EXPECT_EQ(env["URL"], "https://10.43.0.1");
  EXPECT_EQ(env["WEB_FRONT_SERVICE_HOST"], "10.43.0.20");
  EXPECT_EQ(env["WEB_FRONT_PORT"], "tcp://10.43.0.20:80");

  pod.as_object()["spec"].as_object()["enableServiceLinks"] = false;
  pod.as_object()["metadata"].as_object()["uid"] = "u9";
  env = env_of(pod);
  EXPECT_EQ(env["KUBERNETES_SERVICE_HOST"], "10.43.0.1");
  EXPECT_FALSE(env.contains("WEB_FRONT_SERVICE_HOST"));
  services.Stop();
}

}  // namespace
}  // namespace skiff::agent::kubelet
