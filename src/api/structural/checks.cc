// Compile(): kube-apiserver's checks of a CRD schema, in its order: structural invariants and
// completeness (pkg/apiserver/schema/validation.go, complete.go; sorted like kube sorts them), else
// the defaults (defaulting/validation.go), then the CRD OpenAPI rules
// (apis/apiextensions/validation/validation.go).
#include <algorithm>
#include <cstring>
#include <set>

#include "api/schema_strings.h"
#include "api/structural/cel_rules.h"
#include "api/structural/internal.h"
#include "api/structural/parse.h"
#include "re2/re2.h"

namespace skiff::api::structural {
namespace {

using internal::Forbidden;
using internal::Invalid;
using internal::NotSupported;
using internal::PathNode;
using internal::Required;
using schema_internal::Cat;

enum class Level { kRoot, kItem, kField };

bool IsSet(const Schema& s, std::string_view key) {
  const boost::json::value* v = s.source.if_contains(key);
  if (v == nullptr || v->is_null()) return false;
  if (v->is_bool()) return v->get_bool();
  if (v->is_string()) return !v->get_string().empty();
  return true;
}

const boost::json::value* Raw(const Schema& s, std::string_view key) {
  const boost::json::value* v = s.source.if_contains(key);
  return v != nullptr && !v->is_null() ? v : nullptr;
}

bool HasChildren(const Schema& s) {
  return !s.properties.empty() || s.items || s.additional_properties || s.additional_properties_allowed ||
         !s.all_of.empty() || !s.any_of.empty() || !s.one_of.empty() || s.not_schema;
}

// {type: <type>} and nothing else.
bool IsBareType(const Schema& s, std::string_view type) {
  return s.type == type && s.source.size() == 1 && !HasChildren(s);
}

bool IsIntOrStringAnyOf(const std::vector<std::shared_ptr<const Schema>>& any_of) {
  return any_of.size() == 2 && IsBareType(*any_of[0], "integer") && IsBareType(*any_of[1], "string");
}

class Checker {
 public:
  Checker(const CompileOptions& options, std::vector<FieldError>* errors) : options_(options), errors_(errors) {}

  void Run(const Schema& root, const PathNode& path) {
    std::vector<FieldError> structural;
    Structural(root, Level::kRoot, path, &structural);
    CompleteValueValidation(root, &root, path, path, &structural);
    std::sort(structural.begin(), structural.end(), [](const FieldError& a, const FieldError& b) {
      return FormatFieldError(a) < FormatFieldError(b);
    });
    if (!structural.empty()) {
      Append(std::move(structural));
    } else {
      Defaults(root, path, /*inside_meta=*/false, /*resource_root=*/true);
    }
    if (root.nullable) errors_->push_back(Forbidden(path.Child("nullable").String(), "nullable cannot be true at the root"));
    if (options_.status_subresource) StatusRoot(root, path);
    OpenApiContext ctx;
    OpenApi(root, path, ctx, /*is_root=*/true);
  }

 private:
  void Append(std::vector<FieldError> more) {
    for (FieldError& e : more) errors_->push_back(std::move(e));
  }

  // ---- structural invariants (validateStructuralInvariants) ----

