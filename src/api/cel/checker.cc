#include "api/cel/checker.h"

#include <algorithm>
#include <limits>
#include <optional>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "api/cel/functions.h"
#include "api/cel/interpreter.h"
#include "base/strings.h"
#include "re2/re2.h"

namespace skiff::api::cel {
namespace {

// Kubernetes sizes unbounded lists, maps and strings from the largest request it accepts.
constexpr double kMaxRequestBytes = 3 * 1024 * 1024;

using K = StaticKind;

// What the checker knows of an expression: its static kind, its schema shape (for field names,
// element kinds and size bounds) and its worst-case cost.
struct Estimate {
  double cost = 0;
  K kind = K::kDyn;
  const TypeHint* hint = nullptr;
  double size = -1;  // known largest size (literals); -1: from the hint
};

K KindOfHint(const TypeHint* hint) {
  if (hint == nullptr) return K::kDyn;
  switch (hint->kind) {
    case TypeHint::Kind::kBool: return K::kBool;
    case TypeHint::Kind::kInt: return K::kInt;
    case TypeHint::Kind::kDouble: return K::kDouble;
    case TypeHint::Kind::kString: return K::kString;
    case TypeHint::Kind::kBytes: return K::kBytes;
    case TypeHint::Kind::kTimestamp: return K::kTimestamp;
    case TypeHint::Kind::kDuration: return K::kDuration;
    case TypeHint::Kind::kList: return K::kList;
    case TypeHint::Kind::kMap: return K::kMap;
    case TypeHint::Kind::kObject: return K::kObject;
    default: return K::kDyn;
  }
}

K KindOfValue(const Value& v) {
  switch (v.kind()) {
    case Value::Kind::kNull: return K::kNull;
    case Value::Kind::kBool: return K::kBool;
    case Value::Kind::kInt: return K::kInt;
    case Value::Kind::kUint: return K::kUint;
    case Value::Kind::kDouble: return K::kDouble;
    case Value::Kind::kString: return K::kString;
    case Value::Kind::kBytes: return K::kBytes;
    default: return K::kDyn;
  }
}

std::string Name(K k) { return std::string(KindName(k)); }

bool IsNumeric(K k) { return k == K::kInt || k == K::kUint || k == K::kDouble; }
bool IsMapLike(K k) { return k == K::kMap || k == K::kObject; }

// The static result kind of library functions (dyn when it depends on the arguments), and the
// receiver kinds their member form accepts (empty: any).
struct Signature {
  K result;
  std::vector<K> receivers;
};

const Signature* FindSignature(std::string_view name) {
  static const auto* table = new absl::flat_hash_map<std::string, Signature>{
      {"size", {K::kInt, {K::kString, K::kBytes, K::kList, K::kMap, K::kObject}}},
      {"contains", {K::kBool, {K::kString}}},
      {"startsWith", {K::kBool, {K::kString}}},
      {"endsWith", {K::kBool, {K::kString}}},
      {"matches", {K::kBool, {K::kString}}},
      {"find", {K::kString, {K::kString}}},
      {"findAll", {K::kList, {K::kString}}},
      {"int", {K::kInt, {}}},
      {"uint", {K::kUint, {}}},
      {"double", {K::kDouble, {}}},
      {"string", {K::kString, {}}},
      {"bytes", {K::kBytes, {}}},
      {"bool", {K::kBool, {}}},
      {"type", {K::kType, {}}},
      {"timestamp", {K::kTimestamp, {}}},
      {"duration", {K::kDuration, {}}},
      {"getFullYear", {K::kInt, {K::kTimestamp}}},
      {"getMonth", {K::kInt, {K::kTimestamp}}},
      {"getDayOfYear", {K::kInt, {K::kTimestamp}}},
      {"getDayOfMonth", {K::kInt, {K::kTimestamp}}},
      {"getDate", {K::kInt, {K::kTimestamp}}},
      {"getDayOfWeek", {K::kInt, {K::kTimestamp}}},
      {"getHours", {K::kInt, {K::kTimestamp, K::kDuration}}},
      {"getMinutes", {K::kInt, {K::kTimestamp, K::kDuration}}},
      {"getSeconds", {K::kInt, {K::kTimestamp, K::kDuration}}},
      {"getMilliseconds", {K::kInt, {K::kTimestamp, K::kDuration}}},
      {"charAt", {K::kString, {K::kString}}},
      {"indexOf", {K::kInt, {K::kString, K::kList}}},
      {"lastIndexOf", {K::kInt, {K::kString, K::kList}}},
      {"lowerAscii", {K::kString, {K::kString}}},
      {"upperAscii", {K::kString, {K::kString}}},
      {"replace", {K::kString, {K::kString}}},
      {"split", {K::kList, {K::kString}}},
      {"substring", {K::kString, {K::kString}}},
      {"trim", {K::kString, {K::kString}}},
      {"reverse", {K::kString, {K::kString}}},
      {"join", {K::kString, {K::kList}}},
      {"strings.quote", {K::kString, {}}},
      {"isSorted", {K::kBool, {K::kList}}},
      {"sum", {K::kDyn, {K::kList}}},
      {"min", {K::kDyn, {K::kList}}},
      {"max", {K::kDyn, {K::kList}}},
      {"sets.contains", {K::kBool, {}}},
      {"sets.equivalent", {K::kBool, {}}},
      {"sets.intersects", {K::kBool, {}}},
      {"quantity", {K::kQuantity, {}}},
      {"isQuantity", {K::kBool, {}}},
      {"sign", {K::kInt, {K::kQuantity}}},
      {"isInteger", {K::kBool, {K::kQuantity}}},
      {"asInteger", {K::kInt, {K::kQuantity}}},
      {"asApproximateFloat", {K::kDouble, {K::kQuantity}}},
      {"add", {K::kQuantity, {K::kQuantity}}},
      {"sub", {K::kQuantity, {K::kQuantity}}},
      {"compareTo", {K::kInt, {K::kQuantity}}},
      {"isGreaterThan", {K::kBool, {K::kQuantity}}},
      {"isLessThan", {K::kBool, {K::kQuantity}}},
      {"optional.of", {K::kOptional, {}}},
      {"optional.none", {K::kOptional, {}}},
      {"optional.ofNonZeroValue", {K::kOptional, {}}},
      {"hasValue", {K::kBool, {K::kOptional}}},
      {"or", {K::kOptional, {K::kOptional}}},
      {"orValue", {K::kDyn, {K::kOptional}}},
      {"value", {K::kDyn, {K::kOptional}}},
  };
  auto it = table->find(base::Av(name));
  return it == table->end() ? nullptr : &it->second;
}

// The result kind of an operator on known operand kinds, or nullopt when no overload applies.
std::optional<K> OperatorResult(std::string_view op, K a, K b) {
  if (op == "_==_" || op == "_!=_") {
    if (a == K::kDyn || b == K::kDyn || a == b || (IsNumeric(a) && IsNumeric(b))) return K::kBool;
    if (IsMapLike(a) && IsMapLike(b)) return K::kBool;
    return std::nullopt;
  }
  if (op == "_<_" || op == "_<=_" || op == "_>_" || op == "_>=_") {
    if (a == K::kDyn || b == K::kDyn || (IsNumeric(a) && IsNumeric(b))) return K::kBool;
    if (a == b && (a == K::kString || a == K::kBytes || a == K::kBool || a == K::kTimestamp || a == K::kDuration)) {
      return K::kBool;
    }
    return std::nullopt;
  }
  if (op == "@in") {
    if (b == K::kDyn || b == K::kList || IsMapLike(b)) return K::kBool;
    return std::nullopt;
  }
  if (a == K::kDyn || b == K::kDyn) {
    K known = a == K::kDyn ? b : a;
    if (known == K::kDyn) return K::kDyn;
    // Operators that keep their operand kind when the other side is dyn.
    if (known == K::kBool || known == K::kNull || known == K::kObject || known == K::kMap || known == K::kType ||
        known == K::kOptional || known == K::kQuantity) {
      return std::nullopt;
    }
    return K::kDyn;
  }
  const bool same = a == b;
  if (op == "_+_") {
    if (same && (IsNumeric(a) || a == K::kString || a == K::kBytes || a == K::kList || a == K::kDuration)) return a;
    if ((a == K::kTimestamp && b == K::kDuration) || (a == K::kDuration && b == K::kTimestamp)) return K::kTimestamp;
    return std::nullopt;
  }
  if (op == "_-_") {
    if (same && (IsNumeric(a) || a == K::kDuration)) return a;
    if (a == K::kTimestamp && b == K::kTimestamp) return K::kDuration;
    if (a == K::kTimestamp && b == K::kDuration) return K::kTimestamp;
    return std::nullopt;
  }
  if (op == "_*_" || op == "_/_") return same && IsNumeric(a) ? std::optional<K>(a) : std::nullopt;
  if (op == "_%_") return same && (a == K::kInt || a == K::kUint) ? std::optional<K>(a) : std::nullopt;
  return K::kDyn;
}

class Checker {
 public:
  explicit Checker(const std::vector<Variable>& variables) : variables_(variables) {}

