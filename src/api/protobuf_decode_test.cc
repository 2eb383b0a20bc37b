#include "api/protobuf_decode.h"

#include <cstdint>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "base/json.h"
#include "google/protobuf/io/coded_stream.h"
#include "google/protobuf/io/zero_copy_stream_impl_lite.h"
#include "gtest/gtest.h"

namespace skiff::api {
namespace {

// Builds protobuf messages field by field, the way Go's generated marshalers lay them out.
class Pb {
 public:
  Pb& Str(int number, std::string_view value) {
    Write([&](google::protobuf::io::CodedOutputStream& out) {
      out.WriteTag(Tag(number, 2));
      out.WriteVarint32(static_cast<uint32_t>(value.size()));
      out.WriteRaw(value.data(), static_cast<int>(value.size()));
    });
    return *this;
  }
  Pb& Varint(int number, uint64_t value) {
    Write([&](google::protobuf::io::CodedOutputStream& out) {
      out.WriteTag(Tag(number, 0));
      out.WriteVarint64(value);
    });
    return *this;
  }
  Pb& Sub(int number, const Pb& message) { return Str(number, message.bytes()); }
  // map<string, string> entry.
  Pb& Entry(int number, std::string_view key, std::string_view value) {
    return Sub(number, Pb().Str(1, key).Str(2, value));
  }
  // Raw bytes appended as they are (for malformed input).
  Pb& Raw(std::string_view bytes) {
    bytes_.append(bytes);
    return *this;
  }
  const std::string& bytes() const { return bytes_; }

 private:
  static uint32_t Tag(int number, uint32_t wire) { return (static_cast<uint32_t>(number) << 3) | wire; }

  template <typename F>
  void Write(F&& f) {
    google::protobuf::io::StringOutputStream stream(&bytes_);
    google::protobuf::io::CodedOutputStream out(&stream);
    f(out);
  }

  std::string bytes_;
};

std::string Envelope(std::string_view api_version, std::string_view kind, const Pb& object) {
  return std::string("k8s\0", 4) +
         Pb().Sub(1, Pb().Str(1, api_version).Str(2, kind)).Sub(2, object).Str(3, "").Str(4, "").bytes();
}

boost::json::value Json(std::string_view text) {
  absl::StatusOr<boost::json::value> v = base::ParseJson(text);
  EXPECT_TRUE(v.ok()) << v.status();
  return v.ok() ? *v : boost::json::value();
}

void ExpectDecodes(const std::string& body, std::string_view expected_json) {
  absl::StatusOr<boost::json::value> got = DecodeKubernetesProtobuf(body);
  ASSERT_TRUE(got.ok()) << got.status();
  EXPECT_EQ(*got, Json(expected_json)) << "got: " << base::ToJson(*got);
}

// ObjectMeta as Go writes it: every non-pointer field, empty ones included.
Pb Meta(std::string_view name, std::string_view ns = "") {
  return Pb().Str(1, name).Str(2, "").Str(3, ns).Str(4, "").Str(5, "").Str(6, "").Varint(7, 0).Sub(
      8, Pb());  // zero creationTimestamp
}

TEST(ProtobufDecodeTest, DeploymentFromKubectlCreate) {
  // kubectl create deployment nginx --image=nginx:1.27 --replicas=2 --port=80
  Pb container = Pb().Str(1, "nginx")
                     .Str(2, "nginx:1.27")
                     .Str(5, "")
                     .Sub(6, Pb().Str(1, "").Varint(2, 0).Varint(3, 80).Str(4, "").Str(5, ""))
                     .Sub(8, Pb())
                     .Str(13, "")
                     .Str(14, "")
                     .Varint(16, 0)
                     .Varint(17, 0)
                     .Varint(18, 0)
                     .Str(20, "");
  Pb pod_spec = Pb().Sub(2, container)
                    .Str(3, "")
                    .Str(6, "")
                    .Str(8, "")
                    .Str(9, "")
                    .Str(10, "")
                    .Varint(11, 0)
                    .Varint(12, 0)
                    .Varint(13, 0)
                    .Str(16, "")
                    .Str(17, "")
                    .Str(19, "")
                    .Str(24, "");
  Pb template_spec = Pb().Sub(1, Meta("").Entry(11, "app", "nginx")).Sub(2, pod_spec);
  Pb spec = Pb().Varint(1, 2)
                .Sub(2, Pb().Entry(1, "app", "nginx"))
                .Sub(3, template_spec)
                .Sub(4, Pb().Str(1, ""))
                .Varint(5, 0)
                .Varint(7, 0);
  Pb status = Pb().Varint(1, 0).Varint(2, 0).Varint(3, 0).Varint(4, 0).Varint(5, 0).Varint(7, 0);
  Pb deployment = Pb().Sub(1, Meta("nginx").Entry(11, "app", "nginx")).Sub(2, spec).Sub(3, status);

  ExpectDecodes(Envelope("apps/v1", "Deployment", deployment), R"({
    "kind": "Deployment", "apiVersion": "apps/v1",
    "metadata": {"name": "nginx", "creationTimestamp": null, "labels": {"app": "nginx"}},
    "spec": {
      "replicas": 2,
      "selector": {"matchLabels": {"app": "nginx"}},
      "template": {
        "metadata": {"creationTimestamp": null, "labels": {"app": "nginx"}},
        "spec": {"containers": [{"name": "nginx", "image": "nginx:1.27",
                                 "ports": [{"containerPort": 80}], "resources": {}}]}
      },
      "strategy": {}
    },
    "status": {}
  })");
}

TEST(ProtobufDecodeTest, ZeroValuedPointerFieldsAreKept) {
  Pb spec = Pb().Varint(1, 0).Varint(6, 0);  // replicas: 0, revisionHistoryLimit: 0
  ExpectDecodes(Envelope("apps/v1", "Deployment", Pb().Sub(2, spec)),
                R"({"kind":"Deployment","apiVersion":"apps/v1",
                    "spec":{"replicas":0,"revisionHistoryLimit":0}})");
}