  void Structural(const Schema& s, Level lvl, const PathNode& p, std::vector<FieldError>* out) {
    if (s.type == "array" && !s.items) out->push_back(Required(p.Child("items").String(), "must be specified"));
    if (s.items) Structural(*s.items, Level::kItem, p.Child("items"), out);
    PathNode props = p.Child("properties");
    for (const auto& [name, child] : s.properties) Structural(*child, Level::kField, props.Key(name), out);
    if (s.additional_properties || s.additional_properties_allowed) {
      if (lvl == Level::kRoot) {
        out->push_back(Forbidden(p.Child("additionalProperties").String(), "must not be used at the root"));
      }
      if (s.additional_properties) Structural(*s.additional_properties, Level::kField, p.Child("additionalProperties"), out);
    }
    if (s.int_or_string && s.preserve_unknown_fields) {
      out->push_back(Invalid(p.Child("x-kubernetes-preserve-unknown-fields").String(), true,
                             "must be false if x-kubernetes-int-or-string is true"));
    }
    if (s.int_or_string && s.embedded_resource) {
      out->push_back(Invalid(p.Child("x-kubernetes-embedded-resource").String(), true,
                             "must be false if x-kubernetes-int-or-string is true"));
    }
    bool skip_any_of = IsIntOrStringAnyOf(s.any_of);
    bool skip_first_all_of_any_of = !s.all_of.empty() && IsIntOrStringAnyOf(s.all_of[0]->any_of);
    ValueValidation(s, skip_any_of, skip_first_all_of_any_of, lvl, p, out);

    bool check_metadata = lvl == Level::kRoot || s.embedded_resource;
    if (s.embedded_resource && s.type != "object") {
      if (s.type.empty()) {
        out->push_back(Required(p.Child("type").String(), "must be object if x-kubernetes-embedded-resource is true"));
      } else {
        out->push_back(Invalid(p.Child("type").String(), boost::json::value(s.type),
                               "must be object if x-kubernetes-embedded-resource is true"));
      }
    } else if (s.type.empty() && !s.int_or_string && !s.preserve_unknown_fields) {
      std::string_view what = lvl == Level::kRoot   ? "must not be empty at the root"
                              : lvl == Level::kItem ? "must not be empty for specified array items"
                                                    : "must not be empty for specified object fields";
      out->push_back(Required(p.Child("type").String(), std::string(what)));
    }
    if (s.embedded_resource && (s.additional_properties || s.additional_properties_allowed)) {
      out->push_back(Forbidden(p.Child("additionalProperties").String(),
                               "must not be used if x-kubernetes-embedded-resource is set"));
    }
    if (lvl == Level::kRoot && !s.type.empty() && s.type != "object") {
      out->push_back(Invalid(p.Child("type").String(), boost::json::value(s.type), "must be object at the root"));
    }
    for (std::string_view meta : {"kind", "apiVersion"}) {
      const Schema* m = s.Property(meta);
      if (m != nullptr && check_metadata && m->type != "string") {
        out->push_back(Invalid(props.Key(meta).Child("type").String(), boost::json::value(m->type), "must be string"));
      }
    }
    if (const Schema* m = s.Property("metadata"); m != nullptr) {
      Metadata(*m, check_metadata, lvl, props.Key("metadata"), out);
    }
    if (s.embedded_resource && !s.preserve_unknown_fields && s.properties.empty()) {
      out->push_back(Required(p.Child("properties").String(),
                              "must not be empty if x-kubernetes-embedded-resource is true without "
                              "x-kubernetes-preserve-unknown-fields"));
    }
  }

  void Metadata(const Schema& m, bool check_metadata, Level lvl, const PathNode& p, std::vector<FieldError>* out) {
    if (check_metadata && m.type != "object") {
      out->push_back(Invalid(p.Child("type").String(), boost::json::value(m.type), "must be object"));
    }
    if (lvl != Level::kRoot) return;
    bool restricted = false;
    for (const auto& [name, child] : m.properties) restricted |= name != "name" && name != "generateName";
    for (const auto& kv : m.source) {
      std::string_view key = kv.key();
      if (key == "type" || key == "default" || kv.value().is_null() || (kv.value().is_bool() && !kv.value().get_bool())) {
        continue;
      }
      restricted = true;
    }
    restricted |= m.items || m.additional_properties || m.additional_properties_allowed || !m.all_of.empty() ||
                  !m.any_of.empty() || !m.one_of.empty() || m.not_schema;
    if (restricted) {
      out->push_back(Forbidden(p.String(),
                               "must not specify anything other than name and generateName, but metadata is "
                               "implicitly specified"));
    }
  }

