// TokenVerifier: authenticates bearer JWTs as ServiceAccounts, as kube-apiserver's service
// account token authenticator does: the issuer must be ours, the ES256 signature must verify, the
// token's audiences must meet the wanted ones (the API audiences unless a TokenReview names
// others), exp/nbf/iat hold with one minute of leeway, and the ServiceAccount and any bound
// Pod/Secret/Node must still exist with the uid in the token (an object whose deletion began more
// than a minute ago counts as gone).
// The signature and claims of a token are checked once and remembered (by the token's text, up to
// kMaxRememberedTokens): an ES256 verification costs more than the rest of a request. Time,
// audience and liveness checks run on every use, so a remembered token is refused the moment it
// expires or its ServiceAccount, Pod, Secret or Node goes.
// Thread-safety: Verify may run concurrently (the remembered tokens are behind a mutex).
// Ownership: borrows the key, the object reader and the clock, which must outlive it.
// Failure: NotFound when the token is not a JWT of our issuer (other authenticators may know it);
// Unauthenticated with the reason when it is ours but not valid.
#ifndef SKIFF_APISERVER_SERVICEACCOUNT_TOKEN_VERIFIER_H_
#define SKIFF_APISERVER_SERVICEACCOUNT_TOKEN_VERIFIER_H_

#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "absl/strings/string_view.h"

#include "absl/status/statusor.h"
#include "apiserver/serviceaccount/claims.h"
#include "apiserver/serviceaccount/object_reader.h"
#include "apiserver/serviceaccount/signing_key.h"
#include "base/clock.h"

namespace skiff::apiserver::serviceaccount {

// Who a valid token speaks for (k8s' ServiceAccountInfo) and for which audiences.
struct ServiceAccountIdentity {
  std::string ns;
  std::string name;
  std::string uid;
  std::string pod_name;
  std::string pod_uid;
  std::string node_name;
  std::string node_uid;
  std::string credential_id;           // "JTI=<jti>"
  std::vector<std::string> audiences;  // token audiences ∩ wanted audiences
};

class TokenVerifier {
 public:
  // `issuers`: accepted `iss` values (the first is the one tokens are issued with).
  TokenVerifier(const SigningKey* key, std::vector<std::string> issuers, std::vector<std::string> api_audiences,
                const ObjectReader* objects, const base::Clock* clock);

  // `audiences` empty means the API audiences.
  absl::StatusOr<ServiceAccountIdentity> Verify(absl::string_view token,
                                                const std::vector<std::string>& audiences = {}) const;

  const std::vector<std::string>& api_audiences() const { return api_audiences_; }

  static constexpr size_t kMaxRememberedTokens = 1024;

 private:
  // The claims of a token whose issuer and signature were already checked, if remembered.
  std::optional<TokenClaims> Remembered(absl::string_view token) const;
  // Forgets every token once the limit is reached (the next uses re-verify, then are remembered).
  void Remember(absl::string_view token, const TokenClaims& claims) const;
  // OK when `resource`/`name` exists with `uid` and is not being deleted for over a minute.
  absl::Status CheckLive(absl::string_view resource, const std::string& ns, const std::string& name,
                         const std::string& uid, absl::Time now) const;

  const SigningKey* key_;
  std::vector<std::string> issuers_;
  std::vector<std::string> api_audiences_;
  const ObjectReader* objects_;
  const base::Clock* clock_;
  mutable std::mutex remembered_mu_;
  mutable std::unordered_map<std::string, TokenClaims> remembered_;
};

}  // namespace skiff::apiserver::serviceaccount

#endif  // SKIFF_APISERVER_SERVICEACCOUNT_TOKEN_VERIFIER_H_
