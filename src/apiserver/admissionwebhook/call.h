// PostToWebhook: one POST of a JSON body to a webhook registered by a clientConfig (url, or
// service namespace/name/path/port, with caBundle), as kube-apiserver's webhook client makes it —
// for admission webhooks and CRD conversion webhooks alike. A Service is called at one of its
// ready endpoints (ServiceResolver, like --enable-aggregator-routing), the certificate checked for
// <service>.<namespace>.svc; the URL carries ?timeout=<N>s.
// Thread-safety: may run concurrently. Ownership: borrows the resolver for the call.
// Failure: the messages kube's rest client gives, which callers wrap in their own words:
// `Post "https://svc.ns.svc:443/path?timeout=10s": <dial, TLS or endpoint error>` (the code of
// http/https_client.h or of the resolver), or Unavailable `the server responded with the status
// code N but did not return more information` for an answer other than 200.
#ifndef SKIFF_APISERVER_ADMISSIONWEBHOOK_CALL_H_
#define SKIFF_APISERVER_ADMISSIONWEBHOOK_CALL_H_

#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "apiserver/admissionwebhook/sources.h"
#include "apiserver/admissionwebhook/webhook.h"

namespace skiff::apiserver::admissionwebhook {

// Returns the response body of a 200 answer. `services` may be null when `client` names a URL.
absl::StatusOr<std::string> PostToWebhook(const ClientConfig& client, absl::Duration timeout,
                                          const std::string& user_agent, std::string body,
                                          const ServiceResolver* services);

}  // namespace skiff::apiserver::admissionwebhook

#endif  // SKIFF_APISERVER_ADMISSIONWEBHOOK_CALL_H_
