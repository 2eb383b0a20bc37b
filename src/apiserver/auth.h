// Authentication and authorization of API requests.
// Authenticator: a verified TLS client certificate (CN = user, O = groups) or a bearer token from
// the admin token file or a static token file (Kubernetes' CSV format: token,user,uid,"g1,g2").
// Authorizer: an interface (RBAC in rbac_authorizer.h); AllowAllAuthorizer lets every
// authenticated user do anything (--authorization-mode=AlwaysAllow).
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

struct User {
  std::string name;
  std::string uid;
  std::vector<std::string> groups;
  std::map<std::string, std::vector<std::string>> extra;
};

class Authenticator {
 public:
  // Adds a bearer token for `user`.
  void AddToken(const std::string& token, User user);
  // Loads a static token file (CSV: token,user,uid[,"group1,group2"]).
  absl::Status LoadTokenFile(const std::string& path);
  absl::StatusOr<User> Authenticate(const http::HttpRequest& request) const;

 private:
  std::map<std::string, User> tokens_;
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

class AllowAllAuthorizer : public Authorizer {
 public:
  absl::Status Authorize(const User&, const RequestInfo&, std::string* reason = nullptr) const override;
  boost::json::object RulesReview(const User&, const std::string&) const override;
};

}  // namespace skiff::apiserver

#endif  // SKIFF_APISERVER_AUTH_H_
