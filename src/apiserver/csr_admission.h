// The certificates.k8s.io/v1 CertificateSigningRequest rules of Kubernetes' registry strategy and
// validation, as an admission plug-in on the write chain (admission.h):
//  * create: spec.username/uid/groups/extra come from the requesting user, never from the body;
//  * spec is immutable: every update keeps the stored spec (as the Kubernetes strategies do);
//  * a main-resource update changes metadata only; the status subresource may set the certificate
//    and conditions other than Approved/Denied; the approval subresource changes only conditions;
//  * condition timestamps are filled in (lastUpdateTime, lastTransitionTime);
//  * validation: the PEM request (one CERTIFICATE REQUEST block with a valid self-signature),
//    signerName (a qualified name), usages (known, no duplicates), expirationSeconds >= 600,
//    Approved/Denied/Failed conditions (status True, not duplicated, Approved and Denied exclusive,
//    never removed), the certificate (PEM certificates only, only once Approved, never changed).
// Thread-safety: stateless apart from the borrowed clock; safe for concurrent writers.
// Ownership: borrows the clock, which must outlive the plug-in.
// Failure: a refused write is a 422 Invalid Kubernetes status listing every field error.
#ifndef SKIFF_APISERVER_CSR_ADMISSION_H_
#define SKIFF_APISERVER_CSR_ADMISSION_H_

#include <string_view>
#include <vector>

#include "api/validation.h"
#include "apiserver/admission.h"
#include "base/clock.h"

namespace skiff::apiserver {

class CsrAdmission : public AdmissionPlugin {
 public:
  explicit CsrAdmission(const base::Clock* clock) : clock_(clock) {}

  absl::Status Mutate(const AdmissionRequest& request, boost::json::value& obj, const boost::json::value* old,
                      bool* changed) override;
  absl::Status Validate(const AdmissionRequest& request, const boost::json::value* obj,
                        const boost::json::value* old) override;

 private:
  const base::Clock* clock_;
};

// The field errors of a CSR about to be stored; `old` is null on create. Exposed for tests.
std::vector<api::FieldError> ValidateCertificateSigningRequest(const boost::json::value& csr,
                                                               const boost::json::value* old);

}  // namespace skiff::apiserver

#endif  // SKIFF_APISERVER_CSR_ADMISSION_H_
