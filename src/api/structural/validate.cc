// Validate(): kube-apiserver's checks of a custom resource, in its order: the OpenAPI schema
// (kube-openapi's validator, with its messages and apiextensions' conversion to field errors),
// embedded resources' TypeMeta/ObjectMeta (objectmeta.Validate), list-type set/map uniqueness
// (listtype.ValidateListSetsAndMaps), then x-kubernetes-validations.
#include <cmath>
#include <limits>
#include <set>
#include <unordered_map>

#include "api/go_format.h"
#include "api/schema_strings.h"
#include "api/structural/internal.h"
#include "re2/re2.h"

namespace skiff::api::structural {
namespace {

using internal::PathNode;
using schema_internal::Cat;

std::string_view JsonType(const boost::json::value& v) {
  switch (v.kind()) {
    case boost::json::kind::string:
      return "string";
    case boost::json::kind::bool_:
      return "boolean";
    case boost::json::kind::object:
      return "object";
    case boost::json::kind::array:
      return "array";
    case boost::json::kind::null:
      return "null";
    case boost::json::kind::int64:
      return "integer";
    case boost::json::kind::uint64:
      return internal::IsGoInt(v) ? "integer" : "number";
    case boost::json::kind::double_:
      return "number";
  }
  return "";
}

// Go's swag.IsFloat64AJSONInteger.
bool IsJsonInteger(double f) {
  constexpr double kMax = 9007199254740992.0;  // 2^53
  if (!std::isfinite(f) || f < -kMax || f > kMax) return false;
  double t = std::trunc(f);
  if (f == t) return true;
  double diff = std::fabs(f - t);
  return diff / std::min(std::fabs(f) + std::fabs(t), std::numeric_limits<double>::max()) < 1e-9;
}

size_t RuneCount(std::string_view s) {
  size_t n = 0;
  for (unsigned char c : s) n += (c & 0xC0) != 0x80;
  return n;
}

class OpenApiValidator {
 public:
  OpenApiValidator(std::string_view base, std::vector<FieldError>* out) : base_(base), out_(out) {}

  // `name` is kube-openapi's path of the value (relative to the validated root). `old` is the
  // stored value correlated with `v` on update (null if none): errors of a value that did not
  // change are dropped (kube's validation ratcheting), so objects stored under an older schema
  // can still be updated elsewhere.
  void Node(const Schema& s, const boost::json::value& v, const boost::json::value* old, const PathNode& name,
            int depth) {
    ++matches_;
    if (depth > kMaxDepth * 2) return;  // unreachable for compiled schemas; a guard against cycles
    size_t first_error = out_->size();
    Type(s, v, name);
    if (v.is_null()) {
      Enum(s, v, name);
    } else {
      Junctors(s, v, old, name, depth);
      if (v.is_string()) {
        String(s, v, name);
        Format(s, v, name);
      }
      if (v.is_number()) Number(s, v, name);
      if (v.is_array()) Array(s, v.get_array(), old, name, depth);
      Enum(s, v, name);
      if (v.is_object()) Object(s, v.get_object(), old, name, depth);
    }
    if (old != nullptr && out_->size() > first_error && internal::JsonEqual(v, *old)) out_->resize(first_error);
  }

 private:
  // The reported field: the base path with kube-openapi's name appended ("<nil>" for none).
  std::string Field(const PathNode& name) const {
    std::string n = name.String();
    if (!n.empty() && n[0] == '.') n.erase(0, 1);
    if (n.empty()) return BaseField();
    return base_.empty() ? n : Cat(base_, ".", n);
  }
  std::string BaseField() const { return base_.empty() ? std::string("<nil>") : std::string(base_); }

  void Add(std::string_view type, std::string field, boost::json::value bad, std::string detail) {
    out_->push_back(internal::MakeError(type, std::move(field), std::move(bad), std::move(detail)));
  }

