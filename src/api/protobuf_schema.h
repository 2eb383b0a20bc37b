// Table-driven descriptions of the Kubernetes protobuf messages (k8s.io/api and apimachinery
// generated.proto, v0.32) that skiff decodes: for each message, field number -> JSON name, value
// kind and, for nested messages, the nested description. protobuf_decode.cc walks these tables.
//
// Thread-safety: all tables are immutable constants, constant-initialized; safe from any thread.
// Ownership: everything is static storage; pointers returned stay valid for the program's life.
// Failure: lookups return nullptr when a message or kind is not described.
#ifndef SKIFF_API_PROTOBUF_SCHEMA_H_
#define SKIFF_API_PROTOBUF_SCHEMA_H_

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace skiff::api {

// How a field's wire value becomes JSON.
enum class ProtoKind : uint8_t {
  kString,
  kInt32,
  kInt64,
  kBool,
  kBytes,        // base64 string, as Go's encoding/json writes []byte
  kMessage,      // nested message -> JSON object
  kInline,       // Go embedded struct (`json:",inline"`): its fields land in the parent object
  kTime,         // meta/v1 Time {seconds 1, nanos 2} -> "2006-01-02T15:04:05Z" or null when zero
  kMicroTime,    // meta/v1 MicroTime -> "2006-01-02T15:04:05.000000Z"
  kQuantity,     // resource.Quantity {string 1} -> string
  kIntOrString,  // intstr.IntOrString {type 1, intVal 2, strVal 3} -> number or string
  kFieldsV1,     // meta/v1 FieldsV1 {Raw bytes 1} holding JSON -> that JSON value
  kStringMap,    // map<string, string>: repeated entry {key 1, value 2}
  kBytesMap,     // map<string, bytes> -> values base64
  kQuantityMap,  // map<string, Quantity>
};

// Field flags.
inline constexpr uint8_t kProtoRepeated = 1;
// Go field is a pointer or lacks `omitempty`: a zero value present on the wire is kept in JSON.
// Without it, zero scalars (0, "", false) are dropped, as `omitempty` does for Go value fields.
inline constexpr uint8_t kProtoKeepZero = 2;

struct ProtoMessage;

struct ProtoField {
  int number;
  std::string_view json_name;
  ProtoKind kind;
  uint8_t flags;
  const ProtoMessage* message;  // kMessage / kInline only
};

struct ProtoMessage {
  std::string_view name;
  const ProtoField* fields;
  size_t field_count;

  // The field with this number, or nullptr.
  const ProtoField* Find(int number) const {
    for (size_t i = 0; i < field_count; ++i) {
      if (fields[i].number == number) return &fields[i];
    }
    return nullptr;
  }
};

// The top-level message for an object of `kind` in `api_version` (e.g. "apps/v1", "Deployment"),
// or nullptr when skiff has no description for it. DeleteOptions is accepted in any version.
const ProtoMessage* FindProtoMessageForKind(std::string_view api_version, std::string_view kind);

// Messages shared between the schema files.
extern const ProtoMessage kProtoObjectMeta;
extern const ProtoMessage kProtoLabelSelector;
extern const ProtoMessage kProtoDeleteOptions;
extern const ProtoMessage kProtoMetaCondition;
extern const ProtoMessage kProtoObjectReference;
extern const ProtoMessage kProtoTypedLocalObjectReference;
extern const ProtoMessage kProtoPodTemplateSpec;
// Core kinds.
extern const ProtoMessage kProtoPod;
extern const ProtoMessage kProtoNamespace;
extern const ProtoMessage kProtoConfigMap;
extern const ProtoMessage kProtoSecret;
extern const ProtoMessage kProtoService;
extern const ProtoMessage kProtoServiceAccount;
extern const ProtoMessage kProtoResourceQuota;
// Kinds of named groups.
extern const ProtoMessage kProtoDeployment;
extern const ProtoMessage kProtoReplicaSet;
extern const ProtoMessage kProtoDaemonSet;
extern const ProtoMessage kProtoJob;
extern const ProtoMessage kProtoCronJob;
extern const ProtoMessage kProtoRole;
extern const ProtoMessage kProtoClusterRole;
extern const ProtoMessage kProtoRoleBinding;
extern const ProtoMessage kProtoClusterRoleBinding;
extern const ProtoMessage kProtoPriorityClass;
extern const ProtoMessage kProtoSelfSubjectAccessReview;
extern const ProtoMessage kProtoSelfSubjectRulesReview;
extern const ProtoMessage kProtoSelfSubjectReview;
extern const ProtoMessage kProtoTokenRequest;
extern const ProtoMessage kProtoCertificateSigningRequest;
extern const ProtoMessage kProtoPodDisruptionBudget;
extern const ProtoMessage kProtoEviction;
extern const ProtoMessage kProtoIngress;
extern const ProtoMessage kProtoIngressClass;
extern const ProtoMessage kProtoNetworkPolicy;
extern const ProtoMessage kProtoScale;
extern const ProtoMessage kProtoHorizontalPodAutoscalerV1;

// Terse constructors for the schema tables (used only by protobuf_schema_*.cc).
namespace proto_table {

inline constexpr uint8_t kRep = kProtoRepeated;
inline constexpr uint8_t kKeep = kProtoKeepZero;

constexpr ProtoField Str(int n, std::string_view json, uint8_t flags = 0) {
  return {n, json, ProtoKind::kString, flags, nullptr};
}
constexpr ProtoField Int32(int n, std::string_view json, uint8_t flags = 0) {
  return {n, json, ProtoKind::kInt32, flags, nullptr};
}
constexpr ProtoField Int64(int n, std::string_view json, uint8_t flags = 0) {
  return {n, json, ProtoKind::kInt64, flags, nullptr};
}
constexpr ProtoField Bool(int n, std::string_view json, uint8_t flags = 0) {
  return {n, json, ProtoKind::kBool, flags, nullptr};
}
constexpr ProtoField Msg(int n, std::string_view json, const ProtoMessage& m, uint8_t flags = 0) {
  return {n, json, ProtoKind::kMessage, flags, &m};
}
constexpr ProtoField Inline(int n, const ProtoMessage& m) { return {n, "", ProtoKind::kInline, 0, &m}; }
constexpr ProtoField Time(int n, std::string_view json) { return {n, json, ProtoKind::kTime, 0, nullptr}; }
constexpr ProtoField MicroTime(int n, std::string_view json) {
  return {n, json, ProtoKind::kMicroTime, 0, nullptr};
}
constexpr ProtoField Qty(int n, std::string_view json) { return {n, json, ProtoKind::kQuantity, 0, nullptr}; }
constexpr ProtoField IntStr(int n, std::string_view json, uint8_t flags = 0) {
  return {n, json, ProtoKind::kIntOrString, flags, nullptr};
}
constexpr ProtoField FieldsV1(int n, std::string_view json) {
  return {n, json, ProtoKind::kFieldsV1, 0, nullptr};
}
constexpr ProtoField StrMap(int n, std::string_view json) {
  return {n, json, ProtoKind::kStringMap, 0, nullptr};
}
constexpr ProtoField Bytes(int n, std::string_view json, uint8_t flags = 0) {
  return {n, json, ProtoKind::kBytes, flags, nullptr};
}
constexpr ProtoField BytesMap(int n, std::string_view json) {
  return {n, json, ProtoKind::kBytesMap, 0, nullptr};
}
constexpr ProtoField QtyMap(int n, std::string_view json) {
  return {n, json, ProtoKind::kQuantityMap, 0, nullptr};
}
template <size_t N>
constexpr ProtoMessage Message(std::string_view name, const ProtoField (&fields)[N]) {
  return {name, fields, N};
}

}  // namespace proto_table
}  // namespace skiff::api

#endif  // SKIFF_API_PROTOBUF_SCHEMA_H_
