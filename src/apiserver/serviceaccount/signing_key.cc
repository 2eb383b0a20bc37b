#include "apiserver/serviceaccount/signing_key.h"

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/sha.h>
#include <openssl/x509.h>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "base/file.h"

namespace skiff::apiserver::serviceaccount {
namespace {

constexpr int kCoordinateBytes = 32;  // P-256

absl::Status OpenSslError(absl::string_view what) {
  char buf[256] = "unknown error";
  if (unsigned long e = ERR_get_error(); e != 0) ERR_error_string_n(e, buf, sizeof(buf));
  ERR_clear_error();
  return absl::InternalError(absl::StrCat(what, ": ", buf));
}

struct BioFree {
  void operator()(BIO* b) const { BIO_free(b); }
};
struct MdCtxFree {
  void operator()(EVP_MD_CTX* c) const { EVP_MD_CTX_free(c); }
};
struct EcdsaSigFree {
  void operator()(ECDSA_SIG* s) const { ECDSA_SIG_free(s); }
};
struct BnFree {
  void operator()(BIGNUM* b) const { BN_free(b); }
};

std::string Base64Url(absl::string_view bytes) { return absl::WebSafeBase64Escape(bytes); }

absl::StatusOr<std::string> Coordinate(EVP_PKEY* key, const char* param) {
  BIGNUM* raw = nullptr;
  if (EVP_PKEY_get_bn_param(key, param, &raw) != 1) return OpenSslError("reading the public key");
  std::unique_ptr<BIGNUM, BnFree> bn(raw);
  std::string out(kCoordinateBytes, '\0');
  if (BN_bn2binpad(bn.get(), reinterpret_cast<unsigned char*>(out.data()), kCoordinateBytes) != kCoordinateBytes) {
    return OpenSslError("encoding the public key");
  }
  return out;
}

}  // namespace

SigningKey::SigningKey(EVP_PKEY* key) : key_(key) {}

SigningKey::~SigningKey() { EVP_PKEY_free(key_); }

absl::StatusOr<std::unique_ptr<SigningKey>> SigningKey::Generate() {
  EVP_PKEY* key = EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256");
  if (!key) return OpenSslError("generating a P-256 key");
  std::unique_ptr<SigningKey> out(new SigningKey(key));
  if (auto s = out->Describe(); !s.ok()) return s;
  return out;
}

absl::StatusOr<std::unique_ptr<SigningKey>> SigningKey::FromPem(absl::string_view pem) {
  std::unique_ptr<BIO, BioFree> bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  if (!bio) return OpenSslError("reading the key");
  EVP_PKEY* key = PEM_read_bio_PrivateKey(bio.get(), nullptr, nullptr, nullptr);
  if (!key) return OpenSslError("parsing the PEM private key");
  std::unique_ptr<SigningKey> out(new SigningKey(key));
  char curve[64] = "";
  size_t len = 0;
  if (!EVP_PKEY_is_a(key, "EC") ||
      EVP_PKEY_get_utf8_string_param(key, OSSL_PKEY_PARAM_GROUP_NAME, curve, sizeof(curve), &len) != 1 ||
      absl::string_view(curve, len) != "prime256v1") {
    ERR_clear_error();
    return absl::InvalidArgumentError("the service account signing key must be an ECDSA key on curve P-256");
  }
  if (auto s = out->Describe(); !s.ok()) return s;
  return out;
}

absl::StatusOr<std::unique_ptr<SigningKey>> SigningKey::LoadOrCreate(const std::string& path) {
  auto pem = base::ReadFile(path);
  if (absl::IsNotFound(pem.status())) {
    auto fresh = Generate();
    if (!fresh.ok()) return fresh.status();
    auto fresh_pem = (*fresh)->PrivatePem();
    if (!fresh_pem.ok()) return fresh_pem.status();
    absl::Status written = base::WriteFileIfAbsent(path, *fresh_pem, 0600);
    if (written.ok()) return fresh;
    if (!absl::IsAlreadyExists(written)) return written;
    pem = base::ReadFile(path);  // another process created it first: use that one
  }
  if (!pem.ok()) return pem.status();
  auto key = FromPem(*pem);
  if (!key.ok()) return absl::Status(key.status().code(), absl::StrCat(path, ": ", key.status().message()));
  return key;
}

absl::StatusOr<std::string> SigningKey::PrivatePem() const {
  std::unique_ptr<BIO, BioFree> bio(BIO_new(BIO_s_mem()));
  if (!bio || PEM_write_bio_PrivateKey(bio.get(), key_, nullptr, nullptr, 0, nullptr, nullptr) != 1) {
    return OpenSslError("encoding the private key");
  }
  char* data = nullptr;
  long len = BIO_get_mem_data(bio.get(), &data);
  return std::string(data, static_cast<size_t>(len));
}

absl::StatusOr<std::string> SigningKey::Sign(absl::string_view input) const {
  std::unique_ptr<EVP_MD_CTX, MdCtxFree> ctx(EVP_MD_CTX_new());
  size_t der_len = 0;
  if (!ctx || EVP_DigestSignInit(ctx.get(), nullptr, EVP_sha256(), nullptr, key_) != 1 ||
      EVP_DigestSign(ctx.get(), nullptr, &der_len, reinterpret_cast<const unsigned char*>(input.data()),
                     input.size()) != 1) {
    return OpenSslError("signing");
  }
  std::string der(der_len, '\0');
  if (EVP_DigestSign(ctx.get(), reinterpret_cast<unsigned char*>(der.data()), &der_len,
                     reinterpret_cast<const unsigned char*>(input.data()), input.size()) != 1) {
    return OpenSslError("signing");
  }
  // EVP yields a DER ECDSA-Sig-Value; JWS wants the two integers side by side (RFC 7518 3.4).
  const unsigned char* p = reinterpret_cast<const unsigned char*>(der.data());
  std::unique_ptr<ECDSA_SIG, EcdsaSigFree> sig(d2i_ECDSA_SIG(nullptr, &p, static_cast<long>(der_len)));
  if (!sig) return OpenSslError("decoding the signature");
  std::string out(2 * kCoordinateBytes, '\0');
  auto* raw = reinterpret_cast<unsigned char*>(out.data());
  if (BN_bn2binpad(ECDSA_SIG_get0_r(sig.get()), raw, kCoordinateBytes) != kCoordinateBytes ||
      BN_bn2binpad(ECDSA_SIG_get0_s(sig.get()), raw + kCoordinateBytes, kCoordinateBytes) != kCoordinateBytes) {
    return OpenSslError("encoding the signature");
  }
  return out;
}

bool SigningKey::Verify(absl::string_view input, absl::string_view signature) const {
  if (signature.size() != 2 * kCoordinateBytes) return false;
  const auto* raw = reinterpret_cast<const unsigned char*>(signature.data());
  std::unique_ptr<ECDSA_SIG, EcdsaSigFree> sig(ECDSA_SIG_new());
  BIGNUM* r = BN_bin2bn(raw, kCoordinateBytes, nullptr);
  BIGNUM* s = BN_bin2bn(raw + kCoordinateBytes, kCoordinateBytes, nullptr);
  if (!sig || !r || !s || ECDSA_SIG_set0(sig.get(), r, s) != 1) {
    BN_free(r);
    BN_free(s);
    ERR_clear_error();
    return false;
  }
  unsigned char* der = nullptr;
  int der_len = i2d_ECDSA_SIG(sig.get(), &der);
  if (der_len <= 0) {
    ERR_clear_error();
    return false;
  }
  std::unique_ptr<EVP_MD_CTX, MdCtxFree> ctx(EVP_MD_CTX_new());
  bool ok = ctx && EVP_DigestVerifyInit(ctx.get(), nullptr, EVP_sha256(), nullptr, key_) == 1 &&
            EVP_DigestVerify(ctx.get(), der, static_cast<size_t>(der_len),
                             reinterpret_cast<const unsigned char*>(input.data()), input.size()) == 1;
  OPENSSL_free(der);
  ERR_clear_error();
  return ok;
}

absl::Status SigningKey::Describe() {
  unsigned char* der = nullptr;
  int der_len = i2d_PUBKEY(key_, &der);
  if (der_len <= 0) return OpenSslError("encoding the public key");
  unsigned char digest[SHA256_DIGEST_LENGTH];
  SHA256(der, static_cast<size_t>(der_len), digest);
  OPENSSL_free(der);
  key_id_ = Base64Url(absl::string_view(reinterpret_cast<const char*>(digest), sizeof(digest)));
  auto x = Coordinate(key_, OSSL_PKEY_PARAM_EC_PUB_X);
  if (!x.ok()) return x.status();
  auto y = Coordinate(key_, OSSL_PKEY_PARAM_EC_PUB_Y);
  if (!y.ok()) return y.status();
  jwk_ = boost::json::object{{"use", "sig"}, {"kty", "EC"},          {"kid", key_id_},   {"crv", "P-256"},
                             {"alg", kAlgorithm}, {"x", Base64Url(*x)}, {"y", Base64Url(*y)}};
  return absl::OkStatus();
}

}  // namespace skiff::apiserver::serviceaccount
