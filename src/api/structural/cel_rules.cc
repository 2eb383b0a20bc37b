#include "api/structural/cel_rules.h"

#include <cstdio>
#include <limits>

#include "absl/status/status.h"
#include "api/cel/cel.h"
#include "api/go_format.h"
#include "api/schema_strings.h"

namespace skiff::api::structural::internal {
namespace {

using cel::TypeHint;
using schema_internal::Cat;

// kube's runtime budget for all rules of one object (celconfig.RuntimeCELCostBudget).
constexpr int64_t kRuntimeCostBudget = 10000000;

int64_t SaturatingMul(int64_t a, int64_t b) {
  if (a == 0 || b == 0) return 0;
  if (a > std::numeric_limits<int64_t>::max() / b) return std::numeric_limits<int64_t>::max();
  return a * b;
}

int64_t SaturatingAdd(int64_t a, int64_t b) {
  return a > std::numeric_limits<int64_t>::max() - b ? std::numeric_limits<int64_t>::max() : a + b;
}

void ObserveCost(RuleContext* ctx, const PathNode& path, int64_t cost) {
  ctx->total_cost = SaturatingAdd(ctx->total_cost, cost);
  if (cost < kStaticEstimatedCrdCostLimit / 100) return;
  auto& top = ctx->most_expensive;
  top.emplace_back(path.String(), cost);
  std::stable_sort(top.begin(), top.end(), [](const auto& a, const auto& b) { return a.second > b.second; });
  if (top.size() > 4) top.resize(4);
}

std::shared_ptr<const TypeHint> HintFor(const Schema& s, bool resource_root, RuleContext* ctx, int depth);

std::shared_ptr<const TypeHint> CachedHint(const Schema& s, RuleContext* ctx, int depth) {
  auto it = ctx->hints.find(&s);
  if (it != ctx->hints.end()) return it->second;
  std::shared_ptr<const TypeHint> h = HintFor(s, s.embedded_resource, ctx, depth);
  ctx->hints.emplace(&s, h);
  return h;
}

// The CEL view of a schema node (kube's SchemaDeclType): declared objects, maps, lists, typed
// scalars; a resource root also has apiVersion, kind and metadata.name/generateName.
std::shared_ptr<const TypeHint> HintFor(const Schema& s, bool resource_root, RuleContext* ctx, int depth) {
  auto h = std::make_shared<TypeHint>();
  if (depth > kMaxDepth * 2) return h;
  if (s.int_or_string) {
    h->kind = TypeHint::Kind::kIntOrString;
  } else if (s.type == "array") {
    h->kind = TypeHint::Kind::kList;
    if (s.items) h->element = CachedHint(*s.items, ctx, depth + 1);
    h->max_size = s.max_items.value_or(-1);
  } else if (s.type == "object" || (s.type.empty() && (s.preserve_unknown_fields || s.embedded_resource))) {
    if (s.additional_properties || (s.additional_properties_allowed && *s.additional_properties_allowed)) {
      h->kind = TypeHint::Kind::kMap;
      if (s.additional_properties) h->element = CachedHint(*s.additional_properties, ctx, depth + 1);
    } else if (s.properties.empty() && s.preserve_unknown_fields && !resource_root) {
      h->kind = TypeHint::Kind::kDyn;
    } else {
      h->kind = TypeHint::Kind::kObject;
      h->preserve_unknown_fields = s.preserve_unknown_fields;
      for (const auto& [name, child] : s.properties) h->properties[name] = CachedHint(*child, ctx, depth + 1);
      if (resource_root) {
        auto str = TypeHint::Of(TypeHint::Kind::kString);
        h->properties.emplace("apiVersion", str);
        h->properties.emplace("kind", str);
        auto meta = std::make_shared<TypeHint>();
        meta->kind = TypeHint::Kind::kObject;
        meta->properties["name"] = str;
        meta->properties["generateName"] = str;
        h->properties["metadata"] = meta;
      }
    }
    h->max_size = s.max_properties.value_or(-1);
  } else if (s.type == "string") {
    std::string_view f = s.format;
    h->kind = f == "byte"                       ? TypeHint::Kind::kBytes
              : f == "date-time" || f == "date" ? TypeHint::Kind::kTimestamp
              : f == "duration"                 ? TypeHint::Kind::kDuration
                                                : TypeHint::Kind::kString;
    h->max_size = s.max_length.value_or(-1);
  } else if (s.type == "integer") {
    h->kind = TypeHint::Kind::kInt;
  } else if (s.type == "number") {
    h->kind = TypeHint::Kind::kDouble;
  } else if (s.type == "boolean") {
    h->kind = TypeHint::Kind::kBool;
  }
  return h;
}

// The rule as kube prints it in errors (Go's JSON of the internal ValidationRule struct).
boost::json::value RuleValue(const ValidationRule& r) {
  boost::json::object o;
  o["Rule"] = r.rule;
  o["Message"] = r.message;
  o["MessageExpression"] = r.message_expression;
  o["Reason"] = r.reason.empty() ? boost::json::value(nullptr) : boost::json::value(r.reason);
  o["FieldPath"] = r.field_path;
  o["OptionalOldSelf"] = r.optional_old_self ? boost::json::value(*r.optional_old_self) : boost::json::value(nullptr);
  return o;
}

// kube's ValidFieldPath: a JSON path of `.name` and `['name']` steps into declared properties
// (or map keys under additionalProperties). Returns the field path, or nullopt if invalid.
std::optional<std::string> FieldPathOf(std::string_view path, const Schema& root) {
  const Schema* s = &root;
  std::string out;
  size_t i = 0;
  auto step = [&](std::string name) -> bool {
    if (!s->properties.empty()) {
      s = s->Property(name);
      if (s == nullptr) return false;
      out += out.empty() ? name : "." + name;
      return true;
    }
    if (s->additional_properties) {
      s = s->additional_properties.get();
      out += "[" + name + "]";
      return true;
    }
    return false;
  };
  while (i < path.size()) {
    if (path[i] == '.') {
      size_t end = path.find_first_of(".[", i + 1);
      if (end == path.npos) end = path.size();
      std::string name(path.substr(i + 1, end - i - 1));
      if (name.empty() || !step(std::move(name))) return std::nullopt;
      i = end;
    } else if (path[i] == '[') {
      if (i + 1 >= path.size() || path[i + 1] != '\'') return std::nullopt;
      std::string name;
      size_t j = i + 2;
      for (; j < path.size() && path[j] != '\''; ++j) {
        if (path[j] == '\\' && j + 1 < path.size()) ++j;
        name.push_back(path[j]);
      }
      if (j + 1 >= path.size() || path[j + 1] != ']') return std::nullopt;
      if (!step(std::move(name))) return std::nullopt;
      i = j + 2;
    } else {
      return std::nullopt;
    }
  }
  return out;
}

}  // namespace

std::string CostErrorMessage(std::string_view what, int64_t cost, int64_t limit) {
  double factor = static_cast<double>(cost) / static_cast<double>(limit);
  char buf[64];
  if (factor > 100.0) {
    std::snprintf(buf, sizeof(buf), "more than 100x");
  } else if (factor < 1.5) {
    std::snprintf(buf, sizeof(buf), "%fx", factor);
  } else {
    std::snprintf(buf, sizeof(buf), "%.1fx", factor);
  }
  return Cat(what, " exceeds budget by factor of ", buf,
             " (try simplifying the rule, or adding maxItems, maxProperties, and maxLength where arrays, maps, and "
             "strings are declared)");
}

void CheckTotalCost(const RuleContext& ctx, const PathNode& root, std::vector<FieldError>* errors) {
  if (ctx.total_cost <= kStaticEstimatedCrdCostLimit) return;
  for (const auto& [path, cost] : ctx.most_expensive) {
    errors->push_back(Forbidden(path, "contributed to estimated rule cost total exceeding cost limit for entire "
                                      "OpenAPIv3 schema"));
  }
  errors->push_back(Forbidden(root.String(), CostErrorMessage("x-kubernetes-validations estimated rule cost total for "
                                                              "entire OpenAPIv3 schema",
                                                              ctx.total_cost, kStaticEstimatedCrdCostLimit)));
}

void CompileRules(Schema* s, const PathNode& path, RuleContext* ctx, std::vector<FieldError>* errors) {
  if (s->validations.empty()) return;
  std::shared_ptr<const TypeHint> self = HintFor(*s, ctx->resource_root, ctx, 0);
  std::vector<CompiledRule> compiled;
  bool ok = true;
  for (size_t i = 0; i < s->validations.size(); ++i) {
    const ValidationRule& r = s->validations[i];
    PathNode ip = path.Index(i);
    PathNode rule_path = ip.Child("rule");
    std::vector<cel::Variable> vars = {{"self", self, false},
                                       {"oldSelf", self, r.optional_old_self.value_or(false)}};
    CompiledRule c;
    absl::StatusOr<std::shared_ptr<const cel::Program>> program = cel::Compile(r.rule, vars);
    if (!program.ok()) {
      errors->push_back(Invalid(rule_path.String(), RuleValue(r), std::string(program.status().message())));
      ok = false;
      continue;
    }
    c.program = *program;
    int64_t cost = ctx->cardinality < 0 ? c.program->estimated_cost()
                                        : SaturatingMul(c.program->estimated_cost(), ctx->cardinality);
    if (cost > cel::kStaticEstimatedCostLimit) {
      errors->push_back(
          Forbidden(rule_path.String(), CostErrorMessage("estimated rule cost", cost, cel::kStaticEstimatedCostLimit)));
      ok = false;
    }
    ObserveCost(ctx, rule_path, cost);
    if (!r.message_expression.empty()) {
      PathNode mp = ip.Child("messageExpression");
      absl::StatusOr<std::shared_ptr<const cel::Program>> message = cel::Compile(r.message_expression, vars);
      if (!message.ok()) {
        errors->push_back(Invalid(mp.String(), RuleValue(r), std::string(message.status().message())));
        ok = false;
      } else {
        c.message_expression = *message;
        int64_t mcost = ctx->cardinality < 0 ? c.message_expression->estimated_cost()
                                             : SaturatingMul(c.message_expression->estimated_cost(), ctx->cardinality);
        if (mcost > cel::kStaticEstimatedCostLimit) {
          errors->push_back(Forbidden(
              mp.String(), CostErrorMessage("estimated messageExpression cost", mcost, cel::kStaticEstimatedCostLimit)));
          ok = false;
        }
        ObserveCost(ctx, mp, mcost);
      }
    }
    c.uses_old_self = c.program->References("oldSelf");
    if (c.uses_old_self && ctx->forbid_old_self) {
      errors->push_back(Invalid(rule_path.String(), boost::json::value(r.rule),
                                Cat("oldSelf cannot be used on the uncorrelatable portion of the schema within ",
                                    ctx->uncorrelatable_path)));
      ok = false;
    } else if (!c.uses_old_self && r.optional_old_self) {
      errors->push_back(Invalid(ip.Child("optionalOldSelf").String(), *r.optional_old_self,
                                "may not be set if oldSelf is not used in rule"));
      ok = false;
    }
    if (!r.field_path.empty()) {
      std::optional<std::string> fp = FieldPathOf(r.field_path, *s);
      if (!fp) {
        errors->push_back(Invalid(ip.Child("fieldPath").String(), boost::json::value(r.field_path), "must be a valid path"));
        ok = false;
      } else {
        c.field_path = *fp;
      }
    }
    compiled.push_back(std::move(c));
  }
  if (ok) s->compiled_rules = std::move(compiled);
}

namespace {

// Walks the value and evaluates rules where the schema has them, as kube's cel.Validator.
class RuleEvaluator {
 public:
  explicit RuleEvaluator(std::vector<FieldError>* out) : out_(out) {}

