// Each Pod Security check with a conforming and a violating pod, and Kubernetes' exact texts
// (the expectations of k8s.io/pod-security-admission/policy's tests).
#include "apiserver/podsecurity/checks.h"

#include "base/json.h"
#include "boost/json.hpp"
#include "gtest/gtest.h"

namespace skiff::apiserver::podsecurity {
namespace {

boost::json::value J(const char* text) { return *base::ParseJson(text); }

CheckResult Check(CheckFn check, const char* spec, const char* meta = "{}") {
  return check(J(meta), J(spec));
}

void ExpectForbidden(const CheckResult& r, const std::string& reason, const std::string& detail) {
  EXPECT_FALSE(r.allowed);
  EXPECT_EQ(r.reason, reason);
  EXPECT_EQ(r.detail, detail);
}

TEST(ChecksTest, WindowsHostProcess) {
  EXPECT_TRUE(
      Check(WindowsHostProcess,
            R"({"containers":[{"name":"a","securityContext":{"windowsOptions":{"hostProcess":false}}}]})")
          .allowed);
  ExpectForbidden(Check(WindowsHostProcess, R"({"securityContext":{"windowsOptions":{"hostProcess":true}},
      "containers":[{"name":"a","securityContext":{"windowsOptions":{"hostProcess":true}}},{"name":"b"}]})"),
                  "hostProcess",
                  R"(pod and container "a" must not set securityContext.windowsOptions.hostProcess=true)");
}

TEST(ChecksTest, HostNamespaces) {
  EXPECT_TRUE(Check(HostNamespaces, R"({"hostNetwork":false,"containers":[{"name":"a"}]})").allowed);
  ExpectForbidden(Check(HostNamespaces, R"({"hostNetwork":true,"hostPID":true,"hostIPC":true})"),
                  "host namespaces", "hostNetwork=true, hostPID=true, hostIPC=true");
  ExpectForbidden(Check(HostNamespaces, R"({"hostIPC":true})"), "host namespaces", "hostIPC=true");
}

TEST(ChecksTest, Privileged) {
  EXPECT_TRUE(
      Check(Privileged, R"({"containers":[{"name":"a","securityContext":{"privileged":false}}]})").allowed);
  ExpectForbidden(Check(Privileged, R"({"initContainers":[{"name":"i","securityContext":{"privileged":true}}],
      "containers":[{"name":"a","securityContext":{"privileged":true}},{"name":"b","securityContext":{"privileged":null}}]})"),
                  "privileged", R"(containers "i", "a" must not set securityContext.privileged=true)");
}

TEST(ChecksTest, CapabilitiesBaseline) {
  EXPECT_TRUE(
      Check(
          CapabilitiesBaseline,
          R"({"containers":[{"name":"a","securityContext":{"capabilities":{"add":["CHOWN","NET_BIND_SERVICE"]}}}]})")
          .allowed);
  ExpectForbidden(
      Check(CapabilitiesBaseline, R"({"containers":[
      {"name":"a","securityContext":{"capabilities":{"add":["FOO","BAR"]}}},
      {"name":"b","securityContext":{"capabilities":{"add":["BAR","BAZ"]}}}]})"),
      "non-default capabilities",
      R"(containers "a", "b" must not include "BAR", "BAZ", "FOO" in securityContext.capabilities.add)");
}

TEST(ChecksTest, HostPathVolumes) {
  EXPECT_TRUE(Check(HostPathVolumes, R"({"volumes":[{"name":"e","emptyDir":{}}]})").allowed);
  ExpectForbidden(
      Check(HostPathVolumes,
            R"({"volumes":[{"name":"a","hostPath":{"path":"/"}},{"name":"b","hostPath":{"path":"/x"}}]})"),
      "hostPath volumes", R"(volumes "a", "b")");
}

TEST(ChecksTest, HostPorts) {
  EXPECT_TRUE(Check(HostPorts, R"({"containers":[{"name":"a","ports":[{"containerPort":80,"hostPort":0}]}]})")
                  .allowed);
  ExpectForbidden(
      Check(HostPorts, R"({"containers":[{"name":"a","ports":[{"containerPort":80,"hostPort":8080}]}]})"),
      "hostPort", R"(container "a" uses hostPort 8080)");
  // Ports sort as strings, as Kubernetes' sets.String does.
  ExpectForbidden(Check(HostPorts, R"({"containers":[{"name":"a","ports":[{"hostPort":80},{"hostPort":10}]},
      {"name":"b","ports":[{"hostPort":9}]}]})"),
                  "hostPort", R"(containers "a", "b" use hostPorts 10, 80, 9)");
}

