// Signing key, JWS, issuer and verifier together: round trips, tampering, expiry, audiences,
// bound objects, TokenRequest validation, key reuse across restarts, discovery documents.
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <sys/stat.h>

#include <filesystem>
#include <map>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "api/errors.h"
#include "apiserver/serviceaccount/claims.h"
#include "apiserver/serviceaccount/jws.h"
#include "apiserver/serviceaccount/oidc.h"
#include "apiserver/serviceaccount/signing_key.h"
#include "apiserver/serviceaccount/token_issuer.h"
#include "apiserver/serviceaccount/token_verifier.h"
#include "base/json.h"
#include "base/testing/fake_clock.h"
#include "boost/json.hpp"
#include "gtest/gtest.h"

namespace skiff::apiserver::serviceaccount {
namespace {

namespace json = boost::json;

// Objects by "resource/ns/name".
class MapReader : public ObjectReader {
 public:
  void Put(const std::string& resource, const std::string& ns, const std::string& name, const std::string& uid,
           json::object spec = {}) {
    objects_[Key(resource, ns, name)] =
        json::object{{"metadata", json::object{{"name", name}, {"namespace", ns}, {"uid", uid}}}, {"spec", spec}};
  }
  void Remove(const std::string& resource, const std::string& ns, const std::string& name) {
    objects_.erase(Key(resource, ns, name));
  }
  json::value& At(const std::string& resource, const std::string& ns, const std::string& name) {
    return objects_.at(Key(resource, ns, name));
  }
  absl::StatusOr<json::value> Get(absl::string_view resource, const std::string& ns,
                                  const std::string& name) const override {
    auto it = objects_.find(Key(std::string(resource), ns, name));
    if (it == objects_.end()) return api::NotFoundError("", std::string(resource), name);
    return it->second;
  }

 private:
  static std::string Key(const std::string& r, const std::string& ns, const std::string& n) {
    return absl::StrCat(r, "/", ns, "/", n);
  }
  std::map<std::string, json::value> objects_;
};

class TokenTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_NE(key_, nullptr);
    objects_.Put("serviceaccounts", "ns1", "default", "sa-uid");
    objects_.Put("pods", "ns1", "web", "pod-uid", json::object{{"serviceAccountName", "default"}, {"nodeName", "n1"}});
    objects_.Put("nodes", "", "n1", "node-uid");
    objects_.Put("secrets", "ns1", "s1", "secret-uid");
  }

  absl::StatusOr<json::object> Request(const std::string& body, const std::string& name = "default") {
    auto parsed = base::ParseJson(body);
    EXPECT_TRUE(parsed.ok());
    return issuer_.CreateToken("ns1", name, *parsed, &warnings_);
  }

  std::string Token(const std::string& body) {
    auto out = Request(body);
    EXPECT_TRUE(out.ok()) << out.status();
    if (!out.ok()) return "";
    return base::GetString(json::value(*out), {"status", "token"});
  }

  static json::object Claims(const std::string& token) {
    std::vector<std::string> parts = absl::StrSplit(token, '.');
    std::string raw;
    EXPECT_TRUE(absl::WebSafeBase64Unescape(parts.at(1), &raw));
    return base::ParseJson(raw)->as_object();
  }

  base::testing::FakeClock clock_;
  std::unique_ptr<SigningKey> key_ = SigningKey::Generate().value_or(nullptr);
  MapReader objects_;
  TokenIssuer issuer_{key_.get(), {}, &objects_, &clock_};
  TokenVerifier verifier_{key_.get(), {kDefaultIssuer}, {kDefaultIssuer}, &objects_, &clock_};
  std::vector<std::string> warnings_;
};

