// Auditor and RequestAudit: the audit log's face to the API handler.
//
// Auditor holds the policy, the object size limit and the BatchWriter. RequestAudit follows one
// request: it stamps it with an audit ID (the client's Audit-ID header when it is a plausible ID,
// else a new UUID) and the time it arrived; Received (after authentication) evaluates the policy
// and writes RequestReceived; Respond adds the Audit-Id response header (always, even with auditing
// off, as kube-apiserver does) and writes ResponseComplete, or for watches, streams and upgraded
// connections ResponseStarted at once and ResponseComplete when they end. Panic replaces
// ResponseComplete when the handler threw. Requests answered before authentication are recorded
// as kube-apiserver does: a failed authentication as ResponseStarted with code 401 and no user;
// probes (served without authentication) as system:anonymous.
//
// Request and RequestResponse levels add requestObject/responseObject, decoded from bodies of at
// most max_object_bytes; a larger body, or one that is not JSON/YAML/protobuf, is left out and an
// annotation (audit.skiff.io/request-object, audit.skiff.io/response-object) says why. Streamed
// list bodies are never buffered for the log.
//
// Thread-safety: Auditor is immutable and used from any thread; a RequestAudit belongs to one
// request (its stream part may finish on another thread). Ownership: RequestAudit keeps the
// Auditor alive (shared_ptr) while a stream it wraps runs. Failure: nothing here fails a request;
// lines that cannot be queued or written are counted and logged by the BatchWriter.
#ifndef SKIFF_APISERVER_AUDIT_AUDITOR_H_
#define SKIFF_APISERVER_AUDIT_AUDITOR_H_

#include <map>
#include <memory>
#include <set>
#include <string>
#include <string_view>

#include "apiserver/audit/batch_writer.h"
#include "apiserver/audit/event.h"
#include "apiserver/audit/policy.h"
#include "base/clock.h"
#include "http/http_types.h"

namespace skiff::apiserver::audit {

// The annotations kube-apiserver's authorization filter adds.
inline constexpr char kDecisionAnnotation[] = "authorization.k8s.io/decision";
inline constexpr char kReasonAnnotation[] = "authorization.k8s.io/reason";
inline constexpr char kRequestObjectAnnotation[] = "audit.skiff.io/request-object";
inline constexpr char kResponseObjectAnnotation[] = "audit.skiff.io/response-object";

// The objectRef of a resource request's event (what the attributes name).
ObjectRef RefOf(const Attributes& attributes);

class Auditor {
 public:
  Auditor(Policy policy, std::unique_ptr<BatchWriter> writer, const base::Clock* clock,
          size_t max_object_bytes = size_t{256} << 10);

  RuleDecision Decide(const Attributes& attributes) const { return policy_.Evaluate(attributes); }
  // Stamps the stage time and queues the event unless its stage is omitted.
  void Emit(Event& event, const std::set<Stage>& omit_stages) const;
  const base::Clock& clock() const { return *clock_; }
  size_t max_object_bytes() const { return max_object_bytes_; }
  BatchWriter& writer() const { return *writer_; }

 private:
  Policy policy_;
  std::unique_ptr<BatchWriter> writer_;
  const base::Clock* clock_;
  size_t max_object_bytes_;
};

class RequestAudit {
 public:
  // `auditor` may be null (auditing off): then only the Audit-Id header is added.
  RequestAudit(std::shared_ptr<const Auditor> auditor, const http::HttpRequest& req);
  RequestAudit(const RequestAudit&) = delete;
  RequestAudit& operator=(const RequestAudit&) = delete;

  const std::string& id() const { return event_.audit_id; }
  // The request is authenticated: decides its level and writes RequestReceived.
  void Received(const http::HttpRequest& req, const Attributes& attributes);
  // Authentication failed: the answer is recorded as ResponseStarted with no user.
  void Unauthenticated(const Attributes& attributes);
  // The user the request acts as (Impersonate-User headers).
  void SetImpersonatedUser(UserInfo user);
  // The authorizer's answer, as authorization.k8s.io/decision and .../reason.
  void SetAuthorization(bool allowed, const std::string& reason);
  // Annotations the request's handling added (admission plug-ins'); later keys win.
  void AddAnnotations(const std::map<std::string, std::string>& annotations);
  // The handler threw `what`: writes Panic (code 500) instead of ResponseComplete.
  void Panic(std::string_view what);
  // Adds the Audit-Id header and records the response (see the file comment).
  void Respond(const http::HttpRequest& req, http::HttpResponse& resp);

 private:
  void Decide(const Attributes& attributes);

  std::shared_ptr<const Auditor> auditor_;
  Event event_;
  RuleDecision decision_;
  bool decided_ = false;
  bool unauthenticated_ = false;
  bool finished_ = false;
};

}  // namespace skiff::apiserver::audit

#endif  // SKIFF_APISERVER_AUDIT_AUDITOR_H_