  // `correlated`: the value has an old counterpart (found by key); `ratchet`: errors of rules
  // that do not use oldSelf are dropped because the nearest correlated value did not change.
  void Node(const Schema& s, const boost::json::value& v, const boost::json::value* old, const PathNode& path,
            bool parent_unchanged, bool correlatable, int depth) {
    if (budget_ < 0 || depth > kMaxDepth * 2 || v.is_null()) return;
    bool unchanged = correlatable ? (old != nullptr && JsonEqual(v, *old)) : parent_unchanged;
    if (!s.compiled_rules.empty()) Rules(s, v, old, path, unchanged);
    if (v.is_object()) {
      const boost::json::object& o = v.get_object();
      const boost::json::object* oo = old != nullptr && old->is_object() ? &old->get_object() : nullptr;
      if (s.additional_properties && s.additional_properties->subtree_has_rules) {
        for (const auto& kv : o) {
          const boost::json::value* ov = oo ? oo->if_contains(kv.key()) : nullptr;
          Node(*s.additional_properties, kv.value(), ov, path.Key(kv.key()), unchanged, true, depth + 1);
        }
      }
      for (const auto& [name, prop] : s.properties) {
        if (!prop->subtree_has_rules) continue;
        const boost::json::value* pv = o.if_contains(name);
        if (pv == nullptr) continue;
        const boost::json::value* ov = oo ? oo->if_contains(name) : nullptr;
        Node(*prop, *pv, ov, path.Child(name), unchanged, true, depth + 1);
      }
    } else if (v.is_array() && s.items && s.items->subtree_has_rules) {
      const boost::json::array& a = v.get_array();
      const boost::json::array* oa = old != nullptr && old->is_array() ? &old->get_array() : nullptr;
      bool map_list = s.list_type == "map";
      for (size_t i = 0; i < a.size(); ++i) {
        const boost::json::value* ov = map_list ? OldItem(s, a[i], oa) : nullptr;
        Node(*s.items, a[i], ov, path.Index(i), unchanged, map_list, depth + 1);
      }
    }
  }