TEST_F(TokenTest, SignAndVerifyRoundTrip) {
  std::string token = Token("{}");
  auto id = verifier_.Verify(token);
  ASSERT_TRUE(id.ok()) << id.status();
  EXPECT_EQ(id->ns, "ns1");
  EXPECT_EQ(id->name, "default");
  EXPECT_EQ(id->uid, "sa-uid");
  EXPECT_EQ(id->audiences, std::vector<std::string>{kDefaultIssuer});
  EXPECT_TRUE(id->credential_id.starts_with("JTI="));

  json::object claims = Claims(token);
  EXPECT_EQ(claims.at("iss"), kDefaultIssuer);
  EXPECT_EQ(claims.at("aud"), kDefaultIssuer);  // one audience: a string, as go-jose writes it
  EXPECT_EQ(claims.at("sub"), "system:serviceaccount:ns1:default");
  EXPECT_EQ(claims.at("exp").as_int64() - claims.at("iat").as_int64(), 3600);
  EXPECT_EQ(claims.at("nbf"), claims.at("iat"));
  EXPECT_EQ(base::GetString(claims.at("kubernetes.io"), {"serviceaccount", "uid"}), "sa-uid");
  EXPECT_EQ(base::GetString(claims.at("kubernetes.io"), {"namespace"}), "ns1");
  auto header = ParseJws(token);
  ASSERT_TRUE(header.ok());
  EXPECT_EQ(header->header.at("alg"), "ES256");
  EXPECT_EQ(std::string(header->header.at("kid").as_string()), key_->key_id());
}

TEST_F(TokenTest, TamperedTokensAreRefused) {
  std::string token = Token("{}");
  std::vector<std::string> parts = absl::StrSplit(token, '.');
  // Another subject with the original signature.
  json::object claims = Claims(token);
  claims["kubernetes.io"].as_object()["serviceaccount"].as_object()["name"] = "admin";
  claims["sub"] = "system:serviceaccount:ns1:admin";
  objects_.Put("serviceaccounts", "ns1", "admin", "sa-uid");
  std::string forged = absl::StrCat(parts[0], ".", absl::WebSafeBase64Escape(json::serialize(claims)), ".", parts[2]);
  EXPECT_TRUE(absl::IsUnauthenticated(verifier_.Verify(forged).status()));
  // A flipped signature byte.
  std::string sig;
  ASSERT_TRUE(absl::WebSafeBase64Unescape(parts[2], &sig));
  sig[5] ^= 1;
  std::string bad_sig = absl::StrCat(parts[0], ".", parts[1], ".", absl::WebSafeBase64Escape(sig));
  EXPECT_TRUE(absl::IsUnauthenticated(verifier_.Verify(bad_sig).status()));
  // Signed by another key.
  auto other = SigningKey::Generate();
  ASSERT_TRUE(other.ok());
  TokenIssuer stranger((*other).get(), {}, &objects_, &clock_);
  auto stranger_token = stranger.CreateToken("ns1", "default", json::object{}, &warnings_);
  ASSERT_TRUE(stranger_token.ok());
  EXPECT_TRUE(absl::IsUnauthenticated(
      verifier_.Verify(base::GetString(json::value(*stranger_token), {"status", "token"})).status()));
}

TEST_F(TokenTest, ForeignAndMalformedTokensAreNotOurs) {
  EXPECT_TRUE(absl::IsNotFound(verifier_.Verify("0123456789abcdef").status()));
  EXPECT_TRUE(absl::IsNotFound(verifier_.Verify("a.b.c").status()));
  TokenIssuerOptions other_issuer;
  other_issuer.issuer = "https://elsewhere.example";
  TokenIssuer elsewhere(key_.get(), other_issuer, &objects_, &clock_);
  auto token = elsewhere.CreateToken("ns1", "default", json::object{}, &warnings_);
  ASSERT_TRUE(token.ok());
  EXPECT_TRUE(absl::IsNotFound(verifier_.Verify(base::GetString(json::value(*token), {"status", "token"})).status()));
}

TEST_F(TokenTest, ExpiryHasOneMinuteOfLeeway) {
  std::string token = Token(R"({"spec":{"expirationSeconds":600}})");
  clock_.Advance(absl::Seconds(600 + 59));
  EXPECT_TRUE(verifier_.Verify(token).ok());
  clock_.Advance(absl::Seconds(2));
  auto expired = verifier_.Verify(token);
  EXPECT_TRUE(absl::IsUnauthenticated(expired.status()));
  EXPECT_EQ(expired.status().message(), "service account token has expired");
}

TEST_F(TokenTest, NotYetValidTokensAreRefused) {
  std::string token = Token("{}");
  clock_.Advance(absl::Minutes(-2));
  EXPECT_TRUE(absl::IsUnauthenticated(verifier_.Verify(token).status()));
}

