// Authentication and authorization of API requests.
// Authenticator: a verified TLS client certificate (CN = user, O = groups), a bearer token from
// the admin token file or a static token file (Kubernetes' CSV format: token,user,uid,"g1,g2"), or
// a ServiceAccount JWT (user system:serviceaccount:NS:NAME, groups system:serviceaccounts and
// system:serviceaccounts:NS, extra pod-name/pod-uid/node-name/node-uid/credential-id).
// Authorizer: an interface (RBAC in rbac_authorizer.h); AllowAllAuthorizer lets every
// authenticated user do anything (--authorization-mode=AlwaysAllow). AuthorizeRequest is what
// the request path asks: the authorizer, plus the compound checks Kubernetes adds on top of it.
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
#include "boost/json/object.hpp"
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
  // OK to allow; PermissionDenied (403, Kubernetes' "... is forbidden: User ... cannot ..." Status)
  // to refuse. On allow, `reason` (if set) says why, as SubjectAccessReview status.reason.
  virtual absl::Status Authorize(const User& user, const RequestInfo& request,
                                 std::string* reason = nullptr) const = 0;
  // SelfSubjectRulesReview status: {resourceRules, nonResourceRules, incomplete}.
  virtual boost::json::object RulesReview(const User& user, const std::string& namespace_name) const = 0;
};

// Authorizes one API request: `request` itself, and for a GET on pods/exec, pods/attach or
// pods/portforward (the WebSocket handshake, which RequestInfo calls `get`) also `create` on the
// same subresource, which the SPDY POST needs anyway (Kubernetes'
// AuthorizePodWebsocketUpgradeCreatePermission, on by default). The first refusal is returned.
absl::Status AuthorizeRequest(const Authorizer& authorizer, const User& user, const RequestInfo& request,
                              std::string* reason = nullptr);

class AllowAllAuthorizer : public Authorizer {
 public:
  absl::Status Authorize(const User&, const RequestInfo&, std::string* reason = nullptr) const override;
  boost::json::object RulesReview(const User&, const std::string&) const override;
};

}  // namespace skiff::apiserver

#endif  // SKIFF_APISERVER_AUTH_H_
