#include "api/cel/parser.h"

#include <algorithm>
#include <optional>
#include <set>
#include <unordered_map>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "api/cel/lexer.h"
#include "base/strings.h"

namespace skiff::api::cel {
namespace {

using ExprPtr = std::unique_ptr<Expr>;

const std::set<std::string, std::less<>>& ReservedWords() {
  static const auto* words = new std::set<std::string, std::less<>>{
      "as", "break", "const", "continue", "else", "for", "function", "if", "import", "in",
      "let", "loop", "package", "namespace", "return", "var", "void", "while"};
  return *words;
}

class Parser {
 public:
  explicit Parser(std::string_view input) : lexer_(input) { Advance(); }

  std::variant<ExprPtr, Issue> Run() {
    ExprPtr e = ParseExpr();
    if (!error_ && tok_.kind != Token::Kind::kEof) Fail(tok_.position, absl::StrCat("Syntax error: extraneous input '", TokenText(), "'"));
    if (error_) return *error_;
    return e;
  }

 private:
  // Depth of nested parse calls; bounds the C++ stack independently of the tree depth.
  struct DepthGuard {
    explicit DepthGuard(Parser* p) : parser(p) { ++parser->depth_; }
    ~DepthGuard() { --parser->depth_; }
    Parser* parser;
  };

  void Advance() {
    tok_ = lexer_.Next();
    if (tok_.kind == Token::Kind::kError) Fail(tok_.position, absl::StrCat("Syntax error: ", tok_.text));
  }
  std::string TokenText() const { return tok_.kind == Token::Kind::kEof ? "<EOF>" : tok_.text; }
  bool IsPunct(std::string_view p) const { return tok_.kind == Token::Kind::kPunct && tok_.text == p; }
  bool IsIdent(std::string_view name) const { return tok_.kind == Token::Kind::kIdent && tok_.text == name; }
  bool Accept(std::string_view p) {
    if (!IsPunct(p)) return false;
    Advance();
    return true;
  }
  bool Expect(std::string_view p) {
    if (error_) return false;
    if (Accept(p)) return true;
    Fail(tok_.position, absl::StrCat("Syntax error: mismatched input '", TokenText(), "' expecting '", base::Av(p), "'"));
    return false;
  }
  void Fail(int position, std::string message) {
    if (!error_) error_ = Issue{position, std::move(message)};
  }
  bool TooDeep(int position) {
    if (depth_ > kMaxDepth) {
      Fail(position, absl::StrCat("expression recursion limit exceeded: ", kMaxDepth));
      return true;
    }
    return false;
  }

  // Every node is made here, so the tree depth is checked where the tree grows.
  ExprPtr Make(Expr::Kind kind, int position) {
    auto e = std::make_unique<Expr>();
    e->kind = kind;
    e->position = position;
    return e;
  }
  ExprPtr Finish(ExprPtr e) {
    if (!e) return e;
    int d = 0;
    if (e->target) d = std::max(d, depth_of_.at(e->target.get()));
    for (const auto& a : e->args) d = std::max(d, depth_of_.at(a.get()));
    depth_of_[e.get()] = d + 1;
    if (d + 1 > kMaxDepth) {
      Fail(e->position, absl::StrCat("expression recursion limit exceeded: ", kMaxDepth));
      return nullptr;
    }
    return e;
  }
  ExprPtr Call(std::string name, int position, std::vector<ExprPtr> args) {
    for (const auto& a : args) {
      if (!a) return nullptr;
    }
    ExprPtr e = Make(Expr::Kind::kCall, position);
    e->name = std::move(name);
    e->args = std::move(args);
    return Finish(std::move(e));
  }
  ExprPtr Binary(std::string name, int position, ExprPtr a, ExprPtr b) {
    std::vector<ExprPtr> args;
    args.push_back(std::move(a));
    args.push_back(std::move(b));
    return Call(std::move(name), position, std::move(args));
  }
  // Builds a balanced tree of one logical operator, as cel-go does, so long chains stay shallow.
  ExprPtr Balance(const std::string& op, std::vector<ExprPtr>& terms, std::vector<int>& positions, size_t lo, size_t hi) {
    if (lo == hi) return std::move(terms[lo]);
    size_t mid = (lo + hi + 1) / 2;
    ExprPtr left = Balance(op, terms, positions, lo, mid - 1);
    ExprPtr right = Balance(op, terms, positions, mid, hi);
    if (!left || !right) return nullptr;
    return Binary(op, positions[mid - 1], std::move(left), std::move(right));
  }