TEST_F(TokenTest, AudiencesMustMeet) {
  std::string token = Token(R"({"spec":{"audiences":["vault","api"]}})");
  json::object claims = Claims(token);
  EXPECT_EQ(claims.at("aud"), (json::array{"vault", "api"}));
  auto refused = verifier_.Verify(token);
  EXPECT_TRUE(absl::IsUnauthenticated(refused.status()));
  EXPECT_NE(refused.status().message().find("audiences"), std::string::npos);
  auto vault = verifier_.Verify(token, {"vault", "other"});
  ASSERT_TRUE(vault.ok()) << vault.status();
  EXPECT_EQ(vault->audiences, std::vector<std::string>{"vault"});
}

TEST_F(TokenTest, ServiceAccountMustStillExistWithItsUid) {
  std::string token = Token("{}");
  objects_.Put("serviceaccounts", "ns1", "default", "another-uid");
  EXPECT_TRUE(absl::IsUnauthenticated(verifier_.Verify(token).status()));
  objects_.Remove("serviceaccounts", "ns1", "default");
  EXPECT_TRUE(absl::IsUnauthenticated(verifier_.Verify(token).status()));
}

TEST_F(TokenTest, ARememberedTokenIsStillCheckedForLivenessAndExpiry) {
  std::string token = Token(R"({"spec":{"expirationSeconds":600}})");
  ASSERT_TRUE(verifier_.Verify(token).ok());  // signature checked and remembered
  objects_.Remove("serviceaccounts", "ns1", "default");
  EXPECT_TRUE(absl::IsUnauthenticated(verifier_.Verify(token).status()));
  objects_.Put("serviceaccounts", "ns1", "default", "sa-uid");
  EXPECT_TRUE(verifier_.Verify(token).ok());
  EXPECT_TRUE(absl::IsUnauthenticated(verifier_.Verify(token, {"vault"}).status()));
  clock_.Advance(absl::Seconds(600 + 61));
  EXPECT_TRUE(absl::IsUnauthenticated(verifier_.Verify(token).status()));
}

TEST_F(TokenTest, ManyTokensVerifyPastTheRememberedLimit) {
  for (size_t i = 0; i < TokenVerifier::kMaxRememberedTokens + 10; ++i) {
    std::string token = Token("{}");
    ASSERT_TRUE(verifier_.Verify(token).ok()) << i;
    ASSERT_TRUE(verifier_.Verify(token).ok()) << i;
  }
}

TEST_F(TokenTest, PodBoundTokenNamesPodAndNodeAndDiesWithThePod) {
  std::string token = Token(R"({"spec":{"boundObjectRef":{"kind":"Pod","apiVersion":"v1","name":"web"}}})");
  json::object claims = Claims(token);
  EXPECT_EQ(base::GetString(claims.at("kubernetes.io"), {"pod", "uid"}), "pod-uid");
  EXPECT_EQ(base::GetString(claims.at("kubernetes.io"), {"node", "name"}), "n1");
  auto id = verifier_.Verify(token);
  ASSERT_TRUE(id.ok()) << id.status();
  EXPECT_EQ(id->pod_name, "web");
  EXPECT_EQ(id->pod_uid, "pod-uid");
  EXPECT_EQ(id->node_name, "n1");
  EXPECT_EQ(id->node_uid, "node-uid");

  // Deletion has begun: a minute of grace, then refused.
  objects_.At("pods", "ns1", "web").as_object()["metadata"].as_object()["deletionTimestamp"] =
      base::FormatRfc3339(clock_.Now());
  EXPECT_TRUE(verifier_.Verify(token).ok());
  clock_.Advance(absl::Seconds(61));
  EXPECT_TRUE(absl::IsUnauthenticated(verifier_.Verify(token).status()));
  objects_.Remove("pods", "ns1", "web");
  EXPECT_TRUE(absl::IsUnauthenticated(verifier_.Verify(token).status()));
}

