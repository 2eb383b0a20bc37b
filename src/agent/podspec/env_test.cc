#include "agent/podspec/env.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "agent/podspec/downward.h"
#include "base/json.h"

namespace skiff::agent::podspec {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

boost::json::value J(std::string_view text) { return base::ParseJson(text).value(); }

std::optional<std::string> Lookup(std::string_view name) {
  if (name == "A") return std::string("alpha");
  if (name == "EMPTY") return std::string();
  return std::nullopt;
}

TEST(ExpandVarsTest, KubeletRules) {
  EXPECT_EQ(ExpandVars("$(A)", Lookup), "alpha");
  EXPECT_EQ(ExpandVars("x$(A)y$(A)", Lookup), "xalphayalpha");
  EXPECT_EQ(ExpandVars("$(EMPTY)-", Lookup), "-");
  EXPECT_EQ(ExpandVars("$(UNKNOWN)", Lookup), "$(UNKNOWN)");
  EXPECT_EQ(ExpandVars("$$(A)", Lookup), "$(A)");
  EXPECT_EQ(ExpandVars("$$$(A)", Lookup), "$alpha");
  EXPECT_EQ(ExpandVars("$$", Lookup), "$");
  EXPECT_EQ(ExpandVars("$", Lookup), "$");
  EXPECT_EQ(ExpandVars("a$b", Lookup), "a$b");
  EXPECT_EQ(ExpandVars("$(A", Lookup), "$(A");
  EXPECT_EQ(ExpandVars("$(", Lookup), "$(");
  EXPECT_EQ(ExpandVars("$()", Lookup), "$()");
  EXPECT_EQ(ExpandVars("no refs", Lookup), "no refs");
  // Last definition wins in a list.
  EXPECT_EQ(ExpandVars("$(X)", std::vector<EnvVar>{{"X", "1"}, {"X", "2"}}), "2");
}

TEST(EnvNameTest, Relaxed) {
  EXPECT_TRUE(IsValidEnvVarName("HOME"));
  EXPECT_TRUE(IsValidEnvVarName("my.var-1"));
  EXPECT_TRUE(IsValidEnvVarName("1abc"));
  EXPECT_FALSE(IsValidEnvVarName(""));
  EXPECT_FALSE(IsValidEnvVarName("a=b"));
  EXPECT_FALSE(IsValidEnvVarName("tab\there"));
}

class EnvTest : public ::testing::Test {
 protected:
  void SetUp() override {
    objects_.Add(ObjectKind::kConfigMap, J(R"j({"metadata":{"name":"cfg","namespace":"ns"},
        "data":{"color":"blue","size":"L","bad=key":"x"}})j"));
    objects_.Add(ObjectKind::kSecret, J(R"j({"metadata":{"name":"sec","namespace":"ns"},
        "data":{"password":"czNjcjN0","user":"YWRtaW4="}})j"));
    objects_.Add(ObjectKind::kConfigMap, J(R"j({"metadata":{"name":"other-ns","namespace":"elsewhere"},
        "data":{"k":"v"}})j"));
    ctx_.pod_ips = {"10.42.0.7", "fd00::7"};
    ctx_.host_ips = {"192.168.1.10"};
    ctx_.node.cpu = api::Quantity::Parse("4").value();
    ctx_.node.memory = api::Quantity::Parse("8Gi").value();
    ctx_.node.ephemeral_storage = api::Quantity::Parse("100Gi").value();
  }

  boost::json::value Pod() {
    return J(R"j({"metadata":{"name":"web-1","namespace":"ns","uid":"uid-123",
                  "labels":{"app":"web","tier":"front"},"annotations":{"note":"say \"hi\""}},
                 "spec":{"nodeName":"node-a","serviceAccountName":"robot","containers":[]}})j");
  }

  absl::StatusOr<Environment> Make(std::string_view container, const ServiceEnvFunc& services = nullptr) {
    return MakeEnvironment(Pod(), J(container), ctx_, objects_, services);
  }

  MapObjectSource objects_;
  PodContext ctx_;
};

TEST_F(EnvTest, ValuesExpandEarlierVariablesOnly) {
  auto env = Make(R"j({"name":"c","env":[
      {"name":"A","value":"one"},
      {"name":"B","value":"$(A)-two-$(C)"},
      {"name":"C","value":"three"},
      {"name":"D","value":"$$(A)"}]})j");
  ASSERT_TRUE(env.ok()) << env.status();
  EXPECT_THAT(env->vars, ElementsAre(EnvVar{"A", "one"}, EnvVar{"B", "one-two-$(C)"}, EnvVar{"C", "three"},
                                     EnvVar{"D", "$(A)"}));
}