  void TypeInvalid(const PathNode& name, std::string_view expected, std::string_view got) {
    std::string n = name.String();
    Add(kFieldValueTypeInvalid, Field(name), boost::json::value(got),
        Cat(n, " in body must be of type ", expected, ": ", GoQuote(got)));
  }

  void Type(const Schema& s, const boost::json::value& v, const PathNode& name) {
    std::string_view format = internal::EffectiveFormat(s);
    bool single = !s.type.empty() && !s.int_or_string;
    if (!single && !s.int_or_string && format.empty()) return;
    auto contains = [&](std::string_view t) {
      if (s.int_or_string) return t == "integer" || t == "string";
      return s.type == t;
    };
    std::string_view types = s.int_or_string ? std::string_view("integer,string") : std::string_view(s.type);
    if (v.is_null()) {
      if (!types.empty() && !s.nullable) TypeInvalid(name, types, "null");
      return;
    }
    std::string_view sch = JsonType(v);
    std::string_view data_format = sch == "integer" ? "int64" : sch == "number" ? "float64" : "";
    bool float_int = sch == "number" && IsJsonInteger(internal::AsDouble(v)) && contains("integer");
    bool int_float = sch == "integer" && contains("number");
    if (!v.is_string() && !v.is_array() && !s.format.empty() && !format.empty() &&
        !(contains(sch) || data_format == format || float_int || int_float)) {
      return TypeInvalid(name, s.format, data_format);
    }
    if (!(contains("number") || contains("integer")) && !format.empty() && (v.is_string() || v.is_array())) return;
    if (!(contains(sch) || float_int || int_float)) TypeInvalid(name, types, sch);
  }

  void Junctors(const Schema& s, const boost::json::value& v, const boost::json::value* old, const PathNode& name,
                int depth) {
    if (!s.any_of.empty()) {
      bool ok = false;
      std::vector<FieldError> best;
      int best_matches = -1;
      for (const auto& branch : s.any_of) {
        std::vector<FieldError> errs;
        int m = Branch(*branch, v, old, name, depth, &errs);
        if (errs.empty()) {
          ok = true;
          break;
        }
        if (m > best_matches) {
          best_matches = m;
          best = std::move(errs);
        }
      }
      if (!ok) {
        Add(kFieldValueInvalid, BaseField(), "", Cat(GoQuote(name.String()), " must validate at least one schema (anyOf)"));
        for (FieldError& e : best) out_->push_back(std::move(e));
      }
    }
    if (!s.one_of.empty()) {
      int valid = 0;
      std::vector<FieldError> best;
      int best_matches = -1;
      for (const auto& branch : s.one_of) {
        std::vector<FieldError> errs;
        int m = Branch(*branch, v, old, name, depth, &errs);
        if (errs.empty()) {
          ++valid;
          continue;
        }
        if (valid == 0 && m > best_matches) {
          best_matches = m;
          best = std::move(errs);
        }
      }
      if (valid != 1) {
        std::string more = valid == 0 ? "Found none valid" : Cat("Found ", valid, " valid alternatives");
        Add(kFieldValueInvalid, BaseField(), "",
            Cat(GoQuote(name.String()), " must validate one and only one schema (oneOf). ", more));
        if (valid == 0) {
          for (FieldError& e : best) out_->push_back(std::move(e));
        }
      }
    }
    if (!s.all_of.empty()) {
      size_t valid = 0;
      for (const auto& branch : s.all_of) {
        std::vector<FieldError> errs;
        Branch(*branch, v, old, name, depth, &errs);
        if (errs.empty()) ++valid;
        for (FieldError& e : errs) out_->push_back(std::move(e));
      }
      if (valid != s.all_of.size()) {
        Add(kFieldValueInvalid, BaseField(), "",
            Cat(GoQuote(name.String()), " must validate all the schemas (allOf)", valid == 0 ? ". None validated" : ""));
      }
    }
    if (s.not_schema) {
      std::vector<FieldError> errs;
      Branch(*s.not_schema, v, old, name, depth, &errs);
      if (errs.empty()) {
        Add(kFieldValueInvalid, BaseField(), "", Cat(GoQuote(name.String()), " must not validate the schema (not)"));
      }
    }
  }