TEST(ChecksTest, AppArmorProfile) {
  EXPECT_TRUE(
      Check(AppArmorProfile, R"({"securityContext":{"appArmorProfile":{"type":"RuntimeDefault"}}})",
            R"({"annotations":{"container.apparmor.security.beta.kubernetes.io/a":"localhost/p","env":"x"}})")
          .allowed);
  ExpectForbidden(Check(AppArmorProfile, R"({"securityContext":{"appArmorProfile":{"type":"Unconfined"}}})"),
                  "forbidden AppArmor profile", R"(pod must not set AppArmor profile type to "Unconfined")");
  ExpectForbidden(
      Check(
          AppArmorProfile,
          R"({"initContainers":[{"name":"bar","securityContext":{"appArmorProfile":{"type":"Unconfined"}}}],"containers":[{"name":"foo"}]})"),
      "forbidden AppArmor profile", R"(container "bar" must not set AppArmor profile type to "Unconfined")");
  ExpectForbidden(
      Check(AppArmorProfile, "{}", R"({"annotations":{
      "container.apparmor.security.beta.kubernetes.io/":"bogus",
      "container.apparmor.security.beta.kubernetes.io/a":"",
      "container.apparmor.security.beta.kubernetes.io/b":"runtime/default",
      "container.apparmor.security.beta.kubernetes.io/c":"localhost/",
      "container.apparmor.security.beta.kubernetes.io/e":"unconfined",
      "container.apparmor.security.beta.kubernetes.io/f":"unknown"}})"),
      "forbidden AppArmor profiles",
      R"(annotations must not set AppArmor profile type to "container.apparmor.security.beta.kubernetes.io/="bogus"", )"
      R"("container.apparmor.security.beta.kubernetes.io/e="unconfined"", "container.apparmor.security.beta.kubernetes.io/f="unknown"")");
}

TEST(ChecksTest, SeLinuxOptions) {
  EXPECT_TRUE(Check(SeLinuxOptions_1_0,
                    R"({"securityContext":{"seLinuxOptions":{"type":"container_t","level":"s0:c1"}}})")
                  .allowed);
  ExpectForbidden(
      Check(SeLinuxOptions_1_0, R"({"securityContext":{"seLinuxOptions":{"type":"foo","user":"u"}},
      "containers":[{"name":"a","securityContext":{"seLinuxOptions":{"type":"bar","role":"r"}}},{"name":"b","securityContext":{"seLinuxOptions":{"type":"container_t"}}}]})"),
      "seLinuxOptions",
      R"(pod and container "a" set forbidden securityContext.seLinuxOptions: types "bar", "foo"; user may not be set; role may not be set)");
  // container_engine_t joined the allowed types in v1.31.
  const char* engine = R"({"securityContext":{"seLinuxOptions":{"type":"container_engine_t"}}})";
  ExpectForbidden(Check(SeLinuxOptions_1_0, engine), "seLinuxOptions",
                  R"(pod set forbidden securityContext.seLinuxOptions: type "container_engine_t")");
  EXPECT_TRUE(Check(SeLinuxOptions_1_31, engine).allowed);
}

TEST(ChecksTest, ProcMount) {
  EXPECT_TRUE(Check(ProcMount,
                    R"({"containers":[{"name":"a","securityContext":{"procMount":"Default"}},{"name":"b"}]})")
                  .allowed);
  ExpectForbidden(
      Check(
          ProcMount,
          R"({"containers":[{"name":"a","securityContext":{"procMount":"Unmasked"}},{"name":"b","securityContext":{"procMount":"Other"}}]})"),
      "procMount", R"(containers "a", "b" must not set securityContext.procMount to "Other", "Unmasked")");
}

TEST(ChecksTest, SeccompProfileBaseline) {
  EXPECT_TRUE(
      Check(SeccompProfileBaseline_1_19, R"({"securityContext":{"seccompProfile":{"type":"RuntimeDefault"}},
      "containers":[{"name":"a","securityContext":{"seccompProfile":{"type":"Localhost","localhostProfile":"p"}}},{"name":"b"}]})")
          .allowed);
  ExpectForbidden(
      Check(SeccompProfileBaseline_1_19, R"({"securityContext":{"seccompProfile":{"type":"Unconfined"}},
      "containers":[{"name":"a","securityContext":{"seccompProfile":{"type":"Unconfined"}}}]})"),
      "seccompProfile",
      R"(pod and container "a" must not set securityContext.seccompProfile.type to "Unconfined")");
  // Before v1.19 the annotations held the profile.
  EXPECT_TRUE(Check(SeccompProfileBaseline_1_0, R"({"containers":[{"name":"a"}]})",
                    R"({"annotations":{"seccomp.security.alpha.kubernetes.io/pod":"docker/default"}})")
                  .allowed);
  ExpectForbidden(
      Check(SeccompProfileBaseline_1_0, R"({"containers":[{"name":"a"}]})",
            R"({"annotations":{"seccomp.security.alpha.kubernetes.io/pod":"unconfined",
                          "container.seccomp.security.alpha.kubernetes.io/a":"unconfined"}})"),
      "seccompProfile",
      R"(forbidden annotations container.seccomp.security.alpha.kubernetes.io/a="unconfined", seccomp.security.alpha.kubernetes.io/pod="unconfined")");
}