TEST_F(EnvTest, EnvOverridesEnvFromAndPrefixApplies) {
  auto env = Make(R"j({"name":"c",
      "envFrom":[{"configMapRef":{"name":"cfg"}},{"prefix":"S_","secretRef":{"name":"sec"}}],
      "env":[{"name":"color","value":"red"},{"name":"X","value":"$(S_user)"}]})j");
  ASSERT_TRUE(env.ok()) << env.status();
  EXPECT_THAT(env->vars,
              ElementsAre(EnvVar{"color", "red"}, EnvVar{"size", "L"}, EnvVar{"S_password", "s3cr3t"},
                          EnvVar{"S_user", "admin"}, EnvVar{"X", "admin"}));
  ASSERT_EQ(env->events.size(), 1u);
  EXPECT_EQ(env->events[0].reason, "InvalidEnvironmentVariableNames");
  EXPECT_EQ(env->events[0].message,
            "Keys [bad=key] from the EnvFrom configMap ns/cfg were skipped since they are considered invalid "
            "environment variable names.");
}

TEST_F(EnvTest, KeyRefsAndOptional) {
  auto env = Make(R"j({"name":"c","env":[
      {"name":"COLOR","valueFrom":{"configMapKeyRef":{"name":"cfg","key":"color"}}},
      {"name":"PW","valueFrom":{"secretKeyRef":{"name":"sec","key":"password"}}},
      {"name":"GONE","valueFrom":{"configMapKeyRef":{"name":"missing","key":"k","optional":true}}},
      {"name":"NOKEY","valueFrom":{"secretKeyRef":{"name":"sec","key":"nope","optional":true}}}],
      "envFrom":[{"configMapRef":{"name":"missing","optional":true}}]})j");
  ASSERT_TRUE(env.ok()) << env.status();
  EXPECT_THAT(env->vars, ElementsAre(EnvVar{"COLOR", "blue"}, EnvVar{"PW", "s3cr3t"}));
}

TEST_F(EnvTest, MissingNonOptionalSourcesFailWithKubeletMessages) {
  auto missing_cm = Make(
      R"j({"name":"c","env":[{"name":"X","valueFrom":{"configMapKeyRef":{"name":"nope","key":"k"}}}]})j");
  EXPECT_TRUE(absl::IsNotFound(missing_cm.status()));
  EXPECT_EQ(missing_cm.status().message(), "configmap \"nope\" not found");
  auto missing_secret = Make(R"j({"name":"c","envFrom":[{"secretRef":{"name":"nope"}}]})j");
  EXPECT_EQ(missing_secret.status().message(), "secret \"nope\" not found");
  auto missing_key =
      Make(R"j({"name":"c","env":[{"name":"X","valueFrom":{"configMapKeyRef":{"name":"cfg","key":"k"}}}]})j");
  EXPECT_EQ(missing_key.status().message(), "couldn't find key k in ConfigMap ns/cfg");
  auto missing_secret_key =
      Make(R"j({"name":"c","env":[{"name":"X","valueFrom":{"secretKeyRef":{"name":"sec","key":"k"}}}]})j");
  EXPECT_EQ(missing_secret_key.status().message(), "couldn't find key k in Secret ns/sec");
  // Objects of another namespace are invisible.
  auto other = Make(
      R"j({"name":"c","env":[{"name":"X","valueFrom":{"configMapKeyRef":{"name":"other-ns","key":"k"}}}]})j");
  EXPECT_TRUE(absl::IsNotFound(other.status()));
}

TEST_F(EnvTest, EveryFieldRef) {
  auto env = Make(R"j({"name":"c","env":[
      {"name":"NAME","valueFrom":{"fieldRef":{"fieldPath":"metadata.name"}}},
      {"name":"NS","valueFrom":{"fieldRef":{"apiVersion":"v1","fieldPath":"metadata.namespace"}}},
      {"name":"UID","valueFrom":{"fieldRef":{"fieldPath":"metadata.uid"}}},
      {"name":"APP","valueFrom":{"fieldRef":{"fieldPath":"metadata.labels['app']"}}},
      {"name":"NOTE","valueFrom":{"fieldRef":{"fieldPath":"metadata.annotations['note']"}}},
      {"name":"NONE","valueFrom":{"fieldRef":{"fieldPath":"metadata.labels['none']"}}},
      {"name":"NODE","valueFrom":{"fieldRef":{"fieldPath":"spec.nodeName"}}},
      {"name":"SA","valueFrom":{"fieldRef":{"fieldPath":"spec.serviceAccountName"}}},
      {"name":"HOST","valueFrom":{"fieldRef":{"fieldPath":"status.hostIP"}}},
      {"name":"HOSTS","valueFrom":{"fieldRef":{"fieldPath":"status.hostIPs"}}},
      {"name":"IP","valueFrom":{"fieldRef":{"fieldPath":"status.podIP"}}},
      {"name":"IPS","valueFrom":{"fieldRef":{"fieldPath":"status.podIPs"}}}]})j");
  ASSERT_TRUE(env.ok()) << env.status();
  EXPECT_THAT(env->vars, ElementsAre(EnvVar{"NAME", "web-1"}, EnvVar{"NS", "ns"}, EnvVar{"UID", "uid-123"},
                                     EnvVar{"APP", "web"}, EnvVar{"NOTE", "say \"hi\""}, EnvVar{"NONE", ""},
                                     EnvVar{"NODE", "node-a"}, EnvVar{"SA", "robot"},
                                     EnvVar{"HOST", "192.168.1.10"}, EnvVar{"HOSTS", "192.168.1.10"},
                                     EnvVar{"IP", "10.42.0.7"}, EnvVar{"IPS", "10.42.0.7,fd00::7"}));
  auto bad =
      Make(R"j({"name":"c","env":[{"name":"X","valueFrom":{"fieldRef":{"fieldPath":"spec.bogus"}}}]})j");
  EXPECT_EQ(bad.status().message(), "unsupported fieldPath: spec.bogus");
  auto bad_version = Make(
      R"j({"name":"c","env":[{"name":"X","valueFrom":{"fieldRef":{"apiVersion":"v2","fieldPath":"metadata.name"}}}]})j");
  EXPECT_EQ(bad_version.status().message(), "unsupported pod version: v2");
}

