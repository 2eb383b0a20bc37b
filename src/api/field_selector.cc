#include "api/field_selector.h"

#include "base/strings.h"

#include <algorithm>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

namespace skiff::api {
namespace {

using base::Av;

// Splits on commas not preceded by an escaping backslash; escapes stay in the terms.
std::vector<std::string> SplitTerms(std::string_view text) {
  std::vector<std::string> terms;
  if (text.empty()) return terms;
  std::size_t start = 0;
  bool escaped = false;
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (escaped) {
      escaped = false;
    } else if (text[i] == '\\') {
      escaped = true;
    } else if (text[i] == ',') {
      terms.emplace_back(text.substr(start, i - start));
      start = i + 1;
    }
  }
  terms.emplace_back(text.substr(start));
  return terms;
}

struct SplitTerm {
  std::string_view lhs;
  std::string_view op;
  std::string_view rhs;
};

// Splits at the earliest operator; at one position "!=" wins, then "==", then "=".
std::optional<SplitTerm> SplitAtOperator(std::string_view term) {
  for (std::size_t i = 0; i < term.size(); ++i) {
    std::string_view rest = term.substr(i);
    for (std::string_view op : {"!=", "==", "="}) {
      if (rest.substr(0, op.size()) == op) return SplitTerm{term.substr(0, i), op, rest.substr(op.size())};
    }
  }
  return std::nullopt;
}

}  // namespace

std::string EscapeFieldSelectorValue(std::string_view value) {
  std::string out;
  out.reserve(value.size());
  for (char c : value) {
    if (c == '\\' || c == ',' || c == '=') out.push_back('\\');
    out.push_back(c);
  }
  return out;
}

absl::StatusOr<std::string> UnescapeFieldSelectorValue(std::string_view value) {
  std::string out;
  out.reserve(value.size());
  bool escaped = false;
  for (std::size_t i = 0; i < value.size(); ++i) {
    char c = value[i];
    if (escaped) {
      if (c != '\\' && c != ',' && c != '=') {
        // Name the whole (UTF-8) character after the backslash, as Go does.
        std::size_t end = i + 1;
        while (end < value.size() && (static_cast<unsigned char>(value[end]) & 0xC0) == 0x80) ++end;
        return absl::InvalidArgumentError(absl::StrCat("invalid field selector: invalid escape sequence: \\",
                                                       Av(value.substr(i, end - i))));
      }
      out.push_back(c);
      escaped = false;
    } else if (c == '\\') {
      escaped = true;
    } else if (c == ',' || c == '=') {
      // Go prints the rune's code point here (`%v` of a rune).
      return absl::InvalidArgumentError(
          absl::StrCat("invalid field selector: unescaped character in value: ", static_cast<int>(c)));
    } else {
      out.push_back(c);
    }
  }
  if (escaped) return absl::InvalidArgumentError("invalid field selector: invalid escape sequence: \\");
  return out;
}

absl::StatusOr<FieldSelector> FieldSelector::Parse(std::string_view text) {
  std::vector<std::string> terms = SplitTerms(text);
  std::sort(terms.begin(), terms.end());
  FieldSelector selector;
  for (const std::string& term : terms) {
    if (term.empty()) continue;
    std::optional<SplitTerm> split = SplitAtOperator(term);
    if (!split) {
      return absl::InvalidArgumentError(
          absl::StrCat("invalid selector: '", Av(text), "'; can't understand '", term, "'"));
    }
    absl::StatusOr<std::string> value = UnescapeFieldSelectorValue(split->rhs);
    if (!value.ok()) return value.status();
    selector.requirements_.push_back({std::string(split->lhs), split->op == "!=", *std::move(value)});
  }
  return selector;
}

std::vector<std::string> FieldSelector::UnsupportedFields(const FieldGetter& getter) const {
  std::vector<std::string> out;
  for (const FieldRequirement& r : requirements_) {
    if (getter(r.field).has_value()) continue;
    if (std::find(out.begin(), out.end(), r.field) == out.end()) out.push_back(r.field);
  }
  return out;
}

absl::Status FieldSelector::CheckSupported(const FieldGetter& getter) const {
  std::vector<std::string> unsupported = UnsupportedFields(getter);
  if (unsupported.empty()) return absl::OkStatus();
  return absl::InvalidArgumentError(absl::StrCat("field label not supported: ", unsupported[0]));
}

bool FieldSelector::Matches(const FieldGetter& getter) const {
  for (const FieldRequirement& r : requirements_) {
    std::string have = getter(r.field).value_or("");
    if ((have == r.value) == r.negated) return false;
  }
  return true;
}

std::optional<std::string> FieldSelector::RequiresExactMatch(std::string_view field) const {
  for (const FieldRequirement& r : requirements_) {
    if (r.field == field && !r.negated) return r.value;
  }
  return std::nullopt;
}

std::string FieldSelector::String() const {
  std::vector<std::string> parts;
  parts.reserve(requirements_.size());
  for (const FieldRequirement& r : requirements_) {
    parts.push_back(absl::StrCat(r.field, r.negated ? "!=" : "=", EscapeFieldSelectorValue(r.value)));
  }
  return absl::StrJoin(parts, ",");
}

}  // namespace skiff::api
