// Kubernetes' CEL authorizer library (k8s.io/apiserver/pkg/cel/library/authz.go):
//   authorizer.path(p) / authorizer.group(g).resource(r)[.subresource(s)][.namespace(n)][.name(n)]
//   then .check(verb) -> a decision with allowed(), reason(), errored(), error();
//   authorizer.serviceAccount(ns, name) checks as that ServiceAccount instead of the requester.
// The builders are immutable Opaque values whose text holds their fields as JSON; check() asks the
// Authorizer bound for the evaluation (CallContext::authorizer) and costs what kube charges for it.
#include <string>

#include "absl/strings/str_cat.h"
#include "api/cel/cel.h"
#include "api/cel/functions.h"
#include "base/json.h"
#include "boost/json.hpp"

namespace skiff::api::cel {
namespace {

namespace json = boost::json;
using K = Value::Kind;
using Args = std::vector<Value>;

constexpr const char* kAuthorizerType = "kubernetes.authorization.Authorizer";
constexpr const char* kPathCheckType = "kubernetes.authorization.PathCheck";
constexpr const char* kGroupCheckType = "kubernetes.authorization.GroupCheck";
constexpr const char* kResourceCheckType = "kubernetes.authorization.ResourceCheck";
constexpr const char* kDecisionType = "kubernetes.authorization.Decision";
// kube's cost of one authorization check (library/cost.go).
constexpr int64_t kCheckCost = 350000;

bool IsA(const Value& v, const char* type) { return v.is(K::kOpaque) && v.opaque_value().type == type; }

json::object Fields(const Value& v) {
  boost::system::error_code ec;
  json::value parsed = json::parse(v.opaque_value().text, ec);
  return parsed.is_object() ? parsed.get_object() : json::object{};
}

Value Make(const char* type, const json::object& fields) { return Value::OpaqueOf(type, json::serialize(fields)); }

// receiver.fn(string) on a builder of type `from`, giving a builder of type `to` with `field` set.
template <const char* const* kFrom, const char* const* kTo, const char* kField>
absl::StatusOr<Value> SetField(const Args& a, CallContext&) {
  if (!IsA(a[0], *kFrom) || !a[1].is(K::kString)) return NoSuchOverload(kField, a);
  json::object fields = Fields(a[0]);
  fields[kField] = a[1].string_value();
  return Make(*kTo, fields);
}

constexpr const char* const kAuthorizer = kAuthorizerType;
constexpr const char* const kPath = kPathCheckType;
constexpr const char* const kGroup = kGroupCheckType;
constexpr const char* const kResource = kResourceCheckType;
constexpr char kPathField[] = "path";
constexpr char kGroupField[] = "group";
constexpr char kResourceField[] = "resource";
constexpr char kSubresourceField[] = "subresource";
constexpr char kNamespaceField[] = "namespace";
constexpr char kNameField[] = "name";

absl::StatusOr<Value> ServiceAccount(const Args& a, CallContext&) {
  if (!IsA(a[0], kAuthorizerType) || !a[1].is(K::kString) || !a[2].is(K::kString)) {
    return NoSuchOverload("serviceAccount", a);
  }
  return Make(kAuthorizerType, {{"saNamespace", a[1].string_value()}, {"saName", a[2].string_value()}});
}

absl::StatusOr<Value> Check(const Args& a, CallContext& ctx) {
  bool is_path = IsA(a[0], kPathCheckType);
  if ((!is_path && !IsA(a[0], kResourceCheckType)) || !a[1].is(K::kString)) return NoSuchOverload("check", a);
  if (absl::Status s = ctx.cost->Charge(kCheckCost); !s.ok()) return s;
  if (ctx.authorizer == nullptr) return EvalError("no authorizer is available to this expression");
  json::object f = Fields(a[0]);
  json::value fields(std::move(f));
  AuthorizationCheck check;
  check.is_resource = !is_path;
  check.path = base::GetString(fields, {kPathField});
  check.group = base::GetString(fields, {kGroupField});
  check.resource = base::GetString(fields, {kResourceField});
  check.subresource = base::GetString(fields, {kSubresourceField});
  check.ns = base::GetString(fields, {kNamespaceField});
  check.name = base::GetString(fields, {kNameField});
  check.service_account_namespace = base::GetString(fields, {"saNamespace"});
  check.service_account_name = base::GetString(fields, {"saName"});
  check.verb = a[1].string_value();
  AuthorizationDecision d = ctx.authorizer->Check(check);
  return Make(kDecisionType, {{"decision", d.decision}, {"reason", d.reason}, {"error", d.error}});
}

enum class DecisionPart { kAllowed, kReason, kErrored, kError };

template <DecisionPart kPart>
absl::StatusOr<Value> DecisionGetter(const Args& a, CallContext&) {
  if (!IsA(a[0], kDecisionType)) return NoSuchOverload("decision getter", a);
  json::value fields(Fields(a[0]));
  switch (kPart) {
    case DecisionPart::kAllowed: return Value::Bool(base::GetString(fields, {"decision"}) == "allow");
    case DecisionPart::kReason: return Value::String(base::GetString(fields, {"reason"}));
    case DecisionPart::kErrored: return Value::Bool(!base::GetString(fields, {"error"}).empty());
    case DecisionPart::kError: return Value::String(base::GetString(fields, {"error"}));
  }
  return EvalError("unknown decision getter");
}

}  // namespace

Value AuthorizerValue() { return Make(kAuthorizerType, {}); }

void RegisterAuthzFunctions(FunctionRegistry& r) {
  r.Add({"path", true, 1, 1, SetField<&kAuthorizer, &kPath, kPathField>, K::kOpaque});
  r.Add({"group", true, 1, 1, SetField<&kAuthorizer, &kGroup, kGroupField>, K::kOpaque});
  r.Add({"resource", true, 1, 1, SetField<&kGroup, &kResource, kResourceField>, K::kOpaque});
  r.Add({"subresource", true, 1, 1, SetField<&kResource, &kResource, kSubresourceField>, K::kOpaque});
  r.Add({"namespace", true, 1, 1, SetField<&kResource, &kResource, kNamespaceField>, K::kOpaque});
  r.Add({"name", true, 1, 1, SetField<&kResource, &kResource, kNameField>, K::kOpaque});
  r.Add({"serviceAccount", true, 2, 2, ServiceAccount, K::kOpaque});
  r.Add({"check", true, 1, 1, Check, K::kOpaque});
  r.Add({"allowed", true, 0, 0, DecisionGetter<DecisionPart::kAllowed>, K::kOpaque});
  r.Add({"reason", true, 0, 0, DecisionGetter<DecisionPart::kReason>, K::kOpaque});
  r.Add({"errored", true, 0, 0, DecisionGetter<DecisionPart::kErrored>, K::kOpaque});
  r.Add({"error", true, 0, 0, DecisionGetter<DecisionPart::kError>, K::kOpaque});
}

}  // namespace skiff::api::cel