TEST(ChecksTest, Sysctls) {
  EXPECT_TRUE(
      Check(Sysctls_1_32, R"({"securityContext":{"sysctls":[{"name":"net.ipv4.tcp_rmem","value":"1"}]}})")
          .allowed);
  ExpectForbidden(
      Check(Sysctls_1_29, R"({"securityContext":{"sysctls":[{"name":"net.ipv4.tcp_rmem","value":"1"}]}})"),
      "forbidden sysctls", "net.ipv4.tcp_rmem");
  ExpectForbidden(
      Check(
          Sysctls_1_0,
          R"({"securityContext":{"sysctls":[{"name":"kernel.msgmax"},{"name":"net.ipv4.ip_local_reserved_ports"},{"name":"net.ipv4.tcp_syncookies"}]}})"),
      "forbidden sysctls", "kernel.msgmax, net.ipv4.ip_local_reserved_ports");
  EXPECT_TRUE(
      Check(Sysctls_1_27, R"({"securityContext":{"sysctls":[{"name":"net.ipv4.ip_local_reserved_ports"}]}})")
          .allowed);
  EXPECT_FALSE(Check(Sysctls_1_27, R"({"securityContext":{"sysctls":[{"name":"net.ipv4.tcp_fin_timeout"}]}})")
                   .allowed);
}

TEST(ChecksTest, RestrictedVolumes) {
  EXPECT_TRUE(
      Check(RestrictedVolumes,
            R"({"volumes":[{"name":"a","configMap":{}},{"name":"b","secret":{}},{"name":"c","emptyDir":{}},
      {"name":"d","projected":{}},{"name":"e","downwardAPI":{}},{"name":"f","persistentVolumeClaim":{"claimName":"x"}},
      {"name":"g","csi":{"driver":"d"}},{"name":"h","ephemeral":{}}]})")
          .allowed);
  ExpectForbidden(
      Check(RestrictedVolumes, R"({"volumes":[{"name":"a","hostPath":{"path":"/"}},{"name":"b","nfs":{}},
      {"name":"c","emptyDir":{}},{"name":"d","hostPath":{"path":"/x"}},{"name":"e"}]})"),
      "restricted volume types",
      R"(volumes "a", "b", "d", "e" use restricted volume types "hostPath", "nfs", "unknown")");
  ExpectForbidden(Check(RestrictedVolumes, R"({"volumes":[{"name":"a","gitRepo":{}}]})"),
                  "restricted volume types", R"(volume "a" uses restricted volume type "gitRepo")");
}

TEST(ChecksTest, AllowPrivilegeEscalation) {
  const char* spec =
      R"({"containers":[{"name":"a"},{"name":"b","securityContext":{"allowPrivilegeEscalation":null}},
      {"name":"c","securityContext":{"allowPrivilegeEscalation":true}},{"name":"d","securityContext":{"allowPrivilegeEscalation":false}}]})";
  ExpectForbidden(Check(AllowPrivilegeEscalation_1_25, spec), "allowPrivilegeEscalation != false",
                  R"(containers "a", "b", "c" must set securityContext.allowPrivilegeEscalation=false)");
  EXPECT_TRUE(Check(AllowPrivilegeEscalation_1_25,
                    R"({"containers":[{"name":"d","securityContext":{"allowPrivilegeEscalation":false}}]})")
                  .allowed);
  // Windows pods are exempt from v1.25 only.
  const char* windows = R"({"os":{"name":"windows"},"containers":[{"name":"a"}]})";
  EXPECT_TRUE(Check(AllowPrivilegeEscalation_1_25, windows).allowed);
  ExpectForbidden(Check(AllowPrivilegeEscalation_1_8, windows), "allowPrivilegeEscalation != false",
                  R"(container "a" must set securityContext.allowPrivilegeEscalation=false)");
}

TEST(ChecksTest, RunAsNonRoot) {
  EXPECT_TRUE(Check(RunAsNonRoot, R"({"securityContext":{"runAsNonRoot":true},"containers":[{"name":"a"}]})")
                  .allowed);
  EXPECT_TRUE(Check(RunAsNonRoot, R"({"containers":[{"name":"a","securityContext":{"runAsNonRoot":true}}]})")
                  .allowed);
  ExpectForbidden(Check(RunAsNonRoot, R"({"securityContext":{"runAsNonRoot":false},
      "containers":[{"name":"a","securityContext":{"runAsNonRoot":false}},{"name":"b"}]})"),
                  "runAsNonRoot != true",
                  R"(pod and container "a" must not set securityContext.runAsNonRoot=false)");
  ExpectForbidden(
      Check(
          RunAsNonRoot,
          R"({"containers":[{"name":"a"},{"name":"b","securityContext":{"runAsNonRoot":true}},{"name":"c"}]})"),
      "runAsNonRoot != true", R"(pod or containers "a", "c" must set securityContext.runAsNonRoot=true)");
}

