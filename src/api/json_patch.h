// RFC 6902 JSON Patch (the `application/json-patch+json` PATCH body) and the RFC 6901 JSON
// Pointer helpers it is built on, plus JSON value equality shared by all patch mechanisms.
//
// Thread-safety: pure functions. Ownership: inputs are borrowed, results returned by value; the
// input document is never modified. Failure: a malformed patch, an operation whose target is
// missing, or a failed `test` is InvalidArgument whose message names the operation and the path,
// e.g. `jsonpatch replace operation does not apply: doc is missing key: /spec/foo` (the API
// turns it into 422 Invalid). `copy` operations are bounded in total size so that a small patch
// cannot build a huge document; exceeding the bound is InvalidArgument too.
#ifndef SKIFF_API_JSON_PATCH_H_
#define SKIFF_API_JSON_PATCH_H_

#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "boost/json/value.hpp"

namespace skiff::api {

// Deep equality where numbers compare by numeric value (1, 1u and 1.0 are equal) and object key
// order does not matter; this is how Kubernetes' Go code compares decoded JSON.
bool JsonEqual(const boost::json::value& a, const boost::json::value& b);

// Splits a JSON pointer ("" or "/a/b~1c") into unescaped reference tokens ({"a", "b/c"}).
// InvalidArgument if it does not start with "/" or has a bad "~" escape.
absl::StatusOr<std::vector<std::string>> ParseJsonPointer(std::string_view pointer);

// Escapes one reference token ("~" -> "~0", "/" -> "~1").
std::string EscapeJsonPointerToken(std::string_view token);

// Builds a pointer from unescaped tokens ({"a", "b/c"} -> "/a/b~1c").
std::string MakeJsonPointer(const std::vector<std::string>& tokens);

// The value `pointer` designates inside `doc`, or nullptr if it is absent or malformed.
const boost::json::value* ResolveJsonPointer(const boost::json::value& doc, std::string_view pointer);

// Applies `patch` (a JSON array of operations: add, remove, replace, move, copy, test) to a copy
// of `doc` and returns the result. The operations apply in order; the first failure aborts.
absl::StatusOr<boost::json::value> ApplyJsonPatch(const boost::json::value& doc,
                                                  const boost::json::value& patch);

}  // namespace skiff::api

#endif  // SKIFF_API_JSON_PATCH_H_
