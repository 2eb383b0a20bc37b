// PKCS#10 certificate signing requests, for the certificates.k8s.io API: parsing and checking the
// PEM request a client submits (the API server's validation and the signers' subject rules),
// making a key and a request (node agents bootstrapping their identity), and issuing a
// certificate for a request with the cluster CA (the csrsigning controller). Key usages use
// Kubernetes' names ("digital signature", "client auth", ...).
// Thread-safety: pure functions over their arguments; safe to call concurrently.
// Ownership: takes and returns PEM text; nothing is kept.
// Failure: malformed PEM, a bad signature or an unknown usage are InvalidArgument with a message fit
// for a Kubernetes field error; OpenSSL failures while building keys or certificates are Internal.
#ifndef SKIFF_HTTP_CERTIFICATE_REQUEST_H_
#define SKIFF_HTTP_CERTIFICATE_REQUEST_H_

#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "http/pki.h"

namespace skiff::http {

// What a parsed request asks for.
struct CertificateRequestInfo {
  std::string common_name;
  std::vector<std::string> organizations;
  SubjectAltNames sans;  // DNS and IP subject alternative names
  int email_sans = 0;    // email and URI SANs are counted only: no Kubernetes signer issues them
  int uri_sans = 0;
};

// Parses one "CERTIFICATE REQUEST" PEM block and checks the request's self-signature.
absl::StatusOr<CertificateRequestInfo> ParseCertificateRequest(std::string_view pem);

// Whether `usage` is one of Kubernetes' KeyUsage names (certificates/v1 KeyUsage constants).
bool IsKnownKeyUsage(std::string_view usage);

// A new EC P-256 private key, PEM (PKCS#8).
absl::StatusOr<std::string> NewPrivateKeyPem();

// A request signed by `key_pem` for subject O=organizations..., CN=common_name.
absl::StatusOr<std::string> NewCertificateRequestPem(const std::string& key_pem,
                                                     const std::string& common_name,
                                                     const std::vector<std::string>& organizations);

// What the signer puts in a certificate besides the request's subject, key and SANs.
struct IssueOptions {
  std::vector<std::string> usages;  // Kubernetes KeyUsage names; unknown names fail
  absl::Time now;
  // As Kubernetes' signing policy: notBefore = now - backdate (clock skew); notAfter = now +
  // validity - backdate, or now + validity when validity is shorter than `short_validity`;
  // never after the CA's own notAfter.
  absl::Duration validity;
  absl::Duration backdate = absl::Minutes(5);
  absl::Duration short_validity = absl::Hours(8);
};

// Issues a certificate (PEM) for the request `csr_pem`, signed by the CA cert/key (PEM).
absl::StatusOr<std::string> IssueCertificate(std::string_view csr_pem, const std::string& ca_cert_pem,
                                             const std::string& ca_key_pem, const IssueOptions& options);

// Whether the private key `key_pem` belongs to the (first) certificate in `cert_pem`.
bool KeyMatchesCertificate(const std::string& key_pem, const std::string& cert_pem);

// notBefore / notAfter of a certificate.
struct CertificateValidity {
  absl::Time not_before;
  absl::Time not_after;
};
absl::StatusOr<CertificateValidity> ValidityOf(X509* cert);

}  // namespace skiff::http

#endif  // SKIFF_HTTP_CERTIFICATE_REQUEST_H_
