#include "api/structural/parse.h"

#include <algorithm>
#include <cmath>

#include "api/schema_strings.h"
#include "re2/re2.h"

namespace skiff::api::structural::internal {
namespace {

using schema_internal::Cat;

bool IsChildKeyword(std::string_view key) {
  return key == "properties" || (key == "items") || key == "additionalProperties" || key == "allOf" ||
         key == "anyOf" || key == "oneOf" || key == "not";
}

class Parser {
 public:
  explicit Parser(std::vector<FieldError>* errors) : errors_(errors) {}

  std::shared_ptr<Schema> Parse(const boost::json::value& json, const PathNode& path, int depth) {
    auto s = std::make_shared<Schema>();
    if (!json.is_object()) {
      errors_->push_back(Invalid(path.String(), json, "must be an object"));
      return s;
    }
    if (depth > kMaxDepth) {
      errors_->push_back(Forbidden(path.String(), Cat("must not be nested more than ", kMaxDepth, " levels deep")));
      return s;
    }
    const boost::json::object& o = json.get_object();
    for (const auto& kv : o) {
      bool schema_child = IsChildKeyword(kv.key()) && !(kv.key() == "items" && !kv.value().is_object());
      if (!schema_child) s->source.emplace(kv.key(), kv.value());
    }
    String(o, "type", path, &s->type);
    String(o, "format", path, &s->format);
    String(o, "description", path, &s->description);
    String(o, "pattern", path, &s->pattern);
    Bool(o, "nullable", path, &s->nullable);
    Bool(o, "exclusiveMaximum", path, &s->exclusive_maximum);
    Bool(o, "exclusiveMinimum", path, &s->exclusive_minimum);
    Bool(o, "uniqueItems", path, &s->unique_items);
    Bool(o, "x-kubernetes-embedded-resource", path, &s->embedded_resource);
    Bool(o, "x-kubernetes-int-or-string", path, &s->int_or_string);
    Bool(o, "x-kubernetes-preserve-unknown-fields", path, &s->preserve_unknown_fields);
    String(o, "x-kubernetes-list-type", path, &s->list_type);
    String(o, "x-kubernetes-map-type", path, &s->map_type);
    Number(o, "maximum", path, &s->maximum);
    Number(o, "minimum", path, &s->minimum);
    Number(o, "multipleOf", path, &s->multiple_of);
    Int(o, "maxLength", path, &s->max_length);
    Int(o, "minLength", path, &s->min_length);
    Int(o, "maxItems", path, &s->max_items);
    Int(o, "minItems", path, &s->min_items);
    Int(o, "maxProperties", path, &s->max_properties);
    Int(o, "minProperties", path, &s->min_properties);
    Strings(o, "required", path, &s->required);
    Strings(o, "x-kubernetes-list-map-keys", path, &s->list_map_keys);
    if (const boost::json::value* d = o.if_contains("default"); d != nullptr && !d->is_null()) {
      s->default_value = *d;
    }
    if (const boost::json::value* e = o.if_contains("enum"); e != nullptr && !e->is_null()) {
      if (!e->is_array()) {
        errors_->push_back(Invalid(path.Child("enum").String(), *e, "must be an array"));
      } else {
        s->enum_values.emplace(e->get_array().begin(), e->get_array().end());
      }
    }
    if (!s->pattern.empty()) {
      s->pattern_regex = std::make_shared<re2::RE2>(s->pattern, re2::RE2::Quiet);
    }
    if (const boost::json::value* p = o.if_contains("properties"); p != nullptr && !p->is_null()) {
      PathNode pp = path.Child("properties");
      if (!p->is_object()) {
        errors_->push_back(Invalid(pp.String(), *p, "must be an object"));
      } else {
        for (const auto& kv : p->get_object()) {
          s->properties.emplace_back(std::string(kv.key()), Parse(kv.value(), pp.Key(kv.key()), depth + 1));
        }
        std::sort(s->properties.begin(), s->properties.end(),
                  [](const auto& a, const auto& b) { return a.first < b.first; });
      }
    }
    if (const boost::json::value* items = o.if_contains("items"); items != nullptr && !items->is_null()) {
      if (items->is_object()) s->items = Parse(*items, path.Child("items"), depth + 1);
      // An array of schemas is reported by the CRD checks ("items must be a schema object ...").
    }
    if (const boost::json::value* ap = o.if_contains("additionalProperties"); ap != nullptr && !ap->is_null()) {
      if (ap->is_bool()) {
        s->additional_properties_allowed = ap->get_bool();
      } else {
        s->additional_properties = Parse(*ap, path.Child("additionalProperties"), depth + 1);
      }
    }
    List(o, "allOf", path, depth, &s->all_of);
    List(o, "anyOf", path, depth, &s->any_of);
    List(o, "oneOf", path, depth, &s->one_of);
    if (const boost::json::value* n = o.if_contains("not"); n != nullptr && !n->is_null()) {
      s->not_schema = Parse(*n, path.Child("not"), depth + 1);
    }
    Rules(o, path, s.get());
    return s;
  }

