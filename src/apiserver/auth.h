// Authentication and authorization of API requests.
// Authenticator: a verified TLS client certificate (CN = user, O = groups), a bearer token from
// the admin token file or a static token file (Kubernetes' CSV format: token,user,uid,"g1,g2"), or
// a ServiceAccount JWT (user system:serviceaccount:NS:NAME, groups system:serviceaccounts and
// system:serviceaccounts:NS, extra pod-name/pod-uid/node-name/node-uid/credential-id).
// Authorizer: an interface; AllowAllAuthorizer lets every authenticated user do anything (RBAC
// is not enforced).
// Thread-safety: both are immutable after construction and safe for concurrent use.
// Failure: Load returns a Status for unreadable/malformed token files; Authenticate returns
// Unauthenticated (401) when no credential is valid.
#ifndef SKIFF_APISERVER_AUTH_H_
#define SKIFF_APISERVER_AUTH_H_

#include <map>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "apiserver/request_info.h"
#include "http/http_types.h"

namespace skiff::apiserver {

namespace serviceaccount {
class TokenVerifier;
}  // namespace serviceaccount

struct User {
  std::string name;
  std::string uid;
  std::vector<std::string> groups;
  // user.Info's Extra (e.g. authentication.kubernetes.io/pod-name for ServiceAccount tokens).
  std::map<std::string, std::vector<std::string>> extra;
};

// A bearer token's user and the audiences it was found valid for.
struct TokenUser {
  User user;
  std::vector<std::string> audiences;
};

class Authenticator {
 public:
  // Adds a bearer token for `user`.
  void AddToken(const std::string& token, User user);
  // Loads a static token file (CSV: token,user,uid[,"group1,group2"]).
  absl::Status LoadTokenFile(const std::string& path);
  // Verifies ServiceAccount JWTs (borrowed; null: none are accepted). Set before serving.
  void SetServiceAccountTokens(const serviceaccount::TokenVerifier* verifier) { service_accounts_ = verifier; }
  absl::StatusOr<User> Authenticate(const http::HttpRequest& request) const;
  // A bearer token, for requests and TokenReview, checked against `audiences` (empty: the API
  // audiences). Static tokens are valid for the API audiences only, as in Kubernetes.
  absl::StatusOr<TokenUser> AuthenticateToken(const std::string& token,
                                              const std::vector<std::string>& audiences = {}) const;

 private:
  std::map<std::string, User> tokens_;
  const serviceaccount::TokenVerifier* service_accounts_ = nullptr;
};

class Authorizer {
 public:
  virtual ~Authorizer() = default;
  // OK to allow; PermissionDenied (403) to refuse.
  virtual absl::Status Authorize(const User& user, const RequestInfo& request) const = 0;
};

class AllowAllAuthorizer : public Authorizer {
 public:
  absl::Status Authorize(const User&, const RequestInfo&) const override { return absl::OkStatus(); }
};

}  // namespace skiff::apiserver

#endif  // SKIFF_APISERVER_AUTH_H_
