// ApiHandler: the HTTP face of the API server. Routes every request (health, version, discovery,
// OpenAPI, metrics, and the resource URL space), authenticates, audits (apiserver/audit, one call
// per stage) and authorizes it, decodes bodies, applies patches, renders Tables and starts watch
// streams; object semantics live in ResourceStorage.
// Thread-safety: Handle is called concurrently from the transport's workers; all state is
// immutable or internally synchronized. Ownership: borrows storage, authn/authz and metrics.
// Failure: every error becomes a Kubernetes Status response (errors.h); never throws.
#ifndef SKIFF_APISERVER_API_HANDLER_H_
#define SKIFF_APISERVER_API_HANDLER_H_

#include <atomic>
#include <map>
#include <memory>
#include <string>

#include "api/resources.h"
#include "apiserver/admission.h"
#include "apiserver/auth.h"
#include "apiserver/metrics.h"
#include "apiserver/custom_metrics_api.h"
#include "apiserver/metrics_api.h"
#include "apiserver/pod_streams.h"
#include "apiserver/request_info.h"
#include "apiserver/resource_storage.h"
#include "apiserver/watch_stream.h"
#include "http/http_types.h"

namespace skiff::apiserver {

class Aggregator;
class ServiceAccountTokens;
namespace audit {
class Auditor;
class RequestAudit;
}  // namespace audit

class ApiHandler {
 public:
  ApiHandler(ResourceStorage* storage, const Authenticator* authenticator, const Authorizer* authorizer,
             Metrics* metrics, base::Clock* clock, std::string server_address);
  ~ApiHandler();

  // Every application/json body it answers (objects, lists, Tables, Status errors, discovery)
  // ends with a newline, as kube-apiserver's encoder writes them; watch streams are newline-
  // delimited per event.
  http::HttpResponse Handle(http::HttpRequest& request);
  // Paths served without credentials and without blocking (/version, /healthz, /livez, /readyz
  // and their sub-checks): the transport answers them on its I/O threads.
  static bool IsProbe(const std::string& path);
  // Serves pods/log|exec|attach|portforward (null: those answer 503). Borrowed; set before serving.
  void SetPodStreams(PodStreams* pod_streams) { pod_streams_ = pod_streams; }
  // Serves metrics.k8s.io (null: that group is not found). Borrowed; set before serving.
  void SetMetricsApi(MetricsApi* metrics_api) { metrics_api_ = metrics_api; }
  void SetCustomMetricsApi(CustomMetricsApi* api) { custom_metrics_api_ = api; }
  // Proxies requests for aggregated APIs (APIServices with a Service) and adds their groups to
  // /apis (null: none). Borrowed; set before serving.
  void SetAggregator(Aggregator* aggregator) { aggregator_ = aggregator; }
  // Serves serviceaccounts/token and the OIDC discovery documents (null: those answer 404).
  // Borrowed; set before serving.
  void SetServiceAccountTokens(const ServiceAccountTokens* tokens) { service_account_tokens_ = tokens; }
  // Validates TokenRequests (serviceaccounts/token) before they are served (NodeRestriction; null: none).
  void SetTokenRequestAdmission(AdmissionPlugin* plugin) { token_request_admission_ = plugin; }
  // Admits CONNECT requests (pods/exec|attach|portforward) before they are served: Validate with
  // operation kConnect and the options object (the admission webhooks; null: none). Borrowed.
  void SetConnectAdmission(AdmissionPlugin* plugin) { connect_admission_ = plugin; }
  // Records every request in the audit log (null: none; the Audit-Id header is sent anyway).
  // Set before serving.
  void SetAuditor(std::shared_ptr<const audit::Auditor> auditor) { auditor_ = std::move(auditor); }
  // Becomes true once the server may answer reads consistently (/readyz).
  void SetReady(bool ready) { ready_ = ready; }