  ExprPtr ParseExpr() {
    DepthGuard guard(this);
    if (TooDeep(tok_.position)) return nullptr;
    ExprPtr cond = ParseLogical("||");
    if (error_ || !IsPunct("?")) return cond;
    int pos = tok_.position;
    Advance();
    ExprPtr then = ParseLogical("||");
    if (!Expect(":")) return nullptr;
    ExprPtr otherwise = ParseExpr();
    std::vector<ExprPtr> args;
    args.push_back(std::move(cond));
    args.push_back(std::move(then));
    args.push_back(std::move(otherwise));
    return Call("_?_:_", pos, std::move(args));
  }

  ExprPtr ParseLogical(const std::string& op) {
    std::vector<ExprPtr> terms;
    std::vector<int> positions;
    terms.push_back(op == "||" ? ParseLogical("&&") : ParseRelation());
    while (!error_ && IsPunct(op)) {
      positions.push_back(tok_.position);
      Advance();
      terms.push_back(op == "||" ? ParseLogical("&&") : ParseRelation());
    }
    if (error_) return nullptr;
    return Balance(op == "||" ? "_||_" : "_&&_", terms, positions, 0, terms.size() - 1);
  }

  std::optional<std::string> RelationOp() const {
    static const std::pair<std::string_view, std::string_view> kOps[] = {
        {"<", "_<_"}, {"<=", "_<=_"}, {">", "_>_"}, {">=", "_>=_"}, {"==", "_==_"}, {"!=", "_!=_"}};
    if (IsIdent("in")) return "@in";
    if (tok_.kind != Token::Kind::kPunct) return std::nullopt;
    for (const auto& [p, name] : kOps) {
      if (tok_.text == p) return std::string(name);
    }
    return std::nullopt;
  }

  ExprPtr ParseRelation() {
    ExprPtr e = ParseAddition();
    while (!error_) {
      std::optional<std::string> op = RelationOp();
      if (!op) break;
      int pos = tok_.position;
      Advance();
      e = Binary(*op, pos, std::move(e), ParseAddition());
    }
    return e;
  }

  ExprPtr ParseAddition() {
    ExprPtr e = ParseMultiplication();
    while (!error_ && (IsPunct("+") || IsPunct("-"))) {
      std::string op = tok_.text == "+" ? "_+_" : "_-_";
      int pos = tok_.position;
      Advance();
      e = Binary(op, pos, std::move(e), ParseMultiplication());
    }
    return e;
  }

  ExprPtr ParseMultiplication() {
    ExprPtr e = ParseUnary();
    while (!error_ && (IsPunct("*") || IsPunct("/") || IsPunct("%"))) {
      std::string op = "_" + tok_.text + "_";
      int pos = tok_.position;
      Advance();
      e = Binary(op, pos, std::move(e), ParseUnary());
    }
    return e;
  }

