#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "agent/podspec/container_config.h"
#include "agent/podspec/sandbox_config.h"
#include "base/json.h"

namespace skiff::agent::podspec {
namespace {

namespace fs = std::filesystem;
namespace v1 = ::runtime::v1;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

boost::json::value J(std::string_view text) { return base::ParseJson(text).value(); }

std::string Read(const fs::path& p) {
  std::ifstream in(p);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

boost::json::value FullPod() {
  return J(R"j({
    "metadata":{"name":"web-1","namespace":"shop","uid":"uid-9","labels":{"app":"web"},
                "annotations":{"team":"blue"}},
    "spec":{
      "nodeName":"node-a","hostname":"web","subdomain":"frontend","terminationGracePeriodSeconds":45,
      "securityContext":{"runAsUser":1000,"runAsGroup":3000,"fsGroup":2000,"supplementalGroups":[4000],
                         "sysctls":[{"name":"net.core.somaxconn","value":"1024"}],
                         "seccompProfile":{"type":"RuntimeDefault"}},
      "hostAliases":[{"ip":"10.0.0.5","hostnames":["db","db.local"]}],
      "containers":[{
        "name":"app","image":"skiff.local/busybox:1.35",
        "command":["sh","-c","echo $(GREETING) $$(HOME) $(MISSING)"],"args":["$(GREETING)"],
        "workingDir":"/srv","stdin":true,"tty":true,
        "env":[{"name":"GREETING","value":"hello"},{"name":"DIR","value":"logs"}],
        "ports":[{"containerPort":80,"hostPort":8080,"protocol":"TCP"},{"containerPort":53,"protocol":"UDP"}],
        "resources":{"requests":{"cpu":"100m","memory":"64Mi"},"limits":{"cpu":"500m","memory":"128Mi"}},
        "securityContext":{"runAsUser":1001,"readOnlyRootFilesystem":true,"allowPrivilegeEscalation":false,
                           "capabilities":{"add":["NET_ADMIN"],"drop":["ALL"]}},
        "volumeMounts":[{"name":"data","mountPath":"/data"},
                        {"name":"data","mountPath":"/logs","subPathExpr":"$(DIR)","mountPropagation":"HostToContainer"},
                        {"name":"cfg","mountPath":"/etc/app","readOnly":false}],
        "terminationMessagePath":"/dev/termination-log","terminationMessagePolicy":"FallbackToLogsOnError",
        "lifecycle":{"preStop":{"exec":{"command":["sleep","1"]}}}}]}})j");
}

class ConfigTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/podspec-cfg-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    root_ = tmpl;
    fs::create_directories(root_ / "vol/data");
    fs::create_directories(root_ / "vol/cfg");
    volumes_["data"] = {(root_ / "vol/data").string(), "kubernetes.io~empty-dir", false};
    volumes_["cfg"] = {(root_ / "vol/cfg").string(), "kubernetes.io~configmap", true};
    options_.pods_dir = (root_ / "pods").string();
    options_.attempt = 2;
    options_.ctx.pod_ips = {"10.42.0.9"};
    options_.ctx.host_ips = {"192.168.1.10"};
    options_.ctx.node.memory_capacity_bytes = 1024LL << 20;  // 1Gi
  }
  void TearDown() override { fs::remove_all(root_); }

  fs::path root_;
  VolumeMap volumes_;
  ContainerOptions options_;
  MapObjectSource objects_;
};

