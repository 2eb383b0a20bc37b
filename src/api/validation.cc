#include "api/validation.h"

#include <cctype>
#include <charconv>
#include <cstdint>
#include <limits>
#include <set>

#include "absl/strings/str_cat.h"
#include "api/errors.h"
#include "api/label_selector.h"
#include "api/name_validation.h"
#include "api/schema_strings.h"
#include "boost/json/serialize.hpp"

namespace skiff::api {
namespace {

using namespace schema_internal;  // NOLINT: small local helpers

constexpr std::string_view kObjectMetaType = "io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta";
constexpr std::string_view kLabelSelectorType = "io.k8s.apimachinery.pkg.apis.meta.v1.LabelSelector";
constexpr size_t kTotalAnnotationSizeLimit = 256 * 1024;

std::string GoTypeName(const FieldType& t) {
  switch (t.kind) {
    case FieldType::Kind::kList:
      return "[]" + GoTypeName(*t.elem);
    case FieldType::Kind::kMap:
      return "map[string]" + GoTypeName(*t.elem);
    case FieldType::Kind::kStruct: {
      // "io.k8s.api.core.v1.PodSpec" -> "v1.PodSpec"
      std::string_view pkg = t.type->package;
      size_t dot = pkg.rfind('.');
      return Cat(dot == pkg.npos ? pkg : pkg.substr(dot + 1), ".", t.type->name);
    }
    case FieldType::Kind::kScalar:
      break;
  }
  switch (t.scalar) {
    case ScalarKind::kString:
      return "string";
    case ScalarKind::kInt32:
      return "int32";
    case ScalarKind::kInt64:
      return "int64";
    case ScalarKind::kBool:
      return "bool";
    case ScalarKind::kNumber:
      return "float64";
    case ScalarKind::kBytes:
      return "[]uint8";
    case ScalarKind::kTime:
      return "v1.Time";
    case ScalarKind::kMicroTime:
      return "v1.MicroTime";
    case ScalarKind::kQuantity:
      return "resource.Quantity";
    case ScalarKind::kIntOrString:
      return "intstr.IntOrString";
    case ScalarKind::kAny:
      return "interface {}";
    case ScalarKind::kDuration:
      return "v1.Duration";
  }
  return "";
}

std::string FormatNumber(double d) {
  char buf[64];
  auto [end, ec] = std::to_chars(buf, buf + sizeof(buf), d);
  return ec == std::errc() ? std::string(buf, end) : std::to_string(d);
}

// Go's rendering of a bad value: numbers and bools plainly, strings quoted, the rest as JSON.
std::string RenderValue(const boost::json::value& v) {
  if (v.is_double()) return FormatNumber(v.get_double());
  return boost::json::serialize(v);
}

bool IsBase64(std::string_view s) {
  if (s.size() % 4 != 0) return false;
  size_t pad = 0;
  for (size_t i = 0; i < s.size(); ++i) {
    char c = s[i];
    bool alnum = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
    if (c == '=') {
      if (i + 2 < s.size()) return false;
      ++pad;
    } else if (pad > 0 || !(alnum || c == '+' || c == '/')) {
      return false;
    }
  }
  return true;
}

std::string_view JsonKindWord(const boost::json::value& v) {
  switch (v.kind()) {
    case boost::json::kind::string:
      return "string";
    case boost::json::kind::bool_:
      return "bool";
    case boost::json::kind::object:
      return "object";
    case boost::json::kind::array:
      return "array";
    default:
      return "number";
  }
}

class Validator {
 public:
  std::vector<FieldError> errors;

  void Struct(const TypeSchema& type, const boost::json::object& obj, const std::string& path, bool is_root) {
    for (const FieldSchema& field : type.fields) {
      std::string child = path.empty() ? field.name : Cat(path, ".", field.name);
      const boost::json::value* v = obj.if_contains(field.name);
      if (v == nullptr || v->is_null()) {
        if (field.required) Add(kFieldValueRequired, child, nullptr, "");
        continue;
      }
      size_t first_error = errors.size();
      Value(field, field.type, *v, child, type.name);
      if (field.type.kind == FieldType::Kind::kStruct && field.type.type != nullptr &&
          field.type.type->full_name == kObjectMetaType && v->is_object()) {
        Metadata(v->get_object(), child,
                 is_root && field.name == "metadata" && !type.kinds.empty() ? type.kinds.front().kind
                                                                            : std::string_view());
      }
      if (field.type.kind == FieldType::Kind::kStruct && field.type.type != nullptr &&
          field.type.type->full_name == kLabelSelectorType && v->is_object()) {
        Selector(*v, child, first_error);
      }
    }
  }