  void ValueValidation(const Schema& v, bool skip_any_of, bool skip_first_all_of_any_of, Level lvl,
                       const PathNode& p, std::vector<FieldError>* out) {
    if (!skip_any_of) {
      PathNode ap = p.Child("anyOf");
      for (size_t i = 0; i < v.any_of.size(); ++i) Nested(*v.any_of[i], false, false, lvl, ap.Index(i), out);
    }
    PathNode allp = p.Child("allOf");
    for (size_t i = 0; i < v.all_of.size(); ++i) {
      Nested(*v.all_of[i], skip_first_all_of_any_of && i == 0, false, lvl, allp.Index(i), out);
    }
    PathNode op = p.Child("oneOf");
    for (size_t i = 0; i < v.one_of.size(); ++i) Nested(*v.one_of[i], false, false, lvl, op.Index(i), out);
    if (v.not_schema) Nested(*v.not_schema, false, false, lvl, p.Child("not"), out);
    if (v.pattern_regex && !v.pattern_regex->ok()) {
      out->push_back(Invalid(p.Child("pattern").String(), boost::json::value(v.pattern),
                             Cat("must be a valid regular expression, but isn't: ",
                                 internal::RegexpError(*v.pattern_regex))));
    }
  }

  // A schema under allOf/anyOf/oneOf/not (validateNestedValueValidation).
  void Nested(const Schema& v, bool skip_any_of, bool skip_all_of_any_of, Level lvl, const PathNode& p,
              std::vector<FieldError>* out) {
    ValueValidation(v, skip_any_of, skip_all_of_any_of, lvl, p, out);
    if (v.items) Nested(*v.items, false, false, lvl, p.Child("items"), out);
    PathNode props = p.Child("properties");
    for (const auto& [name, child] : v.properties) Nested(*child, false, false, Level::kField, props.Key(name), out);
    constexpr std::string_view kStructural = "to be structural";
    if (!v.type.empty()) out->push_back(Forbidden(p.Child("type").String(), Cat("must be empty ", kStructural)));
    if (v.additional_properties || v.additional_properties_allowed) {
      out->push_back(Forbidden(p.Child("additionalProperties").String(), Cat("must be undefined ", kStructural)));
    }
    if (v.default_value) out->push_back(Forbidden(p.Child("default").String(), Cat("must be undefined ", kStructural)));
    if (IsSet(v, "title")) out->push_back(Forbidden(p.Child("title").String(), Cat("must be empty ", kStructural)));
    if (!v.description.empty()) {
      out->push_back(Forbidden(p.Child("description").String(), Cat("must be empty ", kStructural)));
    }
    if (v.nullable) out->push_back(Forbidden(p.Child("nullable").String(), Cat("must be false ", kStructural)));
    if (v.preserve_unknown_fields) {
      out->push_back(Forbidden(p.Child("x-kubernetes-preserve-unknown-fields").String(), Cat("must be false ", kStructural)));
    }
    if (v.embedded_resource) {
      out->push_back(Forbidden(p.Child("x-kubernetes-embedded-resource").String(), Cat("must be false ", kStructural)));
    }
    if (v.int_or_string) {
      out->push_back(Forbidden(p.Child("x-kubernetes-int-or-string").String(), Cat("must be false ", kStructural)));
    }
    if (!v.list_map_keys.empty()) {
      out->push_back(Forbidden(p.Child("x-kubernetes-list-map-keys").String(), Cat("must be empty ", kStructural)));
    }
    if (Raw(v, "x-kubernetes-list-type")) {
      out->push_back(Forbidden(p.Child("x-kubernetes-list-type").String(), Cat("must be undefined ", kStructural)));
    }
    if (Raw(v, "x-kubernetes-map-type")) {
      out->push_back(Forbidden(p.Child("x-kubernetes-map-type").String(), Cat("must be undefined ", kStructural)));
    }
    if (!v.validations.empty()) {
      out->push_back(Forbidden(p.Child("x-kubernetes-validations").String(), Cat("must be empty ", kStructural)));
    }
    if (v.Property("metadata") != nullptr) {
      out->push_back(Forbidden(props.Key("metadata").String(), "must not be specified in a nested context"));
    }
  }

  // ---- completeness (validateStructuralCompleteness): only the root's junctors, as kube ----

  void CompleteValueValidation(const Schema& v, const Schema* s, const PathNode& sp, const PathNode& vp,
                               std::vector<FieldError>* out) {
    if (v.not_schema) CompleteNested(*v.not_schema, s, sp, vp.Child("not"), out);
    PathNode allp = vp.Child("allOf"), anyp = vp.Child("anyOf"), onep = vp.Child("oneOf");
    for (size_t i = 0; i < v.all_of.size(); ++i) CompleteNested(*v.all_of[i], s, sp, allp.Index(i), out);
    for (size_t i = 0; i < v.any_of.size(); ++i) CompleteNested(*v.any_of[i], s, sp, anyp.Index(i), out);
    for (size_t i = 0; i < v.one_of.size(); ++i) CompleteNested(*v.one_of[i], s, sp, onep.Index(i), out);
  }