  ExprPtr ParseUnary() {
    DepthGuard guard(this);
    if (TooDeep(tok_.position)) return nullptr;
    if (IsPunct("!") || IsPunct("-")) {
      std::string op = tok_.text == "!" ? "!_" : "-_";
      int pos = tok_.position;
      Advance();
      // -9223372036854775808 is an int literal, not the negation of an out-of-range one.
      if (op == "-_" && tok_.kind == Token::Kind::kLiteral && tok_.literal.is_number() && !tok_.literal.is(Value::Kind::kUint)) {
        Token lit = tok_;
        Advance();
        ExprPtr e = Make(Expr::Kind::kLiteral, pos);
        if (lit.literal.is(Value::Kind::kInt)) {
          e->literal = lit.negatable_int_min ? lit.literal : Value::Int(-lit.literal.int_value());
        } else {
          e->literal = Value::Double(-lit.literal.double_value());
        }
        return ParseMemberSuffix(Finish(std::move(e)));
      }
      std::vector<ExprPtr> args;
      args.push_back(ParseUnary());
      return Call(op, pos, std::move(args));
    }
    return ParseMemberSuffix(ParsePrimary());
  }

  std::vector<ExprPtr> ParseArgs(std::string_view close) {
    std::vector<ExprPtr> args;
    if (Accept(close)) return args;
    while (!error_) {
      args.push_back(ParseExpr());
      if (Accept(",")) continue;
      Expect(close);
      break;
    }
    return args;
  }

  ExprPtr ParseMemberSuffix(ExprPtr e) {
    while (!error_ && e) {
      if (IsPunct(".")) {
        int pos = tok_.position;
        Advance();
        bool optional = Accept("?");
        if (tok_.kind != Token::Kind::kIdent) {
          Fail(tok_.position, absl::StrCat("Syntax error: mismatched input '", TokenText(), "' expecting IDENTIFIER"));
          return nullptr;
        }
        // Reserved words are refused only as bare identifiers (cel-go's VisitIdentOrGlobalCall):
        // after a dot they name fields (object.metadata.namespace) and member functions (the
        // authorizer library's .namespace(...)).
        std::string name = tok_.text;
        Advance();
        if (!optional && IsPunct("(")) {
          Advance();
          e = MemberCall(std::move(e), std::move(name), pos, ParseArgs(")"));
        } else {
          ExprPtr s = Make(Expr::Kind::kSelect, pos);
          s->target = std::move(e);
          s->name = std::move(name);
          s->optional = optional;
          e = Finish(std::move(s));
        }
      } else if (IsPunct("[")) {
        int pos = tok_.position;
        Advance();
        bool optional = Accept("?");
        ExprPtr index = ParseExpr();
        if (!Expect("]")) return nullptr;
        ExprPtr x = Make(Expr::Kind::kIndex, pos);
        x->target = std::move(e);
        x->args.push_back(std::move(index));
        x->optional = optional;
        if (!x->args[0]) return nullptr;
        e = Finish(std::move(x));
      } else {
        break;
      }
    }
    return e;
  }

  ExprPtr MemberCall(ExprPtr target, std::string name, int pos, std::vector<ExprPtr> args) {
    if (error_) return nullptr;
    for (const auto& a : args) {
      if (!a) return nullptr;
    }
    std::optional<Expr::Macro> macro;
    if ((name == "all" || name == "exists" || name == "exists_one" || name == "filter") && args.size() == 2) {
      macro = name == "all" ? Expr::Macro::kAll
              : name == "exists" ? Expr::Macro::kExists
              : name == "exists_one" ? Expr::Macro::kExistsOne : Expr::Macro::kFilter;
    } else if (name == "map" && (args.size() == 2 || args.size() == 3)) {
      macro = Expr::Macro::kMap;
    }
    if (macro) {
      if (args[0]->kind != Expr::Kind::kIdent) {
        Fail(args[0]->position, "argument must be a simple name");
        return nullptr;
      }
      ExprPtr c = Make(Expr::Kind::kComprehension, pos);
      c->macro = *macro;
      c->name = name;
      c->iter_var = args[0]->name;
      c->target = std::move(target);
      for (size_t i = 1; i < args.size(); ++i) c->args.push_back(std::move(args[i]));
      return Finish(std::move(c));
    }
    ExprPtr c = Make(Expr::Kind::kCall, pos);
    c->name = std::move(name);
    c->target = std::move(target);
    c->args = std::move(args);
    return Finish(std::move(c));
  }