  std::variant<CheckResult, Issue> Run(Expr& root) {
    Estimate est = Visit(root);
    if (issue_) return *issue_;
    CheckResult result;
    result.referenced = std::move(referenced_);
    double capped = std::min(est.cost, static_cast<double>(std::numeric_limits<int64_t>::max() / 2));
    result.estimated_cost = static_cast<int64_t>(capped);
    result.result_kind = est.kind;
    return result;
  }

 private:
  struct Local {
    std::string name;
    K kind;
    const TypeHint* hint;
  };

  void Fail(int position, std::string message) {
    if (!issue_) issue_ = Issue{position, std::move(message)};
  }

  // Largest element count of a list/map (or length of a string) of this shape.
  static double MaxSize(const TypeHint* hint) {
    if (hint != nullptr && hint->max_size >= 0) return static_cast<double>(hint->max_size);
    if (hint == nullptr) return kMaxRequestBytes / 2;
    switch (hint->kind) {
      case TypeHint::Kind::kString:
      case TypeHint::Kind::kBytes: return kMaxRequestBytes;
      case TypeHint::Kind::kList:
      case TypeHint::Kind::kMap: {
        // Each element takes at least its minimal JSON text and a separator.
        const TypeHint* e = hint->element.get();
        bool scalar = e != nullptr && (e->kind == TypeHint::Kind::kInt || e->kind == TypeHint::Kind::kDouble ||
                                       e->kind == TypeHint::Kind::kBool);
        double per_item = hint->kind == TypeHint::Kind::kMap ? 5 : (scalar ? 2 : 3);
        return kMaxRequestBytes / per_item;
      }
      default: return kMaxRequestBytes / 2;
    }
  }

