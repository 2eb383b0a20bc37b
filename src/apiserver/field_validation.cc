#include "apiserver/field_validation.h"

#include <set>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "api/errors.h"
#include "api/schema.h"
#include "api/structural/structural.h"
#include "api/unknown_fields.h"
#include "apiserver/schema_admission.h"
#include "boost/json/basic_parser_impl.hpp"

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

// A boost::json::basic_parser handler that only follows the structure: for each open object its
// keys so far, for each open array the next index, and the path of each container.
class DuplicateFinder {
 public:
  static constexpr std::size_t max_object_size = std::size_t(-1);
  static constexpr std::size_t max_array_size = std::size_t(-1);
  static constexpr std::size_t max_key_size = std::size_t(-1);
  static constexpr std::size_t max_string_size = std::size_t(-1);

  std::vector<std::string> found;

  bool on_document_begin(boost::json::error_code&) { return true; }
  bool on_document_end(boost::json::error_code&) { return true; }
  bool on_object_begin(boost::json::error_code&) {
    frames_.push_back({false, 0, {}, {}, BeginValue()});
    return true;
  }
  bool on_object_end(std::size_t, boost::json::error_code&) { return Pop(); }
  bool on_array_begin(boost::json::error_code&) {
    frames_.push_back({true, 0, {}, {}, BeginValue()});
    return true;
  }
  bool on_array_end(std::size_t, boost::json::error_code&) { return Pop(); }
  bool on_key_part(boost::json::string_view s, std::size_t, boost::json::error_code&) {
    key_.append(s.data(), s.size());
    return true;
  }
  bool on_key(boost::json::string_view s, std::size_t, boost::json::error_code&) {
    key_.append(s.data(), s.size());
    Frame& top = frames_.back();
    if (!top.keys.insert(key_).second) {
      found.push_back(absl::StrCat("duplicate field \"", top.path.empty() ? key_ : top.path + "." + key_, "\""));
    }
    top.key = std::move(key_);
    key_.clear();
    return true;
  }
  bool on_string_part(boost::json::string_view, std::size_t, boost::json::error_code&) { return true; }
  bool on_string(boost::json::string_view, std::size_t, boost::json::error_code&) { return Scalar(); }
  bool on_number_part(boost::json::string_view, boost::json::error_code&) { return true; }
  bool on_int64(int64_t, boost::json::string_view, boost::json::error_code&) { return Scalar(); }
  bool on_uint64(uint64_t, boost::json::string_view, boost::json::error_code&) { return Scalar(); }
  bool on_double(double, boost::json::string_view, boost::json::error_code&) { return Scalar(); }
  bool on_bool(bool, boost::json::error_code&) { return Scalar(); }
  bool on_null(boost::json::error_code&) { return Scalar(); }
  bool on_comment_part(boost::json::string_view, boost::json::error_code&) { return true; }
  bool on_comment(boost::json::string_view, boost::json::error_code&) { return true; }

 private:
  struct Frame {
    bool is_array;
    size_t next_index;
    std::set<std::string> keys;
    std::string key;   // the key whose value comes next (objects)
    std::string path;  // of this container: "spec.containers[0]"
  };

  // The path of the value starting now (an array's element takes the next index).
  std::string BeginValue() {
    if (frames_.empty()) return "";
    Frame& top = frames_.back();
    if (top.is_array) return absl::StrCat(top.path, "[", top.next_index++, "]");
    return top.path.empty() ? top.key : absl::StrCat(top.path, ".", top.key);
  }
  bool Scalar() {
    BeginValue();
    return true;
  }
  bool Pop() {
    frames_.pop_back();
    return true;
  }

  std::vector<Frame> frames_;
  std::string key_;
};

}  // namespace

std::vector<std::string> DuplicateFields(std::string_view json_text) {
  size_t first = json_text.find_first_not_of(" \t\r\n");
  if (first == std::string_view::npos || json_text[first] != '{') return {};
  boost::json::basic_parser<DuplicateFinder> parser{boost::json::parse_options{}};
  boost::json::error_code ec;
  parser.write_some(false, json_text.data(), json_text.size(), ec);
  if (ec) return {};  // the decoder reports what is wrong with it
  return std::move(parser.handler().found);
}

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
                            json::value& object, std::vector<std::string>* warnings, std::string_view raw_body) {
  std::vector<std::string> unknown = DuplicateFields(raw_body);
  for (std::string& u : PruneUnknownFields(resource, object)) unknown.push_back(std::move(u));
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