  // Validates one junctor branch into `errs`; returns how many checks matched (kube-openapi's
  // MatchCount, which picks the failures to report).
  int Branch(const Schema& s, const boost::json::value& v, const boost::json::value* old, const PathNode& name,
             int depth, std::vector<FieldError>* errs) {
    OpenApiValidator sub(base_, errs);
    sub.Node(s, v, old, name, depth + 1);
    return sub.matches_;
  }

  void String(const Schema& s, const boost::json::value& v, const PathNode& name) {
    std::string_view str = v.get_string();
    if (s.max_length && static_cast<int64_t>(RuneCount(str)) > *s.max_length) {
      int64_t max = *s.max_length;
      Add(kFieldValueTooLong, Field(name), "", Cat("may not be more than ", max, max == 1 ? " byte" : " bytes"));
      return;
    }
    if (s.min_length && static_cast<int64_t>(RuneCount(str)) < *s.min_length) {
      Add(kFieldValueInvalid, Field(name), v, Cat(name.String(), " in body should be at least ", *s.min_length, " chars long"));
      return;
    }
    if (s.pattern_regex && s.pattern_regex->ok() &&
        !re2::RE2::PartialMatch(re2::StringPiece(str.data(), str.size()), *s.pattern_regex)) {
      Add(kFieldValueInvalid, Field(name), v, Cat(name.String(), " in body should match '", s.pattern, "'"));
    }
  }

  void Format(const Schema& s, const boost::json::value& v, const PathNode& name) {
    std::string_view format = internal::EffectiveFormat(s);
    if (format.empty() || !internal::IsKnownStringFormat(format)) return;
    std::string_view str = v.get_string();
    if (!internal::CheckStringFormat(format, str)) {
      Add(kFieldValueTypeInvalid, Field(name), v, Cat(name.String(), " in body must be of type ", s.format, ": ", GoQuote(str)));
    }
  }

  // kube-openapi's numberValidator as kube 1.32 runs it (no type/format range checks): integers
  // compare natively against the bound truncated to an integer, other numbers as float64.
  void Number(const Schema& s, const boost::json::value& v, const PathNode& name) {
    bool is_int = internal::IsGoInt(v);
    double d = internal::AsDouble(v);
    if (s.multiple_of) {
      std::string n = name.String();
      double f = *s.multiple_of;
      if (is_int) {
        int64_t fi = static_cast<int64_t>(f);
        if (fi <= 0) {
          Add(kFieldValueInvalid, Field(name), fi, Cat("factor MultipleOf declared for ", n, " must be positive: ", fi));
        } else if (v.to_number<int64_t>() % fi != 0) {
          Add(kFieldValueInvalid, Field(name), v, Cat(n, " in body should be a multiple of ", fi));
        }
      } else if (f <= 0) {
        Add(kFieldValueInvalid, Field(name), f, Cat("factor MultipleOf declared for ", n, " must be positive: ", internal::GoFloat(f)));
      } else {
        double mult = f < 1 ? 1 / f * d : d / f;
        if (!IsJsonInteger(mult)) {
          Add(kFieldValueInvalid, Field(name), v, Cat(n, " in body should be a multiple of ", internal::GoFloat(f)));
        }
      }
    }
    if (s.minimum) Bound(v, *s.minimum, s.exclusive_minimum, /*is_max=*/false, name);
    if (s.maximum) Bound(v, *s.maximum, s.exclusive_maximum, /*is_max=*/true, name);
  }

