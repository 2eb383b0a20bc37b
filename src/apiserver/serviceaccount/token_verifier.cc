#include "apiserver/serviceaccount/token_verifier.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "apiserver/serviceaccount/claims.h"
#include "apiserver/serviceaccount/jws.h"
#include "base/json.h"

namespace skiff::apiserver::serviceaccount {
namespace {

// go-jose's DefaultLeeway, which kube-apiserver's validator uses for exp, nbf and iat, and the grace
// kube-apiserver gives a token whose bound object's deletion has begun.
constexpr absl::Duration kLeeway = absl::Minutes(1);

std::vector<std::string> Intersect(const std::vector<std::string>& a, const std::vector<std::string>& b) {
  std::vector<std::string> out;
  for (const auto& x : a) {
    if (std::find(b.begin(), b.end(), x) != b.end() && std::find(out.begin(), out.end(), x) == out.end()) {
      out.push_back(x);
    }
  }
  return out;
}

std::string Quoted(const std::vector<std::string>& v) {
  return absl::StrCat("[", absl::StrJoin(v, " ", [](std::string* out, const std::string& s) {
                        absl::StrAppend(out, "\"", s, "\"");
                      }), "]");
}

}  // namespace

TokenVerifier::TokenVerifier(const SigningKey* key, std::vector<std::string> issuers,
                             std::vector<std::string> api_audiences, const ObjectReader* objects,
                             const base::Clock* clock)
    : key_(key),
      issuers_(std::move(issuers)),
      api_audiences_(std::move(api_audiences)),
      objects_(objects),
      clock_(clock) {}

absl::StatusOr<ServiceAccountIdentity> TokenVerifier::Verify(absl::string_view token,
                                                             const std::vector<std::string>& audiences) const {
  if (!LooksLikeJws(token)) return absl::NotFoundError("not a JWT");
  std::optional<TokenClaims> claims = Remembered(token);
  if (!claims) {
    auto jws = ParseJws(token);
    if (!jws.ok()) return absl::NotFoundError(jws.status().message());
    const boost::json::value* iss = jws->claims.if_contains("iss");
    if (!iss || !iss->is_string() ||
        std::find(issuers_.begin(), issuers_.end(), std::string(iss->get_string())) == issuers_.end()) {
      return absl::NotFoundError("token issuer not recognized");
    }
    if (!key_->Verify(jws->signing_input, jws->signature)) {
      return absl::UnauthenticatedError("invalid bearer token: token signature is invalid");
    }
    auto parsed = TokenClaims::FromJson(jws->claims);
    if (!parsed.ok()) return parsed.status();
    claims = std::move(*parsed);
    Remember(token, *claims);
  }

  const std::vector<std::string>& wanted = audiences.empty() ? api_audiences_ : audiences;
  std::vector<std::string> matched = Intersect(claims->audiences, wanted);
  if (matched.empty()) {
    return absl::UnauthenticatedError(absl::StrCat("token audiences ", Quoted(claims->audiences),
                                                   " is invalid for the target audiences ", Quoted(wanted)));
  }
  absl::Time now = clock_->Now();
  if (now - kLeeway > claims->expiry) return absl::UnauthenticatedError("service account token has expired");
  if (now + kLeeway < claims->not_before) {
    return absl::UnauthenticatedError("service account token is not valid yet");
  }
  if (now + kLeeway < claims->issued_at) {
    return absl::UnauthenticatedError("service account token is issued in the future");
  }
  if (claims->pod && claims->secret) {
    return absl::UnauthenticatedError("service account token is bound to both a pod and a secret");
  }

  const std::string& ns = claims->ns;
  if (auto s = CheckLive("serviceaccounts", ns, claims->service_account.name, claims->service_account.uid, now);
      !s.ok()) {
    return s;
  }
  ServiceAccountIdentity out{.ns = ns,
                             .name = claims->service_account.name,
                             .uid = claims->service_account.uid,
                             .credential_id = claims->id.empty() ? "" : absl::StrCat("JTI=", claims->id),
                             .audiences = std::move(matched)};
  if (claims->secret) {
    if (auto s = CheckLive("secrets", ns, claims->secret->name, claims->secret->uid, now); !s.ok()) return s;
  }
  if (claims->pod) {
    if (auto s = CheckLive("pods", ns, claims->pod->name, claims->pod->uid, now); !s.ok()) return s;
    out.pod_name = claims->pod->name;
    out.pod_uid = claims->pod->uid;
  }
  if (claims->node) {
    // A pod-bound token only reports its pod's node; a node-bound one needs the node alive.
    if (!claims->pod) {
      if (auto s = CheckLive("nodes", "", claims->node->name, claims->node->uid, now); !s.ok()) return s;
    }
    out.node_name = claims->node->name;
    out.node_uid = claims->node->uid;
  }
  return out;
}

std::optional<TokenClaims> TokenVerifier::Remembered(absl::string_view token) const {
  std::lock_guard<std::mutex> lock(remembered_mu_);
  auto it = remembered_.find(std::string(token));
  if (it == remembered_.end()) return std::nullopt;
  return it->second;
}

void TokenVerifier::Remember(absl::string_view token, const TokenClaims& claims) const {
  std::lock_guard<std::mutex> lock(remembered_mu_);
  if (remembered_.size() >= kMaxRememberedTokens) remembered_.clear();
  remembered_.emplace(std::string(token), claims);
}

absl::Status TokenVerifier::CheckLive(absl::string_view resource, const std::string& ns, const std::string& name,
                                      const std::string& uid, absl::Time now) const {
  auto invalid = [&](absl::string_view why) {
    return absl::UnauthenticatedError(absl::StrCat("service account token has been invalidated: ", resource, " \"",
                                                   name, "\" ", why));
  };
  auto obj = objects_->Get(resource, ns, name);
  if (!obj.ok()) return invalid("no longer exists");
  if (base::GetString(*obj, {"metadata", "uid"}) != uid) {
    return invalid(absl::StrCat("has uid ", base::GetString(*obj, {"metadata", "uid"}), ", not ", uid));
  }
  std::string deletion = base::GetString(*obj, {"metadata", "deletionTimestamp"});
  absl::Time deleted_at;
  if (!deletion.empty() && base::ParseRfc3339(deletion, &deleted_at) && deleted_at < now - kLeeway) {
    return invalid("is being deleted");
  }
  return absl::OkStatus();
}

}  // namespace skiff::apiserver::serviceaccount
