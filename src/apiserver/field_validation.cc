#include "apiserver/field_validation.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "api/errors.h"
#include "api/schema.h"
#include "api/structural/structural.h"
#include "api/unknown_fields.h"
#include "apiserver/schema_admission.h"

namespace skiff::apiserver {
namespace {

namespace json = boost::json;

// A custom resource: metadata is ObjectMeta (kube reports its unknown fields first, as decoding
// ObjectMeta does), the rest is what the structural schema prunes.
std::vector<std::string> PruneCustomResource(const api::structural::Schema& schema, json::value& object) {
  std::vector<std::string> out;
  static const api::TypeSchema* object_meta =
      api::BuiltinSchemas().FindType("io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta");
  if (auto* meta = object.as_object().if_contains("metadata"); meta && meta->is_object() && object_meta) {
    constexpr std::string_view kHead = "unknown field \"";
    for (std::string& message : api::PruneUnknownFields(*object_meta, *meta)) {
      out.push_back(absl::StrCat(absl::string_view(kHead.data(), kHead.size()), "metadata.",
                                 message.substr(kHead.size())));
    }
  }
  for (const std::string& path : api::structural::Prune(schema, &object)) {
    out.push_back(absl::StrCat("unknown field \"", path, "\""));
  }
  return out;
}

}  // namespace

absl::StatusOr<FieldValidation> ParseFieldValidation(const std::string& value) {
  if (value.empty() || value == "Warn") return FieldValidation::kWarn;
  if (value == "Strict") return FieldValidation::kStrict;
  if (value == "Ignore") return FieldValidation::kIgnore;
  return api::BadRequestError(
      absl::StrCat("fieldValidation must be one of \"Ignore\", \"Warn\", or \"Strict\", got \"", value, "\""));
}

std::vector<std::string> PruneUnknownFields(const api::ResourceInfo& resource, json::value& object) {
  if (!object.is_object()) return {};
  if (resource.custom) {
    if (!resource.custom->structural) return {};
    return PruneCustomResource(*resource.custom->structural, object);
  }
  const api::TypeSchema* type = TypeFor(api::BuiltinSchemas(), resource);
  if (!type) return {};
  return api::PruneUnknownFields(*type, object);
}

absl::Status ValidateFields(FieldValidation directive, const api::ResourceInfo& resource, BodyKind body,
                            json::value& object, std::vector<std::string>* warnings) {
  std::vector<std::string> unknown = PruneUnknownFields(resource, object);
  if (unknown.empty() || directive == FieldValidation::kIgnore) return absl::OkStatus();
  if (directive == FieldValidation::kWarn) {
    if (warnings) warnings->insert(warnings->end(), unknown.begin(), unknown.end());
    return absl::OkStatus();
  }
  std::string message = absl::StrCat("strict decoding error: ", absl::StrJoin(unknown, ", "));
  if (body == BodyKind::kObject) {
    // kube's transformDecodeError: the kind and version the body was decoded as.
    message = absl::StrCat(resource.kind, " in version \"", resource.version, "\" cannot be handled as a ",
                           resource.kind, ": ", message);
  }
  return api::BadRequestError(message);
}

}  // namespace skiff::apiserver
