#include "api/defaults.h"

#include "api/schema.h"
#include "api/schema_testdata.h"
#include "boost/json/parse.hpp"
#include "boost/json/serialize.hpp"
#include "gtest/gtest.h"

namespace skiff::api {
namespace {

using boost::json::parse;
using boost::json::value;
using testdata::TestType;

value Defaulted(std::string_view type, std::string_view json) {
  value v = parse(json);
  ApplyDefaults(TestType(type), v);
  return v;
}

const value& At(const value& v, std::initializer_list<std::string_view> path) {
  const value* cur = &v;
  for (std::string_view p : path) {
    if (!p.empty() && p[0] >= '0' && p[0] <= '9') {
      cur = &cur->as_array().at(std::stoul(std::string(p)));
    } else {
      cur = &cur->as_object().at(p);
    }
  }
  return *cur;
}

TEST(DefaultsTest, SchemaDefaultsApplyRecursivelyIntoLists) {
  value d = Defaulted("io.k8s.api.apps.v1.Deployment", R"({"spec":{"template":{"spec":{
      "containers":[{"name":"a","image":"nginx","ports":[{"containerPort":80},
                                                         {"containerPort":53,"protocol":"UDP"}]}]}}}})");
  EXPECT_EQ(At(d, {"spec", "replicas"}), value(1));
  EXPECT_EQ(At(d, {"spec", "template", "spec", "restartPolicy"}), value("Always"));
  EXPECT_EQ(At(d, {"spec", "template", "spec", "containers", "0", "ports", "0", "protocol"}), value("TCP"));
  EXPECT_EQ(At(d, {"spec", "template", "spec", "containers", "0", "ports", "1", "protocol"}), value("UDP"));
}

TEST(DefaultsTest, ExplicitValuesWinAndEmptyStringsCountAsUnset) {
  value d = Defaulted("io.k8s.api.apps.v1.Deployment",
                      R"({"spec":{"replicas":0,"strategy":{"type":""},"template":{"spec":{
                          "restartPolicy":"Never","containers":[]}}}})");
  EXPECT_EQ(At(d, {"spec", "replicas"}), value(0));
  EXPECT_EQ(At(d, {"spec", "strategy", "type"}), value("RollingUpdate"));
  EXPECT_EQ(At(d, {"spec", "template", "spec", "restartPolicy"}), value("Never"));
}

TEST(DefaultsTest, DeploymentConditionalDefaults) {
  value d = Defaulted("io.k8s.api.apps.v1.Deployment", R"({"spec":{}})");
  EXPECT_EQ(At(d, {"spec", "strategy", "type"}), value("RollingUpdate"));
  EXPECT_EQ(At(d, {"spec", "strategy", "rollingUpdate", "maxSurge"}), value("25%"));
  EXPECT_EQ(At(d, {"spec", "strategy", "rollingUpdate", "maxUnavailable"}), value("25%"));
  EXPECT_EQ(At(d, {"spec", "revisionHistoryLimit"}), value(10));
  EXPECT_EQ(At(d, {"spec", "progressDeadlineSeconds"}), value(600));

  d = Defaulted("io.k8s.api.apps.v1.Deployment", R"({"spec":{"strategy":{"type":"Recreate"}}})");
  EXPECT_FALSE(At(d, {"spec", "strategy"}).as_object().contains("rollingUpdate"));
}

TEST(DefaultsTest, ContainerImagePullPolicyFollowsTheTag) {
  EXPECT_EQ(DefaultImagePullPolicy("nginx"), "Always");
  EXPECT_EQ(DefaultImagePullPolicy("nginx:latest"), "Always");
  EXPECT_EQ(DefaultImagePullPolicy("nginx:1.27"), "IfNotPresent");
  EXPECT_EQ(DefaultImagePullPolicy("registry:5000/team/app"), "Always");
  EXPECT_EQ(DefaultImagePullPolicy("registry:5000/team/app:v2"), "IfNotPresent");
  EXPECT_EQ(DefaultImagePullPolicy("nginx@sha256:abcd"), "IfNotPresent");
  EXPECT_EQ(DefaultImagePullPolicy("nginx:latest@sha256:abcd"), "Always");

  value d = Defaulted("io.k8s.api.apps.v1.Deployment", R"({"spec":{"template":{"spec":{
      "containers":[{"name":"a","image":"nginx:1.27"},{"name":"b","image":"busybox"},
                    {"name":"c","image":"x","imagePullPolicy":"Never"}]}}}})");
  const value& cs = At(d, {"spec", "template", "spec", "containers"});
  EXPECT_EQ(At(cs, {"0", "imagePullPolicy"}), value("IfNotPresent"));
  EXPECT_EQ(At(cs, {"1", "imagePullPolicy"}), value("Always"));
  EXPECT_EQ(At(cs, {"2", "imagePullPolicy"}), value("Never"));
  EXPECT_EQ(At(cs, {"0", "terminationMessagePath"}), value("/dev/termination-log"));
  EXPECT_EQ(At(cs, {"0", "terminationMessagePolicy"}), value("File"));
  EXPECT_EQ(At(cs, {"0", "resources"}), value(boost::json::object()));
  const value& pod_spec = At(d, {"spec", "template", "spec"});
  EXPECT_EQ(At(pod_spec, {"dnsPolicy"}), value("ClusterFirst"));
  EXPECT_EQ(At(pod_spec, {"schedulerName"}), value("default-scheduler"));
  EXPECT_EQ(At(pod_spec, {"terminationGracePeriodSeconds"}), value(30));
  EXPECT_EQ(At(pod_spec, {"securityContext"}), value(boost::json::object()));
}