TEST_F(TokenTest, SecretAndNodeBindings) {
  std::string secret_token = Token(R"({"spec":{"boundObjectRef":{"kind":"Secret","apiVersion":"v1","name":"s1"}}})");
  EXPECT_TRUE(verifier_.Verify(secret_token).ok());
  std::string node_token = Token(R"({"spec":{"boundObjectRef":{"kind":"Node","apiVersion":"v1","name":"n1"}}})");
  EXPECT_TRUE(verifier_.Verify(node_token).ok());
  objects_.Put("secrets", "ns1", "s1", "recreated");
  objects_.Remove("nodes", "", "n1");
  EXPECT_TRUE(absl::IsUnauthenticated(verifier_.Verify(secret_token).status()));
  EXPECT_TRUE(absl::IsUnauthenticated(verifier_.Verify(node_token).status()));
}

TEST_F(TokenTest, TokenRequestErrors) {
  auto too_short = Request(R"({"spec":{"expirationSeconds":-5}})");
  EXPECT_EQ(api::HttpCode(too_short.status()), 422);
  EXPECT_NE(too_short.status().message().find("may not specify a duration less than 10 minutes"), std::string::npos);
  EXPECT_EQ(api::HttpCode(Request(R"({"spec":{"expirationSeconds":4294967297}})").status()), 422);
  EXPECT_EQ(api::HttpCode(Request(R"({"spec":{"expirationSeconds":"long"}})").status()), 400);
  EXPECT_EQ(api::HttpCode(Request("{}", "missing").status()), 404);
  EXPECT_EQ(api::HttpCode(Request(R"({"metadata":{"name":"other"}})").status()), 422);
  EXPECT_EQ(api::HttpCode(Request(R"({"spec":{"boundObjectRef":{"kind":"Deployment","apiVersion":"apps/v1","name":"x"}}})").status()), 400);
  EXPECT_EQ(api::HttpCode(Request(R"({"spec":{"boundObjectRef":{"kind":"Pod","apiVersion":"v1","name":"gone"}}})").status()), 404);
  EXPECT_EQ(api::HttpCode(Request(R"({"spec":{"boundObjectRef":{"kind":"Pod","apiVersion":"v1","name":"web","uid":"stale"}}})").status()), 409);
  objects_.Put("serviceaccounts", "ns1", "builder", "b-uid");
  EXPECT_EQ(api::HttpCode(Request(R"({"spec":{"boundObjectRef":{"kind":"Pod","apiVersion":"v1","name":"web"}}})",
                                  "builder").status()), 400);
}

