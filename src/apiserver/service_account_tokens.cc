#include "apiserver/service_account_tokens.h"

#include "absl/strings/str_cat.h"
#include "api/codec.h"
#include "api/errors.h"
#include "api/resources.h"
#include "http/errors.h"
#include "apiserver/serviceaccount/oidc.h"
#include "base/json.h"
#include "boost/json.hpp"

namespace skiff::apiserver {

// Reads the objects tokens name from the watch cache (ResourceStorage::Get serves from it).
class ServiceAccountTokens::CacheReader : public serviceaccount::ObjectReader {
 public:
  explicit CacheReader(ResourceStorage* storage) : storage_(storage) {}

  absl::StatusOr<boost::json::value> Get(absl::string_view resource, const std::string& ns,
                                         const std::string& name) const override {
    const api::ResourceInfo* r = api::FindResource("", "v1", std::string(resource));
    if (!r) return api::NotFoundError("", std::string(resource), name);
    auto obj = storage_->Get(*r, ns, name);
    if (!obj.ok()) return obj.status();
    return (*obj)->Parse();
  }

 private:
  ResourceStorage* storage_;
};

absl::StatusOr<std::unique_ptr<ServiceAccountTokens>> ServiceAccountTokens::Create(
    ServiceAccountTokenOptions options, ResourceStorage* storage, const base::Clock* clock) {
  if (options.issuers.empty()) return absl::InvalidArgumentError("at least one service account issuer is needed");
  if (options.api_audiences.empty()) options.api_audiences = {options.issuers.front()};
  auto key = serviceaccount::SigningKey::LoadOrCreate(options.key_file);
  if (!key.ok()) return key.status();
  std::unique_ptr<ServiceAccountTokens> out(new ServiceAccountTokens());
  out->key_ = std::move(*key);
  out->reader_ = std::make_unique<CacheReader>(storage);
  serviceaccount::TokenIssuerOptions issuing;
  issuing.issuer = options.issuers.front();
  issuing.api_audiences = options.api_audiences;
  issuing.max_expiration_seconds = options.max_expiration_seconds;
  out->issuer_ = std::make_unique<serviceaccount::TokenIssuer>(out->key_.get(), issuing, out->reader_.get(), clock);
  out->verifier_ = std::make_unique<serviceaccount::TokenVerifier>(out->key_.get(), options.issuers,
                                                                   options.api_audiences, out->reader_.get(), clock);
  out->openid_configuration_ = serviceaccount::OpenIdConfiguration(issuing.issuer, options.jwks_uri);
  out->jwks_ = serviceaccount::Jwks({out->key_.get()});
  out->options_ = std::move(options);
  return out;
}

ServiceAccountTokens::~ServiceAccountTokens() = default;

http::HttpResponse ServiceAccountTokens::CreateToken(const http::HttpRequest& req, const RequestInfo& info) const {
  auto body = api::DecodeBody(req.Header("content-type"), req.body);
  if (!body.ok()) {
    if (absl::IsUnimplemented(body.status())) {
      return http::ErrorResponse(api::UnsupportedMediaTypeError(std::string(body.status().message())));
    }
    return http::ErrorResponse(api::BadRequestError(std::string(body.status().message())));
  }
  std::vector<std::string> warnings;
  auto answer = issuer_->CreateToken(info.namespace_name, info.name, *body, &warnings);
  if (!answer.ok()) return http::ErrorResponse(answer.status());
  http::HttpResponse resp;
  resp.status = 201;
  resp.content_type = "application/json";
  resp.body = boost::json::serialize(*answer);
  for (const auto& w : warnings) resp.headers.emplace_back("Warning", absl::StrCat("299 - \"", w, "\""));
  return resp;
}

bool ServiceAccountTokens::IsDiscoveryPath(const std::string& path) {
  return path == serviceaccount::kOpenIdConfigurationPath || path == serviceaccount::kJwksPath;
}

http::HttpResponse ServiceAccountTokens::Discovery(const std::string& path) const {
  http::HttpResponse resp;
  resp.status = 200;
  bool jwks = path == serviceaccount::kJwksPath;
  resp.content_type = jwks ? serviceaccount::kJwksContentType : "application/json";
  resp.body = jwks ? jwks_ : openid_configuration_;
  resp.headers.emplace_back("Cache-Control", serviceaccount::kDiscoveryCacheControl);
  return resp;
}

}  // namespace skiff::apiserver
