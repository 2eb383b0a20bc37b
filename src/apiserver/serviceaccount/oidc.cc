#include "apiserver/serviceaccount/oidc.h"

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "boost/json.hpp"

namespace skiff::apiserver::serviceaccount {

namespace json = boost::json;

std::string JwksUri(const std::string& issuer, const std::string& jwks_uri) {
  if (!jwks_uri.empty()) return jwks_uri;
  std::string base = issuer;
  while (absl::EndsWith(base, "/")) base.pop_back();
  return absl::StrCat(base, kJwksPath);
}

std::string OpenIdConfiguration(const std::string& issuer, const std::string& jwks_uri) {
  return json::serialize(json::object{
      {"issuer", issuer},
      {"jwks_uri", JwksUri(issuer, jwks_uri)},
      {"response_types_supported", json::array{"id_token"}},
      {"subject_types_supported", json::array{"public"}},
      {"id_token_signing_alg_values_supported", json::array{SigningKey::kAlgorithm}},
  });
}

std::string Jwks(const std::vector<const SigningKey*>& keys) {
  json::array out;
  for (const SigningKey* k : keys) out.push_back(k->public_jwk());
  return json::serialize(json::object{{"keys", std::move(out)}});
}

}  // namespace skiff::apiserver::serviceaccount