  // Largest size of the value: a literal's own, else the hint's bound.
  static double SizeOf(const Estimate& est) { return est.size >= 0 ? est.size : MaxSize(est.hint); }

  // Cost of walking the value once: 0.1 per string byte, 1 per list or map element.
  static double SizeCost(const Estimate& est) {
    switch (est.kind) {
      case K::kString:
      case K::kBytes: return SizeOf(est) / 10;
      case K::kList:
      case K::kMap: return SizeOf(est);
      default: return 0;
    }
  }

  static Estimate FromHint(double cost, const TypeHint* hint) { return {cost, KindOfHint(hint), hint}; }

  // The field of a map-like value: its hint, or an issue for a field the schema does not declare.
  Estimate SelectField(const Expr& e, const Estimate& target, double cost) {
    if (target.kind != K::kDyn && !IsMapLike(target.kind) && target.kind != K::kOptional) {
      Fail(e.position, absl::StrCat("type '", Name(target.kind), "' does not support field selection"));
      return {};
    }
    const TypeHint* hint = target.hint;
    if (hint == nullptr || target.kind == K::kOptional) return {cost, K::kDyn, nullptr};
    if (hint->kind == TypeHint::Kind::kMap) return FromHint(cost, hint->element.get());
    if (hint->kind != TypeHint::Kind::kObject) return {cost, K::kDyn, nullptr};
    for (const auto& [name, child] : hint->properties) {
      if (EscapePropertyName(name) == e.name) return FromHint(cost, child.get());
    }
    if (!hint->preserve_unknown_fields) Fail(e.position, absl::StrCat("undefined field '", e.name, "'"));
    return {cost, K::kDyn, nullptr};
  }

