// Lexer: splits a CEL expression into tokens (identifiers, int/uint/double/string/bytes literals
// with all of CEL's quoting and escape forms, and punctuation), each with its byte offset.
// Thread-safety: one Lexer per parse; not shared. Ownership: tokens copy their text.
// Failure: a malformed token comes back as kError with a message; the parser reports it.
#ifndef SKIFF_API_CEL_LEXER_H_
#define SKIFF_API_CEL_LEXER_H_

#include <cstdint>
#include <string>
#include <string_view>

#include "api/cel/value.h"

namespace skiff::api::cel {

struct Token {
  enum class Kind { kEof, kError, kIdent, kLiteral, kPunct };
  Kind kind = Kind::kEof;
  int position = 0;
  std::string text;  // identifier, punctuation, the literal's source text, or the error message
  Value literal;     // kLiteral: the decoded value (an int literal out of int64 range is an error)
  bool negatable_int_min = false;  // the literal 9223372036854775808, valid only after unary '-'
};

class Lexer {
 public:
  explicit Lexer(std::string_view input) : input_(input) {}
  Token Next();

 private:
  Token Number(int start);
  Token Quoted(int start, bool raw, bool bytes);
  Token Error(int position, std::string message);
  Token IntLiteral(Token t, uint64_t v, bool is_uint, int start);
  void SkipSpaceAndComments();

  std::string_view input_;
  int pos_ = 0;
};

}  // namespace skiff::api::cel

#endif  // SKIFF_API_CEL_LEXER_H_