  ExprPtr ParsePrimary() {
    int pos = tok_.position;
    if (error_) return nullptr;
    switch (tok_.kind) {
      case Token::Kind::kLiteral: {
        if (tok_.negatable_int_min) {
          Fail(pos, absl::StrCat("invalid int literal: ", tok_.text));
          return nullptr;
        }
        ExprPtr e = Make(Expr::Kind::kLiteral, pos);
        e->literal = tok_.literal;
        Advance();
        return Finish(std::move(e));
      }
      case Token::Kind::kIdent: {
        std::string name = tok_.text;
        Advance();
        if (name == "true" || name == "false" || name == "null") {
          ExprPtr e = Make(Expr::Kind::kLiteral, pos);
          e->literal = name == "null" ? Value::Null() : Value::Bool(name == "true");
          return Finish(std::move(e));
        }
        if (ReservedWords().count(name)) {
          Fail(pos, absl::StrCat("Syntax error: reserved identifier: ", name));
          return nullptr;
        }
        if (Accept("(")) {
          std::vector<ExprPtr> args = ParseArgs(")");
          if (error_) return nullptr;
          if (name == "has" && args.size() == 1) {
            if (args[0]->kind != Expr::Kind::kSelect || args[0]->optional) {
              Fail(args[0]->position, "invalid argument to has() macro");
              return nullptr;
            }
            ExprPtr h = std::move(args[0]);
            h->kind = Expr::Kind::kHas;
            return h;
          }
          return Call(name, pos, std::move(args));
        }
        if (IsPunct("{")) {
          Fail(pos, "Syntax error: message construction is not supported");
          return nullptr;
        }
        ExprPtr e = Make(Expr::Kind::kIdent, pos);
        e->name = std::move(name);
        return Finish(std::move(e));
      }
      case Token::Kind::kPunct:
        if (Accept("(")) {
          ExprPtr e = ParseExpr();
          if (!Expect(")")) return nullptr;
          return e;
        }
        if (Accept("[")) return ParseAggregate(Expr::Kind::kList, pos, "]");
        if (Accept("{")) return ParseAggregate(Expr::Kind::kMap, pos, "}");
        if (IsPunct(".")) {
          Fail(pos, "Syntax error: leading '.' qualified names are not supported");
          return nullptr;
        }
        break;
      default:
        break;
    }
    Fail(pos, absl::StrCat("Syntax error: mismatched input '", TokenText(), "' expecting expression"));
    return nullptr;
  }

  // List `[a, ?b,]` or map `{k: v, ?k2: v2,}` literal; the opening bracket is consumed.
  ExprPtr ParseAggregate(Expr::Kind kind, int pos, std::string_view close) {
    DepthGuard guard(this);
    if (TooDeep(pos)) return nullptr;
    ExprPtr e = Make(kind, pos);
    while (!error_ && !Accept(close)) {
      e->optional_entries.push_back(Accept("?"));
      e->args.push_back(ParseExpr());
      if (kind == Expr::Kind::kMap) {
        if (!Expect(":")) return nullptr;
        e->args.push_back(ParseExpr());
      }
      if (Accept(",")) continue;
      if (!Expect(close)) return nullptr;
      break;
    }
    if (error_) return nullptr;
    return Finish(std::move(e));
  }

  Lexer lexer_;
  Token tok_;
  int depth_ = 0;
  std::optional<Issue> error_;
  std::unordered_map<const Expr*, int> depth_of_;
};

}  // namespace

std::variant<std::unique_ptr<Expr>, Issue> Parse(std::string_view expression) {
  int code_points = 0;
  for (unsigned char c : expression) code_points += (c & 0xC0) != 0x80;
  if (code_points > kMaxCodePoints) {
    return Issue{0, absl::StrCat("expression code point size exceeds limit: size: ", code_points, ", limit ", kMaxCodePoints)};
  }
  return Parser(expression).Run();
}

}  // namespace skiff::api::cel
