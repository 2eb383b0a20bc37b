// The authorization checks Kubernetes' CSR admission plug-ins make beyond RBAC on the request:
//  * CertificateApproval: an update of certificatesigningrequests/approval needs `approve` on
//    `signers` (group certificates.k8s.io) named the CSR's signerName, or `<domain>/*`;
//  * CertificateSigning: a /status update that sets or changes status.certificate needs `sign` on
//    the same;
//  * CertificateSubjectRestriction: a request for kubernetes.io/kube-apiserver-client may not ask
//    for the system:masters group.
// Writes without a user (the server's own) are not checked.
// Thread-safety: stateless apart from the borrowed Authorizer (itself thread-safe).
// Ownership: borrows the Authorizer, which must outlive the plug-in.
// Failure: 403 Forbidden worded as admission.NewForbidden:
// `certificatesigningrequests.certificates.k8s.io "NAME" is forbidden: user not permitted to ...`.
#ifndef SKIFF_APISERVER_CSR_AUTHORIZATION_H_
#define SKIFF_APISERVER_CSR_AUTHORIZATION_H_

#include <string>

#include "apiserver/admission.h"
#include "apiserver/auth.h"

namespace skiff::apiserver {

class CsrAuthorization : public AdmissionPlugin {
 public:
  explicit CsrAuthorization(const Authorizer* authorizer) : authorizer_(authorizer) {}

  absl::Status Validate(const AdmissionRequest& request, const boost::json::value* obj,
                        const boost::json::value* old) override;

 private:
  // Whether `user` may `verb` signers named `signer_name` or `<its domain>/*`.
  bool MaySigner(const User& user, const std::string& verb, const std::string& signer_name) const;

  const Authorizer* authorizer_;
};

}  // namespace skiff::apiserver

#endif  // SKIFF_APISERVER_CSR_AUTHORIZATION_H_
