#include "api/label_selector.h"

#include "base/strings.h"

#include <algorithm>
#include <cstdint>
#include <optional>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "api/go_format.h"
#include "boost/json.hpp"

namespace skiff::api {
namespace {

using base::Av;

// ---- Lexer: the token rules of k8s.io/apimachinery/pkg/labels. ----

enum class Tok {
  kEnd,
  kClosePar,
  kComma,
  kNot,
  kDoubleEquals,
  kEquals,
  kGreater,
  kIdentifier,
  kIn,
  kLess,
  kNotEquals,
  kNotIn,
  kOpenPar,
};

struct Item {
  Tok tok;
  std::string lit;
};

bool IsWhitespace(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }

bool IsSpecial(char c) {
  return c == '=' || c == '!' || c == '(' || c == ')' || c == ',' || c == '>' || c == '<';
}

std::optional<Tok> SymbolToken(std::string_view s) {
  if (s == ")") return Tok::kClosePar;
  if (s == ",") return Tok::kComma;
  if (s == "!") return Tok::kNot;
  if (s == "==") return Tok::kDoubleEquals;
  if (s == "=") return Tok::kEquals;
  if (s == ">") return Tok::kGreater;
  if (s == "<") return Tok::kLess;
  if (s == "!=") return Tok::kNotEquals;
  if (s == "(") return Tok::kOpenPar;
  return std::nullopt;
}

class Lexer {
 public:
  explicit Lexer(std::string_view s) : s_(s) {}

  // Like Kubernetes, a NUL byte reads as the end of input.
  Item Next() {
    char c = Read();
    while (IsWhitespace(c)) c = Read();
    if (c == 0) return {Tok::kEnd, ""};
    --pos_;
    return IsSpecial(c) ? Symbol() : Word();
  }

 private:
  char Read() { return pos_ < s_.size() ? s_[pos_++] : 0; }

  // The longest run of special characters that forms an operator ("!=" rather than "!").
  Item Symbol() {
    std::string buffer;
    std::optional<Item> last;
    for (;;) {
      char c = Read();
      if (c == 0) break;
      if (!IsSpecial(c)) {
        --pos_;
        break;
      }
      buffer.push_back(c);
      if (std::optional<Tok> tok = SymbolToken(buffer)) {
        last = Item{*tok, buffer};
      } else if (last) {
        --pos_;
        break;
      }
    }
    // Every single special character is a token, so `last` is always set.
    return last ? *last : Item{Tok::kEnd, ""};
  }

  Item Word() {
    std::string buffer;
    for (;;) {
      char c = Read();
      if (c == 0) break;
      if (IsSpecial(c) || IsWhitespace(c)) {
        --pos_;
        break;
      }
      buffer.push_back(c);
    }
    if (buffer == "in") return {Tok::kIn, buffer};
    if (buffer == "notin") return {Tok::kNotIn, buffer};
    return {Tok::kIdentifier, buffer};
  }

