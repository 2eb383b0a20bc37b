// ServiceAccountTokens: the API server's side of ServiceAccount tokens — the signing key in the
// data dir, the token issuer and verifier (apiserver/serviceaccount/) reading ServiceAccounts,
// Pods, Secrets and Nodes from the watch cache (no storage round trip per request), and the HTTP
// endpoints: POST .../serviceaccounts/NAME/token (TokenRequest) and the OIDC discovery documents
// /.well-known/openid-configuration and /openid/v1/jwks.
// Thread-safety: immutable after Create; every method may be called concurrently.
// Ownership: borrows the ResourceStorage and clock, which must outlive it; owns the key.
// Failure: Create fails when the key file cannot be read or created; request errors are
// Kubernetes Status responses (400/404/409/415/422).
#ifndef SKIFF_APISERVER_SERVICE_ACCOUNT_TOKENS_H_
#define SKIFF_APISERVER_SERVICE_ACCOUNT_TOKENS_H_

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "http/http_types.h"
#include "apiserver/request_info.h"
#include "apiserver/resource_storage.h"
#include "apiserver/serviceaccount/signing_key.h"
#include "apiserver/serviceaccount/token_issuer.h"
#include "apiserver/serviceaccount/token_verifier.h"
#include "base/clock.h"

namespace skiff::apiserver {

struct ServiceAccountTokenOptions {
  // PEM file of the signing key; created (0600) when missing.
  std::string key_file;
  // --service-account-issuer: the first issues tokens, all are accepted.
  std::vector<std::string> issuers = {serviceaccount::kDefaultIssuer};
  // --api-audiences; empty means the first issuer.
  std::vector<std::string> api_audiences;
  // --service-account-max-token-expiration in seconds; 0 means no maximum.
  int64_t max_expiration_seconds = 0;
  // --service-account-jwks-uri; empty means <issuer>/openid/v1/jwks.
  std::string jwks_uri;
};

class ServiceAccountTokens {
 public:
  static absl::StatusOr<std::unique_ptr<ServiceAccountTokens>> Create(ServiceAccountTokenOptions options,
                                                                     ResourceStorage* storage,
                                                                     const base::Clock* clock);
  ~ServiceAccountTokens();

  const serviceaccount::TokenVerifier& verifier() const { return *verifier_; }
  const serviceaccount::TokenIssuer& issuer() const { return *issuer_; }

  // POST /api/v1/namespaces/NS/serviceaccounts/NAME/token.
  http::HttpResponse CreateToken(const http::HttpRequest& req, const RequestInfo& info) const;

  // Whether `path` is one of the OIDC discovery documents, and serving them.
  static bool IsDiscoveryPath(const std::string& path);
  http::HttpResponse Discovery(const std::string& path) const;

 private:
  class CacheReader;
  ServiceAccountTokens() = default;

  ServiceAccountTokenOptions options_;
  std::unique_ptr<serviceaccount::SigningKey> key_;
  std::unique_ptr<CacheReader> reader_;
  std::unique_ptr<serviceaccount::TokenIssuer> issuer_;
  std::unique_ptr<serviceaccount::TokenVerifier> verifier_;
  std::string openid_configuration_;
  std::string jwks_;
};

}  // namespace skiff::apiserver

#endif  // SKIFF_APISERVER_SERVICE_ACCOUNT_TOKENS_H_