  Estimate Visit(Expr& e) {
    if (issue_) return {};
    switch (e.kind) {
      case Expr::Kind::kLiteral: {
        Estimate lit{0, KindOfValue(e.literal), nullptr};
        if (e.literal.is(Value::Kind::kString)) lit.size = static_cast<double>(e.literal.string_value().size());
        if (e.literal.is(Value::Kind::kBytes)) lit.size = static_cast<double>(e.literal.bytes_value().size());
        return lit;
      }
      case Expr::Kind::kIdent: return VisitIdent(e);
      case Expr::Kind::kSelect: {
        Estimate t = Visit(*e.target);
        if (issue_) return {};
        Estimate field = SelectField(e, t, t.cost + 1);
        if (e.optional || t.kind == K::kOptional) return {field.cost, K::kOptional, nullptr};
        return field;
      }
      case Expr::Kind::kHas: {
        Estimate t = Visit(*e.target);
        if (issue_) return {};
        Estimate field = SelectField(e, t, t.cost + 1);
        return {field.cost, K::kBool, nullptr};
      }
      case Expr::Kind::kIndex: return VisitIndex(e);
      case Expr::Kind::kList:
      case Expr::Kind::kMap: {
        double cost = 1;
        for (auto& a : e.args) cost += Visit(*a).cost;
        double size = static_cast<double>(e.kind == Expr::Kind::kList ? e.args.size() : e.args.size() / 2);
        return {cost, e.kind == Expr::Kind::kList ? K::kList : K::kMap, nullptr, size};
      }
      case Expr::Kind::kCall: return VisitCall(e);
      case Expr::Kind::kComprehension: return VisitComprehension(e);
    }
    return {};
  }

  Estimate VisitIdent(const Expr& e) {
    for (auto it = locals_.rbegin(); it != locals_.rend(); ++it) {
      if (it->name == e.name) return {1, it->kind, it->hint};
    }
    for (const Variable& v : variables_) {
      if (v.name == e.name) {
        if (std::find(referenced_.begin(), referenced_.end(), v.name) == referenced_.end()) referenced_.push_back(v.name);
        if (v.optional) return {1, K::kOptional, nullptr};
        return FromHint(1, v.hint.get());
      }
    }
    if (IsTypeIdentifier(e.name)) return {1, K::kType, nullptr};
    Fail(e.position, absl::StrCat("undeclared reference to '", e.name, "' (in container '')"));
    return {};
  }

  Estimate VisitIndex(Expr& e) {
    Estimate t = Visit(*e.target);
    Estimate i = Visit(*e.args[0]);
    if (issue_) return {};
    double cost = t.cost + i.cost + 1;
    bool list_index_ok = i.kind == K::kDyn || i.kind == K::kInt || i.kind == K::kUint;
    bool ok = t.kind == K::kDyn || t.kind == K::kOptional || (t.kind == K::kList && list_index_ok) || IsMapLike(t.kind);
    if (!ok) {
      Fail(e.position, absl::StrCat("found no matching overload for '_[_]' applied to '(", Name(t.kind), ", ",
                                    Name(i.kind), ")'"));
      return {};
    }
    if (e.optional || t.kind == K::kOptional) return {cost, K::kOptional, nullptr};
    if (t.hint && (t.hint->kind == TypeHint::Kind::kList || t.hint->kind == TypeHint::Kind::kMap)) {
      return FromHint(cost, t.hint->element.get());
    }
    return {cost, K::kDyn, nullptr};
  }