  void Bound(const boost::json::value& v, double bound, bool exclusive, bool is_max, const PathNode& name) {
    bool fail;
    std::string shown;
    if (internal::IsGoInt(v)) {
      int64_t b = static_cast<int64_t>(bound);
      int64_t x = v.to_number<int64_t>();
      fail = is_max ? (exclusive ? x >= b : x > b) : (exclusive ? x <= b : x < b);
      shown = std::to_string(b);
    } else {
      double x = internal::AsDouble(v);
      fail = is_max ? (exclusive ? x >= bound : x > bound) : (exclusive ? x <= bound : x < bound);
      shown = internal::GoFloat(bound);
    }
    if (!fail) return;
    std::string_view what = is_max ? (exclusive ? "less than" : "less than or equal to")
                                   : (exclusive ? "greater than" : "greater than or equal to");
    Add(kFieldValueInvalid, Field(name), v, Cat(name.String(), " in body should be ", what, " ", shown));
  }

  void Array(const Schema& s, const boost::json::array& a, const boost::json::value* old, const PathNode& name,
             int depth) {
    if (s.items) {
      const boost::json::array* old_items = old != nullptr && old->is_array() ? &old->get_array() : nullptr;
      for (size_t i = 0; i < a.size(); ++i) {
        Node(*s.items, a[i], CorrelatedItem(s, a[i], old_items), name.Index(i), depth + 1);
      }
    }
    int64_t size = static_cast<int64_t>(a.size());
    if (s.min_items && size < *s.min_items) {
      Add(kFieldValueInvalid, Field(name), size, Cat(name.String(), " in body should have at least ", *s.min_items, " items"));
    }
    if (s.max_items && size > *s.max_items) {
      Add(kFieldValueTooMany, Field(name), size,
          Cat("must have at most ", *s.max_items, *s.max_items == 1 ? " item" : " items"));
    }
    if (s.unique_items) {
      for (size_t i = 0; i < a.size(); ++i) {
        for (size_t j = 0; j < i; ++j) {
          if (internal::JsonEqual(a[i], a[j])) {
            Add(kFieldValueInvalid, Field(name), "", Cat(name.String(), " in body shouldn't contain duplicates"));
            return;
          }
        }
      }
    }
  }

  void Enum(const Schema& s, const boost::json::value& v, const PathNode& name) {
    if (!s.enum_values || s.enum_values->empty()) return;
    for (const boost::json::value& e : *s.enum_values) {
      if (internal::JsonEqual(e, v)) return;
    }
    std::vector<std::string> values;
    for (const boost::json::value& e : *s.enum_values) {
      values.push_back(e.is_string() ? std::string(e.get_string()) : internal::GoJson(e));
    }
    out_->push_back(internal::NotSupported(Field(name), v, values));
  }

  // Items correlate only in map lists, by their keys (kube's CorrelatedObject.Index).
  static const boost::json::value* CorrelatedItem(const Schema& s, const boost::json::value& item,
                                                  const boost::json::array* old_items) {
    if (old_items == nullptr || s.list_type != "map" || !item.is_object()) return nullptr;
    for (const boost::json::value& candidate : *old_items) {
      if (!candidate.is_object()) continue;
      bool same = true;
      for (const std::string& k : s.list_map_keys) {
        const boost::json::value* a = item.get_object().if_contains(k);
        const boost::json::value* b = candidate.get_object().if_contains(k);
        same = same && (a == nullptr ? b == nullptr : b != nullptr && internal::JsonEqual(*a, *b));
      }
      if (same) return &candidate;
    }
    return nullptr;
  }

  static const boost::json::value* OldField(const boost::json::value* old, std::string_view key) {
    return old != nullptr && old->is_object() ? old->get_object().if_contains(key) : nullptr;
  }