TEST(ProtobufDecodeTest, ConfigMapWithData) {
  Pb cm = Pb().Sub(1, Meta("settings", "default"))
              .Entry(2, "color", "blue")
              .Entry(2, "size", "")
              .Entry(3, "blob", std::string("\x01\x02", 2));
  ExpectDecodes(Envelope("v1", "ConfigMap", cm), R"({
    "kind": "ConfigMap", "apiVersion": "v1",
    "metadata": {"name": "settings", "namespace": "default", "creationTimestamp": null},
    "data": {"color": "blue", "size": ""},
    "binaryData": {"blob": "AQI="}
  })");
}

TEST(ProtobufDecodeTest, SecretBytesAreBase64) {
  Pb secret = Pb().Sub(1, Meta("creds"))
                  .Entry(2, "password", std::string("\0\xffhi", 4))
                  .Entry(2, "user", "admin")
                  .Str(3, "Opaque");
  ExpectDecodes(Envelope("v1", "Secret", secret), R"({
    "kind": "Secret", "apiVersion": "v1",
    "metadata": {"name": "creds", "creationTimestamp": null},
    "data": {"password": "AP9oaQ==", "user": "YWRtaW4="},
    "type": "Opaque"
  })");
}

TEST(ProtobufDecodeTest, ServiceWithIntOrStringTargetPorts) {
  auto port = [](std::string_view name, int port, Pb target) {
    return Pb().Str(1, name).Str(2, "TCP").Varint(3, port).Sub(4, target).Varint(5, 0);
  };
  Pb spec = Pb().Sub(1, port("web", 80, Pb().Varint(1, 0).Varint(2, 8080).Str(3, "")))
                .Sub(1, port("admin", 81, Pb().Varint(1, 1).Varint(2, 0).Str(3, "http")))
                .Sub(1, port("same", 82, Pb().Varint(1, 0).Varint(2, 0).Str(3, "")))
                .Entry(2, "app", "web")
                .Str(3, "")
                .Str(4, "NodePort")
                .Str(7, "")
                .Sub(14, Pb().Sub(1, Pb().Varint(1, 10800)));
  Pb service = Pb().Sub(1, Meta("web")).Sub(2, spec).Sub(3, Pb().Sub(1, Pb()));
  ExpectDecodes(Envelope("v1", "Service", service), R"({
    "kind": "Service", "apiVersion": "v1",
    "metadata": {"name": "web", "creationTimestamp": null},
    "spec": {
      "ports": [
        {"name": "web", "protocol": "TCP", "port": 80, "targetPort": 8080},
        {"name": "admin", "protocol": "TCP", "port": 81, "targetPort": "http"},
        {"name": "same", "protocol": "TCP", "port": 82}
      ],
      "selector": {"app": "web"},
      "type": "NodePort",
      "sessionAffinityConfig": {"clientIP": {"timeoutSeconds": 10800}}
    },
    "status": {"loadBalancer": {}}
  })");
}

