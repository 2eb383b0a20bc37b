// TypeMeta/ObjectMeta checks of embedded resources (x-kubernetes-embedded-resource), as
// apiextensions' objectmeta.Validate: apiVersion and kind required and well-formed, metadata
// decodable as ObjectMeta with valid name/generateName (path segments), namespace, labels and
// annotations.
#include <algorithm>
#include <cctype>

#include "api/name_validation.h"
#include "api/schema.h"
#include "api/schema_strings.h"
#include "api/structural/internal.h"
#include "api/validation.h"

namespace skiff::api::structural::internal {
namespace {

using schema_internal::Cat;
using schema_internal::Join;

std::vector<std::string> PathSegmentErrors(std::string_view name, bool prefix) {
  std::vector<std::string> out;
  if (!prefix && (name == "." || name == "..")) out.push_back(Cat("may not be '", name, "'"));
  if (name.find('/') != name.npos) out.push_back("may not contain '/'");
  if (name.find('%') != name.npos) out.push_back("may not contain '%'");
  return out;
}

void ValidateMetadata(const boost::json::value& v, const PathNode& p, std::vector<FieldError>* out) {
  PathNode mp = p.Child("metadata");
  if (!v.is_object()) {
    std::string_view what = v.is_string() ? "string" : v.is_array() ? "array" : v.is_bool() ? "bool" : "number";
    out->push_back(Invalid(mp.String(), v, Cat("json: cannot unmarshal ", what, " into Go value of type v1.ObjectMeta")));
    return;
  }
  // Field types, labels and annotations: the ObjectMeta schema of built-in kinds.
  static const TypeSchema* holder = BuiltinSchemas().FindType("io.k8s.api.core.v1.PodTemplateSpec");
  boost::json::object wrapper;
  wrapper["metadata"] = v;
  std::string prefix = p.String();
  for (FieldError& e : ValidateObject(*holder, wrapper)) {
    if (e.field.rfind("metadata", 0) != 0) continue;
    e.field = prefix.empty() ? e.field : Cat(prefix, ".", e.field);
    if (e.type == kFieldValueTypeInvalid) {
      out->push_back(Invalid(mp.String(), v, DecodeErrorMessage(e)));
      return;
    }
    out->push_back(std::move(e));
  }
  const boost::json::object& meta = v.get_object();
  auto str = [&](std::string_view key) {
    const boost::json::value* f = meta.if_contains(key);
    return f && f->is_string() ? std::string_view(f->get_string()) : std::string_view();
  };
  std::string_view name = str("name");
  for (std::string& msg : PathSegmentErrors(name.empty() ? "fakename" : name, false)) {
    out->push_back(Invalid(mp.Child("name").String(), boost::json::value(name), std::move(msg)));
  }
  if (std::string_view gn = str("generateName"); !gn.empty()) {
    for (std::string& msg : PathSegmentErrors(gn, true)) {
      out->push_back(Invalid(mp.Child("generateName").String(), boost::json::value(gn), std::move(msg)));
    }
  }
  if (std::string_view ns = str("namespace"); !ns.empty()) {
    for (std::string& msg : IsDns1123Label(ns)) {
      out->push_back(Invalid(mp.Child("namespace").String(), boost::json::value(ns), std::move(msg)));
    }
  }
}

}  // namespace

void ValidateEmbeddedResource(const boost::json::object& obj, const PathNode& p, std::vector<FieldError>* out) {
  if (!obj.contains("apiVersion")) out->push_back(Required(p.Child("apiVersion").String(), ""));
  if (!obj.contains("kind")) out->push_back(Required(p.Child("kind").String(), ""));
  if (const boost::json::value* av = obj.if_contains("apiVersion")) {
    std::string field = p.Child("apiVersion").String();
    if (!av->is_string()) {
      out->push_back(Invalid(field, *av, "must be a string"));
    } else if (av->get_string().empty()) {
      out->push_back(Invalid(field, *av, "must not be empty"));
    } else if (std::count(av->get_string().begin(), av->get_string().end(), '/') > 1) {
      out->push_back(Invalid(field, *av, Cat("unexpected GroupVersion string: ", std::string_view(av->get_string()))));
    }
  }
  if (const boost::json::value* k = obj.if_contains("kind")) {
    std::string field = p.Child("kind").String();
    if (!k->is_string()) {
      out->push_back(Invalid(field, *k, "must be a string"));
    } else if (k->get_string().empty()) {
      out->push_back(Invalid(field, *k, "must not be empty"));
    } else {
      std::string lower(k->get_string());
      for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      std::vector<std::string> errs = IsDns1035Label(lower);
      if (!errs.empty()) {
        out->push_back(Invalid(field, *k, "may have mixed case, but should otherwise match: " + Join(errs, ",")));
      }
    }
  }
  if (const boost::json::value* m = obj.if_contains("metadata")) ValidateMetadata(*m, p, out);
}

}  // namespace skiff::api::structural::internal
