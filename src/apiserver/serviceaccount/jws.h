// JWS compact serialization (RFC 7515) of JSON claims signed with a SigningKey: the header
// {"alg":"ES256","kid":...}, the claims, and the signature, each base64url without padding.
// Thread-safety: pure functions. Ownership: values; borrows the key.
// Failure: ParseJws returns Unauthenticated for anything that is not a well-formed ES256 JWS with
// JSON object header and claims; signing errors come from the key.
#ifndef SKIFF_APISERVER_SERVICEACCOUNT_JWS_H_
#define SKIFF_APISERVER_SERVICEACCOUNT_JWS_H_

#include <string>
#include "absl/strings/string_view.h"

#include "absl/status/statusor.h"
#include "apiserver/serviceaccount/signing_key.h"
#include "boost/json/object.hpp"

namespace skiff::apiserver::serviceaccount {

// "<header>.<claims>.<signature>".
absl::StatusOr<std::string> SignJws(const boost::json::object& claims, const SigningKey& key);

struct Jws {
  boost::json::object header;
  boost::json::object claims;
  std::string signing_input;  // "<header>.<claims>" as received
  std::string signature;      // decoded bytes
};

// Splits and decodes a token without checking its signature (see SigningKey::Verify).
absl::StatusOr<Jws> ParseJws(absl::string_view token);

// Whether `token` has the shape of a JWS (three base64url parts): worth trying as a JWT at all.
bool LooksLikeJws(absl::string_view token);

}  // namespace skiff::apiserver::serviceaccount

#endif  // SKIFF_APISERVER_SERVICEACCOUNT_JWS_H_