TEST(ProtobufDecodeTest, Namespace) {
  Pb ns = Pb().Sub(1, Meta("team-a")).Sub(2, Pb()).Sub(3, Pb().Str(1, ""));
  ExpectDecodes(Envelope("v1", "Namespace", ns), R"({
    "kind": "Namespace", "apiVersion": "v1",
    "metadata": {"name": "team-a", "creationTimestamp": null}, "spec": {}, "status": {}
  })");
}

TEST(ProtobufDecodeTest, JobFromCronJobWithOwnerAndTimes) {
  // kubectl create job run-1 --from=cronjob/nightly
  Pb owner = Pb().Str(1, "CronJob").Str(3, "nightly").Str(4, "uid-1").Str(5, "batch/v1").Varint(6, 1);
  Pb meta = Pb().Str(1, "run-1")
                .Str(3, "default")
                .Sub(8, Pb().Varint(1, 1700000000).Varint(2, 123))
                .Entry(12, "cronjob.kubernetes.io/instantiate", "manual")
                .Sub(13, owner);
  Pb container =
      Pb().Str(1, "worker")
          .Str(2, "busybox")
          .Str(3, "sh")
          .Str(3, "-c")
          .Str(3, "date")
          .Sub(8, Pb().Sub(1, Pb().Str(1, "cpu").Sub(2, Pb().Str(1, "500m"))))
          .Sub(10, Pb().Sub(1, Pb().Sub(2, Pb().Str(1, "/healthz").Sub(2, Pb().Varint(1, 0).Varint(2, 8080))))
                       .Varint(2, 5));
  Pb volume = Pb().Str(1, "cfg").Sub(2, Pb().Sub(19, Pb().Sub(1, Pb().Str(1, "settings")).Varint(3, 420)));
  Pb pod_spec = Pb().Sub(1, volume)
                    .Sub(2, container)
                    .Str(3, "Never")
                    .Varint(25, static_cast<uint64_t>(int64_t{-5}))  // int32 as 10-byte varint
                    .Sub(14, Pb().Str(4, std::string("\x0a\x0b", 2)).Varint(5, 2000));
  Pb spec = Pb().Varint(7, 6).Sub(6, Pb().Sub(1, Pb().Sub(8, Pb())).Sub(2, pod_spec)).Varint(8, 0);
  Pb job = Pb().Sub(1, meta).Sub(2, spec).Sub(3, Pb().Varint(4, 0));
  ExpectDecodes(Envelope("batch/v1", "Job", job), R"({
    "kind": "Job", "apiVersion": "batch/v1",
    "metadata": {
      "name": "run-1", "namespace": "default", "creationTimestamp": "2023-11-14T22:13:20Z",
      "annotations": {"cronjob.kubernetes.io/instantiate": "manual"},
      "ownerReferences": [{"kind": "CronJob", "name": "nightly", "uid": "uid-1",
                           "apiVersion": "batch/v1", "controller": true}]
    },
    "spec": {
      "backoffLimit": 6,
      "template": {
        "metadata": {"creationTimestamp": null},
        "spec": {
          "volumes": [{"name": "cfg", "configMap": {"name": "settings", "defaultMode": 420}}],
          "containers": [{
            "name": "worker", "image": "busybox", "command": ["sh", "-c", "date"],
            "resources": {"limits": {"cpu": "500m"}},
            "livenessProbe": {"httpGet": {"path": "/healthz", "port": 8080},
                              "initialDelaySeconds": 5}
          }],
          "restartPolicy": "Never",
          "priority": -5,
          "securityContext": {"supplementalGroups": [10, 11], "fsGroup": 2000}
        }
      },
      "ttlSecondsAfterFinished": 0
    },
    "status": {}
  })");
}