 private:
  void String(const boost::json::object& o, std::string_view key, const PathNode& path, std::string* out) {
    const boost::json::value* v = o.if_contains(key);
    if (v == nullptr || v->is_null()) return;
    if (!v->is_string()) {
      errors_->push_back(Invalid(path.Child(key).String(), *v, "must be a string"));
      return;
    }
    *out = std::string(v->get_string());
  }

  void Bool(const boost::json::object& o, std::string_view key, const PathNode& path, bool* out) {
    const boost::json::value* v = o.if_contains(key);
    if (v == nullptr || v->is_null()) return;
    if (!v->is_bool()) {
      errors_->push_back(Invalid(path.Child(key).String(), *v, "must be a boolean"));
      return;
    }
    *out = v->get_bool();
  }

  void Number(const boost::json::object& o, std::string_view key, const PathNode& path, std::optional<double>* out) {
    const boost::json::value* v = o.if_contains(key);
    if (v == nullptr || v->is_null()) return;
    if (!v->is_number()) {
      errors_->push_back(Invalid(path.Child(key).String(), *v, "must be a number"));
      return;
    }
    *out = AsDouble(*v);
  }

  void Int(const boost::json::object& o, std::string_view key, const PathNode& path, std::optional<int64_t>* out) {
    const boost::json::value* v = o.if_contains(key);
    if (v == nullptr || v->is_null()) return;
    if (v->is_int64()) {
      *out = v->get_int64();
      return;
    }
    if (v->is_double() && std::trunc(v->get_double()) == v->get_double() && std::fabs(v->get_double()) < 9e18) {
      *out = static_cast<int64_t>(v->get_double());
      return;
    }
    errors_->push_back(Invalid(path.Child(key).String(), *v, "must be an integer"));
  }

  void Strings(const boost::json::object& o, std::string_view key, const PathNode& path,
               std::vector<std::string>* out) {
    const boost::json::value* v = o.if_contains(key);
    if (v == nullptr || v->is_null()) return;
    if (!v->is_array()) {
      errors_->push_back(Invalid(path.Child(key).String(), *v, "must be an array of strings"));
      return;
    }
    for (const boost::json::value& e : v->get_array()) {
      if (!e.is_string()) {
        errors_->push_back(Invalid(path.Child(key).String(), *v, "must be an array of strings"));
        out->clear();
        return;
      }
      out->emplace_back(e.get_string());
    }
  }

  void List(const boost::json::object& o, std::string_view key, const PathNode& path, int depth,
            std::vector<std::shared_ptr<const Schema>>* out) {
    const boost::json::value* v = o.if_contains(key);
    if (v == nullptr || v->is_null()) return;
    PathNode lp = path.Child(key);
    if (!v->is_array()) {
      errors_->push_back(Invalid(lp.String(), *v, "must be an array"));
      return;
    }
    const boost::json::array& a = v->get_array();
    for (size_t i = 0; i < a.size(); ++i) out->push_back(Parse(a[i], lp.Index(i), depth + 1));
  }

  void Rules(const boost::json::object& o, const PathNode& path, Schema* s) {
    const boost::json::value* v = o.if_contains("x-kubernetes-validations");
    if (v == nullptr || v->is_null()) return;
    PathNode rp = path.Child("x-kubernetes-validations");
    if (!v->is_array()) {
      errors_->push_back(Invalid(rp.String(), *v, "must be an array"));
      return;
    }
    const boost::json::array& a = v->get_array();
    for (size_t i = 0; i < a.size(); ++i) {
      PathNode ip = rp.Index(i);
      if (!a[i].is_object()) {
        errors_->push_back(Invalid(ip.String(), a[i], "must be an object"));
        continue;
      }
      const boost::json::object& r = a[i].get_object();
      ValidationRule rule;
      String(r, "rule", ip, &rule.rule);
      String(r, "message", ip, &rule.message);
      String(r, "messageExpression", ip, &rule.message_expression);
      String(r, "reason", ip, &rule.reason);
      String(r, "fieldPath", ip, &rule.field_path);
      if (const boost::json::value* oos = r.if_contains("optionalOldSelf"); oos && oos->is_bool()) {
        rule.optional_old_self = oos->get_bool();
      }
      s->validations.push_back(std::move(rule));
    }
  }

  std::vector<FieldError>* errors_;
};

}  // namespace

std::shared_ptr<Schema> ParseSchema(const boost::json::value& json, const PathNode& path, int depth,
                                    std::vector<FieldError>* errors) {
  return Parser(errors).Parse(json, path, depth);
}

}  // namespace skiff::api::structural::internal