TEST(DefaultsTest, LimitRangeContainerDefaultsFollowMaxDefaultAndMin) {
  value d = parse(R"({"spec":{"limits":[
      {"type":"Container","max":{"cpu":"1","memory":"1Gi"},"min":{"ephemeral-storage":"1Mi"},
       "default":{"cpu":"500m"}},
      {"type":"Pod","max":{"cpu":"2"}}]}})");
  ApplyDefaults(*BuiltinSchemas().FindType("io.k8s.api.core.v1.LimitRange"), d);
  EXPECT_EQ(boost::json::serialize(d.at("spec").at("limits")),
            R"([{"type":"Container","max":{"cpu":"1","memory":"1Gi"},"min":{"ephemeral-storage":"1Mi"},)"
            R"("default":{"cpu":"500m","memory":"1Gi"},"defaultRequest":{"cpu":"500m","memory":"1Gi",)"
            R"("ephemeral-storage":"1Mi"}},{"type":"Pod","max":{"cpu":"2"}}])");
}

TEST(DefaultsTest, ServiceDefaults) {
  value d = Defaulted("io.k8s.api.core.v1.Service",
                      R"({"spec":{"ports":[{"port":80},{"port":53,"targetPort":"dns","protocol":"UDP"}]}})");
  EXPECT_EQ(At(d, {"spec", "type"}), value("ClusterIP"));
  EXPECT_EQ(At(d, {"spec", "sessionAffinity"}), value("None"));
  EXPECT_EQ(At(d, {"spec", "internalTrafficPolicy"}), value("Cluster"));
  EXPECT_EQ(At(d, {"spec", "ipFamilyPolicy"}), value("SingleStack"));
  EXPECT_EQ(At(d, {"spec", "ipFamilies"}), parse(R"(["IPv4"])"));
  EXPECT_EQ(At(d, {"spec", "ports", "0", "protocol"}), value("TCP"));
  EXPECT_EQ(At(d, {"spec", "ports", "0", "targetPort"}), value(80));
  EXPECT_EQ(At(d, {"spec", "ports", "1", "targetPort"}), value("dns"));
  EXPECT_EQ(At(d, {"spec", "ports", "1", "protocol"}), value("UDP"));
  EXPECT_FALSE(At(d, {"spec"}).as_object().contains("externalTrafficPolicy"));

  d = Defaulted("io.k8s.api.core.v1.Service", R"({"spec":{"type":"NodePort"}})");
  EXPECT_EQ(At(d, {"spec", "externalTrafficPolicy"}), value("Cluster"));
  d = Defaulted("io.k8s.api.core.v1.Service", R"({"spec":{"type":"ExternalName"}})");
  EXPECT_FALSE(At(d, {"spec"}).as_object().contains("ipFamilies"));
}

