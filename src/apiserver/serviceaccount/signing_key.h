// SigningKey: the ECDSA P-256 key the API server signs ServiceAccount tokens with (JWS "ES256"),
// created on first start as a PKCS#8 PEM file (mode 0600) and reused on later starts, like
// kube-apiserver's --service-account-key-file/--service-account-signing-key-file.
// Thread-safety: immutable after construction; Sign and Verify may run concurrently (each call uses
// its own EVP context). Ownership: owns its EVP_PKEY.
// Failure: unreadable or malformed key files and OpenSSL errors are Status values naming the file
// and OpenSSL's reason; Verify answers false for any bad signature, never an error.
#ifndef SKIFF_APISERVER_SERVICEACCOUNT_SIGNING_KEY_H_
#define SKIFF_APISERVER_SERVICEACCOUNT_SIGNING_KEY_H_

#include <memory>
#include <string>
#include "absl/strings/string_view.h"

#include "absl/status/statusor.h"
#include "boost/json/object.hpp"

typedef struct evp_pkey_st EVP_PKEY;

namespace skiff::apiserver::serviceaccount {

class SigningKey {
 public:
  // JWS algorithm of every key of this class.
  static constexpr char kAlgorithm[] = "ES256";

  // A fresh random key.
  static absl::StatusOr<std::unique_ptr<SigningKey>> Generate();
  // A key from a PEM private key (PKCS#8 or SEC1 "EC PRIVATE KEY") on the P-256 curve.
  static absl::StatusOr<std::unique_ptr<SigningKey>> FromPem(absl::string_view pem);
  // Reads the key at `path`, or creates it there (0600, create-if-absent so concurrent starts agree).
  static absl::StatusOr<std::unique_ptr<SigningKey>> LoadOrCreate(const std::string& path);

  ~SigningKey();
  SigningKey(const SigningKey&) = delete;
  SigningKey& operator=(const SigningKey&) = delete;

  // The private key as PKCS#8 PEM.
  absl::StatusOr<std::string> PrivatePem() const;
  // The JWS signature of `input` (ECDSA over SHA-256, r||s, 64 bytes), not yet base64url-encoded.
  absl::StatusOr<std::string> Sign(absl::string_view input) const;
  // Whether `signature` (r||s) is this key's signature of `input`.
  bool Verify(absl::string_view input, absl::string_view signature) const;
  // Key id as Kubernetes derives it: base64url (no padding) of SHA-256 of the DER public key.
  const std::string& key_id() const { return key_id_; }
  // The public key as a JSON Web Key (RFC 7517: use, kty, kid, crv, alg, x, y).
  const boost::json::object& public_jwk() const { return jwk_; }

 private:
  explicit SigningKey(EVP_PKEY* key);
  absl::Status Describe();

  EVP_PKEY* key_;
  std::string key_id_;
  boost::json::object jwk_;
};

}  // namespace skiff::apiserver::serviceaccount

#endif  // SKIFF_APISERVER_SERVICEACCOUNT_SIGNING_KEY_H_
