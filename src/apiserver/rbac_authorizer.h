// RbacAuthorizer: the Authorizer of --authorization-mode=RBAC. Members of system:masters are
// always allowed (kube-apiserver's privileged-group authorizer); everyone else gets what their
// Roles and ClusterRoles grant through RoleBindings and ClusterRoleBindings. The rbac::RbacIndex
// behind it is fed by watches on the watch cache (filled synchronously by Start), so a decision
// reads no storage and parses no JSON. Since watch delivery is asynchronous, a denial first waits
// (briefly) for the index to catch up with the cache, so a client that just wrote a binding sees it.
// Also holds RbacEscalationCheck, the admission plug-in that refuses roles and bindings granting
// more than their writer holds (unless allowed `escalate` / `bind`).
// Thread-safety: all methods may be called concurrently after Start. Ownership: borrows the
// cache, which must outlive it (call Stop, or destroy it, before the cache goes).
// Failure: denials are 403 Forbidden Statuses worded as kube-apiserver words them.
#ifndef SKIFF_APISERVER_RBAC_AUTHORIZER_H_
#define SKIFF_APISERVER_RBAC_AUTHORIZER_H_

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "apiserver/admission.h"
#include "apiserver/auth.h"
#include "apiserver/authorization_attributes.h"
#include "apiserver/rbac/rbac_index.h"
#include "apiserver/resource_storage.h"
#include "apiserver/watch_cache.h"
#include "http/http_types.h"

namespace skiff::apiserver {

class RbacAuthorizer : public Authorizer {
 public:
  explicit RbacAuthorizer(WatchCache* cache);
  ~RbacAuthorizer() override;

  // Loads every role and binding and follows their changes.
  absl::Status Start();
  void Stop();

  absl::Status Authorize(const User& user, const RequestInfo& request, std::string* reason = nullptr) const override;
  boost::json::object RulesReview(const User& user, const std::string& namespace_name) const override;

  // Waits (up to `timeout`) until the index holds every RBAC change the cache has applied.
  void WaitForSync(absl::Duration timeout = absl::Seconds(2)) const;
  const rbac::RbacIndex& index() const { return index_; }

 private:
  class Listener;
  WatchCache* cache_;
  rbac::RbacIndex index_;
  std::vector<std::pair<std::shared_ptr<Listener>, int64_t>> watches_;  // listener, watch id
};

// Escalation prevention for rbac.authorization.k8s.io writes (Kubernetes' rbac registry), as an
// admission plug-in; writes without a user (the server's own) are not checked.
class RbacEscalationCheck : public AdmissionPlugin {
 public:
  explicit RbacEscalationCheck(const RbacAuthorizer* authorizer) : authorizer_(authorizer) {}
  absl::Status Validate(const AdmissionRequest& request, const boost::json::value* obj,
                        const boost::json::value* old) override;

 private:
  const RbacAuthorizer* authorizer_;
};

// Applies the impersonation headers of `request` (Impersonate-User/-Group/-Uid/-Extra-*): checks
// each with `authorizer` as `requester` and returns who the request runs as (`requester` when it
// impersonates no one). 400 for malformed headers, 403 for a refused impersonation.
absl::StatusOr<User> Impersonate(const Authorizer& authorizer, const User& requester,
                                 const http::HttpRequest& request);

}  // namespace skiff::apiserver

#endif  // SKIFF_APISERVER_RBAC_AUTHORIZER_H_