  void CompleteNested(const Schema& v, const Schema* s, const PathNode& sp, const PathNode& vp,
                      std::vector<FieldError>* out) {
    if (s == nullptr) {
      out->push_back(Required(sp.String(), Cat("because it is defined in ", vp.String())));
      return;
    }
    CompleteValueValidation(v, s, sp, vp, out);
    if (v.items) CompleteNested(*v.items, s->items.get(), sp.Child("items"), vp.Child("items"), out);
    PathNode sprops = sp.Child("properties"), vprops = vp.Child("properties");
    for (const auto& [name, child] : v.properties) {
      const Schema* sf = s->Property(name);
      if (sf == nullptr) {
        out->push_back(Required(sprops.Key(name).String(), Cat("because it is defined in ", vprops.Key(name).String())));
      } else {
        CompleteNested(*child, sf, sprops.Key(name), vprops.Key(name), out);
      }
    }
  }

  // ---- defaults (defaulting.ValidateDefaults): they must validate and be pruned ----

  void Defaults(const Schema& s, const PathNode& p, bool inside_meta, bool resource_root) {
    bool embedded = s.embedded_resource || resource_root;
    if (s.embedded_resource) inside_meta = false;
    if (s.default_value) {
      PathNode dp = p.Child("default");
      const boost::json::value& d = *s.default_value;
      if (!inside_meta) {
        boost::json::value pruned = d;
        internal::PruneValue(&s, &pruned, s.embedded_resource, nullptr);
        if (!internal::JsonEqual(pruned, d)) errors_->push_back(Invalid(dp.String(), d, "must not have unknown fields"));
      }
      Append(internal::ValidateValue(s, d, nullptr, dp, s.embedded_resource));
    }
    if (s.items) Defaults(*s.items, p.Child("items"), inside_meta, false);
    PathNode props = p.Child("properties");
    for (const auto& [name, child] : s.properties) {
      bool meta = inside_meta || (embedded && (name == "metadata" || name == "apiVersion" || name == "kind"));
      Defaults(*child, props.Key(name), meta, false);
    }
  }

  // ---- status subresource root restrictions ----

  void StatusRoot(const Schema& s, const PathNode& p) {
    static const std::set<std::string, std::less<>> kAllowed = {
        "description", "type",     "format",    "title",        "maximum",     "exclusiveMaximum",
        "minimum",     "exclusiveMinimum",      "maxLength",    "minLength",   "pattern",
        "maxItems",    "minItems", "uniqueItems", "multipleOf", "required",    "items",
        "properties",  "externalDocs",          "example",      "x-kubernetes-preserve-unknown-fields",
        "x-kubernetes-validations"};
    if (!s.type.empty() && s.type != "object") {
      errors_->push_back(Invalid(p.Child("type").String(), boost::json::value(s.type),
                                 "only \"object\" is allowed as the type at the root of the schema if the status "
                                 "subresource is enabled"));
      return;
    }
    bool bad = s.additional_properties || s.additional_properties_allowed || !s.all_of.empty() ||
               !s.any_of.empty() || !s.one_of.empty() || s.not_schema;
    for (const auto& kv : s.source) {
      const boost::json::value& v = kv.value();
      bool zero = v.is_null() || (v.is_bool() && !v.get_bool()) || (v.is_string() && v.get_string().empty());
      if (!zero && !kAllowed.count(kv.key())) bad = true;
    }
    if (bad) {
      errors_->push_back(Invalid(
          p.String(), boost::json::value(s.source),
          "only [Description Type Format Title Maximum ExclusiveMaximum Minimum ExclusiveMinimum MaxLength MinLength "
          "Pattern MaxItems MinItems UniqueItems MultipleOf Required Items Properties ExternalDocs Example "
          "XPreserveUnknownFields XValidations] fields are allowed at the root of the schema if the status "
          "subresource is enabled"));
    }
  }