TEST_F(EnvTest, WholeLabelMapsAreFormattedLikeGo) {
  auto pod = Pod();
  auto labels = PodFieldValue(pod, J(R"j({"fieldPath":"metadata.labels"})j"), ctx_);
  EXPECT_EQ(*labels, "app=\"web\"\ntier=\"front\"");
  auto annotations = PodFieldValue(pod, J(R"j({"fieldPath":"metadata.annotations"})j"), ctx_);
  EXPECT_EQ(*annotations, "note=\"say \\\"hi\\\"\"");
}

TEST_F(EnvTest, ResourceFieldRefsWithDivisorAndNodeDefaults) {
  auto env =
      Make(R"j({"name":"c","resources":{"requests":{"cpu":"250m","memory":"100Mi"},"limits":{"memory":"1Gi"}},
      "env":[
      {"name":"CPU_REQ","valueFrom":{"resourceFieldRef":{"resource":"requests.cpu"}}},
      {"name":"CPU_REQ_M","valueFrom":{"resourceFieldRef":{"resource":"requests.cpu","divisor":"1m"}}},
      {"name":"CPU_LIM","valueFrom":{"resourceFieldRef":{"resource":"limits.cpu"}}},
      {"name":"MEM_LIM","valueFrom":{"resourceFieldRef":{"resource":"limits.memory","divisor":"1Mi"}}},
      {"name":"MEM_REQ","valueFrom":{"resourceFieldRef":{"resource":"requests.memory","divisor":"1Gi"}}},
      {"name":"EPH_LIM","valueFrom":{"resourceFieldRef":{"resource":"limits.ephemeral-storage","divisor":"1Gi"}}},
      {"name":"EPH_REQ","valueFrom":{"resourceFieldRef":{"resource":"requests.ephemeral-storage"}}}]})j");
  ASSERT_TRUE(env.ok()) << env.status();
  EXPECT_THAT(env->vars, ElementsAre(EnvVar{"CPU_REQ", "1"},  // 250m rounds up to 1 core
                                     EnvVar{"CPU_REQ_M", "250"}, EnvVar{"CPU_LIM", "4"},  // node allocatable
                                     EnvVar{"MEM_LIM", "1024"}, EnvVar{"MEM_REQ", "1"},
                                     EnvVar{"EPH_LIM", "100"}, EnvVar{"EPH_REQ", "0"}));
  auto bad = Make(
      R"j({"name":"c","env":[{"name":"X","valueFrom":{"resourceFieldRef":{"resource":"limits.gpu"}}}]})j");
  EXPECT_THAT(bad.status().message(), HasSubstr("unsupported container resource"));
}

TEST_F(EnvTest, ServiceVariablesComeLastAndYieldToDeclaredOnes) {
  bool links_seen = false;
  ServiceEnvFunc services = [&](const std::string& ns, bool links) {
    EXPECT_EQ(ns, "ns");
    links_seen = links;
    return std::vector<EnvVar>{{"KUBERNETES_SERVICE_HOST", "10.43.0.1"}, {"KUBERNETES_SERVICE_PORT", "443"}};
  };
  auto env = Make(R"j({"name":"c","env":[{"name":"KUBERNETES_SERVICE_PORT","value":"8443"},
                                         {"name":"URL","value":"https://$(KUBERNETES_SERVICE_HOST)"}]})j",
                  services);
  ASSERT_TRUE(env.ok()) << env.status();
  EXPECT_TRUE(links_seen);
  EXPECT_THAT(env->vars,
              ElementsAre(EnvVar{"KUBERNETES_SERVICE_PORT", "8443"}, EnvVar{"URL", "https://10.43.0.1"},
                          EnvVar{"KUBERNETES_SERVICE_HOST", "10.43.0.1"}));
}

}  // namespace
}  // namespace skiff::agent::podspec
