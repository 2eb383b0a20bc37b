#include "api/cel/checker.h"

#include <algorithm>
#include <limits>
#include <optional>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "api/cel/functions.h"
#include "api/cel/interpreter.h"
#include "re2/re2.h"

namespace skiff::api::cel {
namespace {

// Kubernetes sizes unbounded lists, maps and strings from the largest request it accepts.
constexpr double kMaxRequestBytes = 3 * 1024 * 1024;

struct Estimate {
  double cost = 0;
  const TypeHint* hint = nullptr;  // static shape of the result, when known
  bool is_type_hint_root = false;
};

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
    return result;
  }

 private:
  struct Local {
    std::string name;
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

  const TypeHint* FieldHint(const TypeHint* hint, std::string_view field) {
    if (hint == nullptr) return nullptr;
    if (hint->kind == TypeHint::Kind::kMap) return hint->element.get();
    if (hint->kind != TypeHint::Kind::kObject) return nullptr;
    for (const auto& [name, child] : hint->properties) {
      if (EscapePropertyName(name) == field) return child.get();
    }
    return nullptr;
  }

  Estimate Visit(Expr& e) {
    if (issue_) return {};
    switch (e.kind) {
      case Expr::Kind::kLiteral: return {};
      case Expr::Kind::kIdent: return VisitIdent(e);
      case Expr::Kind::kSelect:
      case Expr::Kind::kHas: {
        Estimate t = Visit(*e.target);
        return {t.cost + 1, e.kind == Expr::Kind::kSelect && !e.optional ? FieldHint(t.hint, e.name) : nullptr};
      }
      case Expr::Kind::kIndex: {
        Estimate t = Visit(*e.target);
        Estimate i = Visit(*e.args[0]);
        const TypeHint* element = t.hint && (t.hint->kind == TypeHint::Kind::kList || t.hint->kind == TypeHint::Kind::kMap)
                                      ? t.hint->element.get() : nullptr;
        return {t.cost + i.cost + 1, e.optional ? nullptr : element};
      }
      case Expr::Kind::kList:
      case Expr::Kind::kMap: {
        double cost = 1;
        for (auto& a : e.args) cost += Visit(*a).cost;
        return {cost, nullptr};
      }
      case Expr::Kind::kCall: return VisitCall(e);
      case Expr::Kind::kComprehension: return VisitComprehension(e);
    }
    return {};
  }

  Estimate VisitIdent(const Expr& e) {
    for (auto it = locals_.rbegin(); it != locals_.rend(); ++it) {
      if (it->name == e.name) return {1, it->hint};
    }
    for (const Variable& v : variables_) {
      if (v.name == e.name) {
        if (std::find(referenced_.begin(), referenced_.end(), v.name) == referenced_.end()) referenced_.push_back(v.name);
        return {1, v.optional ? nullptr : v.hint.get()};
      }
    }
    if (IsTypeIdentifier(e.name)) return {1, nullptr};
    Fail(e.position, absl::StrCat("undeclared reference to '", e.name, "' (in container '')"));
    return {};
  }

  static std::string StaticTypeName(const Expr& e, const TypeHint* hint) {
    if (e.kind == Expr::Kind::kLiteral) return e.literal.TypeNameOf();
    if (e.kind == Expr::Kind::kList) return "list(dyn)";
    if (e.kind == Expr::Kind::kMap) return "map(dyn, dyn)";
    if (hint == nullptr) return "dyn";
    switch (hint->kind) {
      case TypeHint::Kind::kBool: return "bool";
      case TypeHint::Kind::kInt: return "int";
      case TypeHint::Kind::kDouble: return "double";
      case TypeHint::Kind::kString: return "string";
      case TypeHint::Kind::kBytes: return "bytes";
      case TypeHint::Kind::kTimestamp: return "google.protobuf.Timestamp";
      case TypeHint::Kind::kDuration: return "google.protobuf.Duration";
      case TypeHint::Kind::kList: return "list(dyn)";
      case TypeHint::Kind::kMap: return "map(string, dyn)";
      case TypeHint::Kind::kObject: return "object";
      default: return "dyn";
    }
  }

