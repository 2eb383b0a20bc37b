#include "apiserver/cluster_identity.h"

#include <openssl/evp.h>
#include <openssl/rand.h>
#include <openssl/sha.h>

#include <filesystem>
#include <memory>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "base/file.h"
#include "base/json.h"
#include "boost/json.hpp"

namespace skiff::apiserver {
namespace {

namespace json = boost::json;

constexpr int kIterations = 100000;
constexpr int kKeyBytes = 32, kSaltBytes = 16, kNonceBytes = 12, kTagBytes = 16;

// "/bootstrap/registry/": the clusters of one etcd told apart by --etcd-prefix keep apart.
std::string ScopePrefix(const std::string& scope) {
  std::string s(scope);
  while (!s.empty() && s.back() == '/') s.pop_back();
  if (!s.empty() && s.front() != '/') s.insert(0, "/");
  return absl::StrCat("/bootstrap", s, "/");
}

std::string StoreKey(const std::string& token, const std::string& scope) {
  unsigned char digest[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(token.data()), token.size(), digest);
  return absl::StrCat(ScopePrefix(scope),
                      absl::BytesToHexString(absl::string_view(reinterpret_cast<char*>(digest), 12)));
}

absl::StatusOr<std::string> DeriveKey(const std::string& token, const std::string& salt, int iterations) {
  std::string key(kKeyBytes, '\0');
  if (PKCS5_PBKDF2_HMAC(token.data(), static_cast<int>(token.size()),
                        reinterpret_cast<const unsigned char*>(salt.data()), static_cast<int>(salt.size()),
                        iterations, EVP_sha256(), kKeyBytes,
                        reinterpret_cast<unsigned char*>(key.data())) != 1) {
    return absl::InternalError("PBKDF2 failed");
  }
  return key;
}

using CipherContext = std::unique_ptr<EVP_CIPHER_CTX, decltype(&EVP_CIPHER_CTX_free)>;

const unsigned char* Bytes(const std::string& s) { return reinterpret_cast<const unsigned char*>(s.data()); }
unsigned char* Bytes(std::string& s) { return reinterpret_cast<unsigned char*>(s.data()); }

// The identity files of `data_dir` as {relative path: base64 content}.
absl::StatusOr<json::object> ReadIdentity(const std::string& data_dir) {
  json::object files;
  for (const auto& rel : ClusterIdentityFiles()) {
    auto content = base::ReadFile(absl::StrCat(data_dir, "/", rel));
    if (!content.ok()) return content.status();
    files[rel] = absl::Base64Escape(*content);
  }
  return files;
}

// Writes the files that are missing, and checks those present are the cluster's.
absl::Status Materialize(const json::object& files, const std::string& data_dir) {
  for (const auto& rel : ClusterIdentityFiles()) {
    const json::value* encoded = files.if_contains(rel);
    std::string content;
    // Identities published before the aggregation layer lack the front-proxy CA: each server
    // then keeps its own.
    if (!encoded && rel.starts_with("pki/front-proxy-")) continue;
    if (!encoded || !encoded->is_string() || !absl::Base64Unescape(encoded->as_string().c_str(), &content)) {
      return absl::DataLossError(absl::StrCat("the stored cluster identity lacks ", rel));
    }
    std::string path = absl::StrCat(data_dir, "/", rel);
    if (std::filesystem::exists(path)) {
      auto local = base::ReadFile(path);
      if (!local.ok()) return local.status();
      if (*local != content) {
        return absl::FailedPreconditionError(
            absl::StrCat(path, " differs from the cluster's: this data dir belongs to another cluster"));
      }
      continue;
    }
    std::error_code ec;
    std::filesystem::create_directories(std::filesystem::path(path).parent_path(), ec);
    std::filesystem::permissions(std::filesystem::path(path).parent_path(), std::filesystem::perms::owner_all,
                                 std::filesystem::perm_options::replace, ec);
    mode_t mode = path.ends_with(".crt") ? 0644 : 0600;
    if (auto s = base::WriteFileAtomically(path, content, mode); !s.ok()) return s;
  }
  return absl::OkStatus();
}

absl::Status NoOtherCluster(storage::Store* store, const std::string& scope) {
  auto others = store->List(ScopePrefix(scope));
  if (!others.ok()) return others.status();
  if (!others->kvs.empty()) {
    return absl::FailedPreconditionError(
        "the store holds the identity of a cluster whose servers were started with another --token");
  }
  return absl::OkStatus();
}

absl::StatusOr<json::object> OpenStored(const std::string& envelope, const std::string& token) {
  auto plain = OpenWithToken(envelope, token);
  if (!plain.ok()) return plain.status();
  auto parsed = base::ParseJson(*plain);
  if (!parsed.ok() || !parsed->is_object())
    return absl::DataLossError("the stored cluster identity is not JSON");
  return parsed->as_object();
}

}  // namespace

const std::vector<std::string>& ClusterIdentityFiles() {
  static const auto* files = new std::vector<std::string>{
      "pki/ca.crt", "pki/ca.key", "pki/service-account.key", "admin.token", "node.token",
      "pki/front-proxy-ca.crt", "pki/front-proxy-ca.key"};
  return *files;
}

absl::StatusOr<std::string> SealWithToken(const std::string& plaintext, const std::string& token) {
  std::string salt(kSaltBytes, '\0'), nonce(kNonceBytes, '\0'), tag(kTagBytes, '\0');
  if (RAND_bytes(Bytes(salt), kSaltBytes) != 1 || RAND_bytes(Bytes(nonce), kNonceBytes) != 1) {
    return absl::InternalError("no random bytes");
  }
  auto key = DeriveKey(token, salt, kIterations);
  if (!key.ok()) return key.status();
  CipherContext ctx(EVP_CIPHER_CTX_new(), EVP_CIPHER_CTX_free);
  std::string ciphertext(plaintext.size(), '\0');
  int len = 0, final_len = 0;
  if (!ctx || EVP_EncryptInit_ex(ctx.get(), EVP_aes_256_gcm(), nullptr, nullptr, nullptr) != 1 ||
      EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_SET_IVLEN, kNonceBytes, nullptr) != 1 ||
      EVP_EncryptInit_ex(ctx.get(), nullptr, nullptr, Bytes(*key), Bytes(nonce)) != 1 ||
      EVP_EncryptUpdate(ctx.get(), Bytes(ciphertext), &len, Bytes(plaintext),
                        static_cast<int>(plaintext.size())) != 1 ||
      EVP_EncryptFinal_ex(ctx.get(), Bytes(ciphertext) + len, &final_len) != 1 ||
      EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_GET_TAG, kTagBytes, tag.data()) != 1) {
    return absl::InternalError("AES-256-GCM encryption failed");
  }
  json::object envelope{{"version", 1},
                        {"kdf", "pbkdf2-hmac-sha256"},
                        {"iterations", kIterations},
                        {"salt", absl::Base64Escape(salt)},
                        {"nonce", absl::Base64Escape(nonce)},
                        {"ciphertext", absl::Base64Escape(ciphertext)},
                        {"tag", absl::Base64Escape(tag)}};
  return json::serialize(envelope);
}

