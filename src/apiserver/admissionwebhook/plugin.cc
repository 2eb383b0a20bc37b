#include "apiserver/admissionwebhook/plugin.h"

#include <algorithm>
#include <future>
#include <optional>
#include <string>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "api/conversion.h"
#include "api/errors.h"
#include "api/json_patch.h"
#include "api/uid.h"
#include "api/validation.h"
#include "apiserver/admissioncel/environment.h"
#include "apiserver/admissionwebhook/call.h"
#include "apiserver/admissionwebhook/matcher.h"
#include "apiserver/auth.h"
#include "base/json.h"
#include "boost/json.hpp"

namespace skiff::apiserver::admissionwebhook {
namespace {

namespace json = boost::json;

// Kubernetes never sends its admission configuration objects to webhooks, so that a broken
// webhook can always be removed.
bool Exempt(const api::ResourceInfo& r) { return r.group == "admissionregistration.k8s.io"; }

std::string OperationText(AdmissionOperation op) { return std::string(OperationName(op)); }

const json::value* Labels(const json::value* obj) {
  return obj ? base::FindPath(*obj, {"metadata", "labels"}) : nullptr;
}

// kube's webhookerrors.ToStatusErr: the webhook's own status, made a failure of at least 400.
absl::Status Denied(const Webhook& webhook, const json::value& status) {
  api::ApiError e;
  e.code = static_cast<int>(base::GetInt(status, {"code"}, 0));
  if (e.code < 400) e.code = 400;
  e.reason = base::GetString(status, {"reason"});
  std::string denied = absl::StrCat("admission webhook \"", webhook.name, "\" denied the request");
  std::string message = base::GetString(status, {"message"});
  if (!message.empty()) {
    e.message = absl::StrCat(denied, ": ", message);
  } else if (!e.reason.empty()) {
    e.message = absl::StrCat(denied, ": ", e.reason);
  } else {
    e.message = absl::StrCat(denied, " without explanation");
  }
  if (const auto* details = base::Find(status, "details"); details && details->is_object()) {
    e.name = base::GetString(*details, {"name"});
    e.group = base::GetString(*details, {"group"});
    e.kind = base::GetString(*details, {"kind"});
    if (const auto* causes = base::Find(*details, "causes"); causes && causes->is_array()) {
      for (const auto& c : causes->get_array()) {
        e.causes.push_back({base::GetString(c, {"reason"}), base::GetString(c, {"message"}),
                            base::GetString(c, {"field"})});
      }
    }
  }
  return api::ToStatus(e);
}

absl::Status CallFailed(const Webhook& webhook, const absl::Status& error) {
  std::string what = absl::StrCat("failed calling webhook \"", webhook.name, "\": ", error.message());
  api::ApiError e{500, "InternalError", absl::StrCat("Internal error occurred: ", what)};
  e.causes.push_back({"", what, ""});
  return api::ToStatus(e);
}

std::string RoundIndex(int round, size_t index) { return absl::StrCat("round_", round, "_index_", index); }

// kube compiles a configuration's matchConditions before storing it.
absl::Status CheckMatchConditions(const AdmissionRequest& request, const json::value* obj) {
  const api::ResourceInfo& r = *request.resource;
  bool configuration = r.kind == "MutatingWebhookConfiguration" || r.kind == "ValidatingWebhookConfiguration";
  if (!configuration || !obj || !request.subresource.empty() ||
      (request.operation != AdmissionOperation::kCreate && request.operation != AdmissionOperation::kUpdate)) {
    return absl::OkStatus();
  }
  std::vector<api::FieldError> errors;
  const auto* hooks = base::Find(*obj, "webhooks");
  for (size_t i = 0; hooks && hooks->is_array() && i < hooks->get_array().size(); ++i) {
    for (auto& e : admissioncel::MatchConditions::Check(base::Find(hooks->get_array()[i], "matchConditions"),
                                                        absl::StrCat("webhooks[", i, "].matchConditions"),
                                                        admissioncel::Environment::kMatchCondition)) {
      errors.push_back(std::move(e));
    }
  }
  if (errors.empty()) return absl::OkStatus();
  return api::InvalidObjectStatus(r, base::GetString(*obj, {"metadata", "name"}), errors);
}

}  // namespace

absl::StatusOr<json::value> WebhookAdmission::Convert(const json::value& obj, const api::ResourceInfo& from,
                                                     const api::ResourceInfo& to) const {
  if (converter_) return converter_(obj, from, to);
  return api::ConvertObject(obj, from, to);
}

WebhookAdmission::WebhookList WebhookAdmission::Webhooks(bool mutating) const {
  Cached& cached = mutating ? mutating_ : validating_;
  int64_t revision = sources_->ConfigurationRevision(mutating);
  std::lock_guard<std::mutex> lock(cached.mu);
  if (cached.webhooks && cached.revision == revision) return cached.webhooks;
  std::vector<json::value> configurations = sources_->Configurations(mutating);
  std::sort(configurations.begin(), configurations.end(), [](const json::value& a, const json::value& b) {
    return base::GetString(a, {"metadata", "name"}) < base::GetString(b, {"metadata", "name"});
  });
  auto hooks = std::make_shared<std::vector<Webhook>>();
  for (const auto& c : configurations) {
    for (auto& w : ParseWebhooks(c, mutating)) hooks->push_back(std::move(w));
  }
  cached.revision = revision;
  cached.webhooks = std::move(hooks);
  return cached.webhooks;
}

absl::StatusOr<const api::ResourceInfo*> WebhookAdmission::ShouldCall(const Webhook& webhook,
                                                                      const AdmissionRequest& request,
                                                                      const json::value* obj,
                                                                      const json::value* old) const {
  RequestAttributes attrs{OperationText(request.operation), std::string(request.subresource),
                          std::string(request.ns)};
  const api::ResourceInfo* sent_as = MatchingResource(webhook, *request.resource, attrs);
  if (!sent_as) return nullptr;
  if (!webhook.namespace_selector_empty) {
    bool is_namespace = request.resource->group.empty() && request.resource->plural == "namespaces";
    if (is_namespace) {
      // A Namespace is judged by its own labels (the old ones when it is being deleted).
      if (!webhook.namespace_selector.Matches(Labels(obj ? obj : old))) return nullptr;
    } else if (!request.ns.empty()) {
      auto labels = sources_->NamespaceLabels(std::string(request.ns));
      json::value none;
      if (!webhook.namespace_selector.Matches(labels.ok() ? &*labels : &none)) return nullptr;
    }
  }
  // kube's matchObject: an absent object (the old one on create, the new one on delete) matches nothing.
  if (!webhook.object_selector_empty && !(obj && webhook.object_selector.Matches(Labels(obj))) &&
      !(old && webhook.object_selector.Matches(Labels(old)))) {
    return nullptr;
  }
  if (!webhook.match_conditions.empty()) {
    admissioncel::RequestBindings bindings(request, obj, old, authorizer_);
    admissioncel::MatchResult match = webhook.match_conditions.Evaluate(bindings.Activation());
    if (!match.error.ok()) {
      if (webhook.fail_open) return nullptr;
      return CallFailed(webhook, absl::InvalidArgumentError(
                                     absl::StrCat("failed to evaluate match conditions: ", match.error.message())));
    }
    if (!match.matches) return nullptr;
  }
  return sent_as;
}

absl::StatusOr<std::string> WebhookAdmission::Post(const Webhook& webhook, const std::string& body) const {
  auto answer = PostToWebhook(webhook.client, webhook.timeout, "kube-apiserver-admission", body, sources_);
  if (!answer.ok()) {
    return absl::Status(answer.status().code(), absl::StrCat("failed to call webhook: ", answer.status().message()));
  }
  return answer;
}

WebhookAdmission::Outcome WebhookAdmission::Call(const Webhook& webhook, const AdmissionRequest& request,
                                                 const api::ResourceInfo& sent_as, const json::value* obj,
                                                 const json::value* old) const {
  ReviewRequest review;
  review.uid = api::NewUid();
  review.resource = &sent_as;
  review.request_resource = request.resource;
  review.subresource = std::string(request.subresource);
  review.name = std::string(request.name);
  review.ns = std::string(request.ns);
  review.operation = OperationText(request.operation);
  if (request.user) {
    review.user = ReviewUser{request.user->name, request.user->uid, request.user->groups, request.user->extra};
  }
  // Equivalent match: the webhook sees the object in the version its rule names.
  std::optional<json::value> converted_obj, converted_old;
  Outcome out;
  if (&sent_as != request.resource) {
    for (auto [from, to] : {std::pair{obj, &converted_obj}, std::pair{old, &converted_old}}) {
      if (!from) continue;
      auto converted = Convert(*from, *request.resource, sent_as);
      if (!converted.ok()) {
        out.error = converted.status();
        return out;
      }
      *to = std::move(*converted);
    }
  }
  review.object = converted_obj ? &*converted_obj : obj;
  review.old_object = converted_old ? &*converted_old : old;
  review.dry_run = request.dry_run;
  review.options = OperationOptions(review.operation, request.dry_run);
  auto body = Post(webhook, json::serialize(BuildReview(review, webhook.review_version)));
  if (!body.ok()) {
    out.error = body.status();
    return out;
  }
  auto parsed = ParseReviewResponse(*body, webhook.review_version, review.uid, webhook.mutating);
  if (!parsed.ok()) {
    out.error = parsed.status();
    return out;
  }
  out.response = std::move(*parsed);
  return out;
}

absl::Status WebhookAdmission::Mutate(const AdmissionRequest& request, json::value& obj, const json::value* old,
                                      bool* changed) {
  if (!request.resource || Exempt(*request.resource)) return absl::OkStatus();
  return RunMutating(request, &obj, old, changed);
}

absl::Status WebhookAdmission::RunMutating(const AdmissionRequest& request, json::value* obj, const json::value* old,
                                           bool* changed) {
  WebhookList hooks = Webhooks(/*mutating=*/true);
  if (hooks->empty()) return absl::OkStatus();
  // For reinvocation: the object as each IfNeeded webhook left it.
  std::vector<std::pair<size_t, json::value>> if_needed;
  auto run = [&](size_t index, int round) -> absl::Status {
    const Webhook& hook = (*hooks)[index];
    absl::StatusOr<const api::ResourceInfo*> should = ShouldCall(hook, request, obj, old);
    if (!should.ok()) return should.status();
    const api::ResourceInfo* sent_as = *should;
    if (!sent_as) return absl::OkStatus();
    if (request.dry_run && !hook.DryRunSafe()) {
      return api::BadRequestError(absl::StrCat("admission webhook \"", hook.name, "\" does not support dry run"));
    }
    Outcome outcome = Call(hook, request, *sent_as, obj, old);
    if (!outcome.error.ok()) {
      if (!hook.fail_open) return CallFailed(hook, outcome.error);
      request.AddAuditAnnotation(
          absl::StrCat("failed-open.mutation.webhook.admission.k8s.io/", RoundIndex(round, index)), hook.name);
      return absl::OkStatus();
    }
    const ReviewResponse& resp = outcome.response;
    for (const auto& w : resp.warnings) request.Warn(w);
    for (const auto& [k, v] : resp.audit_annotations) request.AddAuditAnnotation(absl::StrCat(hook.name, "/", k), v);
    if (!resp.allowed) return Denied(hook, resp.status);
    bool mutated = false;
    if (resp.patch && obj) {
      absl::StatusOr<json::value> base =
          sent_as == request.resource ? *obj : Convert(*obj, *request.resource, *sent_as);
      if (!base.ok()) return hook.fail_open ? absl::OkStatus() : CallFailed(hook, base.status());
      auto patched = api::ApplyJsonPatch(*base, *resp.patch);
      if (!patched.ok()) {
        absl::Status error = absl::InvalidArgumentError(
            absl::StrCat("received invalid webhook response: the JSONPatch could not be applied: ",
                         patched.status().message()));
        if (!hook.fail_open) return CallFailed(hook, error);
        return absl::OkStatus();
      }
      absl::StatusOr<json::value> result =
          sent_as == request.resource ? std::move(*patched) : Convert(*patched, *sent_as, *request.resource);
      if (!result.ok()) return hook.fail_open ? absl::OkStatus() : CallFailed(hook, result.status());
      if (!api::JsonEqual(*result, *obj)) {
        *obj = std::move(*result);
        *changed = mutated = true;
      }
    }
    request.AddAuditAnnotation(
        absl::StrCat("mutation.webhook.admission.k8s.io/", RoundIndex(round, index)),
        json::serialize(json::object{{"configuration", hook.configuration}, {"webhook", hook.name}, {"mutated", mutated}}));
    if (round == 0 && hook.reinvoke_if_needed && obj) if_needed.emplace_back(index, *obj);
    return absl::OkStatus();
  };
  for (size_t i = 0; i < hooks->size(); ++i) {
    if (auto s = run(i, 0); !s.ok()) return s;
  }
  // Round 1: IfNeeded webhooks that a later webhook changed the object after.
  for (const auto& [index, seen] : if_needed) {
    if (api::JsonEqual(seen, *obj)) continue;
    if (auto s = run(index, 1); !s.ok()) return s;
  }
  return absl::OkStatus();
}

absl::Status WebhookAdmission::Validate(const AdmissionRequest& request, const json::value* obj,
                                        const json::value* old) {
  if (!request.resource) return absl::OkStatus();
  if (Exempt(*request.resource)) return CheckMatchConditions(request, obj);
  if (request.operation == AdmissionOperation::kDelete || request.operation == AdmissionOperation::kConnect) {
    // Deletes and connects have no Mutate step; their mutating webhooks are asked here and may
    // only refuse (a patch to a connect's options changes nothing).
    std::optional<json::value> options;
    if (obj) options = *obj;
    bool unused = false;
    if (auto s = RunMutating(request, options ? &*options : nullptr, old, &unused); !s.ok()) return s;
  }
  WebhookList hooks = Webhooks(/*mutating=*/false);
  struct Pending {
    size_t index;
    const api::ResourceInfo* sent_as;
  };
  std::vector<Pending> pending;
  for (size_t i = 0; i < hooks->size(); ++i) {
    const Webhook& hook = (*hooks)[i];
    absl::StatusOr<const api::ResourceInfo*> should = ShouldCall(hook, request, obj, old);
    if (!should.ok()) return should.status();
    const api::ResourceInfo* sent_as = *should;
    if (!sent_as) continue;
    if (request.dry_run && !hook.DryRunSafe()) {
      return api::BadRequestError(absl::StrCat("admission webhook \"", hook.name, "\" does not support dry run"));
    }
    pending.push_back({i, sent_as});
  }
  if (pending.empty()) return absl::OkStatus();
  std::vector<Outcome> outcomes(pending.size());
  if (pending.size() == 1) {
    outcomes[0] = Call((*hooks)[pending[0].index], request, *pending[0].sent_as, obj, old);
  } else {
    std::vector<std::future<Outcome>> calls;
    for (const auto& p : pending) {
      calls.push_back(std::async(std::launch::async, [this, &hooks, &request, p, obj, old] {
        return Call((*hooks)[p.index], request, *p.sent_as, obj, old);
      }));
    }
    for (size_t i = 0; i < calls.size(); ++i) outcomes[i] = calls[i].get();
  }
  absl::Status first = absl::OkStatus();
  for (size_t i = 0; i < pending.size(); ++i) {
    const Webhook& hook = (*hooks)[pending[i].index];
    const Outcome& outcome = outcomes[i];
    absl::Status verdict = absl::OkStatus();
    if (!outcome.error.ok()) {
      if (hook.fail_open) {
        request.AddAuditAnnotation(
            absl::StrCat("failed-open.validating.webhook.admission.k8s.io/", RoundIndex(0, pending[i].index)),
            hook.name);
      } else {
        verdict = CallFailed(hook, outcome.error);
      }
    } else {
      for (const auto& w : outcome.response.warnings) request.Warn(w);
      for (const auto& [k, v] : outcome.response.audit_annotations)
        request.AddAuditAnnotation(absl::StrCat(hook.name, "/", k), v);
      if (!outcome.response.allowed) verdict = Denied(hook, outcome.response.status);
    }
    if (first.ok() && !verdict.ok()) first = verdict;
  }
  return first;
}

}  // namespace skiff::apiserver::admissionwebhook
