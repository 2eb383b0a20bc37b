#include "apiserver/admissionwebhook/review.h"

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "base/json.h"
#include "boost/json.hpp"

namespace skiff::apiserver::admissionwebhook {
namespace {

namespace json = boost::json;

json::object GroupVersionKind(const api::ResourceInfo& r) {
  return {{"group", r.group}, {"version", r.version}, {"kind", r.kind}};
}
json::object GroupVersionResource(const api::ResourceInfo& r) {
  return {{"group", r.group}, {"version", r.version}, {"resource", r.plural}};
}

absl::Status Invalid(const std::string& what) {
  return absl::InvalidArgumentError(absl::StrCat("received invalid webhook response: ", what));
}

}  // namespace

json::value OperationOptions(std::string_view operation, bool dry_run) {
  if (operation == "CONNECT") return nullptr;
  std::string kind = operation == "CREATE" ? "CreateOptions" : operation == "UPDATE" ? "UpdateOptions" : "DeleteOptions";
  json::object o{{"kind", kind}, {"apiVersion", "meta.k8s.io/v1"}};
  if (dry_run) o["dryRun"] = json::array{"All"};
  return o;
}

json::value BuildReview(const ReviewRequest& request, std::string_view version) {
  json::object req;
  req["uid"] = request.uid;
  req["kind"] = GroupVersionKind(*request.resource);
  if (request.operation == "CONNECT" && request.object) {
    // A connect's object is its options (PodExecOptions ...), and so is its kind.
    std::string api_version = base::GetString(*request.object, {"apiVersion"});
    size_t slash = api_version.find('/');
    req["kind"] = json::object{{"group", slash == std::string::npos ? "" : api_version.substr(0, slash)},
                               {"version", slash == std::string::npos ? api_version : api_version.substr(slash + 1)},
                               {"kind", base::GetString(*request.object, {"kind"})}};
  }
  req["resource"] = GroupVersionResource(*request.resource);
  if (!request.subresource.empty()) req["subResource"] = request.subresource;
  const api::ResourceInfo& asked = request.request_resource ? *request.request_resource : *request.resource;
  req["requestKind"] = request.operation == "CONNECT" ? req["kind"] : json::value(GroupVersionKind(asked));
  req["requestResource"] = GroupVersionResource(asked);
  if (!request.subresource.empty()) req["requestSubResource"] = request.subresource;
  if (!request.name.empty()) req["name"] = request.name;
  if (!request.ns.empty()) req["namespace"] = request.ns;
  req["operation"] = request.operation;
  json::object user;
  if (request.user) {
    user["username"] = request.user->name;
    if (!request.user->uid.empty()) user["uid"] = request.user->uid;
    if (!request.user->groups.empty()) {
      json::array groups;
      for (const auto& g : request.user->groups) groups.emplace_back(g);
      user["groups"] = std::move(groups);
    }
    if (!request.user->extra.empty()) {
      json::object extra;
      for (const auto& [k, values] : request.user->extra) {
        json::array a;
        for (const auto& v : values) a.emplace_back(v);
        extra[k] = std::move(a);
      }
      user["extra"] = std::move(extra);
    }
  }
  req["userInfo"] = std::move(user);
  req["object"] = request.object ? *request.object : json::value();
  req["oldObject"] = request.old_object ? *request.old_object : json::value();
  req["dryRun"] = request.dry_run;
  req["options"] = request.options;
  return json::object{{"kind", "AdmissionReview"},
                      {"apiVersion", absl::StrCat("admission.k8s.io/", std::string(version))},
                      {"request", std::move(req)}};
}

absl::StatusOr<ReviewResponse> ParseReviewResponse(std::string_view body, std::string_view version,
                                                   std::string_view uid, bool mutating) {
  auto parsed = base::ParseJson(body);
  if (!parsed.ok() || !parsed->is_object()) return Invalid("the answer is not a JSON object");
  std::string want = absl::StrCat("admission.k8s.io/", std::string(version));
  std::string api_version = base::GetString(*parsed, {"apiVersion"});
  std::string kind = base::GetString(*parsed, {"kind"});
  if (api_version != want || kind != "AdmissionReview") {
    return Invalid(absl::StrCat("expected webhook response of ", want, ", Kind=AdmissionReview, got ", api_version,
                                ", Kind=", kind));
  }
  const auto* response = base::Find(*parsed, "response");
  if (!response || !response->is_object()) return Invalid("webhook response was absent");
  std::string got_uid = base::GetString(*response, {"uid"});
  if (got_uid != uid) {
    return Invalid(absl::StrCat("expected response.uid=\"", std::string(uid), "\", got \"", got_uid, "\""));
  }
  ReviewResponse out;
  out.allowed = base::GetBool(*response, {"allowed"});
  if (const auto* st = base::Find(*response, "status"); st && st->is_object()) out.status = *st;
  std::string patch = base::GetString(*response, {"patch"});
  const auto* patch_type = base::Find(*response, "patchType");
  bool has_patch_type = patch_type && !patch_type->is_null();
  if (!mutating && (!patch.empty() || has_patch_type)) return Invalid("validating webhook may not return response.patch");
  if (!patch.empty() && !has_patch_type) return Invalid("webhook returned response.patch but not response.patchType");
  if (has_patch_type && (!patch_type->is_string() || patch_type->get_string() != "JSONPatch")) {
    return Invalid(absl::StrCat("webhook returned invalid response.patchType of \"",
                                patch_type->is_string() ? std::string(patch_type->get_string()) : "", "\""));
  }
  if (!patch.empty()) {
    std::string decoded;
    if (!absl::Base64Unescape(patch, &decoded)) return Invalid("response.patch is not base64");
    auto ops = base::ParseJson(decoded);
    if (!ops.ok() || !ops->is_array()) return Invalid("response.patch is not a JSON array of operations");
    out.patch = std::move(*ops);
  }
  if (const auto* w = base::Find(*response, "warnings"); w && w->is_array()) {
    for (const auto& v : w->get_array()) {
      if (v.is_string() && !v.get_string().empty()) out.warnings.emplace_back(v.get_string());
    }
  }
  if (const auto* a = base::Find(*response, "auditAnnotations"); a && a->is_object()) {
    for (const auto& [k, v] : a->get_object()) {
      if (v.is_string()) out.audit_annotations[std::string(k)] = std::string(v.get_string());
    }
  }
  return out;
}

}  // namespace skiff::apiserver::admissionwebhook