  std::string ArgsText(const std::vector<Estimate>& parts, const Estimate* receiver) {
    std::string args = absl::StrCat(
        "(", absl::StrJoin(parts, ", ", [](std::string* out, const Estimate& p) { out->append(Name(p.kind)); }), ")");
    if (receiver != nullptr) args = absl::StrCat(Name(receiver->kind), ".", args);
    return args;
  }

  Estimate VisitCall(Expr& e) {
    std::vector<Estimate> parts;
    double cost = 1;
    Estimate receiver;
    if (e.target) {
      receiver = Visit(*e.target);
      cost += receiver.cost;
    }
    for (auto& a : e.args) {
      parts.push_back(Visit(*a));
      cost += parts.back().cost;
    }
    if (issue_) return {};
    const std::string& name = e.name;
    bool is_operator = !e.target && !name.empty() && (name[0] == '_' || name[0] == '!' || name[0] == '-' || name[0] == '@');
    if (is_operator) return VisitOperator(e, parts, cost);
    const FunctionRegistry& registry = FunctionRegistry::Get();
    const bool member = e.target != nullptr;
    if (!registry.Known(name, member)) {
      Fail(e.position, absl::StrCat("undeclared reference to '", name, "' (in container '')"));
      return {};
    }
    const Signature* sig = FindSignature(name);
    bool receiver_ok = !member || sig == nullptr || sig->receivers.empty() || receiver.kind == K::kDyn ||
                       std::find(sig->receivers.begin(), sig->receivers.end(), receiver.kind) != sig->receivers.end();
    bool global_arg_ok = true;
    if (!member && sig != nullptr && !sig->receivers.empty() && !parts.empty() && parts[0].kind != K::kDyn) {
      global_arg_ok = std::find(sig->receivers.begin(), sig->receivers.end(), parts[0].kind) != sig->receivers.end();
    }
    if (registry.Find(name, member, static_cast<int>(e.args.size()), nullptr) == nullptr || !receiver_ok || !global_arg_ok) {
      Fail(e.position, absl::StrCat("found no matching overload for '", name, "' applied to '",
                                    ArgsText(parts, member ? &receiver : nullptr), "'"));
      return {};
    }
    if ((name == "matches" || name == "find" || name == "findAll") && !PrecompileRegex(e)) return {};
    // Functions that walk their operand cost in proportion to its size.
    cost += member ? SizeCost(receiver) : (parts.empty() ? 0 : SizeCost(parts[0]));
    K result = sig ? sig->result : K::kDyn;
    if (name == "dyn") result = K::kDyn;
    return {cost, result, nullptr};
  }

  Estimate VisitOperator(const Expr& e, const std::vector<Estimate>& parts, double cost) {
    const std::string& op = e.name;
    auto fail = [&] {
      Fail(e.position, absl::StrCat("found no matching overload for '", op, "' applied to '", ArgsText(parts, nullptr), "'"));
      return Estimate{};
    };
    if (op == "_?_:_") {
      if (parts[0].kind != K::kDyn && parts[0].kind != K::kBool) return fail();
      bool same = parts[1].kind == parts[2].kind;
      return {parts[0].cost + 1 + std::max(parts[1].cost, parts[2].cost), same ? parts[1].kind : K::kDyn,
              parts[1].hint == parts[2].hint ? parts[1].hint : nullptr};
    }
    if (op == "_&&_" || op == "_||_") {
      for (const Estimate& p : parts) {
        if (p.kind != K::kDyn && p.kind != K::kBool) return fail();
      }
      return {cost, K::kBool, nullptr};
    }
    if (op == "!_") {
      if (parts[0].kind != K::kDyn && parts[0].kind != K::kBool) return fail();
      return {cost, K::kBool, nullptr};
    }
    if (op == "-_") {
      K k = parts[0].kind;
      if (k != K::kDyn && k != K::kInt && k != K::kDouble && k != K::kDuration) return fail();
      return {cost, k, nullptr};
    }
    std::optional<K> result = OperatorResult(op, parts[0].kind, parts[1].kind);
    if (!result) return fail();
    // A list membership test walks the list; equality stops at the shorter operand.
    if (op == "@in" && parts[1].kind != K::kMap && parts[1].kind != K::kObject) cost += SizeOf(parts[1]);
    if (op == "_==_" || op == "_!=_") cost += std::min(SizeCost(parts[0]), SizeCost(parts[1]));
    if (op == "_+_") cost += SizeCost(parts[0]) + SizeCost(parts[1]);
    return {cost, *result, nullptr};
  }

