// WebhookAdmission: kube-apiserver's MutatingAdmissionWebhook and ValidatingAdmissionWebhook on
// skiff's admission chain (apiserver/admission.h). Registered after the built-in plug-ins, so its
// Mutate runs after theirs and its Validate after theirs.
//  * Which webhooks: every webhook of the stored configurations (sorted by configuration name,
//    then in order) whose rules match the request (matcher.h, with matchPolicy Equivalent), whose
//    namespaceSelector matches the namespace's labels (cluster-scoped objects other than
//    Namespaces skip it; a Namespace is judged by its own labels) and whose objectSelector
//    matches the new or the old object's labels, and whose matchConditions (CEL over object,
//    oldObject, request and authorizer; apiserver/admissioncel) all hold. A matchCondition that
//    fails to evaluate refuses the request under failurePolicy Fail (as a failed call) and skips
//    the webhook under Ignore. The configurations themselves are never sent.
//  * Mutating webhooks run one after another on the object as the previous one left it; a
//    JSONPatch answer is applied and marks the object changed, so the schema defaults and
//    validation run again over it. reinvocationPolicy IfNeeded webhooks are called once more when
//    a later webhook changed the object after them. On DELETE they are called without an object
//    (their patches do not apply) and may refuse.
//  * CONNECT (pods/exec, attach, portforward; ApiHandler calls Validate with the options object)
//    goes to the mutating webhooks, which may only refuse, then to the validating ones.
//  * Validating webhooks are called in parallel with the final object; the first refusal (in
//    webhook order) wins.
//  * A refusal answers with the webhook's status: its code (400 when below 400), reason and
//    details, and the message `admission webhook "NAME" denied the request: MESSAGE`.
//  * A webhook that cannot be called or answers badly (timeout, TLS, HTTP error, malformed
//    AdmissionReview) refuses the request with 500 `Internal error occurred: failed calling
//    webhook "NAME": ...` under failurePolicy Fail, and is skipped under Ignore.
//  * A dry-run request that matches a webhook with side effects (not None/NoneOnDryRun) is
//    refused with 400 `admission webhook "NAME" does not support dry run`.
//  * Warnings go to the client; audit annotations become NAME/KEY in the request's audit event,
//    with kube's mutation.webhook.admission.k8s.io/round_R_index_I records.
// Webhooks by URL are called as given; by Service, at a ready endpoint of the Service (resolved by
// Sources, like kube-apiserver's --enable-aggregator-routing), verifying the certificate for
// <service>.<namespace>.svc. Parsed configurations are cached until their revision moves.
// Thread-safety: Mutate and Validate may run concurrently from many writers.
// Ownership: borrows the Sources and the Authorizer, which must outlive the plug-in.
// Failure: Kubernetes API errors as described above; nothing is written on a refusal.
#ifndef SKIFF_APISERVER_ADMISSIONWEBHOOK_PLUGIN_H_
#define SKIFF_APISERVER_ADMISSIONWEBHOOK_PLUGIN_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "apiserver/admission.h"
#include "apiserver/auth.h"
#include "apiserver/admissionwebhook/review.h"
#include "apiserver/admissionwebhook/sources.h"
#include "apiserver/admissionwebhook/webhook.h"
#include "boost/json/value.hpp"

namespace skiff::apiserver::admissionwebhook {

class WebhookAdmission : public AdmissionPlugin {
 public:
  // Converts an object to another version of its resource, for webhooks matched through another
  // version (matchPolicy Equivalent): the API server's converter, which calls CRD conversion
  // webhooks. Unset: api::ConvertObject.
  using Converter = std::function<absl::StatusOr<boost::json::value>(
      boost::json::value obj, const api::ResourceInfo& from, const api::ResourceInfo& to)>;

  // `authorizer` (may be null) answers matchConditions' authorizer checks.
  explicit WebhookAdmission(const Sources* sources, const Authorizer* authorizer = nullptr,
                            Converter converter = nullptr)
      : sources_(sources), authorizer_(authorizer), converter_(std::move(converter)) {}

  absl::Status Mutate(const AdmissionRequest& request, boost::json::value& obj, const boost::json::value* old,
                      bool* changed) override;
  absl::Status Validate(const AdmissionRequest& request, const boost::json::value* obj,
                        const boost::json::value* old) override;

 private:
  using WebhookList = std::shared_ptr<const std::vector<Webhook>>;
  struct Cached {
    std::mutex mu;
    int64_t revision = -1;
    WebhookList webhooks;
  };
  // What one call of a webhook gave; `error` set when the call itself failed.
  struct Outcome {
    absl::Status error;
    ReviewResponse response;
  };

  WebhookList Webhooks(bool mutating) const;
  // The resource version the webhook is to get (nullptr: the webhook does not apply); an error
  // when its matchConditions failed to evaluate under failurePolicy Fail.
  absl::StatusOr<const api::ResourceInfo*> ShouldCall(const Webhook& webhook, const AdmissionRequest& request,
                                      const boost::json::value* obj, const boost::json::value* old) const;
  Outcome Call(const Webhook& webhook, const AdmissionRequest& request, const api::ResourceInfo& sent_as,
               const boost::json::value* obj, const boost::json::value* old) const;
  absl::StatusOr<std::string> Post(const Webhook& webhook, const std::string& body) const;
  // The mutating pass over `obj` (null on DELETE: patches are not applied).
  absl::Status RunMutating(const AdmissionRequest& request, boost::json::value* obj, const boost::json::value* old,
                           bool* changed);

  absl::StatusOr<boost::json::value> Convert(const boost::json::value& obj, const api::ResourceInfo& from,
                                             const api::ResourceInfo& to) const;

  const Sources* sources_;
  const Authorizer* authorizer_;
  Converter converter_;
  mutable Cached mutating_;
  mutable Cached validating_;
};

}  // namespace skiff::apiserver::admissionwebhook

#endif  // SKIFF_APISERVER_ADMISSIONWEBHOOK_PLUGIN_H_