 private:
  static const boost::json::value* OldItem(const Schema& s, const boost::json::value& item,
                                           const boost::json::array* old_items) {
    if (old_items == nullptr || !item.is_object()) return nullptr;
    for (const boost::json::value& candidate : *old_items) {
      if (!candidate.is_object()) continue;
      bool same = true;
      for (const std::string& k : s.list_map_keys) {
        const boost::json::value* a = item.get_object().if_contains(k);
        const boost::json::value* b = candidate.get_object().if_contains(k);
        same = same && (a == nullptr ? b == nullptr : b != nullptr && JsonEqual(*a, *b));
      }
      if (same) return &candidate;
    }
    return nullptr;
  }

  void Add(FieldError e, bool ratchet) {
    if (!ratchet) out_->push_back(std::move(e));
  }

  void Rules(const Schema& s, const boost::json::value& v, const boost::json::value* old, const PathNode& path,
             bool unchanged) {
    std::string field = path.String();
    if (field.empty()) field = "<nil>";  // kube validates the root with a nil path
    boost::json::value type(s.type);
    cel::Bindings with_old = {{"self", &v}, {"oldSelf", old}};
    for (size_t i = 0; i < s.compiled_rules.size(); ++i) {
      const CompiledRule& c = s.compiled_rules[i];
      const ValidationRule& r = s.validations[i];
      bool optional_old_self = r.optional_old_self.value_or(false);
      // Transition rules run only when there is an old value, unless oldSelf is optional.
      if (c.uses_old_self && old == nullptr && !optional_old_self) continue;
      if (budget_ <= 0) {
        out_->push_back(Invalid(field, type, "validation failed due to running out of cost budget, no further "
                                             "validation rules will be run"));
        budget_ = -1;
        return;
      }
      std::string rule_text = r.message.empty() ? Trim(r.rule) : Trim(r.message);
      int64_t used = 0;
      absl::StatusOr<bool> result =
          c.program->EvaluateBool(with_old, std::min(budget_, cel::kPerCallCostLimit), &used);
      budget_ -= used;
      if (!result.ok()) {
        std::string msg(result.status().message());
        if (absl::IsResourceExhausted(result.status())) {
          out_->push_back(Invalid(field, type, Cat("'", msg, "': no further validation rules will be run due to call "
                                                   "cost exceeds limit for rule: ", rule_text)));
          budget_ = -1;
          return;
        }
        if (msg.rfind("no such overload", 0) == 0) {
          out_->push_back(Invalid(field, type, Cat("'", msg, "': call arguments did not match a supported operator, "
                                                   "function or macro signature for rule: ", rule_text)));
        } else {
          out_->push_back(Invalid(field, type, Cat(msg, " evaluating rule: ", rule_text)));
        }
        continue;
      }
      if (*result) continue;
      std::string target = field;
      if (!c.field_path.empty()) {
        target = target == "<nil>" ? c.field_path
                 : c.field_path[0] == '[' ? target + c.field_path
                                          : Cat(target, ".", c.field_path);
      }
      bool ratchet = !c.uses_old_self && unchanged;
      std::string detail = r.message.empty() ? Cat("failed rule: ", Trim(r.rule)) : Trim(r.message);
      if (c.message_expression) {
        int64_t mused = 0;
        absl::StatusOr<std::string> m =
            c.message_expression->EvaluateString(with_old, std::min(budget_, cel::kPerCallCostLimit), &mused);
        budget_ -= mused;
        if (m.ok()) {
          std::string trimmed = Trim(*m);
          if (!trimmed.empty() && trimmed.find('\n') == std::string::npos && trimmed.size() <= 5 * 1024) {
            detail = std::move(trimmed);
          }
        } else if (absl::IsResourceExhausted(m.status())) {
          Add(Invalid(target, type, Cat("no further validation rules will be run due to call cost exceeds limit for "
                                        "messageExpression: ", GoQuote(r.message_expression))),
              ratchet);
          budget_ = -1;
          return;
        }
      }
      Add(ReasonError(r.reason, target, type, detail), ratchet);
    }
  }

  static FieldError ReasonError(const std::string& reason, std::string field, boost::json::value type,
                                std::string detail) {
    if (reason == kFieldValueForbidden) return Forbidden(std::move(field), std::move(detail));
    if (reason == kFieldValueRequired) return Required(std::move(field), std::move(detail));
    if (reason == kFieldValueDuplicate) return MakeError(kFieldValueDuplicate, std::move(field), std::move(type), "");
    return Invalid(std::move(field), std::move(type), std::move(detail));
  }

  static std::string Trim(std::string_view x) {
    size_t b = x.find_first_not_of(" \t\r\n\v\f");
    if (b == x.npos) return "";
    return std::string(x.substr(b, x.find_last_not_of(" \t\r\n\v\f") - b + 1));
  }

  std::vector<FieldError>* out_;
  int64_t budget_ = kRuntimeCostBudget;
};

}  // namespace

void EvaluateRules(const Schema& s, const boost::json::value& value, const boost::json::value* old,
                   const PathNode& path, std::vector<FieldError>* errors) {
  if (!s.subtree_has_rules) return;
  RuleEvaluator(errors).Node(s, value, old, path, /*parent_unchanged=*/false, /*correlatable=*/true, 0);
}

}  // namespace skiff::api::structural::internal