  std::string_view s_;
  std::size_t pos_ = 0;
};

// ---- Requirement construction and validation (labels.NewRequirement). ----

std::string LabelKeyError(std::string_view path, std::string_view key) {
  std::vector<std::string> errs = ValidateLabelKey(key);
  if (errs.empty()) return "";
  return absl::StrCat(Av(path), ": Invalid value: ", GoQuote(key), ": ", absl::StrJoin(errs, "; "));
}

// Kubernetes' utilerrors.Aggregate text: one message as is, several as "[a, b]" (duplicates once).
std::string AggregateText(const std::vector<std::string>& errors) {
  std::vector<std::string> unique;
  for (const std::string& e : errors) {
    if (std::find(unique.begin(), unique.end(), e) == unique.end()) unique.push_back(e);
  }
  if (unique.size() == 1) return unique[0];
  return absl::StrCat("[", absl::StrJoin(unique, ", "), "]");
}

// Returns the errors Kubernetes' NewRequirement reports (path-less, as the string parser uses it).
std::vector<std::string> RequirementErrors(const LabelRequirement& r) {
  std::vector<std::string> errs;
  if (std::string e = LabelKeyError("key", r.key); !e.empty()) errs.push_back(e);
  switch (r.op) {
    case LabelOperator::kIn:
    case LabelOperator::kNotIn:
      if (r.values.empty()) {
        errs.push_back(absl::StrCat("values: Invalid value: ", GoStringSlice(r.values),
                                    ": for 'in', 'notin' operators, values set can't be empty"));
      }
      break;
    case LabelOperator::kEquals:
    case LabelOperator::kDoubleEquals:
    case LabelOperator::kNotEquals:
      if (r.values.size() != 1) {
        errs.push_back(absl::StrCat("values: Invalid value: ", GoStringSlice(r.values),
                                    ": exact-match compatibility requires one single value"));
      }
      break;
    case LabelOperator::kExists:
    case LabelOperator::kDoesNotExist:
      if (!r.values.empty()) {
        errs.push_back(absl::StrCat("values: Invalid value: ", GoStringSlice(r.values),
                                    ": values set must be empty for exists and does not exist"));
      }
      break;
    case LabelOperator::kGreaterThan:
    case LabelOperator::kLessThan:
      if (r.values.size() != 1) {
        errs.push_back(absl::StrCat("values: Invalid value: ", GoStringSlice(r.values),
                                    ": for 'Gt', 'Lt' operators, exactly one value is required"));
      }
      for (std::size_t i = 0; i < r.values.size(); ++i) {
        if (!ParseGoInt64(r.values[i])) {
          errs.push_back(absl::StrCat("values[", i, "]: Invalid value: ", GoQuote(r.values[i]),
                                      ": for 'Gt', 'Lt' operators, the value must be an integer"));
        }
      }
      break;
  }
  for (std::size_t i = 0; i < r.values.size(); ++i) {
    std::vector<std::string> value_errs = ValidateLabelValue(r.values[i]);
    if (!value_errs.empty()) {
      errs.push_back(absl::StrCat("values[", i, "][", r.key, "]: Invalid value: ", GoQuote(r.values[i]), ": ",
                                  absl::StrJoin(value_errs, "; ")));
    }
  }
  return errs;
}

// ---- Parser: recursive descent over the scanned tokens, as labels.Parser. ----

enum class Context { kKeyAndOperator, kValues };

class Parser {
 public:
  explicit Parser(std::string_view text) {
    Lexer lexer(text);
    for (;;) {
      items_.push_back(lexer.Next());
      if (items_.back().tok == Tok::kEnd) break;
    }
  }

  absl::StatusOr<std::vector<LabelRequirement>> Parse() {
    std::vector<LabelRequirement> out;
    for (;;) {
      const Item& next = Lookahead(Context::kValues);
      if (next.tok == Tok::kEnd) return out;
      if (next.tok != Tok::kIdentifier && next.tok != Tok::kNot) {
        return Error(absl::StrCat("found '", next.lit, "', expected: !, identifier, or 'end of string'"));
      }
      absl::StatusOr<LabelRequirement> r = ParseRequirement();
      if (!r.ok()) return Error(absl::StrCat("unable to parse requirement: ", r.status().message()));
      out.push_back(*std::move(r));
      Item after = Consume(Context::kValues);
      if (after.tok == Tok::kEnd) return out;
      if (after.tok != Tok::kComma) {
        return Error(absl::StrCat("found '", after.lit, "', expected: ',' or 'end of string'"));
      }
      const Item& following = Lookahead(Context::kValues);
      if (following.tok != Tok::kIdentifier && following.tok != Tok::kNot) {
        return Error(absl::StrCat("found '", following.lit, "', expected: identifier after ','"));
      }
    }
  }

 private:
  static absl::Status Error(std::string_view message) { return absl::InvalidArgumentError(Av(message)); }

  // In a values context the keywords `in` and `notin` are plain identifiers.
  Item Adjust(Item item, Context ctx) const {
    if (ctx == Context::kValues && (item.tok == Tok::kIn || item.tok == Tok::kNotIn))
      item.tok = Tok::kIdentifier;
    return item;
  }
  Item Lookahead(Context ctx) const { return Adjust(items_[std::min(pos_, items_.size() - 1)], ctx); }
  Item Consume(Context ctx) {
    Item item = Lookahead(ctx);
    if (pos_ + 1 < items_.size()) ++pos_;  // the end token is never consumed past
    return item;
  }