 private:
  void Add(std::string_view type, std::string field, boost::json::value bad, std::string detail) {
    FieldError e;
    e.type = std::string(type);
    e.field = std::move(field);
    e.bad_value = std::move(bad);
    e.detail = std::move(detail);
    errors.push_back(std::move(e));
  }

  // metav1.LabelSelector rules the schema cannot state (ValidateLabelSelector): values required
  // for In/NotIn and forbidden for Exists/DoesNotExist, label key and value syntax. A field the
  // schema pass already reported (since `first_error`) is not reported twice.
  void Selector(const boost::json::value& selector, const std::string& path, size_t first_error) {
    std::set<std::string, std::less<>> reported;
    for (size_t i = first_error; i < errors.size(); ++i) reported.insert(errors[i].field);
    for (LabelSelectorError& e : LabelSelector::Validate(selector, path)) {
      if (e.reason == kFieldValueTypeInvalid || reported.count(e.field)) continue;
      Add(e.reason, std::move(e.field), std::move(e.bad_value), std::move(e.detail));
    }
  }

  void TypeError(const FieldType& t, const boost::json::value& v, const std::string& path,
                 const std::string& go_struct, std::string json_kind) {
    FieldError e;
    e.type = std::string(kFieldValueTypeInvalid);
    e.field = path;
    e.bad_value = v;
    e.go_struct = go_struct;
    e.go_type = GoTypeName(t);
    e.detail = Cat("must be of type ", e.go_type);
    if (!json_kind.empty()) e.detail = Cat(e.detail, " (got ", json_kind, ")");
    errors.push_back(std::move(e));
  }

  void Value(const FieldSchema& field, const FieldType& t, const boost::json::value& v,
             const std::string& path, const std::string& go_struct) {
    switch (t.kind) {
      case FieldType::Kind::kStruct:
        if (!v.is_object()) return TypeError(t, v, path, go_struct, "");
        if (t.type != nullptr) Struct(*t.type, v.get_object(), path, false);
        return;
      case FieldType::Kind::kList: {
        if (!v.is_array()) return TypeError(t, v, path, go_struct, "");
        const boost::json::array& a = v.get_array();
        if (field.max_len && static_cast<int64_t>(a.size()) > *field.max_len) {
          Add(kFieldValueTooMany, path, static_cast<int64_t>(a.size()),
              Cat("must have at most ", *field.max_len, *field.max_len == 1 ? " item" : " items"));
        }
        if (field.min_len && static_cast<int64_t>(a.size()) < *field.min_len) {
          if (a.empty()) {
            Add(kFieldValueRequired, path, nullptr, "");
          } else {
            Add(kFieldValueInvalid, path, v, Cat("must have at least ", *field.min_len, " items"));
          }
        }
        for (size_t i = 0; i < a.size(); ++i) {
          if (a[i].is_null()) continue;
          Element(field, *t.elem, a[i], Cat(path, "[", i, "]"), go_struct);
        }
        return;
      }
      case FieldType::Kind::kMap: {
        if (!v.is_object()) return TypeError(t, v, path, go_struct, "");
        const boost::json::object& o = v.get_object();
        if (field.max_len && static_cast<int64_t>(o.size()) > *field.max_len) {
          Add(kFieldValueTooMany, path, static_cast<int64_t>(o.size()),
              Cat("must have at most ", *field.max_len, *field.max_len == 1 ? " item" : " items"));
        }
        for (const auto& kv : o) {
          if (kv.value().is_null()) continue;
          Element(field, *t.elem, kv.value(), Cat(path, "[", std::string_view(kv.key()), "]"), go_struct);
        }
        return;
      }
      case FieldType::Kind::kScalar:
        Scalar(field, t, v, path, go_struct, /*bounds_on_length=*/true);
        return;
    }
  }

  // A list element or map value: enum and numeric bounds apply to scalar elements; length bounds
  // belong to the collection.
  void Element(const FieldSchema& field, const FieldType& t, const boost::json::value& v,
               const std::string& path, const std::string& go_struct) {
    if (t.kind == FieldType::Kind::kScalar) {
      Scalar(field, t, v, path, go_struct, /*bounds_on_length=*/false);
      return;
    }
    FieldSchema plain;  // nested collections carry no bounds of their own
    Value(plain, t, v, path, go_struct);
  }

