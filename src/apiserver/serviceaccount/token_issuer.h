// TokenIssuer: issues ServiceAccount tokens, and serves TokenRequest
// (POST /api/v1/namespaces/NS/serviceaccounts/NAME/token) as kube-apiserver 1.32 does: audiences
// default to the API audiences, expirationSeconds to 3600 and must lie in [600, 2^32]; a
// --service-account-max-token-expiration shortens longer requests (with a warning); a token may be
// bound to a Pod (running as this ServiceAccount; its node is recorded too), a Secret or a Node,
// whose uid must match boundObjectRef.uid when given; a pod-bound request for kubelet's 3607 s with
// only API audiences gets a year-long token that "warns after" 3607 s (extended expiration).
// Thread-safety: immutable after construction; safe for concurrent use.
// Ownership: borrows the key, reader and clock, which must outlive it.
// Failure: Kubernetes API errors (api/errors.h): 404 for a missing ServiceAccount or bound object,
// 400 for malformed requests, 422 for invalid ones, 409 for a uid mismatch.
#ifndef SKIFF_APISERVER_SERVICEACCOUNT_TOKEN_ISSUER_H_
#define SKIFF_APISERVER_SERVICEACCOUNT_TOKEN_ISSUER_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "apiserver/serviceaccount/claims.h"
#include "apiserver/serviceaccount/object_reader.h"
#include "apiserver/serviceaccount/signing_key.h"
#include "base/clock.h"
#include "boost/json/object.hpp"
#include "boost/json/value.hpp"

namespace skiff::apiserver::serviceaccount {

inline constexpr char kDefaultIssuer[] = "https://kubernetes.default.svc.cluster.local";
// kubelet asks for this lifetime so that the server may extend it (pkg/serviceaccount).
inline constexpr int64_t kWarnOnlyBoundTokenExpirationSeconds = 3607;
inline constexpr int64_t kExpirationExtensionSeconds = 365 * 24 * 60 * 60;

struct TokenIssuerOptions {
  std::string issuer = kDefaultIssuer;
  std::vector<std::string> api_audiences = {kDefaultIssuer};
  int64_t max_expiration_seconds = 0;  // 0: no maximum
  bool extend_expiration = true;
};

class TokenIssuer {
 public:
  TokenIssuer(const SigningKey* key, TokenIssuerOptions options, const ObjectReader* objects,
              const base::Clock* clock);

  // The signed token for `claims` (their issuer is replaced by ours).
  absl::StatusOr<std::string> Sign(TokenClaims claims) const;

  // Answers a TokenRequest for ServiceAccount `ns`/`name`: the request (a decoded
  // authentication.k8s.io/v1 TokenRequest) completed with defaults, metadata and status.token /
  // status.expirationTimestamp. Warnings for the client are appended to `warnings`.
  absl::StatusOr<boost::json::object> CreateToken(const std::string& ns, const std::string& name,
                                                  const boost::json::value& request,
                                                  std::vector<std::string>* warnings) const;

  const TokenIssuerOptions& options() const { return options_; }

 private:
  const SigningKey* key_;
  TokenIssuerOptions options_;
  const ObjectReader* objects_;
  const base::Clock* clock_;
};

}  // namespace skiff::apiserver::serviceaccount

#endif  // SKIFF_APISERVER_SERVICEACCOUNT_TOKEN_ISSUER_H_