  absl::StatusOr<LabelRequirement> ParseRequirement() {
    LabelRequirement r;
    bool negated = false;
    Item item = Consume(Context::kValues);
    if (item.tok == Tok::kNot) {
      negated = true;
      item = Consume(Context::kValues);
    }
    if (item.tok != Tok::kIdentifier)
      return Error(absl::StrCat("found '", item.lit, "', expected: identifier"));
    if (std::string e = LabelKeyError("<nil>", item.lit); !e.empty()) return Error(e);
    r.key = item.lit;
    Tok next = Lookahead(Context::kValues).tok;
    if (negated || next == Tok::kEnd || next == Tok::kComma) {
      r.op = negated ? LabelOperator::kDoesNotExist : LabelOperator::kExists;
      return r;
    }
    absl::Status status = ParseOperator(r);
    if (!status.ok()) return status;
    status =
        (r.op == LabelOperator::kIn || r.op == LabelOperator::kNotIn) ? ParseValueSet(r) : ParseExactValue(r);
    if (!status.ok()) return status;
    std::vector<std::string> errs = RequirementErrors(r);
    if (!errs.empty()) return Error(AggregateText(errs));
    return r;
  }

  absl::Status ParseOperator(LabelRequirement& r) {
    Item item = Consume(Context::kKeyAndOperator);
    switch (item.tok) {
      case Tok::kIn:
        r.op = LabelOperator::kIn;
        break;
      case Tok::kEquals:
        r.op = LabelOperator::kEquals;
        break;
      case Tok::kDoubleEquals:
        r.op = LabelOperator::kDoubleEquals;
        break;
      case Tok::kGreater:
        r.op = LabelOperator::kGreaterThan;
        break;
      case Tok::kLess:
        r.op = LabelOperator::kLessThan;
        break;
      case Tok::kNotIn:
        r.op = LabelOperator::kNotIn;
        break;
      case Tok::kNotEquals:
        r.op = LabelOperator::kNotEquals;
        break;
      default:
        return Error(absl::StrCat("found '", item.lit, "', expected: in, notin, =, ==, !=, gt, lt"));
    }
    return absl::OkStatus();
  }

  // "(a,b)" with empty members allowed: "()" and "(,a)" contain the empty value.
  absl::Status ParseValueSet(LabelRequirement& r) {
    Item open = Consume(Context::kValues);
    if (open.tok != Tok::kOpenPar) return Error(absl::StrCat("found '", open.lit, "' expected: '('"));
    Item first = Lookahead(Context::kValues);
    if (first.tok == Tok::kClosePar) {
      Consume(Context::kValues);
      r.values = {""};
      return absl::OkStatus();
    }
    if (first.tok != Tok::kIdentifier && first.tok != Tok::kComma) {
      return Error(absl::StrCat("found '", first.lit, "', expected: ',', ')' or identifier"));
    }
    absl::Status status = ParseIdentifierList(r.values);
    if (!status.ok()) return status;
    // Kubernetes names the token that opened the list here, not the offending one.
    if (Consume(Context::kValues).tok != Tok::kClosePar) {
      return Error(absl::StrCat("found '", first.lit, "', expected: ')'"));
    }
    std::sort(r.values.begin(), r.values.end());
    r.values.erase(std::unique(r.values.begin(), r.values.end()), r.values.end());
    return absl::OkStatus();
  }

  absl::Status ParseIdentifierList(std::vector<std::string>& values) {
    for (;;) {
      Item item = Consume(Context::kValues);
      if (item.tok == Tok::kIdentifier) {
        values.push_back(item.lit);
        Item next = Lookahead(Context::kValues);
        if (next.tok == Tok::kComma) continue;
        if (next.tok == Tok::kClosePar) return absl::OkStatus();
        return Error(absl::StrCat("found '", next.lit, "', expected: ',' or ')'"));
      }
      if (item.tok == Tok::kComma) {
        if (values.empty()) values.push_back("");  // "(,"
        Tok next = Lookahead(Context::kValues).tok;
        if (next == Tok::kClosePar) {
          values.push_back("");  // ",)"
          return absl::OkStatus();
        }
        if (next == Tok::kComma) {
          Consume(Context::kValues);
          values.push_back("");  // ",,"
        }
        continue;
      }
      return Error(absl::StrCat("found '", item.lit, "', expected: ',', or identifier"));
    }
  }

