#include "http/certificate_request.h"

#include <arpa/inet.h>
#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509v3.h>

#include <algorithm>
#include <memory>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/string_view.h"

namespace skiff::http {
namespace {

struct PkeyDeleter {
  void operator()(EVP_PKEY* p) const { EVP_PKEY_free(p); }
};
struct BioDeleter {
  void operator()(BIO* b) const { BIO_free(b); }
};
struct ReqDeleter {
  void operator()(X509_REQ* r) const { X509_REQ_free(r); }
};
struct ExtensionsDeleter {
  void operator()(STACK_OF(X509_EXTENSION) * s) const { sk_X509_EXTENSION_pop_free(s, X509_EXTENSION_free); }
};
struct NamesDeleter {
  void operator()(GENERAL_NAMES* g) const { GENERAL_NAMES_free(g); }
};
struct ExtensionDeleter {
  void operator()(X509_EXTENSION* e) const { X509_EXTENSION_free(e); }
};
struct BignumDeleter {
  void operator()(BIGNUM* b) const { BN_free(b); }
};
using PkeyPtr = std::unique_ptr<EVP_PKEY, PkeyDeleter>;
using BioPtr = std::unique_ptr<BIO, BioDeleter>;
using ReqPtr = std::unique_ptr<X509_REQ, ReqDeleter>;
using ExtensionsPtr = std::unique_ptr<STACK_OF(X509_EXTENSION), ExtensionsDeleter>;
using NamesPtr = std::unique_ptr<GENERAL_NAMES, NamesDeleter>;
using ExtensionPtr = std::unique_ptr<X509_EXTENSION, ExtensionDeleter>;
using BignumPtr = std::unique_ptr<BIGNUM, BignumDeleter>;

// The first error on OpenSSL's queue (and clears the queue).
std::string OpenSslDetail() {
  std::string detail;
  while (unsigned long code = ERR_get_error()) {
    if (detail.empty()) {
      char buf[256];
      ERR_error_string_n(code, buf, sizeof(buf));
      detail = buf;
    }
  }
  return detail.empty() ? "unknown OpenSSL error" : detail;
}

absl::Status Internal(absl::string_view what) {
  return absl::InternalError(absl::StrCat(what, ": ", OpenSslDetail()));
}

// Kubernetes KeyUsage name -> OpenSSL keyUsage / extendedKeyUsage short name.
struct UsageName {
  std::string_view kubernetes;
  const char* openssl;
  bool extended;
};
constexpr UsageName kUsages[] = {
    {"signing", "digitalSignature", false},
    {"digital signature", "digitalSignature", false},
    {"content commitment", "nonRepudiation", false},
    {"key encipherment", "keyEncipherment", false},
    {"key agreement", "keyAgreement", false},
    {"data encipherment", "dataEncipherment", false},
    {"cert sign", "keyCertSign", false},
    {"crl sign", "cRLSign", false},
    {"encipher only", "encipherOnly", false},
    {"decipher only", "decipherOnly", false},
    {"any", "anyExtendedKeyUsage", true},
    {"server auth", "serverAuth", true},
    {"client auth", "clientAuth", true},
    {"code signing", "codeSigning", true},
    {"email protection", "emailProtection", true},
    {"s/mime", "emailProtection", true},
    {"ipsec end system", "ipsecEndSystem", true},
    {"ipsec tunnel", "ipsecTunnel", true},
    {"ipsec user", "ipsecUser", true},
    {"timestamping", "timeStamping", true},
    {"ocsp signing", "OCSPSigning", true},
    {"microsoft sgc", "msSGC", true},
    {"netscape sgc", "nsSGC", true},
};

const UsageName* FindUsage(std::string_view usage) {
  for (const UsageName& u : kUsages) {
    if (u.kubernetes == usage) return &u;
  }
  return nullptr;
}

std::string Utf8(const ASN1_STRING* s) {
  unsigned char* out = nullptr;
  int len = ASN1_STRING_to_UTF8(&out, s);
  if (len < 0) {
    ERR_clear_error();
    return "";
  }
  std::string text(reinterpret_cast<char*>(out), static_cast<size_t>(len));
  OPENSSL_free(out);
  return text;
}

// Decodes exactly one PEM block of type CERTIFICATE REQUEST (as Kubernetes' ParseCSR: the
// first block must be of that type).
absl::StatusOr<ReqPtr> DecodeRequest(std::string_view pem) {
  BioPtr bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  char* name = nullptr;
  char* header = nullptr;
  unsigned char* data = nullptr;
  long len = 0;
  if (!bio || PEM_read_bio(bio.get(), &name, &header, &data, &len) != 1) {
    ERR_clear_error();
    return absl::InvalidArgumentError("PEM block type must be CERTIFICATE REQUEST");
  }
  std::string type(name);
  OPENSSL_free(name);
  OPENSSL_free(header);
  const unsigned char* p = data;
  ReqPtr req(type == "CERTIFICATE REQUEST" ? d2i_X509_REQ(nullptr, &p, len) : nullptr);
  OPENSSL_free(data);
  if (type != "CERTIFICATE REQUEST")
    return absl::InvalidArgumentError("PEM block type must be CERTIFICATE REQUEST");
  if (!req)
    return absl::InvalidArgumentError(absl::StrCat("x509: malformed certificate request: ", OpenSslDetail()));
  return req;
}

void ReadSans(X509_REQ* req, CertificateRequestInfo* info) {
  ExtensionsPtr exts(X509_REQ_get_extensions(req));
  if (!exts) return;
  for (int i = 0; i < sk_X509_EXTENSION_num(exts.get()); ++i) {
    X509_EXTENSION* ext = sk_X509_EXTENSION_value(exts.get(), i);
    if (OBJ_obj2nid(X509_EXTENSION_get_object(ext)) != NID_subject_alt_name) continue;
    NamesPtr names(static_cast<GENERAL_NAMES*>(X509V3_EXT_d2i(ext)));
    if (!names) continue;
    for (int j = 0; j < sk_GENERAL_NAME_num(names.get()); ++j) {
      const GENERAL_NAME* gn = sk_GENERAL_NAME_value(names.get(), j);
      if (gn->type == GEN_DNS) {
        info->sans.dns.push_back(Utf8(gn->d.dNSName));
      } else if (gn->type == GEN_IPADD) {
        const ASN1_OCTET_STRING* s = gn->d.iPAddress;
        char buf[64];
        int family = ASN1_STRING_length(s) == 4 ? AF_INET : AF_INET6;
        if (inet_ntop(family, ASN1_STRING_get0_data(s), buf, sizeof(buf))) info->sans.ips.emplace_back(buf);
      } else if (gn->type == GEN_EMAIL) {
        ++info->email_sans;
      } else if (gn->type == GEN_URI) {
        ++info->uri_sans;
      }
    }
  }
}

absl::StatusOr<std::string> ToPem(int (*write)(BIO*, void*), void* what, absl::string_view label) {
  BioPtr bio(BIO_new(BIO_s_mem()));
  if (!bio || write(bio.get(), what) != 1) return Internal(absl::StrCat("encode ", label));
  char* data = nullptr;
  long len = BIO_get_mem_data(bio.get(), &data);
  return std::string(data, static_cast<size_t>(len));
}

absl::StatusOr<PkeyPtr> ParseKey(const std::string& pem) {
  BioPtr bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  PkeyPtr key(bio ? PEM_read_bio_PrivateKey(bio.get(), nullptr, nullptr, nullptr) : nullptr);
  if (!key) return absl::InvalidArgumentError(absl::StrCat("parse private key: ", OpenSslDetail()));
  return key;
}

absl::Status AddExtension(X509* cert, X509V3_CTX* ctx, int nid, const std::string& value) {
  ExtensionPtr ext(X509V3_EXT_conf_nid(nullptr, ctx, nid, value.c_str()));
  if (!ext || X509_add_ext(cert, ext.get(), -1) != 1) return Internal(absl::StrCat("add ", OBJ_nid2sn(nid)));
  return absl::OkStatus();
}

// keyUsage and extendedKeyUsage extensions of the requested usages.
absl::Status AddUsages(X509* cert, X509V3_CTX* ctx, const std::vector<std::string>& usages) {
  std::vector<std::string> key_usages, extended;
  for (const std::string& usage : usages) {
    const UsageName* u = FindUsage(usage);
    if (!u) return absl::InvalidArgumentError(absl::StrCat("unknown key usage \"", usage, "\""));
    std::vector<std::string>& list = u->extended ? extended : key_usages;
    if (std::find(list.begin(), list.end(), u->openssl) == list.end()) list.push_back(u->openssl);
  }
  if (!key_usages.empty()) {
    absl::Status st = AddExtension(cert, ctx, NID_key_usage, "critical," + absl::StrJoin(key_usages, ","));
    if (!st.ok()) return st;
  }
  if (!extended.empty()) return AddExtension(cert, ctx, NID_ext_key_usage, absl::StrJoin(extended, ","));
  return absl::OkStatus();
}

// Copies the request's subjectAltName extension, if any, into the certificate.
absl::Status CopySans(X509_REQ* req, X509* cert) {
  ExtensionsPtr exts(X509_REQ_get_extensions(req));
  if (!exts) return absl::OkStatus();
  for (int i = 0; i < sk_X509_EXTENSION_num(exts.get()); ++i) {
    X509_EXTENSION* ext = sk_X509_EXTENSION_value(exts.get(), i);
    if (OBJ_obj2nid(X509_EXTENSION_get_object(ext)) != NID_subject_alt_name) continue;
    if (X509_add_ext(cert, ext, -1) != 1) return Internal("copy subjectAltName");
  }
  return absl::OkStatus();
}

absl::Status SetRandomSerial(X509* cert) {
  unsigned char bytes[16];
  if (RAND_bytes(bytes, sizeof(bytes)) != 1) return Internal("random serial number");
  bytes[0] &= 0x7f;
  bytes[0] |= 0x01;
  BignumPtr bn(BN_bin2bn(bytes, sizeof(bytes), nullptr));
  if (!bn || !BN_to_ASN1_INTEGER(bn.get(), X509_get_serialNumber(cert))) return Internal("set serial");
  return absl::OkStatus();
}

absl::StatusOr<absl::Time> Asn1Time(const ASN1_TIME* t) {
  struct tm parts = {};
  if (ASN1_TIME_to_tm(t, &parts) != 1) return Internal("read certificate time");
  return absl::FromTM(parts, absl::UTCTimeZone());
}

}  // namespace

absl::StatusOr<CertificateRequestInfo> ParseCertificateRequest(std::string_view pem) {
  absl::StatusOr<ReqPtr> req = DecodeRequest(pem);
  if (!req.ok()) return req.status();
  PkeyPtr key(X509_REQ_get_pubkey(req->get()));
  if (!key || X509_REQ_verify(req->get(), key.get()) != 1) {
    ERR_clear_error();
    return absl::InvalidArgumentError("x509: certificate request signature verification failed");
  }
  CertificateRequestInfo info;
  X509_NAME* subject = X509_REQ_get_subject_name(req->get());
  for (int i = -1; (i = X509_NAME_get_index_by_NID(subject, NID_commonName, i)) >= 0;) {
    info.common_name = Utf8(X509_NAME_ENTRY_get_data(X509_NAME_get_entry(subject, i)));
  }
  for (int i = -1; (i = X509_NAME_get_index_by_NID(subject, NID_organizationName, i)) >= 0;) {
    info.organizations.push_back(Utf8(X509_NAME_ENTRY_get_data(X509_NAME_get_entry(subject, i))));
  }
  ReadSans(req->get(), &info);
  return info;
}

bool IsKnownKeyUsage(std::string_view usage) { return FindUsage(usage) != nullptr; }

absl::StatusOr<std::string> NewPrivateKeyPem() {
  PkeyPtr key(EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256"));
  if (!key) return Internal("generate ECDSA P-256 key");
  return ToPem(
      [](BIO* bio, void* k) {
        return PEM_write_bio_PrivateKey(bio, static_cast<EVP_PKEY*>(k), nullptr, nullptr, 0, nullptr,
                                        nullptr);
      },
      key.get(), "private key");
}

absl::StatusOr<std::string> NewCertificateRequestPem(const std::string& key_pem,
                                                     const std::string& common_name,
                                                     const std::vector<std::string>& organizations) {
  absl::StatusOr<PkeyPtr> key = ParseKey(key_pem);
  if (!key.ok()) return key.status();
  ReqPtr req(X509_REQ_new());
  if (!req || X509_REQ_set_version(req.get(), 0) != 1) return Internal("allocate certificate request");
  X509_NAME* name = X509_REQ_get_subject_name(req.get());
  for (const std::string& org : organizations) {
    if (X509_NAME_add_entry_by_txt(name, "O", MBSTRING_UTF8,
                                   reinterpret_cast<const unsigned char*>(org.c_str()), -1, -1, 0) != 1) {
      return Internal("set subject O");
    }
  }
  if (X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8,
                                 reinterpret_cast<const unsigned char*>(common_name.c_str()), -1, -1,
                                 0) != 1) {
    return Internal("set subject CN");
  }
  if (X509_REQ_set_pubkey(req.get(), key->get()) != 1 ||
      X509_REQ_sign(req.get(), key->get(), EVP_sha256()) <= 0) {
    return Internal("sign certificate request");
  }
  return ToPem([](BIO* bio, void* r) { return PEM_write_bio_X509_REQ(bio, static_cast<X509_REQ*>(r)); },
               req.get(), "certificate request");
}

absl::StatusOr<std::string> IssueCertificate(std::string_view csr_pem, const std::string& ca_cert_pem,
                                             const std::string& ca_key_pem, const IssueOptions& options) {
  absl::StatusOr<ReqPtr> req = DecodeRequest(csr_pem);
  if (!req.ok()) return req.status();
  absl::StatusOr<X509Ptr> ca = ParseCertificatePem(ca_cert_pem);
  if (!ca.ok()) return ca.status();
  absl::StatusOr<PkeyPtr> ca_key = ParseKey(ca_key_pem);
  if (!ca_key.ok()) return ca_key.status();
  absl::StatusOr<CertificateValidity> ca_validity = ValidityOf(ca->get());
  if (!ca_validity.ok()) return ca_validity.status();
  PkeyPtr subject_key(X509_REQ_get_pubkey(req->get()));
  if (!subject_key) return absl::InvalidArgumentError("certificate request has no usable public key");

  X509Ptr cert(X509_new());
  if (!cert || X509_set_version(cert.get(), X509_VERSION_3) != 1) return Internal("allocate certificate");
  if (absl::Status st = SetRandomSerial(cert.get()); !st.ok()) return st;
  if (X509_set_subject_name(cert.get(), X509_REQ_get_subject_name(req->get())) != 1 ||
      X509_set_issuer_name(cert.get(), X509_get_subject_name(ca->get())) != 1 ||
      X509_set_pubkey(cert.get(), subject_key.get()) != 1) {
    return Internal("set certificate names and key");
  }
  absl::Duration lifetime =
      options.validity < options.short_validity ? options.validity : options.validity - options.backdate;
  absl::Time not_after = std::min(options.now + lifetime, ca_validity->not_after);
  if (!ASN1_TIME_set(X509_getm_notBefore(cert.get()), absl::ToTimeT(options.now - options.backdate)) ||
      !ASN1_TIME_set(X509_getm_notAfter(cert.get()), absl::ToTimeT(not_after))) {
    return Internal("set validity");
  }
  X509V3_CTX ctx;
  X509V3_set_ctx(&ctx, ca->get(), cert.get(), nullptr, nullptr, 0);
  absl::Status st = AddExtension(cert.get(), &ctx, NID_basic_constraints, "critical,CA:FALSE");
  if (st.ok()) st = AddUsages(cert.get(), &ctx, options.usages);
  if (st.ok()) st = AddExtension(cert.get(), &ctx, NID_authority_key_identifier, "keyid:always");
  if (st.ok()) st = CopySans(req->get(), cert.get());
  if (!st.ok()) return st;
  if (X509_sign(cert.get(), ca_key->get(), EVP_sha256()) <= 0) return Internal("sign certificate");
  return ToPem([](BIO* bio, void* c) { return PEM_write_bio_X509(bio, static_cast<X509*>(c)); }, cert.get(),
               "certificate");
}

bool KeyMatchesCertificate(const std::string& key_pem, const std::string& cert_pem) {
  absl::StatusOr<PkeyPtr> key = ParseKey(key_pem);
  absl::StatusOr<X509Ptr> cert = ParseCertificatePem(cert_pem);
  bool match = key.ok() && cert.ok() && X509_check_private_key(cert->get(), key->get()) == 1;
  ERR_clear_error();
  return match;
}

absl::StatusOr<CertificateValidity> ValidityOf(X509* cert) {
  if (!cert) return absl::InvalidArgumentError("no certificate");
  absl::StatusOr<absl::Time> not_before = Asn1Time(X509_get0_notBefore(cert));
  if (!not_before.ok()) return not_before.status();
  absl::StatusOr<absl::Time> not_after = Asn1Time(X509_get0_notAfter(cert));
  if (!not_after.ok()) return not_after.status();
  return CertificateValidity{*not_before, *not_after};
}

}  // namespace skiff::http