  void Scalar(const FieldSchema& field, const FieldType& t, const boost::json::value& v,
              const std::string& path, const std::string& go_struct, bool bounds_on_length) {
    switch (t.scalar) {
      case ScalarKind::kString:
      case ScalarKind::kTime:
      case ScalarKind::kMicroTime:
      case ScalarKind::kDuration:
        if (!v.is_string()) return TypeError(t, v, path, go_struct, "");
        break;
      case ScalarKind::kBytes:
        if (!v.is_string()) return TypeError(t, v, path, go_struct, "");
        if (!IsBase64(v.get_string())) {
          return TypeError(t, v, path, go_struct, "illegal base64 data");
        }
        break;
      case ScalarKind::kInt32:
      case ScalarKind::kInt64: {
        int64_t lo = t.scalar == ScalarKind::kInt32 ? std::numeric_limits<int32_t>::min()
                                                    : std::numeric_limits<int64_t>::min();
        int64_t hi = t.scalar == ScalarKind::kInt32 ? std::numeric_limits<int32_t>::max()
                                                    : std::numeric_limits<int64_t>::max();
        bool ok = false;
        if (v.is_int64()) {
          ok = v.get_int64() >= lo && v.get_int64() <= hi;
        } else if (v.is_uint64()) {
          ok = v.get_uint64() <= static_cast<uint64_t>(hi);
        } else if (v.is_double()) {
          double d = v.get_double();
          ok = d == static_cast<double>(static_cast<int64_t>(d)) && d >= static_cast<double>(lo) &&
               d <= static_cast<double>(hi);
        }
        if (!ok) return TypeError(t, v, path, go_struct, "");
        break;
      }
      case ScalarKind::kBool:
        if (!v.is_bool()) return TypeError(t, v, path, go_struct, "");
        break;
      case ScalarKind::kNumber:
        if (!v.is_number()) return TypeError(t, v, path, go_struct, "");
        break;
      case ScalarKind::kQuantity:
        if (!v.is_string() && !v.is_number()) return TypeError(t, v, path, go_struct, "");
        break;
      case ScalarKind::kIntOrString:
        if (!v.is_string() && !v.is_int64() && !v.is_uint64()) {
          return TypeError(t, v, path, go_struct, "");
        }
        break;
      case ScalarKind::kAny:
        break;
    }
    if (!field.enum_values.empty() && v.is_string()) {
      std::string_view s = v.get_string();
      bool found = false;
      for (const std::string& e : field.enum_values) found = found || e == s;
      if (!found) {
        std::string detail = "supported values: ";
        for (size_t i = 0; i < field.enum_values.size(); ++i) {
          if (i) detail += ", ";
          detail += boost::json::serialize(boost::json::value(field.enum_values[i]));
        }
        Add(kFieldValueNotSupported, path, v, detail);
      }
    }
    if (v.is_number() && (field.min || field.max)) {
      double d = v.to_number<double>();
      bool below = field.min && d < static_cast<double>(*field.min);
      bool above = field.max && d > static_cast<double>(*field.max);
      if (below || above) {
        std::string detail;
        if (field.min && field.max) {
          detail = Cat("must be between ", *field.min, " and ", *field.max, ", inclusive");
        } else if (below) {
          detail = Cat("must be greater than or equal to ", *field.min);
        } else {
          detail = Cat("must be less than or equal to ", *field.max);
        }
        Add(kFieldValueInvalid, path, v, detail);
      }
    }
    if (bounds_on_length && v.is_string()) {
      int64_t len = static_cast<int64_t>(v.get_string().size());
      if (field.max_len && len > *field.max_len) {
        Add(kFieldValueTooLong, path, nullptr,
            Cat("may not be more than ", *field.max_len, *field.max_len == 1 ? " byte" : " bytes"));
      }
      if (field.min_len && len < *field.min_len) {
        if (len == 0) {
          Add(kFieldValueRequired, path, nullptr, "");
        } else {
          Add(kFieldValueInvalid, path, v, Cat("must be at least ", *field.min_len, " characters"));
        }
      }
    }
  }

  static std::string_view GetStr(const boost::json::object& o, std::string_view key) {
    const boost::json::value* v = o.if_contains(key);
    return v && v->is_string() ? std::string_view(v->get_string()) : std::string_view();
  }

  // Object-name syntax; `prefix` is true for generateName (a trailing '-' is allowed).
  static std::vector<std::string> NameErrors(std::string_view rule, std::string_view name, bool prefix) {
    std::string masked(name);
    if (prefix && masked.size() > 1 && masked.back() == '-') masked.back() = 'a';
    if (rule == "path") {
      std::vector<std::string> out;
      if (!prefix && (name == "." || name == "..")) out.push_back(Cat("may not be '", name, "'"));
      if (name.find('/') != name.npos) out.push_back("may not contain '/'");
      if (name.find('%') != name.npos) out.push_back("may not contain '%'");
      return out;
    }
    if (rule == "label") return IsDns1123Label(masked);
    if (rule == "dns1035") return IsDns1035Label(masked);
    return IsDns1123Subdomain(masked);
  }