TEST(ProtobufDecodeTest, DeleteOptionsFromDrainFallback) {
  Pb options = Pb().Varint(1, 0).Sub(2, Pb().Str(1, "pod-uid")).Str(4, "Background").Str(5, "All");
  ExpectDecodes(Envelope("v1", "DeleteOptions", options), R"({
    "kind": "DeleteOptions", "apiVersion": "v1",
    "gracePeriodSeconds": 0, "preconditions": {"uid": "pod-uid"},
    "propagationPolicy": "Background", "dryRun": ["All"]
  })");
}

TEST(ProtobufDecodeTest, ManagedFieldsKeepTheirJson) {
  Pb entry = Pb().Str(1, "kubectl-create")
                 .Str(2, "Update")
                 .Sub(4, Pb().Varint(1, 1700000000))
                 .Str(6, "FieldsV1")
                 .Sub(7, Pb().Str(1, R"({"f:data":{".":{}}})"));
  Pb cm = Pb().Sub(1, Pb().Str(1, "x").Sub(17, entry));
  ExpectDecodes(Envelope("v1", "ConfigMap", cm), R"({
    "kind": "ConfigMap", "apiVersion": "v1",
    "metadata": {"name": "x", "managedFields": [{
      "manager": "kubectl-create", "operation": "Update", "time": "2023-11-14T22:13:20Z",
      "fieldsType": "FieldsV1", "fieldsV1": {"f:data": {".": {}}}}]}
  })");
}

TEST(ProtobufDecodeTest, RbacAndPriorityClass) {
  Pb rule = Pb().Str(1, "get").Str(1, "list").Str(2, "").Str(3, "pods");
  ExpectDecodes(
      Envelope("rbac.authorization.k8s.io/v1", "Role", Pb().Sub(1, Pb().Str(1, "reader")).Sub(2, rule)),
      R"({"kind":"Role","apiVersion":"rbac.authorization.k8s.io/v1",
                    "metadata":{"name":"reader"},
                    "rules":[{"verbs":["get","list"],"apiGroups":[""],"resources":["pods"]}]})");
  Pb binding = Pb().Sub(1, Pb().Str(1, "b"))
                   .Sub(2, Pb().Str(1, "ServiceAccount").Str(2, "").Str(3, "sa").Str(4, "ns"))
                   .Sub(3, Pb().Str(1, "rbac.authorization.k8s.io").Str(2, "Role").Str(3, "r"));
  ExpectDecodes(Envelope("rbac.authorization.k8s.io/v1", "RoleBinding", binding), R"({
    "kind": "RoleBinding", "apiVersion": "rbac.authorization.k8s.io/v1", "metadata": {"name": "b"},
    "subjects": [{"kind": "ServiceAccount", "name": "sa", "namespace": "ns"}],
    "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": "r"}
  })");
  ExpectDecodes(Envelope("scheduling.k8s.io/v1", "PriorityClass",
                         Pb().Sub(1, Pb().Str(1, "low")).Varint(2, 0).Varint(3, 0).Str(4, "")),
                R"({"kind":"PriorityClass","apiVersion":"scheduling.k8s.io/v1",
                    "metadata":{"name":"low"},"value":0})");
}