TEST_F(ConfigTest, SandboxConfig) {
  SandboxOptions options;
  options.pods_dir = "/var/lib/skiff/agent/pods";
  options.dns.host = ParseResolvConf("nameserver 1.1.1.1\nsearch home.example\n");
  options.attempt = 1;
  auto config = BuildSandboxConfig(FullPod(), options);
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_EQ(config->metadata().name(), "web-1");
  EXPECT_EQ(config->metadata().namespace_(), "shop");
  EXPECT_EQ(config->metadata().uid(), "uid-9");
  EXPECT_EQ(config->metadata().attempt(), 1u);
  EXPECT_EQ(config->hostname(), "web");
  EXPECT_EQ(config->log_directory(), "/var/lib/skiff/agent/pods/uid-9/logs");
  EXPECT_THAT(config->dns_config().servers(), ElementsAre("10.43.0.10"));
  EXPECT_THAT(config->dns_config().searches(),
              ElementsAre("shop.svc.cluster.local", "svc.cluster.local", "cluster.local", "home.example"));
  EXPECT_THAT(config->dns_config().options(), ElementsAre("ndots:5"));
  ASSERT_EQ(config->port_mappings_size(), 2);
  EXPECT_EQ(config->port_mappings(0).container_port(), 80);
  EXPECT_EQ(config->port_mappings(0).host_port(), 8080);
  EXPECT_EQ(config->port_mappings(0).protocol(), v1::TCP);
  EXPECT_EQ(config->port_mappings(1).protocol(), v1::UDP);
  EXPECT_EQ(config->port_mappings(1).host_port(), 0);
  EXPECT_EQ(config->labels().at("app"), "web");
  EXPECT_EQ(config->labels().at("io.kubernetes.pod.name"), "web-1");
  EXPECT_EQ(config->labels().at("io.kubernetes.pod.namespace"), "shop");
  EXPECT_EQ(config->labels().at("io.kubernetes.pod.uid"), "uid-9");
  EXPECT_EQ(config->annotations().at("team"), "blue");

  const v1::LinuxPodSandboxConfig& linux = config->linux();
  EXPECT_EQ(linux.cgroup_parent(), "/kubepods/burstable/poduid-9");
  EXPECT_EQ(linux.sysctls().at("net.core.somaxconn"), "1024");
  EXPECT_EQ(linux.security_context().run_as_user().value(), 1000);
  EXPECT_EQ(linux.security_context().run_as_group().value(), 3000);
  EXPECT_THAT(linux.security_context().supplemental_groups(), ElementsAre(2000, 4000));
  EXPECT_FALSE(linux.security_context().privileged());
  EXPECT_EQ(linux.security_context().seccomp().profile_type(), v1::SecurityProfile::RuntimeDefault);
  EXPECT_EQ(linux.security_context().namespace_options().network(), v1::POD);
  EXPECT_EQ(linux.security_context().namespace_options().pid(), v1::CONTAINER);
  EXPECT_EQ(linux.security_context().namespace_options().ipc(), v1::POD);
  EXPECT_EQ(linux.resources().cpu_shares(), 102);
  EXPECT_EQ(linux.resources().cpu_quota(), 50000);
  EXPECT_EQ(linux.resources().memory_limit_in_bytes(), 128 << 20);
  EXPECT_FALSE(linux.has_overhead());
}

TEST_F(ConfigTest, SandboxHostNamespaces) {
  auto pod = J(R"j({"metadata":{"name":"h","namespace":"kube-system","uid":"u"},
                   "spec":{"hostNetwork":true,"hostPID":true,"hostIPC":true,"dnsPolicy":"ClusterFirstWithHostNet",
                           "containers":[{"name":"c","securityContext":{"privileged":true},
                                          "resources":{"limits":{"cpu":"1","memory":"1Gi"},
                                                       "requests":{"cpu":"1","memory":"1Gi"}}}]}})j");
  auto config = BuildSandboxConfig(pod, SandboxOptions{});
  ASSERT_TRUE(config.ok());
  EXPECT_EQ(config->hostname(), "");  // the node's hostname
  const auto& sc = config->linux().security_context();
  EXPECT_TRUE(sc.privileged());
  EXPECT_EQ(sc.namespace_options().network(), v1::NODE);
  EXPECT_EQ(sc.namespace_options().pid(), v1::NODE);
  EXPECT_EQ(sc.namespace_options().ipc(), v1::NODE);
  EXPECT_EQ(config->linux().cgroup_parent(), "/kubepods/podu");
  EXPECT_THAT(config->dns_config().servers(), ElementsAre("10.43.0.10"));

  auto shared = J(
      R"j({"metadata":{"name":"s","namespace":"d","uid":"u"},"spec":{"shareProcessNamespace":true,"containers":[]}})j");
  EXPECT_EQ(PodNamespaceOptions(shared).pid(), v1::POD);
}

