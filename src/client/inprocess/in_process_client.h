// InProcessClient: the Client inside `skiff server`. Calls apiserver::ResourceStorage directly —
// the same write path as HTTP, so admission, validation, resourceVersion rules, finalizers and the
// subresources (status, scale, binding, eviction, namespaces/finalize, and serviceaccounts/token once
// set_token_issuer is called) behave identically — with
// no HTTP and no re-encoding: reads come from the watch cache and are parsed once per call.
// Objects are converted between the requested version and the storage version like the HTTP path.
// Unknown fields are pruned silently (fieldValidation=Ignore). List pagination (limit/continue)
// pages through the live cache, not a snapshot. With set_strip_managed_fields(true), List and Watch
// results omit metadata.managedFields (what kube-controller-manager's and kube-scheduler's informers
// do to save memory: no controller reads them, and an Update without them keeps the stored ones). Watches
// deliver events on a thread of their own (never the cache's fan-out thread), with a BOOKMARK at most once a
// second when asked.
//
// With an identity (set_identity), every call is first authorized as that user by the API
// server's Authorizer, exactly as the same request over HTTPS would be (403 otherwise), and writes
// carry the user to admission (RBAC escalation prevention); without one the client is trusted
// (tests, tools).
//
// With an auditor (set_auditor), every write is recorded in the audit log as its HTTPS twin would
// be (apiserver/audit/in_process_audit.h): its user (system:apiserver for a client without an
// identity, as kube-apiserver's loopback client), the policy's level, one ResponseComplete event.
// Without one, writes take no audit path at all.
// Thread-safety: every method may be called concurrently. Ownership: borrows the storage, clock
// and authorizer (which must outlive the client and every WatchHandle it returned).
// Failure: Kubernetes API errors as absl::Status (client.h, api/errors.h).
#ifndef SKIFF_CLIENT_INPROCESS_IN_PROCESS_CLIENT_H_
#define SKIFF_CLIENT_INPROCESS_IN_PROCESS_CLIENT_H_

#include <memory>
#include <string>

#include "apiserver/audit/auditor.h"
#include "apiserver/auth.h"
#include "apiserver/resource_storage.h"
#include "base/clock.h"
#include "client/client.h"

namespace skiff::apiserver::audit {
class InProcessAudit;
}  // namespace skiff::apiserver::audit
namespace skiff::apiserver::serviceaccount {
class TokenIssuer;
}  // namespace skiff::apiserver::serviceaccount

namespace skiff::client {

class InProcessClient : public Client {
 public:
  // `name` is the default field manager of writes.
  InProcessClient(apiserver::ResourceStorage* storage, std::string name, const base::Clock* clock = nullptr);

  absl::StatusOr<Object> Get(const api::ResourceInfo& r, const std::string& ns,
                             const std::string& name) override;
  absl::StatusOr<ObjectList> List(const api::ResourceInfo& r, const std::string& ns,
                                  const ListOptions& options) override;
  absl::StatusOr<Object> Create(const api::ResourceInfo& r, const std::string& ns, boost::json::value obj,
                                const WriteOptions& options = {}) override;
  absl::StatusOr<Object> Update(const api::ResourceInfo& r, const std::string& ns, boost::json::value obj,
                                const std::string& subresource = "",
                                const WriteOptions& options = {}) override;
  absl::StatusOr<Object> Patch(const api::ResourceInfo& r, const std::string& ns, const std::string& name,
                               PatchType type, const boost::json::value& patch,
                               const PatchOptions& options = {}) override;
  absl::Status Delete(const api::ResourceInfo& r, const std::string& ns, const std::string& name,
                      const DeleteOptions& options = {}) override;
  absl::StatusOr<boost::json::value> CreateSubresource(const api::ResourceInfo& r, const std::string& ns,
                                                       const std::string& name,
                                                       const std::string& subresource,
                                                       boost::json::value body) override;
  absl::StatusOr<std::unique_ptr<WatchHandle>> Watch(const api::ResourceInfo& r, const std::string& ns,
                                                     const WatchOptions& options, WatchEventHandler on_event,
                                                     WatchEndHandler on_end) override;

