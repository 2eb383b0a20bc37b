// Admission plug-ins: the checks and rewrites that run on every write after authorization, as
// kube-apiserver's admission chain (ServiceAccount, LimitRanger, ResourceQuota, PodSecurity,
// NodeRestriction ...). ResourceStorage runs them on every write path, HTTP or in-process:
//   schema defaults + validation (Admission) -> Mutate of every plug-in, in registration order ->
//   schema defaults + validation again if a plug-in changed the object -> Validate of every plug-in.
// Deletes run Validate only, with `obj` null and `old` the object being deleted. Plug-ins see
// every resource and pick what they handle themselves (a cheap check of request.resource first).
//
// Thread-safety: plug-ins are called concurrently from many writers and must be safe for it.
// Ownership: ResourceStorage borrows plug-ins (they outlive it); an AdmissionRequest borrows
// everything it points to for the duration of one call.
// Failure: a plug-in refuses a write with a Kubernetes API error status (403 Forbidden for policy,
// 422 Invalid for bad values), which the writer receives unchanged; nothing is stored.
// Reservations: a plug-in that sets something aside for an admitted write (ResourceQuota's usage)
// hands it to AdmissionRequest::Reserve; the write commits it once stored, and a write that fails
// later (storage conflict, another plug-in's refusal) or is a dry run gives it back.
#ifndef SKIFF_APISERVER_ADMISSION_H_
#define SKIFF_APISERVER_ADMISSION_H_

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "api/resources.h"
#include "boost/json/fwd.hpp"

namespace skiff::apiserver {

struct User;  // apiserver/auth.h

// Annotations a plug-in adds to the request's audit event (Kubernetes' audit.AddAuditAnnotation),
// e.g. pod-security.kubernetes.io/audit-violations.
using AuditAnnotations = std::map<std::string, std::string>;

// kConnect (pods/exec, attach, portforward) never goes through ResourceStorage's chain: the
// ApiHandler asks its connect admission (the admission webhooks) directly, with the request's
// options object (PodExecOptions ...) as `obj`.
enum class AdmissionOperation { kCreate, kUpdate, kDelete, kConnect };

// "CREATE", "UPDATE", "DELETE", "CONNECT" (the spelling of admission.k8s.io and of messages).
// Inline: plug-in libraries below skiff_apiserver (admissionwebhook) use it too.
inline absl::string_view OperationName(AdmissionOperation op) {
  switch (op) {
    case AdmissionOperation::kCreate:
      return "CREATE";
    case AdmissionOperation::kUpdate:
      return "UPDATE";
    case AdmissionOperation::kDelete:
      return "DELETE";
    case AdmissionOperation::kConnect:
      return "CONNECT";
  }
  return "";
}

// What a plug-in set aside for one write. Commit(revision) is called once the write is stored at
// `revision`; destroying a reservation that was not committed gives back what it took.
class AdmissionReservation {
 public:
  virtual ~AdmissionReservation() = default;
  virtual void Commit(int64_t revision) = 0;
};

// What is being written and by whom (Kubernetes' admission.Attributes).
struct AdmissionRequest {
  AdmissionOperation operation = AdmissionOperation::kCreate;
  const api::ResourceInfo* resource = nullptr;
  absl::string_view subresource;  // "", "status", "scale", "binding", ...
  absl::string_view ns;
  absl::string_view name;
  // The writer; null for in-process writes made without an identity (the server's own bootstrap).
  const User* user = nullptr;
  bool dry_run = false;
  // Warnings for the client (HTTP "Warning: 299" headers); null when the writer does not collect them.
  std::vector<std::string>* warnings = nullptr;
  // Collects the write's reservations; null when the write keeps none (then Reserve gives back at once).
  std::vector<std::unique_ptr<AdmissionReservation>>* reservations = nullptr;
  // Collects audit annotations; null when the writer is not audited by request (then they are dropped).
  AuditAnnotations* audit_annotations = nullptr;

  void Warn(std::string message) const {
    if (warnings) warnings->push_back(std::move(message));
  }
  void AddAuditAnnotation(std::string key, std::string value) const {
    if (audit_annotations) (*audit_annotations)[std::move(key)] = std::move(value);
  }
  void Reserve(std::unique_ptr<AdmissionReservation> reservation) const {
    if (reservations) reservations->push_back(std::move(reservation));
  }
};

class AdmissionPlugin {
 public:
  virtual ~AdmissionPlugin() = default;
  // May change `obj` (create/update only) and then sets *changed, so that the schema defaults and
  // validation run again over the result; `old` is null on create.
  virtual absl::Status Mutate(const AdmissionRequest& request, boost::json::value& obj,
                              const boost::json::value* old, bool* changed) {
    (void)request, (void)obj, (void)old, (void)changed;
    return absl::OkStatus();
  }
  // Accepts or refuses the final object. `obj` is null on delete; `old` is null on create.
  virtual absl::Status Validate(const AdmissionRequest& request, const boost::json::value* obj,
                                const boost::json::value* old) {
    (void)request, (void)obj, (void)old;
    return absl::OkStatus();
  }
};

}  // namespace skiff::apiserver

#endif  // SKIFF_APISERVER_ADMISSION_H_