  absl::Status ParseExactValue(LabelRequirement& r) {
    Tok next = Lookahead(Context::kValues).tok;
    if (next == Tok::kEnd || next == Tok::kComma) {
      r.values = {""};
      return absl::OkStatus();
    }
    Item item = Consume(Context::kValues);
    if (item.tok != Tok::kIdentifier)
      return Error(absl::StrCat("found '", item.lit, "', expected: identifier"));
    r.values = {item.lit};
    return absl::OkStatus();
  }

  std::vector<Item> items_;
  std::size_t pos_ = 0;
};

void SortByKey(std::vector<LabelRequirement>& requirements) {
  std::stable_sort(requirements.begin(), requirements.end(),
                   [](const LabelRequirement& a, const LabelRequirement& b) { return a.key < b.key; });
}

std::optional<std::string_view> LabelValueView(const boost::json::value* labels, std::string_view key) {
  if (labels == nullptr || !labels->is_object()) return std::nullopt;
  const boost::json::object& obj = labels->get_object();
  auto it = obj.find(key);
  if (it == obj.end() || !it->value().is_string()) return std::nullopt;
  const boost::json::string& s = it->value().get_string();
  return std::string_view(s.data(), s.size());
}

// ---- metav1.LabelSelector object validation (ValidateLabelSelector). ----

class SelectorValidator {
 public:
  explicit SelectorValidator(std::vector<LabelSelectorError>& out) : out_(out) {}

  void Invalid(std::string field, const boost::json::value& bad, std::string_view detail) {
    out_.push_back({std::move(field), "FieldValueInvalid",
                    absl::StrCat("Invalid value: ", GoJsonValueText(bad), detail.empty() ? "" : ": ", Av(detail)),
                    bad, std::string(detail)});
  }
  void Required(std::string field, std::string_view detail) {
    out_.push_back({std::move(field), "FieldValueRequired",
                    absl::StrCat("Required value", detail.empty() ? "" : ": ", Av(detail)), nullptr,
                    std::string(detail)});
  }
  void Forbidden(std::string field, std::string_view detail) {
    out_.push_back({std::move(field), "FieldValueForbidden", absl::StrCat("Forbidden: ", Av(detail)), nullptr,
                    std::string(detail)});
  }
  void TypeInvalid(std::string field, const boost::json::value& v, std::string_view expected) {
    std::string detail = absl::StrCat("must be ", Av(expected));
    out_.push_back({std::move(field), "FieldValueTypeInvalid",
                    absl::StrCat("Invalid value: ", GoJsonValueText(v), ": ", detail), v, detail});
  }
  void LabelKey(const std::string& field, std::string_view key) {
    for (const std::string& msg : ValidateLabelKey(key)) Invalid(field, boost::json::string(key), msg);
  }
  void LabelValue(const std::string& field, std::string_view value) {
    for (const std::string& msg : ValidateLabelValue(value)) Invalid(field, boost::json::string(value), msg);
  }

