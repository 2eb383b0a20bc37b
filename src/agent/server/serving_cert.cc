#include "agent/server/serving_cert.h"

#include <arpa/inet.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <sys/stat.h>

#include <cstdio>
#include <ctime>
#include <filesystem>
#include <memory>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

namespace skiff::agent::server {

namespace {

constexpr long kValiditySeconds = 365L * 24 * 3600;
constexpr long kRenewBeforeSeconds = 30L * 24 * 3600;

struct FileCloser {
  void operator()(FILE* f) const { std::fclose(f); }
};
struct PkeyFree {
  void operator()(EVP_PKEY* k) const { EVP_PKEY_free(k); }
};
struct X509Free {
  void operator()(X509* x) const { X509_free(x); }
};
using FilePtr = std::unique_ptr<FILE, FileCloser>;
using PkeyPtr = std::unique_ptr<EVP_PKEY, PkeyFree>;
using X509Ptr = std::unique_ptr<X509, X509Free>;

absl::Status SslError(const std::string& what) {
  char buf[256] = {};
  ERR_error_string_n(ERR_get_error(), buf, sizeof(buf));
  ERR_clear_error();
  return absl::InternalError(absl::StrCat(what, ": ", buf));
}

bool ExistingIsUsable(const std::string& cert_path, const std::string& key_path) {
  FilePtr cf(std::fopen(cert_path.c_str(), "r"));
  FilePtr kf(std::fopen(key_path.c_str(), "r"));
  if (!cf || !kf) return false;
  X509Ptr cert(PEM_read_X509(cf.get(), nullptr, nullptr, nullptr));
  PkeyPtr key(PEM_read_PrivateKey(kf.get(), nullptr, nullptr, nullptr));
  ERR_clear_error();
  if (!cert || !key || X509_check_private_key(cert.get(), key.get()) != 1) return false;
  time_t soon = std::time(nullptr) + kRenewBeforeSeconds;
  return X509_cmp_time(X509_get0_notAfter(cert.get()), &soon) > 0;
}

std::string SanList(const std::vector<std::string>& hosts) {
  std::vector<std::string> parts;
  for (const auto& h : hosts) {
    unsigned char buf[16];
    bool ip = inet_pton(AF_INET, h.c_str(), buf) == 1 || inet_pton(AF_INET6, h.c_str(), buf) == 1;
    parts.push_back(absl::StrCat(ip ? "IP:" : "DNS:", h));
  }
  return absl::StrJoin(parts, ",");
}

}  // namespace

absl::Status EnsureSelfSignedCertificate(const std::string& cert_path, const std::string& key_path,
                                         const std::vector<std::string>& hosts) {
  if (ExistingIsUsable(cert_path, key_path)) return absl::OkStatus();
  std::error_code ec;
  std::filesystem::create_directories(std::filesystem::path(cert_path).parent_path(), ec);
  PkeyPtr key(EVP_EC_gen("P-256"));
  if (!key) return SslError("generating a key");
  X509Ptr cert(X509_new());
  if (!cert) return SslError("allocating a certificate");
  X509_set_version(cert.get(), 2);
  unsigned char serial[16];
  FilePtr urandom(std::fopen("/dev/urandom", "r"));
  if (!urandom || std::fread(serial, 1, sizeof(serial), urandom.get()) != sizeof(serial)) {
    return absl::InternalError("reading /dev/urandom");
  }
  serial[0] &= 0x7f;
  BIGNUM* bn = BN_bin2bn(serial, sizeof(serial), nullptr);
  BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(cert.get()));
  BN_free(bn);
  X509_gmtime_adj(X509_getm_notBefore(cert.get()), -3600);
  X509_gmtime_adj(X509_getm_notAfter(cert.get()), kValiditySeconds);
  X509_set_pubkey(cert.get(), key.get());
  std::string cn = hosts.empty() ? "skiff-agent" : hosts.front();
  X509_NAME* name = X509_get_subject_name(cert.get());
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8, reinterpret_cast<const unsigned char*>(cn.c_str()),
                             -1, -1, 0);
  X509_set_issuer_name(cert.get(), name);
  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, cert.get(), cert.get(), nullptr, nullptr, 0);
  std::vector<std::pair<int, std::string>> extensions = {{NID_basic_constraints, "critical,CA:FALSE"},
                                                         {NID_key_usage, "critical,digitalSignature"},
                                                         {NID_ext_key_usage, "serverAuth"}};
  if (!hosts.empty()) extensions.emplace_back(NID_subject_alt_name, SanList(hosts));
  for (const auto& [nid, value] : extensions) {
    X509_EXTENSION* ext = X509V3_EXT_conf_nid(nullptr, &ctx, nid, value.c_str());
    if (!ext) return SslError(absl::StrCat("certificate extension ", value));
    X509_add_ext(cert.get(), ext, -1);
    X509_EXTENSION_free(ext);
  }
  if (X509_sign(cert.get(), key.get(), EVP_sha256()) <= 0) return SslError("signing the certificate");

  std::string key_tmp = key_path + ".tmp";
  {
    FilePtr kf(std::fopen(key_tmp.c_str(), "w"));
    if (!kf) return absl::InternalError(absl::StrCat("creating ", key_tmp));
    chmod(key_tmp.c_str(), 0600);
    if (PEM_write_PrivateKey(kf.get(), key.get(), nullptr, nullptr, 0, nullptr, nullptr) != 1) {
      return SslError("writing the key");
    }
  }
  std::string cert_tmp = cert_path + ".tmp";
  {
    FilePtr cf(std::fopen(cert_tmp.c_str(), "w"));
    if (!cf) return absl::InternalError(absl::StrCat("creating ", cert_tmp));
    if (PEM_write_X509(cf.get(), cert.get()) != 1) return SslError("writing the certificate");
  }
  std::filesystem::rename(key_tmp, key_path, ec);
  if (!ec) std::filesystem::rename(cert_tmp, cert_path, ec);
  if (ec) return absl::InternalError(absl::StrCat("installing ", cert_path, ": ", ec.message()));
  return absl::OkStatus();
}

}  // namespace skiff::agent::server
