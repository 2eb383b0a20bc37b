#include "api/cel/lexer.h"

#include <cerrno>
#include <cstdint>
#include <utility>
#include <cstdlib>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "api/go_format.h"
#include "base/strings.h"

namespace skiff::api::cel {
namespace {

bool IsIdentStart(char c) { return absl::ascii_isalpha(static_cast<unsigned char>(c)) || c == '_'; }
bool IsIdentChar(char c) { return absl::ascii_isalnum(static_cast<unsigned char>(c)) || c == '_'; }
bool IsDigit(char c) { return c >= '0' && c <= '9'; }

void AppendUtf8(std::string* out, uint32_t cp) {
  if (cp < 0x80) {
    out->push_back(static_cast<char>(cp));
  } else if (cp < 0x800) {
    out->push_back(static_cast<char>(0xC0 | (cp >> 6)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else if (cp < 0x10000) {
    out->push_back(static_cast<char>(0xE0 | (cp >> 12)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else {
    out->push_back(static_cast<char>(0xF0 | (cp >> 18)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  }
}

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// Two-character punctuation first, then single characters.
constexpr std::string_view kPunct2[] = {"<=", ">=", "==", "!=", "&&", "||"};
constexpr std::string_view kPunct1 = "()[]{}.,:?!-+*/%<>";

}  // namespace

Token Lexer::Error(int position, std::string message) {
  Token t;
  t.kind = Token::Kind::kError;
  t.position = position;
  t.text = std::move(message);
  pos_ = static_cast<int>(input_.size());
  return t;
}

void Lexer::SkipSpaceAndComments() {
  while (pos_ < static_cast<int>(input_.size())) {
    char c = input_[pos_];
    if (c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f') {
      ++pos_;
    } else if (c == '/' && pos_ + 1 < static_cast<int>(input_.size()) && input_[pos_ + 1] == '/') {
      while (pos_ < static_cast<int>(input_.size()) && input_[pos_] != '\n') ++pos_;
    } else {
      return;
    }
  }
}

Token Lexer::Next() {
  SkipSpaceAndComments();
  Token t;
  t.position = pos_;
  const int n = static_cast<int>(input_.size());
  if (pos_ >= n) return t;
  char c = input_[pos_];
  // String and bytes literals, with optional r/b prefixes in either order and case.
  {
    int p = pos_;
    bool raw = false, bytes = false;
    for (int i = 0; i < 2 && p < n; ++i) {
      char d = input_[p];
      if ((d == 'r' || d == 'R') && !raw) {
        raw = true;
        ++p;
      } else if ((d == 'b' || d == 'B') && !bytes) {
        bytes = true;
        ++p;
      } else {
        break;
      }
    }
    if (p < n && (input_[p] == '"' || input_[p] == '\'')) {
      int start = pos_;
      pos_ = p;
      return Quoted(start, raw, bytes);
    }
  }
  if (IsIdentStart(c)) {
    int start = pos_;
    while (pos_ < n && IsIdentChar(input_[pos_])) ++pos_;
    t.kind = Token::Kind::kIdent;
    t.text = std::string(input_.substr(start, pos_ - start));
    return t;
  }
  if (IsDigit(c) || (c == '.' && pos_ + 1 < n && IsDigit(input_[pos_ + 1]))) return Number(pos_);
  for (std::string_view p : kPunct2) {
    if (input_.substr(pos_, 2) == p) {
      pos_ += 2;
      t.kind = Token::Kind::kPunct;
      t.text = std::string(p);
      return t;
    }
  }
  if (kPunct1.find(c) != std::string_view::npos) {
    ++pos_;
    t.kind = Token::Kind::kPunct;
    t.text = std::string(1, c);
    return t;
  }
  return Error(pos_, absl::StrCat("token recognition error at: '", base::Av(input_.substr(pos_, 1)), "'"));
}

// Sets an integer literal's value: a uint as read; an int up to INT64_MAX, or INT64_MIN's magnitude,
// which only a unary minus may take (CEL's -9223372036854775808).
Token Lexer::IntLiteral(Token t, uint64_t v, bool is_uint, int start) {
  if (is_uint) {
    t.literal = Value::Uint(v);
  } else if (v > static_cast<uint64_t>(INT64_MAX)) {
    if (v != static_cast<uint64_t>(INT64_MAX) + 1) return Error(start, absl::StrCat("invalid int literal: ", t.text));
    t.negatable_int_min = true;
    t.literal = Value::Int(INT64_MIN);
  } else {
    t.literal = Value::Int(static_cast<int64_t>(v));
  }
  return t;
}

Token Lexer::Number(int start) {
  const int n = static_cast<int>(input_.size());
  Token t;
  t.kind = Token::Kind::kLiteral;
  t.position = start;
  if (input_[pos_] == '0' && pos_ + 1 < n && (input_[pos_ + 1] == 'x' || input_[pos_ + 1] == 'X')) {
    pos_ += 2;
    int digits = pos_;
    while (pos_ < n && HexValue(input_[pos_]) >= 0) ++pos_;
    std::string hex(input_.substr(digits, pos_ - digits));
    bool is_uint = pos_ < n && (input_[pos_] == 'u' || input_[pos_] == 'U');
    if (is_uint) ++pos_;
    t.text = std::string(input_.substr(start, pos_ - start));
    uint64_t v = 0;
    if (hex.empty() || !absl::SimpleHexAtoi(hex, &v)) return Error(start, absl::StrCat("invalid int literal: ", t.text));
    return IntLiteral(std::move(t), v, is_uint, start);
  }
  while (pos_ < n && IsDigit(input_[pos_])) ++pos_;
  bool is_double = false;
  if (pos_ + 1 < n && input_[pos_] == '.' && IsDigit(input_[pos_ + 1])) {
    is_double = true;
    ++pos_;
    while (pos_ < n && IsDigit(input_[pos_])) ++pos_;
  }
  if (pos_ < n && (input_[pos_] == 'e' || input_[pos_] == 'E')) {
    int save = pos_;
    ++pos_;
    if (pos_ < n && (input_[pos_] == '+' || input_[pos_] == '-')) ++pos_;
    if (pos_ < n && IsDigit(input_[pos_])) {
      is_double = true;
      while (pos_ < n && IsDigit(input_[pos_])) ++pos_;
    } else {
      pos_ = save;
    }
  }
  std::string text(input_.substr(start, pos_ - start));
  if (is_double) {
    t.text = text;
    errno = 0;
    double d = std::strtod(text.c_str(), nullptr);
    t.literal = Value::Double(d);
    return t;
  }
  bool is_uint = pos_ < n && (input_[pos_] == 'u' || input_[pos_] == 'U');
  if (is_uint) ++pos_;
  t.text = std::string(input_.substr(start, pos_ - start));
  uint64_t v = 0;
  if (!absl::SimpleAtoi(text, &v)) return Error(start, absl::StrCat("invalid ", is_uint ? "uint" : "int", " literal: ", t.text));
  return IntLiteral(std::move(t), v, is_uint, start);
}

Token Lexer::Quoted(int start, bool raw, bool bytes) {
  const int n = static_cast<int>(input_.size());
  char q = input_[pos_];
  bool triple = pos_ + 2 < n && input_[pos_ + 1] == q && input_[pos_ + 2] == q;
  pos_ += triple ? 3 : 1;
  std::string out;
  while (true) {
    if (pos_ >= n) return Error(start, "unterminated string literal");
    char c = input_[pos_];
    if (triple ? (c == q && pos_ + 2 < n && input_[pos_ + 1] == q && input_[pos_ + 2] == q) : c == q) {
      pos_ += triple ? 3 : 1;
      break;
    }
    if (!triple && (c == '\n' || c == '\r')) return Error(start, "unterminated string literal");
    if (c != '\\' || raw) {
      out.push_back(c);
      ++pos_;
      continue;
    }
    // Escape sequence.
    int esc = pos_;
    if (++pos_ >= n) return Error(start, "unterminated string literal");
    char e = input_[pos_++];
    switch (e) {
      case 'a': out.push_back('\a'); break;
      case 'b': out.push_back('\b'); break;
      case 'f': out.push_back('\f'); break;
      case 'n': out.push_back('\n'); break;
      case 'r': out.push_back('\r'); break;
      case 't': out.push_back('\t'); break;
      case 'v': out.push_back('\v'); break;
      case '\\': case '?': case '"': case '\'': case '`': out.push_back(e); break;
      case 'x': case 'X': case 'u': case 'U': {
        int len = (e == 'x' || e == 'X') ? 2 : (e == 'u' ? 4 : 8);
        if ((e == 'u' || e == 'U') && bytes) return Error(esc, "invalid escape sequence in bytes literal");
        uint32_t cp = 0;
        for (int i = 0; i < len; ++i) {
          int h = pos_ < n ? HexValue(input_[pos_]) : -1;
          if (h < 0) return Error(esc, "invalid escape sequence");
          cp = cp * 16 + h;
          ++pos_;
        }
        if (bytes) {
          out.push_back(static_cast<char>(cp));
        } else {
          if (cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return Error(esc, "invalid unicode code point");
          AppendUtf8(&out, cp);
        }
        break;
      }
      case '0': case '1': case '2': case '3': {
        uint32_t v = e - '0';
        for (int i = 0; i < 2; ++i) {
          if (pos_ >= n || input_[pos_] < '0' || input_[pos_] > '7') return Error(esc, "invalid escape sequence");
          v = v * 8 + (input_[pos_++] - '0');
        }
        if (bytes) {
          out.push_back(static_cast<char>(v));
        } else {
          AppendUtf8(&out, v);
        }
        break;
      }
      default: return Error(esc, "invalid escape sequence");
    }
  }
  Token t;
  t.kind = Token::Kind::kLiteral;
  t.position = start;
  t.text = std::string(input_.substr(start, pos_ - start));
  if (bytes) {
    t.literal = Value::BytesOf(std::move(out));
  } else {
    if (!IsValidUtf8(out)) return Error(start, "invalid UTF-8 in string literal");
    t.literal = Value::String(std::move(out));
  }
  return t;
}

}  // namespace skiff::api::cel