  // ---- CRD OpenAPI rules (ValidateCustomResourceDefinitionOpenAPISchema) ----

  struct OpenApiContext {
    bool allow_defaults = true;
    std::string disallow_defaults_reason;
    bool inside_resource_meta = false;
    const PathNode* uncorrelatable = nullptr;  // where oldSelf stops being usable
  };

  void OpenApi(const Schema& s, const PathNode& p, const OpenApiContext& ctx, bool is_root) {
    StandardChecks(s, p, ctx);
    if (s.unique_items) {
      errors_->push_back(Forbidden(p.Child("uniqueItems").String(),
                                   "uniqueItems cannot be set to true since the runtime complexity becomes quadratic"));
    }
    if (s.additional_properties || s.additional_properties_allowed) {
      if (!s.properties.empty() && (s.additional_properties || !*s.additional_properties_allowed)) {
        errors_->push_back(Forbidden(p.Child("additionalProperties").String(),
                                     "additionalProperties and properties are mutual exclusive"));
      }
      if (s.additional_properties) {
        OpenApiContext sub = ctx;
        if (ctx.inside_resource_meta) ForbidDefaults(&sub, "inside additionalProperties applying to object metadata");
        OpenApi(*s.additional_properties, p.Child("additionalProperties"), sub, false);
      }
    }
    PathNode props = p.Child("properties");
    for (const auto& [name, child] : s.properties) {
      OpenApiContext sub = ctx;
      if (s.map_type == "atomic" && sub.uncorrelatable == nullptr) sub.uncorrelatable = &p;
      if ((is_root || s.embedded_resource) && (name == "metadata" || name == "kind" || name == "apiVersion")) {
        sub.inside_resource_meta = true;
        if (is_root) ForbidDefaults(&sub, Cat("in top-level ", name));
      }
      OpenApi(*child, props.Key(name), sub, false);
    }
    if (s.not_schema) OpenApi(*s.not_schema, p.Child("not"), ctx, false);
    PathNode allp = p.Child("allOf"), onep = p.Child("oneOf"), anyp = p.Child("anyOf");
    for (size_t i = 0; i < s.all_of.size(); ++i) OpenApi(*s.all_of[i], allp.Index(i), ctx, false);
    for (size_t i = 0; i < s.one_of.size(); ++i) OpenApi(*s.one_of[i], onep.Index(i), ctx, false);
    for (size_t i = 0; i < s.any_of.size(); ++i) OpenApi(*s.any_of[i], anyp.Index(i), ctx, false);
    if (s.items) {
      OpenApiContext sub = ctx;
      if (s.list_type != "map" && sub.uncorrelatable == nullptr) sub.uncorrelatable = &p;
      OpenApi(*s.items, p.Child("items"), sub, false);
    }
    if (const boost::json::value* pu = Raw(s, "x-kubernetes-preserve-unknown-fields"); pu && pu->is_bool() && !pu->get_bool()) {
      errors_->push_back(Invalid(p.Child("x-kubernetes-preserve-unknown-fields").String(), false, "must be true or undefined"));
    }
    ListAndMapTypes(s, p);
    RuleChecks(s, p, ctx);
  }

  static void ForbidDefaults(OpenApiContext* ctx, std::string reason) {
    ctx->allow_defaults = false;
    ctx->disallow_defaults_reason = std::move(reason);
  }

