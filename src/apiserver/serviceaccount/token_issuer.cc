#include "apiserver/serviceaccount/token_issuer.h"

#include <algorithm>
#include <optional>

#include "absl/strings/str_cat.h"
#include "api/errors.h"
#include "api/uid.h"
#include "apiserver/serviceaccount/jws.h"
#include "base/json.h"
#include "boost/json.hpp"

namespace skiff::apiserver::serviceaccount {
namespace {

namespace json = boost::json;

constexpr char kGroup[] = "authentication.k8s.io";
constexpr char kKind[] = "TokenRequest";
constexpr int64_t kDefaultExpirationSeconds = 60 * 60;
constexpr int64_t kMinExpirationSeconds = 10 * 60;
constexpr int64_t kMaxExpirationSeconds = int64_t{1} << 32;

absl::Status Invalid(const std::string& name, const std::string& field, const std::string& message) {
  return api::InvalidError(kGroup, kKind, name, {{"FieldValueInvalid", message, field}});
}

// The parts of a TokenRequest spec the server reads.
struct Spec {
  std::vector<std::string> audiences;
  int64_t expiration_seconds = kDefaultExpirationSeconds;
  std::optional<json::object> bound_ref;
};

absl::StatusOr<Spec> ParseSpec(const json::value& request) {
  Spec spec;
  const json::value* raw = base::Find(request, "spec");
  if (!raw || raw->is_null()) return spec;
  if (!raw->is_object()) return api::BadRequestError("TokenRequest.spec must be an object");
  const json::object& s = raw->get_object();
  if (const json::value* aud = s.if_contains("audiences"); aud && !aud->is_null()) {
    if (!aud->is_array()) return api::BadRequestError("TokenRequest.spec.audiences must be a list of strings");
    for (const auto& a : aud->get_array()) {
      if (!a.is_string()) return api::BadRequestError("TokenRequest.spec.audiences must be a list of strings");
      spec.audiences.emplace_back(a.get_string());
    }
  }
  if (const json::value* exp = s.if_contains("expirationSeconds"); exp && !exp->is_null()) {
    if (!exp->is_int64()) {
      return api::BadRequestError("TokenRequest.spec.expirationSeconds must be an integer (int64)");
    }
    spec.expiration_seconds = exp->get_int64();
  }
  if (const json::value* ref = s.if_contains("boundObjectRef"); ref && !ref->is_null()) {
    if (!ref->is_object()) return api::BadRequestError("TokenRequest.spec.boundObjectRef must be an object");
    spec.bound_ref = ref->get_object();
  }
  return spec;
}

ObjectRef RefOf(const json::value& obj) {
  return {base::GetString(obj, {"metadata", "name"}), base::GetString(obj, {"metadata", "uid"})};
}

// The group of an apiVersion ("v1" -> "", "apps/v1" -> "apps").
std::string GroupOf(const std::string& api_version) {
  auto slash = api_version.find('/');
  return slash == std::string::npos ? "" : api_version.substr(0, slash);
}

std::string VersionOf(const std::string& api_version) {
  auto slash = api_version.find('/');
  return slash == std::string::npos ? api_version : api_version.substr(slash + 1);
}

}  // namespace

TokenIssuer::TokenIssuer(const SigningKey* key, TokenIssuerOptions options, const ObjectReader* objects,
                         const base::Clock* clock)
    : key_(key), options_(std::move(options)), objects_(objects), clock_(clock) {}

absl::StatusOr<std::string> TokenIssuer::Sign(TokenClaims claims) const {
  claims.issuer = options_.issuer;
  return SignJws(claims.ToJson(), *key_);
}

absl::StatusOr<json::object> TokenIssuer::CreateToken(const std::string& ns, const std::string& name,
                                                      const json::value& request,
                                                      std::vector<std::string>* warnings) const {
  if (!request.is_object()) return api::BadRequestError("the body of the request must be a TokenRequest object");
  std::string kind = base::GetString(request, {"kind"});
  std::string api_version = base::GetString(request, {"apiVersion"});
  if ((!kind.empty() && kind != kKind) || (!api_version.empty() && api_version != "authentication.k8s.io/v1")) {
    return api::BadRequestError(absl::StrCat("the body of the request must be an authentication.k8s.io/v1 ",
                                             "TokenRequest, got ", api_version, " ", kind));
  }
  json::object meta;
  if (const json::value* m = base::Find(request, "metadata"); m && m->is_object()) meta = m->get_object();
  std::string req_name = base::GetString(request, {"metadata", "name"});
  std::string req_ns = base::GetString(request, {"metadata", "namespace"});
  if (!req_name.empty() && req_name != name) {
    return Invalid(name, "metadata.name",
                   absl::StrCat("Invalid value: \"", req_name, "\": must match the service account name if specified"));
  }
  if (!req_ns.empty() && req_ns != ns) {
    return Invalid(name, "metadata.namespace",
                   absl::StrCat("Invalid value: \"", req_ns,
                                "\": must match the service account namespace if specified"));
  }
  auto spec = ParseSpec(request);
  if (!spec.ok()) return spec.status();

  auto account = objects_->Get("serviceaccounts", ns, name);
  if (!account.ok()) return account.status();
  if (spec->audiences.empty()) spec->audiences = options_.api_audiences;
  absl::Time now = clock_->Now();

  if (spec->expiration_seconds < kMinExpirationSeconds) {
    return Invalid("", "spec.expirationSeconds",
                   absl::StrCat("Invalid value: ", spec->expiration_seconds,
                                ": may not specify a duration less than 10 minutes"));
  }
  if (spec->expiration_seconds > kMaxExpirationSeconds) {
    return Invalid("", "spec.expirationSeconds",
                   absl::StrCat("Invalid value: ", spec->expiration_seconds,
                                ": may not specify a duration larger than 2^32 seconds"));
  }

  TokenClaims claims;
  claims.ns = ns;
  claims.service_account = RefOf(*account);
  if (spec->bound_ref) {
    json::value ref(*spec->bound_ref);
    std::string ref_kind = base::GetString(ref, {"kind"});
    std::string ref_version = base::GetString(ref, {"apiVersion"});
    std::string ref_name = base::GetString(ref, {"name"});
    std::string ref_uid = base::GetString(ref, {"uid"});
    std::string group = GroupOf(ref_version);
    std::string resource;
    if (group.empty() && ref_kind == "Pod") resource = "pods";
    if (group.empty() && ref_kind == "Secret") resource = "secrets";
    if (group.empty() && ref_kind == "Node") resource = "nodes";
    if (resource.empty()) {
      return api::BadRequestError(absl::StrCat("cannot bind token to object of type ", group, "/",
                                               VersionOf(ref_version), ", Kind=", ref_kind));
    }
    if (ref_name.empty()) return api::BadRequestError("resource name may not be empty");
    auto bound = objects_->Get(resource, resource == "nodes" ? "" : ns, ref_name);
    if (!bound.ok()) return bound.status();
    ObjectRef bound_ref = RefOf(*bound);
    if (resource == "pods") {
      // The ServiceAccount admission defaults an empty serviceAccountName to "default".
      std::string pod_account = base::GetString(*bound, {"spec", "serviceAccountName"});
      if (pod_account.empty()) pod_account = "default";
      if (pod_account != name) {
        return api::BadRequestError(absl::StrCat("cannot bind token for serviceaccount \"", name,
                                                 "\" to pod running with different serviceaccount name."));
      }
      claims.pod = bound_ref;
      if (std::string node = base::GetString(*bound, {"spec", "nodeName"}); !node.empty()) {
        if (auto node_obj = objects_->Get("nodes", "", node); node_obj.ok()) claims.node = RefOf(*node_obj);
      }
    } else if (resource == "secrets") {
      claims.secret = bound_ref;
    } else {
      claims.node = bound_ref;
    }
    if (!ref_uid.empty() && ref_uid != bound_ref.uid) {
      return api::ConflictError("", ref_kind, ref_name,
                                absl::StrCat("the UID in the bound object reference (", ref_uid,
                                             ") does not match the UID in record. The object might have been "
                                             "deleted and then recreated"));
    }
  }

  if (options_.max_expiration_seconds > 0 && spec->expiration_seconds > options_.max_expiration_seconds) {
    warnings->push_back(absl::StrCat("requested expiration of ", spec->expiration_seconds,
                                     " seconds shortened to ", options_.max_expiration_seconds, " seconds"));
    spec->expiration_seconds = options_.max_expiration_seconds;
  }
  int64_t lifetime = spec->expiration_seconds;
  bool kube_audiences_only = std::all_of(spec->audiences.begin(), spec->audiences.end(), [&](const std::string& a) {
    return std::find(options_.api_audiences.begin(), options_.api_audiences.end(), a) != options_.api_audiences.end();
  });
  if (options_.extend_expiration && claims.pod && lifetime == kWarnOnlyBoundTokenExpirationSeconds &&
      kube_audiences_only) {
    claims.warn_after = now + absl::Seconds(lifetime);
    lifetime = kExpirationExtensionSeconds;
  }
  claims.audiences = spec->audiences;
  claims.issued_at = now;
  claims.not_before = now;
  claims.expiry = now + absl::Seconds(lifetime);
  claims.id = api::NewUid();
  auto token = Sign(std::move(claims));
  if (!token.ok()) return token.status();

  meta["name"] = name;
  meta["namespace"] = ns;
  meta["creationTimestamp"] = base::FormatRfc3339(now);
  json::array audiences;
  for (const auto& a : spec->audiences) audiences.emplace_back(a);
  json::object out_spec{{"audiences", std::move(audiences)}, {"expirationSeconds", spec->expiration_seconds}};
  out_spec["boundObjectRef"] = spec->bound_ref ? json::value(*spec->bound_ref) : json::value(nullptr);
  return json::object{
      {"kind", kKind},
      {"apiVersion", "authentication.k8s.io/v1"},
      {"metadata", std::move(meta)},
      {"spec", std::move(out_spec)},
      {"status", json::object{{"token", *token},
                              {"expirationTimestamp",
                               base::FormatRfc3339(now + absl::Seconds(spec->expiration_seconds))}}},
  };
}

}  // namespace skiff::apiserver::serviceaccount
