#include "http/pki.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <ifaddrs.h>
#include <netinet/in.h>
#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509v3.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <set>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "base/file.h"
#include "spdlog/spdlog.h"

namespace skiff::http {
namespace {

constexpr absl::Duration kCaValidity = absl::Hours(24 * 3650);
constexpr absl::Duration kLeafValidity = absl::Hours(24 * 365);
// Leaves with less than this left are re-issued at startup; an expired CA is regenerated.
constexpr absl::Duration kRenewBefore = absl::Hours(24 * 30);
// notBefore is back-dated so peers with a slightly slow clock accept a fresh certificate.
constexpr absl::Duration kBackdate = absl::Hours(1);

const char* const kClusterDnsNames[] = {"localhost", "kubernetes", "kubernetes.default",
                                        "kubernetes.default.svc", "kubernetes.default.svc.cluster.local"};

// ---- OpenSSL handles and errors -------------------------------------------------------------

struct EvpPkeyDeleter {
  void operator()(EVP_PKEY* p) const { EVP_PKEY_free(p); }
};
struct BioDeleter {
  void operator()(BIO* b) const { BIO_free(b); }
};
struct BignumDeleter {
  void operator()(BIGNUM* b) const { BN_free(b); }
};
struct GeneralNamesDeleter {
  void operator()(GENERAL_NAMES* g) const { GENERAL_NAMES_free(g); }
};
struct ExtensionDeleter {
  void operator()(X509_EXTENSION* e) const { X509_EXTENSION_free(e); }
};
using EvpPkeyPtr = std::unique_ptr<EVP_PKEY, EvpPkeyDeleter>;
using BioPtr = std::unique_ptr<BIO, BioDeleter>;
using BignumPtr = std::unique_ptr<BIGNUM, BignumDeleter>;
using GeneralNamesPtr = std::unique_ptr<GENERAL_NAMES, GeneralNamesDeleter>;
using ExtensionPtr = std::unique_ptr<X509_EXTENSION, ExtensionDeleter>;

// Drains OpenSSL's thread-local error queue into one message.
absl::Status OpenSslError(absl::string_view what) {
  std::string detail;
  while (unsigned long code = ERR_get_error()) {
    char buf[256];
    ERR_error_string_n(code, buf, sizeof(buf));
    absl::StrAppend(&detail, detail.empty() ? "" : "; ", buf);
  }
  if (detail.empty()) detail = "unknown OpenSSL error";
  return absl::InternalError(absl::StrCat(what, ": ", detail));
}

// ---- files ------------------------------------------------------------------------------------

using base::ErrnoStatus;
using base::ReadFile;

// Creates `dir` (and parents) if missing; a directory this call creates gets `mode`.
absl::Status EnsureDirectory(const std::string& dir, mode_t mode) {
  std::error_code ec;
  bool created = std::filesystem::create_directories(dir, ec);
  if (ec) return absl::InternalError(absl::StrCat("create directory ", dir, ": ", ec.message()));
  if (created && chmod(dir.c_str(), mode) != 0) return ErrnoStatus(errno, absl::StrCat("chmod ", dir));
  return absl::OkStatus();
}

// ---- keys and certificates ------------------------------------------------------------------

absl::StatusOr<EvpPkeyPtr> GenerateKey() {
  EvpPkeyPtr key(EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256"));
  if (!key) return OpenSslError("generate ECDSA P-256 key");
  return key;
}

absl::StatusOr<std::string> KeyToPem(EVP_PKEY* key) {
  BioPtr bio(BIO_new(BIO_s_mem()));
  if (!bio || PEM_write_bio_PrivateKey(bio.get(), key, nullptr, nullptr, 0, nullptr, nullptr) != 1) {
    return OpenSslError("encode private key");
  }
  char* data = nullptr;
  long len = BIO_get_mem_data(bio.get(), &data);
  return std::string(data, static_cast<size_t>(len));
}

absl::StatusOr<std::string> CertToPem(X509* cert) {
  BioPtr bio(BIO_new(BIO_s_mem()));
  if (!bio || PEM_write_bio_X509(bio.get(), cert) != 1) return OpenSslError("encode certificate");
  char* data = nullptr;
  long len = BIO_get_mem_data(bio.get(), &data);
  return std::string(data, static_cast<size_t>(len));
}

absl::StatusOr<EvpPkeyPtr> LoadKey(const std::string& path) {
  absl::StatusOr<std::string> pem = ReadFile(path);
  if (!pem.ok()) return pem.status();
  BioPtr bio(BIO_new_mem_buf(pem->data(), static_cast<int>(pem->size())));
  EvpPkeyPtr key(bio ? PEM_read_bio_PrivateKey(bio.get(), nullptr, nullptr, nullptr) : nullptr);
  if (!key) return OpenSslError(absl::StrCat("parse private key ", path));
  return key;
}

// One certificate to issue.
struct CertSpec {
  std::string common_name;
  std::vector<std::string> organizations;
  bool is_ca = false;
  const char* ext_key_usage = nullptr;  // "serverAuth" / "clientAuth"; null for the CA
  SubjectAltNames sans;
  absl::Duration validity;
};

absl::Status AddConfExtension(X509* cert, X509V3_CTX* ctx, int nid, const char* value) {
  ExtensionPtr ext(X509V3_EXT_conf_nid(nullptr, ctx, nid, value));
  if (!ext || X509_add_ext(cert, ext.get(), -1) != 1) {
    return OpenSslError(absl::StrCat("add extension ", OBJ_nid2sn(nid), "=", value));
  }
  return absl::OkStatus();
}

absl::Status AddSans(X509* cert, const SubjectAltNames& sans) {
  GeneralNamesPtr names(sk_GENERAL_NAME_new_null());
  if (!names) return OpenSslError("allocate SAN list");
  for (const std::string& dns : sans.dns) {
    GENERAL_NAME* gn = GENERAL_NAME_new();
    ASN1_IA5STRING* ia5 = ASN1_IA5STRING_new();
    if (!gn || !ia5 || ASN1_STRING_set(ia5, dns.data(), static_cast<int>(dns.size())) != 1) {
      GENERAL_NAME_free(gn);
      ASN1_IA5STRING_free(ia5);
      return OpenSslError("build DNS SAN " + dns);
    }
    GENERAL_NAME_set0_value(gn, GEN_DNS, ia5);
    sk_GENERAL_NAME_push(names.get(), gn);
  }
  for (const std::string& ip : sans.ips) {
    ASN1_OCTET_STRING* octets = a2i_IPADDRESS(ip.c_str());
    GENERAL_NAME* gn = GENERAL_NAME_new();
    if (!octets || !gn) {
      ASN1_OCTET_STRING_free(octets);
      GENERAL_NAME_free(gn);
      return OpenSslError("build IP SAN " + ip);
    }
    GENERAL_NAME_set0_value(gn, GEN_IPADD, octets);
    sk_GENERAL_NAME_push(names.get(), gn);
  }
  if (X509_add1_ext_i2d(cert, NID_subject_alt_name, names.get(), 0, X509V3_ADD_DEFAULT) != 1) {
    return OpenSslError("add subjectAltName");
  }
  return absl::OkStatus();
}

absl::Status SetSerial(X509* cert) {
  unsigned char bytes[16];
  if (RAND_bytes(bytes, sizeof(bytes)) != 1) return OpenSslError("random serial number");
  bytes[0] &= 0x7f;  // positive
  bytes[0] |= 0x01;  // and exactly 16 bytes long
  BignumPtr bn(BN_bin2bn(bytes, sizeof(bytes), nullptr));
  if (!bn || !BN_to_ASN1_INTEGER(bn.get(), X509_get_serialNumber(cert))) return OpenSslError("set serial");
  return absl::OkStatus();
}

absl::Status SetSubject(X509* cert, const CertSpec& spec) {
  X509_NAME* name = X509_get_subject_name(cert);
  for (const std::string& org : spec.organizations) {
    if (X509_NAME_add_entry_by_txt(name, "O", MBSTRING_UTF8,
                                   reinterpret_cast<const unsigned char*>(org.c_str()), -1, -1, 0) != 1) {
      return OpenSslError("set subject O=" + org);
    }
  }
  if (X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8,
                                 reinterpret_cast<const unsigned char*>(spec.common_name.c_str()), -1, -1,
                                 0) != 1) {
    return OpenSslError("set subject CN=" + spec.common_name);
  }
  return absl::OkStatus();
}

// Issues a certificate for `subject_key`. With a null `issuer` the certificate is self-signed by
// `issuer_key` (which must then be `subject_key`).
absl::StatusOr<X509Ptr> Issue(const CertSpec& spec, EVP_PKEY* subject_key, X509* issuer, EVP_PKEY* issuer_key,
                              absl::Time now) {
  X509Ptr cert(X509_new());
  if (!cert) return OpenSslError("allocate certificate");
  if (X509_set_version(cert.get(), X509_VERSION_3) != 1) return OpenSslError("set version");
  if (absl::Status st = SetSerial(cert.get()); !st.ok()) return st;
  if (absl::Status st = SetSubject(cert.get(), spec); !st.ok()) return st;
  X509_NAME* issuer_name = issuer ? X509_get_subject_name(issuer) : X509_get_subject_name(cert.get());
  if (X509_set_issuer_name(cert.get(), issuer_name) != 1) return OpenSslError("set issuer");
  time_t not_before = absl::ToTimeT(now - kBackdate);
  time_t not_after = absl::ToTimeT(now + spec.validity);
  if (!ASN1_TIME_set(X509_getm_notBefore(cert.get()), not_before) ||
      !ASN1_TIME_set(X509_getm_notAfter(cert.get()), not_after)) {
    return OpenSslError("set validity");
  }
  if (X509_set_pubkey(cert.get(), subject_key) != 1) return OpenSslError("set public key");

  X509V3_CTX ctx;
  X509V3_set_ctx(&ctx, issuer ? issuer : cert.get(), cert.get(), nullptr, nullptr, 0);
  absl::Status st = AddConfExtension(cert.get(), &ctx, NID_basic_constraints,
                                     spec.is_ca ? "critical,CA:TRUE" : "critical,CA:FALSE");
  if (st.ok()) {
    st = AddConfExtension(
        cert.get(), &ctx, NID_key_usage,
        spec.is_ca ? "critical,digitalSignature,keyCertSign,cRLSign" : "critical,digitalSignature");
  }
  if (st.ok() && spec.ext_key_usage)
    st = AddConfExtension(cert.get(), &ctx, NID_ext_key_usage, spec.ext_key_usage);
  if (st.ok()) st = AddConfExtension(cert.get(), &ctx, NID_subject_key_identifier, "hash");
  if (st.ok()) st = AddConfExtension(cert.get(), &ctx, NID_authority_key_identifier, "keyid:always");
  if (st.ok() && (!spec.sans.dns.empty() || !spec.sans.ips.empty())) st = AddSans(cert.get(), spec.sans);
  if (!st.ok()) return st;

  if (X509_sign(cert.get(), issuer_key, EVP_sha256()) <= 0) return OpenSslError("sign certificate");
  return cert;
}

// A certificate and its key loaded from disk.
struct KeyPair {
  X509Ptr cert;
  EvpPkeyPtr key;
};

// Loads cert + key; fails if either is missing, unparsable, or they do not belong together.
absl::StatusOr<KeyPair> LoadKeyPair(const std::string& cert_path, const std::string& key_path) {
  absl::StatusOr<X509Ptr> cert = LoadCertificate(cert_path);
  if (!cert.ok()) return cert.status();
  absl::StatusOr<EvpPkeyPtr> key = LoadKey(key_path);
  if (!key.ok()) return key.status();
  if (X509_check_private_key(cert->get(), key->get()) != 1) {
    ERR_clear_error();
    return absl::FailedPreconditionError(absl::StrCat(key_path, " does not match ", cert_path));
  }
  return KeyPair{*std::move(cert), *std::move(key)};
}

absl::Status SaveKeyPair(const KeyPair& pair, const std::string& cert_path, const std::string& key_path) {
  absl::StatusOr<std::string> key_pem = KeyToPem(pair.key.get());
  if (!key_pem.ok()) return key_pem.status();
  absl::StatusOr<std::string> cert_pem = CertToPem(pair.cert.get());
  if (!cert_pem.ok()) return cert_pem.status();
  // Key first: a crash in between leaves a mismatched pair, which the next start detects and replaces.
  if (absl::Status st = base::WriteFileAtomically(key_path, *key_pem, 0600); !st.ok()) return st;
  return base::WriteFileAtomically(cert_path, *cert_pem, 0644);
}

absl::StatusOr<KeyPair> NewKeyPair(const CertSpec& spec, const KeyPair* issuer, absl::Time now) {
  absl::StatusOr<EvpPkeyPtr> key = GenerateKey();
  if (!key.ok()) return key.status();
  absl::StatusOr<X509Ptr> cert = issuer ? Issue(spec, key->get(), issuer->cert.get(), issuer->key.get(), now)
                                        : Issue(spec, key->get(), nullptr, key->get(), now);
  if (!cert.ok()) return cert.status();
  return KeyPair{*std::move(cert), *std::move(key)};
}

bool ExpiresBefore(X509* cert, absl::Time t) {
  return ASN1_TIME_cmp_time_t(X509_get0_notAfter(cert), absl::ToTimeT(t)) <= 0;
}

bool SignedBy(X509* cert, const KeyPair& ca) {
  bool ok = X509_verify(cert, ca.key.get()) == 1 &&
            X509_NAME_cmp(X509_get_issuer_name(cert), X509_get_subject_name(ca.cert.get())) == 0;
  ERR_clear_error();
  return ok;
}

bool CoversSans(X509* cert, const SubjectAltNames& want) {
  SubjectAltNames have = CertificateSans(cert);
  std::set<std::string> dns, ips(have.ips.begin(), have.ips.end());
  for (const std::string& d : have.dns) dns.insert(absl::AsciiStrToLower(d));
  for (const std::string& d : want.dns) {
    if (!dns.contains(d)) return false;
  }
  for (const std::string& ip : want.ips) {
    if (!ips.contains(ip)) return false;
  }
  return true;
}

// Canonical text of an IP address, or nullopt if `text` is not one.
std::optional<std::string> CanonicalIp(const std::string& text) {
  unsigned char buf[sizeof(in6_addr)];
  char out[INET6_ADDRSTRLEN];
  for (int family : {AF_INET, AF_INET6}) {
    if (inet_pton(family, text.c_str(), buf) == 1 && inet_ntop(family, buf, out, sizeof(out))) {
      return std::string(out);
    }
  }
  return std::nullopt;
}

void AddUnique(std::vector<std::string>& list, std::string value) {
  if (!value.empty() && std::find(list.begin(), list.end(), value) == list.end())
    list.push_back(std::move(value));
}

absl::StatusOr<SubjectAltNames> ServingSans(const PkiOptions& options) {
  SubjectAltNames sans;
  for (const char* name : kClusterDnsNames) AddUnique(sans.dns, name);
  AddUnique(sans.dns, absl::AsciiStrToLower(options.host_name ? *options.host_name : HostName()));
  AddUnique(sans.ips, "127.0.0.1");
  AddUnique(sans.ips, "::1");
  std::vector<std::string> addresses;
  if (options.host_addresses) {
    addresses = *options.host_addresses;
  } else {
    absl::StatusOr<std::vector<std::string>> found = HostAddresses();
    if (!found.ok()) return found.status();
    addresses = *std::move(found);
  }
  for (const std::string& a : addresses) {
    std::optional<std::string> ip = CanonicalIp(a);
    if (!ip) return absl::InvalidArgumentError(absl::StrCat("host address is not an IP: ", a));
    AddUnique(sans.ips, *ip);
  }
  for (const std::string& extra : options.extra_sans) {
    if (std::optional<std::string> ip = CanonicalIp(extra)) {
      AddUnique(sans.ips, *ip);
    } else {
      AddUnique(sans.dns, absl::AsciiStrToLower(extra));
    }
  }
  return sans;
}

absl::StatusOr<KeyPair> EnsureCa(const std::string& common_name, const std::string& cert_path,
                                 const std::string& key_path, absl::Time now, bool* regenerated) {
  *regenerated = false;
  absl::StatusOr<KeyPair> ca = LoadKeyPair(cert_path, key_path);
  if (ca.ok() && !ExpiresBefore(ca->cert.get(), now)) return ca;
  if (ca.ok()) {
    spdlog::warn("CA certificate {} has expired; generating a new CA", cert_path);
  } else if (!absl::IsNotFound(ca.status())) {
    spdlog::warn("CA {} is unusable ({}); generating a new CA", cert_path, ca.status().ToString());
  }
  CertSpec spec{.common_name = common_name, .is_ca = true, .validity = kCaValidity};
  ca = NewKeyPair(spec, nullptr, now);
  if (!ca.ok()) return ca.status();
  if (absl::Status st = SaveKeyPair(*ca, cert_path, key_path); !st.ok()) return st;
  *regenerated = true;
  return ca;
}

// Re-issues the leaf at cert_path/key_path unless it is valid for a while yet, signed by `ca`, and
// (for serving certificates) covers every wanted SAN.
absl::Status EnsureLeaf(const CertSpec& spec, const KeyPair& ca, const std::string& cert_path,
                        const std::string& key_path, bool force, absl::Time now) {
  if (!force) {
    absl::StatusOr<KeyPair> existing = LoadKeyPair(cert_path, key_path);
    const char* reason = nullptr;
    if (!existing.ok()) {
      if (!absl::IsNotFound(existing.status())) reason = "unusable";
    } else if (!SignedBy(existing->cert.get(), ca)) {
      reason = "not signed by the current CA";
    } else if (ExpiresBefore(existing->cert.get(), now + kRenewBefore)) {
      reason = "expiring";
    } else if (!CoversSans(existing->cert.get(), spec.sans)) {
      reason = "missing a host name or address";
    } else {
      return absl::OkStatus();
    }
    if (reason) spdlog::info("re-issuing certificate {} ({})", cert_path, reason);
  }
  absl::StatusOr<KeyPair> leaf = NewKeyPair(spec, &ca, now);
  if (!leaf.ok()) return leaf.status();
  return SaveKeyPair(*leaf, cert_path, key_path);
}

std::string Hex(const unsigned char* data, size_t len) {
  return absl::BytesToHexString(absl::string_view(reinterpret_cast<const char*>(data), len));
}

std::string Asn1ToUtf8(const ASN1_STRING* s) {
  unsigned char* out = nullptr;
  int len = ASN1_STRING_to_UTF8(&out, s);
  if (len < 0) {
    ERR_clear_error();
    return "";
  }
  std::string result(reinterpret_cast<char*>(out), static_cast<size_t>(len));
  OPENSSL_free(out);
  return result;
}

}  // namespace

PkiPaths PkiPathsFor(const std::string& data_dir) {
  PkiPaths p;
  p.data_dir = data_dir;
  p.pki_dir = data_dir + "/pki";
  p.ca_cert = p.pki_dir + "/ca.crt";
  p.ca_key = p.pki_dir + "/ca.key";
  p.server_cert = p.pki_dir + "/server.crt";
  p.server_key = p.pki_dir + "/server.key";
  p.admin_cert = p.pki_dir + "/admin.crt";
  p.admin_key = p.pki_dir + "/admin.key";
  p.kubelet_client_cert = p.pki_dir + "/kubelet-client.crt";
  p.kubelet_client_key = p.pki_dir + "/kubelet-client.key";
  p.front_proxy_ca_cert = p.pki_dir + "/front-proxy-ca.crt";
  p.front_proxy_ca_key = p.pki_dir + "/front-proxy-ca.key";
  p.front_proxy_client_cert = p.pki_dir + "/front-proxy-client.crt";
  p.front_proxy_client_key = p.pki_dir + "/front-proxy-client.key";
  p.admin_token = data_dir + "/admin.token";
  p.node_token = data_dir + "/node.token";
  p.admin_kubeconfig = data_dir + "/admin.kubeconfig";
  return p;
}

absl::StatusOr<PkiPaths> EnsurePki(const std::string& data_dir, const PkiOptions& options) {
  if (data_dir.empty()) return absl::InvalidArgumentError("data directory is empty");
  PkiPaths paths = PkiPathsFor(data_dir);
  if (absl::Status st = EnsureDirectory(paths.data_dir, 0700); !st.ok()) return st;
  if (absl::Status st = EnsureDirectory(paths.pki_dir, 0700); !st.ok()) return st;
  if (chmod(paths.pki_dir.c_str(), 0700) != 0) return ErrnoStatus(errno, "chmod " + paths.pki_dir);

  absl::Time now = (options.clock ? *options.clock : base::RealClock()).Now();
  absl::StatusOr<SubjectAltNames> sans = ServingSans(options);
  if (!sans.ok()) return sans.status();

  bool new_ca = false;
  absl::StatusOr<KeyPair> ca = EnsureCa("skiff-ca", paths.ca_cert, paths.ca_key, now, &new_ca);
  if (!ca.ok()) return ca.status();

  CertSpec server{.common_name = "skiff-apiserver",
                  .ext_key_usage = "serverAuth",
                  .sans = *std::move(sans),
                  .validity = kLeafValidity};
  if (absl::Status st = EnsureLeaf(server, *ca, paths.server_cert, paths.server_key, new_ca, now); !st.ok()) {
    return st;
  }
  CertSpec admin{.common_name = "admin",
                 .organizations = {"system:masters"},
                 .ext_key_usage = "clientAuth",
                 .validity = kLeafValidity};
  if (absl::Status st = EnsureLeaf(admin, *ca, paths.admin_cert, paths.admin_key, new_ca, now); !st.ok()) {
    return st;
  }
  CertSpec kubelet_client{.common_name = kKubeletClientCommonName,
                          .organizations = {"system:masters"},
                          .ext_key_usage = "clientAuth",
                          .validity = kLeafValidity};
  if (absl::Status st =
          EnsureLeaf(kubelet_client, *ca, paths.kubelet_client_cert, paths.kubelet_client_key, new_ca, now);
      !st.ok()) {
    return st;
  }
  bool new_front_proxy_ca = false;
  absl::StatusOr<KeyPair> front_proxy_ca = EnsureCa("skiff-front-proxy-ca", paths.front_proxy_ca_cert,
                                                    paths.front_proxy_ca_key, now, &new_front_proxy_ca);
  if (!front_proxy_ca.ok()) return front_proxy_ca.status();
  CertSpec front_proxy_client{.common_name = kFrontProxyClientCommonName,
                              .ext_key_usage = "clientAuth",
                              .validity = kLeafValidity};
  if (absl::Status st = EnsureLeaf(front_proxy_client, *front_proxy_ca, paths.front_proxy_client_cert,
                                   paths.front_proxy_client_key, new_front_proxy_ca, now);
      !st.ok()) {
    return st;
  }
  return paths;
}

absl::StatusOr<PkiPaths> EnsurePki(const std::string& data_dir, const std::vector<std::string>& extra_sans) {
  PkiOptions options;
  options.extra_sans = extra_sans;
  return EnsurePki(data_dir, options);
}

absl::StatusOr<std::string> EnsureToken(const std::string& path) {
  std::string parent = std::filesystem::path(path).parent_path().string();
  if (!parent.empty()) {
    if (absl::Status st = EnsureDirectory(parent, 0700); !st.ok()) return st;
  }
  for (int attempt = 0; attempt < 2; ++attempt) {
    absl::StatusOr<std::string> existing = ReadFile(path);
    if (existing.ok()) {
      std::string token(absl::StripAsciiWhitespace(*existing));
      if (token.empty()) return absl::FailedPreconditionError(absl::StrCat("token file ", path, " is empty"));
      struct stat st;
      if (stat(path.c_str(), &st) == 0 && (st.st_mode & 077) != 0 && chmod(path.c_str(), 0600) != 0) {
        return ErrnoStatus(errno, "chmod " + path);
      }
      return token;
    }
    if (!absl::IsNotFound(existing.status())) return existing.status();

    unsigned char bytes[32];
    if (RAND_bytes(bytes, sizeof(bytes)) != 1) return OpenSslError("generate token");
    std::string token = Hex(bytes, sizeof(bytes));
    // Published only if nobody else did first; the loser reads the winner's token.
    absl::Status written = base::WriteFileIfAbsent(path, token + "\n", 0600);
    if (written.ok()) return token;
    if (!absl::IsAlreadyExists(written)) return written;
  }
  return absl::InternalError(absl::StrCat("token file ", path, " keeps disappearing"));
}

absl::StatusOr<UserInfo> UserFromCertificate(X509* cert) {
  if (!cert) return absl::UnauthenticatedError("no client certificate");
  X509_NAME* subject = X509_get_subject_name(cert);
  UserInfo user;
  // Like Go's pkix.Name, the last CN wins and every O is a group.
  for (int i = -1; (i = X509_NAME_get_index_by_NID(subject, NID_commonName, i)) >= 0;) {
    user.name = Asn1ToUtf8(X509_NAME_ENTRY_get_data(X509_NAME_get_entry(subject, i)));
  }
  for (int i = -1; (i = X509_NAME_get_index_by_NID(subject, NID_organizationName, i)) >= 0;) {
    user.groups.push_back(Asn1ToUtf8(X509_NAME_ENTRY_get_data(X509_NAME_get_entry(subject, i))));
  }
  if (user.name.empty()) return absl::UnauthenticatedError("client certificate has no common name");
  return user;
}

absl::StatusOr<std::vector<std::string>> HostAddresses() {
  ifaddrs* list = nullptr;
  if (getifaddrs(&list) != 0) return ErrnoStatus(errno, "getifaddrs");
  std::vector<std::string> out;
  for (ifaddrs* ifa = list; ifa; ifa = ifa->ifa_next) {
    if (!ifa->ifa_addr) continue;
    char buf[INET6_ADDRSTRLEN];
    const void* addr = nullptr;
    int family = ifa->ifa_addr->sa_family;
    if (family == AF_INET) {
      addr = &reinterpret_cast<const sockaddr_in*>(ifa->ifa_addr)->sin_addr;
    } else if (family == AF_INET6) {
      addr = &reinterpret_cast<const sockaddr_in6*>(ifa->ifa_addr)->sin6_addr;
    } else {
      continue;
    }
    if (inet_ntop(family, addr, buf, sizeof(buf))) AddUnique(out, buf);
  }
  freeifaddrs(list);
  return out;
}

std::string HostName() {
  char buf[256] = {};
  if (gethostname(buf, sizeof(buf) - 1) != 0) return "";
  return absl::AsciiStrToLower(buf);
}

absl::StatusOr<X509Ptr> ParseCertificatePem(const std::string& pem) {
  BioPtr bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  X509Ptr cert(bio ? PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr) : nullptr);
  if (!cert) return OpenSslError("parse PEM certificate");
  return cert;
}

