#include "apiserver/serviceaccount/jws.h"

#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "base/json.h"
#include "boost/json.hpp"

namespace skiff::apiserver::serviceaccount {
namespace {

// Tokens are at most a few KB; this bounds the work spent on garbage in an Authorization header.
constexpr size_t kMaxTokenBytes = 64 * 1024;

bool IsBase64UrlPart(absl::string_view part) {
  if (part.empty()) return false;
  for (char c : part) {
    if (!absl::ascii_isalnum(static_cast<unsigned char>(c)) && c != '-' && c != '_') return false;
  }
  return true;
}

absl::StatusOr<boost::json::object> DecodeObjectPart(absl::string_view part, absl::string_view what) {
  std::string raw;
  if (!absl::WebSafeBase64Unescape(part, &raw)) {
    return absl::UnauthenticatedError(absl::StrCat("malformed token ", what));
  }
  auto parsed = base::ParseJson(raw);
  if (!parsed.ok() || !parsed->is_object()) {
    return absl::UnauthenticatedError(absl::StrCat("token ", what, " is not a JSON object"));
  }
  return std::move(parsed->as_object());
}

}  // namespace

absl::StatusOr<std::string> SignJws(const boost::json::object& claims, const SigningKey& key) {
  boost::json::object header{{"alg", SigningKey::kAlgorithm}, {"kid", key.key_id()}};
  std::string input = absl::StrCat(absl::WebSafeBase64Escape(boost::json::serialize(header)), ".",
                                   absl::WebSafeBase64Escape(boost::json::serialize(claims)));
  auto signature = key.Sign(input);
  if (!signature.ok()) return signature.status();
  return absl::StrCat(input, ".", absl::WebSafeBase64Escape(*signature));
}

bool LooksLikeJws(absl::string_view token) {
  if (token.size() > kMaxTokenBytes) return false;
  std::vector<absl::string_view> parts = absl::StrSplit(token, '.');
  if (parts.size() != 3) return false;
  for (absl::string_view p : parts) {
    if (!IsBase64UrlPart(p)) return false;
  }
  return true;
}

absl::StatusOr<Jws> ParseJws(absl::string_view token) {
  if (!LooksLikeJws(token)) return absl::UnauthenticatedError("token is not a JWS in compact form");
  std::vector<absl::string_view> parts = absl::StrSplit(token, '.');
  Jws out;
  auto header = DecodeObjectPart(parts[0], "header");
  if (!header.ok()) return header.status();
  out.header = std::move(*header);
  if (base::GetString(out.header, {"alg"}) != SigningKey::kAlgorithm) {
    return absl::UnauthenticatedError("token is not signed with ES256");
  }
  auto claims = DecodeObjectPart(parts[1], "claims");
  if (!claims.ok()) return claims.status();
  out.claims = std::move(*claims);
  if (!absl::WebSafeBase64Unescape(parts[2], &out.signature)) {
    return absl::UnauthenticatedError("malformed token signature");
  }
  out.signing_input = absl::StrCat(parts[0], ".", parts[1]);
  return out;
}

}  // namespace skiff::apiserver::serviceaccount
