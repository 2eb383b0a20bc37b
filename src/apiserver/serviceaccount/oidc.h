// The OpenID Connect discovery documents kube-apiserver serves for its ServiceAccount issuer
// (pkg/serviceaccount/openidmetadata.go): /.well-known/openid-configuration and the JWKS at
// /openid/v1/jwks, so that other parties can verify tokens without asking the API server.
// Thread-safety: pure functions. Ownership: values. Never fails.
#ifndef SKIFF_APISERVER_SERVICEACCOUNT_OIDC_H_
#define SKIFF_APISERVER_SERVICEACCOUNT_OIDC_H_

#include <string>
#include <vector>

#include "apiserver/serviceaccount/signing_key.h"

namespace skiff::apiserver::serviceaccount {

inline constexpr char kOpenIdConfigurationPath[] = "/.well-known/openid-configuration";
inline constexpr char kJwksPath[] = "/openid/v1/jwks";
inline constexpr char kJwksContentType[] = "application/jwk-set+json";
// Both documents may be cached for an hour, as kube-apiserver says.
inline constexpr char kDiscoveryCacheControl[] = "public, max-age=3600";

// The issuer's JWKS URI: `jwks_uri` when set (--service-account-jwks-uri), else the issuer URL
// with /openid/v1/jwks appended to its path.
std::string JwksUri(const std::string& issuer, const std::string& jwks_uri);

// {"issuer","jwks_uri","response_types_supported":["id_token"],"subject_types_supported":["public"],
//  "id_token_signing_alg_values_supported":["ES256"]}
std::string OpenIdConfiguration(const std::string& issuer, const std::string& jwks_uri);

// {"keys":[<public JWK>...]}
std::string Jwks(const std::vector<const SigningKey*>& keys);

}  // namespace skiff::apiserver::serviceaccount

#endif  // SKIFF_APISERVER_SERVICEACCOUNT_OIDC_H_
