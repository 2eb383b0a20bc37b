// Go-compatible text helpers, so skiff's messages read exactly like the Go API server's:
// strconv.Quote (`%q`), `%#v` of a []string, strconv.ParseInt(s, 10, 64).
// Thread-safety: pure functions. Ownership: results by value. Failure: ParseGoInt64 returns
// nullopt for anything Go would reject (empty, junk, overflow).
#ifndef SKIFF_API_GO_FORMAT_H_
#define SKIFF_API_GO_FORMAT_H_

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "boost/json/value.hpp"

namespace skiff::api {

// Double-quoted with Go escapes: `"a\"b\n"`; invalid UTF-8 bytes become \xNN.
std::string GoQuote(std::string_view s);
// `[]string{"a", "b"}` (empty: `[]string{}`).
std::string GoStringSlice(const std::vector<std::string>& values);
// Optional sign then decimal digits, within int64 range.
std::optional<int64_t> ParseGoInt64(std::string_view s);
// True when `s` is well-formed UTF-8 (no overlong forms, surrogates or code points past
// U+10FFFF), as Go's utf8.ValidString and JSON parsers require.
bool IsValidUtf8(std::string_view s);
// A JSON value for an error message: strings GoQuote'd, everything else compact JSON.
std::string GoJsonValueText(const boost::json::value& v);

}  // namespace skiff::api

#endif  // SKIFF_API_GO_FORMAT_H_
