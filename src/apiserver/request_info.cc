#include "apiserver/request_info.h"

#include <string_view>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/str_split.h"

namespace skiff::apiserver {

bool ParseBool(const std::string& value) {
  std::string v = absl::AsciiStrToLower(value);
  return v == "true" || v == "1";
}

RequestInfo ParseRequestInfo(const std::string& method, const std::string& path, bool watch) {
  RequestInfo info;
  info.path = path;
  info.verb = absl::AsciiStrToLower(method);  // non-resource requests keep the method
  std::vector<std::string> parts = absl::StrSplit(path, '/', absl::SkipEmpty());
  size_t i = 0;
  if (parts.size() >= 2 && parts[0] == "api") {
    info.version = parts[1];
    i = 2;
  } else if (parts.size() >= 3 && parts[0] == "apis") {
    info.group = parts[1];
    info.version = parts[2];
    i = 3;
  } else {
    return info;
  }
  // The legacy /watch/ prefix.
  if (i < parts.size() && parts[i] == "watch") {
    watch = true;
    ++i;
  }
  if (i >= parts.size()) return info;  // group-version discovery
  bool namespace_subresource =
      parts[i] == "namespaces" && parts.size() == i + 3 && (parts[i + 2] == "status" || parts[i + 2] == "finalize");
  if (parts[i] == "namespaces" && i + 2 < parts.size() && !namespace_subresource) {
    info.namespace_name = parts[i + 1];
    i += 2;
  }
  info.is_resource = true;
  info.resource = parts[i++];
  if (i < parts.size()) info.name = parts[i++];
  if (i < parts.size()) info.subresource = parts[i++];
  if (i < parts.size()) info.is_resource = false;  // too deep
  // A namespace object itself: /api/v1/namespaces/<name>[/status]
  bool collection = info.name.empty();
  if (method == "GET" || method == "HEAD") {
    info.verb = collection ? (watch ? "watch" : "list") : (watch ? "watch" : "get");
  } else if (method == "POST") {
    info.verb = "create";
  } else if (method == "PUT") {
    info.verb = "update";
  } else if (method == "PATCH") {
    info.verb = "patch";
  } else if (method == "DELETE") {
    info.verb = collection ? "deletecollection" : "delete";
  } else {
    info.verb = absl::AsciiStrToLower(method);
  }
  return info;
}

std::string FieldManagerFromUserAgent(const std::string& user_agent) {
  constexpr size_t kFieldManagerMaxLength = 128;  // metav1 validation's FieldManagerMaxLength
  std::string_view prefix(user_agent);
  prefix = prefix.substr(0, prefix.find('/'));
  std::string out;
  size_t i = 0;
  while (i < prefix.size()) {
    // One UTF-8 encoded character; an invalid byte stands for U+FFFD, as Go's range over a string.
    unsigned char c = static_cast<unsigned char>(prefix[i]);
    size_t len = c < 0x80 ? 1 : (c >> 5) == 0x6 ? 2 : (c >> 4) == 0xe ? 3 : (c >> 3) == 0x1e ? 4 : 0;
    bool valid = len > 0 && i + len <= prefix.size();
    for (size_t k = 1; valid && k < len; ++k) valid = (static_cast<unsigned char>(prefix[i + k]) & 0xc0) == 0x80;
    std::string character = valid ? std::string(prefix.substr(i, len)) : std::string("\xef\xbf\xbd");
    i += valid ? len : 1;
    // Not printable: ASCII and C1 control characters.
    bool control = (len == 1 && (c < 0x20 || c == 0x7f)) ||
                   (valid && len == 2 && c == 0xc2 && static_cast<unsigned char>(character[1]) < 0xa0);
    if (control) continue;
    if (out.size() + character.size() > kFieldManagerMaxLength) break;
    out += character;
  }
  return out;
}

}  // namespace skiff::apiserver