  void Object(const Schema& s, const boost::json::object& o, const boost::json::value* old, const PathNode& name,
              int depth) {
    int64_t size = static_cast<int64_t>(o.size());
    if (s.min_properties && size < *s.min_properties) {
      Add(kFieldValueInvalid, Field(name), size, Cat(name.String(), " in body should have at least ", *s.min_properties, " properties"));
    }
    if (s.max_properties && size > *s.max_properties) {
      Add(kFieldValueTooMany, Field(name), size,
          Cat("must have at most ", *s.max_properties, *s.max_properties == 1 ? " item" : " items"));
    }
    if (s.additional_properties_allowed && !*s.additional_properties_allowed) {
      for (const auto& kv : o) {
        if (s.Property(kv.key()) == nullptr) {
          Add(kFieldValueInvalid, Field(name), boost::json::value(kv.key()),
              Cat(name.String(), ".", std::string_view(kv.key()), " in body is a forbidden property"));
        }
      }
    } else if (s.additional_properties) {
      for (const auto& kv : o) {
        if (s.Property(kv.key()) != nullptr) continue;
        // kube-openapi names map entries "<path>.<key>".
        Node(*s.additional_properties, kv.value(), OldField(old, kv.key()), name.Child(kv.key()), depth + 1);
      }
    }
    for (const auto& [prop, child] : s.properties) {
      if (const boost::json::value* pv = o.if_contains(prop)) {
        // apiVersion and kind of the resource root are not ratcheted.
        bool type_meta = depth == 0 && (prop == "apiVersion" || prop == "kind");
        Node(*child, *pv, type_meta ? nullptr : OldField(old, prop), name.Child(prop), depth + 1);
      }
    }
    for (const std::string& r : s.required) {
      if (!o.contains(r)) Add(kFieldValueRequired, Field(name.Child(r)), nullptr, "");
    }
  }

