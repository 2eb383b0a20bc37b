// Impersonation headers (Impersonate-User, Impersonate-Uid, Impersonate-Group,
// Impersonate-Extra-<key>), as `kubectl --as/--as-group/--as-uid` sends them: parsed into a
// request, the `impersonate` checks it needs (users, groups, serviceaccounts, uids,
// userextras — in kube-apiserver's order), and the identity the request then runs as
// (a service account gets its groups; everyone but system:anonymous gets system:authenticated).
// Thread-safety: pure functions. Failure: ParseImpersonation answers 400 BadRequest for groups,
// uid or extras without a user, as kube-apiserver does.
#ifndef SKIFF_APISERVER_RBAC_IMPERSONATION_H_
#define SKIFF_APISERVER_RBAC_IMPERSONATION_H_

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "apiserver/rbac/policy_rule.h"

namespace skiff::apiserver::rbac {

struct ImpersonationRequest {
  std::string user;
  std::optional<std::string> uid;
  std::vector<std::string> groups;
  std::map<std::string, std::vector<std::string>> extra;  // lower-cased, unescaped keys
};

struct Identity {
  std::string name;
  std::string uid;
  std::vector<std::string> groups;
  std::map<std::string, std::vector<std::string>> extra;
};

// `headers` has lower-cased names; a header sent several times arrives comma-joined. nullopt when
// the request impersonates no one.
absl::StatusOr<std::optional<ImpersonationRequest>> ParseImpersonation(
    const std::map<std::string, std::string>& headers);
// The requests the impersonating user must be allowed, in order.
std::vector<Attributes> ImpersonationChecks(const ImpersonationRequest& request);
// Who the request runs as once every check passed.
Identity ImpersonatedIdentity(const ImpersonationRequest& request);
// Whether a header (lower-cased name) is an impersonation header (dropped once applied).
bool IsImpersonationHeader(const std::string& name);

}  // namespace skiff::apiserver::rbac

#endif  // SKIFF_APISERVER_RBAC_IMPERSONATION_H_
