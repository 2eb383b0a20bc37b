#include "apiserver/crd/conversion_review.h"

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "api/name_validation.h"
#include "base/json.h"
#include "boost/json.hpp"

namespace skiff::apiserver::crd {
namespace {

namespace json = boost::json;

constexpr char kReviewGroup[] = "apiextensions.k8s.io";

// "group/version, Kind=Kind" as Go prints a GroupVersionKind ("/, Kind=" when empty).
std::string GvkText(const json::value& obj) {
  std::string api_version = base::GetString(obj, {"apiVersion"});
  if (api_version.find('/') == std::string::npos) api_version = "/" + api_version;
  return absl::StrCat(api_version, ", Kind=", base::GetString(obj, {"kind"}));
}

// Go's %T of a decoded JSON value, for kube's "invalid metadata ... of type %T" messages.
std::string GoType(const json::value& v) {
  switch (v.kind()) {
    case json::kind::object:
      return "map[string]interface {}";
    case json::kind::array:
      return "[]interface {}";
    case json::kind::string:
      return "string";
    case json::kind::bool_:
      return "bool";
    case json::kind::null:
      return "<nil>";
    default:
      return v.is_int64() ? "int64" : "float64";
  }
}

// kube's ValidateLabels / ValidateAnnotations, in their aggregate wording.
absl::Status ValidateStringMap(const std::string& field, const json::object& map) {
  std::vector<std::string> errors;
  size_t annotation_bytes = 0;
  for (const auto& [k, v] : map) {
    std::string key(k);
    std::string value(v.get_string());
    if (field == "labels") {
      for (const auto& e : api::ValidateLabelKey(key))
        errors.push_back(absl::StrCat("metadata.labels: Invalid value: \"", key, "\": ", e));
      for (const auto& e : api::ValidateLabelValue(value))
        errors.push_back(absl::StrCat("metadata.labels: Invalid value: \"", value, "\": ", e));
    } else {
      for (const auto& e : api::IsQualifiedName(absl::AsciiStrToLower(key)))
        errors.push_back(absl::StrCat("metadata.annotation: Invalid value: \"", key, "\": ", e));
      annotation_bytes += key.size() + value.size();
    }
  }
  if (annotation_bytes > 256 * 1024) {
    errors.push_back(absl::StrCat("metadata.annotation: Too long: may not be more than 262144 bytes"));
  }
  if (errors.empty()) return absl::OkStatus();
  if (errors.size() == 1) return absl::InvalidArgumentError(errors[0]);
  return absl::InvalidArgumentError(absl::StrCat("[", absl::StrJoin(errors, ", "), "]"));
}

}  // namespace

absl::StatusOr<std::string> ReviewVersion(const std::vector<std::string>& accepted) {
  for (const auto& v : accepted) {
    if (v == "v1" || v == "v1beta1") return v;
  }
  return absl::InvalidArgumentError("no supported conversion review versions");
}

json::value BuildConversionReview(const std::string& review_version, const std::string& uid,
                                  const std::string& desired_api_version, const std::vector<json::value>& objects) {
  json::array items(objects.begin(), objects.end());
  return json::object{
      {"kind", "ConversionReview"},
      {"apiVersion", absl::StrCat(kReviewGroup, "/", review_version)},
      {"request", json::object{{"uid", uid}, {"desiredAPIVersion", desired_api_version}, {"objects", std::move(items)}}}};
}

absl::StatusOr<std::vector<json::value>> ConvertedObjects(const std::string& body, const std::string& review_version,
                                                          const std::string& uid) {
  auto parsed = base::ParseJson(body);
  if (!parsed.ok()) return absl::InvalidArgumentError(parsed.status().message());
  if (!parsed->is_object()) return absl::InvalidArgumentError("the webhook's answer is not a JSON object");
  if (review_version == "v1") {
    std::string want = absl::StrCat(kReviewGroup, "/v1, Kind=ConversionReview");
    std::string got = GvkText(*parsed);
    if (got != want) return absl::InvalidArgumentError(absl::StrCat("expected webhook response of ", want, ", got ", got));
  }
  const json::value* response = base::Find(*parsed, "response");
  if (!response || !response->is_object()) return absl::InvalidArgumentError("no response provided");
  // v1beta1 answers are not held to the uid (kube keeps that leniency for compatibility).
  if (review_version == "v1") {
    std::string got = base::GetString(*response, {"uid"});
    if (got != uid) {
      return absl::InvalidArgumentError(absl::StrCat("expected response.uid=\"", uid, "\", got \"", got, "\""));
    }
  }
  std::string status = base::GetString(*response, {"result", "status"});
  if (status != "Success") {
    std::string message = base::GetString(*response, {"result", "message"});
    if (!message.empty()) return absl::InvalidArgumentError(message);
    return absl::InvalidArgumentError(absl::StrCat("response.result.status was '", status, "', not 'Success'"));
  }
  std::vector<json::value> out;
  if (const auto* objects = base::Find(*response, "convertedObjects"); objects && objects->is_array()) {
    out.assign(objects->get_array().begin(), objects->get_array().end());
  }
  return out;
}

absl::Status CheckConvertedIdentity(const json::value& original, const json::value& converted,
                                    const std::string& desired_api_version) {
  if (!converted.is_object()) return absl::InvalidArgumentError("the converted object is not a JSON object");
  std::string api_version = base::GetString(converted, {"apiVersion"});
  if (api_version != desired_api_version) {
    return absl::InvalidArgumentError(absl::StrCat("invalid groupVersion (expected ", desired_api_version,
                                                   ", received ", api_version, ")"));
  }
  std::string kind = base::GetString(original, {"kind"});
  if (std::string got = base::GetString(converted, {"kind"}); got != kind) {
    return absl::InvalidArgumentError(absl::StrCat("invalid kind (expected ", kind, ", received ", got, ")"));
  }
  for (const char* field : {"name", "namespace", "uid"}) {
    std::string want = base::GetString(original, {"metadata", field});
    std::string got = base::GetString(converted, {"metadata", field});
    if (want != got) {
      std::string what = std::string(field) == "uid" ? "UID" : field;
      return absl::InvalidArgumentError(absl::StrCat("must have the same ", what, ": ", want, " != ", got));
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<json::value> RestoreMetadata(const json::value& original, json::value converted) {
  const json::value* original_meta = base::Find(original, "metadata");
  json::value* converted_meta = converted.as_object().if_contains("metadata");
  if (!original_meta && !converted_meta) return converted;
  if (!converted_meta) return absl::InvalidArgumentError("missing metadata in converted object");
  if (!converted_meta->is_object()) {
    return absl::InvalidArgumentError(
        absl::StrCat("invalid metadata of type ", GoType(*converted_meta), " in converted object"));
  }
  if (original_meta && !original_meta->is_object()) {
    return absl::InvalidArgumentError(
        absl::StrCat("invalid metadata of type ", GoType(*original_meta), " in input object"));
  }
  json::object result = original_meta ? original_meta->get_object() : json::object();
  const json::object& answered = converted_meta->get_object();
  for (const char* field : {"labels", "annotations"}) {
    const json::value* given = answered.if_contains(field);
    if (!given || given->is_null()) {
      result.erase(field);
      continue;
    }
    if (!given->is_object()) {
      return absl::InvalidArgumentError(
          absl::StrCat("invalid metadata.", field, " of type ", GoType(*given), " in converted object"));
    }
    for (const auto& [k, v] : given->get_object()) {
      if (!v.is_string()) {
        return absl::InvalidArgumentError(absl::StrCat("metadata.", field, "[", std::string(k), "] must be a string, but is ",
                                                       GoType(v), " in converted object"));
      }
    }
    const json::value* before = result.if_contains(field);
    if (!before || *before != *given) {
      if (auto s = ValidateStringMap(field, given->get_object()); !s.ok()) return s;
    }
    result[field] = *given;
  }
  *converted_meta = std::move(result);
  return converted;
}

}  // namespace skiff::apiserver::crd