TEST(ProtobufDecodeTest, NetworkPolicyAndIngressClass) {
  Pb port = Pb().Str(1, "TCP").Sub(2, Pb().Varint(1, 0).Varint(2, 32000).Str(3, "")).Varint(3, 32768);
  Pb block = Pb().Str(1, "10.0.0.0/8").Str(2, "10.1.0.0/16");
  Pb peer = Pb().Sub(3, block);
  Pb ingress_rule = Pb().Sub(1, port).Sub(2, peer).Sub(2, Pb().Sub(1, Pb().Entry(1, "app", "web")));
  Pb egress_rule = Pb().Sub(1, Pb().Str(1, "UDP").Sub(2, Pb().Varint(1, 1).Varint(2, 0).Str(3, "dns")));
  Pb spec = Pb().Sub(1, Pb()).Sub(2, ingress_rule).Sub(3, egress_rule).Str(4, "Ingress").Str(4, "Egress");
  ExpectDecodes(
      Envelope("networking.k8s.io/v1", "NetworkPolicy", Pb().Sub(1, Pb().Str(1, "db")).Sub(2, spec)), R"({
    "kind": "NetworkPolicy", "apiVersion": "networking.k8s.io/v1", "metadata": {"name": "db"},
    "spec": {
      "podSelector": {},
      "ingress": [{"ports": [{"protocol": "TCP", "port": 32000, "endPort": 32768}],
                   "from": [{"ipBlock": {"cidr": "10.0.0.0/8", "except": ["10.1.0.0/16"]}},
                            {"podSelector": {"matchLabels": {"app": "web"}}}]}],
      "egress": [{"ports": [{"protocol": "UDP", "port": "dns"}]}],
      "policyTypes": ["Ingress", "Egress"]
    }
  })");
  Pb parameters =
      Pb().Str(1, "k8s.example.com").Str(2, "Params").Str(3, "p").Str(4, "Namespace").Str(5, "infra");
  ExpectDecodes(
      Envelope("networking.k8s.io/v1", "IngressClass",
               Pb().Sub(1, Pb().Str(1, "edge")).Sub(2, Pb().Str(1, "skiff.dev/ingress").Sub(2, parameters))),
      R"({"kind": "IngressClass", "apiVersion": "networking.k8s.io/v1", "metadata": {"name": "edge"},
                    "spec": {"controller": "skiff.dev/ingress",
                             "parameters": {"apiGroup": "k8s.example.com", "kind": "Params", "name": "p",
                                            "scope": "Namespace", "namespace": "infra"}}})");
}

TEST(ProtobufDecodeTest, UnknownKindIsUnimplemented) {
  absl::StatusOr<boost::json::value> got =
      DecodeKubernetesProtobuf(Envelope("apps/v1", "StatefulSet", Pb().Sub(1, Meta("x"))));
  EXPECT_EQ(got.status().code(), absl::StatusCode::kUnimplemented);
  EXPECT_NE(got.status().message().find("StatefulSet"), std::string_view::npos);
}

TEST(ProtobufDecodeTest, UndescribedFieldsAreSkippedOnlyWhenEmpty) {
  // Field 99 of ObjectMeta is unknown: a zero value is what Go writes for unset fields.
  ExpectDecodes(Envelope("v1", "Namespace", Pb().Sub(1, Pb().Str(1, "a").Varint(99, 0).Str(98, ""))),
                R"({"kind":"Namespace","apiVersion":"v1","metadata":{"name":"a"}})");
  // A gcePersistentDisk volume (VolumeSource field 3) carries data skiff would lose.
  Pb volume = Pb().Str(1, "disk").Sub(2, Pb().Sub(3, Pb().Str(1, "pd-1")));
  Pb pod = Pb().Sub(2, Pb().Sub(1, volume));
  absl::StatusOr<boost::json::value> got = DecodeKubernetesProtobuf(Envelope("v1", "Pod", pod));
  EXPECT_EQ(got.status().code(), absl::StatusCode::kUnimplemented);
  EXPECT_NE(got.status().message().find("Pod.spec.volumes"), std::string_view::npos) << got.status();
}

absl::StatusCode CodeOf(const std::string& body) { return DecodeKubernetesProtobuf(body).status().code(); }