TEST_F(ConfigTest, ContainerConfig) {
  auto pod = FullPod();
  const auto& container = pod.at("spec").at("containers").at(0);
  auto result = BuildContainerConfig(pod, container, volumes_, objects_, options_);
  ASSERT_TRUE(result.ok()) << result.status();
  const v1::ContainerConfig& c = result->config;
  EXPECT_EQ(c.metadata().name(), "app");
  EXPECT_EQ(c.metadata().attempt(), 2u);
  EXPECT_EQ(c.image().image(), "skiff.local/busybox:1.35");
  EXPECT_THAT(c.command(), ElementsAre("sh", "-c", "echo hello $(HOME) $(MISSING)"));
  EXPECT_THAT(c.args(), ElementsAre("hello"));
  EXPECT_EQ(c.working_dir(), "/srv");
  ASSERT_EQ(c.envs_size(), 2);
  EXPECT_EQ(c.envs(0).key(), "GREETING");
  EXPECT_EQ(c.envs(0).value(), "hello");
  EXPECT_TRUE(c.stdin());
  EXPECT_FALSE(c.stdin_once());
  EXPECT_TRUE(c.tty());
  EXPECT_EQ(c.log_path(), "app/2.log");

  ASSERT_EQ(c.mounts_size(), 5);
  EXPECT_EQ(c.mounts(0).container_path(), "/data");
  EXPECT_EQ(c.mounts(0).host_path(), (root_ / "vol/data").string());
  EXPECT_FALSE(c.mounts(0).readonly());
  EXPECT_EQ(c.mounts(1).container_path(), "/logs");
  EXPECT_EQ(c.mounts(1).host_path(), (root_ / "vol/data/logs").string());
  EXPECT_TRUE(fs::is_directory(root_ / "vol/data/logs"));
  EXPECT_EQ(c.mounts(1).propagation(), v1::PROPAGATION_HOST_TO_CONTAINER);
  EXPECT_EQ(c.mounts(2).container_path(), "/etc/app");
  EXPECT_TRUE(c.mounts(2).readonly());  // configMap volumes are always read-only
  EXPECT_EQ(c.mounts(3).container_path(), "/etc/hosts");
  EXPECT_EQ(c.mounts(3).host_path(), (root_ / "pods/uid-9/etc-hosts").string());
  EXPECT_EQ(
      Read(c.mounts(3).host_path()),
      "# Kubernetes-managed hosts file.\n127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n"
      "fe00::0\tip6-localnet\nfe00::0\tip6-mcastprefix\nfe00::1\tip6-allnodes\nfe00::2\tip6-allrouters\n"
      "10.42.0.9\tweb.frontend.shop.svc.cluster.local\tweb\n"
      "\n# Entries added by HostAliases.\n10.0.0.5\tdb\tdb.local\n");
  EXPECT_EQ(c.mounts(4).container_path(), "/dev/termination-log");
  EXPECT_EQ(c.mounts(4).host_path(), (root_ / "pods/uid-9/containers/app/2").string());
  EXPECT_EQ(result->termination_message_host_path, c.mounts(4).host_path());
  struct stat st;
  ASSERT_EQ(stat(c.mounts(4).host_path().c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0666u);

  EXPECT_EQ(c.labels().at("io.kubernetes.container.name"), "app");
  EXPECT_EQ(c.labels().at("io.kubernetes.pod.name"), "web-1");
  EXPECT_EQ(c.labels().at("io.kubernetes.pod.namespace"), "shop");
  EXPECT_EQ(c.labels().at("io.kubernetes.pod.uid"), "uid-9");
  EXPECT_EQ(c.annotations().at("io.kubernetes.container.restartCount"), "2");
  EXPECT_EQ(c.annotations().at("io.kubernetes.container.hash"), ContainerHash(container));
  EXPECT_EQ(c.annotations().at("io.kubernetes.container.terminationMessagePath"), "/dev/termination-log");
  EXPECT_EQ(c.annotations().at("io.kubernetes.container.terminationMessagePolicy"), "FallbackToLogsOnError");
  EXPECT_EQ(c.annotations().at("io.kubernetes.pod.terminationGracePeriod"), "45");
  EXPECT_THAT(c.annotations().at("io.kubernetes.container.ports"), HasSubstr("8080"));
  EXPECT_THAT(c.annotations().at("io.kubernetes.container.preStopHandler"), HasSubstr("sleep"));

  const auto& res = c.linux().resources();
  EXPECT_EQ(res.cpu_shares(), 102);
  EXPECT_EQ(res.cpu_quota(), 50000);
  EXPECT_EQ(res.cpu_period(), 100000);
  EXPECT_EQ(res.memory_limit_in_bytes(), 128 << 20);
  EXPECT_EQ(res.oom_score_adj(), 938);  // 1000 - 1000*64Mi/1Gi = 937.5 -> 938 (integer division)

  const auto& sc = c.linux().security_context();
  EXPECT_EQ(sc.run_as_user().value(), 1001);   // container wins
  EXPECT_EQ(sc.run_as_group().value(), 3000);  // pod fills in
  EXPECT_TRUE(sc.readonly_rootfs());
  EXPECT_TRUE(sc.no_new_privs());
  EXPECT_FALSE(sc.privileged());
  EXPECT_THAT(sc.capabilities().add_capabilities(), ElementsAre("NET_ADMIN"));
  EXPECT_THAT(sc.capabilities().drop_capabilities(), ElementsAre("ALL"));
  EXPECT_THAT(sc.supplemental_groups(), ElementsAre(2000, 4000));
  EXPECT_EQ(sc.seccomp().profile_type(), v1::SecurityProfile::RuntimeDefault);
  EXPECT_EQ(sc.namespace_options().pid(), v1::CONTAINER);
}

TEST_F(ConfigTest, ContainerHashChangesWithSpec) {
  auto a = J(R"j({"name":"c","image":"x:1"})j");
  auto b = J(R"j({"name":"c","image":"x:2"})j");
  EXPECT_EQ(ContainerHash(a), ContainerHash(J(R"j({"name":"c","image":"x:1"})j")));
  EXPECT_NE(ContainerHash(a), ContainerHash(b));
}

TEST_F(ConfigTest, ContainerConfigErrors) {
  auto pod = J(R"j({"metadata":{"name":"p","namespace":"ns","uid":"u"},"spec":{"containers":[]}})j");
  auto unknown_volume =
      BuildContainerConfig(pod, J(R"j({"name":"c","volumeMounts":[{"name":"nope","mountPath":"/x"}]})j"),
                           volumes_, objects_, options_);
  EXPECT_EQ(unknown_volume.status().message(), "cannot find volume \"nope\" to mount into container \"c\"");
  auto escape = BuildContainerConfig(
      pod, J(R"j({"name":"c","volumeMounts":[{"name":"data","mountPath":"/x","subPath":"../cfg"}]})j"),
      volumes_, objects_, options_);
  EXPECT_TRUE(absl::IsInvalidArgument(escape.status()));
  fs::create_directory_symlink("/etc", root_ / "vol/data/link");
  auto symlink_escape = BuildContainerConfig(
      pod, J(R"j({"name":"c","volumeMounts":[{"name":"data","mountPath":"/x","subPath":"link"}]})j"),
      volumes_, objects_, options_);
  EXPECT_TRUE(absl::IsFailedPrecondition(symlink_escape.status()));
  EXPECT_THAT(symlink_escape.status().message(), HasSubstr("not within volume path"));
  auto missing_env = BuildContainerConfig(
      pod, J(R"j({"name":"c","env":[{"name":"X","valueFrom":{"secretKeyRef":{"name":"s","key":"k"}}}]})j"),
      volumes_, objects_, options_);
  EXPECT_EQ(missing_env.status().message(), "secret \"s\" not found");
}

TEST_F(ConfigTest, NoEtcHostsWithoutIpsOrWhenMountedAndSeccompDefaults) {
  auto pod = J(R"j({"metadata":{"name":"p","namespace":"ns","uid":"u"},"spec":{"containers":[]}})j");
  options_.ctx.pod_ips.clear();
  auto result = BuildContainerConfig(pod, J(R"j({"name":"c"})j"), volumes_, objects_, options_);
  ASSERT_TRUE(result.ok());
  EXPECT_EQ(result->config.mounts_size(), 0);
  EXPECT_EQ(result->config.linux().security_context().seccomp().profile_type(),
            v1::SecurityProfile::Unconfined);
  EXPECT_EQ(result->config.linux().resources().oom_score_adj(), 1000);  // BestEffort

  options_.ctx.pod_ips = {"10.42.0.3"};
  auto own_hosts =
      BuildContainerConfig(pod, J(R"j({"name":"c","volumeMounts":[{"name":"data","mountPath":"/etc/hosts"}],
                 "securityContext":{"seccompProfile":{"type":"Localhost","localhostProfile":"p.json"}}})j"),
                           volumes_, objects_, options_);
  ASSERT_TRUE(own_hosts.ok());
  ASSERT_EQ(own_hosts->config.mounts_size(), 1);
  EXPECT_EQ(own_hosts->config.linux().security_context().seccomp().profile_type(),
            v1::SecurityProfile::Localhost);
  EXPECT_EQ(own_hosts->config.linux().security_context().seccomp().localhost_ref(),
            "/var/lib/kubelet/seccomp/p.json");

  // Host-network pods get the node's hosts file plus aliases.
  std::ofstream(root_ / "node-hosts") << "127.0.0.1 localhost\n192.168.1.10 node-a\n";
  options_.host_etc_hosts = (root_ / "node-hosts").string();
  options_.ctx.pod_ips.clear();
  auto host_net = J(R"j({"metadata":{"name":"p","namespace":"ns","uid":"hn"},
                        "spec":{"hostNetwork":true,"hostAliases":[{"ip":"1.2.3.4","hostnames":["x"]}],"containers":[]}})j");
  auto hn = BuildContainerConfig(host_net, J(R"j({"name":"c"})j"), volumes_, objects_, options_);
  ASSERT_TRUE(hn.ok());
  ASSERT_EQ(hn->config.mounts_size(), 1);
  EXPECT_EQ(Read(hn->config.mounts(0).host_path()),
            "# Kubernetes-managed hosts file (host network).\n127.0.0.1 localhost\n192.168.1.10 node-a\n"
            "\n# Entries added by HostAliases.\n1.2.3.4\tx\n");
}

}  // namespace
}  // namespace skiff::agent::podspec