 private:
  std::vector<LabelSelectorError>& out_;
};

std::string_view View(const boost::json::string& s) { return std::string_view(s.data(), s.size()); }

std::string Child(std::string_view path, std::string_view name) {
  return path.empty() ? std::string(name) : absl::StrCat(Av(path), ".", Av(name));
}

}  // namespace

// ---- LabelRequirement ----

bool LabelRequirement::Matches(const boost::json::value* labels) const {
  std::optional<std::string_view> have = LabelValueView(labels, key);
  auto has_value = [&](std::string_view v) {
    return std::find(values.begin(), values.end(), v) != values.end();
  };
  switch (op) {
    case LabelOperator::kIn:
    case LabelOperator::kEquals:
    case LabelOperator::kDoubleEquals:
      return have && has_value(*have);
    case LabelOperator::kNotIn:
    case LabelOperator::kNotEquals:
      return !have || !has_value(*have);
    case LabelOperator::kExists:
      return have.has_value();
    case LabelOperator::kDoesNotExist:
      return !have;
    case LabelOperator::kGreaterThan:
    case LabelOperator::kLessThan: {
      if (!have || values.size() != 1) return false;
      std::optional<int64_t> label_number = ParseGoInt64(*have);
      std::optional<int64_t> bound = ParseGoInt64(values[0]);
      if (!label_number || !bound) return false;
      return op == LabelOperator::kGreaterThan ? *label_number > *bound : *label_number < *bound;
    }
  }
  return false;
}

std::string LabelRequirement::String() const {
  std::string out;
  if (op == LabelOperator::kDoesNotExist) out = "!";
  out += key;
  switch (op) {
    case LabelOperator::kExists:
    case LabelOperator::kDoesNotExist:
      return out;
    case LabelOperator::kIn:
      out += " in (";
      break;
    case LabelOperator::kNotIn:
      out += " notin (";
      break;
    case LabelOperator::kGreaterThan:
      out += ">";
      break;
    case LabelOperator::kLessThan:
      out += "<";
      break;
    case LabelOperator::kEquals:
      out += "=";
      break;
    case LabelOperator::kDoubleEquals:
      out += "==";
      break;
    case LabelOperator::kNotEquals:
      out += "!=";
      break;
  }
  std::vector<std::string> sorted = values;
  std::sort(sorted.begin(), sorted.end());
  out += absl::StrJoin(sorted, ",");
  if (op == LabelOperator::kIn || op == LabelOperator::kNotIn) out += ")";
  return out;
}

std::string LabelSelectorError::ToString() const { return absl::StrCat(field, ": ", message); }

// ---- LabelSelector ----

LabelSelector LabelSelector::Nothing() {
  LabelSelector s;
  s.nothing_ = true;
  return s;
}

absl::StatusOr<LabelSelector> LabelSelector::Parse(std::string_view text) {
  absl::StatusOr<std::vector<LabelRequirement>> requirements = Parser(text).Parse();
  if (!requirements.ok()) return requirements.status();
  LabelSelector s;
  s.requirements_ = *std::move(requirements);
  SortByKey(s.requirements_);
  return s;
}

std::vector<LabelSelectorError> LabelSelector::Validate(const boost::json::value& selector,
                                                        std::string_view field_path) {
  std::vector<LabelSelectorError> errors;
  SelectorValidator v(errors);
  if (selector.is_null()) return errors;
  if (!selector.is_object()) {
    v.TypeInvalid(std::string(field_path), selector, "an object");
    return errors;
  }
  const boost::json::object& obj = selector.get_object();
  std::string labels_path = Child(field_path, "matchLabels");
  if (const boost::json::value* labels = obj.if_contains("matchLabels"); labels && !labels->is_null()) {
    if (!labels->is_object()) {
      v.TypeInvalid(labels_path, *labels, "an object");
    } else {
      for (const auto& [k, val] : labels->get_object()) {
        v.LabelKey(labels_path, View(k));
        if (!val.is_string()) {
          v.TypeInvalid(Child(labels_path, View(k)), val, "a string");
          continue;
        }
        v.LabelValue(labels_path, View(val.get_string()));
      }
    }
  }
  std::string exprs_path = Child(field_path, "matchExpressions");
  const boost::json::value* exprs = obj.if_contains("matchExpressions");
  if (exprs == nullptr || exprs->is_null()) return errors;
  if (!exprs->is_array()) {
    v.TypeInvalid(exprs_path, *exprs, "an array");
    return errors;
  }
  const boost::json::array& list = exprs->get_array();
  for (std::size_t i = 0; i < list.size(); ++i) {
    std::string path = absl::StrCat(exprs_path, "[", i, "]");
    if (!list[i].is_object()) {
      v.TypeInvalid(path, list[i], "an object");
      continue;
    }
    const boost::json::object& expr = list[i].get_object();
    std::string key, op;
    if (const boost::json::value* k = expr.if_contains("key"); k && k->is_string())
      key = View(k->get_string());
    else if (k && !k->is_null())
      v.TypeInvalid(path + ".key", *k, "a string");
    if (const boost::json::value* o = expr.if_contains("operator"); o && o->is_string())
      op = View(o->get_string());
    else if (o && !o->is_null())
      v.TypeInvalid(path + ".operator", *o, "a string");
    std::vector<std::string> values;
    const std::string values_path = path + ".values";
    if (const boost::json::value* vals = expr.if_contains("values"); vals && !vals->is_null()) {
      if (!vals->is_array()) {
        v.TypeInvalid(values_path, *vals, "an array");
      } else {
        for (std::size_t j = 0; j < vals->get_array().size(); ++j) {
          const boost::json::value& item = vals->get_array()[j];
          if (item.is_string())
            values.emplace_back(View(item.get_string()));
          else
            v.TypeInvalid(absl::StrCat(values_path, "[", j, "]"), item, "a string");
        }
      }
    }
    if (op == "In" || op == "NotIn") {
      if (values.empty()) v.Required(values_path, "must be specified when `operator` is 'In' or 'NotIn'");
    } else if (op == "Exists" || op == "DoesNotExist") {
      if (!values.empty())
        v.Forbidden(values_path, "may not be specified when `operator` is 'Exists' or 'DoesNotExist'");
    } else {
      v.Invalid(path + ".operator", boost::json::string(op), "not a valid selector operator");
    }
    v.LabelKey(path + ".key", key);
    for (std::size_t j = 0; j < values.size(); ++j) {
      v.LabelValue(absl::StrCat(values_path, "[", j, "]"), values[j]);
    }
  }
  return errors;
}

absl::StatusOr<LabelSelector> LabelSelector::FromJson(const boost::json::value& selector,
                                                      std::string_view field_path) {
  if (selector.is_null()) return Nothing();
  std::vector<LabelSelectorError> errors = Validate(selector, field_path);
  if (!errors.empty()) {
    std::vector<std::string> texts;
    for (const LabelSelectorError& e : errors) texts.push_back(e.ToString());
    return absl::InvalidArgumentError(AggregateText(texts));
  }
  LabelSelector s;
  const boost::json::object& obj = selector.get_object();
  if (const boost::json::value* labels = obj.if_contains("matchLabels"); labels && labels->is_object()) {
    for (const auto& [k, val] : labels->get_object()) {
      s.requirements_.push_back(
          {std::string(View(k)), LabelOperator::kEquals, {std::string(View(val.get_string()))}});
    }
  }
  if (const boost::json::value* exprs = obj.if_contains("matchExpressions"); exprs && exprs->is_array()) {
    for (const boost::json::value& item : exprs->get_array()) {
      const boost::json::object& expr = item.get_object();
      LabelRequirement r;
      r.key = View(expr.at("key").get_string());
      std::string_view op = View(expr.at("operator").get_string());
      if (op == "In")
        r.op = LabelOperator::kIn;
      else if (op == "NotIn")
        r.op = LabelOperator::kNotIn;
      else if (op == "Exists")
        r.op = LabelOperator::kExists;
      else
        r.op = LabelOperator::kDoesNotExist;
      if (const boost::json::value* vals = expr.if_contains("values"); vals && vals->is_array()) {
        for (const boost::json::value& val : vals->get_array()) r.values.emplace_back(View(val.get_string()));
      }
      s.requirements_.push_back(std::move(r));
    }
  }
  SortByKey(s.requirements_);
  return s;
}

bool LabelSelector::Matches(const boost::json::value* labels) const {
  if (nothing_) return false;
  for (const LabelRequirement& r : requirements_) {
    if (!r.Matches(labels)) return false;
  }
  return true;
}

std::string LabelSelector::String() const {
  std::vector<std::string> parts;
  parts.reserve(requirements_.size());
  for (const LabelRequirement& r : requirements_) parts.push_back(r.String());
  return absl::StrJoin(parts, ",");
}

const std::string* LabelSelector::RequiresExactMatch(std::string_view key) const {
  for (const LabelRequirement& r : requirements_) {
    if (r.key != key) continue;
    bool exact =
        r.op == LabelOperator::kEquals || r.op == LabelOperator::kDoubleEquals || r.op == LabelOperator::kIn;
    return exact && r.values.size() == 1 ? &r.values[0] : nullptr;
  }
  return nullptr;
}

}  // namespace skiff::api
