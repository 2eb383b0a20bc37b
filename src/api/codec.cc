#include "api/codec.h"

#include <yaml-cpp/yaml.h>

#include <regex>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/ascii.h"
#include "absl/strings/strip.h"
#include "api/protobuf_decode.h"
#include "base/json.h"
#include "boost/json.hpp"

namespace skiff::api {
namespace {

namespace json = boost::json;

json::value PlainScalar(const std::string& s) {
  if (s.empty() || s == "~" || s == "null" || s == "Null" || s == "NULL") return nullptr;
  if (s == "true" || s == "True" || s == "TRUE") return true;
  if (s == "false" || s == "False" || s == "FALSE") return false;
  static const std::regex kInt("[-+]?[0-9]+");
  static const std::regex kFloat("[-+]?(\\.[0-9]+|[0-9]+(\\.[0-9]*)?)([eE][-+]?[0-9]+)?");
  if (std::regex_match(s, kInt)) {
    int64_t v;
    if (absl::SimpleAtoi(s, &v)) return v;
  }
  if (std::regex_match(s, kFloat)) {
    double d;
    if (absl::SimpleAtod(s, &d)) return d;
  }
  return json::string(s);
}

absl::StatusOr<json::value> Convert(const YAML::Node& node, int depth) {
  if (depth > 256) return absl::InvalidArgumentError("YAML nesting is too deep");
  switch (node.Type()) {
    case YAML::NodeType::Null:
    case YAML::NodeType::Undefined:
      return json::value(nullptr);
    case YAML::NodeType::Scalar:
      // yaml-cpp tags quoted scalars "!"; only plain scalars are resolved to other types.
      if (node.Tag() == "!" || node.Tag() == "tag:yaml.org,2002:str") return json::value(json::string(node.Scalar()));
      return PlainScalar(node.Scalar());
    case YAML::NodeType::Sequence: {
      json::array arr;
      for (const auto& item : node) {
        auto v = Convert(item, depth + 1);
        if (!v.ok()) return v.status();
        arr.push_back(std::move(*v));
      }
      return json::value(std::move(arr));
    }
    case YAML::NodeType::Map: {
      json::object obj;
      for (const auto& kv : node) {
        if (!kv.first.IsScalar()) return absl::InvalidArgumentError("YAML map keys must be strings");
        auto v = Convert(kv.second, depth + 1);
        if (!v.ok()) return v.status();
        obj[kv.first.Scalar()] = std::move(*v);
      }
      return json::value(std::move(obj));
    }
  }
  return json::value(nullptr);
}

}  // namespace

std::string MediaType(std::string_view content_type) {
  auto semi = content_type.find(';');
  return absl::AsciiStrToLower(std::string(absl::StripAsciiWhitespace(absl::string_view(content_type.data(), std::min(semi, content_type.size())))));
}

absl::StatusOr<json::value> YamlToJson(std::string_view yaml) {
  try {
    YAML::Node node = YAML::Load(std::string(yaml));
    return Convert(node, 0);
  } catch (const YAML::Exception& e) {
    return absl::InvalidArgumentError(
        absl::StrCat("invalid YAML at line ", e.mark.line + 1, ", column ", e.mark.column + 1, ": ", e.msg));
  }
}

absl::StatusOr<json::value> DecodeBody(std::string_view content_type, std::string_view body) {
  std::string type = MediaType(content_type);
  absl::string_view trimmed = absl::StripAsciiWhitespace(absl::string_view(body.data(), body.size()));
  if (type.empty() || type == "application/json" || type == "application/merge-patch+json" ||
      type == "application/strategic-merge-patch+json" || type == "application/json-patch+json" ||
      type == "*/*") {
    if (trimmed.empty()) return absl::InvalidArgumentError("the request body is empty");
    return base::ParseJson(body);
  }
  if (type == "application/yaml" || type == "application/apply-patch+yaml" || type == "application/x-yaml") {
    if (!trimmed.empty() && (trimmed.front() == '{' || trimmed.front() == '[')) {
      auto parsed = base::ParseJson(body);
      if (parsed.ok()) return parsed;
    }
    return YamlToJson(body);
  }
  if (type == "application/vnd.kubernetes.protobuf") return DecodeKubernetesProtobuf(body);
  return absl::UnimplementedError(absl::StrCat("the body of the request was in an unknown format - accepted media types include: application/json, application/yaml, application/vnd.kubernetes.protobuf (got ", type, ")"));
}

}  // namespace skiff::api