TEST(ChecksTest, RunAsUser) {
  EXPECT_TRUE(
      Check(RunAsUser, R"({"securityContext":{"runAsUser":1000},"containers":[{"name":"a"}]})").allowed);
  ExpectForbidden(
      Check(
          RunAsUser,
          R"({"securityContext":{"runAsUser":0},"containers":[{"name":"a","securityContext":{"runAsUser":0}},
      {"name":"b","securityContext":{"runAsUser":0}},{"name":"c","securityContext":{"runAsUser":1}}]})"),
      "runAsUser=0", R"(pod and containers "a", "b" must not set runAsUser=0)");
}

TEST(ChecksTest, SeccompProfileRestricted) {
  EXPECT_TRUE(
      Check(SeccompProfileRestricted_1_25,
            R"({"securityContext":{"seccompProfile":{"type":"RuntimeDefault"}},"containers":[{"name":"a"}]})")
          .allowed);
  ExpectForbidden(
      Check(
          SeccompProfileRestricted_1_25,
          R"({"containers":[{"name":"a"},{"name":"b","securityContext":{"seccompProfile":{"type":"Localhost"}}}]})"),
      "seccompProfile",
      R"(pod or container "a" must set securityContext.seccompProfile.type to "RuntimeDefault" or "Localhost")");
  ExpectForbidden(
      Check(SeccompProfileRestricted_1_25, R"({"securityContext":{"seccompProfile":{"type":"Unconfined"}},
      "containers":[{"name":"a","securityContext":{"seccompProfile":{"type":"Unconfined"}}},{"name":"b"}]})"),
      "seccompProfile",
      R"(pod and container "a" must not set securityContext.seccompProfile.type to "Unconfined")");
  EXPECT_TRUE(Check(SeccompProfileRestricted_1_25, R"({"os":{"name":"windows"},"containers":[{"name":"a"}]})")
                  .allowed);
  EXPECT_FALSE(
      Check(SeccompProfileRestricted_1_19, R"({"os":{"name":"windows"},"containers":[{"name":"a"}]})")
          .allowed);
}

TEST(ChecksTest, CapabilitiesRestricted) {
  EXPECT_TRUE(
      Check(
          CapabilitiesRestricted_1_25,
          R"({"containers":[{"name":"a","securityContext":{"capabilities":{"drop":["ALL"],"add":["NET_BIND_SERVICE"]}}}]})")
          .allowed);
  ExpectForbidden(
      Check(CapabilitiesRestricted_1_25, R"({"containers":[
      {"name":"a","securityContext":{"capabilities":{"add":["FOO","BAR"]}}},
      {"name":"b","securityContext":{"capabilities":{"add":["BAR","BAZ"]}}},
      {"name":"c","securityContext":{"capabilities":{"add":["NET_BIND_SERVICE","CHOWN"],"drop":["ALL","FOO"]}}},
      {"name":"d"}]})"),
      "unrestricted capabilities",
      R"(containers "a", "b", "d" must set securityContext.capabilities.drop=["ALL"]; )"
      R"(containers "a", "b", "c" must not include "BAR", "BAZ", "CHOWN", "FOO" in securityContext.capabilities.add)");
  EXPECT_TRUE(
      Check(CapabilitiesRestricted_1_25, R"({"os":{"name":"windows"},"containers":[{"name":"a"}]})").allowed);
  EXPECT_FALSE(
      Check(CapabilitiesRestricted_1_22, R"({"os":{"name":"windows"},"containers":[{"name":"a"}]})").allowed);
}

TEST(ChecksTest, EphemeralContainersAreChecked) {
  ExpectForbidden(
      Check(
          Privileged,
          R"({"containers":[{"name":"a"}],"ephemeralContainers":[{"name":"debug","securityContext":{"privileged":true}}]})"),
      "privileged", R"(container "debug" must not set securityContext.privileged=true)");
}

TEST(ChecksTest, MistypedFieldsReadAsUnset) {
  EXPECT_TRUE(Check(Privileged, R"({"containers":[{"name":"a","securityContext":{"privileged":"yes"}}, 7]})")
                  .allowed);
  EXPECT_TRUE(Check(HostNamespaces, R"([1,2])").allowed);
}

}  // namespace
}  // namespace skiff::apiserver::podsecurity
