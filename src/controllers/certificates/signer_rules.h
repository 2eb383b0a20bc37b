// What each Kubernetes signer served by skiff's csrsigning controller will issue (Kubernetes'
// pkg/apis/certificates ValidateKubeletClientCSR / IsKubeletServingCSR and the
// kube-apiserver-client signer's usage rules), and the CSR condition helpers shared by the signing
// and approving controllers.
// Thread-safety: pure functions. Ownership: values. Failure: a request a signer must not issue
// gets InvalidArgument with the reason, which the signer records in a Failed condition.
#ifndef SKIFF_CONTROLLERS_CERTIFICATES_SIGNER_RULES_H_
#define SKIFF_CONTROLLERS_CERTIFICATES_SIGNER_RULES_H_

#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "boost/json/value.hpp"
#include "http/certificate_request.h"

namespace skiff::controllers::certificates {

inline constexpr char kKubeletClientSigner[] = "kubernetes.io/kube-apiserver-client-kubelet";
inline constexpr char kKubeletServingSigner[] = "kubernetes.io/kubelet-serving";
inline constexpr char kApiServerClientSigner[] = "kubernetes.io/kube-apiserver-client";
inline constexpr char kNodeUserPrefix[] = "system:node:";
inline constexpr char kNodesGroup[] = "system:nodes";

// Whether csrsigning issues certificates for `signer_name`.
bool IsServedSigner(std::string_view signer_name);

// OK when `signer_name` may issue a certificate for `request` with `usages`.
absl::Status CheckSignerRules(std::string_view signer_name, const http::CertificateRequestInfo& request,
                              const std::vector<std::string>& usages);

// Conditions of a CSR object.
bool HasCondition(const boost::json::value& csr, std::string_view type);
bool IsApproved(const boost::json::value& csr);  // Approved and not Denied
bool IsDecided(const boost::json::value& csr);   // Approved or Denied
// Appends a condition {type, status True, reason, message, lastUpdateTime} to status.conditions.
void AddCondition(boost::json::value& csr, std::string_view type, std::string_view reason,
                  std::string_view message, std::string_view now);

// spec.usages as strings; spec.request decoded from base64 ("" when absent or not base64).
std::vector<std::string> Usages(const boost::json::value& csr);
std::string RequestPem(const boost::json::value& csr);

}  // namespace skiff::controllers::certificates

#endif  // SKIFF_CONTROLLERS_CERTIFICATES_SIGNER_RULES_H_
