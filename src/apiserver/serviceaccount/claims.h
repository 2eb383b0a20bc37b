// The claims of a Kubernetes ServiceAccount token, as kube-apiserver 1.32 issues them
// (pkg/serviceaccount/claims.go): registered claims iss, sub, aud, exp, nbf, iat, jti and the
// private "kubernetes.io" claim {namespace, serviceaccount{name,uid}, pod|secret|node{name,uid},
// warnafter}. A pod-bound token also names the pod's node when that node exists.
// Thread-safety: plain values. Ownership: values. Failure: FromJson returns Unauthenticated for
// claims that are missing or of the wrong type.
#ifndef SKIFF_APISERVER_SERVICEACCOUNT_CLAIMS_H_
#define SKIFF_APISERVER_SERVICEACCOUNT_CLAIMS_H_

#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "boost/json/object.hpp"

namespace skiff::apiserver::serviceaccount {

struct ObjectRef {
  std::string name;
  std::string uid;
  bool operator==(const ObjectRef&) const = default;
};

struct TokenClaims {
  std::string issuer;
  std::vector<std::string> audiences;
  absl::Time issued_at;
  absl::Time not_before;
  absl::Time expiry;
  std::string id;  // jti
  std::string ns;
  ObjectRef service_account;
  std::optional<ObjectRef> pod;
  std::optional<ObjectRef> secret;
  std::optional<ObjectRef> node;
  // Set when the token's lifetime was extended (kubelet's 3607 s tokens): after this time the
  // token still works but its use is "stale".
  std::optional<absl::Time> warn_after;

  // "system:serviceaccount:<ns>:<name>", the `sub` claim and the user name.
  std::string Subject() const;
  // Claims in the order go-jose writes them (sorted keys); a single audience is a string.
  boost::json::object ToJson() const;
  static absl::StatusOr<TokenClaims> FromJson(const boost::json::object& claims);
};

// "system:serviceaccount:<ns>:<name>".
std::string ServiceAccountUserName(const std::string& ns, const std::string& name);

}  // namespace skiff::apiserver::serviceaccount

#endif  // SKIFF_APISERVER_SERVICEACCOUNT_CLAIMS_H_