absl::StatusOr<X509Ptr> LoadCertificate(const std::string& pem_path) {
  absl::StatusOr<std::string> pem = ReadFile(pem_path);
  if (!pem.ok()) return pem.status();
  absl::StatusOr<X509Ptr> cert = ParseCertificatePem(*pem);
  if (!cert.ok())
    return absl::Status(cert.status().code(), absl::StrCat(pem_path, ": ", cert.status().message()));
  return cert;
}

absl::StatusOr<std::string> CertificateFingerprint(X509* cert) {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  if (!cert || X509_digest(cert, EVP_sha256(), md, &len) != 1) return OpenSslError("certificate digest");
  return Hex(md, len);
}

SubjectAltNames CertificateSans(X509* cert) {
  SubjectAltNames out;
  GeneralNamesPtr names(
      static_cast<GENERAL_NAMES*>(X509_get_ext_d2i(cert, NID_subject_alt_name, nullptr, nullptr)));
  if (!names) return out;
  for (int i = 0; i < sk_GENERAL_NAME_num(names.get()); ++i) {
    const GENERAL_NAME* gn = sk_GENERAL_NAME_value(names.get(), i);
    if (gn->type == GEN_DNS) {
      const ASN1_IA5STRING* s = gn->d.dNSName;
      out.dns.emplace_back(reinterpret_cast<const char*>(ASN1_STRING_get0_data(s)),
                           static_cast<size_t>(ASN1_STRING_length(s)));
    } else if (gn->type == GEN_IPADD) {
      const ASN1_OCTET_STRING* s = gn->d.iPAddress;
      int len = ASN1_STRING_length(s);
      char buf[INET6_ADDRSTRLEN];
      int family = len == 4 ? AF_INET : len == 16 ? AF_INET6 : AF_UNSPEC;
      if (family != AF_UNSPEC && inet_ntop(family, ASN1_STRING_get0_data(s), buf, sizeof(buf))) {
        out.ips.emplace_back(buf);
      }
    }
  }
  return out;
}

}  // namespace skiff::http