TEST(ProtobufDecodeTest, MalformedInputIsInvalidArgument) {
  const Pb ns = Pb().Sub(1, Meta("a"));
  EXPECT_EQ(CodeOf(""), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(CodeOf("k8s"), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(CodeOf("{\"kind\":\"Namespace\"}"), absl::StatusCode::kInvalidArgument);
  std::string wrong_magic = Envelope("v1", "Namespace", ns);
  wrong_magic[2] = 'X';
  EXPECT_EQ(CodeOf(wrong_magic), absl::StatusCode::kInvalidArgument);
  // Truncated varint: replicas tag followed by a continuation byte and nothing else.
  EXPECT_EQ(CodeOf(Envelope("apps/v1", "Deployment", Pb().Sub(2, Pb().Raw("\x08\x80")))),
            absl::StatusCode::kInvalidArgument);
  // Wrong wire type: metadata (a message) sent as a varint.
  EXPECT_EQ(CodeOf(Envelope("v1", "Namespace", Pb().Varint(1, 7))), absl::StatusCode::kInvalidArgument);
  // Wrong wire type: name (a string) sent as a varint.
  EXPECT_EQ(CodeOf(Envelope("v1", "Namespace", Pb().Sub(1, Pb().Varint(1, 7)))),
            absl::StatusCode::kInvalidArgument);
  // Nested length running past its parent.
  EXPECT_EQ(CodeOf(Envelope("v1", "Namespace",
                            Pb().Raw("\x0a\x05\x0a\x09"
                                     "abc"))),
            absl::StatusCode::kInvalidArgument);
  // Field number 0 and group wire types.
  EXPECT_EQ(CodeOf(Envelope("v1", "Namespace", Pb().Raw(std::string_view("\x00\x01", 2)))),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(CodeOf(Envelope("v1", "Namespace", Pb().Raw("\x0b"))), absl::StatusCode::kInvalidArgument);
  // Time beyond year 9999, IntOrString with an unknown type, empty quantity, bad fieldsV1.
  EXPECT_EQ(CodeOf(Envelope("v1", "Namespace", Pb().Sub(1, Pb().Sub(8, Pb().Varint(1, uint64_t{1} << 40))))),
            absl::StatusCode::kInvalidArgument);
  Pb bad_port = Pb().Sub(1, Pb().Varint(3, 80).Sub(4, Pb().Varint(1, 7)));
  EXPECT_EQ(CodeOf(Envelope("v1", "Service", Pb().Sub(2, bad_port))), absl::StatusCode::kInvalidArgument);
  Pb empty_qty = Pb().Sub(2, Pb().Sub(1, Pb().Str(1, "cpu").Sub(2, Pb())));
  EXPECT_EQ(CodeOf(Envelope("v1", "ResourceQuota", empty_qty)), absl::StatusCode::kInvalidArgument);
  Pb bad_fields = Pb().Sub(1, Pb().Sub(17, Pb().Sub(7, Pb().Str(1, "{oops"))));
  EXPECT_EQ(CodeOf(Envelope("v1", "ConfigMap", bad_fields)), absl::StatusCode::kInvalidArgument);
  // An envelope without a kind.
  EXPECT_EQ(CodeOf(std::string("k8s\0", 4) + Pb().Sub(2, ns).bytes()), absl::StatusCode::kInvalidArgument);
}

TEST(ProtobufDecodeTest, EveryTruncationFailsCleanly) {
  const std::string body =
      Envelope("apps/v1", "Deployment",
               Pb().Sub(1, Meta("nginx").Entry(11, "app", "nginx"))
                   .Sub(2, Pb().Varint(1, 3).Sub(3, Pb().Sub(2, Pb().Sub(2, Pb().Str(1, "c").Str(2, "i"))))));
  ASSERT_TRUE(DecodeKubernetesProtobuf(body).ok());
  for (size_t n = 0; n < body.size(); ++n) {
    absl::StatusOr<boost::json::value> got = DecodeKubernetesProtobuf(body.substr(0, n));
    // A cut between envelope fields can still be a valid (shorter) message.
    if (!got.ok()) {
      EXPECT_EQ(got.status().code(), absl::StatusCode::kInvalidArgument) << n << got.status();
    }
  }
}

}  // namespace
}  // namespace skiff::api