  std::string_view base_;
  std::vector<FieldError>* out_;
  int matches_ = 0;
};

// ---- embedded resources (objectmeta.Validate) ----

void EmbeddedPass(const Schema& s, const boost::json::value& v, const PathNode& p, int depth,
                  std::vector<FieldError>* out) {
  if (depth > kMaxDepth * 2 || !s.subtree_has_embedded_resource) return;
  if (v.is_object()) {
    const boost::json::object& o = v.get_object();
    if (s.embedded_resource) internal::ValidateEmbeddedResource(o, p, out);
    // Only the parts of the schema that hold an embedded resource are walked.
    for (const auto& [name, prop] : s.properties) {
      if (!prop->subtree_has_embedded_resource) continue;
      if (const boost::json::value* pv = o.if_contains(name)) EmbeddedPass(*prop, *pv, p.Child(name), depth + 1, out);
    }
    if (s.additional_properties && s.additional_properties->subtree_has_embedded_resource) {
      for (const auto& kv : o) {
        if (s.Property(kv.key()) == nullptr) {
          EmbeddedPass(*s.additional_properties, kv.value(), p.Key(kv.key()), depth + 1, out);
        }
      }
    }
  } else if (v.is_array() && s.items) {
    const boost::json::array& a = v.get_array();
    for (size_t i = 0; i < a.size(); ++i) EmbeddedPass(*s.items, a[i], p.Index(i), depth + 1, out);
  }
}

// ---- list types (listtype.ValidateListSetsAndMaps) ----

// Identity of an element for uniqueness, as Go's map keys see it (1 and 1.0 differ).
std::string SetKey(const boost::json::value& v) {
  if (v.is_double()) return "f" + internal::GoJson(v);
  return internal::GoJson(v);
}

// Indices of the first repeated appearance of each non-unique key.
std::vector<size_t> NonUnique(const std::vector<std::string>& keys) {
  std::unordered_map<std::string_view, int> seen;
  std::vector<size_t> out;
  for (size_t i = 0; i < keys.size(); ++i) {
    if (++seen[keys[i]] == 2) out.push_back(i);
  }
  return out;
}

void ListPass(const Schema& s, const boost::json::value& v, const PathNode& p, int depth, std::vector<FieldError>* out);

void ListArray(const Schema& s, const boost::json::array& a, const PathNode& p, int depth,
               std::vector<FieldError>* out) {
  if (s.list_type == "set" && a.size() > 1) {
    std::vector<std::string> keys;
    keys.reserve(a.size());
    for (const boost::json::value& e : a) keys.push_back(SetKey(e));
    for (size_t i : NonUnique(keys)) {
      out->push_back(internal::MakeError(kFieldValueDuplicate, p.Index(i).String(), a[i], ""));
    }
  } else if (s.list_type == "map") {
    bool objects = true;
    for (size_t i = 0; i < a.size() && objects; ++i) {
      if (!a[i].is_null() && !a[i].is_object()) {
        out->push_back(internal::Invalid(p.Index(i).String(), a[i], "must be an object for an array of list-type map"));
        objects = false;
      }
    }
    if (objects && a.size() > 1) {
      std::vector<std::string> keys;
      std::vector<boost::json::object> key_objects;
      for (const boost::json::value& e : a) {
        boost::json::object key;
        if (e.is_object()) {
          for (const std::string& k : s.list_map_keys) {
            if (const boost::json::value* kv = e.get_object().if_contains(k)) key[k] = *kv;
          }
        }
        std::string id;
        for (const std::string& k : s.list_map_keys) {
          const boost::json::value* kv = key.if_contains(k);
          id += kv ? SetKey(*kv) : "\x01";
          id.push_back('\0');
        }
        keys.push_back(std::move(id));
        key_objects.push_back(std::move(key));
      }
      for (size_t i : NonUnique(keys)) {
        out->push_back(internal::MakeError(kFieldValueDuplicate, p.Index(i).String(), key_objects[i], ""));
      }
    }
  }
  if (s.items) {
    for (size_t i = 0; i < a.size(); ++i) ListPass(*s.items, a[i], p.Index(i), depth + 1, out);
  }
}

void ListPass(const Schema& s, const boost::json::value& v, const PathNode& p, int depth, std::vector<FieldError>* out) {
  if (depth > kMaxDepth * 2 || !s.subtree_has_keyed_list) return;
  if (v.is_array()) return ListArray(s, v.get_array(), p, depth, out);
  if (!v.is_object()) return;
  const boost::json::object& o = v.get_object();
  if (s.additional_properties && s.additional_properties->subtree_has_keyed_list) {
    for (const auto& kv : o) ListPass(*s.additional_properties, kv.value(), p.Key(kv.key()), depth + 1, out);
  }
  for (const auto& [name, prop] : s.properties) {
    if (!prop->subtree_has_keyed_list) continue;
    if (const boost::json::value* pv = o.if_contains(name)) ListPass(*prop, *pv, p.Child(name), depth + 1, out);
  }
}

}  // namespace

namespace internal {

std::vector<FieldError> ValidateValue(const Schema& s, const boost::json::value& value, const boost::json::value* old,
                                      const PathNode& field, bool resource_root) {
  std::vector<FieldError> out;
  std::string base = field.String();
  PathNode name;
  OpenApiValidator(base, &out).Node(s, value, old, name, 0);
  PathNode embedded_root{nullptr, PathNode::Kind::kRoot, base, 0};
  if (resource_root && value.is_object()) ValidateEmbeddedResource(value.get_object(), embedded_root, &out);
  if (s.subtree_has_embedded_resource) EmbeddedPass(s, value, embedded_root, 0, &out);
  if (s.subtree_has_keyed_list) {
    // On update, list uniqueness is only enforced if the stored object already met it (kube).
    std::vector<FieldError> old_errors;
    if (old != nullptr) ListPass(s, *old, embedded_root, 0, &old_errors);
    if (old_errors.empty()) ListPass(s, value, embedded_root, 0, &out);
  }
  return out;
}

}  // namespace internal

std::vector<FieldError> Validate(const Schema& schema, const boost::json::value& object, const boost::json::value* old,
                                 std::string_view base_path) {
  PathNode root{nullptr, PathNode::Kind::kRoot, base_path, 0};
  return internal::ValidateValue(schema, object, old, root, /*resource_root=*/false);
}

}  // namespace skiff::api::structural
