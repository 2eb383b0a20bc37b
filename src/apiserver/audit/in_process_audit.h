// InProcessAudit: the audit record of one write made inside the server without HTTP — by the
// in-process controllers and scheduler, each as its own user (client/inprocess). Kubernetes audits
// every request kube-controller-manager and kube-scheduler send; skiff's in-process clients skip
// the transport, not the log. The same policy decides the level; one ResponseComplete event is
// written (there is no separate arrival to record), with the URI the request would have had over
// HTTPS, the authorization decision and the admission plug-ins' annotations.
// Thread-safety: one object per write, used by the writing thread. Ownership: keeps the Auditor
// alive while it exists. Failure: never fails a write; unwritable lines are the BatchWriter's to
// count.
#ifndef SKIFF_APISERVER_AUDIT_IN_PROCESS_AUDIT_H_
#define SKIFF_APISERVER_AUDIT_IN_PROCESS_AUDIT_H_

#include <map>
#include <memory>
#include <string>

#include "absl/status/status.h"
#include "apiserver/audit/auditor.h"
#include "boost/json/fwd.hpp"

namespace skiff::apiserver::audit {

class InProcessAudit {
 public:
  // `attributes` say who does what (verb, resource, namespace, name, subresource); `user_agent`
  // names the client. `request` (may be null) is the object sent, kept from level Request on.
  InProcessAudit(std::shared_ptr<const Auditor> auditor, const Attributes& attributes, std::string user_agent,
                 const boost::json::value* request = nullptr);
  InProcessAudit(const InProcessAudit&) = delete;
  InProcessAudit& operator=(const InProcessAudit&) = delete;

  // Whether the policy records this write at all (when not, nothing else needs to be collected).
  bool recorded() const { return event_.level != Level::kNone; }
  // Where admission plug-ins put their annotations (null when the write is not recorded).
  std::map<std::string, std::string>* annotations() { return recorded() ? &annotations_ : nullptr; }
  void SetAuthorization(bool allowed);
  // Writes the event: `status` is the write's outcome (`success_code` when OK); `response` (may
  // be null) the object as stored, which names the object of a create in objectRef and is kept
  // at level RequestResponse.
  void Complete(const absl::Status& status, int success_code, const boost::json::value* response);

 private:
  std::shared_ptr<const Auditor> auditor_;
  RuleDecision decision_;
  Event event_;
  std::map<std::string, std::string> annotations_;
};

// The request URI a resource request would have had over HTTPS (/api/v1/namespaces/ns/pods/p/status).
std::string ResourceUri(const Attributes& attributes);

}  // namespace skiff::apiserver::audit

#endif  // SKIFF_APISERVER_AUDIT_IN_PROCESS_AUDIT_H_