  bool PrecompileRegex(Expr& e) {
    const Expr* pattern = e.target ? e.args[0].get() : (e.args.size() >= 2 ? e.args[1].get() : nullptr);
    if (pattern == nullptr || pattern->kind != Expr::Kind::kLiteral || !pattern->literal.is(Value::Kind::kString)) {
      return true;
    }
    RE2::Options options;
    options.set_log_errors(false);
    auto re = std::make_shared<const re2::RE2>(pattern->literal.string_value(), options);
    if (!re->ok()) {
      Fail(pattern->position, absl::StrCat("invalid regular expression: ", re->error()));
      return false;
    }
    e.regex = std::move(re);
    return true;
  }

  Estimate VisitComprehension(Expr& e) {
    Estimate range = Visit(*e.target);
    if (issue_) return {};
    if (range.kind != K::kDyn && range.kind != K::kList && !IsMapLike(range.kind)) {
      Fail(e.position, absl::StrCat("expression of type '", Name(range.kind),
                                    "' cannot be range of a comprehension (must be list, map, or dynamic)"));
      return {};
    }
    Local local{e.iter_var, K::kDyn, nullptr};
    if (range.hint && range.hint->kind == TypeHint::Kind::kList) {
      local.hint = range.hint->element.get();
      local.kind = KindOfHint(local.hint);
    } else if (IsMapLike(range.kind)) {
      local.kind = K::kString;  // schema maps and objects have string keys
    }
    locals_.push_back(local);
    double body = 0;
    std::vector<Estimate> parts;
    for (auto& a : e.args) {
      parts.push_back(Visit(*a));
      body += parts.back().cost;
    }
    locals_.pop_back();
    if (issue_) return {};
    // Predicates must be bools: all/exists/exists_one/filter and the filter of map(x, p, t).
    bool has_predicate = e.macro != Expr::Macro::kMap || e.args.size() == 2;
    if (has_predicate && parts[0].kind != K::kDyn && parts[0].kind != K::kBool) {
      Fail(e.args[0]->position, absl::StrCat("found no matching overload for '", e.name, "' predicate applied to '",
                                             Name(parts[0].kind), "'"));
      return {};
    }
    K result = (e.macro == Expr::Macro::kMap || e.macro == Expr::Macro::kFilter) ? K::kList : K::kBool;
    return {range.cost + 1 + SizeOf(range) * (body + 1), result, nullptr};
  }

  const std::vector<Variable>& variables_;
  std::vector<Local> locals_;
  std::vector<std::string> referenced_;
  std::optional<Issue> issue_;
};

}  // namespace

std::string_view KindName(StaticKind kind) {
  switch (kind) {
    case K::kDyn: return "dyn";
    case K::kNull: return "null_type";
    case K::kBool: return "bool";
    case K::kInt: return "int";
    case K::kUint: return "uint";
    case K::kDouble: return "double";
    case K::kString: return "string";
    case K::kBytes: return "bytes";
    case K::kList: return "list";
    case K::kMap: return "map";
    case K::kObject: return "object";
    case K::kTimestamp: return "google.protobuf.Timestamp";
    case K::kDuration: return "google.protobuf.Duration";
    case K::kType: return "type";
    case K::kOptional: return "optional_type";
    case K::kQuantity: return "kubernetes.Quantity";
  }
  return "dyn";
}

std::variant<CheckResult, Issue> Check(Expr& root, const std::vector<Variable>& variables) {
  return Checker(variables).Run(root);
}

}  // namespace skiff::api::cel