  void Metadata(const boost::json::object& meta, const std::string& path, std::string_view kind) {
    if (!kind.empty()) {
      std::string_view rule = NameRuleForKind(kind);
      std::string_view name = GetStr(meta, "name");
      std::string_view generate_name = GetStr(meta, "generateName");
      if (name.empty() && generate_name.empty()) {
        Add(kFieldValueRequired, Cat(path, ".name"), nullptr, "name or generateName is required");
      } else if (!name.empty()) {
        for (std::string& msg : NameErrors(rule, name, false)) {
          Add(kFieldValueInvalid, Cat(path, ".name"), boost::json::value(name), std::move(msg));
        }
      }
      if (!generate_name.empty()) {
        for (std::string& msg : NameErrors(rule, generate_name, true)) {
          Add(kFieldValueInvalid, Cat(path, ".generateName"), boost::json::value(generate_name),
              std::move(msg));
        }
      }
      std::string_view ns = GetStr(meta, "namespace");
      if (!ns.empty()) {
        for (std::string& msg : IsDns1123Label(ns)) {
          Add(kFieldValueInvalid, Cat(path, ".namespace"), boost::json::value(ns), std::move(msg));
        }
      }
    }
    if (const boost::json::value* labels = meta.if_contains("labels"); labels && labels->is_object()) {
      std::string field = Cat(path, ".labels");
      for (const auto& kv : labels->get_object()) {
        std::string_view key = kv.key();
        for (std::string& msg : ValidateLabelKey(key)) {
          Add(kFieldValueInvalid, field, boost::json::value(key), std::move(msg));
        }
        if (!kv.value().is_string()) continue;  // reported as a type error
        std::string_view value = kv.value().get_string();
        for (std::string& msg : ValidateLabelValue(value)) {
          Add(kFieldValueInvalid, field, boost::json::value(value), std::move(msg));
        }
      }
    }
    if (const boost::json::value* ann = meta.if_contains("annotations"); ann && ann->is_object()) {
      std::string field = Cat(path, ".annotations");
      size_t total = 0;
      for (const auto& kv : ann->get_object()) {
        std::string lower(kv.key());
        for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
        for (std::string& msg : IsQualifiedName(lower)) {
          Add(kFieldValueInvalid, field, boost::json::value(kv.key()), std::move(msg));
        }
        total += kv.key().size();
        if (kv.value().is_string()) total += kv.value().get_string().size();
      }
      if (total > kTotalAnnotationSizeLimit) {
        Add(kFieldValueTooLong, field, nullptr,
            Cat("may not be more than ", kTotalAnnotationSizeLimit, " bytes"));
      }
    }
  }
};

std::string_view ErrorTypeText(std::string_view type) {
  if (type == kFieldValueRequired) return "Required value";
  if (type == kFieldValueNotSupported) return "Unsupported value";
  if (type == kFieldValueTooLong) return "Too long";
  if (type == kFieldValueTooMany) return "Too many";
  if (type == kFieldValueForbidden) return "Forbidden";
  if (type == kFieldValueDuplicate) return "Duplicate value";
  if (type == "FieldValueNotFound") return "Not found";
  if (type == "InternalError") return "Internal error";
  return "Invalid value";
}

bool ShowsValue(std::string_view type) {
  return type != kFieldValueRequired && type != kFieldValueForbidden && type != kFieldValueTooLong &&
         type != "InternalError";
}

}  // namespace

std::vector<FieldError> ValidateObject(const TypeSchema& type, const boost::json::value& obj) {
  Validator v;
  if (!obj.is_object()) {
    FieldError e;
    e.type = std::string(kFieldValueTypeInvalid);
    e.bad_value = obj;
    e.detail = "must be an object";
    e.go_type = type.name;
    v.errors.push_back(std::move(e));
    return v.errors;
  }
  v.Struct(type, obj.get_object(), "", /*is_root=*/true);
  return v.errors;
}

namespace {

void CompareImmutable(const TypeSchema& type, const boost::json::object* old_obj,
                      const boost::json::object* new_obj, const std::string& path,
                      std::vector<FieldError>& out) {
  static const boost::json::value kNull;
  for (const FieldSchema& field : type.fields) {
    const boost::json::value* o = old_obj ? old_obj->if_contains(field.name) : nullptr;
    const boost::json::value* n = new_obj ? new_obj->if_contains(field.name) : nullptr;
    if (o == nullptr) o = &kNull;
    if (n == nullptr) n = &kNull;
    std::string child = path.empty() ? field.name : Cat(path, ".", field.name);
    if (field.immutable) {
      if (*o != *n) {
        FieldError e;
        e.type = std::string(kFieldValueInvalid);
        e.field = child;
        e.bad_value = *n;
        e.detail = "field is immutable";
        out.push_back(std::move(e));
      }
      continue;
    }
    if (field.type.kind == FieldType::Kind::kStruct && field.type.type != nullptr &&
        (o->is_object() || n->is_object())) {
      CompareImmutable(*field.type.type, o->is_object() ? &o->get_object() : nullptr,
                       n->is_object() ? &n->get_object() : nullptr, child, out);
    }
  }
}

}  // namespace

std::vector<FieldError> ValidateImmutableFields(const TypeSchema& type, const boost::json::value& old_obj,
                                                const boost::json::value& new_obj) {
  std::vector<FieldError> out;
  CompareImmutable(type, old_obj.is_object() ? &old_obj.get_object() : nullptr,
                   new_obj.is_object() ? &new_obj.get_object() : nullptr, "", out);
  return out;
}

std::string FormatFieldError(const FieldError& error) {
  std::string out = Cat(error.field, ": ", ErrorTypeText(error.type));
  if (ShowsValue(error.type))
    out += Cat(": ", error.go_value.empty() ? RenderValue(error.bad_value) : error.go_value);
  if (!error.detail.empty()) out += Cat(": ", error.detail);
  return out;
}

std::string InvalidObjectMessage(std::string_view qualified_kind, std::string_view name,
                                 const std::vector<FieldError>& errors) {
  std::vector<std::string> messages;
  std::set<std::string> seen;
  for (const FieldError& e : errors) {
    std::string m = FormatFieldError(e);
    if (seen.insert(m).second) messages.push_back(std::move(m));
  }
  std::string head =
      Cat(qualified_kind, " ", boost::json::serialize(boost::json::value(name)), " is invalid: ");
  if (messages.size() == 1) return head + messages.front();
  return Cat(head, "[", Join(messages, ", "), "]");
}

std::string DecodeErrorMessage(const FieldError& error) {
  // Go names the field by its JSON path without list indices or map keys.
  std::string go_path;
  for (size_t i = 0; i < error.field.size(); ++i) {
    if (error.field[i] == '[') {
      i = error.field.find(']', i);
      if (i == std::string::npos) break;
      continue;
    }
    go_path.push_back(error.field[i]);
  }
  std::string what(JsonKindWord(error.bad_value));
  // Go quotes the literal only when a number does not fit a numeric field.
  bool numeric = error.go_type == "int32" || error.go_type == "int64" || error.go_type == "float64";
  if (error.bad_value.is_number() && numeric) what = Cat("number ", RenderValue(error.bad_value));
  if (error.go_struct.empty()) {
    return Cat("json: cannot unmarshal ", what, " into Go value of type ", error.go_type);
  }
  return Cat("json: cannot unmarshal ", what, " into Go struct field ", error.go_struct, ".", go_path,
             " of type ", error.go_type);
}

std::string_view NameRuleForKind(std::string_view kind) {
  if (kind == "Namespace") return "label";
  if (kind == "Service") return "dns1035";
  if (kind == "Role" || kind == "ClusterRole" || kind == "RoleBinding" || kind == "ClusterRoleBinding" ||
      kind == "APIService") {
    return "path";
  }
  return "subdomain";
}

absl::Status InvalidObjectStatus(const ResourceInfo& resource, const std::string& name,
                                 const std::vector<FieldError>& errors) {
  std::string qualified =
      resource.group.empty() ? resource.kind : absl::StrCat(resource.kind, ".", resource.group);
  // Type mismatches are decoding errors in Kubernetes (400), everything else is 422 Invalid.
  for (const auto& e : errors) {
    if (e.type == kFieldValueTypeInvalid) {
      return BadRequestError(absl::StrCat(resource.kind, " in version \"", resource.version,
                                          "\" cannot be handled as a ", resource.kind, ": ",
                                          DecodeErrorMessage(e)));
    }
  }
  ApiError err{422,  "Invalid",      InvalidObjectMessage(qualified, name, errors),
               name, resource.group, resource.kind};
  for (const auto& e : errors) {
    std::string text = FormatFieldError(e);
    std::string prefix = e.field + ": ";
    if (text.compare(0, prefix.size(), prefix) == 0) text = text.substr(prefix.size());
    err.causes.push_back({e.type, text, e.field});
  }
  return ToStatus(err);
}

}  // namespace skiff::api
