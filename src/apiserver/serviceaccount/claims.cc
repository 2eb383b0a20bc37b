#include "apiserver/serviceaccount/claims.h"

#include "absl/strings/str_cat.h"
#include "boost/json.hpp"

namespace skiff::apiserver::serviceaccount {
namespace {

namespace json = boost::json;

json::object RefJson(const ObjectRef& ref) {
  json::object out;
  if (!ref.name.empty()) out["name"] = ref.name;
  if (!ref.uid.empty()) out["uid"] = ref.uid;
  return out;
}

absl::Status Malformed(const std::string& claim) {
  return absl::UnauthenticatedError(absl::StrCat("token claim ", claim, " is malformed"));
}

std::string StringOr(const json::object& o, const char* key) {
  const json::value* v = o.if_contains(key);
  return v && v->is_string() ? std::string(v->get_string()) : std::string();
}

// NumericDate: seconds since the epoch, integral or not.
absl::StatusOr<absl::Time> Date(const json::object& o, const char* key, bool required) {
  const json::value* v = o.if_contains(key);
  if (!v) {
    if (required) return Malformed(key);
    return absl::InfinitePast();
  }
  if (v->is_int64()) return absl::FromUnixSeconds(v->get_int64());
  if (v->is_uint64()) return absl::FromUnixSeconds(static_cast<int64_t>(v->get_uint64()));
  if (v->is_double()) return absl::FromUnixMicros(static_cast<int64_t>(v->get_double() * 1e6));
  return Malformed(key);
}

absl::StatusOr<std::optional<ObjectRef>> Ref(const json::object& k8s, const char* key) {
  const json::value* v = k8s.if_contains(key);
  if (!v || v->is_null()) return std::optional<ObjectRef>();
  if (!v->is_object()) return Malformed(absl::StrCat("kubernetes.io.", key));
  return std::optional<ObjectRef>(ObjectRef{StringOr(v->get_object(), "name"), StringOr(v->get_object(), "uid")});
}

}  // namespace

std::string ServiceAccountUserName(const std::string& ns, const std::string& name) {
  return absl::StrCat("system:serviceaccount:", ns, ":", name);
}

std::string TokenClaims::Subject() const { return ServiceAccountUserName(ns, service_account.name); }

json::object TokenClaims::ToJson() const {
  json::object k8s;
  if (!ns.empty()) k8s["namespace"] = ns;
  if (node) k8s["node"] = RefJson(*node);
  if (pod) k8s["pod"] = RefJson(*pod);
  if (secret) k8s["secret"] = RefJson(*secret);
  k8s["serviceaccount"] = RefJson(service_account);
  if (warn_after) k8s["warnafter"] = absl::ToUnixSeconds(*warn_after);
  json::object out;
  if (audiences.size() == 1) {
    out["aud"] = audiences[0];
  } else {
    json::array aud;
    for (const auto& a : audiences) aud.emplace_back(a);
    out["aud"] = std::move(aud);
  }
  out["exp"] = absl::ToUnixSeconds(expiry);
  out["iat"] = absl::ToUnixSeconds(issued_at);
  out["iss"] = issuer;
  if (!id.empty()) out["jti"] = id;
  out["kubernetes.io"] = std::move(k8s);
  out["nbf"] = absl::ToUnixSeconds(not_before);
  out["sub"] = Subject();
  return out;
}

absl::StatusOr<TokenClaims> TokenClaims::FromJson(const json::object& claims) {
  TokenClaims out;
  out.issuer = StringOr(claims, "iss");
  if (const json::value* aud = claims.if_contains("aud")) {
    if (aud->is_string()) {
      out.audiences.emplace_back(aud->get_string());
    } else if (aud->is_array()) {
      for (const auto& a : aud->get_array()) {
        if (!a.is_string()) return Malformed("aud");
        out.audiences.emplace_back(a.get_string());
      }
    } else {
      return Malformed("aud");
    }
  }
  auto exp = Date(claims, "exp", /*required=*/true);
  if (!exp.ok()) return exp.status();
  out.expiry = *exp;
  auto iat = Date(claims, "iat", false);
  if (!iat.ok()) return iat.status();
  out.issued_at = *iat;
  auto nbf = Date(claims, "nbf", false);
  if (!nbf.ok()) return nbf.status();
  out.not_before = *nbf;
  out.id = StringOr(claims, "jti");
  const json::value* k8s_value = claims.if_contains("kubernetes.io");
  if (!k8s_value || !k8s_value->is_object()) return Malformed("kubernetes.io");
  const json::object& k8s = k8s_value->get_object();
  out.ns = StringOr(k8s, "namespace");
  auto sa = Ref(k8s, "serviceaccount");
  if (!sa.ok()) return sa.status();
  if (!*sa || (*sa)->name.empty() || (*sa)->uid.empty() || out.ns.empty()) {
    return absl::UnauthenticatedError("token does not name a namespace and service account");
  }
  out.service_account = **sa;
  for (auto [key, field] : {std::pair{"pod", &out.pod}, {"secret", &out.secret}, {"node", &out.node}}) {
    auto ref = Ref(k8s, key);
    if (!ref.ok()) return ref.status();
    *field = *ref;
  }
  if (k8s.contains("warnafter")) {
    auto warn = Date(k8s, "warnafter", true);
    if (!warn.ok()) return warn.status();
    out.warn_after = *warn;
  }
  if (StringOr(claims, "sub") != out.Subject()) return Malformed("sub");
  return out;
}

}  // namespace skiff::apiserver::serviceaccount