 private:
  struct OpenApiDocs;
  http::HttpResponse Route(http::HttpRequest& req, audit::RequestAudit& audit);
  http::HttpResponse HandleNonResource(const http::HttpRequest& req);
  // `annotations` receives the admission plug-ins' audit annotations of a write.
  http::HttpResponse HandleResource(http::HttpRequest& req, const RequestInfo& info,
                                    const api::ResourceInfo& r, const User& user,
                                    AuditAnnotations* annotations);
  // Access and token reviews (`kubectl auth can-i`, `auth whoami`): computed, never stored.
  http::HttpResponse Review(const http::HttpRequest& req, const std::string& req_namespace,
                            const api::ResourceInfo& r, const User& user);
  http::HttpResponse Get(const http::HttpRequest& req, const RequestInfo& info, const api::ResourceInfo& r);
  http::HttpResponse List(const http::HttpRequest& req, const RequestInfo& info, const api::ResourceInfo& r);
  http::HttpResponse Watch(const http::HttpRequest& req, const RequestInfo& info, const api::ResourceInfo& r);
  // Writes: `user` reaches admission plug-ins through WriteOptions/DeleteOptions.
  http::HttpResponse Create(const http::HttpRequest& req, const RequestInfo& info, const api::ResourceInfo& r,
                            const User& user, AuditAnnotations* annotations = nullptr);
  http::HttpResponse Update(const http::HttpRequest& req, const RequestInfo& info, const api::ResourceInfo& r,
                            const User& user, AuditAnnotations* annotations = nullptr);
  http::HttpResponse Patch(const http::HttpRequest& req, const RequestInfo& info, const api::ResourceInfo& r,
                           const User& user, AuditAnnotations* annotations = nullptr);
  http::HttpResponse Delete(const http::HttpRequest& req, const RequestInfo& info, const api::ResourceInfo& r,
                            const User& user, AuditAnnotations* annotations = nullptr);
  http::HttpResponse DeleteCollection(const http::HttpRequest& req, const RequestInfo& info,
                                      const api::ResourceInfo& r, const User& user);
  http::HttpResponse Scale(const http::HttpRequest& req, const RequestInfo& info, const api::ResourceInfo& r,
                           const User& user);
  http::HttpResponse Binding(const http::HttpRequest& req, const RequestInfo& info,
                             const api::ResourceInfo& r, const User& user);
  absl::Status AdmitTokenRequest(const http::HttpRequest& req, const RequestInfo& info, const api::ResourceInfo& r,
                                 const User& user) const;
  // CONNECT admission of pods/exec|attach|portforward (connect_admission_).
  absl::Status AdmitConnect(const http::HttpRequest& req, const RequestInfo& info, const api::ResourceInfo& r,
                            const User& user) const;
  http::HttpResponse Eviction(const http::HttpRequest& req, const RequestInfo& info,
                              const api::ResourceInfo& r, const User& user);
  http::HttpResponse ObjectResponse(const http::HttpRequest& req, const api::ResourceInfo& r,
                                    const ObjectPtr& obj, int code,
                                    const std::vector<std::string>& warnings = {});

  ResourceStorage* storage_;
  const Authenticator* authenticator_;
  const Authorizer* authorizer_;
  Metrics* metrics_;
  base::Clock* clock_;
  std::string server_address_;
  std::atomic<bool> ready_{false};
  PodStreams* pod_streams_ = nullptr;
  MetricsApi* metrics_api_ = nullptr;
  CustomMetricsApi* custom_metrics_api_ = nullptr;
  Aggregator* aggregator_ = nullptr;
  const ServiceAccountTokens* service_account_tokens_ = nullptr;
  AdmissionPlugin* token_request_admission_ = nullptr;
  AdmissionPlugin* connect_admission_ = nullptr;
  std::shared_ptr<const audit::Auditor> auditor_;
  std::unique_ptr<OpenApiDocs> openapi_;
  WatchTicker ticker_;
};

}  // namespace skiff::apiserver

#endif  // SKIFF_APISERVER_API_HANDLER_H_
