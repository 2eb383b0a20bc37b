#include "api/cel/interpreter.h"

#include "absl/strings/str_cat.h"
#include "api/cel/operators.h"

namespace skiff::api::cel {
namespace {

using K = Value::Kind;


}  // namespace

bool IsTypeIdentifier(std::string_view name) {
  return name == "int" || name == "uint" || name == "double" || name == "bool" || name == "string" ||
         name == "bytes" || name == "list" || name == "map" || name == "null_type" || name == "type";
}

absl::StatusOr<Value> Interpreter::Eval(const Expr& e) {
  if (e.kind == Expr::Kind::kLiteral) return e.literal;
  if (absl::Status s = cost_.Charge(1); !s.ok()) return s;
  switch (e.kind) {
    case Expr::Kind::kLiteral: return e.literal;
    case Expr::Kind::kIdent: return Ident(e);
    case Expr::Kind::kSelect: {
      absl::StatusOr<Value> target = Eval(*e.target);
      if (!target.ok()) return target;
      return Select(*target, e.name, e.optional);
    }
    case Expr::Kind::kHas: {
      absl::StatusOr<Value> target = Eval(*e.target);
      if (!target.ok()) return target;
      return HasField(*target, e.name);
    }
    case Expr::Kind::kIndex: {
      absl::StatusOr<Value> target = Eval(*e.target);
      if (!target.ok()) return target;
      absl::StatusOr<Value> index = Eval(*e.args[0]);
      if (!index.ok()) return index;
      return Index(*target, *index, e.optional);
    }
    case Expr::Kind::kCall: return Call(e);
    case Expr::Kind::kList: return ListLiteral(e);
    case Expr::Kind::kMap: return MapLiteral(e);
    case Expr::Kind::kComprehension: return Comprehension(e);
  }
  return EvalError("unknown expression");
}

absl::StatusOr<Value> Interpreter::Ident(const Expr& e) {
  for (auto it = locals_.rbegin(); it != locals_.rend(); ++it) {
    if (it->first == e.name) return it->second;
  }
  auto it = globals_.find(e.name);
  if (it != globals_.end()) return it->second;
  if (IsTypeIdentifier(e.name)) return Value::Type(e.name);
  return EvalError(absl::StrCat("no such attribute: ", e.name));
}

absl::StatusOr<Value> Interpreter::Logical(const Expr& e, bool is_and) {
  // Left to right with short circuit; an error on one side is absorbed when the other side alone
  // decides the result (false for &&, true for ||), in either order.
  const bool decisive = !is_and;
  absl::StatusOr<Value> left = Eval(*e.args[0]);
  if (!left.ok() && absl::IsResourceExhausted(left.status())) return left;
  if (left.ok() && left->is(K::kBool) && left->bool_value() == decisive) return left;
  absl::StatusOr<Value> right = Eval(*e.args[1]);
  if (!right.ok() && absl::IsResourceExhausted(right.status())) return right;
  if (right.ok() && right->is(K::kBool) && right->bool_value() == decisive) return right;
  if (!left.ok()) return left;
  if (!left->is(K::kBool)) return NoSuchOverload(e.name, {*left, right.ok() ? *right : Value()});
  if (!right.ok()) return right;
  if (!right->is(K::kBool)) return NoSuchOverload(e.name, {*left, *right});
  return right;
}

absl::StatusOr<Value> Interpreter::Conditional(const Expr& e) {
  absl::StatusOr<Value> cond = Eval(*e.args[0]);
  if (!cond.ok()) return cond;
  if (!cond->is(K::kBool)) return NoSuchOverload("_?_:_", {*cond});
  return Eval(*e.args[cond->bool_value() ? 1 : 2]);
}

absl::StatusOr<Value> Interpreter::Call(const Expr& e) {
  if (!e.target) {
    if (e.name == "_&&_") return Logical(e, true);
    if (e.name == "_||_") return Logical(e, false);
    if (e.name == "_?_:_") return Conditional(e);
  }
  std::vector<Value> args;
  args.reserve(e.args.size() + 1);
  if (e.target) {
    absl::StatusOr<Value> receiver = Eval(*e.target);
    if (!receiver.ok()) return receiver;
    args.push_back(std::move(*receiver));
  }
  for (const auto& arg : e.args) {
    absl::StatusOr<Value> v = Eval(*arg);
    if (!v.ok()) return v;
    args.push_back(std::move(*v));
  }
  if (!e.target && IsOperatorName(e.name)) {
    const std::string& op = e.name;
    if (op == "!_") {
      if (!args[0].is(K::kBool)) return NoSuchOverload(op, args);
      return Value::Bool(!args[0].bool_value());
    }
    if (op == "-_") return Negate(args[0]);
    if (op == "@in") return In(args[0], args[1], cost_);
    if (op == "_+_" || op == "_-_" || op == "_*_" || op == "_/_" || op == "_%_") {
      return Arithmetic(op, args[0], args[1], cost_);
    }
    return Relation(op, args[0], args[1]);
  }
  const bool member = e.target != nullptr;
  const int arg_count = static_cast<int>(e.args.size());
  const FunctionDecl* decl =
      FunctionRegistry::Get().Find(e.name, member, arg_count, member ? &args[0] : nullptr);
  if (decl == nullptr) return NoSuchOverload(e.name, args);
  if (decl->receiver && !args[0].is(*decl->receiver)) return NoSuchOverload(e.name, args);
  CallContext ctx{&cost_, &e, authorizer_};
  return decl->impl(args, ctx);
}

absl::StatusOr<Value> Interpreter::ListLiteral(const Expr& e) {
  List items;
  items.reserve(e.args.size());
  for (size_t i = 0; i < e.args.size(); ++i) {
    absl::StatusOr<Value> v = Eval(*e.args[i]);
    if (!v.ok()) return v;
    if (e.optional_entries[i]) {
      if (!v->is(K::kOptional)) return NoSuchOverload("optional list element", {*v});
      if (v->optional_value() != nullptr) items.push_back(*v->optional_value());
      continue;
    }
    items.push_back(std::move(*v));
  }
  return Value::ListOf(std::move(items));
}

absl::StatusOr<Value> Interpreter::MapLiteral(const Expr& e) {
  Map map;
  for (size_t i = 0; i + 1 < e.args.size(); i += 2) {
    absl::StatusOr<Value> key = Eval(*e.args[i]);
    if (!key.ok()) return key;
    absl::StatusOr<Value> value = Eval(*e.args[i + 1]);
    if (!value.ok()) return value;
    if (!Map::IsValidKey(*key)) return EvalError(absl::StrCat("unsupported key type: ", key->TypeNameOf()));
    if (e.optional_entries[i / 2]) {
      if (!value->is(K::kOptional)) return NoSuchOverload("optional map entry", {*value});
      if (value->optional_value() == nullptr) continue;
      value = *value->optional_value();
    }
    if (!map.Insert(*key, std::move(*value))) {
      return EvalError(absl::StrCat("Failed with repeated key: ", key->DebugString()));
    }
  }
  return Value::MapOf(std::move(map));
}

absl::StatusOr<Value> Interpreter::Comprehension(const Expr& e) {
  absl::StatusOr<Value> range = Eval(*e.target);
  if (!range.ok()) return range;
  List keys;
  const List* items = nullptr;
  if (range->is(K::kList)) {
    items = &range->list_value();
  } else if (range->is(K::kMap)) {
    for (const auto& entry : range->map_value().entries()) keys.push_back(entry.first);
    items = &keys;
  } else {
    return NoSuchOverload(e.name, {*range});
  }
  int64_t matches = 0;
  std::optional<absl::Status> absorbed;  // first error that a later decisive result may absorb
  List out;
  locals_.emplace_back(e.iter_var, Value());
  const size_t slot = locals_.size() - 1;
  auto done = [&](absl::StatusOr<Value> result) {
    locals_.resize(slot);
    return result;
  };
  for (const Value& item : *items) {
    if (absl::Status s = cost_.Charge(1); !s.ok()) return done(s);
    locals_[slot].second = item;
    absl::StatusOr<Value> first = Eval(*e.args[0]);
    if (!first.ok() && absl::IsResourceExhausted(first.status())) return done(first.status());
    switch (e.macro) {
      case Expr::Macro::kAll:
      case Expr::Macro::kExists: {
        const bool decisive = e.macro == Expr::Macro::kExists;
        if (first.ok() && first->is(K::kBool)) {
          if (first->bool_value() == decisive) return done(Value::Bool(decisive));
        } else if (!absorbed) {
          absorbed = first.ok() ? NoSuchOverload(e.name, {*first}) : first.status();
        }
        break;
      }
      case Expr::Macro::kExistsOne:
        if (!first.ok()) return done(first.status());
        if (!first->is(K::kBool)) return done(NoSuchOverload(e.name, {*first}));
        matches += first->bool_value() ? 1 : 0;
        break;
      case Expr::Macro::kFilter:
        if (!first.ok()) return done(first.status());
        if (!first->is(K::kBool)) return done(NoSuchOverload(e.name, {*first}));
        if (first->bool_value()) out.push_back(item);
        break;
      case Expr::Macro::kMap:
        if (!first.ok()) return done(first.status());
        if (e.args.size() == 1) {
          out.push_back(std::move(*first));
          break;
        }
        // map(x, predicate, transform)
        if (!first->is(K::kBool)) return done(NoSuchOverload(e.name, {*first}));
        if (first->bool_value()) {
          absl::StatusOr<Value> mapped = Eval(*e.args[1]);
          if (!mapped.ok()) return done(mapped.status());
          out.push_back(std::move(*mapped));
        }
        break;
    }
  }
  switch (e.macro) {
    case Expr::Macro::kAll:
    case Expr::Macro::kExists:
      if (absorbed) return done(*absorbed);
      return done(Value::Bool(e.macro == Expr::Macro::kAll));
    case Expr::Macro::kExistsOne: return done(Value::Bool(matches == 1));
    default: return done(Value::ListOf(std::move(out)));
  }
}

}  // namespace skiff::api::cel