  void StandardChecks(const Schema& s, const PathNode& p, const OpenApiContext& ctx) {
    static const std::vector<std::string> kTypes = {"array", "boolean", "integer", "number", "object", "string"};
    if (!s.type.empty() && std::find(kTypes.begin(), kTypes.end(), s.type) == kTypes.end()) {
      errors_->push_back(NotSupported(p.Child("type").String(), boost::json::value(s.type), kTypes));
    }
    if (s.default_value && !ctx.allow_defaults) {
      std::string detail = "must not be set";
      if (!ctx.disallow_defaults_reason.empty()) detail += " " + ctx.disallow_defaults_reason;
      errors_->push_back(Forbidden(p.Child("default").String(), detail));
    }
    if (IsSet(s, "id")) errors_->push_back(Forbidden(p.Child("id").String(), "id is not supported"));
    if (Raw(s, "additionalItems")) {
      errors_->push_back(Forbidden(p.Child("additionalItems").String(), "additionalItems is not supported"));
    }
    if (const boost::json::value* pp = Raw(s, "patternProperties"); pp && (!pp->is_object() || !pp->get_object().empty())) {
      errors_->push_back(Forbidden(p.Child("patternProperties").String(), "patternProperties is not supported"));
    }
    if (const boost::json::value* d = Raw(s, "definitions"); d && (!d->is_object() || !d->get_object().empty())) {
      errors_->push_back(Forbidden(p.Child("definitions").String(), "definitions is not supported"));
    }
    if (Raw(s, "dependencies")) {
      errors_->push_back(Forbidden(p.Child("dependencies").String(), "dependencies is not supported"));
    }
    if (Raw(s, "$ref")) errors_->push_back(Forbidden(p.Child("$ref").String(), "$ref is not supported"));
    if (s.type == "null") {
      errors_->push_back(Forbidden(p.Child("type").String(), "type cannot be set to null, use nullable as an alternative"));
    }
    if (const boost::json::value* items = Raw(s, "items"); items && items->is_array() && !items->get_array().empty()) {
      errors_->push_back(Forbidden(p.Child("items").String(), "items must be a schema object and not an array"));
    }
    if (ctx.inside_resource_meta && s.embedded_resource) {
      errors_->push_back(Forbidden(p.Child("x-kubernetes-embedded-resource").String(),
                                   "must not be used inside of resource meta"));
    }
  }