absl::StatusOr<std::string> OpenWithToken(const std::string& envelope, const std::string& token) {
  auto parsed = base::ParseJson(envelope);
  if (!parsed.ok() || !parsed->is_object())
    return absl::DataLossError("the sealed cluster identity is not JSON");
  std::string salt, nonce, ciphertext, tag;
  int64_t iterations = base::GetInt(*parsed, {"iterations"});
  if (!absl::Base64Unescape(base::GetString(*parsed, {"salt"}), &salt) ||
      !absl::Base64Unescape(base::GetString(*parsed, {"nonce"}), &nonce) ||
      !absl::Base64Unescape(base::GetString(*parsed, {"ciphertext"}), &ciphertext) ||
      !absl::Base64Unescape(base::GetString(*parsed, {"tag"}), &tag) || nonce.size() != kNonceBytes ||
      tag.size() != kTagBytes || iterations <= 0 || iterations > 10'000'000) {
    return absl::DataLossError("the sealed cluster identity is malformed");
  }
  auto key = DeriveKey(token, salt, static_cast<int>(iterations));
  if (!key.ok()) return key.status();
  CipherContext ctx(EVP_CIPHER_CTX_new(), EVP_CIPHER_CTX_free);
  std::string plaintext(ciphertext.size(), '\0');
  int len = 0, final_len = 0;
  bool ok = ctx && EVP_DecryptInit_ex(ctx.get(), EVP_aes_256_gcm(), nullptr, nullptr, nullptr) == 1 &&
            EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_SET_IVLEN, kNonceBytes, nullptr) == 1 &&
            EVP_DecryptInit_ex(ctx.get(), nullptr, nullptr, Bytes(*key), Bytes(nonce)) == 1 &&
            EVP_DecryptUpdate(ctx.get(), Bytes(plaintext), &len, Bytes(ciphertext),
                              static_cast<int>(ciphertext.size())) == 1 &&
            EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_SET_TAG, kTagBytes, tag.data()) == 1 &&
            EVP_DecryptFinal_ex(ctx.get(), Bytes(plaintext) + len, &final_len) == 1;
  if (!ok)
    return absl::FailedPreconditionError("the token does not decrypt the cluster identity (wrong --token?)");
  return plaintext;
}

absl::StatusOr<bool> FetchClusterIdentity(storage::Store* store, const std::string& data_dir,
                                          const std::string& token, const std::string& scope) {
  auto stored = store->Get(StoreKey(token, scope));
  if (!stored.ok()) {
    if (!absl::IsNotFound(stored.status())) return stored.status();
    if (auto s = NoOtherCluster(store, scope); !s.ok()) return s;
    return false;
  }
  auto files = OpenStored(stored->value, token);
  if (!files.ok()) return files.status();
  if (auto s = Materialize(*files, data_dir); !s.ok()) return s;
  return true;
}

absl::Status PublishClusterIdentity(storage::Store* store, const std::string& data_dir,
                                    const std::string& token, const std::string& scope) {
  for (int attempt = 0; attempt < 2; ++attempt) {
    auto fetched = FetchClusterIdentity(store, data_dir, token, scope);  // checks ours against a stored one
    if (!fetched.ok() || *fetched) return fetched.status();
    auto files = ReadIdentity(data_dir);
    if (!files.ok()) return files.status();
    auto sealed = SealWithToken(json::serialize(*files), token);
    if (!sealed.ok()) return sealed.status();
    auto created = store->Create(StoreKey(token, scope), *sealed);
    if (created.ok()) return absl::OkStatus();
    if (!absl::IsAlreadyExists(created.status())) return created.status();
    // Another server published first: compare with its identity.
  }
  return absl::AbortedError("the cluster identity changed while it was published");
}

}  // namespace skiff::apiserver
