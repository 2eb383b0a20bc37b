#include "apiserver/admissionwebhook/call.h"

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "http/https_client.h"

namespace skiff::apiserver::admissionwebhook {

absl::StatusOr<std::string> PostToWebhook(const ClientConfig& client, absl::Duration timeout,
                                          const std::string& user_agent, std::string body,
                                          const ServiceResolver* services) {
  http::HttpsRequest req;
  req.headers = {{"Content-Type", "application/json"},
                 {"Accept", "application/json, */*"},
                 {"User-Agent", user_agent}};
  req.body = std::move(body);
  req.ca_bundle_pem = client.ca_bundle_pem;
  req.timeout = timeout;
  std::string timeout_query = absl::StrCat("timeout=", absl::ToInt64Seconds(timeout), "s");
  if (!client.url.empty()) {
    req.url = absl::StrCat(client.url, absl::StrContains(client.url, "?") ? "&" : "?", timeout_query);
  } else {
    std::string host = absl::StrCat(client.service_name, ".", client.service_namespace, ".svc");
    std::string path = client.service_path.empty() ? "/" : client.service_path;
    req.url = absl::StrCat("https://", host, ":", client.service_port, path, "?", timeout_query);
    absl::StatusOr<std::string> endpoint =
        services ? services->ServiceEndpoint(client.service_namespace, client.service_name, client.service_port)
                 : absl::UnavailableError("services are not resolved here");
    if (!endpoint.ok()) {
      return absl::Status(endpoint.status().code(),
                          absl::StrCat("Post \"", req.url, "\": ", endpoint.status().message()));
    }
    req.dial_address = *endpoint;
    req.server_name = host;
  }
  auto resp = http::HttpsCall(req);
  if (!resp.ok()) return resp.status();
  if (resp->status != 200) {
    return absl::UnavailableError(absl::StrCat("the server responded with the status code ", resp->status,
                                               " but did not return more information"));
  }
  return std::move(resp->body);
}

}  // namespace skiff::apiserver::admissionwebhook