  void ListAndMapTypes(const Schema& s, const PathNode& p) {
    bool has_map_type = Raw(s, "x-kubernetes-map-type") != nullptr;
    bool has_list_type = Raw(s, "x-kubernetes-list-type") != nullptr;
    if (has_map_type && s.type != "object") {
      if (s.type.empty()) {
        errors_->push_back(Required(p.Child("type").String(), "must be object if x-kubernetes-map-type is specified"));
      } else {
        errors_->push_back(Invalid(p.Child("type").String(), boost::json::value(s.type),
                                   "must be object if x-kubernetes-map-type is specified"));
      }
    }
    if (has_map_type && s.map_type != "atomic" && s.map_type != "granular") {
      errors_->push_back(NotSupported(p.Child("x-kubernetes-map-type").String(), boost::json::value(s.map_type),
                                      {"atomic", "granular"}));
    }
    if (has_list_type && s.type != "array") {
      if (s.type.empty()) {
        errors_->push_back(Required(p.Child("type").String(), "must be array if x-kubernetes-list-type is specified"));
      } else {
        errors_->push_back(Invalid(p.Child("type").String(), boost::json::value(s.type),
                                   "must be array if x-kubernetes-list-type is specified"));
      }
    } else if (s.list_type == "set" && s.items) {
      const Schema& is = *s.items;
      if (is.type == "array" && !is.list_type.empty() && is.list_type != "atomic") {
        errors_->push_back(Invalid(p.Child("items").Child("x-kubernetes-list-type").String(),
                                   boost::json::value(is.list_type),
                                   "must be atomic as item of a list with x-kubernetes-list-type=set"));
      } else if (is.type == "object" && is.map_type != "atomic") {
        boost::json::value bad = nullptr;
        if (!is.list_type.empty()) bad = boost::json::value(is.list_type);
        errors_->push_back(Invalid(p.Child("items").Child("x-kubernetes-map-type").String(), bad,
                                   "must be atomic as item of a list with x-kubernetes-list-type=set"));
      }
    }
    if (has_list_type && s.list_type != "atomic" && s.list_type != "set" && s.list_type != "map") {
      errors_->push_back(NotSupported(p.Child("x-kubernetes-list-type").String(), boost::json::value(s.list_type),
                                      {"atomic", "set", "map"}));
    }
    if (!s.list_map_keys.empty()) {
      if (!has_list_type) {
        errors_->push_back(Required(p.Child("x-kubernetes-list-type").String(),
                                    "must be map if x-kubernetes-list-map-keys is non-empty"));
      } else if (s.list_type != "map") {
        errors_->push_back(Invalid(p.Child("x-kubernetes-list-type").String(), boost::json::value(s.list_type),
                                   "must be map if x-kubernetes-list-map-keys is non-empty"));
      }
    }
    boost::json::array keys_json;
    for (const std::string& k : s.list_map_keys) keys_json.emplace_back(k);
    if (s.list_type == "map") {
      if (s.list_map_keys.empty()) {
        errors_->push_back(Required(p.Child("x-kubernetes-list-map-keys").String(),
                                    "must not be empty if x-kubernetes-list-type is map"));
      }
      if (!s.items) {
        errors_->push_back(Required(p.Child("items").String(), "must have a schema if x-kubernetes-list-type is map"));
      } else if (s.items->type != "object") {
        errors_->push_back(Invalid(p.Child("items").Child("type").String(), boost::json::value(s.items->type),
                                   "must be object if parent array's x-kubernetes-list-type is map"));
      } else {
        std::set<std::string, std::less<>> seen;
        for (const std::string& k : s.list_map_keys) {
          if (const Schema* ks = s.items->Property(k); ks != nullptr) {
            if (ks->type == "array" || ks->type == "object") {
              errors_->push_back(Invalid(
                  p.Child("items").Child("properties").Key(k).Child("type").String(), boost::json::value(s.items->type),
                  "must be a scalar type if parent array's x-kubernetes-list-type is map"));
            }
          } else {
            errors_->push_back(Invalid(p.Child("x-kubernetes-list-map-keys").String(), keys_json,
                                       "entries must all be names of item properties"));
          }
          if (!seen.insert(k).second) {
            errors_->push_back(Invalid(p.Child("x-kubernetes-list-map-keys").String(), keys_json,
                                       "must not contain duplicate entries"));
          }
        }
      }
    }
    // validateMapListKeysMapSet
    if (s.items && (s.list_type == "set" || s.list_type == "map")) {
      if (s.items->nullable) {
        errors_->push_back(Forbidden(p.Child("items").Child("nullable").String(),
                                     Cat("cannot be nullable when x-kubernetes-list-type is ", s.list_type)));
      }
      if (s.list_type == "map") {
        const Schema& is = *s.items;
        for (const std::string& k : s.list_map_keys) {
          const Schema* ks = is.Property(k);
          if (ks == nullptr) continue;
          bool required = std::find(is.required.begin(), is.required.end(), k) != is.required.end();
          PathNode items = p.Child("items");
          PathNode props = items.Child("properties");
          PathNode kp = props.Key(k);
          if (!required && !ks->default_value) {
            errors_->push_back(Required(kp.Child("default").String(),
                                        "this property is in x-kubernetes-list-map-keys, so it must have a default or "
                                        "be a required property"));
          }
          if (ks->nullable) {
            errors_->push_back(Forbidden(kp.Child("nullable").String(),
                                         "this property is in x-kubernetes-list-map-keys, so it cannot be nullable"));
          }
        }
      }
    }
  }