TEST_F(TokenTest, TokenRequestAnswer) {
  clock_.Set(absl::FromUnixSeconds(1'800'000'000));
  auto out = Request(R"({"apiVersion":"authentication.k8s.io/v1","kind":"TokenRequest",
                         "spec":{"audiences":["a"],"expirationSeconds":7200}})");
  ASSERT_TRUE(out.ok()) << out.status();
  json::value v(*out);
  EXPECT_EQ(base::GetString(v, {"metadata", "name"}), "default");
  EXPECT_EQ(base::GetString(v, {"metadata", "namespace"}), "ns1");
  EXPECT_EQ(base::GetInt(v, {"spec", "expirationSeconds"}), 7200);
  EXPECT_EQ(base::GetString(v, {"status", "expirationTimestamp"}), base::FormatRfc3339(clock_.Now() + absl::Hours(2)));
  json::object claims = Claims(base::GetString(v, {"status", "token"}));
  EXPECT_EQ(claims.at("aud"), "a");
  EXPECT_EQ(claims.at("exp").as_int64(), 1'800'000'000 + 7200);
}

TEST_F(TokenTest, MaximumExpirationShortensWithWarning) {
  TokenIssuerOptions options;
  options.max_expiration_seconds = 1200;
  TokenIssuer capped(key_.get(), options, &objects_, &clock_);
  auto out = capped.CreateToken("ns1", "default", *base::ParseJson(R"({"spec":{"expirationSeconds":86400}})"),
                                &warnings_);
  ASSERT_TRUE(out.ok());
  EXPECT_EQ(base::GetInt(json::value(*out), {"spec", "expirationSeconds"}), 1200);
  ASSERT_EQ(warnings_.size(), 1u);
  EXPECT_EQ(warnings_[0], "requested expiration of 86400 seconds shortened to 1200 seconds");
}

TEST_F(TokenTest, KubeletLifetimeIsExtendedWithWarnAfter) {
  std::string token = Token(
      R"({"spec":{"expirationSeconds":3607,"boundObjectRef":{"kind":"Pod","apiVersion":"v1","name":"web"}}})");
  json::object claims = Claims(token);
  EXPECT_EQ(claims.at("exp").as_int64() - claims.at("iat").as_int64(), kExpirationExtensionSeconds);
  EXPECT_EQ(base::GetInt(claims.at("kubernetes.io"), {"warnafter"}) - claims.at("iat").as_int64(), 3607);
  clock_.Advance(absl::Hours(5));
  EXPECT_TRUE(verifier_.Verify(token).ok());
  // Without a pod binding it is not extended.
  json::object unbound = Claims(Token(R"({"spec":{"expirationSeconds":3607}})"));
  EXPECT_EQ(unbound.at("exp").as_int64() - unbound.at("iat").as_int64(), 3607);
  EXPECT_FALSE(unbound.at("kubernetes.io").as_object().contains("warnafter"));
}

TEST(SigningKeyTest, CreatedOnceWithMode0600AndReused) {
  std::string dir = ::testing::TempDir() + "/sa_key_test";
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  std::string path = dir + "/service-account.key";
  auto first = SigningKey::LoadOrCreate(path);
  ASSERT_TRUE(first.ok()) << first.status();
  struct stat st;
  ASSERT_EQ(stat(path.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600);
  auto second = SigningKey::LoadOrCreate(path);
  ASSERT_TRUE(second.ok()) << second.status();
  EXPECT_EQ((*first)->key_id(), (*second)->key_id());
  // A token signed before the "restart" verifies with the reloaded key.
  auto sig = (*first)->Sign("payload");
  ASSERT_TRUE(sig.ok());
  EXPECT_TRUE((*second)->Verify("payload", *sig));
  EXPECT_FALSE((*second)->Verify("payloaD", *sig));
  std::filesystem::remove_all(dir);
}

TEST(SigningKeyTest, RefusesOtherKeys) {
  EXPECT_FALSE(SigningKey::FromPem("not a key").ok());
  // An RSA key is not a P-256 key.
  EVP_PKEY* rsa = EVP_PKEY_Q_keygen(nullptr, nullptr, "RSA", size_t{1024});
  ASSERT_NE(rsa, nullptr);
  BIO* bio = BIO_new(BIO_s_mem());
  ASSERT_EQ(PEM_write_bio_PrivateKey(bio, rsa, nullptr, nullptr, 0, nullptr, nullptr), 1);
  char* data = nullptr;
  long len = BIO_get_mem_data(bio, &data);
  auto refused = SigningKey::FromPem(absl::string_view(data, static_cast<size_t>(len)));
  BIO_free(bio);
  EVP_PKEY_free(rsa);
  EXPECT_TRUE(absl::IsInvalidArgument(refused.status()));
}

TEST(OidcTest, DiscoveryDocuments) {
  auto key = SigningKey::Generate();
  ASSERT_TRUE(key.ok());
  auto config = base::ParseJson(OpenIdConfiguration("https://issuer.example/", ""));
  ASSERT_TRUE(config.ok());
  EXPECT_EQ(base::GetString(*config, {"issuer"}), "https://issuer.example/");
  EXPECT_EQ(base::GetString(*config, {"jwks_uri"}), "https://issuer.example/openid/v1/jwks");
  EXPECT_EQ(base::Find(*config, "id_token_signing_alg_values_supported")->as_array(), (json::array{"ES256"}));
  auto jwks = base::ParseJson(Jwks({key->get()}));
  ASSERT_TRUE(jwks.ok());
  const json::object& jwk = jwks->at("keys").as_array().at(0).as_object();
  EXPECT_EQ(std::string(jwk.at("kid").as_string()), (*key)->key_id());
  EXPECT_EQ(jwk.at("kty"), "EC");
  EXPECT_EQ(jwk.at("crv"), "P-256");
  std::string x;
  ASSERT_TRUE(absl::WebSafeBase64Unescape(std::string(jwk.at("x").as_string()), &x));
  EXPECT_EQ(x.size(), 32u);
}

}  // namespace
}  // namespace skiff::apiserver::serviceaccount
