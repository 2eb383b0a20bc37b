#include "controllers/podautoscaler/loopback_api_get.h"

#include <memory>

#include "base/clock.h"
#include "base/file.h"
#include "base/json.h"
#include "client/rest/rest_client.h"
#include "http/certificate_request.h"

namespace skiff::controllers::podautoscaler {

absl::StatusOr<client::ApiGet> NewLoopbackApiGet(const std::string& kubeconfig,
                                                 const std::string& ca_cert_file,
                                                 const std::string& ca_key_file) {
  auto config = client::LoadKubeconfig(kubeconfig);
  if (!config.ok()) return config.status();
  auto ca_cert = base::ReadFile(ca_cert_file);
  if (!ca_cert.ok()) return ca_cert.status();
  auto ca_key = base::ReadFile(ca_key_file);
  if (!ca_key.ok()) return ca_key.status();
  auto key = http::NewPrivateKeyPem();
  if (!key.ok()) return key.status();
  auto request = http::NewCertificateRequestPem(
      *key, kHorizontalPodAutoscalerUser, {"system:serviceaccounts", "system:serviceaccounts:kube-system"});
  if (!request.ok()) return request.status();
  http::IssueOptions issue;
  issue.usages = {"digital signature", "key encipherment", "client auth"};
  issue.now = base::RealClock().Now();
  issue.validity = absl::Hours(24 * 365);
  auto cert = http::IssueCertificate(*request, *ca_cert, *ca_key, issue);
  if (!cert.ok()) return cert.status();
  config->client_cert_pem = *cert;
  config->client_key_pem = *key;
  config->token.clear();
  config->user_agent = "skiff-controller-manager/horizontal-pod-autoscaler";
  config->request_timeout = absl::Seconds(10);
  auto rest = client::RestClient::New(*std::move(config));
  if (!rest.ok()) return rest.status();
  std::shared_ptr<client::RestClient> shared = *std::move(rest);
  return client::ApiGet([shared](const std::string& path) -> absl::StatusOr<boost::json::value> {
    auto response = shared->Request("GET", path);
    if (!response.ok()) return response.status();
    if (auto status = client::StatusFromResponse(response->code, response->body); !status.ok()) return status;
    return base::ParseJson(response->body);
  });
}

}  // namespace skiff::controllers::podautoscaler