  void RuleChecks(const Schema& s, const PathNode& p, const OpenApiContext& ctx) {
    if (s.validations.empty()) return;
    PathNode vp = p.Child("x-kubernetes-validations");
    size_t before = errors_->size();
    for (size_t i = 0; i < s.validations.size(); ++i) {
      const ValidationRule& r = s.validations[i];
      PathNode ip = vp.Index(i);
      auto trim = [](std::string_view x) {
        size_t b = x.find_first_not_of(" \t\r\n\v\f");
        if (b == x.npos) return std::string_view();
        return x.substr(b, x.find_last_not_of(" \t\r\n\v\f") - b + 1);
      };
      auto has_newlines = [](std::string_view x) { return x.find_first_of("\r\n") != x.npos; };
      std::string_view rule = trim(r.rule), msg = trim(r.message);
      if (rule.empty()) {
        errors_->push_back(Required(ip.Child("rule").String(), "rule is not specified"));
      } else if (!r.message.empty() && msg.empty()) {
        errors_->push_back(Invalid(ip.Child("message").String(), boost::json::value(r.message), "must be non-empty if specified"));
      } else if (has_newlines(msg)) {
        errors_->push_back(Invalid(ip.Child("message").String(), boost::json::value(r.message), "must not contain line breaks"));
      } else if (has_newlines(rule) && msg.empty()) {
        errors_->push_back(Required(ip.Child("message").String(), "message must be specified if rule contains line breaks"));
      }
      if (!r.message_expression.empty() && trim(r.message_expression).empty()) {
        errors_->push_back(Required(ip.Child("messageExpression").String(), "messageExpression must be non-empty if specified"));
      }
      static const std::vector<std::string> kReasons = {"FieldValueDuplicate", "FieldValueForbidden",
                                                        "FieldValueInvalid", "FieldValueRequired"};
      if (Raw(s, "x-kubernetes-validations") && !r.reason.empty() &&
          std::find(kReasons.begin(), kReasons.end(), r.reason) == kReasons.end()) {
        errors_->push_back(NotSupported(ip.Child("reason").String(), boost::json::value(r.reason), kReasons));
      }
      if (!r.field_path.empty() && trim(r.field_path).empty()) {
        errors_->push_back(Invalid(ip.Child("fieldPath").String(), boost::json::value(r.field_path), "must be non-empty if specified"));
      }
      if (has_newlines(r.field_path)) {
        errors_->push_back(Invalid(ip.Child("fieldPath").String(), boost::json::value(r.field_path), "must not contain line breaks"));
      }
    }
    if (errors_->size() != before) return;
    internal::RuleContext rc;
    rc.uncorrelatable_path = ctx.uncorrelatable ? ctx.uncorrelatable->String() : "";
    rc.forbid_old_self = ctx.uncorrelatable != nullptr;
    internal::CheckRules(s, vp, rc, errors_);
  }

  const CompileOptions& options_;
  std::vector<FieldError>* errors_;
};

// Fills the subtree_has_* flags bottom-up. Children are shared_ptr<const Schema> that only this
// compilation holds, so they are still ours to finish.
void MarkSubtrees(Schema* s) {
  auto visit = [s](const std::shared_ptr<const Schema>& child) {
    if (!child) return;
    auto* c = const_cast<Schema*>(child.get());
    MarkSubtrees(c);
    s->subtree_has_embedded_resource |= c->subtree_has_embedded_resource;
    s->subtree_has_keyed_list |= c->subtree_has_keyed_list;
  };
  s->subtree_has_embedded_resource = s->embedded_resource;
  s->subtree_has_keyed_list = s->list_type == "set" || s->list_type == "map";
  for (const auto& [name, child] : s->properties) visit(child);
  visit(s->items);
  visit(s->additional_properties);
}

}  // namespace

const Schema* Schema::Property(std::string_view name) const {
  // Schemas have few properties: a scan that rejects on length and first byte costs less than
  // hashing the key; large objects use a binary search over the sorted names.
  if (properties.size() <= 32) {
    for (const auto& [n, child] : properties) {
      if (n.size() == name.size() && (name.empty() || n[0] == name[0]) &&
          std::memcmp(n.data(), name.data(), name.size()) == 0) {
        return child.get();
      }
    }
    return nullptr;
  }
  auto it = std::lower_bound(properties.begin(), properties.end(), name,
                             [](const auto& p, std::string_view n) { return std::string_view(p.first) < n; });
  return it != properties.end() && it->first == name ? it->second.get() : nullptr;
}

const Schema* Schema::Field(std::string_view key) const {
  if (const Schema* p = Property(key)) return p;
  return additional_properties.get();
}

CompileResult Compile(const boost::json::value& open_api_v3_schema, std::string_view field_path_prefix,
                      const CompileOptions& options) {
  std::vector<FieldError> errors;
  PathNode root{nullptr, PathNode::Kind::kRoot, field_path_prefix, 0};
  std::shared_ptr<Schema> schema = internal::ParseSchema(open_api_v3_schema, root, 0, &errors);
  if (!errors.empty()) return errors;
  Checker(options, &errors).Run(*schema, root);
  if (!errors.empty()) return errors;
  MarkSubtrees(schema.get());
  return std::shared_ptr<const Schema>(std::move(schema));
}

}  // namespace skiff::api::structural
