// ValueFromJson and EscapePropertyName (declared in cel.h): how Kubernetes presents a JSON object
// to its validation rules.
#include <cmath>
#include <set>
#include <string>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "api/cel/cel.h"
#include "api/cel/time_util.h"
#include "base/strings.h"

namespace skiff::api::cel {
namespace {

// JSON nesting deeper than this is refused rather than converted recursively.
constexpr int kMaxJsonDepth = 1000;

bool IsCelReserved(std::string_view name) {
  static const auto* words = new std::set<std::string, std::less<>>{
      "true", "false", "null", "in", "as", "break", "const", "continue", "else", "for", "function", "if",
      "import", "let", "loop", "package", "namespace", "return", "var", "void", "while"};
  return words->count(name) > 0;
}

absl::StatusOr<Value> Convert(const boost::json::value& json, const TypeHint* hint, int depth);

absl::StatusOr<Value> ConvertNumber(const boost::json::value& json, TypeHint::Kind kind) {
  using K = TypeHint::Kind;
  if (kind == K::kDouble) return Value::Double(json.to_number<double>());
  if (json.is_int64()) return Value::Int(json.get_int64());
  if (json.is_uint64()) {
    if (kind == K::kInt || kind == K::kIntOrString) return absl::InvalidArgumentError("integer overflow");
    return Value::Uint(json.get_uint64());
  }
  double d = json.get_double();
  // An integer-typed field written as 2.0 is the int 2.
  if ((kind == K::kInt || kind == K::kIntOrString) && std::trunc(d) == d && d >= -9223372036854775808.0 &&
      d < 9223372036854775808.0) {
    return Value::Int(static_cast<int64_t>(d));
  }
  return Value::Double(d);
}

Value ConvertString(const std::string& s, TypeHint::Kind kind) {
  using K = TypeHint::Kind;
  if (kind == K::kTimestamp) {
    // A date ("2023-01-02") is midnight UTC; anything unparsable stays a string (schema
    // validation reports bad formats separately).
    absl::StatusOr<absl::Time> t = ParseCelTimestamp(s.size() == 10 ? s + "T00:00:00Z" : s);
    if (t.ok()) return Value::Timestamp(*t);
  } else if (kind == K::kDuration) {
    absl::StatusOr<absl::Duration> d = ParseCelDuration(s);
    if (d.ok()) return Value::Duration(*d);
  } else if (kind == K::kBytes) {
    std::string decoded;
    if (absl::Base64Unescape(s, &decoded)) return Value::BytesOf(std::move(decoded));
  }
  return Value::String(s);
}

absl::StatusOr<Value> ConvertObject(const boost::json::object& obj, const TypeHint* hint, int depth) {
  Map map;
  map.Reserve(obj.size());
  bool declared = hint != nullptr && hint->kind == TypeHint::Kind::kObject;
  for (const auto& [key, item] : obj) {
    const TypeHint* child = nullptr;
    std::string name(key);
    if (declared) {
      auto it = hint->properties.find(std::string_view(key));
      if (it != hint->properties.end()) {
        child = it->second.get();
      } else if (!hint->preserve_unknown_fields) {
        continue;  // pruned fields do not exist for rules
      }
      name = EscapePropertyName(key);
      if (name.empty()) continue;
    } else if (hint != nullptr && hint->kind == TypeHint::Kind::kMap) {
      child = hint->element.get();
    }
    absl::StatusOr<Value> v = Convert(item, child, depth + 1);
    if (!v.ok()) return v.status();
    map.Insert(Value::String(std::move(name)), std::move(*v));
  }
  if (declared) return Value::ObjectOf(std::move(map), "object");
  return Value::MapOf(std::move(map));
}

absl::StatusOr<Value> Convert(const boost::json::value& json, const TypeHint* hint, int depth) {
  if (depth > kMaxJsonDepth) return absl::InvalidArgumentError("value nesting too deep");
  TypeHint::Kind kind = hint ? hint->kind : TypeHint::Kind::kDyn;
  switch (json.kind()) {
    case boost::json::kind::null: return Value::Null();
    case boost::json::kind::bool_: return Value::Bool(json.get_bool());
    case boost::json::kind::int64:
    case boost::json::kind::uint64:
    case boost::json::kind::double_: return ConvertNumber(json, kind);
    case boost::json::kind::string: return ConvertString(std::string(json.get_string()), kind);
    case boost::json::kind::array: {
      List items;
      items.reserve(json.get_array().size());
      const TypeHint* element = hint && kind == TypeHint::Kind::kList ? hint->element.get() : nullptr;
      for (const auto& item : json.get_array()) {
        absl::StatusOr<Value> v = Convert(item, element, depth + 1);
        if (!v.ok()) return v.status();
        items.push_back(std::move(*v));
      }
      return Value::ListOf(std::move(items));
    }
    case boost::json::kind::object: return ConvertObject(json.get_object(), hint, depth);
  }
  return Value::Null();
}

}  // namespace

std::string EscapePropertyName(std::string_view name) {
  if (name.empty()) return "";
  if (IsCelReserved(name)) return absl::StrCat("__", base::Av(name), "__");
  for (size_t i = 0; i < name.size(); ++i) {
    char c = name[i];
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c == '.' || c == '-' || c == '/' ||
              (i > 0 && c >= '0' && c <= '9');
    if (!ok) return "";
  }
  return absl::StrReplaceAll(base::Av(name), {{"__", "__underscores__"}, {".", "__dot__"}, {"-", "__dash__"}, {"/", "__slash__"}});
}

absl::StatusOr<Value> ValueFromJson(const boost::json::value& json, const TypeHint* hint) {
  return Convert(json, hint, 0);
}

}  // namespace skiff::api::cel