  // Off by default. Set before the client is shared (not synchronized); affects later calls.
  void set_strip_managed_fields(bool strip) { strip_managed_fields_ = strip; }
  // Runs every call as `user`, authorized by `authorizer`. Set before the client is shared.
  void set_identity(const apiserver::Authorizer* authorizer, apiserver::User user) {
    authorizer_ = authorizer;
    user_ = std::move(user);
  }
  // Serves TokenRequests (CreateSubresource of serviceaccounts/token) with the API server's issuer
  // (borrowed; must outlive the client). Without one they are refused (405). Set before sharing.
  void set_token_issuer(const apiserver::serviceaccount::TokenIssuer* issuer) { token_issuer_ = issuer; }
  // Records every write in `auditor`'s log (null: none). Set before the client is shared.
  void set_auditor(std::shared_ptr<const apiserver::audit::Auditor> auditor) {
    auditor_ = std::move(auditor);
  }

 private:
  using Audit = apiserver::audit::InProcessAudit;
  // What a call of `verb` asks, as the RequestInfo of its HTTPS twin.
  static apiserver::RequestInfo Info(const api::ResourceInfo& r, const std::string& ns,
                                     const std::string& name, const std::string& subresource,
                                     const char* verb, const std::string& field_selector = "");
  // OK, or the 403 the API server would answer `user_` for this request; the decision goes to
  // `audit` when set.
  absl::Status Authorize(const api::ResourceInfo& r, const std::string& ns, const std::string& name,
                         const std::string& subresource, const char* verb, Audit* audit = nullptr,
                         const std::string& field_selector = "") const;
  // The audit record of a write about to be made (call only with an auditor).
  std::unique_ptr<Audit> StartAudit(const api::ResourceInfo& r, const std::string& ns,
                                    const std::string& name, const std::string& subresource, const char* verb,
                                    const boost::json::value* request) const;
  // The writes themselves; `audit` is null when the client has no auditor.
  absl::StatusOr<Object> WriteCreate(const api::ResourceInfo& r, const std::string& ns,
                                     boost::json::value obj, const WriteOptions& options, Audit* audit);
  absl::StatusOr<Object> WriteUpdate(const api::ResourceInfo& r, const std::string& ns,
                                     boost::json::value obj, const std::string& subresource,
                                     const WriteOptions& options, Audit* audit);
  absl::StatusOr<Object> WritePatch(const api::ResourceInfo& r, const std::string& ns,
                                    const std::string& name, PatchType type, const boost::json::value& patch,
                                    const PatchOptions& options, Audit* audit);
  absl::Status WriteDelete(const api::ResourceInfo& r, const std::string& ns, const std::string& name,
                           const DeleteOptions& options, Audit* audit);
  absl::StatusOr<boost::json::value> WriteSubresource(const api::ResourceInfo& r, const std::string& ns,
                                                      const std::string& name, const std::string& subresource,
                                                      boost::json::value body, Audit* audit);
  // The user writes are made as (null without an identity).
  const apiserver::User* Writer() const { return authorizer_ ? &user_ : nullptr; }

  std::string Manager(const std::string& requested) const { return requested.empty() ? name_ : requested; }

  apiserver::ResourceStorage* storage_;
  std::string name_;
  const base::Clock* clock_;
  bool strip_managed_fields_ = false;
  const apiserver::Authorizer* authorizer_ = nullptr;
  apiserver::User user_;
  const apiserver::serviceaccount::TokenIssuer* token_issuer_ = nullptr;
  std::shared_ptr<const apiserver::audit::Auditor> auditor_;
};

}  // namespace skiff::client

#endif  // SKIFF_CLIENT_INPROCESS_IN_PROCESS_CLIENT_H_