  Estimate VisitCall(Expr& e) {
    std::vector<Estimate> parts;
    std::vector<std::string> arg_types;
    double cost = 1;
    Estimate receiver;
    if (e.target) {
      receiver = Visit(*e.target);
      cost += receiver.cost;
    }
    for (auto& a : e.args) {
      parts.push_back(Visit(*a));
      cost += parts.back().cost;
      arg_types.push_back(StaticTypeName(*a, parts.back().hint));
    }
    if (issue_) return {};
    const std::string& name = e.name;
    bool is_operator = !e.target && !name.empty() && (name[0] == '_' || name[0] == '!' || name[0] == '-' || name[0] == '@');
    if (is_operator) {
      if (name == "_?_:_") {
        return {parts[0].cost + 1 + std::max(parts[1].cost, parts[2].cost), parts[1].hint == parts[2].hint ? parts[1].hint : nullptr};
      }
      if (name == "@in") cost += MaxSize(parts[1].hint);
      if (name == "_==_" || name == "_!=_" || name == "_+_") cost += std::max(SizeCost(parts[0]), SizeCost(parts[1]));
      return {cost, nullptr};
    }
    const FunctionRegistry& registry = FunctionRegistry::Get();
    const bool member = e.target != nullptr;
    if (!registry.Known(name, member)) {
      Fail(e.position, absl::StrCat("undeclared reference to '", name, "' (in container '')"));
      return {};
    }
    if (registry.Find(name, member, static_cast<int>(e.args.size()), nullptr) == nullptr) {
      std::string args = absl::StrCat("(", absl::StrJoin(arg_types, ", "), ")");
      if (member) args = absl::StrCat(StaticTypeName(*e.target, receiver.hint), ".", args);
      Fail(e.position, absl::StrCat("found no matching overload for '", name, "' applied to '", args, "'"));
      return {};
    }
    if ((name == "matches" || name == "find" || name == "findAll") && !PrecompileRegex(e)) return {};
    // Functions that walk their operand cost in proportion to its size.
    if (member) {
      cost += SizeCost(receiver);
    } else if (!parts.empty()) {
      cost += SizeCost(parts[0]);
    }
    return {cost, nullptr};
  }

  static double SizeCost(const Estimate& est) {
    if (est.hint == nullptr) return 0;
    switch (est.hint->kind) {
      case TypeHint::Kind::kString:
      case TypeHint::Kind::kBytes: return MaxSize(est.hint) / 10;
      case TypeHint::Kind::kList:
      case TypeHint::Kind::kMap: return MaxSize(est.hint);
      default: return 0;
    }
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
    const TypeHint* element = nullptr;
    if (range.hint && range.hint->kind == TypeHint::Kind::kList) element = range.hint->element.get();
    if (range.hint && (range.hint->kind == TypeHint::Kind::kMap || range.hint->kind == TypeHint::Kind::kObject)) {
      static const std::shared_ptr<const TypeHint> kStringHint = TypeHint::Of(TypeHint::Kind::kString);
      element = kStringHint.get();
    }
    locals_.push_back({e.iter_var, element});
    double body = 0;
    for (auto& a : e.args) body += Visit(*a).cost;
    locals_.pop_back();
    return {range.cost + 1 + MaxSize(range.hint) * (body + 1), nullptr};
  }

  const std::vector<Variable>& variables_;
  std::vector<Local> locals_;
  std::vector<std::string> referenced_;
  std::optional<Issue> issue_;
};

}  // namespace

std::variant<CheckResult, Issue> Check(Expr& root, const std::vector<Variable>& variables) {
  return Checker(variables).Run(root);
}

}  // namespace skiff::api::cel