TEST(DefaultsTest, ConditionalDefaultersOfOtherKinds) {
  // Exercised directly: the test schema does not define these types.
  auto run = [](std::string_view type, std::string_view json) {
    value v = parse(json);
    ConditionalDefaulter fn = ConditionalDefaulterFor(type);
    EXPECT_NE(fn, nullptr) << type;
    if (fn) fn(v.as_object());
    return v;
  };
  value job = run("io.k8s.api.batch.v1.Job", R"({"spec":{}})");
  EXPECT_EQ(job, parse(R"({"spec":{"completions":1,"parallelism":1,"backoffLimit":6,
      "completionMode":"NonIndexed","suspend":false,"podReplacementPolicy":"TerminatingOrFailed"}})"));
  job = run("io.k8s.api.batch.v1.Job", R"({"spec":{"completions":5}})");
  EXPECT_EQ(At(job, {"spec", "parallelism"}), value(1));
  EXPECT_EQ(At(job, {"spec", "completions"}), value(5));

  value cj = run("io.k8s.api.batch.v1.CronJob", R"({"spec":{}})");
  EXPECT_EQ(cj, parse(R"({"spec":{"concurrencyPolicy":"Allow","suspend":false,
      "successfulJobsHistoryLimit":3,"failedJobsHistoryLimit":1}})"));

  value ss = run("io.k8s.api.apps.v1.StatefulSet", R"({"spec":{}})");
  EXPECT_EQ(ss, parse(R"({"spec":{"replicas":1,"podManagementPolicy":"OrderedReady",
      "revisionHistoryLimit":10,"updateStrategy":{"type":"RollingUpdate","rollingUpdate":{"partition":0}},
      "persistentVolumeClaimRetentionPolicy":{"whenDeleted":"Retain","whenScaled":"Retain"}}})"));

  value ds = run("io.k8s.api.apps.v1.DaemonSet", R"({"spec":{}})");
  EXPECT_EQ(At(ds, {"spec", "updateStrategy", "rollingUpdate"}),
            parse(R"({"maxUnavailable":1,"maxSurge":0})"));

  value pod = run("io.k8s.api.core.v1.Pod", R"({"spec":{"containers":[{"name":"a",
      "resources":{"limits":{"cpu":"1"},"requests":{"memory":"1Gi"}}}]}})");
  EXPECT_EQ(At(pod, {"spec", "enableServiceLinks"}), value(true));
  EXPECT_EQ(At(pod, {"spec", "priority"}), value(0));
  EXPECT_EQ(At(pod, {"spec", "preemptionPolicy"}), value("PreemptLowerPriority"));
  EXPECT_EQ(At(pod, {"spec", "containers", "0", "resources", "requests"}),
            parse(R"({"memory":"1Gi","cpu":"1"})"));

  EXPECT_EQ(run("io.k8s.api.core.v1.Namespace", "{}"),
            parse(R"({"spec":{"finalizers":["kubernetes"]},"status":{"phase":"Active"}})"));
  EXPECT_EQ(run("io.k8s.api.core.v1.Secret", "{}"), parse(R"({"type":"Opaque"})"));
  EXPECT_EQ(At(run("io.k8s.api.core.v1.PersistentVolumeClaim", "{}"), {"spec", "volumeMode"}),
            value("Filesystem"));
  EXPECT_EQ(run("io.k8s.api.core.v1.Volume", R"({"name":"v"})"), parse(R"({"name":"v","emptyDir":{}})"));
  EXPECT_EQ(run("io.k8s.api.core.v1.Volume", R"({"name":"v","hostPath":{"path":"/"}})"),
            parse(R"({"name":"v","hostPath":{"path":"/"}})"));
  EXPECT_EQ(run("io.k8s.api.core.v1.Probe", "{}"),
            parse(R"({"timeoutSeconds":1,"periodSeconds":10,"successThreshold":1,"failureThreshold":3})"));
  EXPECT_EQ(ConditionalDefaulterFor("io.k8s.api.core.v1.Nope"), nullptr);
}

// Full defaulting with the served networking.k8s.io schema.
value DefaultedBuiltin(std::string_view type, std::string_view json) {
  value v = parse(json);
  ApplyDefaults(*BuiltinSchemas().FindType(type), v);
  return v;
}

TEST(DefaultsTest, NetworkPolicyIsolatesIngressAlwaysAndEgressWithEgressRules) {
  const char* type = "io.k8s.api.networking.v1.NetworkPolicy";
  EXPECT_EQ(DefaultedBuiltin(type, "{}"), parse(R"({"spec":{"podSelector":{},"policyTypes":["Ingress"]}})"));
  value d = DefaultedBuiltin(type, R"({"spec":{"egress":[{"ports":[{"port":53}]}]}})");
  EXPECT_EQ(At(d, {"spec", "policyTypes"}), parse(R"(["Ingress","Egress"])"));
  EXPECT_EQ(At(d, {"spec", "egress", "0", "ports", "0", "protocol"}), value("TCP"));
  d = DefaultedBuiltin(type, R"({"spec":{"policyTypes":["Egress"],"egress":[{}],"ingress":[{}]}})");
  EXPECT_EQ(At(d, {"spec", "policyTypes"}), parse(R"(["Egress"])"));
  d = DefaultedBuiltin(type, R"({"spec":{"policyTypes":[],"egress":[{}]}})");
  EXPECT_EQ(At(d, {"spec", "policyTypes"}), parse(R"(["Ingress","Egress"])"));
}

TEST(DefaultsTest, IngressClassParametersAreClusterScopedUnlessSaid) {
  const char* type = "io.k8s.api.networking.v1.IngressClass";
  value d =
      DefaultedBuiltin(type, R"({"spec":{"controller":"a.io/b","parameters":{"kind":"K","name":"n"}}})");
  EXPECT_EQ(At(d, {"spec", "parameters", "scope"}), value("Cluster"));
  d = DefaultedBuiltin(type, R"({"spec":{"parameters":{"kind":"K","name":"n","scope":"Namespace"}}})");
  EXPECT_EQ(At(d, {"spec", "parameters", "scope"}), value("Namespace"));
  d = DefaultedBuiltin(type, R"({"spec":{"controller":"a.io/b"}})");
  EXPECT_EQ(d, parse(R"({"spec":{"controller":"a.io/b"}})"));
}

TEST(DefaultsTest, WrongTypesAreLeftForValidation) {
  value d = Defaulted("io.k8s.api.apps.v1.Deployment", R"({"spec":{"template":"oops"}})");
  EXPECT_EQ(At(d, {"spec", "template"}), value("oops"));
  value s = parse("[1]");
  ApplyDefaults(TestType("io.k8s.api.apps.v1.Deployment"), s);
  EXPECT_EQ(s, parse("[1]"));
}

}  // namespace
}  // namespace skiff::api
